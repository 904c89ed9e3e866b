/* The stream contract a stock element keeps, kept by the kithara elements:
 * sticky events across flushes, serialized queries behind the data,
 * renegotiation on RECONFIGURE, one error per failure, seeks and the
 * seeking query through the exits.  Each case is the behaviour of the stock element it replaces.
 *
 * Tests wait for what they check (a harness pull, an EOS, a parked
 * worker), never for time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>

#include "gstkitharaelement.h"
#include "kitharacheck.h"

#define F32_STEREO "audio/x-raw,format=F32LE,rate=48000,channels=2," \
    "layout=interleaved"

/* n stereo frames at @start (in frames), every sample @value. */
static GstBuffer *
constant_buffer (guint n, guint64 start, gfloat value)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * 2 * sizeof (gfloat),
      NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < 2 * n; i++)
    ((gfloat *) map.data)[i] = value;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (start, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, 48000);
  return buf;
}

/* ------------------------------------------------------------------ */
/* What reaches a pad, in order: S stream-start, C caps, G segment,
 * B buffer, F flush-stop, E EOS, T tag. */

typedef struct
{
  GMutex lock;
  GCond cond;
  GString *seen;
  GstClockTime pts_after_flush; /* of the first buffer after flush-stop */
} Order;

static void
order_init (Order * o)
{
  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  o->seen = g_string_new (NULL);
  o->pts_after_flush = GST_CLOCK_TIME_NONE;
}

static void
order_clear (Order * o)
{
  g_string_free (o->seen, TRUE);
  g_cond_clear (&o->cond);
  g_mutex_clear (&o->lock);
}

/* Waits until @c was seen. */
static void
order_wait_for (Order * o, gchar c)
{
  g_mutex_lock (&o->lock);
  while (strchr (o->seen->str, c) == NULL)
    g_cond_wait (&o->cond, &o->lock);
  g_mutex_unlock (&o->lock);
}

/* Waits for the first buffer after a flush. */
static GstClockTime
order_wait_buffer_after_flush (Order * o)
{
  GstClockTime pts;

  g_mutex_lock (&o->lock);
  while (!GST_CLOCK_TIME_IS_VALID (o->pts_after_flush))
    g_cond_wait (&o->cond, &o->lock);
  pts = o->pts_after_flush;
  g_mutex_unlock (&o->lock);
  return pts;
}

#define ORDER_PROBE (GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM | \
    GST_PAD_PROBE_TYPE_EVENT_FLUSH)

static GstPadProbeReturn
note_order (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Order *o = user_data;
  gchar c = 0;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    c = 'B';
  } else if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_BOTH) {
    switch (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))) {
      case GST_EVENT_STREAM_START:
        c = 'S';
        break;
      case GST_EVENT_CAPS:
        c = 'C';
        break;
      case GST_EVENT_SEGMENT:
        c = 'G';
        break;
      case GST_EVENT_FLUSH_STOP:
        c = 'F';
        break;
      case GST_EVENT_EOS:
        c = 'E';
        break;
      case GST_EVENT_TAG:
        c = 'T';
        break;
      default:
        break;
    }
  }
  if (c) {
    g_mutex_lock (&o->lock);
    if (c == 'B' && strchr (o->seen->str, 'F') &&
        !GST_CLOCK_TIME_IS_VALID (o->pts_after_flush))
      o->pts_after_flush = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
    g_string_append_c (o->seen, c);
    g_cond_broadcast (&o->cond);
    g_mutex_unlock (&o->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* A flushing seek sent right after the pipeline was set to PAUSED, before
 * anything prerolled: the mixer's output still starts with stream-start
 * and caps (20 times, each a new pipeline). */
GST_START_TEST (test_mixer_flushing_seek_right_after_paused)
{
  guint run;

  for (run = 0; run < 20; run++) {
    GstElement *p = kc_parse ("audiotestsrc ! " F32_STEREO
        " ! kitharamixer ! fakesink name=sink");
    GstPad *pad = gst_element_get_static_pad (kc_child (p, "sink"), "sink");
    Order o;
    const gchar *first_buffer;

    order_init (&o);
    gst_pad_add_probe (pad, ORDER_PROBE, note_order, &o, NULL);
    gst_element_set_state (p, GST_STATE_PAUSED);
    fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH, GST_SECOND));
    kc_set_state_sync (p, GST_STATE_PAUSED);

    g_mutex_lock (&o.lock);
    first_buffer = strchr (o.seen->str, 'B');
    fail_unless (first_buffer != NULL, "run %u: no buffer (%s)", run,
        o.seen->str);
    fail_unless (strchr (o.seen->str, 'S') != NULL &&
        strchr (o.seen->str, 'S') < first_buffer &&
        strchr (o.seen->str, 'C') != NULL &&
        strchr (o.seen->str, 'C') < first_buffer,
        "run %u: %s", run, o.seen->str);
    g_mutex_unlock (&o.lock);

    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (pad);
    gst_object_unref (p);
    order_clear (&o);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

/* Every ERROR message posted until the pipeline is stopped after the
 * first one. */
static guint
count_errors_after_first (GstElement * p, GError ** first)
{
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;
  guint n = 1;

  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, first, NULL);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    n++;
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return n;
}

/* One unlinked pad after three kitharaeq: one ERROR, as with three
 * equalizer-nbands. */
GST_START_TEST (test_one_error_for_one_failure)
{
  GstElement *p = kc_parse ("audiotestsrc ! audio/x-raw,format=F32LE ! "
      "kitharaeq ! kitharaeq ! kitharaeq");
  GError *err = NULL;

  gst_element_set_state (p, GST_STATE_PLAYING);
  fail_unless_equals_int (count_errors_after_first (p, &err), 1);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED), "%s", err->message);
  g_clear_error (&err);
  gst_object_unref (p);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

/* A DRAIN query returns once everything sent before it has left the
 * element, as it does through a queue. */
GST_START_TEST (test_drain_waits_for_data)
{
  GstHarness *h = gst_harness_new ("kitharaeq");
  GstQuery *q;
  guint i;

  gst_harness_set_src_caps_str (h, F32_STEREO);
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (gst_harness_push (h,
            constant_buffer (480, 480 * i, 0.25f)), GST_FLOW_OK);
  q = gst_query_new_drain ();
  gst_pad_peer_query (h->srcpad, q);
  fail_unless_equals_int (gst_harness_buffers_received (h), 10);
  gst_query_unref (q);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Sticky events still waiting in the element when a flush comes are not
 * lost (GstQueue keeps them): the tag reaches downstream after the
 * flush.  The test holds the node so that the worker cannot get to them
 * first. */
GST_START_TEST (test_sticky_events_survive_flush)
{
  GstHarness *h = gst_harness_new ("kitharaeq");
  KitharaNode *node =
      gst_kithara_element_get_node (GST_KITHARA_ELEMENT (h->element));
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, "kept", NULL);
  GstEvent *ev;
  GstBuffer *out;

  kithara_node_lock_tick (node);
  gst_harness_set_src_caps_str (h, F32_STEREO);
  fail_unless (gst_harness_push_event (h, gst_event_new_tag (tags)));
  fail_unless_equals_int (gst_harness_push (h, constant_buffer (480, 0,
              0.25f)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  fail_unless_equals_int (gst_harness_push (h, constant_buffer (480, 0,
              0.5f)), GST_FLOW_OK);
  kithara_node_unlock_tick (node);

  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  gst_buffer_unref (out);
  ev = gst_pad_get_sticky_event (h->sinkpad, GST_EVENT_TAG, 0);
  fail_unless (ev != NULL, "the tag was lost in the flush");
  gst_event_unref (ev);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

/* Caps of the next sample an appsink gives, with its rate. */
static gint
next_rate (GstElement * appsink)
{
  GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (appsink));
  gint rate = 0;

  fail_unless (sample != NULL);
  gst_structure_get_int (gst_caps_get_structure (gst_sample_get_caps
          (sample), 0), "rate", &rate);
  gst_sample_unref (sample);
  return rate;
}

/* A capsfilter downstream of kithararesample changes its rate while
 * playing: the resampler renegotiates (RECONFIGURE), as audioresample
 * does. */
GST_START_TEST (test_resample_follows_reconfigure)
{
  GstElement *p = kc_parse ("audiotestsrc ! audio/x-raw,format=F32LE,"
      "rate=48000,channels=1 ! kithararesample ! capsfilter name=cf "
      "caps=audio/x-raw,rate=48000 ! appsink name=out sync=false");
  GstElement *out = kc_child (p, "out");
  GstCaps *caps;
  guint i;

  gst_element_set_state (p, GST_STATE_PLAYING);
  fail_unless_equals_int (next_rate (out), 48000);
  caps = gst_caps_from_string ("audio/x-raw,rate=32000");
  g_object_set (kc_child (p, "cf"), "caps", caps, NULL);
  gst_caps_unref (caps);
  /* What was queued at 48 kHz before the change may still come out. */
  for (i = 0; i < 200; i++)
    if (next_rate (out) == 32000)
      break;
  fail_unless (i < 200, "still 48 kHz after 200 buffers");
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

/* A seek on a pipeline that ends in kitharasink reaches the source, as
 * through a stock sink: it flushes, and the data after it starts at the
 * seek target. */
GST_START_TEST (test_seek_through_kitharasink)
{
  GstElement *p = kc_parse ("audiotestsrc name=src ! " F32_STEREO
      " ! kitharaeq ! kitharasink name=sink");
  GstPad *pad = gst_element_get_static_pad (kc_child (p, "src"), "src");
  Order o;

  order_init (&o);
  gst_pad_add_probe (pad, ORDER_PROBE, note_order, &o, NULL);
  kc_set_state_sync (p, GST_STATE_PAUSED);
  /* kitharasink does not preroll: data flows (the source knows its rate)
   * before the seek, as it would have in a prerolled pipeline. */
  order_wait_for (&o, 'B');
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND));
  {
    GstClockTime pts = order_wait_buffer_after_flush (&o);

    fail_unless (pts == 2 * GST_SECOND, "%" GST_TIME_FORMAT " after %s",
        GST_TIME_ARGS (pts), o.seen->str);
  }
  gst_element_set_state (p, GST_STATE_NULL);

  gst_object_unref (pad);
  gst_object_unref (p);
  order_clear (&o);
}

GST_END_TEST;

/* What a player asks before it offers a seek bar: through kitharasink,
 * the deck's duration and seekable range; through kitharamixer, the
 * longest deck's (1.024 s and 2.048 s of FLAC here). */
static void
assert_seekable_to (GstElement * p, GstClockTime end)
{
  GstQuery *q = gst_query_new_seeking (GST_FORMAT_TIME);
  gboolean seekable = FALSE;
  gint64 start = -1, stop = -1, duration = -1;

  fail_unless (gst_element_query (p, q));
  gst_query_parse_seeking (q, NULL, &seekable, &start, &stop);
  gst_query_unref (q);
  fail_unless (seekable);
  fail_unless_equals_int64 (start, 0);
  fail_unless_equals_int64 (stop, end);
  fail_unless (gst_element_query_duration (p, GST_FORMAT_TIME, &duration));
  fail_unless_equals_int64 (duration, end);
}

GST_START_TEST (test_seeking_query_at_exits)
{
  gchar *dir = kc_tmp_dir_new ("kithara-seeking-XXXXXX");
  gchar *one = kc_encode_tone (dir, "one.flac", "flacenc", 440, 48000,
      48 * 1024);
  gchar *two = kc_encode_tone (dir, "two.flac", "flacenc", 660, 48000,
      96 * 1024);
  gchar *desc;
  GstElement *p;
  GstPad *pad;
  Order o;

  desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "kitharasink name=sink", one);
  p = kc_parse (desc);
  g_free (desc);
  /* kitharasink does not preroll: what the stream knows is known once
   * its data flows. */
  pad = gst_element_get_static_pad (kc_child (p, "sink"), "sink");
  order_init (&o);
  gst_pad_add_probe (pad, ORDER_PROBE, note_order, &o, NULL);
  kc_set_state_sync (p, GST_STATE_PAUSED);
  order_wait_for (&o, 'B');
  assert_seekable_to (p, gst_util_uint64_scale (48 * 1024, GST_SECOND,
          48000));
  gst_object_unref (pad);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  desc = g_strdup_printf ("kitharamixer name=m ! fakesink "
      "filesrc location=\"%s\" ! kitharadecode ! m. "
      "filesrc location=\"%s\" ! kitharadecode ! m.", one, two);
  p = kc_parse (desc);
  g_free (desc);
  kc_set_state_sync (p, GST_STATE_PAUSED);
  assert_seekable_to (p, gst_util_uint64_scale (96 * 1024, GST_SECOND,
          48000));
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  order_clear (&o);
  g_free (one);
  g_free (two);
  kc_tmp_dir_remove (dir);
}

GST_END_TEST;

/* A property that only applies at the start of a stream (flagged
 * "changeable in NULL, READY") set while playing is refused with a
 * warning and reads back as the value in effect; in READY it is taken. */
static void
assert_refused_while_playing (GstElement * element, const gchar * property,
    const gchar * wanted)
{
  GValue before = G_VALUE_INIT, after = G_VALUE_INIT;
  gchar *a, *b;

  g_object_get_property (G_OBJECT (element), property, &before);
  ASSERT_WARNING (gst_util_set_object_arg (G_OBJECT (element), property,
          wanted));
  g_object_get_property (G_OBJECT (element), property, &after);
  a = g_strdup_value_contents (&before);
  b = g_strdup_value_contents (&after);
  fail_unless_equals_string (b, a);
  g_free (a);
  g_free (b);
  g_value_unset (&before);
  g_value_unset (&after);
}

GST_START_TEST (test_ready_only_properties_refused_while_running)
{
  GstElement *p = kc_parse ("audiotestsrc ! " F32_STEREO
      " ! kitharaeq name=e context=first ! kitharasink name=sink");
  GstElement *e = kc_child (p, "e"), *sink = kc_child (p, "sink");
  gchar *context = NULL;

  kc_set_state_sync (p, GST_STATE_PLAYING);
  assert_refused_while_playing (e, "context", "second");
  assert_refused_while_playing (sink, "buffer-time", "200000000");
  assert_refused_while_playing (sink, "caps", "audio/x-raw,format=S16LE");

  kc_set_state_sync (p, GST_STATE_READY);
  g_object_set (e, "context", "second", NULL);
  g_object_get (e, "context", &context, NULL);
  fail_unless_equals_string (context, "second");
  g_free (context);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

static Suite *
kithara_contract_suite (void)
{
  Suite *s = suite_create ("kithara-contract");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mixer_flushing_seek_right_after_paused);
  tcase_add_test (tc, test_one_error_for_one_failure);
  tcase_add_test (tc, test_drain_waits_for_data);
  tcase_add_test (tc, test_sticky_events_survive_flush);
  tcase_add_test (tc, test_resample_follows_reconfigure);
  tcase_add_test (tc, test_seek_through_kitharasink);
  tcase_add_test (tc, test_seeking_query_at_exits);
  tcase_add_test (tc, test_ready_only_properties_refused_while_running);
  return s;
}

KITHARA_CHECK_MAIN (kithara_contract);
