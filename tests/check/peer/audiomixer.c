/* Port of GStreamer 1.22's audiomixer test (gst-plugins-base,
 * tests/check/elements/audiomixer.c) to kitharamixer: its 24 scenarios,
 * with the same inputs and the same checks, built against kitharamixer
 * and, with PEER_STOCK, against audiomixer (see peer.h).
 *
 * Names: audiomixer's "output-buffer-duration" (the duration of each
 * output buffer, in ns) is kitharamixer's "block-time".
 *
 * Changes for every scenario:
 * - An ERROR message, when the scenario waits on the bus, fails it.  The
 *   original printed it and went on, so a scenario that only waits for
 *   the end of the stream also passed on an error.
 * - kitharamixer mixes on its worker and pushes from its own task: output
 *   is waited for (a DRAIN query, EOS, a bus message), never expected to
 *   be there when a push returns.  (The original does the same for
 *   audiomixer's aggregation thread.)
 *
 * Changes, test by test:
 * - test_clip, test_sync, test_sync_discont, test_sync_discont_backwards,
 *   test_sync_discont_and_drop_backwards,
 *   test_sync_discont_and_drop_before_output_backwards,
 *   test_sync_unaligned, test_segment_base_handling: the pipeline runs on
 *   a GstTestClock that never advances.  While PLAYING, kitharamixer
 *   mixes a block without the inputs that are late once the block is due
 *   on the pipeline clock; with the clock standing still it waits for
 *   every input, as audiomixer does in a pipeline that is not live (and
 *   audiomixer, not live, never looks at the clock).  On a loaded machine
 *   the system clock could make a block due before a queue thread has
 *   delivered its data.
 * - test_sync and its five siblings: kitharamixer's output is F32 only,
 *   so each output buffer is turned back into S16 before the check
 *   (exactly: the inputs and their sums are multiples of 1/32768); the
 *   same bytes at the same offsets are checked, and the same size for the
 *   short last buffer of test_sync_unaligned.  The bytes each buffer must
 *   hold are written as tables.
 * - test_segment_base_handling: the samples are pulled with
 *   gst_app_sink_pull_sample() rather than the "pull-sample" signal.
 * - test_change_output_caps, test_change_output_caps_mid_output_buffer
 *   (run in the stock build only): on the same still clock (no effect on
 *   audiomixer, which is not live there).
 * - test_qos_message_live: in both builds the buffer duration is set
 *   before the harness starts the element (the original set it in
 *   PLAYING; kitharamixer's block-time applies to a stream and is refused
 *   while playing).  Skipped in the kithara build (see skips[]).
 *   Instead the same pushes, pulls and clock cranks run with F32 output,
 *   and the samples audiomixer reports as dropped in its QoS messages
 *   (500, then 1000 in all) are read from the pad's "late-frames" counter
 *   in the mixer's "stats", at the same points (0 where the original
 *   expects no message); after the last crank the block it made due is
 *   pulled first, as the drop is counted when that block is mixed.
 * - test_change_output_caps, test_change_output_caps_mid_output_buffer:
 *   skipped in the kithara build (see skips[]).  Instead the same input
 *   goes to a mixer whose downstream takes only an integer format of the
 *   original (S8 for the first, S32 for the second): kitharamixer fails
 *   with a negotiation error and outputs nothing.  kitharamixer following
 *   a change of its downstream caps is tested in
 *   elements/kitharamixer_stream.c.
 * - All the others: as the original.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "peer.h"

#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/check/gstconsistencychecker.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <gst/base/gstbasesrc.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>

#define MIXER PEER_ELEMENT ("kitharamixer", "audiomixer")
#define BLOCK_PROPERTY PEER_ELEMENT ("block-time", "output-buffer-duration")

static const PeerSkip skips[] = {
  {"test_qos_message_live",
      "kitharamixer posts no QoS messages and its pads have no "
        "qos-messages property: input that comes after its time is dropped "
        "and counted in the pad's late-frames (stats); checked instead"},
  {"test_change_output_caps",
      "kitharamixer outputs F32 only, so it cannot switch to S32 (nor start "
        "with S8); checked instead: downstream taking only S8 is a "
        "negotiation error"},
  {"test_change_output_caps_mid_output_buffer",
      "kitharamixer outputs F32 only (and its blocks are 1 s at most, not "
        "1.5 s); checked instead: downstream taking only S32 is a "
        "negotiation error"},
  {NULL, NULL}
};

/* ------------------------------------------------------------------ */
/* Pipelines and the bus */

static GMainLoop *loop;

static void
loop_setup (void)
{
  loop = g_main_loop_new (NULL, FALSE);
}

static void
loop_teardown (void)
{
  g_main_loop_unref (loop);
  loop = NULL;
}

static GstElement *
new_mixer (void)
{
  GstElement *mixer = gst_element_factory_make (MIXER, "audiomixer");

  fail_unless (mixer != NULL, "no %s", MIXER);
  return mixer;
}

static GstElement *
new_element (const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  fail_unless (e != NULL, "no %s", factory);
  return e;
}

static GstElement *
silent_source (const gchar * name)
{
  GstElement *src = new_element ("audiotestsrc", name);

  gst_util_set_object_arg (G_OBJECT (src), "wave", "silence");
  return src;
}

/* A clock that never moves: nothing becomes due (see the header). */
static void
stop_the_clock (GstElement * pipeline)
{
  GstClock *clock = gst_test_clock_new ();

  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);
  gst_object_unref (clock);
}

/* @n_sources silent audiotestsrcs into @mixer (a new one if NULL), into
 * a fakesink named "sink", through @filter if given. */
static GstElement *
build_pipeline (GstElement * mixer, guint n_sources, GstElement * filter)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *sink = new_element ("fakesink", "sink");
  guint i;

  if (mixer == NULL)
    mixer = new_mixer ();
  gst_bin_add_many (GST_BIN (pipeline), mixer, sink, NULL);
  if (filter) {
    gst_bin_add (GST_BIN (pipeline), filter);
    fail_unless (gst_element_link_many (mixer, filter, sink, NULL));
  } else {
    fail_unless (gst_element_link (mixer, sink));
  }
  for (i = 0; i < n_sources; i++) {
    GstElement *src = silent_source (NULL);

    gst_bin_add (GST_BIN (pipeline), src);
    fail_unless (gst_element_link (src, mixer));
  }
  return pipeline;
}

static GstCaps *
caps_at_sink (GstElement * pipeline)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);

  gst_object_unref (pad);
  gst_object_unref (sink);
  return caps;
}

/* Sets @state and waits until it is reached (or preroll is not needed). */
static void
change_state_and_wait (GstElement * element, GstState state)
{
  ck_assert_int_ne (gst_element_set_state (element, state),
      GST_STATE_CHANGE_FAILURE);
  ck_assert_int_ne (gst_element_get_state (element, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_FAILURE);
}

static gboolean
start_playing (gpointer element)
{
  ck_assert_int_ne (gst_element_set_state (GST_ELEMENT (element),
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  return G_SOURCE_REMOVE;
}

/* Plays from the main loop until a handler quits it, then stops. */
static void
play_until_quit (GstElement * pipeline)
{
  g_idle_add (start_playing, pipeline);
  g_main_loop_run (loop);
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_FAILURE);
}

/* EOS ends the main loop, an ERROR fails the scenario, a WARNING is
 * printed. */
static void
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_printerr ("WARNING from %s: %s (%s)\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
          debug ? debug : "");
      g_clear_error (&err);
      g_free (debug);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      fail ("ERROR from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          err->message, debug ? debug : "");
      break;
    default:
      break;
  }
}

/* The pipeline's bus, watched from the main loop with on_message() for
 * EOS, errors and warnings; @segment_done handles SEGMENT_DONE if given. */
static GstBus *
watch_bus (GstElement * pipeline, GCallback segment_done)
{
  GstBus *bus = gst_element_get_bus (pipeline);

  gst_bus_add_signal_watch_full (bus, G_PRIORITY_HIGH);
  g_signal_connect (bus, "message::eos", G_CALLBACK (on_message), pipeline);
  g_signal_connect (bus, "message::error", G_CALLBACK (on_message), pipeline);
  g_signal_connect (bus, "message::warning", G_CALLBACK (on_message),
      pipeline);
  if (segment_done)
    g_signal_connect (bus, "message::segment-done", segment_done, pipeline);
  return bus;
}

static void
unwatch_bus (GstBus * bus)
{
  gst_bus_remove_signal_watch (bus);
  gst_object_unref (bus);
}

/* @size bytes of @fill at @pts for @duration. */
static GstBuffer *
filled_buffer (gsize size, guint8 fill, GstClockTime pts,
    GstClockTime duration, GstBufferFlags flags)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, fill, size);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  GST_BUFFER_FLAG_SET (buf, flags);
  return buf;
}

/* Waits until what was sent to @pad before has been mixed and pushed
 * downstream. */
static void
drain (GstPad * pad)
{
  GstQuery *query = gst_query_new_drain ();

  gst_pad_query (pad, query);
  gst_query_unref (query);
}

static gboolean
try_send_segment (GstPad * pad, GstClockTime start, GstClockTime stop)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = start;
  segment.stop = stop;
  segment.time = 0;
  return gst_pad_send_event (pad, gst_event_new_segment (&segment));
}

static void
send_segment (GstPad * pad, GstClockTime start, GstClockTime stop)
{
  fail_unless (try_send_segment (pad, start, stop));
}

/* stream-start, @caps and a segment [@start, @stop) on @pad. */
static void
start_stream (GstPad * pad, GstCaps * caps, GstClockTime start,
    GstClockTime stop)
{
  fail_unless (gst_pad_send_event (pad, gst_event_new_stream_start ("test")));
  fail_unless (gst_pad_set_caps (pad, caps));
  send_segment (pad, start, stop);
}

static GstCaps *
raw_caps (const gchar * format, gint rate, gint channels)
{
  return gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, format,
      "layout", G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, rate,
      "channels", G_TYPE_INT, channels, NULL);
}

/* ------------------------------------------------------------------ */
/* Negotiation */

/* Downstream has caps before the first buffer. */
GST_START_TEST (test_caps)
{
  GstElement *pipeline = build_pipeline (NULL, 1, NULL);
  GstCaps *caps;

  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  caps = caps_at_sink (pipeline);
  fail_unless (caps != NULL);
  gst_caps_unref (caps);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The caps of a capsfilter after the mixer are the output caps. */
GST_START_TEST (test_filter_caps)
{
  GstCaps *wanted = gst_caps_new_simple ("audio/x-raw",
      "format", G_TYPE_STRING, GST_AUDIO_NE (F32),
      "layout", G_TYPE_STRING, "interleaved",
      "rate", G_TYPE_INT, 44100, "channels", G_TYPE_INT, 1,
      "channel-mask", GST_TYPE_BITMASK, (guint64) 0x04, NULL);
  GstElement *filter = new_element ("capsfilter", NULL);
  GstElement *pipeline;
  GstCaps *caps;

  g_object_set (filter, "caps", wanted, NULL);
  pipeline = build_pipeline (new_mixer (), 1, filter);
  change_state_and_wait (pipeline, GST_STATE_PAUSED);

  caps = caps_at_sink (pipeline);
  fail_unless (caps != NULL);
  fail_unless (gst_caps_is_equal_fixed (caps, wanted), "%" GST_PTR_FORMAT,
      caps);
  gst_caps_unref (caps);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  gst_caps_unref (wanted);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Seeking */

static GstEvent *
segment_seek (GstSeekFlags flags, GstClockTime stop)
{
  return gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_SEGMENT | flags, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET,
      stop);
}

static GstFormat done_format;
static gint64 done_position;

static void
record_segment_done (GstBus * bus, GstMessage * msg, gpointer pipeline)
{
  gst_message_parse_segment_done (msg, &done_format, &done_position);
  g_main_loop_quit (loop);
}

/* Checks the events of each source and of the mixer's pads for the whole
 * test. */
static void
check_source (GstElement * src, GstStreamConsistency * mixer_check,
    GstStreamConsistency ** check)
{
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstPad *peer = gst_pad_get_peer (srcpad);

  *check = gst_consistency_checker_new (srcpad);
  gst_consistency_checker_add_pad (mixer_check, peer);
  gst_object_unref (peer);
  gst_object_unref (srcpad);
}

static GstStreamConsistency *
check_mixer_output (GstElement * mixer)
{
  GstPad *pad = gst_element_get_static_pad (mixer, "src");
  GstStreamConsistency *check = gst_consistency_checker_new (pad);

  gst_object_unref (pad);
  return check;
}

/* A flushing segment seek to [0, 2 s): the segment ends at 2 s. */
GST_START_TEST (test_event)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *src1 = silent_source ("src1");
  GstElement *src2 = silent_source ("src2");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstStreamConsistency *check1, *check2, *check_mixer;
  GstBus *bus;

  gst_bin_add_many (GST_BIN (pipeline), src1, src2, mixer, sink, NULL);
  fail_unless (gst_element_link (src1, mixer));
  fail_unless (gst_element_link (src2, mixer));
  fail_unless (gst_element_link (mixer, sink));
  check_mixer = check_mixer_output (mixer);
  check_source (src1, check_mixer, &check1);
  check_source (src2, check_mixer, &check2);

  done_format = GST_FORMAT_UNDEFINED;
  done_position = -1;
  bus = watch_bus (pipeline, G_CALLBACK (record_segment_done));

  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  fail_unless (gst_element_send_event (pipeline,
          segment_seek (GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND)));
  play_until_quit (pipeline);
  ck_assert_int_eq (done_position, 2 * GST_SECOND);

  gst_consistency_checker_free (check1);
  gst_consistency_checker_free (check2);
  gst_consistency_checker_free (check_mixer);
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static guint segments_done;
static GstEvent *replay_seek;

static void
send_replay_seek (GstElement * pipeline)
{
  gst_event_set_seqnum (replay_seek, gst_util_seqnum_next ());
  fail_unless (gst_element_send_event (pipeline,
          gst_event_ref (replay_seek)));
}

/* The first segment's end: back to READY, then the same seek and play
 * again; the second one ends the main loop. */
static void
replay_once (GstBus * bus, GstMessage * msg, gpointer pipeline)
{
  if (++segments_done > 1) {
    g_main_loop_quit (loop);
    return;
  }
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  send_replay_seek (pipeline);
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
}

/* Seek, play to the segment's end, stop, and the same again. */
GST_START_TEST (test_play_twice)
{
  GstElement *mixer = new_mixer ();
  GstElement *pipeline = build_pipeline (mixer, 2, NULL);
  GstStreamConsistency *check = check_mixer_output (mixer);
  GstBus *bus = watch_bus (pipeline, G_CALLBACK (replay_once));

  replay_seek = segment_seek (GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND);
  segments_done = 0;

  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  send_replay_seek (pipeline);
  play_until_quit (pipeline);
  ck_assert_int_eq (segments_done, 2);

  gst_consistency_checker_free (check);
  gst_event_unref (replay_seek);
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* test_play_twice two times over, with a third source added between. */
GST_START_TEST (test_play_twice_then_add_and_play_again)
{
  GstElement *mixer = new_mixer ();
  GstElement *pipeline = build_pipeline (mixer, 2, NULL);
  GstStreamConsistency *check = check_mixer_output (mixer);
  GstBus *bus = watch_bus (pipeline, G_CALLBACK (replay_once));
  guint round;

  replay_seek = segment_seek (GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND);
  for (round = 0; round < 2; round++) {
    segments_done = 0;
    change_state_and_wait (pipeline, GST_STATE_PAUSED);
    send_replay_seek (pipeline);
    play_until_quit (pipeline);
    ck_assert_int_eq (segments_done, 2);

    if (round == 0) {
      GstElement *src = silent_source (NULL);

      gst_bin_add (GST_BIN (pipeline), src);
      fail_unless (gst_element_link (src, mixer));
    }
    gst_consistency_checker_reset (check);
  }
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_FAILURE);

  gst_event_unref (replay_seek);
  gst_consistency_checker_free (check);
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A flushing seek with a live source among the inputs, twice; the second
 * source, not live, is held to the live one's caps. */
GST_START_TEST (test_live_seeking)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *live = silent_source ("src1");
  GstElement *filter = new_element ("capsfilter", "capsfilter");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstElement *other;
  GstStreamConsistency *check;
  GstEvent *seek;
  GstCaps *caps;
  GstBus *bus;
  guint round;

  g_object_set (live, "is-live", TRUE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), live, filter, mixer, sink, NULL);
  fail_unless (gst_element_link_many (live, filter, mixer, sink, NULL));

  /* The caps the live source plays with. */
  change_state_and_wait (pipeline, GST_STATE_PLAYING);
  caps = caps_at_sink (pipeline);
  fail_unless (caps != NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_object_set (filter, "caps", caps, NULL);
  other = silent_source ("src2");
  gst_bin_add (GST_BIN (pipeline), other);
  fail_unless (gst_element_link_filtered (other, mixer, caps));
  gst_caps_unref (caps);

  seek = gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
      GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, 2 * GST_SECOND);
  bus = watch_bus (pipeline, NULL);
  check = check_mixer_output (mixer);

  for (round = 0; round < 2; round++) {
    change_state_and_wait (pipeline, GST_STATE_PAUSED);
    gst_event_set_seqnum (seek, gst_util_seqnum_next ());
    fail_unless (gst_element_send_event (pipeline, gst_event_ref (seek)));
    play_until_quit (pipeline);
    gst_consistency_checker_reset (check);
  }

  gst_consistency_checker_free (check);
  gst_event_unref (seek);
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Pads coming and going */

/* A second source joins while PAUSED; the mix plays to its end. */
GST_START_TEST (test_add_pad)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *src1 = silent_source ("src1");
  GstElement *src2 = silent_source ("src2");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstBus *bus;

  g_object_set (src1, "num-buffers", 4, NULL);
  /* One buffer less: it joins one buffer late. */
  g_object_set (src2, "num-buffers", 3, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src1, mixer, sink, NULL);
  fail_unless (gst_element_link (src1, mixer));
  fail_unless (gst_element_link (mixer, sink));
  bus = watch_bus (pipeline, NULL);

  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  gst_bin_add (GST_BIN (pipeline), src2);
  fail_unless (gst_element_link (src2, mixer));
  ck_assert_int_ne (gst_element_set_state (src2, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  play_until_quit (pipeline);

  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* An input that never gets data holds the preroll until it is
 * released. */
GST_START_TEST (test_remove_pad)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *src = silent_source ("src");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstPad *idle;
  GstBus *bus;

  g_object_set (src, "num-buffers", 4, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, mixer, sink, NULL);
  fail_unless (gst_element_link (src, mixer));
  fail_unless (gst_element_link (mixer, sink));
  idle = gst_element_request_pad_simple (mixer, "sink_%u");
  fail_unless (idle != NULL);
  bus = watch_bus (pipeline, NULL);

  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  /* Still prerolling a second later: the mixer waits for that input. */
  ck_assert_int_eq (gst_element_get_state (pipeline, NULL, NULL, GST_SECOND),
      GST_STATE_CHANGE_ASYNC);

  gst_element_release_request_pad (mixer, idle);
  gst_object_unref (idle);
  ck_assert_int_ne (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_FAILURE);
  play_until_quit (pipeline);

  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Clipping */

static GstBuffer *last_output;

static void
keep_last_output (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  gst_buffer_replace (&last_output, buf);
}

static GstClockTime
end_of (GstBuffer * buf)
{
  return GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
}

/* A mixer (in PLAYING, on a clock that stands still) into a fakesink
 * whose buffers go to @handoff; returns the pipeline. */
static GstElement *
mixer_into_fakesink (GstElement * mixer, GstElement * filter,
    GCallback handoff, gpointer handoff_data)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *sink = new_element ("fakesink", "sink");

  if (handoff) {
    g_object_set (sink, "signal-handoffs", TRUE, NULL);
    g_signal_connect (sink, "handoff", handoff, handoff_data);
  }
  gst_bin_add_many (GST_BIN (pipeline), mixer, sink, NULL);
  if (filter) {
    gst_bin_add (GST_BIN (pipeline), filter);
    fail_unless (gst_element_link_many (mixer, filter, sink, NULL));
  } else {
    fail_unless (gst_element_link (mixer, sink));
  }
  stop_the_clock (pipeline);
  return pipeline;
}

/* S16 stereo at 44.1 kHz in a segment [1 s, 2 s): what lies outside is
 * clipped away, what lies across its start is cut there. */
GST_START_TEST (test_clip)
{
  GstElement *mixer = new_mixer ();
  GstElement *pipeline;
  GstCaps *caps = raw_caps (GST_AUDIO_NE (S16), 44100, 2);
  GstPad *pad;
  GstBus *bus;

  g_object_set (mixer, BLOCK_PROPERTY, 50 * GST_MSECOND, NULL);
  pipeline = mixer_into_fakesink (mixer, NULL, G_CALLBACK (keep_last_output),
      NULL);
  bus = watch_bus (pipeline, NULL);
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);

  /* Requested while PLAYING: active at once. */
  pad = gst_element_request_pad_simple (mixer, "sink_%u");
  fail_unless (pad != NULL);
  start_stream (pad, caps, GST_SECOND, 2 * GST_SECOND);
  gst_caps_unref (caps);

  /* [0, 0.25 s): before the segment, nothing comes out. */
  ck_assert_int_eq (gst_pad_chain (pad, filled_buffer (44100, 0, 0,
              250 * GST_MSECOND, 0)), GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output == NULL);

  /* [0.9 s, 1.15 s): its last 150 ms are in. */
  ck_assert_int_eq (gst_pad_chain (pad, filled_buffer (44100, 0,
              900 * GST_MSECOND, 250 * GST_MSECOND,
              GST_BUFFER_FLAG_DISCONT)), GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output != NULL);
  ck_assert_int_eq (end_of (last_output), 150 * GST_MSECOND);
  gst_buffer_replace (&last_output, NULL);

  /* [1.15 s, 1.4 s): all in. */
  ck_assert_int_eq (gst_pad_chain (pad, filled_buffer (44100, 0,
              1150 * GST_MSECOND, 250 * GST_MSECOND, 0)), GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output != NULL);
  ck_assert_int_eq (end_of (last_output), 400 * GST_MSECOND);
  gst_buffer_replace (&last_output, NULL);

  /* [2 s, 2.25 s): after the segment, nothing more. */
  ck_assert_int_eq (gst_pad_chain (pad, filled_buffer (44100, 0,
              2 * GST_SECOND, 250 * GST_MSECOND, GST_BUFFER_FLAG_DISCONT)),
      GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output == NULL);

  gst_element_release_request_pad (mixer, pad);
  gst_object_unref (pad);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Duration */

/* Three sources whose segment durations are set by hand once PAUSED
 * (basesrc resets them on the way there); returns the mix's duration. */
static gint64
mixed_duration (gint64 d0, gint64 d1, gint64 d2)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstElement *src[3];
  gint64 duration = 0;
  guint i;

  gst_bin_add_many (GST_BIN (pipeline), mixer, sink, NULL);
  for (i = 0; i < 3; i++) {
    src[i] = new_element ("audiotestsrc", NULL);
    gst_bin_add (GST_BIN (pipeline), src[i]);
    gst_element_link (src[i], mixer);
  }
  gst_element_link (mixer, sink);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  GST_BASE_SRC (src[0])->segment.duration = d0;
  GST_BASE_SRC (src[1])->segment.duration = d1;
  GST_BASE_SRC (src[2])->segment.duration = d2;
  change_state_and_wait (pipeline, GST_STATE_PLAYING);

  fail_unless (gst_element_query_duration (pipeline, GST_FORMAT_TIME,
          &duration));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return duration;
}

/* The longest input's. */
GST_START_TEST (test_duration_is_max)
{
  ck_assert_int_eq (mixed_duration (1000, 3000, 2000), 3000);
}

GST_END_TEST;

/* Unknown if any input's is. */
GST_START_TEST (test_duration_unknown_overrides)
{
  ck_assert_int_eq (mixed_duration (GST_CLOCK_TIME_NONE, 3000, 2000),
      GST_CLOCK_TIME_NONE);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Looping and flushing */

static gboolean looped;

/* At the end of the first segment, a non-flushing segment seek plays it
 * again; the end of that one ends the main loop. */
static void
loop_once (GstBus * bus, GstMessage * msg, gpointer pipeline)
{
  if (looped) {
    g_main_loop_quit (loop);
    return;
  }
  fail_unless (gst_element_send_event (GST_ELEMENT (pipeline),
          segment_seek (0, GST_SECOND)));
  looped = TRUE;
}

GST_START_TEST (test_loop)
{
  GstElement *pipeline = build_pipeline (NULL, 2, NULL);
  GstBus *bus = watch_bus (pipeline, G_CALLBACK (loop_once));

  looped = FALSE;
  change_state_and_wait (pipeline, GST_STATE_PAUSED);
  fail_unless (gst_element_send_event (pipeline,
          segment_seek (GST_SEEK_FLAG_FLUSH, GST_SECOND)));
  play_until_quit (pipeline);
  fail_unless (looped);

  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Flushing one input flushes that pad only, not the output. */
GST_START_TEST (test_flush_start_flush_stop)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *src1 = silent_source ("src1");
  GstElement *src2 = silent_source ("src2");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstPadTemplate *templ;
  GstPad *src1_pad, *src2_pad, *in1, *in2, *out;

  gst_bin_add_many (GST_BIN (pipeline), src1, src2, mixer, sink, NULL);
  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (mixer),
      "sink_%u");
  fail_unless (GST_IS_PAD_TEMPLATE (templ));
  in1 = gst_element_request_pad (mixer, templ, NULL, NULL);
  src1_pad = gst_element_get_static_pad (src1, "src");
  gst_pad_link (src1_pad, in1);
  in2 = gst_element_request_pad (mixer, templ, NULL, NULL);
  src2_pad = gst_element_get_static_pad (src2, "src");
  gst_pad_link (src2_pad, in2);
  gst_object_unref (src2_pad);
  gst_element_link (mixer, sink);

  change_state_and_wait (pipeline, GST_STATE_PLAYING);

  out = gst_element_get_static_pad (mixer, "src");
  fail_if (GST_PAD_IS_FLUSHING (out));
  gst_pad_send_event (in1, gst_event_new_flush_start ());
  fail_if (GST_PAD_IS_FLUSHING (out));
  fail_unless (GST_PAD_IS_FLUSHING (in1));
  /* With src1's stream lock held, the flush-stop cannot fall between the
   * segment src1 sends and its next buffer. */
  GST_PAD_STREAM_LOCK (src1_pad);
  gst_pad_send_event (in1, gst_event_new_flush_stop (TRUE));
  GST_PAD_STREAM_UNLOCK (src1_pad);
  fail_if (GST_PAD_IS_FLUSHING (out));
  fail_if (GST_PAD_IS_FLUSHING (in1));
  gst_object_unref (out);

  gst_element_release_request_pad (mixer, in1);
  gst_object_unref (in1);
  gst_element_release_request_pad (mixer, in2);
  gst_object_unref (in2);
  gst_object_unref (src1_pad);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Synchronisation of two inputs: S16 mono at 1000 Hz, 500 ms blocks */

/* One step of input: a buffer of @size bytes of @fill on input @input
 * at @start_ms for @duration_ms, or EOS on it when @size is 0. */
typedef struct
{
  guint input;
  gsize size;
  guint8 fill;
  guint start_ms, duration_ms;
  gboolean discont;
} Step;

/* What output buffer number n must hold: PTS n * 500 ms; bytes 0 and
 * size - 1 are @first and @last; bytes 499 and 500 are @at_499 and
 * @at_500 unless -1; @size (in S16) and @duration_ms unless 0. */
typedef struct
{
  guint8 first, last;
  gint at_499, at_500;
  gsize size;
  guint duration_ms;
} Expect;

#define SYNC_BLOCK (500 * GST_MSECOND)

/* The output as S16: kitharamixer's F32 samples are converted back (see
 * the header); S16 is taken as it is. */
static GstBuffer *
as_s16 (GstBuffer * buf, GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstAudioInfo info;
  GstMapInfo in, out;
  GstBuffer *s16;
  gsize i, n;

  fail_unless (caps != NULL && gst_audio_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  if (GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_S16)
    return gst_buffer_ref (buf);
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&info),
      GST_AUDIO_FORMAT_F32);

  gst_buffer_map (buf, &in, GST_MAP_READ);
  n = in.size / sizeof (gfloat);
  s16 = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  gst_buffer_map (s16, &out, GST_MAP_WRITE);
  for (i = 0; i < n; i++) {
    gfloat v = ((const gfloat *) in.data)[i] * 32768.0f;
    gint rounded = (gint) (v < 0.0f ? v - 0.5f : v + 0.5f);

    ((gint16 *) out.data)[i] = (gint16) CLAMP (rounded, G_MININT16,
        G_MAXINT16);
  }
  gst_buffer_unmap (s16, &out);
  gst_buffer_unmap (buf, &in);
  gst_buffer_copy_into (s16, buf, GST_BUFFER_COPY_METADATA, 0, -1);
  return s16;
}

static void
collect_as_s16 (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  GList **outputs = user_data;

  *outputs = g_list_append (*outputs, as_s16 (buf, pad));
}

static void
send_steps (GstPad * inputs[2], const Step * steps, guint n_steps)
{
  guint i;

  for (i = 0; i < n_steps; i++) {
    const Step *step = &steps[i];
    GstPad *pad = inputs[step->input];

    if (step->size == 0) {
      fail_unless (gst_pad_send_event (pad, gst_event_new_eos ()));
      continue;
    }
    ck_assert_int_eq (gst_pad_chain (pad, filled_buffer (step->size,
                step->fill, step->start_ms * GST_MSECOND,
                step->duration_ms * GST_MSECOND,
                step->discont ? GST_BUFFER_FLAG_DISCONT : 0)), GST_FLOW_OK);
  }
}

static void
check_outputs (GList * outputs, const Expect * expect, guint n_expect)
{
  guint i;

  fail_unless_equals_int (g_list_length (outputs), n_expect);
  for (i = 0; outputs; outputs = outputs->next, i++) {
    GstBuffer *buf = outputs->data;
    const Expect *e = &expect[i];
    GstMapInfo map;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * SYNC_BLOCK);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    fail_unless_equals_int (map.data[0], e->first);
    fail_unless_equals_int (map.data[map.size - 1], e->last);
    if (e->at_499 >= 0)
      fail_unless_equals_int (map.data[499], e->at_499);
    if (e->at_500 >= 0)
      fail_unless_equals_int (map.data[500], e->at_500);
    if (e->size)
      fail_unless_equals_int (map.size, e->size);
    if (e->duration_ms)
      fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf),
          e->duration_ms * GST_MSECOND);
    gst_buffer_unmap (buf, &map);
  }
}

/* Two queues into a PAUSED mixer, fed @steps from this thread; then
 * PLAYING until EOS, and the output checked against @expect. */
static void
run_sync (const Step * steps, guint n_steps, const Expect * expect,
    guint n_expect)
{
  GstElement *mixer = new_mixer ();
  GstElement *queue[2] = { new_element ("queue", "queue1"),
    new_element ("queue", "queue2")
  };
  GstCaps *caps = raw_caps (GST_AUDIO_NE (S16), 1000, 1);
  GList *outputs = NULL;
  GstPad *mixer_in[2], *queue_in[2];
  GstElement *pipeline;
  GstBus *bus;
  guint i;

  g_object_set (mixer, BLOCK_PROPERTY, SYNC_BLOCK, NULL);
  pipeline = mixer_into_fakesink (mixer, NULL, G_CALLBACK (collect_as_s16),
      &outputs);
  gst_bin_add_many (GST_BIN (pipeline), queue[0], queue[1], NULL);
  bus = watch_bus (pipeline, NULL);
  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);

  for (i = 0; i < 2; i++) {
    GstPad *queue_out = gst_element_get_static_pad (queue[i], "src");

    mixer_in[i] = gst_element_request_pad_simple (mixer, "sink_%u");
    fail_unless (mixer_in[i] != NULL);
    fail_unless_equals_int (gst_pad_link (queue_out, mixer_in[i]),
        GST_PAD_LINK_OK);
    gst_object_unref (queue_out);
    queue_in[i] = gst_element_get_static_pad (queue[i], "sink");
  }
  for (i = 0; i < 2; i++)
    start_stream (queue_in[i], caps, 0, GST_CLOCK_TIME_NONE);
  gst_caps_unref (caps);

  send_steps (queue_in, steps, n_steps);
  play_until_quit (pipeline);
  check_outputs (outputs, expect, n_expect);
  g_list_free_full (outputs, (GDestroyNotify) gst_buffer_unref);

  for (i = 0; i < 2; i++) {
    gst_element_release_request_pad (mixer, mixer_in[i]);
    gst_object_unref (mixer_in[i]);
    gst_object_unref (queue_in[i]);
  }
  unwatch_bus (bus);
  gst_object_unref (pipeline);
}

#define RUN_SYNC(steps, expect) \
    run_sync (steps, G_N_ELEMENTS (steps), expect, G_N_ELEMENTS (expect))

/* S16 bytes: 0x01 for one input of 0x0101, 0x02 for two (or 0x0202),
 * 0x03 for 0x0101 + 0x0202. */
#define FLAT(v) {v, v, -1, -1, 0, 0}
#define EOS_ON(input) {input, 0, 0, 0, 0, FALSE}

/* Input 1 at 1-3 s, input 2 at 2-4 s. */
static const Step sync_steps[] = {
  {0, 2000, 1, 1000, 1000, FALSE}, {0, 2000, 1, 2000, 1000, FALSE},
  EOS_ON (0),
  {1, 2000, 2, 2000, 1000, FALSE}, {1, 2000, 2, 3000, 1000, FALSE},
  EOS_ON (1),
};

static const Expect sync_expect[] = {
  FLAT (0), FLAT (0), FLAT (1), FLAT (1), FLAT (3), FLAT (3), FLAT (2),
  FLAT (2)
};

GST_START_TEST (test_sync)
{
  RUN_SYNC (sync_steps, sync_expect);
}

GST_END_TEST;

/* Input 1 at 1-2 s, then (DISCONT) at 3-4 s; input 2 at 2-4 s. */
static const Step discont_steps[] = {
  {0, 2000, 1, 1000, 1000, FALSE}, {0, 2000, 1, 3000, 1000, TRUE},
  EOS_ON (0),
  {1, 2000, 2, 2000, 1000, FALSE}, {1, 2000, 2, 3000, 1000, FALSE},
  EOS_ON (1),
};

static const Expect discont_expect[] = {
  FLAT (0), FLAT (0), FLAT (1), FLAT (1), FLAT (2), FLAT (2), FLAT (3),
  FLAT (3)
};

GST_START_TEST (test_sync_discont)
{
  RUN_SYNC (discont_steps, discont_expect);
}

GST_END_TEST;

/* Input 1 at 1-2 s, input 1 and 2 at 2-3 s, both 0x0101, whatever
 * overlap input 1's DISCONT buffers bring: nothing is added twice. */
static const Expect backwards_expect[] = {
  FLAT (0), FLAT (0), FLAT (1), FLAT (1), FLAT (2), FLAT (2)
};

/* Input 1 at 1-2.15 s, then (DISCONT) at 2-3 s. */
static const Step backwards_steps[] = {
  {0, 2300, 1, 1000, 1150, FALSE}, {0, 2000, 1, 2000, 1000, TRUE},
  EOS_ON (0),
  {1, 2000, 1, 2000, 1000, FALSE},
  EOS_ON (1),
};

GST_START_TEST (test_sync_discont_backwards)
{
  RUN_SYNC (backwards_steps, backwards_expect);
}

GST_END_TEST;

/* Input 1 at 1-2.25 s, then (DISCONT) 2-2.2 s, wholly behind, then
 * 2.2-3 s. */
static const Step drop_steps[] = {
  {0, 2500, 1, 1000, 1250, FALSE}, {0, 400, 1, 2000, 200, TRUE},
  {0, 1600, 1, 2200, 800, FALSE},
  EOS_ON (0),
  {1, 2000, 1, 2000, 1000, FALSE},
  EOS_ON (1),
};

GST_START_TEST (test_sync_discont_and_drop_backwards)
{
  RUN_SYNC (drop_steps, backwards_expect);
}

GST_END_TEST;

/* Input 1 at 1-2.25 s, then (DISCONT) 1.5-1.9 s, wholly behind and
 * before the first output, then 1.9-3 s. */
static const Step drop_early_steps[] = {
  {0, 2500, 1, 1000, 1250, FALSE}, {0, 800, 1, 1500, 400, TRUE},
  {0, 2200, 1, 1900, 1100, FALSE},
  EOS_ON (0),
  {1, 2000, 1, 2000, 1000, FALSE},
  EOS_ON (1),
};

GST_START_TEST (test_sync_discont_and_drop_before_output_backwards)
{
  RUN_SYNC (drop_early_steps, backwards_expect);
}

GST_END_TEST;

/* Input 1 at 0.75-2.75 s, input 2 at 1.75-3.75 s: off the blocks by
 * 250 ms (byte 500 is the first of the second half of a block). */
static const Step unaligned_steps[] = {
  {0, 2000, 1, 750, 1000, FALSE}, {0, 2000, 1, 1750, 1000, FALSE},
  EOS_ON (0),
  {1, 2000, 2, 1750, 1000, FALSE}, {1, 2000, 2, 2750, 1000, FALSE},
  EOS_ON (1),
};

static const Expect unaligned_expect[] = {
  FLAT (0),
  {0, 1, 0, 1, 0, 0},
  FLAT (1),
  {1, 3, 1, 3, 0, 0},
  {3, 3, 3, 3, 0, 0},
  {3, 2, 3, 2, 0, 0},
  {2, 2, 2, 2, 0, 0},
  /* The last one is short: 250 ms. */
  {2, 2, 2, -1, 500, 250},
};

GST_START_TEST (test_sync_unaligned)
{
  RUN_SYNC (unaligned_steps, unaligned_expect);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Pad offsets and controlled pad properties */

/* Two 5 s inputs, the second with a pad offset of 5 s: the mix lasts
 * 10 s. */
GST_START_TEST (test_segment_base_handling)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("appsink", "sink");
  GstElement *src1 = new_element ("audiotestsrc", "src1");
  GstElement *src2 = new_element ("audiotestsrc", "src2");
  GstCaps *caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT,
      44100, "channels", G_TYPE_INT, 2, NULL);
  GstSample *sample, *last = NULL;
  GstPad *out, *in;
  GstBuffer *buf;

  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  gst_caps_unref (caps);
  /* 50 buffers of 100 ms each. */
  g_object_set (src1, "samplesperbuffer", 4410, "num-buffers", 50, NULL);
  g_object_set (src2, "samplesperbuffer", 4410, "num-buffers", 50, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src1, src2, mixer, sink, NULL);
  fail_unless (gst_element_link (mixer, sink));
  stop_the_clock (pipeline);

  out = gst_element_get_static_pad (src1, "src");
  in = gst_element_request_pad_simple (mixer, "sink_1");
  fail_unless_equals_int (gst_pad_link (out, in), GST_PAD_LINK_OK);
  gst_object_unref (in);
  gst_object_unref (out);

  out = gst_element_get_static_pad (src2, "src");
  in = gst_element_request_pad_simple (mixer, "sink_2");
  fail_unless_equals_int (gst_pad_link (out, in), GST_PAD_LINK_OK);
  gst_pad_set_offset (in, 5 * GST_SECOND);
  gst_object_unref (in);
  gst_object_unref (out);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (last)
      gst_sample_unref (last);
    last = sample;
  }
  fail_unless (last != NULL);
  buf = gst_sample_get_buffer (last);
  fail_unless_equals_int64 (end_of (buf), 10 * GST_SECOND);
  gst_sample_unref (last);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A linear ramp of @pad's volume from @from at @start to @to at @end. */
static void
ramp_volume (GstPad * pad, GstClockTime start, gdouble from,
    GstClockTime end, gdouble to)
{
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *points = GST_TIMED_VALUE_CONTROL_SOURCE (cs);

  fail_unless (gst_object_add_control_binding (GST_OBJECT (pad),
          gst_direct_control_binding_new_absolute (GST_OBJECT (pad),
              "volume", cs)));
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  fail_unless (gst_timed_value_control_source_set (points, start, from));
  fail_unless (gst_timed_value_control_source_set (points, end, to));
  gst_object_unref (cs);
}

/* A controller on a pad's volume: the stream plays to its end. */
GST_START_TEST (test_sinkpad_property_controller)
{
  GstElement *pipeline = gst_pipeline_new ("pipeline");
  GstElement *mixer = new_mixer ();
  GstElement *sink = new_element ("fakesink", "sink");
  GstElement *src = new_element ("audiotestsrc", "src1");
  GstPad *out, *in;
  GstMessage *msg;
  GstBus *bus;

  g_object_set (src, "num-buffers", 100, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, mixer, sink, NULL);
  fail_unless (gst_element_link (mixer, sink));

  out = gst_element_get_static_pad (src, "src");
  in = gst_element_request_pad_simple (mixer, "sink_0");
  fail_unless_equals_int (gst_pad_link (out, in), GST_PAD_LINK_OK);
  /* The original's numbers: from 0 at 0 ns to 2.0 at 1 ns. */
  ramp_volume (in, 0, 0.0, 1, 2.0);
  gst_object_unref (in);
  gst_object_unref (out);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Changing the output format (stock) and what kitharamixer does */

/* Rate 10, mono: one byte per second of S8. */
#define TEN_HZ 10

/* Whether @pad took a segment (a sink pad keeps only accepted ones). */
static gboolean
pad_took_segment (GstPad * pad)
{
  GstEvent *segment = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);

  if (segment == NULL)
    return FALSE;
  gst_event_unref (segment);
  return TRUE;
}

static GstBuffer *
s8_ramp (gsize size, guint ones_from, GstClockTime pts, GstClockTime dur)
{
  GstBuffer *buf = filled_buffer (size, 0, pts, dur, 0);

  if (ones_from < size)
    gst_buffer_memset (buf, ones_from, 1, size - ones_from);
  return buf;
}

/* A mixer in PLAYING into a capsfilter (S8, 10 Hz, mono) and a fakesink;
 * one input pad requested and started with the same caps on a segment
 * [0, @stop). */
static GstElement *
integer_output_pipeline (GstElement * mixer, GstElement * filter,
    GstClockTime stop, GCallback handoff, gpointer handoff_data,
    GstPad ** pad)
{
  GstCaps *caps = raw_caps ("S8", TEN_HZ, 1);
  GstElement *pipeline = mixer_into_fakesink (mixer, filter, handoff,
      handoff_data);

  ck_assert_int_ne (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  *pad = gst_element_request_pad_simple (mixer, "sink_%u");
  fail_unless (*pad != NULL);
  fail_unless (gst_pad_send_event (*pad,
          gst_event_new_stream_start ("test")));
  gst_pad_set_caps (*pad, caps);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
#ifdef PEER_STOCK
  send_segment (*pad, 0, stop);
#else
  /* Only for the refusal checks: kitharamixer may have failed on the caps
   * already (its worker takes them at once), and then refuses the segment
   * too.  What counts is the error. */
  try_send_segment (*pad, 0, stop);
#endif
  return pipeline;
}

static void
count_outputs (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* kitharamixer's answer to a downstream that takes only @format: a
 * negotiation error, and no output. */
static void
refuses_integer_output (const gchar * format)
{
  GstElement *mixer = new_mixer ();
  GstElement *filter = new_element ("capsfilter", NULL);
  GstCaps *caps = raw_caps (format, TEN_HZ, 1);
  GstElement *pipeline;
  GstMessage *msg;
  GError *err = NULL;
  GstPad *pad;
  gint outputs = 0;

  g_object_set (mixer, BLOCK_PROPERTY, GST_SECOND, NULL);
  pipeline = integer_output_pipeline (mixer, filter, 2 * GST_SECOND,
      G_CALLBACK (count_outputs), &outputs, &pad);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  /* Taken or already refused: what matters is the error.  A pad that
   * refused the segment has none, and data on it would only warn. */
  if (pad_took_segment (pad))
    gst_pad_chain (pad, s8_ramp (20, 15, 0, 2 * GST_SECOND));

  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (mixer));
  g_clear_error (&err);
  gst_message_unref (msg);

  gst_element_release_request_pad (mixer, pad);
  gst_object_unref (pad);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (g_atomic_int_get (&outputs), 0);
  gst_object_unref (pipeline);
}

/* @n native-endian S32 samples: @before up to sample @split, then
 * @after. */
static void
s32_samples_are (GstBuffer * buf, guint n, guint split, gint32 before,
    gint32 after)
{
  GstMapInfo map;
  guint i;

  fail_unless_equals_int (gst_buffer_get_size (buf), n * sizeof (gint32));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (((const gint32 *) map.data)[i],
        i < split ? before : after);
  gst_buffer_unmap (buf, &map);
}

/* After the first output buffer, downstream takes S32 only. */
static void
switch_to_s32 (GstElement * sink, GstBuffer * buf, GstPad * pad,
    GstElement * filter)
{
  GstCaps *caps = raw_caps (GST_AUDIO_NE (S32), TEN_HZ, 1);

  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_signal_connect (sink, "handoff", G_CALLBACK (keep_last_output), NULL);
  g_signal_handlers_disconnect_by_func (sink, switch_to_s32, filter);
}

/* A 2 s input (15 zeros, then 5 ones, S8 at 10 Hz) mixed into 1 s
 * buffers; after the first, the output switches from S8 to S32: the
 * second holds 5 zeros and 5 times 1 << 24. */
GST_START_TEST (test_change_output_caps)
{
  GstElement *mixer, *filter, *pipeline, *sink;
  GstPad *pad;

  if (PEER_SKIP_HERE (skips)) {
    refuses_integer_output ("S8");
    return;
  }
  mixer = new_mixer ();
  filter = new_element ("capsfilter", NULL);
  g_object_set (mixer, BLOCK_PROPERTY, GST_SECOND, NULL);
  pipeline = integer_output_pipeline (mixer, filter, 2 * GST_SECOND,
      G_CALLBACK (switch_to_s32), filter, &pad);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_buffer_replace (&last_output, NULL);

  ck_assert_int_eq (gst_pad_chain (pad, s8_ramp (20, 15, 0,
              2 * GST_SECOND)), GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output != NULL);
  s32_samples_are (last_output, 10, 5, 0, 1 << 24);
  gst_clear_buffer (&last_output);

  gst_element_release_request_pad (mixer, pad);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* 1.5 s output buffers; 2 s of input (zeros, then ones) mixed as S8, then
 * the output switches to S32 and a third second of zeros comes: the
 * second buffer (1.5-3 s), half mixed before the switch, holds 5 times
 * 1 << 24, then 10 zeros. */
GST_START_TEST (test_change_output_caps_mid_output_buffer)
{
  GstElement *mixer, *filter, *pipeline, *sink;
  GstCaps *caps;
  GstPad *pad;

  if (PEER_SKIP_HERE (skips)) {
    refuses_integer_output (GST_AUDIO_NE (S32));
    return;
  }
  mixer = new_mixer ();
  filter = new_element ("capsfilter", NULL);
  g_object_set (mixer, BLOCK_PROPERTY, 1500 * GST_MSECOND, NULL);
  pipeline = integer_output_pipeline (mixer, filter, 3 * GST_SECOND, NULL,
      NULL, &pad);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");

  ck_assert_int_eq (gst_pad_chain (pad, s8_ramp (10, 10, 0, GST_SECOND)),
      GST_FLOW_OK);
  ck_assert_int_eq (gst_pad_chain (pad, s8_ramp (10, 0, GST_SECOND,
              GST_SECOND)), GST_FLOW_OK);
  drain (pad);

  caps = raw_caps (GST_AUDIO_NE (S32), TEN_HZ, 1);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_buffer_replace (&last_output, NULL);
  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (keep_last_output), NULL);

  ck_assert_int_eq (gst_pad_chain (pad, s8_ramp (10, 10, 2 * GST_SECOND,
              GST_SECOND)), GST_FLOW_OK);
  drain (pad);
  fail_unless (last_output != NULL);
  s32_samples_are (last_output, 15, 5, 1 << 24, 0);
  gst_clear_buffer (&last_output);

  gst_element_release_request_pad (mixer, pad);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Late input while live */

#define QOS_CAPS "audio/x-raw, format=(string)S16LE, rate=(int)1000, " \
    "channels=(int)1, layout=(string)interleaved"

static void
expect_qos (GstMessage * msg, GstClockTime ts, GstClockTime duration,
    guint64 processed, guint64 dropped)
{
  gboolean live;
  guint64 running_time, stream_time, timestamp, dur, n_processed, n_dropped;
  GstFormat format;

  fail_unless (msg != NULL);
  gst_message_parse_qos (msg, &live, &running_time, &stream_time,
      &timestamp, &dur);
  gst_message_parse_qos_stats (msg, &format, &n_processed, &n_dropped);
  fail_unless_equals_uint64 (running_time, ts);
  fail_unless_equals_uint64 (stream_time, ts);
  fail_unless_equals_uint64 (timestamp, ts);
  fail_unless_equals_uint64 (dur, duration);
  fail_unless_equals_int64 (format, GST_FORMAT_DEFAULT);
  fail_unless_equals_uint64 (n_processed, processed);
  fail_unless_equals_uint64 (n_dropped, dropped);
  gst_message_unref (msg);
}

/* The next output buffer, which must start at @seconds and last 1 s. */
static void
pull_second (GstHarness * h, guint seconds)
{
  GstBuffer *buf = gst_harness_pull (h);

  fail_unless (buf != NULL);
  fail_unless_equals_int64 (GST_BUFFER_PTS (buf), seconds * GST_SECOND);
  fail_unless_equals_int64 (GST_BUFFER_DURATION (buf), GST_SECOND);
  gst_buffer_unref (buf);
}

static void
no_qos (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_QOS);

  fail_unless (msg == NULL);
}

/* kitharamixer's count of the samples of input @pad_name dropped as
 * late. */
static guint64
late_frames (GstElement * mixer, const gchar * pad_name)
{
  GstStructure *stats = NULL, *pads = NULL, *pad = NULL;
  guint64 late = G_MAXUINT64;

  g_object_get (mixer, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get (stats, "pads", GST_TYPE_STRUCTURE, &pads,
          NULL));
  fail_unless (gst_structure_get (pads, pad_name, GST_TYPE_STRUCTURE, &pad,
          NULL));
  fail_unless (gst_structure_get_uint64 (pad, "late-frames", &late));
  gst_structure_free (pad);
  gst_structure_free (pads);
  gst_structure_free (stats);
  return late;
}

/* Two live inputs at 1000 Hz into 1 s buffers, on the harness's test
 * clock: sink_0 gets 1.5 s, sink_1 5 s.  @bus is NULL for kitharamixer,
 * whose late samples are read from stats where audiomixer's QoS messages
 * are read. */
static void
run_late_input (const gchar * out_caps, GstBus * bus)
{
  GstElement *mixer = gst_element_factory_make (MIXER, NULL);
  GstHarness *h, *h2;
  GstBuffer *buf;

  /* Set before the harness starts the element: block-time is a
   * property of the stream, refused while playing. */
  g_object_set (mixer, BLOCK_PROPERTY, GST_SECOND, NULL);
  h = gst_harness_new_with_element (mixer, "sink_0", "src");
  gst_object_unref (mixer);
  h2 = gst_harness_new_with_element (h->element, "sink_1", NULL);
  if (bus) {
    GstPad *pad = gst_element_get_static_pad (h->element, "sink_0");

    g_object_set (pad, "qos-messages", TRUE, NULL);
    gst_object_unref (pad);
    pad = gst_element_get_static_pad (h->element, "sink_1");
    g_object_set (pad, "qos-messages", TRUE, NULL);
    gst_object_unref (pad);
    gst_element_set_bus (h->element, bus);
  }
  gst_harness_play (h);
  gst_harness_play (h2);
  gst_harness_set_caps_str (h, QOS_CAPS, out_caps);
  gst_harness_set_src_caps_str (h2, QOS_CAPS);

  gst_harness_push (h, filled_buffer (3000, 0, 0, 1500 * GST_MSECOND, 0));
  gst_harness_push (h2, filled_buffer (10000, 0, 0, 5 * GST_SECOND, 0));

  /* [0, 1 s): both inputs are there. */
  pull_second (h, 0);
  if (bus)
    no_qos (bus);
  else
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 0);

  /* [1 s, 2 s) is due: sink_0 has only half of it. */
  gst_harness_crank_single_clock_wait (h);
  pull_second (h, 1);
  if (bus)
    no_qos (bus);
  else
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 0);

  /* [1.5 s, 3 s) on sink_0: its first 500 ms come too late. */
  buf = gst_harness_push_and_pull (h, filled_buffer (3000, 0,
          1500 * GST_MSECOND, 1500 * GST_MSECOND, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_int64 (GST_BUFFER_PTS (buf), 2 * GST_SECOND);
  fail_unless_equals_int64 (GST_BUFFER_DURATION (buf), GST_SECOND);
  gst_buffer_unref (buf);
  if (bus)
    expect_qos (gst_bus_pop_filtered (bus, GST_MESSAGE_QOS),
        1500 * GST_MSECOND, 500 * GST_MSECOND, 1500, 500);
  else
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 500);

  /* [3 s, 4 s) and [4 s, 5 s), each when due. */
  gst_harness_crank_single_clock_wait (h);
  pull_second (h, 3);
  if (bus)
    no_qos (bus);
  else
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 500);
  gst_harness_crank_single_clock_wait (h);
  pull_second (h, 4);
  if (bus)
    no_qos (bus);
  else
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 500);

  /* [3 s, 3.5 s) on sink_0, wholly in the past: dropped. */
  gst_harness_push (h, filled_buffer (1000, 0, 3 * GST_SECOND,
          500 * GST_MSECOND, 0));
  gst_harness_crank_single_clock_wait (h);
  if (bus) {
    expect_qos (gst_bus_timed_pop_filtered (bus, GST_SECOND,
            GST_MESSAGE_QOS), 3 * GST_SECOND, 500 * GST_MSECOND, 2500, 1000);
    gst_element_set_bus (h->element, NULL);
  } else {
    /* The block the crank made due was mixed after the drop. */
    pull_second (h, 5);
    fail_unless_equals_uint64 (late_frames (h->element, "sink_0"), 1000);
  }

  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_START_TEST (test_qos_message_live)
{
  GstBus *bus;

  if (PEER_SKIP_HERE (skips)) {
    run_late_input ("audio/x-raw, format=(string)" GST_AUDIO_NE (F32)
        ", rate=(int)1000, channels=(int)1, layout=(string)interleaved",
        NULL);
    return;
  }
  bus = gst_bus_new ();
  run_late_input (QOS_CAPS, bus);
  gst_object_unref (bus);
}

GST_END_TEST;

static Suite *
audiomixer_suite (void)
{
  Suite *s = suite_create ("audiomixer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, loop_setup, loop_teardown);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_filter_caps);
  tcase_add_test (tc, test_event);
  tcase_add_test (tc, test_play_twice);
  tcase_add_test (tc, test_play_twice_then_add_and_play_again);
  tcase_add_test (tc, test_live_seeking);
  tcase_add_test (tc, test_add_pad);
  tcase_add_test (tc, test_remove_pad);
  tcase_add_test (tc, test_clip);
  tcase_add_test (tc, test_duration_is_max);
  tcase_add_test (tc, test_duration_unknown_overrides);
  tcase_add_test (tc, test_loop);
  tcase_add_test (tc, test_flush_start_flush_stop);
  tcase_add_test (tc, test_sync);
  tcase_add_test (tc, test_sync_discont);
  tcase_add_test (tc, test_sync_discont_backwards);
  tcase_add_test (tc, test_sync_discont_and_drop_backwards);
  tcase_add_test (tc, test_sync_discont_and_drop_before_output_backwards);
  tcase_add_test (tc, test_sync_unaligned);
  tcase_add_test (tc, test_segment_base_handling);
  tcase_add_test (tc, test_sinkpad_property_controller);
  tcase_add_test (tc, test_qos_message_live);
  tcase_add_test (tc, test_change_output_caps);
  tcase_add_test (tc, test_change_output_caps_mid_output_buffer);
  return s;
}

PEER_CHECK_MAIN (audiomixer, skips);
