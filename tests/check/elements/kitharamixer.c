/* kitharamixer tests: the mix is the sum of the decks times their volumes,
 * the process runs on a fixed number of threads whatever the number of
 * decks, heard inputs make their chains audible, volume changes glide,
 * seeks restart every input, late blocks are underruns, and pads come and
 * go while playing.
 *
 * Decks are real chains `filesrc ! kitharadecode ! kitharaeq !
 * kithararesample` over FLAC files the test encodes first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "kitharaworker.h"
#include "../kitharacheck.h"

#define RATE 48000
#define OUT_CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2"

static gchar *tmp_dir;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharamixer-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

/* A stereo FLAC file of @frames frames of a @freq Hz sine, encoded in a
 * child process (kc_launch_child()). */
static gchar *
make_flac (const gchar * name, gdouble freq, guint frames)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc;

  fail_unless (frames % 480 == 0);
  desc = g_strdup_printf ("audiotestsrc num-buffers=%u samplesperbuffer=480 "
      "freq=%g volume=0.4 ! audio/x-raw,format=S16LE,rate=%d,channels=2 ! "
      "flacenc ! filesink location=\"%s\"", frames / 480, freq, RATE, path);
  kc_launch_child (desc);
  g_free (desc);
  return path;
}

static void
free_files (gchar ** files)
{
  for (; *files; files++)
    g_free (*files);
}

static gchar *
deck (const gchar * path)
{
  return g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "kitharaeq ! kithararesample", path);
}

/* What one deck alone produces, as F32 stereo at 48 kHz. */
static GArray *
render_deck (const gchar * path)
{
  gchar *chain = deck (path);
  gchar *desc = g_strdup_printf ("%s ! " OUT_CAPS " ! appsink name=out "
      "sync=false", chain);
  GstElement *p = kc_parse (desc);
  GstElement *out = kc_child (p, "out");
  GArray *samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  GstSample *sample;

  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    GstMapInfo map;

    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    g_array_append_vals (samples, map.data, map.size / sizeof (gfloat));
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (chain);
  return samples;
}

/* ------------------------------------------------------------------ */
/* Capturing the mixer's output at a clock-syncing fakesink. */

typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *samples;
  GArray *pts;
  guint buffers;
} Capture;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Capture * c)
{
  GstMapInfo map;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_mutex_lock (&c->lock);
  g_array_append_vals (c->samples, map.data, map.size / sizeof (gfloat));
  g_array_append_val (c->pts, pts);
  c->buffers++;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  gst_buffer_unmap (buf, &map);
}

static void
capture_init (Capture * c, GstElement * pipeline)
{
  GstElement *out = kc_child (pipeline, "out");

  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  c->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  c->buffers = 0;
  g_object_set (out, "signal-handoffs", TRUE, NULL);
  g_signal_connect (out, "handoff", G_CALLBACK (on_handoff), c);
}

static void
capture_wait_buffers (Capture * c, guint n)
{
  g_mutex_lock (&c->lock);
  while (c->buffers < n)
    g_cond_wait (&c->cond, &c->lock);
  g_mutex_unlock (&c->lock);
}

static void
capture_clear (Capture * c)
{
  g_array_unref (c->samples);
  g_array_unref (c->pts);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
}

/* `kitharamixer name=m ... ! fakesink name=out` with @n decks of @files. */
static GstElement *
mixer_pipeline (gchar ** files, guint n, const gchar * mixer_props,
    gboolean sync)
{
  GString *desc = g_string_new (NULL);
  GstElement *p;
  guint i;

  g_string_append_printf (desc, "kitharamixer name=m %s ! " OUT_CAPS
      " ! fakesink name=out sync=%s", mixer_props, sync ? "true" : "false");
  for (i = 0; i < n; i++) {
    gchar *chain = deck (files[i % g_strv_length (files)]);

    g_string_append_printf (desc, " %s ! m.sink_%u", chain, i);
    g_free (chain);
  }
  p = kc_parse (desc->str);
  g_string_free (desc, TRUE);
  return p;
}

static GstPad *
mixer_pad (GstElement * pipeline, guint i)
{
  gchar *name = g_strdup_printf ("sink_%u", i);
  GstPad *pad = gst_element_get_static_pad (kc_child (pipeline, "m"), name);

  fail_unless (pad != NULL);
  g_free (name);
  gst_object_unref (pad);       /* the mixer keeps it */
  return pad;
}

/* The elements of the deck feeding mixer pad @i. */
static GstElement *
deck_element (GstElement * pipeline, guint i, GType type)
{
  GstPad *peer = gst_pad_get_peer (mixer_pad (pipeline, i));
  GstElement *e = gst_pad_get_parent_element (peer);

  gst_object_unref (peer);
  while (G_OBJECT_TYPE (e) != type) {
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    GstPad *up = gst_pad_get_peer (sink);

    gst_object_unref (e);
    e = gst_pad_get_parent_element (up);
    gst_object_unref (up);
    gst_object_unref (sink);
  }
  gst_object_unref (e);         /* the pipeline keeps it */
  return e;
}

/* ------------------------------------------------------------------ */

/* Four decks of different lengths at volumes 1, 0.5, 0.25 and 0.8 into a
 * clock-syncing sink: the mix is their sum within 1e-6, as long as the
 * longest deck, with exact timestamps. */
GST_START_TEST (test_mix_is_sum_of_decks)
{
  const gdouble volumes[] = { 1.0, 0.5, 0.25, 0.8 };
  const guint frames[] = { 48000, 33600, 62400, 24000 };
  gchar *files[5] = { NULL };
  GArray *ref[4];
  GstElement *p;
  Capture c;
  gdouble max_err = 0.0;
  guint i, j, n_out;

  for (i = 0; i < 4; i++) {
    gchar *name = g_strdup_printf ("deck%u.flac", i);

    files[i] = make_flac (name, 220.0 * (i + 1) + 17, frames[i]);
    ref[i] = render_deck (files[i]);
    fail_unless_equals_int (ref[i]->len, 2 * frames[i]);
    g_free (name);
  }

  p = mixer_pipeline (files, 4, "latency=500000000", TRUE);
  for (i = 0; i < 4; i++)
    g_object_set (mixer_pad (p, i), "volume", volumes[i], NULL);
  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  kc_wait_eos (p);

  n_out = c.samples->len / 2;
  fail_unless_equals_int (n_out, 62400);
  for (j = 0; j < n_out * 2; j++) {
    gdouble expected = 0.0;

    for (i = 0; i < 4; i++)
      if (j < ref[i]->len)
        expected += volumes[i] * g_array_index (ref[i], gfloat, j);
    max_err = MAX (max_err, fabs (expected - g_array_index (c.samples, gfloat,
                j)));
  }
  g_print ("4 decks mixed at volumes 1, 0.5, 0.25, 0.8: %u frames, max "
      "error against the sum %g\n", n_out, max_err);
  fail_unless (max_err <= 1e-6, "max error %g", max_err);
  for (j = 0; j < c.pts->len; j++)
    fail_unless_equals_uint64 (g_array_index (c.pts, GstClockTime, j),
        gst_util_uint64_scale (j * 480, GST_SECOND, RATE));
  fail_unless_equals_uint64 (kc_stats_uint64 (kc_child (p, "m"),
          "forced-blocks"), 0);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
  for (i = 0; i < 4; i++)
    g_array_unref (ref[i]);
  free_files (files);
}

GST_END_TEST;

/* 4, 16 and 64 decks playing in real time: the process runs on the main
 * thread, the worker, the mixer's src task and an idle GLib pool thread;
 * stock GStreamer's thread count for the same decks is reported beside
 * it. */
static guint
threads_while_playing (GstElement * p)
{
  Capture c;
  guint n;

  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 10);
  n = kc_count_threads ();
  gst_element_set_state (p, GST_STATE_NULL);
  capture_clear (&c);
  return n;
}

static guint
stock_threads_while_playing (gchar ** files, guint n)
{
  GString *desc = g_string_new ("audiomixer name=m ! " OUT_CAPS
      " ! fakesink name=out sync=true");
  GstElement *p;
  guint i, threads;

  for (i = 0; i < n; i++)
    g_string_append_printf (desc, " filesrc location=\"%s\" ! decodebin ! "
        "audioconvert ! equalizer-nbands ! audioresample ! queue ! m.",
        files[i % g_strv_length (files)]);
  p = kc_parse (desc->str);
  g_string_free (desc, TRUE);
  threads = threads_while_playing (p);
  gst_object_unref (p);
  return threads;
}

GST_START_TEST (test_threads_independent_of_decks)
{
  gchar *files[3] = { NULL };
  const guint counts[] = { 4, 16, 64 };
  guint i, threads[G_N_ELEMENTS (counts)];

  files[0] = make_flac ("a.flac", 330.0, 48000 * 2);
  files[1] = make_flac ("b.flac", 550.0, 48000 * 2);
  /* Kithara first: stock's streaming threads stay in the thread pool. */
  for (i = 0; i < G_N_ELEMENTS (counts); i++) {
    GstElement *p = mixer_pipeline (files, counts[i], "", TRUE);

    threads[i] = threads_while_playing (p);
    gst_object_unref (p);
  }
  for (i = 0; i < G_N_ELEMENTS (counts); i++) {
    guint stock = stock_threads_while_playing (files, counts[i]);

    g_print ("%u decks decode ! eq ! resample ! mixer ! fakesink sync=true: "
        "kithara %u threads, stock %u threads (main thread included)\n",
        counts[i], threads[i], stock);
    fail_unless (threads[i] <= 1 + 4, "%u decks: %u threads", counts[i],
        threads[i]);
  }
  free_files (files);
}

GST_END_TEST;

/* Holds the worker inside a tick (a probe on a deck's pad waits for the
 * test), as a slow node would. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean stall;
  gboolean held;
  gboolean release;
} Stall;

static GstPadProbeReturn
stall_probe (GstPad * pad, GstPadProbeInfo * info, Stall * s)
{
  g_mutex_lock (&s->lock);
  while (s->stall && !s->release) {
    s->held = TRUE;
    g_cond_broadcast (&s->cond);
    g_cond_wait (&s->cond, &s->lock);
  }
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static void
stall_init (Stall * s, GstPad * pad)
{
  memset (s, 0, sizeof (Stall));
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) stall_probe, s, NULL);
}

static void
stall_hold (Stall * s, gboolean wait_held)
{
  g_mutex_lock (&s->lock);
  s->stall = TRUE;
  while (wait_held && !s->held)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
}

static void
stall_release (Stall * s)
{
  g_mutex_lock (&s->lock);
  s->release = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static void
stall_clear (Stall * s)
{
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
}

/* Volume 0 -> 1 makes the deck's chain audible before the next pass: with
 * the worker held inside a tick, the classes have changed when the
 * property is set, and no pass has run meanwhile. */
GST_START_TEST (test_volume_makes_chain_audible)
{
  gchar *files[2] = { NULL };
  GstElement *p, *decode, *eq, *resample;
  KitharaWorker *worker;
  guint64 passes;
  GstPad *eq0_src;
  Capture c;
  Stall s;

  files[0] = make_flac ("a.flac", 330.0, 48000 * 4);
  p = mixer_pipeline (files, 2, "", TRUE);
  g_object_set (mixer_pad (p, 1), "volume", 0.0, NULL);
  decode = deck_element (p, 1, g_type_from_name ("GstKitharaDecode"));
  eq = deck_element (p, 1, g_type_from_name ("GstKitharaEq"));
  resample = deck_element (p, 1, g_type_from_name ("GstKitharaResample"));
  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 5);

  fail_unless_equals_int (kc_service_class (deck_element (p, 0,
              g_type_from_name ("GstKitharaDecode"))), 0);
  fail_unless_equals_int (kc_service_class (decode), 1);
  fail_unless_equals_int (kc_service_class (eq), 1);
  fail_unless_equals_int (kc_service_class (resample), 1);

  worker = kithara_worker_get (NULL);
  eq0_src = gst_element_get_static_pad (deck_element (p, 0,
          g_type_from_name ("GstKitharaEq")), "src");
  stall_init (&s, eq0_src);
  stall_hold (&s, TRUE);
  passes = kithara_worker_get_passes (worker);
  g_object_set (mixer_pad (p, 1), "volume", 1.0, NULL);
  fail_unless_equals_int (kc_service_class (decode), 0);
  fail_unless_equals_int (kc_service_class (eq), 0);
  fail_unless_equals_int (kc_service_class (resample), 0);
  fail_unless_equals_uint64 (kithara_worker_get_passes (worker), passes);
  stall_release (&s);

  g_object_set (mixer_pad (p, 1), "mute", TRUE, NULL);
  fail_unless_equals_int (kc_service_class (decode), 1);
  g_object_set (mixer_pad (p, 1), "mute", FALSE, NULL);
  fail_unless_equals_int (kc_service_class (decode), 0);

  /* Paused: nothing is heard. */
  kc_set_state_sync (p, GST_STATE_PAUSED);
  fail_unless_equals_int (kc_service_class (decode), 1);

  kithara_worker_unref (worker);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (eq0_src);
  gst_object_unref (p);
  capture_clear (&c);
  stall_clear (&s);
  free_files (files);
}

GST_END_TEST;

static gdouble
max_jump (GArray * samples, guint channel, guint from, guint to)
{
  gdouble jump = 0.0;
  guint i;

  for (i = MAX (from, 1); i < to && 2 * i + channel < samples->len; i++)
    jump = MAX (jump, fabs (g_array_index (samples, gfloat, 2 * i + channel) -
            g_array_index (samples, gfloat, 2 * (i - 1) + channel)));
  return jump;
}

static void
ramp (GstPad * pad, gdouble from, gdouble to, GstClockTime start,
    GstClockTime end)
{
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE (cs);

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  /* Control values are volume / 10 (the property's range is 0..10). */
  gst_timed_value_control_source_set (tv, 0, from / 10.0);
  gst_timed_value_control_source_set (tv, start, from / 10.0);
  gst_timed_value_control_source_set (tv, end, to / 10.0);
  gst_object_add_control_binding (GST_OBJECT (pad),
      gst_direct_control_binding_new (GST_OBJECT (pad), "volume", cs));
  gst_object_unref (cs);
}

/* A 2 s crossfade by controller, then a volume step by the application:
 * no sample-to-sample jump larger than the inputs' own. */
GST_START_TEST (test_crossfade_without_clicks)
{
  gchar *files[3] = { NULL };
  GArray *a, *b;
  GstElement *p;
  Capture c;
  gdouble input_jump, jump;
  guint ch;

  /* Low tones: their own sample-to-sample steps are small, so a gain that
   * stepped block by block instead of gliding would show. */
  files[0] = make_flac ("a.flac", 50.0, 48000 * 3);
  files[1] = make_flac ("b.flac", 75.0, 48000 * 3);
  a = render_deck (files[0]);
  b = render_deck (files[1]);
  input_jump = MAX (max_jump (a, 0, 0, a->len / 2), max_jump (b, 0, 0,
          b->len / 2));

  p = mixer_pipeline (files, 2, "latency=500000000", FALSE);
  ramp (mixer_pad (p, 0), 1.0, 0.0, GST_SECOND / 2, 5 * GST_SECOND / 2);
  ramp (mixer_pad (p, 1), 0.0, 1.0, GST_SECOND / 2, 5 * GST_SECOND / 2);
  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  kc_wait_eos (p);

  fail_unless_equals_int (c.samples->len, a->len);
  for (ch = 0; ch < 2; ch++) {
    /* Over the fade itself, 0.5 s to 2.5 s. */
    jump = max_jump (c.samples, ch, RATE / 2, 5 * RATE / 2);
    g_print ("2 s crossfade by controller, channel %u: max sample-to-sample "
        "jump %.6f, inputs' %.6f\n", ch, jump, input_jump);
    fail_unless (jump <= input_jump * 1.001, "jump %g > inputs' %g", jump,
        input_jump);
  }
  /* It did fade: deck a alone at the start, deck b alone at the end. */
  fail_unless_equals_float (g_array_index (c.samples, gfloat, 2000),
      g_array_index (a, gfloat, 2000));
  fail_unless (fabs (g_array_index (c.samples, gfloat, 2 * 140000) -
          g_array_index (b, gfloat, 2 * 140000)) < 1e-6);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
  g_array_unref (a);
  g_array_unref (b);
  free_files (files);
}

GST_END_TEST;

/* A flushing seek on the mixer restarts every deck there: timestamps
 * start at the position and the mix is the decks' samples from there. */
GST_START_TEST (test_seek_reaches_every_input)
{
  gchar *files[3] = { NULL };
  GArray *a, *b;
  GstElement *p;
  Capture c;
  guint j, offset = 48000;      /* 1 s */
  gdouble max_err = 0.0;

  files[0] = make_flac ("a.flac", 440.0, 48000 * 3);
  files[1] = make_flac ("b.flac", 660.0, 48000 * 2);
  a = render_deck (files[0]);
  b = render_deck (files[1]);

  p = mixer_pipeline (files, 2, "", FALSE);
  kc_set_state_sync (p, GST_STATE_PAUSED);
  capture_init (&c, p);
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SECOND));
  g_mutex_lock (&c.lock);
  g_array_set_size (c.samples, 0);
  g_array_set_size (c.pts, 0);
  g_mutex_unlock (&c.lock);
  gst_element_set_state (p, GST_STATE_PLAYING);
  kc_wait_eos (p);

  fail_unless_equals_uint64 (g_array_index (c.pts, GstClockTime, 0),
      GST_SECOND);
  fail_unless_equals_int (c.samples->len, a->len - 2 * offset);
  for (j = 0; j < c.samples->len; j++) {
    gdouble expected = g_array_index (a, gfloat, 2 * offset + j);

    if (2 * offset + j < b->len)
      expected += g_array_index (b, gfloat, 2 * offset + j);
    max_err = MAX (max_err, fabs (expected - g_array_index (c.samples,
                gfloat, j)));
  }
  fail_unless (max_err <= 1e-6, "max error %g", max_err);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
  g_array_unref (a);
  g_array_unref (b);
  free_files (files);
}

GST_END_TEST;

/* The worker stalls (a probe on it waits for the test): the sink runs
 * dry, which is counted and reported. */
GST_START_TEST (test_late_blocks_are_underruns)
{
  gchar *files[2] = { NULL };
  GstElement *p, *m;
  GstMessage *msg;
  GstPad *eq_src;
  Stall s;
  Capture c;

  files[0] = make_flac ("a.flac", 440.0, 48000 * 4);
  p = mixer_pipeline (files, 1, "", TRUE);
  m = kc_child (p, "m");
  eq_src = gst_element_get_static_pad (deck_element (p, 0,
          g_type_from_name ("GstKitharaEq")), "src");
  stall_init (&s, eq_src);
  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 20);

  stall_hold (&s, FALSE);

  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), GST_CLOCK_TIME_NONE,
      GST_MESSAGE_ELEMENT);
  while (!gst_message_has_name (msg, "kithara-underrun")) {
    gst_message_unref (msg);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_ELEMENT);
  }
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "element"), "m");
  gst_message_unref (msg);

  stall_release (&s);
  fail_unless (kc_stats_uint64 (m, "underruns") >= 1);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (eq_src);
  gst_object_unref (p);
  capture_clear (&c);
  stall_clear (&s);
  free_files (files);
}

GST_END_TEST;

/* The other decks play on while one is taken out: its elements are
 * stopped (each leaves the worker at once), then its pad is released
 * while the mixer plays. */
GST_START_TEST (test_release_pad_while_playing)
{
  gchar *files[3] = { NULL };
  GstElement *p, *m, *e;
  GstPad *pad, *peer;
  GList *elements = NULL, *l;
  Capture c;

  files[0] = make_flac ("a.flac", 440.0, 48000);
  files[1] = make_flac ("b.flac", 660.0, 48000 * 30);
  p = mixer_pipeline (files, 2, "", TRUE);
  m = kc_child (p, "m");
  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 10);

  pad = gst_object_ref (mixer_pad (p, 1));
  peer = gst_pad_get_peer (pad);
  for (e = gst_pad_get_parent_element (peer); e;) {
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    GstPad *up = sink ? gst_pad_get_peer (sink) : NULL;

    elements = g_list_append (elements, e);
    e = up ? gst_pad_get_parent_element (up) : NULL;
    if (up)
      gst_object_unref (up);
    if (sink)
      gst_object_unref (sink);
  }
  for (l = elements; l; l = l->next) {
    gst_element_set_locked_state (l->data, TRUE);
    fail_unless_equals_int (gst_element_set_state (l->data, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_element_release_request_pad (m, pad);
  fail_if (gst_pad_is_linked (peer));
  for (l = elements; l; l = l->next) {
    gst_bin_remove (GST_BIN (p), l->data);
    gst_object_unref (l->data);
  }
  g_list_free (elements);
  gst_object_unref (peer);
  gst_object_unref (pad);

  kc_wait_eos (p);
  fail_unless_equals_int (GST_ELEMENT (m)->numsinkpads, 1);
  g_mutex_lock (&c.lock);
  fail_unless (c.samples->len >= 2 * 48000);
  g_mutex_unlock (&c.lock);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
  free_files (files);
}

GST_END_TEST;

/* A deck's pad is released while its kitharaeq is producing into it (the
 * eq's tick looks at the pad's inlet before each push): 100 times, no
 * crash, and the mix plays on. */
static GstPadProbeReturn
note_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Capture *c = user_data;

  g_mutex_lock (&c->lock);
  c->buffers++;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_release_pad_while_producing)
{
  GstElement *p = kc_parse ("kitharamixer name=m ! " OUT_CAPS " ! "
      "fakesink name=out sync=false  audiotestsrc ! kitharaeq ! m.");
  GstElement *m = kc_child (p, "m");
  GstMessage *msg;
  Capture c, deck_flow;
  guint i;

  capture_init (&c, p);
  g_mutex_init (&deck_flow.lock);
  g_cond_init (&deck_flow.cond);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 10);

  for (i = 0; i < 100; i++) {
    GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
    GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
    GstPad *pad = gst_element_request_pad_simple (m, "sink_%u");
    GstPad *eq_src = gst_element_get_static_pad (eq, "src");
    guint before;

    deck_flow.buffers = 0;
    gst_bin_add_many (GST_BIN (p), src, eq, NULL);
    fail_unless (gst_element_link (src, eq));
    fail_unless_equals_int (gst_pad_link (eq_src, pad), GST_PAD_LINK_OK);
    gst_pad_add_probe (eq_src, GST_PAD_PROBE_TYPE_BUFFER, note_buffer,
        &deck_flow, NULL);
    gst_element_sync_state_with_parent (eq);
    gst_element_sync_state_with_parent (src);
    capture_wait_buffers (&deck_flow, 1 + i % 3);

    /* Released under the producing deck, which then finds its output
     * unlinked (its not-linked error is the deck's own business). */
    gst_element_release_request_pad (m, pad);
    gst_element_set_state (eq, GST_STATE_NULL);
    gst_element_set_state (src, GST_STATE_NULL);
    gst_bin_remove_many (GST_BIN (p), src, eq, NULL);
    gst_object_unref (eq_src);
    gst_object_unref (pad);

    g_mutex_lock (&c.lock);
    before = c.buffers;
    g_mutex_unlock (&c.lock);
    capture_wait_buffers (&c, before + 1);
  }
  fail_unless_equals_int (GST_ELEMENT (m)->numsinkpads, 1);
  while ((msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (p),
              GST_MESSAGE_ERROR))) {
    fail_if (GST_MESSAGE_SRC (msg) == GST_OBJECT (m), "the mixer failed");
    gst_message_unref (msg);
  }

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
  g_mutex_clear (&deck_flow.lock);
  g_cond_clear (&deck_flow.cond);
}

GST_END_TEST;

/* NULL -> PLAYING -> NULL 200 times with 8 decks: no deadlock, and the
 * leaks tracer finds nothing at exit. */
GST_START_TEST (test_state_cycles)
{
  gchar *files[2] = { NULL };
  GstElement *p;
  Capture c;
  guint i;

  files[0] = make_flac ("a.flac", 440.0, 48000);
  p = mixer_pipeline (files, 8, "", TRUE);
  capture_init (&c, p);
  for (i = 0; i < 200; i++) {
    guint before;

    g_mutex_lock (&c.lock);
    before = c.buffers;
    g_mutex_unlock (&c.lock);
    fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    /* Every other cycle, wait until audio flows; else stop at once. */
    if (i % 2 == 0)
      capture_wait_buffers (&c, before + 1);
    fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (p);
  capture_clear (&c);
  free_files (files);
}

GST_END_TEST;


/* ------------------------------------------------------------------ */
/* Failing and stalled inputs */

/* The element of @p that @src is, or is inside (kitharadecode relays the
 * errors of its private chain from their source). */
static gchar *
element_of (GstObject * src, GstElement * p)
{
  GstObject *o = gst_object_ref (src), *parent;
  gchar *name;

  while ((parent = gst_object_get_parent (o)) && parent != GST_OBJECT (p)) {
    gst_object_unref (o);
    o = parent;
  }
  gst_clear_object (&parent);
  name = gst_object_get_name (o);
  gst_object_unref (o);
  return name;
}

/* Waits for EOS; returns the names of the elements of @p that posted
 * errors meanwhile (after each of which it sets PLAYING again if
 * @replay). */
static GPtrArray *
wait_eos_collecting_errors (GstElement * p, gboolean replay)
{
  GPtrArray *errors = g_ptr_array_new_with_free_func (g_free);
  GstMessage *msg;

  while ((msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
              GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR))) {
    gboolean eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;

    if (!eos) {
      g_ptr_array_add (errors, element_of (GST_MESSAGE_SRC (msg), p));
      if (replay)
        gst_element_set_state (p, GST_STATE_PLAYING);
    }
    gst_message_unref (msg);
    if (eos)
      break;
  }
  return errors;
}

static gchar *
make_corrupt_ogg (const gchar * name)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=100 ! "
      "audio/x-raw,rate=%d,channels=2 ! audioconvert ! vorbisenc ! oggmux ! "
      "filesink location=\"%s\"", RATE, path);

  kc_launch_child (desc);
  kc_damage_ogg_headers (path, 1);
  g_free (desc);
  return path;
}

/* A good deck and one whose decoder fails: one ERROR, from the failing
 * deck's decoder; the failed deck counts as finished, so the mix prerolls
 * and ends with the good deck's full length. */
GST_START_TEST (test_failing_deck_finishes)
{
  gchar *good = make_flac ("good.flac", 440.0, 48000 * 2);
  gchar *bad = make_corrupt_ogg ("bad.ogg");
  gchar *out = g_build_filename (tmp_dir, "mix.wav", NULL);
  gchar *desc = g_strdup_printf ("kitharamixer name=m ! " OUT_CAPS " ! "
      "wavenc ! filesink location=\"%s\"  filesrc location=\"%s\" ! "
      "kitharadecode name=good ! m.  filesrc location=\"%s\" ! "
      "kitharadecode name=bad ! m.", out, good, bad);
  GstElement *p = kc_parse (desc);
  GPtrArray *errors;

  /* As for any element, an error during the change to PLAYING aborts it
   * (GstBin): the application that keeps the mix going asks again. */
  gst_element_set_state (p, GST_STATE_PLAYING);
  errors = wait_eos_collecting_errors (p, TRUE);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_int (errors->len, 1);
  fail_unless_equals_string (g_ptr_array_index (errors, 0), "bad");
  fail_unless_equals_uint64 (kc_wav_frames (out), 48000 * 2);

  g_ptr_array_unref (errors);
  gst_object_unref (p);
  g_free (desc);
  g_free (out);
  g_free (bad);
  g_free (good);
}

GST_END_TEST;

/* The same with the failing deck added while the mix plays in real time:
 * EOS still comes, with the good deck's length. */
GST_START_TEST (test_failing_deck_added_while_playing)
{
  gchar *good = make_flac ("good.flac", 440.0, 48000 * 2);
  gchar *bad = make_corrupt_ogg ("bad.ogg");
  gchar *out = g_build_filename (tmp_dir, "mix.wav", NULL);
  gchar *desc = g_strdup_printf ("kitharamixer name=m ! " OUT_CAPS " ! "
      "identity sync=true ! fakesink name=out sync=false  "
      "filesrc location=\"%s\" ! kitharadecode ! m.", good);
  GstElement *p = kc_parse (desc), *src, *dec;
  GstPad *pad, *dec_src;
  GPtrArray *errors;
  Capture c;

  capture_init (&c, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 30);

  src = gst_element_factory_make ("filesrc", NULL);
  dec = gst_element_factory_make ("kitharadecode", "bad");
  g_object_set (src, "location", bad, NULL);
  gst_bin_add_many (GST_BIN (p), src, dec, NULL);
  fail_unless (gst_element_link (src, dec));
  pad = gst_element_request_pad_simple (kc_child (p, "m"), "sink_%u");
  dec_src = gst_element_get_static_pad (dec, "src");
  fail_unless_equals_int (gst_pad_link (dec_src, pad), GST_PAD_LINK_OK);
  fail_unless (gst_element_sync_state_with_parent (dec));
  fail_unless (gst_element_sync_state_with_parent (src));

  errors = wait_eos_collecting_errors (p, FALSE);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_int (errors->len, 1);
  fail_unless_equals_string (g_ptr_array_index (errors, 0), "bad");
  g_mutex_lock (&c.lock);
  /* Stereo samples: the good deck's length, to within one block. */
  fail_unless (c.samples->len / 2 >= 48000 * 2 &&
      c.samples->len / 2 <= 48000 * 2 + 480, "%u frames", c.samples->len / 2);
  g_mutex_unlock (&c.lock);

  g_ptr_array_unref (errors);
  gst_object_unref (dec_src);
  gst_object_unref (pad);
  gst_object_unref (p);
  capture_clear (&c);
  g_free (desc);
  g_free (out);
  g_free (bad);
  g_free (good);
}

GST_END_TEST;

static gdouble
block_rms (Capture * c, guint block)
{
  gdouble sum = 0.0;
  guint i, n = 480 * 2;

  for (i = 0; i < n; i++) {
    gfloat v = g_array_index (c->samples, gfloat, block * n + i);

    sum += v * v;
  }
  return sqrt (sum / n);
}

/* One deck stalls after 100 ms (an appsrc that stops pushing, without
 * EOS) beside a deck that always has data.  Pausing always completes (the
 * mix prerolls on what it mixed ahead with the deadline), and every resume
 * gives the good deck's audio within one mixer latency (5 blocks of
 * 10 ms). */
GST_START_TEST (test_stalled_deck_pause_resume)
{
  GstElement *p = kc_parse ("kitharamixer name=m latency=50000000 ! "
      OUT_CAPS " ! fakesink name=out sync=true  audiotestsrc volume=0.5 "
      "samplesperbuffer=480 ! audio/x-raw,format=F32LE,rate=48000,"
      "channels=2 ! kitharaeq ! m.  appsrc name=stall format=time ! "
      "kitharaeq ! m.");
  GstElement *stall = kc_child (p, "stall");
  GstCaps *caps = gst_caps_from_string (OUT_CAPS ",layout=interleaved");
  GstBuffer *buf;
  GstState state;
  Capture c;
  guint i, k;

  g_object_set (stall, "caps", caps, NULL);
  gst_caps_unref (caps);
  /* 100 ms of silence, then nothing more. */
  buf = gst_buffer_new_allocate (NULL, 4800 * 2 * sizeof (gfloat), NULL);
  gst_buffer_memset (buf, 0, 0, gst_buffer_get_size (buf));
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = 100 * GST_MSECOND;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (stall), buf),
      GST_FLOW_OK);

  capture_init (&c, p);
  kc_set_state_sync (p, GST_STATE_PLAYING);
  capture_wait_buffers (&c, 30);

  for (i = 0; i < 15; i++) {
    guint resumed, first_heard = G_MAXUINT;

    fail_unless (gst_element_set_state (p, GST_STATE_PAUSED) !=
        GST_STATE_CHANGE_FAILURE);
    /* A deadlock here would be a test timeout. */
    fail_unless_equals_int (gst_element_get_state (p, &state, NULL,
            GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (state, GST_STATE_PAUSED);

    g_mutex_lock (&c.lock);
    resumed = c.buffers;
    g_mutex_unlock (&c.lock);
    fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    capture_wait_buffers (&c, resumed + 10);
    g_mutex_lock (&c.lock);
    for (k = resumed; k < resumed + 10 && first_heard == G_MAXUINT; k++)
      if (block_rms (&c, k) > 0.1)
        first_heard = k - resumed;
    g_mutex_unlock (&c.lock);
    fail_unless (first_heard < 5, "resume %u: silent for %u blocks", i,
        first_heard);
  }

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  capture_clear (&c);
}

GST_END_TEST;

static Suite *
kitharamixer_suite (void)
{
  Suite *s = suite_create ("kitharamixer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_mix_is_sum_of_decks);
  tcase_add_test (tc, test_threads_independent_of_decks);
  tcase_add_test (tc, test_volume_makes_chain_audible);
  tcase_add_test (tc, test_crossfade_without_clicks);
  tcase_add_test (tc, test_seek_reaches_every_input);
  tcase_add_test (tc, test_late_blocks_are_underruns);
  tcase_add_test (tc, test_release_pad_while_playing);
  tcase_add_test (tc, test_release_pad_while_producing);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_failing_deck_finishes);
  tcase_add_test (tc, test_failing_deck_added_while_playing);
  tcase_add_test (tc, test_stalled_deck_pause_resume);
  return s;
}

KITHARA_CHECK_MAIN (kitharamixer);
