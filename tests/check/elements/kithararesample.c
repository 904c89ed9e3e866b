/* kithararesample tests: SNR and bandwidth of each sinc quality, exact
 * output length and drift-free timestamps over a long stream, impulse
 * alignment, a smooth varispeed ramp, flushing seeks, caps changes,
 * passthrough, latency, bad ratios, and converters measured once.
 *
 * Every test runs once per engine (tcase_add_loop_test over engines[]):
 * each harness and pipeline below gets the engine of the run.
 *
 * Audio is generated here and pushed through a GstHarness from this
 * thread; the element converts on its worker.  Results are pulled as they
 * come (no sleeps): after the last buffer an EOS is pushed and the test
 * waits for it to come out, then takes the remaining buffers.
 *
 * Sample format: the tests run in F32.  A float carries a sine with an SNR
 * of about 154 dB (measured by sine_snr_float_limit below), above
 * libsamplerate's best figure (145 dB), so every quality is held to
 * libsamplerate's own published figures, on both engines.  S16 (about
 * 98 dB) could not carry them and is checked for passthrough and
 * conversion only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/audio/audio.h>
#include <samplerate.h>
#include <math.h>
#include <string.h>

#include "kitharacheck.h"

/* ------------------------------------------------------------------ */
/* engines */

static const gchar *const engines[] = { "libsamplerate", "gstreamer" };

#define GSTREAMER_ENGINE 1

static guint engine;            /* index in engines[] of this run */

static void
use_engine (guint i)
{
  engine = i;
  GST_INFO ("engine %s", engines[i]);
}

/* A test run once per engine: registered with tcase_add_loop_test (tc,
 * test, 0, G_N_ELEMENTS (engines)). */
#define ENGINE_TEST(name) GST_START_TEST (name) use_engine (__i__);

/* ------------------------------------------------------------------ */
/* signals */

typedef double (*SignalFunc) (guint64 frame, guint channel, gpointer data);

typedef struct
{
  double freq;                  /* whole Hz: freq * frame is exact */
  double amp;
  guint rate;
} Sine;

static double
phase (double freq, guint64 frame, guint rate)
{
  return 2.0 * M_PI * fmod (freq * (double) frame, rate) / rate;
}

static double
sine (guint64 frame, guint channel, gpointer data)
{
  const Sine *s = data;

  return s->amp * sin (phase (s->freq, frame, s->rate));
}

typedef struct
{
  guint64 at;
} Impulse;

static double
impulse (guint64 frame, guint channel, gpointer data)
{
  return frame == ((Impulse *) data)->at ? 1.0 : 0.0;
}

/* A cheap periodic signal for long streams: a table of 441 frames. */
static double
table_signal (guint64 frame, guint channel, gpointer data)
{
  return ((const float *) data)[frame % 441];
}

/* ------------------------------------------------------------------ */
/* harness */

typedef struct
{
  GstHarness *h;
  GstElement *e;
  guint in_rate, out_rate, channels;
  gboolean s16;
  GstClockTime start;           /* PTS of input frame 0 */
  guint64 pushed;               /* input frames pushed */

  gboolean keep;                /* store output samples */
  GArray *out;                  /* doubles, interleaved */
  guint64 out_frames;
  guint n_buffers;
  GstClockTime out_start;       /* PTS of the first output buffer */
  GstClockTime ts_base;         /* PTS of frame ts_base_frames */
  guint64 ts_base_frames;
  guint ts_errors;              /* timestamp jumps */
  GstClockTime jump_ts;         /* the first jump: to this PTS */
  guint64 jump_at;              /* after this many frames */
  GstClockTime min_ts;          /* drop outputs before (flush tests) */
} Rs;

/* "name=value name=value" */
static void
apply_props (GstElement * e, const gchar * props)
{
  gchar **pairs = g_strsplit (props ? props : "", " ", -1);
  guint i;

  for (i = 0; pairs[i]; i++) {
    gchar **kv = g_strsplit (pairs[i], "=", 2);

    if (kv[0] && kv[0][0]) {
      fail_unless (kv[1] != NULL);
      gst_util_set_object_arg (G_OBJECT (e), kv[0], kv[1]);
    }
    g_strfreev (kv);
  }
  g_strfreev (pairs);
}

/* @bus: (nullable): set on the element before anything reaches it */
static void
rs_open_full (Rs * r, const gchar * props, guint in_rate, guint out_rate,
    guint channels, gboolean s16, gboolean unbounded, GstBus * bus)
{
  gchar *caps;

  memset (r, 0, sizeof (Rs));
  r->in_rate = in_rate;
  r->out_rate = out_rate;
  r->channels = channels;
  r->s16 = s16;
  r->out = g_array_new (FALSE, FALSE, sizeof (double));
  r->out_start = GST_CLOCK_TIME_NONE;
  r->keep = TRUE;
  r->e = gst_element_factory_make ("kithararesample", NULL);
  fail_unless (r->e != NULL);
  gst_object_ref_sink (r->e);
  gst_util_set_object_arg (G_OBJECT (r->e), "engine", engines[engine]);
  apply_props (r->e, props);
  if (bus)
    gst_element_set_bus (r->e, bus);
  if (unbounded)
    g_object_set (r->e, "max-size-buffers", G_MAXUINT, "max-size-time",
        (guint64) 0, NULL);
  r->h = gst_harness_new_with_element (r->e, "sink", "src");
  if (out_rate) {
    caps = g_strdup_printf ("audio/x-raw,rate=%u", out_rate);
    gst_harness_set_sink_caps_str (r->h, caps);
    g_free (caps);
  }
  caps = g_strdup_printf ("audio/x-raw,format=%s,rate=%u,channels=%u,"
      "layout=interleaved,channel-mask=(bitmask)0", s16 ? "S16LE" : "F32LE",
      in_rate, channels);
  gst_harness_set_src_caps_str (r->h, caps);
  g_free (caps);
  if (!out_rate)
    r->out_rate = in_rate;
}

static void
rs_open (Rs * r, const gchar * props, guint in_rate, guint out_rate)
{
  rs_open_full (r, props, in_rate, out_rate, 1, FALSE, TRUE, NULL);
}

static void
rs_close (Rs * r)
{
  gst_harness_teardown (r->h);
  gst_object_unref (r->e);
  g_array_free (r->out, TRUE);
}

static void
take_output (Rs * r, GstBuffer * buf)
{
  gsize width = r->s16 ? 2 : 4;
  guint64 frames = gst_buffer_get_size (buf) / (width * r->channels);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstMapInfo map;
  guint i;

  if (GST_CLOCK_TIME_IS_VALID (r->min_ts) && r->min_ts > 0 && pts < r->min_ts) {
    gst_buffer_unref (buf);
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (r->out_start)) {
    r->out_start = r->ts_base = pts;
    r->ts_base_frames = r->out_frames;
  }
  /* Every buffer's timestamp is the count of frames before it (since
   * the last jump, which is counted and followed). */
  if (pts != r->ts_base + gst_util_uint64_scale_int (r->out_frames -
          r->ts_base_frames, GST_SECOND, r->out_rate)) {
    if (r->ts_errors++ == 0) {
      GST_INFO ("buffer %u at %" GST_TIME_FORMAT ", expected %"
          GST_TIME_FORMAT, r->n_buffers, GST_TIME_ARGS (pts),
          GST_TIME_ARGS (r->ts_base + gst_util_uint64_scale_int
              (r->out_frames - r->ts_base_frames, GST_SECOND, r->out_rate)));
      r->jump_ts = pts;
      r->jump_at = r->out_frames;
    }
    r->ts_base = pts;
    r->ts_base_frames = r->out_frames;
  }
  if (r->keep) {
    gst_buffer_map (buf, &map, GST_MAP_READ);
    for (i = 0; i < frames * r->channels; i++) {
      double v = r->s16 ? ((gint16 *) map.data)[i] / 32768.0 :
          ((float *) map.data)[i];

      g_array_append_val (r->out, v);
    }
    gst_buffer_unmap (buf, &map);
  }
  r->out_frames += frames;
  r->n_buffers++;
  gst_buffer_unref (buf);
}

static void
rs_collect (Rs * r)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (r->h)))
    take_output (r, buf);
}

static GstBuffer *
make_buffer (Rs * r, guint frames, SignalFunc signal, gpointer data)
{
  gsize width = r->s16 ? 2 : 4;
  GstBuffer *buf = gst_buffer_new_allocate (NULL,
      (gsize) frames * r->channels * width, NULL);
  GstMapInfo map;
  guint i, ch;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < frames; i++) {
    for (ch = 0; ch < r->channels; ch++) {
      double v = signal (r->pushed + i, ch, data);

      if (r->s16)
        ((gint16 *) map.data)[i * r->channels + ch] =
            (gint16) CLAMP (lrint (v * 32768.0), -32768, 32767);
      else
        ((float *) map.data)[i * r->channels + ch] = (float) v;
    }
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = r->start + gst_util_uint64_scale_int (r->pushed,
      GST_SECOND, r->in_rate);
  GST_BUFFER_DURATION (buf) = r->start + gst_util_uint64_scale_int
      (r->pushed + frames, GST_SECOND, r->in_rate) - GST_BUFFER_PTS (buf);
  r->pushed += frames;
  return buf;
}

static void
rs_push (Rs * r, guint frames, SignalFunc signal, gpointer data)
{
  fail_unless_equals_int (gst_harness_push (r->h, make_buffer (r, frames,
              signal, data)), GST_FLOW_OK);
  rs_collect (r);
}

/* Waits until some output came out (rs_push() may have taken it all). */
static void
rs_wait_output (Rs * r)
{
  while (r->n_buffers == 0)
    take_output (r, gst_harness_pull (r->h));
}

static void
rs_push_all (Rs * r, guint64 frames, guint chunk, SignalFunc signal,
    gpointer data)
{
  guint64 end = r->pushed + frames;

  while (r->pushed < end)
    rs_push (r, (guint) MIN (chunk, end - r->pushed), signal, data);
}

/* Pushes EOS and takes everything until it comes out. */
static void
rs_finish (Rs * r)
{
  GstEvent *ev;
  gboolean eos = FALSE;

  fail_unless (gst_harness_push_event (r->h, gst_event_new_eos ()));
  while (!eos) {
    ev = gst_harness_pull_event (r->h);
    fail_unless (ev != NULL, "no EOS came out");
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  rs_collect (r);
}

static const double *
rs_samples (Rs * r)
{
  return (const double *) r->out->data;
}

/* ------------------------------------------------------------------ */
/* measurement */

/* Least-squares fit of a sin + b cos + c at @freq to y[from..to) (frame
 * n at phase freq * (n + first) / rate); returns the SNR in dB and the
 * amplitude in @amp. */
static double
fit_sine (const double *y, guint stride, gsize from, gsize to, double freq,
    guint rate, guint64 first, double *amp)
{
  double S[3][3] = { {0} }, B[3] = { 0 }, x[3], sig = 0, err = 0;
  gsize n;
  int i, j, k;

  for (n = from; n < to; n++) {
    double p = phase (freq, n + first, rate);
    double v[3] = { sin (p), cos (p), 1.0 };

    for (i = 0; i < 3; i++) {
      B[i] += v[i] * y[n * stride];
      for (j = 0; j < 3; j++)
        S[i][j] += v[i] * v[j];
    }
  }
  /* Gauss-Jordan, the matrix is well conditioned */
  for (k = 0; k < 3; k++) {
    for (i = 0; i < 3; i++) {
      double f;

      if (i == k)
        continue;
      f = S[i][k] / S[k][k];
      for (j = 0; j < 3; j++)
        S[i][j] -= f * S[k][j];
      B[i] -= f * B[k];
    }
  }
  for (k = 0; k < 3; k++)
    x[k] = B[k] / S[k][k];
  for (n = from; n < to; n++) {
    double p = phase (freq, n + first, rate);
    double s = x[0] * sin (p) + x[1] * cos (p);
    double e = y[n * stride] - s - x[2];

    sig += s * s;
    err += e * e;
  }
  if (amp)
    *amp = hypot (x[0], x[1]);
  return 10.0 * log10 (sig / MAX (err, 1e-300));
}

/* What a float can carry: the SNR of an ideal sine stored as floats. */
static double
sine_snr_float_limit (double freq, guint rate)
{
  gsize n, len = rate;
  double *y = g_new (double, len), snr;

  for (n = 0; n < len; n++)
    y[n] = (float) (0.9 * sin (phase (freq, n, rate)));
  snr = fit_sine (y, 1, 0, len, freq, rate, 0, NULL);
  g_free (y);
  return snr;
}

/* libsamplerate on its own, for comparison. */
static double
libsamplerate_snr (int converter, guint in_rate, guint out_rate, double freq,
    gsize skip)
{
  gsize n, len = in_rate, out_len = (gsize) len * out_rate / in_rate + 64;
  float *in = g_new (float, len), *out = g_new0 (float, out_len);
  double *y = g_new (double, out_len), snr;
  SRC_DATA d = { 0, };

  for (n = 0; n < len; n++)
    in[n] = (float) (0.9 * sin (phase (freq, n, in_rate)));
  d.data_in = in;
  d.data_out = out;
  d.input_frames = len;
  d.output_frames = out_len;
  d.end_of_input = 1;
  d.src_ratio = (double) out_rate / in_rate;
  fail_unless_equals_int (src_simple (&d, converter, 1), 0);
  for (n = 0; n < (gsize) d.output_frames_gen; n++)
    y[n] = out[n];
  snr = fit_sine (y, 1, skip, d.output_frames_gen - skip, freq, out_rate, 0,
      NULL);
  g_free (in);
  g_free (out);
  g_free (y);
  return snr;
}

/* GstAudioResampler on its own, as the gstreamer engine documents it:
 * audioresample's Kaiser preset @quality in @format (F64 or F32), the
 * same float input, the output stored as floats as the element's is. */
static double
gstaudio_snr (guint quality, GstAudioFormat format, guint in_rate,
    guint out_rate, double freq, gsize skip)
{
  GstStructure *options = gst_structure_new_empty ("options");
  GstAudioResampler *resampler;
  gboolean f64 = format == GST_AUDIO_FORMAT_F64;
  gsize n, len = in_rate, out_len;
  double *y, snr;
  gpointer in, out, in_planes[1], out_planes[1];

  in = f64 ? (gpointer) g_new (double, len) : (gpointer) g_new (float, len);
  for (n = 0; n < len; n++) {
    float v = (float) (0.9 * sin (phase (freq, n, in_rate)));

    if (f64)
      ((double *) in)[n] = v;
    else
      ((float *) in)[n] = v;
  }
  gst_audio_resampler_options_set_quality (GST_AUDIO_RESAMPLER_METHOD_KAISER,
      quality, in_rate, out_rate, options);
  resampler = gst_audio_resampler_new (GST_AUDIO_RESAMPLER_METHOD_KAISER,
      GST_AUDIO_RESAMPLER_FLAG_NONE, format, 1, in_rate, out_rate, options);
  fail_unless (resampler != NULL);
  out_len = gst_audio_resampler_get_out_frames (resampler, len);
  out = f64 ? (gpointer) g_new (double, out_len) :
      (gpointer) g_new (float, out_len);
  y = g_new (double, out_len);
  in_planes[0] = in;
  out_planes[0] = out;
  gst_audio_resampler_resample (resampler, in_planes, len, out_planes,
      out_len);
  for (n = 0; n < out_len; n++)
    y[n] = f64 ? (float) ((double *) out)[n] : ((float *) out)[n];
  /* Its output is a fraction of a frame late (its interpolated filter
   * tables), without the filter's tail: the fit's phase takes up the one,
   * the skipped edge the other. */
  snr = fit_sine (y, 1, skip, out_len - skip, freq, out_rate, 0, NULL);
  gst_audio_resampler_free (resampler);
  gst_structure_free (options);
  g_free (in);
  g_free (out);
  g_free (y);
  return snr;
}

/* Resamples one second of a sine, returns the SNR (and gain in @gain). */
static double
element_snr (const gchar * quality, guint in_rate, guint out_rate,
    double freq, guint64 frames, double *gain)
{
  Sine s = { freq, 0.9, in_rate };
  gchar *props = g_strdup_printf ("quality=%s", quality);
  gsize skip = out_rate / 10;
  double snr, amp;
  Rs r;

  rs_open (&r, props, in_rate, out_rate);
  rs_push_all (&r, frames, 4096, sine, &s);
  rs_finish (&r);
  fail_unless_equals_int (r.ts_errors, 0);
  fail_unless (r.out_frames > 2 * skip);
  /* Exact timing: output frame n is at time n / out_rate, so the ideal
   * sine at the output rate has the same phase origin. */
  snr = fit_sine (rs_samples (&r), 1, skip, r.out_frames - skip, freq,
      out_rate, 0, &amp);
  if (gain)
    *gain = amp / 0.9;
  rs_close (&r);
  g_free (props);
  return snr;
}

#define GST_KITHARA_TEST_QUALITY_LINEAR 4       /* the enum's "linear" */

typedef struct
{
  const gchar *nick;
  int converter;                /* libsamplerate's */
  guint kaiser;                 /* the gstreamer engine's Kaiser preset */
  GstAudioFormat kaiser_format; /* and the precision it runs in */
  double snr;                   /* libsamplerate's published figure */
  double bandwidth;             /* required fraction of Nyquist */
} Quality;

static const Quality sinc_qualities[] = {
  {"sinc-best", SRC_SINC_BEST_QUALITY, 10, GST_AUDIO_FORMAT_F64, 144.0, 0.96},
  {"sinc-medium", SRC_SINC_MEDIUM_QUALITY, 8, GST_AUDIO_FORMAT_F64, 121.0,
      0.90},
  {"sinc-fastest", SRC_SINC_FASTEST, 5, GST_AUDIO_FORMAT_F32, 97.0, 0.80},
};

/* The engine of this run called directly on the same signal. */
static double
raw_snr (const Quality * q, guint in_rate, guint out_rate, double freq,
    gsize skip)
{
  if (engine == GSTREAMER_ENGINE)
    return gstaudio_snr (q->kaiser, q->kaiser_format, in_rate, out_rate, freq,
        skip);
  return libsamplerate_snr (q->converter, in_rate, out_rate, freq, skip);
}

static const guint directions[][2] = { {44100, 48000}, {48000, 16000} };

/* ------------------------------------------------------------------ */
/* tests */

ENGINE_TEST (test_snr)
{
  static const double freqs[] = { 1000.0, 5000.0 };
  guint q, d, f;

  for (q = 0; q < G_N_ELEMENTS (sinc_qualities); q++) {
    for (d = 0; d < G_N_ELEMENTS (directions); d++) {
      for (f = 0; f < G_N_ELEMENTS (freqs); f++) {
        const Quality *qq = &sinc_qualities[q];
        guint in_rate = directions[d][0], out_rate = directions[d][1];
        double gain, snr = element_snr (qq->nick, in_rate, out_rate,
            freqs[f], in_rate, &gain);
        double ref = raw_snr (qq, in_rate, out_rate, freqs[f], out_rate / 10);
        double limit = sine_snr_float_limit (freqs[f], out_rate);

        GST_INFO ("%s %s %u -> %u Hz, %.0f Hz: SNR %.1f dB (the engine "
            "alone %.1f dB, libsamplerate's published %.0f dB, F32 carries "
            "%.1f dB), gain %.6f", engines[engine], qq->nick, in_rate,
            out_rate, freqs[f], snr, ref, qq->snr, limit, gain);
        /* F32 carries every published figure (see the file comment). */
        fail_unless (limit > qq->snr + 3.0);
        fail_unless (snr >= qq->snr - 3.0,
            "%s %u -> %u Hz at %.0f Hz: SNR %.1f dB < %.0f - 3 dB",
            qq->nick, in_rate, out_rate, freqs[f], snr, qq->snr);
        /* The element adds nothing to the engine's own error. */
        fail_unless (fabs (snr - ref) <= 0.5, "%s %s %u -> %u Hz at %.0f "
            "Hz: SNR %.1f dB, the engine alone %.1f dB", engines[engine],
            qq->nick, in_rate, out_rate, freqs[f], snr, ref);
        fail_unless (fabs (gain - 1.0) < 1e-3);
      }
    }
  }
}

GST_END_TEST;

/* A hold decimating by 3 takes every third input frame: a sine stays as
 * clean as a float carries it, buffer after buffer (the last output of a
 * buffer steps past the buffer's input). */
ENGINE_TEST (test_hold_decimating)
{
  double snr = element_snr ("zero-order-hold", 48000, 16000, 1000.0, 48000,
      NULL);

  GST_INFO ("%s zero-order-hold 48000 -> 16000 Hz: SNR %.1f dB",
      engines[engine], snr);
  fail_unless (snr > 140.0, "SNR %.1f dB", snr);
}

GST_END_TEST;

/* The frequency (whole Hz) at which the gain falls to -3 dB. */
static double
measure_bandwidth (const gchar * quality, guint in_rate, guint out_rate)
{
  guint nyquist = MIN (in_rate, out_rate) / 2;
  guint lo = nyquist / 2, hi = nyquist;

  while (hi - lo > 1) {
    guint mid = (lo + hi) / 2;
    double gain;

    element_snr (quality, in_rate, out_rate, mid, in_rate / 2, &gain);
    if (20.0 * log10 (gain) >= -3.0)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

ENGINE_TEST (test_bandwidth)
{
  guint q, d;

  for (q = 0; q < G_N_ELEMENTS (sinc_qualities); q++) {
    for (d = 0; d < G_N_ELEMENTS (directions); d++) {
      const Quality *qq = &sinc_qualities[q];
      guint in_rate = directions[d][0], out_rate = directions[d][1];
      double nyquist = MIN (in_rate, out_rate) / 2.0;
      double bw = measure_bandwidth (qq->nick, in_rate, out_rate);

      GST_INFO ("%s %u -> %u Hz: -3 dB at %.0f Hz = %.1f %% of Nyquist",
          qq->nick, in_rate, out_rate, bw, 100.0 * bw / nyquist);
      fail_unless (bw >= qq->bandwidth * nyquist,
          "%s %u -> %u: bandwidth %.1f %% < %.0f %%", qq->nick, in_rate,
          out_rate, 100.0 * bw / nyquist, 100.0 * qq->bandwidth);
    }
  }
}

GST_END_TEST;

/* Seconds of audio for the long stream; KITHARA_RESAMPLE_TEST_SECONDS
 * shortens it (e.g. under a sanitizer). */
static guint64
long_seconds (void)
{
  const gchar *env = g_getenv ("KITHARA_RESAMPLE_TEST_SECONDS");

  return env && *env ? g_ascii_strtoull (env, NULL, 10) : 3600;
}

ENGINE_TEST (test_long_stream_no_drift)
{
  static const guint sizes[] = { 441, 1021, 17, 4095, 2047, 1, 8191, 333,
    3001, 77
  };
  guint64 seconds = long_seconds (), frames = seconds * 44100, expected;
  float table[441];
  guint i = 0, k;
  Rs r;

  for (k = 0; k < 441; k++)
    table[k] = (float) (0.5 * sin (2.0 * M_PI * k / 441.0));
  /* Bounded inlet: the pushes wait for the worker, the output is taken
   * as it comes, so memory stays flat for an hour of audio. */
  rs_open_full (&r, "quality=sinc-fastest", 44100, 48000, 1, FALSE, FALSE,
      NULL);
  r.keep = FALSE;
  while (r.pushed < frames) {
    rs_push (&r, (guint) MIN (sizes[i % G_N_ELEMENTS (sizes)],
            frames - r.pushed), table_signal, table);
    i++;
  }
  rs_finish (&r);
  expected = gst_util_uint64_scale_int_round (frames, 48000, 44100);
  GST_INFO ("%" G_GUINT64_FORMAT " s: %" G_GUINT64_FORMAT " frames in %u "
      "buffers, %" G_GUINT64_FORMAT " out (expected %" G_GUINT64_FORMAT
      "), %u buffers with a wrong timestamp", seconds, frames, i,
      r.out_frames, expected, r.ts_errors);
  fail_unless (r.out_frames + 1 >= expected && r.out_frames <= expected + 1,
      "%" G_GUINT64_FORMAT " frames out, expected %" G_GUINT64_FORMAT,
      r.out_frames, expected);
  fail_unless_equals_int (r.ts_errors, 0);
  fail_unless_equals_uint64 (r.out_start, 0);
  rs_close (&r);
}

GST_END_TEST;

static void
check_impulse (const gchar * quality, guint in_rate, guint out_rate)
{
  Impulse imp = { in_rate / 4 + 345 };  /* inside a buffer */
  gchar *props = g_strdup_printf ("quality=%s", quality);
  const double *y;
  gsize n, peak = 0;
  double expected, peak_time, impulse_time;
  Rs r;

  rs_open (&r, props, in_rate, out_rate);
  r.start = GST_SECOND / 2;     /* not at zero: the base is the first PTS */
  rs_push_all (&r, in_rate / 2, 1000, impulse, &imp);
  rs_finish (&r);
  y = rs_samples (&r);
  for (n = 0; n < r.out_frames; n++)
    if (fabs (y[n]) > fabs (y[peak]))
      peak = n;
  expected = (double) imp.at * out_rate / in_rate;
  impulse_time = (double) r.start / GST_SECOND + (double) imp.at / in_rate;
  peak_time = (double) r.out_start / GST_SECOND + (double) peak / out_rate;
  GST_INFO ("%s %u -> %u: impulse at output frame %" G_GSIZE_FORMAT
      ", exact position %.3f, off by %.3f frames", quality, in_rate,
      out_rate, peak, expected, peak - expected);
  fail_unless_equals_uint64 (r.out_start, r.start);
  fail_unless (fabs (peak - expected) <= 1.0,
      "%s: impulse at %" G_GSIZE_FORMAT ", expected %.2f", quality, peak,
      expected);
  fail_unless (fabs (peak_time - impulse_time) <= 1.0 / out_rate);
  rs_close (&r);
  g_free (props);
}

ENGINE_TEST (test_impulse_alignment)
{
  static const gchar *all[] = { "sinc-best", "sinc-medium", "sinc-fastest",
    "zero-order-hold", "linear"
  };
  guint q;

  for (q = 0; q < G_N_ELEMENTS (all); q++) {
    check_impulse (all[q], 44100, 48000);
    check_impulse (all[q], 22050, 48000);
  }
  /* Downsampling without a band limit can miss an impulse altogether:
   * only the sinc converters there. */
  for (q = 0; q < G_N_ELEMENTS (sinc_qualities); q++)
    check_impulse (sinc_qualities[q].nick, 48000, 16000);
}

GST_END_TEST;

/* playback-rate 1.0 until 0.5 s, a linear ramp to 1.5 at 1.5 s, then 1.5,
 * by a controller; 2.5 s of a 1 kHz sine at 48 kHz in and out (so the
 * element starts in passthrough and must leave it without a click). */
static void
run_ramp (guint in_rate, guint out_rate, double *max_step,
    double *max_step2, double *expected_len, guint64 * len)
{
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = (GstTimedValueControlSource *) cs;
  Sine s = { 1000.0, 0.5, in_rate };
  double ratio = (double) out_rate / in_rate;
  const double *y;
  gsize n;
  Rs r;

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (tvcs, 0, 1.0);
  gst_timed_value_control_source_set (tvcs, GST_SECOND / 2, 1.0);
  gst_timed_value_control_source_set (tvcs, 3 * GST_SECOND / 2, 1.5);
  gst_timed_value_control_source_set (tvcs, 10 * GST_SECOND, 1.5);

  rs_open (&r, "quality=sinc-medium", in_rate, out_rate);
  gst_object_add_control_binding (GST_OBJECT (r.e),
      gst_direct_control_binding_new_absolute (GST_OBJECT (r.e),
          "playback-rate", cs));
  rs_push_all (&r, in_rate * 5 / 2, in_rate / 100, sine, &s);
  rs_finish (&r);
  fail_unless_equals_int (r.ts_errors, 0);

  /* Skip the stream's own edges (a sine starting and stopping abruptly
   * rings through any band-limited filter). */
  y = rs_samples (&r);
  *max_step = *max_step2 = 0.0;
  for (n = out_rate / 20; n + out_rate / 20 < r.out_frames; n++) {
    *max_step = MAX (*max_step, fabs (y[n + 1] - y[n]));
    *max_step2 = MAX (*max_step2, fabs (y[n + 1] - 2 * y[n] + y[n - 1]));
  }
  /* out frames = out_rate * integral of 1 / rate over the input time */
  *expected_len = ratio * in_rate * (0.5 + 2.0 * log (1.5) + 1.0 / 1.5);
  *len = r.out_frames;
  rs_close (&r);
  gst_object_unref (cs);
}

ENGINE_TEST (test_playback_rate_ramp)
{
  static const guint rates[][2] = { {48000, 48000}, {44100, 48000} };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rates); i++) {
    double step, step2, expected, w;
    double limit, limit2;
    guint64 len;

    run_ramp (rates[i][0], rates[i][1], &step, &step2, &expected, &len);
    /* The sine's own largest steps at the highest speed (1.5 kHz). */
    w = 2.0 * M_PI * 1500.0 / rates[i][1];
    limit = 2.0 * 0.5 * sin (w / 2.0);
    limit2 = 4.0 * 0.5 * sin (w / 2.0) * sin (w / 2.0);
    GST_INFO ("%u -> %u ramp: largest step %.6f (sine's %.6f), second "
        "difference %.6f (sine's %.6f), %" G_GUINT64_FORMAT " frames for "
        "an integral of %.2f", rates[i][0], rates[i][1], step, limit, step2,
        limit2, len, expected);
    fail_unless (step <= limit * 1.001, "step %f > %f", step, limit);
    fail_unless (step2 <= limit2 * 1.01, "second difference %f > %f", step2,
        limit2);
    fail_unless (fabs (len - expected) <= 1.5, "%" G_GUINT64_FORMAT
        " frames, expected %.2f", len, expected);
  }
}

GST_END_TEST;

ENGINE_TEST (test_flush_seek)
{
  Sine s = { 1000.0, 0.5, 44100 };
  GstSegment segment;
  guint64 after = 44100 / 2;
  double snr;
  Rs r;

  rs_open (&r, "quality=sinc-medium", 44100, 48000);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  /* Wait until the stream is flowing: a flush while stream-start is still
   * queued in the inlet would drop it (the base class requeues only caps
   * after a flush). */
  rs_wait_output (&r);

  fail_unless (gst_harness_push_event (r.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (r.h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = segment.time = segment.position = 10 * GST_SECOND;
  fail_unless (gst_harness_push_event (r.h, gst_event_new_segment (&segment)));
  /* Whatever came out before the seek is not looked at. */
  rs_collect (&r);
  g_array_set_size (r.out, 0);
  r.out_frames = 0;
  r.n_buffers = 0;
  r.ts_errors = 0;
  r.out_start = GST_CLOCK_TIME_NONE;
  r.min_ts = 10 * GST_SECOND;

  /* The stream goes on at 10 s (frame 441000). */
  r.start = 10 * GST_SECOND;
  r.pushed = 0;
  s.freq = 1000.0;
  rs_push_all (&r, after, 999, sine, &s);
  rs_finish (&r);

  fail_unless_equals_uint64 (r.out_start, 10 * GST_SECOND);
  fail_unless_equals_int (r.ts_errors, 0);
  fail_unless (r.out_frames + 1 >= after * 48000 / 44100 &&
      r.out_frames <= after * 48000 / 44100 + 1);
  /* Fresh converter state: a clean sine, not a mix with the old one. */
  snr = fit_sine (rs_samples (&r), 1, 4800, r.out_frames - 4800, 1000.0,
      48000, 0, NULL);
  GST_INFO ("after the seek: %" G_GUINT64_FORMAT " frames from %"
      GST_TIME_FORMAT ", SNR %.1f dB", r.out_frames,
      GST_TIME_ARGS (r.out_start), snr);
  fail_unless (snr > 110.0);
  rs_close (&r);
}

GST_END_TEST;

/* Passing through (equal rates), then playback-rate=2.0, then a flushing
 * seek before the next buffer (the DJ's "change speed, then cue"): the
 * converter the speed needs is there, and the stream plays twice as
 * fast. */
ENGINE_TEST (test_speed_change_then_cue)
{
  Sine s = { 1000.0, 0.5, 48000 };
  GstSegment segment;
  Rs r;

  rs_open (&r, NULL, 48000, 48000);
  rs_push_all (&r, 4800, 480, sine, &s);
  rs_wait_output (&r);
  g_object_set (r.e, "playback-rate", 2.0, NULL);

  fail_unless (gst_harness_push_event (r.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (r.h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (r.h, gst_event_new_segment (&segment)));
  rs_collect (&r);
  g_array_set_size (r.out, 0);
  r.out_frames = 0;
  r.n_buffers = 0;
  r.out_start = GST_CLOCK_TIME_NONE;
  r.start = 0;
  r.pushed = 0;

  rs_push_all (&r, 48000, 480, sine, &s);
  rs_finish (&r);
  /* One second of input in half a second of output (the converter's
   * flush at EOS may round by a frame). */
  fail_unless (r.out_frames >= 24000 - 2 && r.out_frames <= 24000 + 2,
      "%" G_GUINT64_FORMAT " frames", r.out_frames);
  rs_close (&r);
}

GST_END_TEST;

ENGINE_TEST (test_caps_change)
{
  Sine s = { 1000.0, 0.5, 44100 };
  GstCaps *caps, *out_caps;
  GstStructure *st;
  gint rate;
  double snr;
  Rs r;

  rs_open (&r, "quality=sinc-medium", 44100, 48000);
  rs_push_all (&r, 44100 / 2, 1024, sine, &s);
  /* 22.05 kHz from 0.5 s on */
  caps = gst_caps_from_string ("audio/x-raw,format=F32LE,rate=22050,"
      "channels=1,layout=interleaved,channel-mask=(bitmask)0");
  fail_unless (gst_harness_push_event (r.h, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  r.start = GST_SECOND / 2;
  r.pushed = 0;
  r.in_rate = 22050;
  s.rate = 22050;
  rs_push_all (&r, 22050 / 2, 1024, sine, &s);
  rs_finish (&r);

  /* Both halves exact and contiguous: 0.5 s + 0.5 s at 48 kHz. */
  GST_INFO ("%" G_GUINT64_FORMAT " frames out", r.out_frames);
  fail_unless_equals_uint64 (r.out_frames, 48000);
  fail_unless_equals_int (r.ts_errors, 0);
  out_caps = gst_pad_get_current_caps (r.h->sinkpad);
  st = gst_caps_get_structure (out_caps, 0);
  fail_unless (gst_structure_get_int (st, "rate", &rate));
  fail_unless_equals_int (rate, 48000);
  gst_caps_unref (out_caps);
  /* The second half is a clean 1 kHz sine at 48 kHz (phase restarts at
   * 0.5 s, a whole number of periods). */
  snr = fit_sine (rs_samples (&r), 1, 24000 + 4800, 48000 - 4800, 1000.0,
      48000, 0, NULL);
  GST_INFO ("second half SNR %.1f dB", snr);
  fail_unless (snr > 110.0);
  rs_close (&r);
}

GST_END_TEST;

ENGINE_TEST (test_passthrough)
{
  Sine s = { 1000.0, 0.5, 48000 };
  GstBuffer *in, *out;
  Rs r;

  rs_open_full (&r, NULL, 48000, 0, 2, TRUE, TRUE, NULL);
  in = make_buffer (&r, 480, sine, &s);
  gst_buffer_ref (in);
  fail_unless_equals_int (gst_harness_push (r.h, in), GST_FLOW_OK);
  out = gst_harness_pull (r.h);
  fail_unless (out == in, "passthrough must not touch the buffer");
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  fail_unless_equals_uint64 (gst_harness_query_latency (r.h), 0);
  rs_close (&r);
}

GST_END_TEST;

ENGINE_TEST (test_s16)
{
  Sine s = { 1000.0, 0.5, 44100 };
  double snr;
  Rs r;

  rs_open_full (&r, "quality=sinc-fastest", 44100, 48000, 2, TRUE, TRUE, NULL);
  rs_push_all (&r, 44100, 4410, sine, &s);
  rs_finish (&r);
  fail_unless_equals_uint64 (r.out_frames, 48000);
  snr = fit_sine (rs_samples (&r) + 1, 2, 4800, 48000 - 4800, 1000.0, 48000,
      0, NULL);
  GST_INFO ("S16 SNR %.1f dB", snr);
  fail_unless (snr > 85.0);     /* 16 bits carry about 98 dB */
  rs_close (&r);
}

GST_END_TEST;

ENGINE_TEST (test_latency)
{
  /* The sinc filters' half lengths: libsamplerate's, then
   * GstAudioResampler's (Kaiser presets 10, 8 and 5). */
  static const struct
  {
    const gchar *nick;
    guint min_frames[2], max_frames[2];
  } expect[] = {
    {"sinc-best", {100, 100}, {200, 200}},
    {"sinc-medium", {30, 60}, {70, 100}},
    {"sinc-fastest", {10, 30}, {40, 60}},
    {"linear", {1, 1}, {3, 3}},
    {"zero-order-hold", {1, 1}, {3, 3}},
  };
  Sine s = { 1000.0, 0.5, 44100 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (expect); i++) {
    gchar *props = g_strdup_printf ("quality=%s", expect[i].nick);
    GstClockTime latency;
    Rs r;

    rs_open (&r, props, 44100, 48000);
    /* Negotiated once the first buffer went through. */
    rs_push (&r, 4410, sine, &s);
    rs_finish (&r);
    latency = gst_harness_query_latency (r.h);
    GST_INFO ("%s: latency %" GST_TIME_FORMAT " (%.1f input frames)",
        expect[i].nick, GST_TIME_ARGS (latency),
        (double) latency * 44100 / GST_SECOND);
    fail_unless (latency >= gst_util_uint64_scale_int
        (expect[i].min_frames[engine], GST_SECOND, 44100));
    fail_unless (latency <= gst_util_uint64_scale_int
        (expect[i].max_frames[engine], GST_SECOND, 44100));
    rs_close (&r);
    g_free (props);
  }
}

GST_END_TEST;

ENGINE_TEST (test_bad_ratio)
{
  Sine s = { 1000.0, 0.5, 48000 };
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;
  Rs r;

  rs_open_full (&r, NULL, 48000, 100, 1, FALSE, TRUE, bus);
  gst_harness_push (r.h, make_buffer (&r, 480, sine, &s));
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION));
  fail_unless (strstr (err->message, "48000 Hz to 100 Hz") != NULL);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  rs_close (&r);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

ENGINE_TEST (test_quality_change)
{
  Sine s = { 1000.0, 0.5, 44100 };
  Rs r;

  rs_open (&r, "quality=sinc-best", 44100, 48000);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  g_object_set (r.e, "quality", GST_KITHARA_TEST_QUALITY_LINEAR, NULL);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  rs_finish (&r);
  /* Nothing dropped, timestamps continue. */
  fail_unless_equals_uint64 (r.out_frames, 48000);
  fail_unless_equals_int (r.ts_errors, 0);
  rs_close (&r);
}

GST_END_TEST;

/* The other engine from the middle of the stream on: switched like
 * quality, nothing dropped, timestamps continue, and the second half is
 * the other engine's clean sine. */
ENGINE_TEST (test_engine_change)
{
  Sine s = { 1000.0, 0.5, 44100 };
  double snr;
  Rs r;

  rs_open (&r, "quality=sinc-medium", 44100, 48000);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  gst_util_set_object_arg (G_OBJECT (r.e), "engine", engines[1 - engine]);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  rs_finish (&r);
  fail_unless_equals_uint64 (r.out_frames, 48000);
  fail_unless_equals_int (r.ts_errors, 0);
  snr = fit_sine (rs_samples (&r), 1, 24000 + 4800, 48000 - 4800, 1000.0,
      48000, 0, NULL);
  GST_INFO ("%s -> %s: second half SNR %.1f dB", engines[engine],
      engines[1 - engine], snr);
  fail_unless (snr > 110.0);
  rs_close (&r);
}

GST_END_TEST;

static guint
converter_measurements (GstElement * e)
{
  GstStructure *stats;
  guint n = 0;

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "converter-measurements", &n));
  gst_structure_free (stats);
  return n;
}

/* 100 converters of one type (engine, quality, ratio), each in its own
 * element: the delay and latency are measured for the first only. */
ENGINE_TEST (test_converter_measured_once)
{
  Sine s = { 1000.0, 0.5, 44100 };
  guint before = 0, i;

  for (i = 0; i < 100; i++) {
    Rs r;

    rs_open (&r, "quality=sinc-medium", 44100, 32000);
    if (i == 0)
      before = converter_measurements (r.e);
    rs_push (&r, 441, sine, &s);
    rs_finish (&r);
    fail_unless (r.out_frames == 320);
    fail_unless_equals_int (converter_measurements (r.e), before + 1);
    rs_close (&r);
  }
}

GST_END_TEST;

ENGINE_TEST (test_discont)
{
  Sine s = { 1000.0, 0.5, 44100 };
  guint64 before;
  Rs r;

  rs_open (&r, "quality=sinc-medium", 44100, 48000);
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  /* Wait for all of it: EOS is not an option mid-stream, so push a
   * marker event and wait for it to come out. */
  fail_unless (gst_harness_push_event (r.h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new_empty ("marker"))));
  for (;;) {
    GstEvent *ev = gst_harness_pull_event (r.h);
    gboolean marker;

    fail_unless (ev != NULL);
    marker = GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM;
    gst_event_unref (ev);
    if (marker)
      break;
  }
  rs_collect (&r);
  before = r.out_frames;
  /* the first half is drained only at the discontinuity */
  fail_unless (before < 24000);

  /* a one-second hole, no DISCONT flag */
  r.start = GST_SECOND;
  rs_push_all (&r, 44100 / 2, 1000, sine, &s);
  rs_finish (&r);
  /* The first half is drained to exactly 0.5 s; the timestamps then
   * restart at 1.5 s, where the input went on. */
  fail_unless_equals_int (r.ts_errors, 1);
  fail_unless_equals_uint64 (r.jump_at, 24000);
  fail_unless_equals_uint64 (r.jump_ts, 3 * GST_SECOND / 2);
  fail_unless_equals_uint64 (r.out_frames, 48000);
  rs_close (&r);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* The timeline at a playback rate: what a sink sees */

typedef struct
{
  guint buffers;
  gboolean rates_seen[2];       /* applied_rate 1.0, 2.0 */
  GstClockTime last_stream_end, last_running_end;
  GstClockTimeDiff worst_stream_jump, worst_running_jump;
} Timeline;

static GstPadProbeReturn
note_timeline (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Timeline *t = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;
  GstClockTime pts = GST_BUFFER_PTS (buf), end = pts + GST_BUFFER_DURATION
      (buf);

  fail_unless (event != NULL);
  gst_event_parse_segment (event, &seg);
  /* 1.0, 2.0, or in between for the buffer over which a change glides. */
  fail_unless (seg->applied_rate >= 1.0 && seg->applied_rate <= 2.0,
      "applied_rate %f", seg->applied_rate);
  if (seg->applied_rate == 1.0 || seg->applied_rate == 2.0)
    t->rates_seen[seg->applied_rate == 2.0] = TRUE;
  if (t->buffers > 0) {
    t->worst_stream_jump = MAX (t->worst_stream_jump,
        ABS (GST_CLOCK_DIFF (t->last_stream_end,
                gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts))));
    t->worst_running_jump = MAX (t->worst_running_jump,
        ABS (GST_CLOCK_DIFF (t->last_running_end,
                gst_segment_to_running_time (seg, GST_FORMAT_TIME, pts))));
  }
  t->last_stream_end = gst_segment_to_stream_time (seg, GST_FORMAT_TIME, end);
  t->last_running_end = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      end);
  t->buffers++;
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* On the source's thread: the deck's speed goes to 2.0 after 1 s. */
static GstPadProbeReturn
speed_up_after_one_second (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  if (GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)) >= GST_SECOND) {
    g_object_set (user_data, "playback-rate", 2.0, NULL);
    return GST_PAD_PROBE_REMOVE;
  }
  return GST_PAD_PROBE_OK;
}

/* Runs 2 s of a tone through kithararesample at @rate (changed to 2.0 at
 * input time 1 s if @change) and returns what the sink saw. */
static Timeline
run_timeline (gdouble rate, gboolean change)
{
  GstElement *p = kc_parse ("audiotestsrc num-buffers=200 "
      "samplesperbuffer=480 ! audio/x-raw,format=F32LE,rate=48000,channels=2"
      " ! kithararesample name=r ! fakesink name=sink sync=false");
  GstElement *r = kc_child (p, "r");
  GstPad *in = gst_element_get_static_pad (r, "sink");
  GstPad *out = gst_element_get_static_pad (kc_child (p, "sink"), "sink");
  Timeline t = { 0, };

  gst_util_set_object_arg (G_OBJECT (r), "engine", engines[engine]);
  g_object_set (r, "playback-rate", rate, NULL);
  gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, note_timeline, &t, NULL);
  if (change)
    gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER,
        speed_up_after_one_second, r, NULL);
  kc_set_state_sync (p, GST_STATE_PLAYING);
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (in);
  gst_object_unref (out);
  gst_object_unref (p);
  GST_INFO ("%u buffers, stream time at the end %" GST_TIME_FORMAT
      ", running time %" GST_TIME_FORMAT ", largest jumps %"
      GST_STIME_FORMAT " / %" GST_STIME_FORMAT, t.buffers,
      GST_TIME_ARGS (t.last_stream_end), GST_TIME_ARGS (t.last_running_end),
      GST_STIME_ARGS (t.worst_stream_jump),
      GST_STIME_ARGS (t.worst_running_jump));
  return t;
}

#define NEAR(a, b, tolerance) (ABS (GST_CLOCK_DIFF ((a), (b))) <= (tolerance))

/* At playback-rate 2.0 a 2 s stream lasts 1 s of running time and its
 * stream time (position) still goes to 2 s: the output segment carries
 * the rate (applied_rate), so that position, duration and seeks stay in
 * the stream's own time. */
ENGINE_TEST (test_playback_rate_keeps_stream_time)
{
  Timeline t = run_timeline (2.0, FALSE);

  fail_unless (t.rates_seen[1] && !t.rates_seen[0]);
  fail_unless (NEAR (t.last_running_end, GST_SECOND, GST_MSECOND),
      "running time %" GST_TIME_FORMAT, GST_TIME_ARGS (t.last_running_end));
  fail_unless (NEAR (t.last_stream_end, 2 * GST_SECOND, 2 * GST_MSECOND),
      "stream time %" GST_TIME_FORMAT, GST_TIME_ARGS (t.last_stream_end));
  /* Within a frame of the output, buffer after buffer. */
  fail_unless (t.worst_running_jump <= 42 * GST_USECOND);
  fail_unless (t.worst_stream_jump <= 42 * GST_USECOND);
}

GST_END_TEST;

/* A speed change while playing starts a new segment where the output
 * is: running time and stream time go on without a jump; about 1 s at
 * 1.0 and 1 s at 2.0 last about 1.5 s and end at stream time 2 s. */
ENGINE_TEST (test_playback_rate_change_continues_time)
{
  Timeline t = run_timeline (1.0, TRUE);

  fail_unless (t.rates_seen[0] && t.rates_seen[1]);
  /* The change applies from the next buffer the worker takes: those
   * still queued in the inlet (50 ms and a buffer at most) play fast
   * too, and the worker may be behind: 1.45 s up to all of 2 s. */
  fail_unless (t.last_running_end >= 1450 * GST_MSECOND &&
      t.last_running_end <= 2 * GST_SECOND,
      "running time %" GST_TIME_FORMAT, GST_TIME_ARGS (t.last_running_end));
  /* The change is placed on the output as the converter releases it,
   * which can be a few frames off the glide's own buffer: 2 ms. */
  fail_unless (NEAR (t.last_stream_end, 2 * GST_SECOND, 2 * GST_MSECOND),
      "stream time %" GST_TIME_FORMAT, GST_TIME_ARGS (t.last_stream_end));
  fail_unless (t.worst_running_jump <= 42 * GST_USECOND,
      "running time jumps %" GST_STIME_FORMAT,
      GST_STIME_ARGS (t.worst_running_jump));
  fail_unless (t.worst_stream_jump <= 42 * GST_USECOND,
      "stream time jumps %" GST_STIME_FORMAT,
      GST_STIME_ARGS (t.worst_stream_jump));
}

GST_END_TEST;

#define N_ENGINES G_N_ELEMENTS (engines)

static Suite *
kithararesample_suite (void)
{
  Suite *s = suite_create ("kithararesample");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_snr, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_hold_decimating, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_bandwidth, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_long_stream_no_drift, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_impulse_alignment, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_playback_rate_ramp, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_flush_seek, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_speed_change_then_cue, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_caps_change, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_passthrough, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_s16, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_latency, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_bad_ratio, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_quality_change, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_engine_change, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_converter_measured_once, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_discont, 0, N_ENGINES);
  tcase_add_loop_test (tc, test_playback_rate_keeps_stream_time, 0,
      N_ENGINES);
  tcase_add_loop_test (tc, test_playback_rate_change_continues_time, 0,
      N_ENGINES);
  return s;
}

KITHARA_CHECK_MAIN (kithararesample);
