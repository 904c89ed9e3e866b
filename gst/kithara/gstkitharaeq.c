/**
 * SECTION:element-kitharaeq
 * @title: kitharaeq
 *
 * An equalizer whose processing runs as a node on the shared kithara
 * worker (see #GstKitharaElement).
 *
 * In the default `parametric` mode it is a series of #GstKitharaEq:num-bands
 * RBJ cookbook biquads.  Each band is a child object ("band0", "band1", ...)
 * with `freq`, `gain`, `q` and `type` (low-shelf, peaking, high-shelf,
 * low-pass, high-pass) properties, reachable as `band3::gain` from
 * gst-launch-1.0 and gst_child_proxy_set(), and controllable with
 * #GstController bindings (synchronised to each buffer's stream time).
 * The default layout spreads the bands' centres logarithmically over
 * 20 Hz - 20 kHz (the centres of num-bands equal log-spaced bins), the
 * first band a low shelf, the last a high shelf, the others peaking with a
 * Q matching the bin width; a single band is peaking.
 *
 * In `isolator` mode it is a three-band DJ kill EQ: band0, band1 and band2
 * are the low, mid and high bands (centres 100 Hz, 1 kHz and 10 kHz by
 * default), split by 4th-order Linkwitz-Riley crossovers at the geometric
 * means of neighbouring centres so that they sum flat; a band gain at or
 * below -24 dB removes the band entirely.  In this mode num-bands is 3 and
 * the bands' `type` and `q` are ignored.
 *
 * All parameter changes glide (about 10 ms) so that moving a gain does not
 * click.  When every band is at 0 dB the element leaves the audio
 * untouched and costs next to nothing.  Setting #GstKitharaEq:num-bands
 * or #GstKitharaEq:mode replaces the bands by the new layout's defaults,
 * so set those first.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 audiotestsrc wave=pink-noise num-buffers=500 ! audio/x-raw,format=F32LE ! kitharaeq band0::gain=6 band9::gain=-12 ! audioconvert ! wavenc ! filesink location=eq.wav
 * ]| Boosts the lows and cuts the highs of pink noise.
 * |[
 * gst-launch-1.0 audiotestsrc wave=white-noise num-buffers=500 ! audio/x-raw,format=F32LE ! kitharaeq mode=isolator band0::gain=-60 ! audioconvert ! wavenc ! filesink location=kill.wav
 * ]| Kills the low band.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <gst/audio/audio.h>

#include "gstkitharaeq.h"
#include "gstkitharaeqband.h"
#include "gstkitharaelements.h"
#include "kitharabiquad.h"
#include "kitharaisolator.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_eq_debug);
#define GST_CAT_DEFAULT gst_kithara_eq_debug

#define DEFAULT_NUM_BANDS 10
#define DEFAULT_MODE GST_KITHARA_EQ_MODE_PARAMETRIC

#define LOWEST_FREQ 20.0
#define HIGHEST_FREQ 20000.0

enum
{
  PROP_0,
  PROP_NUM_BANDS,
  PROP_MODE,
};

struct _GstKitharaEq
{
  GstKitharaElement parent;

  /* Under the object lock.  The bands are owned through their parent
   * link; the array is replaced as a whole, never modified. */
  GPtrArray *bands;
  GstKitharaEqMode mode;
  /* Serializes layout changes (num-bands, mode) from any threads: each
   * builds its bands completely, publishes them under the object lock and
   * announces them before the next may start.  Recursive: a child-added
   * handler may change the layout again. */
  GRecMutex layout_lock;
  guint parametric_bands;       /* num-bands to use in parametric mode */
  /* Bumped (atomically, under the object lock) when the bands are
   * replaced, read by the worker without the lock. */
  gint layout;
  /* Bumped by every property change of a band (deep-notify): the worker
   * brings the band parameters into the DSP only when it moved. */
  gint params_serial;           /* atomic */

  /* On the worker, or while no tick runs. */
  GstAudioInfo info;
  gboolean f64;
  KitharaBiquadBank *bank;
  KitharaIsolator *isolator;
  GstKitharaEqMode applied_mode;
  gint applied_layout;
  gint applied_serial;
  /* The bands of applied_layout, referenced: syncing controlled values
   * emits notifications that take our lock, so the lock cannot keep them
   * alive meanwhile. */
  GstKitharaEqBand *applied_bands[GST_KITHARA_EQ_MAX_BANDS];
  guint n_applied;
};

static void gst_kithara_eq_child_proxy_init (gpointer g_iface,
    gpointer iface_data);
static void gst_kithara_eq_preset_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstKitharaEq, gst_kithara_eq,
    GST_TYPE_KITHARA_ELEMENT,
    G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_kithara_eq_child_proxy_init)
    G_IMPLEMENT_INTERFACE (GST_TYPE_PRESET, gst_kithara_eq_preset_init));
GST_ELEMENT_REGISTER_DEFINE (kitharaeq, "kitharaeq", GST_RANK_NONE,
    GST_TYPE_KITHARA_EQ);

#define CAPS \
    GST_AUDIO_CAPS_MAKE ("{ F32LE, F64LE }") ", layout = (string) interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));

GType
gst_kithara_eq_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KITHARA_EQ_MODE_PARAMETRIC, "Parametric: num-bands biquads in series",
        "parametric"},
    {GST_KITHARA_EQ_MODE_ISOLATOR, "Isolator: 3-band DJ kill EQ",
        "isolator"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKitharaEqMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* band layouts */

static GstKitharaEqBand *
make_parametric_band (guint i, guint n)
{
  /* Band i is centred in the i-th of n log-spaced bins over 20 Hz-20 kHz;
   * a peaking band's Q spans its bin. */
  double ratio = pow (HIGHEST_FREQ / LOWEST_FREQ, 1.0 / n);
  double freq = LOWEST_FREQ * pow (ratio, i + 0.5);
  double q = CLAMP (sqrt (ratio) / (ratio - 1.0), 0.1, 40.0);
  GstKitharaEqBandType type = GST_KITHARA_EQ_BAND_PEAKING;

  if (n == 1) {
    q = G_SQRT2 / 2.0;
  } else if (i == 0) {
    type = GST_KITHARA_EQ_BAND_LOW_SHELF;
    q = G_SQRT2 / 2.0;
  } else if (i == n - 1) {
    type = GST_KITHARA_EQ_BAND_HIGH_SHELF;
    q = G_SQRT2 / 2.0;
  }
  return gst_kithara_eq_band_new (i, type, freq, q);
}

static GstKitharaEqBand *
make_isolator_band (guint i)
{
  static const GstKitharaEqBandType types[KITHARA_ISOLATOR_BANDS] = {
    GST_KITHARA_EQ_BAND_LOW_SHELF, GST_KITHARA_EQ_BAND_PEAKING,
    GST_KITHARA_EQ_BAND_HIGH_SHELF
  };
  static const double centres[KITHARA_ISOLATOR_BANDS] =
      { 100.0, 1000.0, 10000.0 };

  return gst_kithara_eq_band_new (i, types[i], centres[i], G_SQRT2 / 2.0);
}

/* Replaces every band by the defaults of @mode with @n_bands bands. */
static void
gst_kithara_eq_set_layout (GstKitharaEq * self, GstKitharaEqMode mode,
    guint n_bands)
{
  GPtrArray *bands = g_ptr_array_sized_new (n_bands), *old;
  guint i;

  for (i = 0; i < n_bands; i++) {
    GstKitharaEqBand *band = mode == GST_KITHARA_EQ_MODE_ISOLATOR ?
        make_isolator_band (i) : make_parametric_band (i, n_bands);

    gst_object_set_parent (GST_OBJECT (band), GST_OBJECT (self));
    g_ptr_array_add (bands, band);
  }

  GST_OBJECT_LOCK (self);
  old = self->bands;
  self->bands = bands;
  self->mode = mode;
  g_atomic_int_inc (&self->layout);
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "%u bands, mode %d", n_bands, mode);

  /* Signals and unparenting outside the lock: they notify upwards. */
  if (old) {
    for (i = 0; i < old->len; i++) {
      GstObject *band = g_ptr_array_index (old, i);

      gst_child_proxy_child_removed (GST_CHILD_PROXY (self), G_OBJECT (band),
          GST_OBJECT_NAME (band));
      gst_object_unparent (band);
    }
    g_ptr_array_unref (old);
  }
  for (i = 0; i < bands->len; i++) {
    GstObject *band = g_ptr_array_index (bands, i);

    gst_child_proxy_child_added (GST_CHILD_PROXY (self), G_OBJECT (band),
        GST_OBJECT_NAME (band));
  }
}

/* ------------------------------------------------------------------ */
/* processing, on the worker */

static gboolean
gst_kithara_eq_set_caps (GstKitharaElement * element, GstCaps * caps)
{
  GstKitharaEq *self = GST_KITHARA_EQ (element);
  GstAudioInfo info;

  if (!gst_audio_info_from_caps (&info, caps)) {
    /* Channel positions do not matter to an EQ: accept caps without a
     * channel-mask too. */
    GstStructure *s = gst_caps_get_structure (caps, 0);
    gint rate = 0, channels = 0;

    if (!gst_structure_get_int (s, "rate", &rate) ||
        !gst_structure_get_int (s, "channels", &channels) ||
        rate <= 0 || channels <= 0)
      return FALSE;
    gst_audio_info_set_format (&info, gst_audio_format_from_string
        (gst_structure_get_string (s, "format")), rate, channels, NULL);
  }
  if (GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_F32LE &&
      GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_F64LE)
    return FALSE;

  /* Same rate and channels: keep the filters running, no click. */
  if (self->bank && GST_AUDIO_INFO_RATE (&info) == self->info.rate &&
      GST_AUDIO_INFO_CHANNELS (&info) == self->info.channels) {
    self->info = info;
    self->f64 = GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_F64LE;
    return TRUE;
  }

  GST_DEBUG_OBJECT (self, "configuring for %" GST_PTR_FORMAT, caps);
  kithara_biquad_bank_free (self->bank);
  kithara_isolator_free (self->isolator);
  self->info = info;
  self->f64 = GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_F64LE;
  self->bank = kithara_biquad_bank_new (GST_KITHARA_EQ_MAX_BANDS,
      info.channels, info.rate);
  self->isolator = kithara_isolator_new (info.channels, info.rate);
  self->applied_layout = 0;     /* layout counts from 1: apply it again */
  return TRUE;
}

static void
gst_kithara_eq_release_bands (GstKitharaEq * self)
{
  guint i;

  for (i = 0; i < self->n_applied; i++)
    gst_clear_object (&self->applied_bands[i]);
  self->n_applied = 0;
}

/* A new layout: its bands, referenced, and a DSP started afresh. */
static void
gst_kithara_eq_take_layout (GstKitharaEq * self)
{
  guint i;

  gst_kithara_eq_release_bands (self);
  GST_OBJECT_LOCK (self);
  self->applied_layout = g_atomic_int_get (&self->layout);
  self->applied_mode = self->mode;
  self->n_applied = MIN (self->bands->len, GST_KITHARA_EQ_MAX_BANDS);
  for (i = 0; i < self->n_applied; i++)
    self->applied_bands[i] =
        gst_object_ref (g_ptr_array_index (self->bands, i));
  GST_OBJECT_UNLOCK (self);

  kithara_biquad_bank_set_num_bands (self->bank, self->n_applied);
  kithara_biquad_bank_reset (self->bank);
  kithara_isolator_reset (self->isolator);
}

/* Brings the band parameters (controller values at @buf's stream time
 * included) into the DSP.  Per buffer, with nothing controlled and nothing
 * changed, this is a comparison of two counters and one early return of
 * gst_object_sync_values() per band. */
static void
gst_kithara_eq_update (GstKitharaEq * self, GstBuffer * buf)
{
  const GstSegment *segment;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  gint serial;
  guint i;

  if (g_atomic_int_get (&self->layout) != self->applied_layout) {
    gst_kithara_eq_take_layout (self);
    self->applied_serial = g_atomic_int_get (&self->params_serial) - 1;
  }

  segment = gst_kithara_element_get_segment (GST_KITHARA_ELEMENT (self));
  if (segment->format == GST_FORMAT_TIME && GST_BUFFER_PTS_IS_VALID (buf))
    stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  /* Returns at once for a band without control bindings; one with them
   * sets its properties, which bumps params_serial. */
  if (GST_CLOCK_TIME_IS_VALID (stream_time)) {
    for (i = 0; i < self->n_applied; i++)
      gst_object_sync_values (GST_OBJECT_CAST (self->applied_bands[i]),
          stream_time);
  }

  /* Read before the parameters: a change made meanwhile is seen by the
   * next buffer at the latest. */
  serial = g_atomic_int_get (&self->params_serial);
  if (serial == self->applied_serial)
    return;
  self->applied_serial = serial;

  for (i = 0; i < self->n_applied; i++) {
    KitharaBiquadParams params;

    gst_kithara_eq_band_get_params (self->applied_bands[i], &params);
    if (self->applied_mode == GST_KITHARA_EQ_MODE_ISOLATOR)
      kithara_isolator_set_band (self->isolator, i, params.freq,
          params.gain_db);
    else
      kithara_biquad_bank_set_band (self->bank, i, &params);
  }
}

/* Any property change of a band (on whatever thread made it, once the
 * band's value is stored). */
static void
gst_kithara_eq_deep_notify (GstObject * object, GstObject * orig,
    GParamSpec * pspec)
{
  GstObjectClass *parent_class =
      GST_OBJECT_CLASS (gst_kithara_eq_parent_class);

  if (GST_IS_KITHARA_EQ_BAND (orig))
    g_atomic_int_inc (&GST_KITHARA_EQ (object)->params_serial);
  if (parent_class->deep_notify)
    parent_class->deep_notify (object, orig, pspec);
}

static GstFlowReturn
gst_kithara_eq_handle_buffer (GstKitharaElement * element, GstBuffer * buf)
{
  GstKitharaEq *self = GST_KITHARA_EQ (element);
  gboolean isolator;
  GstMapInfo map;
  guint frames;

  gst_kithara_eq_update (self, buf);

  isolator = self->applied_mode == GST_KITHARA_EQ_MODE_ISOLATOR;
  if (isolator ? kithara_isolator_is_bypassed (self->isolator) :
      kithara_biquad_bank_is_bypassed (self->bank))
    return gst_kithara_element_push (element, buf);

  /* In place: a copy only if someone else holds the buffer too. */
  buf = gst_buffer_make_writable (buf);
  if (!gst_buffer_map (buf, &map, GST_MAP_READWRITE)) {
    GST_ERROR_OBJECT (self, "cannot map buffer for writing");
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }

  frames = map.size / GST_AUDIO_INFO_BPF (&self->info);
  if (isolator && self->f64)
    kithara_isolator_process_f64 (self->isolator, (double *) map.data, frames);
  else if (isolator)
    kithara_isolator_process_f32 (self->isolator, (float *) map.data, frames);
  else if (self->f64)
    kithara_biquad_bank_process_f64 (self->bank, (double *) map.data, frames);
  else
    kithara_biquad_bank_process_f32 (self->bank, (float *) map.data, frames);
  gst_buffer_unmap (buf, &map);

  /* Silence in, filter tail out. */
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
  return gst_kithara_element_push (element, buf);
}

static void
gst_kithara_eq_flush (GstKitharaElement * element)
{
  GstKitharaEq *self = GST_KITHARA_EQ (element);

  /* Only the filter memories: the band settings survive seeks. */
  if (self->bank)
    kithara_biquad_bank_reset (self->bank);
  if (self->isolator)
    kithara_isolator_reset (self->isolator);
}

/* ------------------------------------------------------------------ */
/* GstChildProxy */

static GObject *
gst_kithara_eq_child_proxy_get_child_by_index (GstChildProxy * proxy,
    guint index)
{
  GstKitharaEq *self = GST_KITHARA_EQ (proxy);
  GObject *band = NULL;

  GST_OBJECT_LOCK (self);
  if (index < self->bands->len)
    band = g_object_ref (g_ptr_array_index (self->bands, index));
  GST_OBJECT_UNLOCK (self);
  return band;
}

static guint
gst_kithara_eq_child_proxy_get_children_count (GstChildProxy * proxy)
{
  GstKitharaEq *self = GST_KITHARA_EQ (proxy);
  guint n;

  GST_OBJECT_LOCK (self);
  n = self->bands->len;
  GST_OBJECT_UNLOCK (self);
  return n;
}

static void
gst_kithara_eq_child_proxy_init (gpointer g_iface, gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = gst_kithara_eq_child_proxy_get_child_by_index;
  iface->get_children_count = gst_kithara_eq_child_proxy_get_children_count;
}

/* ------------------------------------------------------------------ */
/* GstPreset: the sound only (mode, number of bands, every band), not the
 * runtime properties (context, queue limits) of the base class. */

static const gchar *const band_properties[] = { "freq", "gain", "q", "type" };

static gboolean (*default_load_preset) (GstPreset * preset,
    const gchar * name);

static gchar **
gst_kithara_eq_get_preset_property_names (GstPreset * preset)
{
  guint n = gst_child_proxy_get_children_count (GST_CHILD_PROXY (preset));
  GPtrArray *names = g_ptr_array_new ();
  guint i, p;

  /* The layout first: setting it replaces the bands. */
  g_ptr_array_add (names, g_strdup ("mode"));
  g_ptr_array_add (names, g_strdup ("num-bands"));
  for (i = 0; i < n; i++)
    for (p = 0; p < G_N_ELEMENTS (band_properties); p++)
      g_ptr_array_add (names, g_strdup_printf ("band%u::%s", i,
              band_properties[p]));
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

/* A preset may have another number of bands than the element has now:
 * the first pass sets the layout, the second every band of it. */
static gboolean
gst_kithara_eq_load_preset (GstPreset * preset, const gchar * name)
{
  return default_load_preset (preset, name) &&
      default_load_preset (preset, name);
}

static void
gst_kithara_eq_preset_init (gpointer g_iface, gpointer iface_data)
{
  GstPresetInterface *iface = g_iface;

  default_load_preset = iface->load_preset;
  iface->get_property_names = gst_kithara_eq_get_preset_property_names;
  iface->load_preset = gst_kithara_eq_load_preset;
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
gst_kithara_eq_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaEq *self = GST_KITHARA_EQ (object);
  GstKitharaEqMode mode;
  guint n_bands, parametric_bands;

  g_rec_mutex_lock (&self->layout_lock);
  GST_OBJECT_LOCK (self);
  mode = self->mode;
  n_bands = self->bands->len;
  parametric_bands = self->parametric_bands;
  GST_OBJECT_UNLOCK (self);

  switch (prop_id) {
    case PROP_NUM_BANDS:{
      guint n = g_value_get_uint (value);

      if (mode == GST_KITHARA_EQ_MODE_ISOLATOR) {
        if (n != KITHARA_ISOLATOR_BANDS)
          GST_WARNING_OBJECT (self, "num-bands is %u in isolator mode, "
              "ignoring %u", KITHARA_ISOLATOR_BANDS, n);
        break;
      }
      GST_OBJECT_LOCK (self);
      self->parametric_bands = n;
      GST_OBJECT_UNLOCK (self);
      if (n != n_bands)
        gst_kithara_eq_set_layout (self, mode, n);
      break;
    }
    case PROP_MODE:{
      GstKitharaEqMode new_mode = g_value_get_enum (value);

      if (new_mode != mode)
        gst_kithara_eq_set_layout (self, new_mode,
            new_mode == GST_KITHARA_EQ_MODE_ISOLATOR ?
            KITHARA_ISOLATOR_BANDS : parametric_bands);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_rec_mutex_unlock (&self->layout_lock);
}

static void
gst_kithara_eq_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaEq *self = GST_KITHARA_EQ (object);

  switch (prop_id) {
    case PROP_NUM_BANDS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->bands->len);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MODE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->mode);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_eq_init (GstKitharaEq * self)
{
  g_rec_mutex_init (&self->layout_lock);
  self->mode = DEFAULT_MODE;
  self->parametric_bands = DEFAULT_NUM_BANDS;
  gst_kithara_eq_set_layout (self, DEFAULT_MODE, DEFAULT_NUM_BANDS);
}

static void
gst_kithara_eq_dispose (GObject * object)
{
  GstKitharaEq *self = GST_KITHARA_EQ (object);
  GPtrArray *bands;
  guint i;

  GST_OBJECT_LOCK (self);
  bands = self->bands;
  self->bands = g_ptr_array_new ();
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < bands->len; i++)
    gst_object_unparent (g_ptr_array_index (bands, i));
  g_ptr_array_unref (bands);
  gst_kithara_eq_release_bands (self);

  G_OBJECT_CLASS (gst_kithara_eq_parent_class)->dispose (object);
}

static void
gst_kithara_eq_finalize (GObject * object)
{
  GstKitharaEq *self = GST_KITHARA_EQ (object);

  g_ptr_array_unref (self->bands);
  g_rec_mutex_clear (&self->layout_lock);
  kithara_biquad_bank_free (self->bank);
  kithara_isolator_free (self->isolator);
  G_OBJECT_CLASS (gst_kithara_eq_parent_class)->finalize (object);
}

static void
gst_kithara_eq_class_init (GstKitharaEqClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kithara_class = GST_KITHARA_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_eq_debug, "kitharaeq", 0,
      "Kithara equalizer");

  gobject_class->set_property = gst_kithara_eq_set_property;
  gobject_class->get_property = gst_kithara_eq_get_property;
  gobject_class->dispose = gst_kithara_eq_dispose;
  gobject_class->finalize = gst_kithara_eq_finalize;
  GST_OBJECT_CLASS (klass)->deep_notify = gst_kithara_eq_deep_notify;

  kithara_class->set_caps = GST_DEBUG_FUNCPTR (gst_kithara_eq_set_caps);
  kithara_class->handle_buffer =
      GST_DEBUG_FUNCPTR (gst_kithara_eq_handle_buffer);
  kithara_class->flush = GST_DEBUG_FUNCPTR (gst_kithara_eq_flush);

  /**
   * GstKitharaEq:num-bands:
   *
   * Number of bands in parametric mode.  Setting it replaces every band
   * by the default layout for that count (gains back to 0 dB).
   */
  g_object_class_install_property (gobject_class, PROP_NUM_BANDS,
      g_param_spec_uint ("num-bands", "Number of bands",
          "Number of bands (child objects band0..bandN-1); setting it "
          "replaces the bands by log-spaced defaults at 0 dB; always 3 in "
          "isolator mode", 1, GST_KITHARA_EQ_MAX_BANDS, DEFAULT_NUM_BANDS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstKitharaEq:mode:
   *
   * Parametric EQ or DJ isolator.  Setting it replaces every band by the
   * new mode's defaults.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Parametric EQ, or 3-band DJ isolator (band0 low, band1 mid, "
          "band2 high; type and q ignored); setting it replaces the bands "
          "by the mode's defaults", GST_TYPE_KITHARA_EQ_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara equalizer", "Filter/Effect/Audio",
      "Parametric equalizer with smoothed, controllable bands and a DJ "
      "isolator mode, processed on the shared kithara worker",
      "Kithara developers");

  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_EQ_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_EQ_BAND, 0);
}
