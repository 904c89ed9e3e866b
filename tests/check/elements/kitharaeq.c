/* kitharaeq tests: measured magnitude response of every band type against
 * the analytic biquad response, exact bypass, isolator kills and flat sum,
 * click-free gain steps, controller bindings, independent channels, the
 * child proxy and band layouts.
 *
 * Audio is generated here (sine tones whose frequencies are whole numbers
 * of periods in the measurement window, so an RMS ratio is exact), pushed
 * through a GstHarness from this thread and pulled back from the worker.
 * Expected responses are computed here from the cookbook formulas,
 * independently of the element's code.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <complex.h>
#include <math.h>
#include <string.h>

#include "../kitharacheck.h"

#define RATE 48000
#define CHUNK 480               /* frames per pushed buffer: 10 ms */
#define MAX_CHANNELS 8

/* ------------------------------------------------------------------ */
/* reference filters */

typedef enum
{
  LOW_SHELF,
  PEAKING,
  HIGH_SHELF,
  LOW_PASS,
  HIGH_PASS,
  ALL_PASS,
} Shape;

static const gchar *shape_nicks[] = { "low-shelf", "peaking", "high-shelf",
  "low-pass", "high-pass"
};

/* R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter
 * coefficients" (unnormalised: b[0..2], a[0..2]). */
static void
cookbook (Shape shape, double f0, double q, double gain_db, double fs,
    double b[3], double a[3])
{
  double A = pow (10.0, gain_db / 40.0);
  double w0 = 2.0 * M_PI * f0 / fs;
  double alpha = sin (w0) / (2.0 * q);
  double c = cos (w0);

  switch (shape) {
    case LOW_SHELF:
      b[0] = A * ((A + 1) - (A - 1) * c + 2 * sqrt (A) * alpha);
      b[1] = 2 * A * ((A - 1) - (A + 1) * c);
      b[2] = A * ((A + 1) - (A - 1) * c - 2 * sqrt (A) * alpha);
      a[0] = (A + 1) + (A - 1) * c + 2 * sqrt (A) * alpha;
      a[1] = -2 * ((A - 1) + (A + 1) * c);
      a[2] = (A + 1) + (A - 1) * c - 2 * sqrt (A) * alpha;
      break;
    case PEAKING:
      b[0] = 1 + alpha * A;
      b[1] = -2 * c;
      b[2] = 1 - alpha * A;
      a[0] = 1 + alpha / A;
      a[1] = -2 * c;
      a[2] = 1 - alpha / A;
      break;
    case HIGH_SHELF:
      b[0] = A * ((A + 1) + (A - 1) * c + 2 * sqrt (A) * alpha);
      b[1] = -2 * A * ((A - 1) + (A + 1) * c);
      b[2] = A * ((A + 1) + (A - 1) * c - 2 * sqrt (A) * alpha);
      a[0] = (A + 1) - (A - 1) * c + 2 * sqrt (A) * alpha;
      a[1] = 2 * ((A - 1) - (A + 1) * c);
      a[2] = (A + 1) - (A - 1) * c - 2 * sqrt (A) * alpha;
      break;
    case LOW_PASS:
      b[0] = (1 - c) / 2;
      b[1] = 1 - c;
      b[2] = (1 - c) / 2;
      a[0] = 1 + alpha;
      a[1] = -2 * c;
      a[2] = 1 - alpha;
      break;
    case HIGH_PASS:
      b[0] = (1 + c) / 2;
      b[1] = -(1 + c);
      b[2] = (1 + c) / 2;
      a[0] = 1 + alpha;
      a[1] = -2 * c;
      a[2] = 1 - alpha;
      break;
    case ALL_PASS:
    default:
      b[0] = 1 - alpha;
      b[1] = -2 * c;
      b[2] = 1 + alpha;
      a[0] = 1 + alpha;
      a[1] = -2 * c;
      a[2] = 1 - alpha;
      break;
  }
}

/* H(e^jw) of the cookbook filter at @f. */
static double complex
shape_response (Shape shape, double f0, double q, double gain_db, double fs,
    double f)
{
  double b[3], a[3];
  double complex z1 = cexp (-I * 2.0 * M_PI * f / fs), z2 = z1 * z1;

  cookbook (shape, f0, q, gain_db, fs, b, a);
  return (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2);
}

/* The isolator: LR4 (Butterworth squared) crossovers at the geometric
 * means of the centres, the low band through the upper crossover's
 * all-pass; @g are linear band gains. */
static double complex
isolator_response (const double centres[3], const double g[3], double fs,
    double f)
{
  double lo = sqrt (centres[0] * centres[1]);
  double hi = sqrt (centres[1] * centres[2]);
  double q = M_SQRT1_2;
  double complex lp_lo = shape_response (LOW_PASS, lo, q, 0, fs, f);
  double complex hp_lo = shape_response (HIGH_PASS, lo, q, 0, fs, f);
  double complex lp_hi = shape_response (LOW_PASS, hi, q, 0, fs, f);
  double complex hp_hi = shape_response (HIGH_PASS, hi, q, 0, fs, f);
  double complex ap_hi = shape_response (ALL_PASS, hi, q, 0, fs, f);

  return g[0] * lp_lo * lp_lo * ap_hi + g[1] * hp_lo * hp_lo * lp_hi * lp_hi
      + g[2] * hp_lo * hp_lo * hp_hi * hp_hi;
}

static double
db (double ratio)
{
  return 20.0 * log10 (ratio);
}

/* ------------------------------------------------------------------ */
/* signals */

typedef double (*SignalFunc) (guint channel, guint64 frame, gpointer data);

typedef struct
{
  guint rate;
  double freq[MAX_CHANNELS];
  double amp[MAX_CHANNELS];
} Tones;

static double
tone (guint channel, guint64 frame, gpointer data)
{
  const Tones *t = data;

  /* fmod of an exact product keeps the phase exact for long streams */
  return t->amp[channel] * sin (2.0 * M_PI *
      fmod (t->freq[channel] * (double) frame, t->rate) / t->rate);
}

/* Deterministic noise plus a tone, different on every channel. */
static double
noise (guint channel, guint64 frame, gpointer data)
{
  guint32 x = (guint32) frame * 2654435761u ^ (channel + 1) * 40503u;

  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return (x / 4294967296.0 - 0.5) * 0.5 +
      0.3 * sin (2.0 * M_PI * (100.0 + 300.0 * channel) * frame / RATE);
}

/* ------------------------------------------------------------------ */
/* harness */

typedef struct
{
  GstHarness *h;
  GstElement *eq;
  gboolean f64;
  guint channels;
  guint rate;
  guint64 pos;                  /* frames pushed */
} Eq;

/* Sets "name=value" pairs separated by spaces, "band0::gain=-6" style.
 * (Not through gst_parse_launch(): GStreamer 1.22's parser keeps a
 * reference to every child it sets a property on.) */
static void
apply_props (GstElement * element, const gchar * props)
{
  gchar **pairs = g_strsplit (props ? props : "", " ", -1);
  guint i;

  for (i = 0; pairs[i]; i++) {
    gchar **kv = g_strsplit (pairs[i], "=", 2);
    GObject *target = NULL;
    GParamSpec *pspec = NULL;

    if (kv[0] && kv[0][0] != '\0') {
      fail_unless (kv[1] != NULL, "bad property %s", pairs[i]);
      fail_unless (gst_child_proxy_lookup (GST_CHILD_PROXY (element), kv[0],
              &target, &pspec), "no property %s", kv[0]);
      gst_util_set_object_arg (target, pspec->name, kv[1]);
      g_object_unref (target);
    }
    g_strfreev (kv);
  }
  g_strfreev (pairs);
}

static void
eq_open (Eq * e, const gchar * props, gboolean f64, guint channels, guint rate)
{
  gchar *caps = g_strdup_printf ("audio/x-raw,format=%s,rate=%u,"
      "channels=%u,layout=interleaved,channel-mask=(bitmask)0",
      f64 ? "F64LE" : "F32LE", rate, channels);

  memset (e, 0, sizeof (Eq));
  e->eq = gst_element_factory_make ("kitharaeq", NULL);
  fail_unless (e->eq != NULL);
  gst_object_ref_sink (e->eq);
  apply_props (e->eq, props);
  e->h = gst_harness_new_with_element (e->eq, "sink", "src");
  e->f64 = f64;
  e->channels = channels;
  e->rate = rate;
  gst_harness_set_src_caps_str (e->h, caps);
  g_free (caps);
}

static void
eq_close (Eq * e)
{
  gst_harness_teardown (e->h);
  gst_object_unref (e->eq);
}

static GstBuffer *
make_buffer (Eq * e, guint frames, SignalFunc signal, gpointer data)
{
  gsize width = e->f64 ? sizeof (double) : sizeof (float);
  GstBuffer *buf = gst_buffer_new_allocate (NULL,
      (gsize) frames * e->channels * width, NULL);
  GstMapInfo map;
  guint i, ch;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < frames; i++) {
    for (ch = 0; ch < e->channels; ch++) {
      double v = signal (ch, e->pos + i, data);

      if (e->f64)
        ((double *) map.data)[i * e->channels + ch] = v;
      else
        ((float *) map.data)[i * e->channels + ch] = (float) v;
    }
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (e->pos, GST_SECOND, e->rate);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (e->pos + frames,
      GST_SECOND, e->rate) - GST_BUFFER_PTS (buf);
  return buf;
}

/* Pushes @frames frames of @signal, a buffer at a time, pulling each
 * result; the output is stored in @out (interleaved) if not NULL. */
static void
eq_run (Eq * e, guint frames, SignalFunc signal, gpointer data, double *out)
{
  guint done = 0;

  while (done < frames) {
    guint n = MIN (CHUNK, frames - done), i;
    GstBuffer *res;
    GstMapInfo map;

    fail_unless_equals_int (gst_harness_push (e->h, make_buffer (e, n,
                signal, data)), GST_FLOW_OK);
    res = gst_harness_pull (e->h);
    fail_unless (res != NULL);
    gst_buffer_map (res, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, (gsize) n * e->channels *
        (e->f64 ? sizeof (double) : sizeof (float)));
    for (i = 0; out && i < n * e->channels; i++)
      out[(gsize) done * e->channels + i] = e->f64 ?
          ((double *) map.data)[i] : ((float *) map.data)[i];
    gst_buffer_unmap (res, &map);
    gst_buffer_unref (res);
    done += n;
    e->pos += n;
  }
}

static double
rms (const double *x, guint channels, guint channel, guint from, guint to)
{
  double sum = 0.0;
  guint i;

  for (i = from; i < to; i++)
    sum += x[(gsize) i * channels + channel] * x[(gsize) i * channels +
        channel];
  return sqrt (sum / (to - from));
}

/* Runs @frames frames of tones and returns each channel's gain (output
 * RMS over input RMS) over the last @window frames. */
static void
measure_gains (Eq * e, Tones * t, guint frames, guint window, double *gains)
{
  double *out = g_new (double, (gsize) frames * e->channels);
  guint ch;

  eq_run (e, frames, tone, t, out);
  for (ch = 0; ch < e->channels; ch++) {
    double in = t->amp[ch] / M_SQRT2;   /* whole periods in the window */

    gains[ch] = rms (out, e->channels, ch, frames - window, frames) / in;
  }
  g_free (out);
}

static void
set_band (GstElement * eq, guint band, const gchar * prop, const gchar * value)
{
  gchar *name = g_strdup_printf ("band%u", band);
  GObject *child = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (eq),
      name);

  fail_unless (child != NULL, "no %s", name);
  gst_util_set_object_arg (child, prop, value);
  g_object_unref (child);
  g_free (name);
}

/* ------------------------------------------------------------------ */
/* 1. magnitude response of each band type */

/* Multiples of 10 Hz: whole periods in a 100 ms window at 48 kHz. */
static const double test_freqs[] = { 20, 50, 100, 150, 200, 300, 500, 700,
  1000, 1500, 2000, 3000, 4000, 6000, 8000, 10000, 14000, 18000, 22000
};

typedef struct
{
  Shape shape;
  double freq, q, gain;
} BandCase;

static const BandCase band_cases[] = {
  {LOW_SHELF, 200.0, 0.7071, 9.0},
  {PEAKING, 1000.0, 2.0, -12.0},
  {HIGH_SHELF, 4000.0, 0.9, 6.0},
  {LOW_PASS, 2000.0, 0.7071, 6.0},      /* gain is ignored by passes */
  {HIGH_PASS, 300.0, 1.5, -6.0},
};

GST_START_TEST (test_band_response)
{
  const BandCase *c = &band_cases[__i__];
  gchar *props = g_strdup_printf ("num-bands=1 band0::type=%s "
      "band0::freq=%g band0::q=%g band0::gain=%g", shape_nicks[c->shape],
      c->freq, c->q, c->gain);
  double max_err = 0.0;
  Eq e;
  guint i;

  eq_open (&e, props, TRUE, 1, RATE);
  for (i = 0; i < G_N_ELEMENTS (test_freqs); i++) {
    Tones t = { RATE, {test_freqs[i]}, {0.5}
    };
    double gain, expected;

    /* 100 ms to ring in, then measure 100 ms */
    measure_gains (&e, &t, 9600, 4800, &gain);
    expected = cabs (shape_response (c->shape, c->freq, c->q,
            c->shape == LOW_PASS || c->shape == HIGH_PASS ? 0.0 : c->gain,
            RATE, test_freqs[i]));
    GST_INFO ("%s %g Hz: measured %.4f dB, expected %.4f dB",
        shape_nicks[c->shape], test_freqs[i], db (gain), db (expected));
    fail_unless (fabs (db (gain) - db (expected)) < 0.1,
        "%s at %g Hz: measured %.4f dB, expected %.4f dB",
        shape_nicks[c->shape], test_freqs[i], db (gain), db (expected));
    max_err = MAX (max_err, fabs (db (gain) - db (expected)));
  }
  g_print ("%s: max error %.2e dB over %u frequencies\n",
      shape_nicks[c->shape], max_err, (guint) G_N_ELEMENTS (test_freqs));
  eq_close (&e);
  g_free (props);
}

GST_END_TEST;

/* The default 10-band layout with several bands active at once is the
 * product of the band responses, on every channel: 1, 2 and 3 channels
 * (an odd count leaves a channel without a partner), each channel with
 * its own tone. */
static const guint cascade_channels[] = { 1, 2, 3 };

GST_START_TEST (test_cascade_response)
{
  static const double gains[10] = { 6, 0, -4, 0, 3, -8, 0, 5, 0, -3 };
  const guint channels = cascade_channels[__i__];
  const guint n_freqs = G_N_ELEMENTS (test_freqs);
  GString *props = g_string_new ("");
  double fc[10], q[10], max_err = 0.0;
  Shape shape[10];
  Eq e;
  guint i, b, ch;

  for (b = 0; b < 10; b++)
    g_string_append_printf (props, " band%u::gain=%g", b, gains[b]);
  eq_open (&e, props->str, TRUE, channels, RATE);
  for (b = 0; b < 10; b++) {
    gchar *name = g_strdup_printf ("band%u", b);
    GObject *band = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (e.eq),
        name);
    gint type;

    g_object_get (band, "freq", &fc[b], "q", &q[b], "type", &type, NULL);
    shape[b] = type;
    g_object_unref (band);
    g_free (name);
  }

  for (i = 0; i < n_freqs; i++) {
    Tones t = { RATE };
    double gain[MAX_CHANNELS];

    for (ch = 0; ch < channels; ch++) {
      t.freq[ch] = test_freqs[(i + 7 * ch) % n_freqs];
      t.amp[ch] = 0.5;
    }
    measure_gains (&e, &t, 9600, 4800, gain);
    for (ch = 0; ch < channels; ch++) {
      double complex h = 1.0;

      for (b = 0; b < 10; b++)
        h *= shape_response (shape[b], fc[b], q[b], gains[b], RATE, t.freq[ch]);
      fail_unless (fabs (db (gain[ch]) - db (cabs (h))) < 0.1,
          "channel %u, %g Hz: measured %.4f dB, expected %.4f dB", ch,
          t.freq[ch], db (gain[ch]), db (cabs (h)));
      max_err = MAX (max_err, fabs (db (gain[ch]) - db (cabs (h))));
    }
  }
  g_print ("10-band cascade, %u channel(s): max error %.2e dB\n", channels,
      max_err);
  eq_close (&e);
  g_string_free (props, TRUE);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 2. flat is exact */

static void
check_flat (Eq * e, guint frames)
{
  double *out = g_new (double, (gsize) frames * e->channels);
  guint64 start = e->pos;
  double max_diff = 0.0;
  guint i, ch;

  eq_run (e, frames, noise, NULL, out);
  for (i = 0; i < frames; i++) {
    for (ch = 0; ch < e->channels; ch++) {
      double in = noise (ch, start + i, NULL);

      if (!e->f64)
        in = (float) in;
      max_diff = MAX (max_diff, fabs (out[(gsize) i * e->channels + ch] - in));
    }
  }
  fail_unless (max_diff <= 1e-6, "%s %u channels: output differs from "
      "input by %g", e->f64 ? "F64" : "F32", e->channels, max_diff);
  g_free (out);
}

GST_START_TEST (test_flat_is_bypass)
{
  static const guint channel_counts[] = { 1, 2, 6 };
  guint f, c;

  for (f = 0; f < 2; f++) {
    for (c = 0; c < G_N_ELEMENTS (channel_counts); c++) {
      Eq e;

      eq_open (&e, NULL, f == 1, channel_counts[c], RATE);
      check_flat (&e, RATE / 4);

      /* After an excursion and back, once settled, it is exact again. */
      set_band (e.eq, 4, "gain", "-12");
      eq_run (&e, RATE / 10, noise, NULL, NULL);
      set_band (e.eq, 4, "gain", "0");
      eq_run (&e, RATE / 2, noise, NULL, NULL);
      check_flat (&e, RATE / 4);
      eq_close (&e);
    }
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 3. isolator */

static const double default_centres[3] = { 100.0, 1000.0, 10000.0 };

/* Kills band @kill mid-stream; returns the settled gains of the tones. */
static void
isolator_kill (Eq * e, Tones * t, gint kill, double *gains)
{
  if (kill >= 0)
    set_band (e->eq, kill, "gain", "-60");
  /* 300 ms for the gain to glide to an exact zero, then 100 ms. */
  measure_gains (e, t, 19200, 4800, gains);
  if (kill >= 0)
    set_band (e->eq, kill, "gain", "0");
}

GST_START_TEST (test_isolator_kill)
{
  /* Tones deep inside the low, mid and high bands, and at the centres. */
  Tones deep = { RATE, {40, 1000, 16000}, {0.5, 0.5, 0.5}
  };
  Tones centre = { RATE, {100, 1000, 10000}, {0.5, 0.5, 0.5}
  };
  double g[3], worst_kill = -1000.0, max_err = 0.0;
  Eq e;
  gint kill;
  guint ch;

  eq_open (&e, "mode=isolator", TRUE, 3, RATE);
  eq_run (&e, RATE / 5, tone, &deep, NULL);

  /* Low and high: a tone in the killed band is >= 60 dB down, the other
   * bands pass. */
  for (kill = 0; kill <= 2; kill += 2) {
    isolator_kill (&e, &deep, kill, g);
    for (ch = 0; ch < 3; ch++) {
      GST_INFO ("kill band%d: %g Hz at %.2f dB", kill, deep.freq[ch],
          db (g[ch]));
      if (ch == (guint) kill) {
        fail_unless (db (g[ch]) <= -60.0, "band%d killed: %g Hz only %.2f dB",
            kill, deep.freq[ch], db (g[ch]));
        worst_kill = MAX (worst_kill, db (g[ch]));
      } else {
        fail_unless (fabs (db (g[ch])) < 0.5, "band%d killed: %g Hz at "
            "%.2f dB", kill, deep.freq[ch], db (g[ch]));
      }
    }
  }

  /* At the band centres the residue is exactly what the other two bands
   * let through (the LR4 slopes), i.e. the killed band is gone. */
  for (kill = 0; kill < 3; kill++) {
    double gains[3] = { 1, 1, 1 };

    gains[kill] = 0.0;
    isolator_kill (&e, &centre, kill, g);
    for (ch = 0; ch < 3; ch++) {
      double expected = cabs (isolator_response (default_centres, gains,
              RATE, centre.freq[ch]));

      GST_INFO ("kill band%d: %g Hz at %.3f dB, expected %.3f dB", kill,
          centre.freq[ch], db (g[ch]), db (expected));
      fail_unless (fabs (db (g[ch]) - db (expected)) < 0.1,
          "kill band%d: %g Hz at %.3f dB, expected %.3f dB", kill,
          centre.freq[ch], db (g[ch]), db (expected));
      max_err = MAX (max_err, fabs (db (g[ch]) - db (expected)));
    }
  }
  eq_close (&e);

  /* Mid: with centres far enough apart a mid tone is >= 60 dB down too. */
  {
    Tones mid = { 96000, {630}, {0.5} };

    eq_open (&e, "mode=isolator band0::freq=10 band1::freq=632 "
        "band2::freq=40000", TRUE, 1, 96000);
    eq_run (&e, 96000 / 5, tone, &mid, NULL);
    set_band (e.eq, 1, "gain", "-24");  /* -24 dB is a kill already */
    measure_gains (&e, &mid, 38400, 9600, g);
    fail_unless (db (g[0]) <= -60.0, "mid killed: only %.2f dB", db (g[0]));
    worst_kill = MAX (worst_kill, db (g[0]));
    eq_close (&e);
  }
  g_print ("isolator: killed tones at most %.1f dB; band-centre residue "
      "within %.2e dB of the analytic LR4 response\n", worst_kill, max_err);
}

GST_END_TEST;

GST_START_TEST (test_isolator_sums_flat)
{
  static const double levels[] = { -6.0, 3.0 };
  double max_err = 0.0;
  guint l, i;

  for (l = 0; l < G_N_ELEMENTS (levels); l++) {
    gchar *props = g_strdup_printf ("mode=isolator band0::gain=%g "
        "band1::gain=%g band2::gain=%g", levels[l], levels[l], levels[l]);
    Eq e;

    eq_open (&e, props, TRUE, 1, RATE);
    for (i = 0; i < G_N_ELEMENTS (test_freqs); i++) {
      Tones t = { RATE, {test_freqs[i]}, {0.5}
      };
      double g;

      measure_gains (&e, &t, 9600, 4800, &g);
      fail_unless (fabs (db (g) - levels[l]) < 0.01,
          "%g Hz: %.4f dB instead of %g dB", test_freqs[i], db (g), levels[l]);
      max_err = MAX (max_err, fabs (db (g) - levels[l]));
    }
    eq_close (&e);
    g_free (props);
  }
  g_print ("isolator, equal band gains: flat within %.2e dB\n", max_err);
}

GST_END_TEST;

static double
silence (guint channel, guint64 frame, gpointer data)
{
  return 0.0;
}

/* The isolator bypasses (output == input) when flat from the start, and
 * again once it has been used, flat, and its input fell silent. */
GST_START_TEST (test_isolator_bypass)
{
  Eq e;

  eq_open (&e, "mode=isolator", TRUE, 2, RATE);
  check_flat (&e, RATE / 4);

  set_band (e.eq, 0, "gain", "-60");
  eq_run (&e, RATE / 10, noise, NULL, NULL);
  set_band (e.eq, 0, "gain", "0");
  eq_run (&e, RATE / 2, noise, NULL, NULL);
  eq_run (&e, RATE / 10, silence, NULL, NULL);
  check_flat (&e, RATE / 4);
  eq_close (&e);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 4. gain steps do not click */

typedef struct
{
  const gchar *props;
  gboolean isolator;
  Shape shape;                  /* the parametric band */
  double fc, q;
  guint band;                   /* the band stepped */
  double freq;                  /* the tone */
} StepCase;

static const StepCase step_cases[] = {
  {"num-bands=1 band0::freq=1000 band0::q=1", FALSE, PEAKING, 1000, 1, 0,
      1000},
  {"num-bands=1 band0::freq=1000 band0::q=4", FALSE, PEAKING, 1000, 4, 0,
      700},
  {"num-bands=1 band0::type=low-shelf band0::freq=300 band0::q=0.7071",
      FALSE, LOW_SHELF, 300, 0.7071, 0, 100},
  {"mode=isolator", TRUE, 0, 0, 0, 1, 1000},
  {"mode=isolator", TRUE, 0, 0, 0, 0, 100},
};

GST_START_TEST (test_gain_step_no_click)
{
  const StepCase *c = &step_cases[__i__];
  const double amp = 0.5;
  /* The first change lands on a crest of the sine, where a jump of the
   * gain would be largest. */
  const guint before = RATE / 10 + (guint) lround (RATE / (4.0 * c->freq));
  const guint after = RATE * 3 / 10, total = before + 2 * after;
  Tones t = { RATE, {c->freq}, {amp}
  };
  double *out = g_new (double, total);
  double limit = amp * 2.0 * M_PI * c->freq / RATE, max_step = 0.0;
  double level, expected;
  Eq e;
  guint i;

  /* Flat, then a step to -24 dB, then back to 0 dB, while streaming. */
  eq_open (&e, c->props, TRUE, 1, RATE);
  eq_run (&e, before, tone, &t, out);
  set_band (e.eq, c->band, "gain", "-24");
  eq_run (&e, after, tone, &t, out + before);
  set_band (e.eq, c->band, "gain", "0");
  eq_run (&e, after, tone, &t, out + before + after);

  for (i = 1; i < total; i++)
    max_step = MAX (max_step, fabs (out[i] - out[i - 1]));
  level = db (rms (out, 1, 0, before + after - 4800, before + after) /
      (amp / M_SQRT2));
  if (c->isolator) {
    double g[3] = { 1, 1, 1 };

    g[c->band] = 0.0;           /* -24 dB is a kill */
    expected = db (cabs (isolator_response (default_centres, g, RATE,
                c->freq)));
  } else {
    expected = db (cabs (shape_response (c->shape, c->fc, c->q, -24.0, RATE,
                c->freq)));
  }
  g_print ("step 0 -> -24 -> 0 dB (%s, band%u, %g Hz): largest sample step "
      "%.5f, sine's own %.5f; settled at %.2f dB (expected %.2f)\n",
      c->props, c->band, c->freq, max_step, limit, level, expected);

  /* The step took effect... */
  fail_unless (fabs (level - expected) < 0.1, "settled at %.2f dB, "
      "expected %.2f dB", level, expected);
  /* ...without a jump, both ways. */
  fail_unless (max_step <= limit, "click: step of %.5f > %.5f", max_step,
      limit);
  /* Back at 0 dB: the parametric EQ is exact again; the isolator is a
   * flat all-pass until the input falls silent (test_isolator_bypass). */
  if (strstr (c->props, "isolator")) {
    level = db (rms (out, 1, 0, total - 4800, total) / (amp / M_SQRT2));
    fail_unless (fabs (level) < 0.01, "back at %.3f dB", level);
  } else {
    for (i = total - 4800; i < total; i++)
      fail_unless (out[i] == tone (0, i, &t), "not flat again at %u", i);
  }

  eq_close (&e);
  g_free (out);
}

GST_END_TEST;

/* Without smoothing the same step would be a click: the check above can
 * fail.  A type change is not smoothed, which shows it. */
GST_START_TEST (test_step_detector_sees_clicks)
{
  Tones t = { RATE, {1000}, {0.5}
  };
  double *out = g_new (double, RATE / 5);
  double max_step = 0.0, limit = 0.5 * 2.0 * M_PI * 1000 / RATE;
  Eq e;
  guint i;

  eq_open (&e, "num-bands=1 band0::type=high-pass band0::freq=200", TRUE, 1,
      RATE);
  eq_run (&e, RATE / 10, tone, &t, out);
  set_band (e.eq, 0, "type", "low-pass");
  eq_run (&e, RATE / 10, tone, &t, out + RATE / 10);
  for (i = 1; i < RATE / 5; i++)
    max_step = MAX (max_step, fabs (out[i] - out[i - 1]));
  fail_unless (max_step > limit, "an abrupt change went unnoticed");
  eq_close (&e);
  g_free (out);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 5. controller */

GST_START_TEST (test_controller)
{
  Tones t = { RATE, {1000}, {0.5}
  };
  const guint frames = RATE / 2;
  double *out = g_new (double, frames);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = (GstTimedValueControlSource *) cs;
  GObject *band;
  double before, during, after, gain = 1.0;
  Eq e;

  eq_open (&e, "num-bands=1 band0::freq=1000 band0::q=1", TRUE, 1, RATE);
  band = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (e.eq), "band0");
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (tvcs, 0, 0.0);
  gst_timed_value_control_source_set (tvcs, 200 * GST_MSECOND, 0.0);
  gst_timed_value_control_source_set (tvcs, 300 * GST_MSECOND, -20.0);
  gst_object_add_control_binding (GST_OBJECT (band),
      gst_direct_control_binding_new_absolute (GST_OBJECT (band), "gain", cs));

  eq_run (&e, frames, tone, &t, out);
  before = db (rms (out, 1, 0, RATE / 10, RATE / 5) / (0.5 / M_SQRT2));
  during = db (rms (out, 1, 0, RATE / 4 - 240, RATE / 4 + 240) /
      (0.5 / M_SQRT2));
  after = db (rms (out, 1, 0, RATE * 2 / 5, RATE / 2) / (0.5 / M_SQRT2));
  g_print ("controller: %.2f dB before, %.2f dB half-way, %.2f dB after\n",
      before, during, after);
  fail_unless (fabs (before) < 0.01, "before: %.3f dB", before);
  fail_unless (during < -5.0 && during > -15.0, "half-way: %.3f dB", during);
  fail_unless (fabs (after + 20.0) < 0.1, "after: %.3f dB", after);

  /* The band's property follows the curve too. */
  g_object_get (band, "gain", &gain, NULL);
  fail_unless_equals_float (gain, -20.0);

  g_object_unref (band);
  gst_object_unref (cs);
  eq_close (&e);
  g_free (out);
}

GST_END_TEST;

/* The band parameters are read again only when a band property changed:
 * after a long steady stretch a change still takes effect in the very
 * next buffer, whether set directly or by a control binding added while
 * streaming. */
static gboolean
next_buffer_is_flat (Eq * e, Tones * t)
{
  double *out = g_new (double, CHUNK);
  guint64 pos = e->pos;
  gboolean flat = TRUE;
  guint i;

  eq_run (e, CHUNK, tone, t, out);
  for (i = 0; i < CHUNK; i++)
    flat = flat && out[i] == tone (0, pos + i, t);
  g_free (out);
  return flat;
}

GST_START_TEST (test_change_applies_at_next_buffer)
{
  static const struct
  {
    const gchar *props;
    guint band;
  } setups[] = {
    {"band5::freq=1000", 5},
    {"mode=isolator", 1},
  };
  Tones t = { RATE, {1000}, {0.5}
  };
  guint s;

  for (s = 0; s < G_N_ELEMENTS (setups); s++) {
    GstControlSource *cs;
    GObject *band;
    gchar *name;
    Eq e;

    eq_open (&e, setups[s].props, TRUE, 1, RATE);
    eq_run (&e, 20 * CHUNK, tone, &t, NULL);
    fail_unless (next_buffer_is_flat (&e, &t));
    set_band (e.eq, setups[s].band, "gain", "-12");
    fail_if (next_buffer_is_flat (&e, &t), "%s: a gain set between buffers "
        "was not applied to the next one", setups[s].props);
    eq_close (&e);

    eq_open (&e, setups[s].props, TRUE, 1, RATE);
    eq_run (&e, 20 * CHUNK, tone, &t, NULL);
    fail_unless (next_buffer_is_flat (&e, &t));
    name = g_strdup_printf ("band%u", setups[s].band);
    band = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (e.eq), name);
    cs = gst_interpolation_control_source_new ();
    gst_timed_value_control_source_set ((GstTimedValueControlSource *) cs, 0,
        -12.0);
    gst_object_add_control_binding (GST_OBJECT (band),
        gst_direct_control_binding_new_absolute (GST_OBJECT (band), "gain",
            cs));
    fail_if (next_buffer_is_flat (&e, &t), "%s: a control binding added "
        "between buffers was not applied to the next one", setups[s].props);
    g_object_unref (band);
    gst_object_unref (cs);
    g_free (name);
    eq_close (&e);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 6. channels are independent */

GST_START_TEST (test_channels_independent)
{
  Tones t = { RATE, {1000, 100, 5000, 0, 300}, {0.5, 0.4, 0.3, 0.0, 0.2} };
  const double fc = 1000.0, q = 2.0, gain = -12.0;
  const guint channels = 5, frames = 9600;
  double *out = g_new (double, (gsize) frames * channels);
  Eq e;
  guint ch, i;

  /* F32 this time; the channels carry different tones, one is silent. */
  eq_open (&e, "num-bands=1 band0::freq=1000 band0::q=2 band0::gain=-12",
      FALSE, channels, RATE);
  eq_run (&e, frames, tone, &t, out);
  for (ch = 0; ch < channels; ch++) {
    double g, expected;

    if (t.amp[ch] == 0.0) {
      for (i = 0; i < frames; i++)
        fail_unless (out[(gsize) i * channels + ch] == 0.0,
            "silent channel %u got signal", ch);
      continue;
    }
    g = rms (out, channels, ch, frames - 4800, frames) / (t.amp[ch] / M_SQRT2);
    expected = cabs (shape_response (PEAKING, fc, q, gain, RATE, t.freq[ch]));
    GST_INFO ("channel %u (%g Hz): %.4f dB, expected %.4f dB", ch,
        t.freq[ch], db (g), db (expected));
    /* F32 output: a little more rounding than F64. */
    fail_unless (fabs (db (g) - db (expected)) < 0.1,
        "channel %u (%g Hz): %.4f dB, expected %.4f dB", ch, t.freq[ch],
        db (g), db (expected));
  }
  eq_close (&e);
  g_free (out);
}

GST_END_TEST;

GST_START_TEST (test_isolator_channels_independent)
{
  Tones t = { RATE, {40, 1000, 16000, 40, 1000, 16000},
  {0.5, 0.5, 0.5, 0.25, 0.25, 0.25}
  };
  double g[6];
  Eq e;
  guint ch;

  eq_open (&e, "mode=isolator band0::gain=-60", FALSE, 6, RATE);
  measure_gains (&e, &t, 9600, 4800, g);
  for (ch = 0; ch < 6; ch++) {
    if (ch % 3 == 0)
      fail_unless (db (g[ch]) < -60.0, "channel %u: low at %.2f dB", ch,
          db (g[ch]));
    else
      fail_unless (fabs (db (g[ch])) < 0.5, "channel %u: %.2f dB", ch,
          db (g[ch]));
  }
  eq_close (&e);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* bands as children, layouts, flush */

GST_START_TEST (test_child_proxy_and_layouts)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  GstChildProxy *proxy = GST_CHILD_PROXY (eq);
  double freq, prev = 0.0, gain;
  guint n, i;
  gint type, mode;

  fail_unless (eq != NULL);
  g_object_get (eq, "num-bands", &n, NULL);
  fail_unless_equals_int (n, 10);
  fail_unless_equals_int (gst_child_proxy_get_children_count (proxy), 10);

  /* Log-spaced over 20 Hz - 20 kHz, shelves at the ends. */
  for (i = 0; i < 10; i++) {
    gchar *path = g_strdup_printf ("band%u::freq", i);
    gchar *tpath = g_strdup_printf ("band%u::type", i);

    gst_child_proxy_get (proxy, path, &freq, tpath, &type, NULL);
    fail_unless (freq > 20.0 && freq < 20000.0);
    if (i > 0)
      fail_unless (fabs (freq / prev - pow (1000.0, 0.1)) < 1e-9);
    fail_unless_equals_int (type, i == 0 ? LOW_SHELF : i == 9 ? HIGH_SHELF :
        PEAKING);
    prev = freq;
    g_free (path);
    g_free (tpath);
  }

  gst_child_proxy_set (proxy, "band3::gain", -6.0, NULL);
  gst_child_proxy_get (proxy, "band3::gain", &gain, NULL);
  fail_unless_equals_float (gain, -6.0);

  g_object_set (eq, "num-bands", 5, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count (proxy), 5);
  gst_child_proxy_get (proxy, "band3::gain", &gain, NULL);
  fail_unless_equals_float (gain, 0.0);

  /* Isolator: three bands, num-bands fixed; back to parametric keeps the
   * parametric band count. */
  gst_util_set_object_arg (G_OBJECT (eq), "mode", "isolator");
  g_object_get (eq, "num-bands", &n, "mode", &mode, NULL);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (mode, 1);
  gst_child_proxy_get (proxy, "band0::freq", &freq, NULL);
  fail_unless_equals_float (freq, 100.0);
  gst_child_proxy_get (proxy, "band2::freq", &freq, NULL);
  fail_unless_equals_float (freq, 10000.0);
  g_object_set (eq, "num-bands", 7, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count (proxy), 3);
  g_object_set (eq, "mode", 0, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count (proxy), 5);

  g_object_set (eq, "num-bands", 64, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count (proxy), 64);
  g_object_set (eq, "num-bands", 1, NULL);
  gst_child_proxy_get (proxy, "band0::type", &type, NULL);
  fail_unless_equals_int (type, PEAKING);

  gst_object_unref (eq);
}

GST_END_TEST;

/* Replacing the bands while streaming is safe and takes effect. */
GST_START_TEST (test_layout_change_while_streaming)
{
  Tones t = { RATE, {1000, 40}, {0.5, 0.5}
  };
  double g[2];
  Eq e;

  eq_open (&e, "band5::gain=-12", FALSE, 2, RATE);
  eq_run (&e, RATE / 10, tone, &t, NULL);
  g_object_set (e.eq, "num-bands", 31, NULL);
  measure_gains (&e, &t, 9600, 4800, g);
  fail_unless (fabs (db (g[0])) < 1e-6 && fabs (db (g[1])) < 1e-6);

  gst_util_set_object_arg (G_OBJECT (e.eq), "mode", "isolator");
  set_band (e.eq, 0, "gain", "-30");
  measure_gains (&e, &t, 19200, 4800, g);
  fail_unless (fabs (db (g[0])) < 0.5, "1 kHz at %.2f dB", db (g[0]));
  fail_unless (db (g[1]) < -60.0, "40 Hz at %.2f dB", db (g[1]));

  g_object_set (e.eq, "mode", 0, "num-bands", 1, NULL);
  set_band (e.eq, 0, "gain", "-12");
  set_band (e.eq, 0, "freq", "1000");
  measure_gains (&e, &t, 9600, 4800, g);
  fail_unless (fabs (db (g[0]) + 12.0) < 0.01, "1 kHz at %.2f dB", db (g[0]));
  eq_close (&e);
}

GST_END_TEST;

/* Band settings survive a flushing seek; so does processing. */
GST_START_TEST (test_gains_survive_flush)
{
  Tones t = { RATE, {1000}, {0.5}
  };
  double g;
  Eq e;

  eq_open (&e, "num-bands=1 band0::freq=1000 band0::gain=-12", TRUE, 1, RATE);
  measure_gains (&e, &t, 9600, 4800, &g);
  fail_unless (fabs (db (g) + 12.0) < 0.01);

  fail_unless (gst_harness_push_event (e.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (e.h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (e.h,
            gst_event_new_segment (&segment)));
  }
  e.pos = 0;
  measure_gains (&e, &t, 9600, 4800, &g);
  fail_unless (fabs (db (g) + 12.0) < 0.01, "after flush: %.3f dB", db (g));
  eq_close (&e);
}

GST_END_TEST;

/* A non-finite input sample never poisons the filters: it is processed
 * as silence, so the output is exactly that of the same input with a zero
 * there, finite everywhere, in both modes and formats. */
typedef struct
{
  Tones tones;
  guint64 at;
  gboolean poison;
} Poisoned;

static double
poisoned (guint channel, guint64 frame, gpointer data)
{
  const Poisoned *p = data;

  if (frame == p->at)
    return p->poison ? (channel % 2 ? INFINITY : NAN) : 0.0;
  return tone (channel, frame, (gpointer) & p->tones);
}

static void
check_non_finite (const gchar * props, gboolean f64)
{
  Poisoned p = { {RATE, {1000, 3000}, {0.5, 0.5}}, 1000, TRUE };
  guint frames = 4800, i;
  double *bad = g_new (double, frames * 2), *clean = g_new (double, frames * 2);
  Eq e;

  eq_open (&e, props, f64, 2, RATE);
  eq_run (&e, frames, poisoned, &p, bad);
  eq_close (&e);
  p.poison = FALSE;
  eq_open (&e, props, f64, 2, RATE);
  eq_run (&e, frames, poisoned, &p, clean);
  eq_close (&e);

  for (i = 0; i < frames * 2; i++) {
    fail_unless (isfinite (bad[i]), "%s: sample %u is %g", props, i, bad[i]);
    fail_unless (bad[i] == clean[i], "%s: sample %u: %g, not %g", props, i,
        bad[i], clean[i]);
  }
  g_free (bad);
  g_free (clean);
}

GST_START_TEST (test_non_finite_input)
{
  check_non_finite ("band3::gain=-12 band6::gain=9", FALSE);
  check_non_finite ("band3::gain=-12 band6::gain=9", TRUE);
  check_non_finite ("mode=isolator band0::gain=-60", FALSE);
  check_non_finite ("mode=isolator band2::gain=6", TRUE);
}

GST_END_TEST;

/* F64 input goes as low as denormals, which the filters' arithmetic turns
 * slow: they are flushed to zero on the way in. */
static double
denormal (guint channel, guint64 frame, gpointer data)
{
  return (frame % 2 ? 1.0 : -1.0) * 1e-310;
}

GST_START_TEST (test_f64_denormals_flushed)
{
  guint frames = 4800, i;
  double *out = g_new (double, frames);
  Eq e;

  eq_open (&e, "band3::gain=-12 band6::gain=9", TRUE, 1, RATE);
  eq_run (&e, frames, denormal, NULL, out);
  for (i = 0; i < frames; i++)
    fail_unless (out[i] == 0.0, "sample %u is %g", i, out[i]);
  eq_close (&e);
  g_free (out);
}

GST_END_TEST;

/* Two threads replace the layout (num-bands, mode) while a third walks
 * the bands through the child proxy. */
typedef struct
{
  GstElement *eq;
  guint seed;
  gint stop;                    /* atomic */
} LayoutRace;

static gpointer
change_layouts (gpointer data)
{
  LayoutRace *r = data;
  GRand *rand = g_rand_new_with_seed (r->seed);
  guint i;

  for (i = 0; i < 2000; i++) {
    if (g_rand_int_range (rand, 0, 4) == 0)
      g_object_set (r->eq, "mode", g_rand_int_range (rand, 0, 2), NULL);
    else
      g_object_set (r->eq, "num-bands", g_rand_int_range (rand, 1, 24), NULL);
  }
  g_rand_free (rand);
  return NULL;
}

static gpointer
walk_bands (gpointer data)
{
  LayoutRace *r = data;
  GstChildProxy *proxy = GST_CHILD_PROXY (r->eq);

  while (!g_atomic_int_get (&r->stop)) {
    guint n = gst_child_proxy_get_children_count (proxy), i;

    for (i = 0; i < n; i++) {
      GObject *band = gst_child_proxy_get_child_by_index (proxy, i);

      if (band) {
        gdouble gain;

        g_object_get (band, "gain", &gain, NULL);
        g_object_unref (band);
      }
    }
  }
  return NULL;
}

GST_START_TEST (test_layout_from_threads)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  LayoutRace a = { eq, 1, 0 }, b = { eq, 2, 0 }, w = { eq, 3, 0 };
  GThread *ta, *tb, *tw;
  guint n;

  ta = g_thread_new ("layout-a", change_layouts, &a);
  tb = g_thread_new ("layout-b", change_layouts, &b);
  tw = g_thread_new ("walker", walk_bands, &w);
  g_thread_join (ta);
  g_thread_join (tb);
  g_atomic_int_set (&w.stop, 1);
  g_thread_join (tw);

  /* Whatever order they came in, the layout is whole. */
  g_object_get (eq, "num-bands", &n, NULL);
  fail_unless_equals_int (gst_child_proxy_get_children_count
      (GST_CHILD_PROXY (eq)), n);
  gst_object_unref (eq);
}

GST_END_TEST;

/* Full pipelines with a foreign upstream thread.  The band properties
 * are set through the child proxy rather than in the description (see
 * apply_props()). */
GST_START_TEST (test_pipeline)
{
  static const gchar *lines[] = {
    "audiotestsrc num-buffers=50 ! audio/x-raw,format=F32LE ! "
        "kitharaeq name=eq ! fakesink",
    "audiotestsrc num-buffers=50 ! audio/x-raw,format=F64LE,channels=6 ! "
        "kitharaeq name=eq mode=isolator ! fakesink",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lines); i++) {
    GstElement *p = gst_parse_launch (lines[i], NULL), *eq;
    GstMessage *msg;

    fail_unless (p != NULL);
    eq = gst_bin_get_by_name (GST_BIN (p), "eq");
    gst_child_proxy_set (GST_CHILD_PROXY (eq), i == 0 ? "band3::gain" :
        "band0::gain", i == 0 ? -12.0 : -60.0, NULL);
    gst_object_unref (eq);
    gst_element_set_state (p, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
    gst_message_unref (msg);
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (p);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* GstPreset */

static gdouble
band_gain (GstElement * eq, guint band)
{
  gchar *name = g_strdup_printf ("band%u::gain", band);
  gdouble gain = G_MAXDOUBLE;

  gst_child_proxy_get (GST_CHILD_PROXY (eq), name, &gain, NULL);
  g_free (name);
  return gain;
}

/* As equalizer-nbands: a preset saves the bands and loads them back,
 * also into an element that has another number of bands now; runtime
 * properties are not part of it. */
GST_START_TEST (test_preset_round_trip)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  GstElement *other = gst_element_factory_make ("kitharaeq", NULL);
  gchar **names, **props;
  guint bands = 0;

  fail_unless (GST_IS_PRESET (eq));
  g_object_set (eq, "num-bands", 5, "context", "preset-test", NULL);
  gst_child_proxy_set (GST_CHILD_PROXY (eq), "band1::gain", 4.5,
      "band4::gain", -7.0, NULL);
  fail_unless (gst_preset_save_preset (GST_PRESET (eq), "kithara-test"));

  props = gst_preset_get_property_names (GST_PRESET (eq));
  fail_unless (g_strv_contains ((const gchar * const *) props, "num-bands"));
  fail_unless (g_strv_contains ((const gchar * const *) props,
          "band4::gain"));
  fail_if (g_strv_contains ((const gchar * const *) props, "context"));
  g_strfreev (props);

  names = gst_preset_get_preset_names (GST_PRESET (other));
  fail_unless (g_strv_contains ((const gchar * const *) names,
          "kithara-test"));
  g_strfreev (names);
  fail_unless (gst_preset_load_preset (GST_PRESET (other), "kithara-test"));
  g_object_get (other, "num-bands", &bands, NULL);
  fail_unless_equals_int (bands, 5);
  fail_unless_equals_float (band_gain (other, 1), 4.5);
  fail_unless_equals_float (band_gain (other, 4), -7.0);
  fail_unless_equals_float (band_gain (other, 0), 0.0);

  fail_unless (gst_preset_delete_preset (GST_PRESET (eq), "kithara-test"));
  gst_object_unref (eq);
  gst_object_unref (other);
}

GST_END_TEST;

/* The shipped presets (docs/kitharaeq.md) load, and shape the response
 * as their names say: Bass Boost raises the lowest band only. */
GST_START_TEST (test_shipped_presets)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  gchar **names = gst_preset_get_preset_names (GST_PRESET (eq));
  const gchar *expected[] = { "Flat", "Bass Boost", "Treble Boost",
    "Bass and Treble", "Vocal", "Rock", "Pop", "Classical", "Dance",
    "Headphones"
  };
  guint i, bands = 0;

  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    fail_unless (names && g_strv_contains ((const gchar * const *) names,
            expected[i]), "no preset %s", expected[i]);
  g_strfreev (names);

  fail_unless (gst_preset_load_preset (GST_PRESET (eq), "Bass Boost"));
  g_object_get (eq, "num-bands", &bands, NULL);
  fail_unless_equals_int (bands, 10);
  fail_unless (band_gain (eq, 0) > 3.0);
  fail_unless_equals_float (band_gain (eq, 9), 0.0);
  fail_unless (gst_preset_load_preset (GST_PRESET (eq), "Flat"));
  for (i = 0; i < 10; i++)
    fail_unless_equals_float (band_gain (eq, i), 0.0);
  gst_object_unref (eq);
}

GST_END_TEST;

static Suite *
kitharaeq_suite (void)
{
  Suite *s = suite_create ("kitharaeq");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_band_response, 0, G_N_ELEMENTS (band_cases));
  tcase_add_loop_test (tc, test_cascade_response, 0,
      G_N_ELEMENTS (cascade_channels));
  tcase_add_test (tc, test_flat_is_bypass);
  tcase_add_test (tc, test_isolator_kill);
  tcase_add_test (tc, test_isolator_sums_flat);
  tcase_add_test (tc, test_isolator_bypass);
  tcase_add_loop_test (tc, test_gain_step_no_click, 0,
      G_N_ELEMENTS (step_cases));
  tcase_add_test (tc, test_step_detector_sees_clicks);
  tcase_add_test (tc, test_controller);
  tcase_add_test (tc, test_change_applies_at_next_buffer);
  tcase_add_test (tc, test_channels_independent);
  tcase_add_test (tc, test_isolator_channels_independent);
  tcase_add_test (tc, test_child_proxy_and_layouts);
  tcase_add_test (tc, test_layout_change_while_streaming);
  tcase_add_test (tc, test_gains_survive_flush);
  tcase_add_test (tc, test_non_finite_input);
  tcase_add_test (tc, test_f64_denormals_flushed);
  tcase_add_test (tc, test_layout_from_threads);
  tcase_add_test (tc, test_pipeline);
  tcase_add_test (tc, test_preset_round_trip);
  tcase_add_test (tc, test_shipped_presets);
  return s;
}

KITHARA_CHECK_MAIN (kitharaeq);
