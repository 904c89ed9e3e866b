/* kitharamixer keeps audiomixer's stream contract: input clipped to its
 * segment, overlaps after a backwards DISCONT dropped, an unknown input
 * duration makes the mix's unknown, SEGMENT_DONE passed on, the output
 * format chosen by downstream first and then by the best input, and
 * renegotiated when downstream asks.
 *
 * Inputs are GstHarness pads on the mixer's request pads; the harness's
 * test clock never advances, so no block is forced by a deadline: the mix
 * waits for every input, as audiomixer does in a pipeline that is not
 * live.  Output is read once EOS (or the event looked for) came out,
 * after every buffer before it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>

#include "gstkitharaelement.h"
#include "../kitharacheck.h"

#define RATE 48000
#define STEREO "audio/x-raw,format=F32LE,rate=48000,channels=2," \
    "layout=interleaved"

/* @seconds of stereo frames at @start seconds, every sample @value. */
static GstBuffer *
constant (gdouble start, gdouble seconds, gfloat value, gboolean discont)
{
  guint n = (guint) (seconds * RATE + 0.5), i;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * 2 * sizeof (gfloat),
      NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < 2 * n; i++)
    ((gfloat *) map.data)[i] = value;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = (GstClockTime) (start * GST_SECOND + 0.5);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, RATE);
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* The mixer's output until an event of @type (EOS, SEGMENT_DONE) came
 * out: left channel samples. */
static GArray *
output_until (GstHarness * h, GstEventType type)
{
  GArray *left = g_array_new (FALSE, FALSE, sizeof (gfloat));
  GstBuffer *buf;

  for (;;) {
    GstEvent *ev = gst_harness_pull_event (h);

    fail_unless (ev != NULL, "no %s", gst_event_type_get_name (type));
    if (GST_EVENT_TYPE (ev) == type) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  }
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    guint i;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    for (i = 0; i < map.size / sizeof (gfloat); i += 2)
      g_array_append_val (left, ((gfloat *) map.data)[i]);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  return left;
}

static gfloat
at (GArray * samples, gdouble seconds)
{
  guint i = (guint) (seconds * RATE);

  fail_unless (i < samples->len, "%f s is past the end (%u frames)",
      seconds, samples->len);
  return g_array_index (samples, gfloat, i);
}

static void
push_segment (GstHarness * h, GstClockTime start, GstClockTime stop)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = start;
  segment.stop = stop;
  segment.time = 0;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

/* Data outside the input segment is clipped (audiomixer's test_clip,
 * with its numbers): of [0, 0.25), [0.9, 1.15), [1.15, 1.4) and
 * [2, 2.25) in a segment [1, 2), the mix holds 1.0-1.4, at running time
 * 0-0.4 s. */
GST_START_TEST (test_clip_to_segment)
{
  GstHarness *h = gst_harness_new_with_padnames ("kitharamixer", "sink_%u",
      "src");
  GArray *out;

  gst_harness_set_src_caps_str (h, STEREO);
  push_segment (h, GST_SECOND, 2 * GST_SECOND);
  fail_unless_equals_int (gst_harness_push (h, constant (0.0, 0.25, 0.1f,
              FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, constant (0.9, 0.25, 0.25f,
              TRUE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, constant (1.15, 0.25, 0.5f,
              FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, constant (2.0, 0.25, 0.75f,
              TRUE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  out = output_until (h, GST_EVENT_EOS);
  fail_unless_equals_int (out->len, 0.4 * RATE);
  fail_unless_equals_float (at (out, 0.0), 0.25f);
  fail_unless_equals_float (at (out, 0.149), 0.25f);
  fail_unless_equals_float (at (out, 0.151), 0.5f);
  fail_unless_equals_float (at (out, 0.399), 0.5f);
  g_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A DISCONT buffer that starts before the end of the data already there
 * keeps its time: the overlap is dropped, not appended (audiomixer's
 * test_sync_discont_backwards and its siblings: the input is 1-2.15 s,
 * then 2-3 s with DISCONT; or the DISCONT buffer lies wholly in the past
 * and the next one overlaps). */
static const struct
{
  const gchar *name;
  gdouble start[3], length[3];
  gboolean discont[3];
} discont_cases[] = {
  {"backwards", {1.0, 2.0, -1}, {1.15, 1.0, 0}, {FALSE, TRUE, FALSE}},
  {"and_drop_backwards", {1.0, 2.0, 2.2}, {1.25, 0.2, 0.8},
      {FALSE, TRUE, FALSE}},
  {"and_drop_before_output_backwards", {1.0, 1.5, 1.9}, {1.25, 0.4, 1.1},
      {FALSE, TRUE, FALSE}},
};

GST_START_TEST (test_discont_backwards_drops_overlap)
{
  GstHarness *h = gst_harness_new_with_padnames ("kitharamixer", "sink_%u",
      "src");
  GstHarness *h2 = gst_harness_new_with_element (h->element, "sink_%u",
      NULL);
  GArray *out;
  guint i;

  /* The first input is pushed whole before the second has any data: its
   * inlet holds it meanwhile. */
  g_object_set (h->element, "max-size-buffers", 8, "max-size-time",
      (guint64) 0, NULL);
  gst_harness_set_src_caps_str (h, STEREO);
  gst_harness_set_src_caps_str (h2, STEREO);
  for (i = 0; i < 3 && discont_cases[__i__].start[i] >= 0; i++)
    fail_unless_equals_int (gst_harness_push (h,
            constant (discont_cases[__i__].start[i],
                discont_cases[__i__].length[i], 1.0f,
                discont_cases[__i__].discont[i])), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_push (h2, constant (2.0, 1.0, 1.0f,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h2, gst_event_new_eos ()));

  out = output_until (h, GST_EVENT_EOS);
  /* 0-1 s nothing, 1-2 s one input, 2-3 s both; and not a frame more. */
  fail_unless_equals_int (out->len, 3 * RATE);
  fail_unless_equals_float (at (out, 0.5), 0.0f);
  fail_unless_equals_float (at (out, 1.5), 1.0f);
  fail_unless_equals_float (at (out, 2.0), 2.0f);
  fail_unless_equals_float (at (out, 2.999), 2.0f);
  g_array_unref (out);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* One input of unknown duration makes the mix's unknown (audiomixer's
 * test_duration_unknown_overrides); otherwise the longest input's. */
GST_START_TEST (test_duration_unknown_wins)
{
  GstElement *p = kc_parse ("kitharamixer name=m ! fakesink "
      "audiotestsrc num-buffers=100 ! m. audiotestsrc ! m.");
  gint64 duration = 0;

  kc_set_state_sync (p, GST_STATE_PAUSED);
  fail_unless (gst_element_query_duration (p, GST_FORMAT_TIME, &duration));
  fail_unless_equals_int64 (duration, -1);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* SEGMENT_DONE of every input comes out once, after the segment's data
 * (a segment seek's loop point). */
GST_START_TEST (test_segment_done_forwarded)
{
  GstHarness *h = gst_harness_new_with_padnames ("kitharamixer", "sink_%u",
      "src");
  GstHarness *h2 = gst_harness_new_with_element (h->element, "sink_%u",
      NULL);
  GArray *out;

  gst_harness_set_src_caps_str (h, STEREO);
  gst_harness_set_src_caps_str (h2, STEREO);
  fail_unless_equals_int (gst_harness_push (h, constant (0.0, 0.5, 0.25f,
              FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h2, constant (0.0, 0.3, 0.5f,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h,
          gst_event_new_segment_done (GST_FORMAT_TIME, GST_SECOND / 2)));
  fail_unless (gst_harness_push_event (h2,
          gst_event_new_segment_done (GST_FORMAT_TIME, 3 * GST_SECOND / 10)));

  out = output_until (h, GST_EVENT_SEGMENT_DONE);
  fail_unless_equals_int (out->len, RATE / 2);
  fail_unless_equals_float (at (out, 0.1), 0.75f);
  fail_unless_equals_float (at (out, 0.4), 0.25f);
  g_array_unref (out);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* The output format */

static GstStructure *
output_format (GstHarness * h)
{
  GstCaps *caps;
  GstStructure *s;

  gst_buffer_unref (gst_harness_pull (h));
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  s = gst_structure_copy (gst_caps_get_structure (caps, 0));
  gst_caps_unref (caps);
  return s;
}

/* A U8 8 kHz mono deck and an F32 48 kHz stereo deck, the poor one's caps
 * first: the mix is 48 kHz stereo, not the first deck's format. */
GST_START_TEST (test_output_from_best_input)
{
  GstHarness *h = gst_harness_new_with_padnames ("kitharamixer", "sink_%u",
      "src");
  GstHarness *h2 = gst_harness_new_with_element (h->element, "sink_%u",
      NULL);
  KitharaNode *node =
      gst_kithara_element_get_node (GST_KITHARA_ELEMENT (h->element));
  GstStructure *s;
  GstBuffer *u8 = gst_buffer_new_allocate (NULL, 800, NULL);
  gint rate = 0, channels = 0;

  /* Both decks' caps are there before the mixer looks at either. */
  kithara_node_lock_tick (node);
  gst_harness_set_src_caps_str (h, "audio/x-raw,format=U8,rate=8000,"
      "channels=1,layout=interleaved");
  gst_harness_set_src_caps_str (h2, STEREO);
  kithara_node_unlock_tick (node);

  gst_buffer_memset (u8, 0, 128, 800);
  GST_BUFFER_PTS (u8) = 0;
  GST_BUFFER_DURATION (u8) = GST_SECOND / 10;
  fail_unless_equals_int (gst_harness_push (h, u8), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h2, constant (0.0, 0.1, 0.5f,
              FALSE)), GST_FLOW_OK);

  s = output_format (h);
  gst_structure_get_int (s, "rate", &rate);
  gst_structure_get_int (s, "channels", &channels);
  fail_unless_equals_int (rate, RATE);
  fail_unless_equals_int (channels, 2);
  gst_structure_free (s);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* What downstream wants comes first: 32 kHz mono from 48 kHz stereo. */
GST_START_TEST (test_output_from_downstream)
{
  GstHarness *h = gst_harness_new_with_padnames ("kitharamixer", "sink_%u",
      "src");
  GstStructure *s;
  gint rate = 0, channels = 0;

  gst_harness_set_sink_caps_str (h, "audio/x-raw,format=F32LE,rate=32000,"
      "channels=1,layout=interleaved");
  gst_harness_set_src_caps_str (h, STEREO);
  fail_unless_equals_int (gst_harness_push (h, constant (0.0, 0.1, 0.5f,
              FALSE)), GST_FLOW_OK);
  s = output_format (h);
  gst_structure_get_int (s, "rate", &rate);
  gst_structure_get_int (s, "channels", &channels);
  fail_unless_equals_int (rate, 32000);
  fail_unless_equals_int (channels, 1);
  gst_structure_free (s);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A capsfilter after the mixer changes while playing: the mix follows
 * (RECONFIGURE), as audiomixer's test_change_output_caps. */
GST_START_TEST (test_output_follows_reconfigure)
{
  GstElement *p = kc_parse ("audiotestsrc ! " STEREO " ! kitharamixer ! "
      "capsfilter name=cf caps=audio/x-raw,rate=48000 ! "
      "appsink name=out sync=false");
  GstElement *out = kc_child (p, "out");
  GstCaps *caps;
  guint i;

  gst_element_set_state (p, GST_STATE_PLAYING);
  for (i = 0; i < 2; i++) {
    GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (out));
    gint rate = 0;

    fail_unless (sample != NULL);
    gst_structure_get_int (gst_caps_get_structure (gst_sample_get_caps
            (sample), 0), "rate", &rate);
    fail_unless_equals_int (rate, 48000);
    gst_sample_unref (sample);
  }
  caps = gst_caps_from_string ("audio/x-raw,rate=32000");
  g_object_set (kc_child (p, "cf"), "caps", caps, NULL);
  gst_caps_unref (caps);
  /* Blocks mixed at 48 kHz before the change may still come out. */
  for (i = 0; i < 200; i++) {
    GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (out));
    gint rate = 0;

    fail_unless (sample != NULL);
    gst_structure_get_int (gst_caps_get_structure (gst_sample_get_caps
            (sample), 0), "rate", &rate);
    gst_sample_unref (sample);
    if (rate == 32000)
      break;
  }
  fail_unless (i < 200, "still 48 kHz after 200 blocks");
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

static Suite *
kitharamixer_stream_suite (void)
{
  Suite *s = suite_create ("kitharamixer-stream");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_clip_to_segment);
  tcase_add_loop_test (tc, test_discont_backwards_drops_overlap, 0,
      G_N_ELEMENTS (discont_cases));
  tcase_add_test (tc, test_duration_unknown_wins);
  tcase_add_test (tc, test_segment_done_forwarded);
  tcase_add_test (tc, test_output_from_best_input);
  tcase_add_test (tc, test_output_from_downstream);
  tcase_add_test (tc, test_output_follows_reconfigure);
  return s;
}

KITHARA_CHECK_MAIN (kitharamixer_stream);
