/* Kithara: the GStreamer engine of KitharaSrc, on GstAudioResampler
 * (gst-plugins-base's audio library, the resampler of audioresample).
 *
 * Quality: each quality is one of audioresample's Kaiser presets (see
 * kithara_src_gstaudio_options()), chosen for an SNR comparable to
 * libsamplerate's at the same quality.  sinc-best and sinc-medium run in
 * double precision, so that their SNR is the filter's and not float
 * rounding's (single precision would cost them 2 to 14 dB); sinc-fastest's
 * filter is the coarsest by far (117 dB), so it runs in single precision,
 * vectorised, for 0.1 dB and a third to a half of its cost
 * (bench-resample).
 *
 * Rates: GstAudioResampler takes integer rates.  A ratio that is a
 * fraction of small integers (any pair of common sample rates, also at a
 * playback rate such as 1.06) is given as that fraction, with the filter's
 * phases cached (its fastest mode).  Any other ratio, and every ratio from
 * the first change on (varispeed), is given as its best fraction with an
 * output rate up to MAX_OUT_RATE (the phase resolution), from the
 * continued fraction of the ratio: the rate it stands for is off by about
 * 1 / MAX_OUT_RATE^2, which would take years to move the position by a
 * frame.  Should the position stray by DRIFT frames all the same, the
 * input rate steps by one towards it for a while.  Such a converter uses
 * interpolated filter tables (about 2.5 times the cost of cached phases),
 * whose rate can change at every call.
 *
 * Equal rates make GstAudioResampler a plain copy, which for a sinc filter
 * has another delay than the filter (half its length): a sinc converter at
 * ratio 1 alternates instead between one step above and one below every
 * GLIDE_CHUNK frames (the position wavers by GLIDE_CHUNK / MAX_OUT_RATE, a
 * millionth of a frame).  A hold and linear interpolation are a copy at
 * ratio 1 anyway.
 *
 * Glides are steps: while the ratio moves, the input is converted in
 * chunks of GLIDE_CHUNK frames, each at the ratio of the glide at its
 * middle (so the mean ratio is the glide's).  A step changes the rate, not
 * the phase: the output has no discontinuity.  When decimating, the
 * filter's cutoff follows the ratio: it is redesigned whenever the cutoff
 * the ratio needs differs by more than REDESIGN from the current one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <float.h>
#include <math.h>
#include <gst/audio/audio.h>

#include "kitharasrc-backend.h"
#include "kitharasrc-gstaudio.h"

#define CHUNK 4096
#define GLIDE_CHUNK 64
/* Exact fractions with a larger output rate would cache too many phases. */
#define MAX_CACHED_RATE (1 << 16)
/* The interpolated tables index phase * oversample (up to 32) in a gint;
 * the input rate is a gint too. */
#define MAX_OUT_RATE (1 << 26)
#define MAX_IN_RATE (1 << 30)
/* The hold and linear interpolation have no interpolated tables: every
 * change of rate allocates a cache of a filter per phase (even for the
 * hold, which uses none), so fewer phases. */
#define MAX_OUT_RATE_CACHED (1 << 12)
#define DRIFT 0.05
#define REDESIGN 0.02

static const struct
{
  GstAudioResamplerMethod method;
  guint quality;
  GstAudioFormat format;
  gint max_out_rate;
} qualities[] = {
  [KITHARA_SRC_SINC_BEST] = {GST_AUDIO_RESAMPLER_METHOD_KAISER, 10,
      GST_AUDIO_FORMAT_F64, MAX_OUT_RATE},
  [KITHARA_SRC_SINC_MEDIUM] = {GST_AUDIO_RESAMPLER_METHOD_KAISER, 8,
      GST_AUDIO_FORMAT_F64, MAX_OUT_RATE},
  [KITHARA_SRC_SINC_FASTEST] = {GST_AUDIO_RESAMPLER_METHOD_KAISER, 5,
      GST_AUDIO_FORMAT_F32, MAX_OUT_RATE},
  [KITHARA_SRC_ZERO_ORDER_HOLD] = {GST_AUDIO_RESAMPLER_METHOD_NEAREST,
        GST_AUDIO_RESAMPLER_QUALITY_DEFAULT, GST_AUDIO_FORMAT_F32,
      MAX_OUT_RATE_CACHED},
  [KITHARA_SRC_LINEAR] = {GST_AUDIO_RESAMPLER_METHOD_LINEAR,
        GST_AUDIO_RESAMPLER_QUALITY_DEFAULT, GST_AUDIO_FORMAT_F32,
      MAX_OUT_RATE_CACHED},
};

typedef struct
{
  GstAudioResampler *resampler;
  KitharaSrcQuality quality;
  guint channels;
  double ratio0;                /* the ratio it was created for */

  gboolean variable;            /* approximated rates, interpolated taps */
  double ratio;                 /* the ratio the rates stand for */
  gint in_rate, out_rate;       /* as given to the resampler */
  gboolean stepped;             /* one step off the best fraction */
  double ahead;                 /* input frames the rates ran ahead */
  double design;                /* the ratio the filter was designed for */

  double *in64, *out64;         /* double-precision copies */
  gsize in64_alloc, out64_alloc;        /* samples */
} Conv;

/**
 * kithara_src_gstaudio_options:
 * @method: (out) (optional): the resampling method
 * @format: (out) (optional): the sample format it runs in
 *
 * Returns: (transfer full): the GstAudioResampler options of @quality for
 * @in_rate to @out_rate, as the GStreamer engine uses them.
 */
GstStructure *
kithara_src_gstaudio_options (KitharaSrcQuality quality, gint in_rate,
    gint out_rate, GstAudioResamplerMethod * method, GstAudioFormat * format)
{
  GstStructure *options = gst_structure_new_empty ("kithara-src-options");

  gst_audio_resampler_options_set_quality (qualities[quality].method,
      qualities[quality].quality, in_rate, out_rate, options);
  /* Rate changes keep the phase exactly (the default lets it move by up
   * to a tenth of a frame to keep the rates small). */
  gst_structure_set (options, GST_AUDIO_RESAMPLER_OPT_MAX_PHASE_ERROR,
      G_TYPE_DOUBLE, 0.0, NULL);
  if (method)
    *method = qualities[quality].method;
  if (format)
    *format = qualities[quality].format;
  return options;
}

/* @ratio to within rounding: a ratio computed from a playback rate (say
 * 48000 / 44100 / 1.06) may miss its fraction by an ulp or two. */
static gboolean
is_ratio (gint64 out_rate, gint64 in_rate, double ratio)
{
  return fabs ((double) out_rate / (double) in_rate - ratio) <=
      4 * DBL_EPSILON * ratio;
}

/* The last convergent out / in of the continued fraction of @ratio within
 * the bounds; TRUE if it is @ratio. */
static gboolean
best_fraction (double ratio, gint64 max_out, gint64 max_in, gint * out_rate,
    gint * in_rate)
{
  gint64 h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  double x = ratio;
  guint i;

  for (i = 0; i < 64; i++) {
    double a = floor (x);
    gint64 h, k;

    if (a > max_out)
      break;
    h = (gint64) a *h1 + h0;
    k = (gint64) a *k1 + k0;
    if (h > max_out || k > max_in)
      break;
    h0 = h1;
    h1 = h;
    k0 = k1;
    k1 = k;
    if (is_ratio (h, k, ratio) || x == a)
      break;
    x = 1.0 / (x - a);
  }
  /* Only for ratios outside KitharaSrc's range. */
  h1 = MAX (h1, 1);
  k1 = MAX (k1, 1);
  *out_rate = (gint) h1;
  *in_rate = (gint) k1;
  return is_ratio (h1, k1, ratio);
}

/* Equal rates would make @conv a copy of another delay. */
static gboolean
avoids_equal_rates (Conv * conv)
{
  return qualities[conv->quality].method == GST_AUDIO_RESAMPLER_METHOD_KAISER;
}

/* The rates that stand for @ratio on a variable converter; sets
 * conv->stepped when they step off the best fraction. */
static void
approximate (Conv * conv, double ratio, gint * in_rate, gint * out_rate)
{
  gint max_out = qualities[conv->quality].max_out_rate;
  gint step = conv->ahead > 0.0 ? -1 : 1, factor;

  best_fraction (ratio, max_out, MAX_IN_RATE, out_rate, in_rate);
  /* A change of rate scales the phase to the new output rate, rounding
   * down: a simple fraction (a glide passes 3 / 4) is given with a large
   * output rate all the same, so that the rounding stays negligible. */
  factor = MIN (max_out / *out_rate, MAX_IN_RATE / *in_rate);
  *out_rate *= factor;
  *in_rate *= factor;
  conv->stepped = TRUE;
  if (*out_rate == *in_rate && avoids_equal_rates (conv)) {
    *out_rate = max_out;
    *in_rate = max_out + step;
  } else if (fabs (conv->ahead) > DRIFT && *in_rate + step > 0) {
    *in_rate += step;
  } else {
    conv->stepped = FALSE;
  }
}

/* The cutoff a ratio needs, relative to the input's Nyquist frequency. */
static double
cutoff (double ratio)
{
  return MIN (ratio, 1.0);
}

static GstStructure *
make_options (Conv * conv, gint in_rate, gint out_rate, gboolean variable)
{
  GstStructure *options =
      kithara_src_gstaudio_options (conv->quality, in_rate, out_rate, NULL,
      NULL);

  if (variable)
    gst_structure_set (options, GST_AUDIO_RESAMPLER_OPT_FILTER_MODE,
        GST_TYPE_AUDIO_RESAMPLER_FILTER_MODE,
        GST_AUDIO_RESAMPLER_FILTER_MODE_INTERPOLATED, NULL);
  return options;
}

static gboolean
make_resampler (Conv * conv)
{
  GstAudioResamplerFlags flags = GST_AUDIO_RESAMPLER_FLAG_NONE;
  GstStructure *options;

  if (conv->resampler)
    gst_audio_resampler_free (conv->resampler);
  conv->ratio = conv->design = conv->ratio0;
  conv->ahead = 0.0;
  conv->stepped = FALSE;
  conv->variable = !best_fraction (conv->ratio0, MAX_CACHED_RATE,
      MAX_CACHED_RATE, &conv->out_rate, &conv->in_rate) ||
      (conv->out_rate == conv->in_rate && avoids_equal_rates (conv));
  if (conv->variable) {
    approximate (conv, conv->ratio0, &conv->in_rate, &conv->out_rate);
    flags = GST_AUDIO_RESAMPLER_FLAG_VARIABLE_RATE;
  }
  options = make_options (conv, conv->in_rate, conv->out_rate,
      conv->variable);
  conv->resampler = gst_audio_resampler_new (qualities[conv->quality].method,
      flags, qualities[conv->quality].format, conv->channels, conv->in_rate,
      conv->out_rate, options);
  gst_structure_free (options);
  return conv->resampler != NULL;
}

static gpointer
conv_create (KitharaSrcQuality quality, guint channels, double ratio,
    gchar ** error)
{
  Conv *conv = g_new0 (Conv, 1);

  conv->quality = quality;
  conv->channels = channels;
  conv->ratio0 = ratio;
  if (!make_resampler (conv)) {
    if (error)
      *error = g_strdup_printf ("GstAudioResampler: cannot resample at "
          "ratio %g", ratio);
    g_free (conv);
    return NULL;
  }
  return conv;
}

static void
conv_destroy (gpointer data)
{
  Conv *conv = data;

  gst_audio_resampler_free (conv->resampler);
  g_free (conv->in64);
  g_free (conv->out64);
  g_free (conv);
}

/* A new resampler: gst_audio_resampler_reset() keeps the phase. */
static void
conv_reset (gpointer data)
{
  make_resampler (data);
}

/* Points the resampler at @ratio.  The first change makes the rates
 * variable (interpolated taps); the phase carries over every change. */
static gboolean
set_ratio (Conv * conv, double ratio)
{
  GstStructure *options = NULL;
  gint in_rate, out_rate;
  gboolean ok;

  if (!conv->variable && ratio == conv->ratio)
    return TRUE;
  approximate (conv, ratio, &in_rate, &out_rate);
  if (!conv->variable ||
      fabs (cutoff (ratio) / cutoff (conv->design) - 1.0) > REDESIGN) {
    options = make_options (conv, in_rate, out_rate, TRUE);
    conv->design = ratio;
  } else if (in_rate == conv->in_rate && out_rate == conv->out_rate) {
    conv->ratio = ratio;
    return TRUE;
  }
  ok = gst_audio_resampler_update (conv->resampler, in_rate, out_rate,
      options);
  if (options)
    gst_structure_free (options);
  conv->variable = TRUE;
  conv->ratio = ratio;
  conv->in_rate = in_rate;
  conv->out_rate = out_rate;
  return ok;
}

static double *
ensure (double **buf, gsize * alloc, gsize samples)
{
  if (samples > *alloc) {
    *alloc = samples;
    *buf = g_renew (double, *buf, samples);
  }
  return *buf;
}

static void
convert (Conv * conv, const float *in, gsize frames, KitharaSrcOut * out)
{
  gsize n_out = gst_audio_resampler_get_out_frames (conv->resampler, frames);
  gsize in_samples, out_samples, i;
  gpointer in_planes[1], out_planes[1];
  float *dest;

  /* GstAudioResampler 1.22 loses input when the last output of a call
   * steps past the input it has (which a hold decimating by 2 or more
   * does: its step is longer than its 2 taps): that output waits for the
   * next call. */
  if (n_out > 0 && qualities[conv->quality].method ==
      GST_AUDIO_RESAMPLER_METHOD_NEAREST && conv->in_rate >= 2 * conv->out_rate)
    n_out--;
  in_samples = frames * conv->channels;
  out_samples = n_out * conv->channels;
  dest = kithara_src_out_reserve (out, n_out);

  if (qualities[conv->quality].format == GST_AUDIO_FORMAT_F64) {
    double *in64 = ensure (&conv->in64, &conv->in64_alloc, in_samples);
    double *out64 = ensure (&conv->out64, &conv->out64_alloc, out_samples);

    for (i = 0; i < in_samples; i++)
      in64[i] = in[i];
    in_planes[0] = in64;
    out_planes[0] = out64;
    gst_audio_resampler_resample (conv->resampler, in_planes, frames,
        out_planes, n_out);
    for (i = 0; i < out_samples; i++)
      dest[i] = (float) out64[i];
  } else {
    in_planes[0] = (gpointer) in;
    out_planes[0] = dest;
    gst_audio_resampler_resample (conv->resampler, in_planes, frames,
        out_planes, n_out);
  }
  kithara_src_out_commit (out, n_out);
  if (conv->variable)
    conv->ahead += n_out * ((double) conv->in_rate / conv->out_rate -
        1.0 / conv->ratio);
}

static gboolean
conv_run (gpointer data, const float *in, gsize frames, double from,
    double to, KitharaSrcOut * out)
{
  Conv *conv = data;
  gboolean glide = from != to && from > 0.0;
  gsize done = 0;

  while (done < frames) {
    gsize n = MIN (frames - done, glide ? GLIDE_CHUNK : CHUNK);
    double ratio = to;

    if (glide)
      ratio = from + (to - from) * (done + n / 2.0) / frames;
    if (!set_ratio (conv, ratio))
      return FALSE;
    /* Off the best fraction the position moves: not for long. */
    if (conv->stepped)
      n = MIN (n, GLIDE_CHUNK);
    convert (conv, in + done * conv->channels, n, out);
    done += n;
  }
  return TRUE;
}

/* A hold and linear interpolation are late by the same at every ratio
 * (nothing); the sinc filters' interpolated tables make them late by a
 * fraction of a frame that grows as the ratio decimates. */
static double
delay_probe_ratio (KitharaSrcQuality quality, double ratio)
{
  return qualities[quality].method == GST_AUDIO_RESAMPLER_METHOD_KAISER ?
      ratio : 1.0;
}

const KitharaSrcBackend kithara_src_gstaudio = {
  "gstreamer",
  delay_probe_ratio,
  conv_create,
  conv_destroy,
  conv_reset,
  conv_run,
};
