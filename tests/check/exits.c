/* Kithara exits: kithara chains mixed with stock elements that block (sinks
 * that preroll or sync to the clock, tee, audiomixer, appsink, queue2,
 * identity sync=true, valve), several pipelines in one process, state
 * changes from bus sync handlers.  The worker never waits on any of them:
 * every pipeline reaches EOS with all of its audio, no tick is slow, and
 * threads are one worker plus one per exit.
 *
 * Input files are encoded by gst-launch-1.0 child processes with the
 * system's encoders (vorbisenc, flacenc).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif


#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>

#include "kitharaworker.h"
#include "kitharacheck.h"

#define FRAMES (1024 * 100)     /* per input file: 2.3 s at 44.1 kHz */
#define RATE 44100

static gchar *tmp_dir;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharaexits-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* ------------------------------------------------------------------ */
/* Counting what reaches a pad, and the messages of a run */

typedef struct
{
  gint buffers;                 /* atomic */
  gint64 bytes;                 /* atomic */
} Count;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Count *c = user_data;

  g_atomic_int_inc (&c->buffers);
  __atomic_add_fetch (&c->bytes, gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER
          (info)), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static void
count_at (GstElement * pipeline, const gchar * element, const gchar * pad,
    Count * c)
{
  GstPad *p = gst_element_get_static_pad (kc_child (pipeline, element), pad);

  memset (c, 0, sizeof (Count));
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, count_probe, c, NULL);
  gst_object_unref (p);
}

/* A tick that waits in a stock element lasts as long as what it waits
 * for: in a prerolling sink, until the state changes (seconds, or for
 * ever: the other chains on the worker stop, and the test times out).
 * One that was merely preempted on a busy machine can lose a hundred
 * milliseconds and more (seen with a whole sanitizer suite running
 * beside it).  Only ticks of a second or more count as blocked. */
#define BLOCKED_TICK GST_SECOND

/* Runs @p to EOS (no error allowed) and returns how many of its ticks
 * were reported (kithara-slow-tick) as lasting BLOCKED_TICK or more. */
static guint
run_counting_slow_ticks (GstElement * p)
{
  GstMessage *msg;
  gboolean eos = FALSE;
  guint slow = 0;

  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* Element messages are taken as they come: popping for EOS alone would
   * drop them. */
  while (!eos) {
    guint64 duration = 0;

    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
        GST_MESSAGE_ELEMENT);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      fail ("error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          err->message);
    }
    eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    if (gst_message_has_name (msg, "kithara-slow-tick") &&
        gst_structure_get_uint64 (gst_message_get_structure (msg),
            "duration", &duration) && duration >= BLOCKED_TICK)
      slow++;
    gst_message_unref (msg);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  return slow;
}

static void
assert_frames (guint64 got, guint64 expected, guint64 tolerance,
    const gchar * what)
{
  fail_unless (got + tolerance >= expected && got <= expected + tolerance,
      "%s: %" G_GUINT64_FORMAT " frames, expected %" G_GUINT64_FORMAT
      " (+- %" G_GUINT64_FORMAT ")", what, got, expected, tolerance);
}

/* ------------------------------------------------------------------ */
/* The topologies that used to hang */

/* Two decoders into two WAV files in one pipeline: each filesink prerolls
 * on its first buffer, which used to block the shared worker and so the
 * other chain. */
GST_START_TEST (test_two_decoders_into_wav_files)
{
  gchar *ogg = kc_encode_tone (tmp_dir, "a.ogg", "vorbisenc ! oggmux", 440,
      RATE, FRAMES);
  gchar *flac = kc_encode_tone (tmp_dir, "b.flac", "flacenc", 660, RATE,
      FRAMES);
  gchar *out1 = tmp_path ("1.wav"), *out2 = tmp_path ("2.wav");
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "wavenc ! filesink location=\"%s\"  filesrc location=\"%s\" ! "
      "kitharadecode ! wavenc ! filesink location=\"%s\"", ogg, out1, flac,
      out2);
  GstElement *p = kc_parse (desc);

  fail_unless_equals_int (run_counting_slow_ticks (p), 0);
  gst_object_unref (p);
  /* Vorbis and FLAC give back exactly what was encoded. */
  assert_frames (kc_wav_frames (out1), FRAMES, 0, "Ogg Vorbis");
  assert_frames (kc_wav_frames (out2), FRAMES, 0, "FLAC");
  g_free (desc);
  g_free (ogg);
  g_free (flac);
  g_free (out1);
  g_free (out2);
}

GST_END_TEST;

/* A tee without queues in front of two kitharaeq, each into a prerolling
 * sink. */
GST_START_TEST (test_tee_into_two_chains)
{
  GstElement *p = kc_parse ("audiotestsrc num-buffers=200 ! "
      "audio/x-raw,format=F32LE ! tee name=t  t. ! kitharaeq ! fakesink "
      "name=a  t. ! kitharaeq ! fakesink name=b");
  Count a, b;

  count_at (p, "a", "sink", &a);
  count_at (p, "b", "sink", &b);
  fail_unless_equals_int (run_counting_slow_ticks (p), 0);
  fail_unless_equals_int (a.buffers, 200);
  fail_unless_equals_int (b.buffers, 200);
  gst_object_unref (p);
}

GST_END_TEST;

/* Two decks into the stock audiomixer (an aggregator that waits for all
 * of its inputs). */
GST_START_TEST (test_two_chains_into_audiomixer)
{
  gchar *a = kc_encode_tone (tmp_dir, "a.flac", "flacenc", 440, RATE, FRAMES);
  gchar *b = kc_encode_tone (tmp_dir, "b.ogg", "vorbisenc ! oggmux", 660,
      RATE, FRAMES);
  gchar *out = tmp_path ("mix.wav");
  gchar *desc = g_strdup_printf ("audiomixer name=m ! audioconvert ! wavenc ! "
      "filesink location=\"%s\"  filesrc location=\"%s\" ! kitharadecode ! "
      "kitharaeq ! m.  filesrc location=\"%s\" ! kitharadecode ! kitharaeq ! "
      "m.", out, a, b);
  GstElement *p = kc_parse (desc);

  fail_unless_equals_int (run_counting_slow_ticks (p), 0);
  gst_object_unref (p);
  /* audiomixer outputs in 10 ms blocks: the last one may be rounded. */
  assert_frames (kc_wav_frames (out), FRAMES, RATE / 100, "audiomixer");
  g_free (desc);
  g_free (a);
  g_free (b);
  g_free (out);
}

GST_END_TEST;

/* One pipeline held in PAUSED as a preload (its filesink prerolled, its
 * exit blocked in it) and another on the same context playing to the
 * end. */
GST_START_TEST (test_paused_preload_does_not_stop_others)
{
  gchar *a = kc_encode_tone (tmp_dir, "a.flac", "flacenc", 440, RATE, FRAMES);
  gchar *b = kc_encode_tone (tmp_dir, "b.ogg", "vorbisenc ! oggmux", 660,
      RATE, FRAMES);
  gchar *out = tmp_path ("preload.wav");
  gchar *d1 = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "wavenc ! filesink location=\"%s\"", a, out);
  gchar *d2 = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "kitharaeq ! audio/x-raw,format=F32LE ! fakesink name=s sync=false",
      b);
  GstElement *preload = kc_parse (d1), *playing = kc_parse (d2);
  Count c;

  kc_set_state_sync (preload, GST_STATE_PAUSED);
  count_at (playing, "s", "sink", &c);
  fail_unless_equals_int (run_counting_slow_ticks (playing), 0);
  assert_frames (c.bytes / (2 * sizeof (gfloat)), FRAMES, 0, "playing");

  /* The preload still plays once asked to. */
  kc_set_state_sync (preload, GST_STATE_PLAYING);
  kc_wait_eos (preload);
  gst_element_set_state (preload, GST_STATE_NULL);
  assert_frames (kc_wav_frames (out), FRAMES, 0, "preload");

  gst_object_unref (preload);
  gst_object_unref (playing);
  g_free (d1);
  g_free (d2);
  g_free (a);
  g_free (b);
  g_free (out);
}

GST_END_TEST;

/* Two appsinks in one pipeline, pulled one after the other by the
 * application: while it pulls from the first, the second one's preroll
 * must not hold anything. */
GST_START_TEST (test_two_appsinks_pulled)
{
  gchar *a = kc_encode_tone (tmp_dir, "a.flac", "flacenc", 440, RATE, FRAMES);
  gchar *b = kc_encode_tone (tmp_dir, "b.ogg", "vorbisenc ! oggmux", 660,
      RATE, FRAMES);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "audio/x-raw,format=S16LE ! appsink name=x sync=false  filesrc "
      "location=\"%s\" ! kitharadecode ! audio/x-raw,format=S16LE ! appsink "
      "name=y sync=false", a, b);
  GstElement *p = kc_parse (desc);
  const gchar *names[2] = { "x", "y" };
  guint i;

  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 2; i++) {
    GstAppSink *sink = GST_APP_SINK (kc_child (p, names[i]));
    GstSample *sample;
    guint64 bytes = 0;

    while ((sample = gst_app_sink_pull_sample (sink))) {
      bytes += gst_buffer_get_size (gst_sample_get_buffer (sample));
      gst_sample_unref (sample);
    }
    fail_unless (gst_app_sink_is_eos (sink));
    assert_frames (bytes / 4, FRAMES, 0, names[i]);
  }
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (a);
  g_free (b);
}

GST_END_TEST;

/* A sink that syncs to the clock: the wait (200 ms a buffer) happens on
 * the exit's thread, no tick is slow. */
GST_START_TEST (test_clock_sync_is_not_a_slow_tick)
{
  GstElement *p = kc_parse ("audiotestsrc num-buffers=10 "
      "samplesperbuffer=8820 ! audio/x-raw,format=F32LE,rate=44100 ! "
      "kitharaeq name=e slow-tick-threshold=100000000 ! audioresample ! "
      "audio/x-raw,rate=48000 ! fakesink name=s sync=true");
  Count c;

  count_at (p, "s", "sink", &c);
  fail_unless_equals_int (run_counting_slow_ticks (p), 0);
  fail_unless_equals_uint64 (kc_stats_uint64 (kc_child (p, "e"),
          "slow-ticks"), 0);
  fail_unless_equals_uint64 (kc_stats_uint64 (kc_child (p, "e"),
          "exit-pushed"), 10);
  fail_unless (c.buffers >= 10);        /* audioresample drains one more */
  gst_object_unref (p);
}

GST_END_TEST;

/* More stock elements that block the thread that pushes into them (for
 * 200 ms a buffer): a queue2 in front of a syncing sink, identity
 * sync=true, a valve. */
static void
run_two_chains_through (const gchar * middle)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=10 "
      "samplesperbuffer=8820 ! audio/x-raw,format=F32LE,rate=44100 ! "
      "kitharaeq ! %s ! fakesink name=a sync=true  audiotestsrc "
      "num-buffers=10 samplesperbuffer=8820 freq=660 ! "
      "audio/x-raw,format=F32LE,rate=44100 ! kitharaeq ! %s ! "
      "fakesink name=b sync=true", middle, middle);
  GstElement *p = kc_parse (desc);
  Count a, b;

  count_at (p, "a", "sink", &a);
  count_at (p, "b", "sink", &b);
  fail_unless_equals_int (run_counting_slow_ticks (p), 0);
  fail_unless_equals_int (a.buffers, 10);
  fail_unless_equals_int (b.buffers, 10);
  gst_object_unref (p);
  g_free (desc);
}

GST_START_TEST (test_queue2)
{
  run_two_chains_through ("queue2 max-size-buffers=1 max-size-bytes=0 "
      "max-size-time=0");
}

GST_END_TEST;

GST_START_TEST (test_identity_sync)
{
  run_two_chains_through ("identity sync=true");
}

GST_END_TEST;

GST_START_TEST (test_valve)
{
  run_two_chains_through ("valve drop=false");
}

GST_END_TEST;

/* A serialized query (the source's allocation query) that leaves one
 * kithara element through its exit, crosses a stock element and enters
 * another kithara element: the exit's thread waits for the answer there,
 * and the source gets it only then.  (It used to be told at once, and
 * freed the query while the second element still held it.)  A short
 * pipeline, many times: the query is sent once per run. */
static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_query_across_a_stock_element)
{
  guint run;

  for (run = 0; run < 40; run++) {
    GstElement *p = kc_parse ("audiotestsrc num-buffers=10 "
        "samplesperbuffer=480 ! audio/x-raw,format=F32LE,rate=48000,"
        "channels=2 ! kitharaeq num-bands=1 ! "
        "identity ! kitharaeq num-bands=1 ! fakesink name=out");
    GstPad *pad = gst_element_get_static_pad (kc_child (p, "out"), "sink");
    gint buffers = 0;

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer,
        &buffers, NULL);
    gst_object_unref (pad);
    gst_element_set_state (p, GST_STATE_PLAYING);
    kc_wait_eos (p);
    fail_unless_equals_int (g_atomic_int_get (&buffers), 10);
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (p);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* State changes from bus sync handlers */

typedef struct
{
  GMutex lock;
  GCond cond;
  GstMessageType on;
  gboolean done;
} StopOn;

static GstBusSyncReply
stop_on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  StopOn *s = user_data;

  if (GST_MESSAGE_TYPE (msg) == s->on && !s->done) {
    GstElement *pipeline = g_object_get_data (G_OBJECT (bus), "pipeline");

    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    g_mutex_lock (&s->lock);
    s->done = TRUE;
    g_cond_broadcast (&s->cond);
    g_mutex_unlock (&s->lock);
  }
  return GST_BUS_PASS;
}

/* Sets @p to NULL from a sync handler on the first message of type @on
 * (posted on a worker or an exit's thread), then checks that another
 * pipeline on the same context plays to the end. */
static void
stop_from_sync_handler (GstElement * p, GstMessageType on,
    const gchar * other_file)
{
  GstBus *bus = gst_element_get_bus (p);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "kitharaeq ! audio/x-raw,format=F32LE ! fakesink name=s sync=false",
      other_file);
  GstElement *other = kc_parse (desc);
  GstState state;
  StopOn s;
  Count c;

  g_mutex_init (&s.lock);
  g_cond_init (&s.cond);
  s.on = on;
  s.done = FALSE;
  g_object_set_data (G_OBJECT (bus), "pipeline", p);
  gst_bus_set_sync_handler (bus, stop_on_message, &s, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  g_mutex_lock (&s.lock);
  while (!s.done)
    g_cond_wait (&s.cond, &s.lock);
  g_mutex_unlock (&s.lock);
  /* (The return is FAILURE: the error came during the change to
   * PLAYING.) */
  gst_element_get_state (p, &state, NULL, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (state, GST_STATE_NULL);

  count_at (other, "s", "sink", &c);
  fail_unless_equals_int (run_counting_slow_ticks (other), 0);
  assert_frames (c.bytes / (2 * sizeof (gfloat)), FRAMES, 0, "other");

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (other);
  g_mutex_clear (&s.lock);
  g_cond_clear (&s.cond);
  g_free (desc);
}

/* An Ogg Vorbis file with a damaged header page: an element inside
 * kitharadecode's chain fails in a tick (page 0: the demuxer, in its own
 * task's iteration; page 1: the decoder). */
static gchar *
make_corrupt_ogg (const gchar * name, guint page)
{
  gchar *path = kc_encode_tone (tmp_dir, name, "vorbisenc ! oggmux", 440,
      RATE, FRAMES);

  kc_damage_ogg_headers (path, page);
  return path;
}

GST_START_TEST (test_null_from_sync_handler_on_demuxer_error)
{
  gchar *bad = make_corrupt_ogg ("bad.ogg", 0);
  gchar *good = kc_encode_tone (tmp_dir, "good.flac", "flacenc", 660, RATE,
      FRAMES);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "kitharaeq ! fakesink", bad);
  GstElement *p = kc_parse (desc);

  stop_from_sync_handler (p, GST_MESSAGE_ERROR, good);
  gst_object_unref (p);
  g_free (desc);
  g_free (bad);
  g_free (good);
}

GST_END_TEST;

/* The same with the sink right behind the decoder: the error is posted in
 * a tick, and the EOS that follows it reaches the sink on the exit's
 * thread while the pipeline goes down. */
GST_START_TEST (test_null_from_sync_handler_sink_behind_decoder)
{
  gchar *bad = make_corrupt_ogg ("bad.ogg", 0);
  gchar *good = kc_encode_tone (tmp_dir, "good.flac", "flacenc", 660, RATE,
      FRAMES);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "fakesink", bad);
  GstElement *p = kc_parse (desc);

  stop_from_sync_handler (p, GST_MESSAGE_ERROR, good);
  gst_object_unref (p);
  g_free (desc);
  g_free (bad);
  g_free (good);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Threads: one worker, one per exit */

#define N_CHAINS 16

GST_START_TEST (test_threads_one_per_exit)
{
  GstElement *p[N_CHAINS];
  guint base = kc_count_threads (), during = 0, i;

  for (i = 0; i < N_CHAINS; i++)
    p[i] = kc_parse ("audiotestsrc num-buffers=100 ! "
        "audio/x-raw,format=F32LE ! kitharaeq ! kitharaeq name=last ! "
        "fakesink sync=true");
  for (i = 0; i < N_CHAINS; i++)
    kc_set_state_sync (p[i], GST_STATE_PAUSED);
  during = kc_count_threads ();
  for (i = 0; i < N_CHAINS; i++) {
    GstStructure *s = kc_get_stats (kc_child (p[i], "last"));
    gboolean exit = FALSE;

    fail_unless (gst_structure_get_boolean (s, "exit", &exit) && exit);
    gst_structure_free (s);
  }
  /* Per chain: audiotestsrc's streaming thread (stock) and the exit into
   * fakesink; for all chains: the worker.  Nothing per kitharaeq. */
  g_print ("%u chains of src ! kitharaeq ! kitharaeq ! fakesink: "
      "%u threads (%u before)\n", N_CHAINS, during, base);
  fail_unless (during <= base + 1 + 2 * N_CHAINS + 3,
      "%u threads for %u chains", during, N_CHAINS);
  for (i = 0; i < N_CHAINS; i++) {
    gst_element_set_state (p[i], GST_STATE_NULL);
    gst_object_unref (p[i]);
  }
}

GST_END_TEST;

static Suite *
kithara_exits_suite (void)
{
  Suite *s = suite_create ("kithara-exits");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_two_decoders_into_wav_files);
  tcase_add_test (tc, test_tee_into_two_chains);
  tcase_add_test (tc, test_two_chains_into_audiomixer);
  tcase_add_test (tc, test_paused_preload_does_not_stop_others);
  tcase_add_test (tc, test_two_appsinks_pulled);
  tcase_add_test (tc, test_clock_sync_is_not_a_slow_tick);
  tcase_add_test (tc, test_queue2);
  tcase_add_test (tc, test_identity_sync);
  tcase_add_test (tc, test_valve);
  tcase_add_test (tc, test_query_across_a_stock_element);
  tcase_add_test (tc, test_null_from_sync_handler_on_demuxer_error);
  tcase_add_test (tc, test_null_from_sync_handler_sink_behind_decoder);
  tcase_add_test (tc, test_threads_one_per_exit);
  return s;
}

KITHARA_CHECK_MAIN (kithara_exits);
