/* Kithara: one band of kitharaeq.
 *
 * Bands are GstObjects so that GstController bindings can be attached to
 * them and so that "band0::gain" works through the element's
 * GstChildProxy.  Their properties are read by the worker, under the
 * band's object lock, at the first buffer after one of them changed: the
 * element learns of changes from the deep-notify every property change
 * emits on its parent.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkitharaeqband.h"

#define DEFAULT_FREQ 1000.0
#define DEFAULT_GAIN 0.0
#define DEFAULT_Q (G_SQRT2 / 2.0)
#define DEFAULT_TYPE GST_KITHARA_EQ_BAND_PEAKING

enum
{
  PROP_0,
  PROP_FREQ,
  PROP_GAIN,
  PROP_Q,
  PROP_TYPE,
};

struct _GstKitharaEqBand
{
  GstObject parent;

  /* Under the object lock. */
  gdouble freq;
  gdouble gain;
  gdouble q;
  GstKitharaEqBandType type;
};

G_DEFINE_TYPE (GstKitharaEqBand, gst_kithara_eq_band, GST_TYPE_OBJECT);

GType
gst_kithara_eq_band_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KITHARA_EQ_BAND_LOW_SHELF, "Low shelf: gain below freq",
        "low-shelf"},
    {GST_KITHARA_EQ_BAND_PEAKING, "Peaking: gain around freq, width q",
        "peaking"},
    {GST_KITHARA_EQ_BAND_HIGH_SHELF, "High shelf: gain above freq",
        "high-shelf"},
    {GST_KITHARA_EQ_BAND_LOW_PASS, "Low pass (12 dB/octave, gain ignored)",
        "low-pass"},
    {GST_KITHARA_EQ_BAND_HIGH_PASS, "High pass (12 dB/octave, gain ignored)",
        "high-pass"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKitharaEqBandType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_kithara_eq_band_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaEqBand *band = GST_KITHARA_EQ_BAND (object);

  GST_OBJECT_LOCK (band);
  switch (prop_id) {
    case PROP_FREQ:
      band->freq = g_value_get_double (value);
      break;
    case PROP_GAIN:
      band->gain = g_value_get_double (value);
      break;
    case PROP_Q:
      band->q = g_value_get_double (value);
      break;
    case PROP_TYPE:
      band->type = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band);
}

static void
gst_kithara_eq_band_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaEqBand *band = GST_KITHARA_EQ_BAND (object);

  GST_OBJECT_LOCK (band);
  switch (prop_id) {
    case PROP_FREQ:
      g_value_set_double (value, band->freq);
      break;
    case PROP_GAIN:
      g_value_set_double (value, band->gain);
      break;
    case PROP_Q:
      g_value_set_double (value, band->q);
      break;
    case PROP_TYPE:
      g_value_set_enum (value, band->type);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (band);
}

static void
gst_kithara_eq_band_init (GstKitharaEqBand * band)
{
  band->freq = DEFAULT_FREQ;
  band->gain = DEFAULT_GAIN;
  band->q = DEFAULT_Q;
  band->type = DEFAULT_TYPE;
}

static void
gst_kithara_eq_band_class_init (GstKitharaEqBandClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_kithara_eq_band_set_property;
  gobject_class->get_property = gst_kithara_eq_band_get_property;

  g_object_class_install_property (gobject_class, PROP_FREQ,
      g_param_spec_double ("freq", "Frequency",
          "Centre (peaking), corner (shelves, passes) or, in isolator mode, "
          "band centre in Hz; limited to 0.49 times the sample rate",
          KITHARA_BIQUAD_MIN_FREQ, 100000.0, DEFAULT_FREQ, flags));
  g_object_class_install_property (gobject_class, PROP_GAIN,
      g_param_spec_double ("gain", "Gain",
          "Gain in dB (ignored by low-pass and high-pass; in isolator mode "
          "-24 dB or less kills the band)", -60.0, 24.0, DEFAULT_GAIN, flags));
  g_object_class_install_property (gobject_class, PROP_Q,
      g_param_spec_double ("q", "Q",
          "Bandwidth of a peaking band, resonance of a pass, slope of a "
          "shelf (0.7071 = steepest without overshoot); ignored in isolator "
          "mode", 0.1, 40.0, DEFAULT_Q, flags));
  g_object_class_install_property (gobject_class, PROP_TYPE,
      g_param_spec_enum ("type", "Type",
          "Filter shape (ignored in isolator mode)",
          GST_TYPE_KITHARA_EQ_BAND_TYPE, DEFAULT_TYPE, flags));

  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_EQ_BAND_TYPE, 0);
}

/**
 * gst_kithara_eq_band_new:
 *
 * Returns: (transfer floating): band "band<index>" with 0 dB gain.
 */
GstKitharaEqBand *
gst_kithara_eq_band_new (guint index, GstKitharaEqBandType type,
    gdouble freq, gdouble q)
{
  gchar *name = g_strdup_printf ("band%u", index);
  GstKitharaEqBand *band = g_object_new (GST_TYPE_KITHARA_EQ_BAND,
      "name", name, NULL);

  g_free (name);
  band->type = type;
  band->freq = freq;
  band->q = q;
  return band;
}

void
gst_kithara_eq_band_get_params (GstKitharaEqBand * band,
    KitharaBiquadParams * params)
{
  GST_OBJECT_LOCK (band);
  params->type = (KitharaBiquadType) band->type;
  params->freq = band->freq;
  params->q = band->q;
  params->gain_db = band->gain;
  GST_OBJECT_UNLOCK (band);
}
