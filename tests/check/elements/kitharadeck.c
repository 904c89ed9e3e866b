/* kitharadecode as a deck: the kithara-deck-ready message (once per load,
 * flushing seek and track change, after ready-time went out, never from a
 * deck that fails), next-uri (the next track follows with continuous
 * timestamps, next-uri reads NULL again, a failing next track lets the
 * playing one end, with a warning), and back to the first track after
 * READY.
 *
 * The joints of every codec are checked in kitharagapless.c; loops in
 * kitharaloop.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <string.h>

#include "../kitharacheck.h"

#define RATE 44100
#define TRACK1_FRAMES (44 * 1024)       /* about 1 s */
#define TRACK2_FRAMES (30 * 1024)

static gchar *tmp_dir = NULL;
static gchar *track1 = NULL, *track2 = NULL;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharadeck-XXXXXX");
  track1 = kc_encode_tone (tmp_dir, "one.wav", "wavenc", 440, RATE,
      TRACK1_FRAMES);
  track2 = kc_encode_tone (tmp_dir, "two.wav", "wavenc", 660, RATE,
      TRACK2_FRAMES);
}

static void
teardown (void)
{
  g_clear_pointer (&track1, g_free);
  g_clear_pointer (&track2, g_free);
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

static gchar *
uri_of (const gchar * path)
{
  gchar *uri = gst_filename_to_uri (path, NULL);

  fail_unless (uri != NULL);
  return uri;
}

/* What reached the appsink. */
typedef struct
{
  guint64 frames;
  GstClockTime end;             /* of the last buffer */
  guint gaps;                   /* buffers not starting where the last ended */
  guint discont;                /* after the first buffer */
  guint stream_starts;
} Output;

static GstFlowReturn
collect (GstAppSink * sink, gpointer user_data)
{
  Output *out = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_sample_get_buffer (sample);

  /* Timestamps continue within a nanosecond of rounding. */
  if (out->frames > 0 && (GST_BUFFER_PTS (buf) + 1 < out->end ||
          GST_BUFFER_PTS (buf) > out->end + 1))
    out->gaps++;
  if (out->frames > 0 && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    out->discont++;
  out->frames += gst_buffer_get_size (buf) / 4;
  out->end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstPadProbeReturn
count_stream_starts (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Output *out = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_STREAM_START)
    out->stream_starts++;
  return GST_PAD_PROBE_OK;
}

/* filesrc location=@path ! kitharadecode name=deck ! appsink, S16 stereo
 * (4 bytes a frame), collected in @out (appsink holds EOS back until its
 * queue is pulled empty). */
static GstElement *
deck_pipeline (const gchar * path, Output * out)
{
  GstElement *p = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *deck = gst_element_factory_make ("kitharadecode", "deck");
  GstElement *sink = gst_element_factory_make ("appsink", "sink");
  GstCaps *caps = gst_caps_from_string ("audio/x-raw,format=S16LE,"
      "channels=2");
  GstAppSinkCallbacks callbacks = { NULL, NULL, collect };
  GstPad *pad;

  fail_unless (deck != NULL);
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  gst_caps_unref (caps);
  gst_bin_add_many (GST_BIN (p), src, deck, sink, NULL);
  fail_unless (gst_element_link_many (src, deck, sink, NULL));
  memset (out, 0, sizeof (*out));
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, out, NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      count_stream_starts, out, NULL);
  gst_object_unref (pad);
  return p;
}

static gboolean
is_element_message (GstMessage * msg, const gchar * name)
{
  return GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (gst_message_get_structure (msg), name);
}

/* The next kithara-deck-ready, kithara-track-changed, EOS or error. */
static GstMessage *
next_message (GstElement * p)
{
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
        GST_MESSAGE_ELEMENT);

    fail_unless (msg != NULL, "nothing came within a minute");
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT ||
        is_element_message (msg, "kithara-deck-ready") ||
        is_element_message (msg, "kithara-track-changed"))
      return msg;
    gst_message_unref (msg);
  }
}

/* Checks that @msg is kithara-deck-ready for @track, after ready-time
 * (and less than one more buffer) went out, as the stats say too if the
 * deck is @paused (playing, it may have moved on to the next track). */
static void
check_ready (GstMessage * msg, GstElement * deck, guint track,
    gboolean paused)
{
  const GstStructure *s = gst_message_get_structure (msg);
  guint64 waiting, ready_time;
  guint got_track;

  fail_unless (is_element_message (msg, "kithara-deck-ready"),
      "expected kithara-deck-ready, got %" GST_PTR_FORMAT, msg);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (deck));
  fail_unless (gst_structure_get_uint64 (s, "waiting", &waiting));
  fail_unless (gst_structure_get_uint64 (s, "ready-time", &ready_time));
  fail_unless (gst_structure_get_uint (s, "track", &got_track));
  ck_assert_uint_eq (got_track, track);
  ck_assert_uint_eq (ready_time, 300 * GST_MSECOND);
  /* wavparse's buffers are 4096 bytes: 1024 frames, 23 ms. */
  fail_unless (waiting >= ready_time && waiting < ready_time +
      24 * GST_MSECOND, "waiting %" G_GUINT64_FORMAT, waiting);
  if (paused)
    ck_assert_uint_eq (kc_stats_uint64 (deck, "ready-waiting"), waiting);
}

static void
check_eos (GstMessage * msg)
{
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
}

/* A preload: the message once the deck has put out ready-time, with the
 * pipeline paused; once again after a flushing seek; no other. */
GST_START_TEST (test_ready_once_per_load_and_seek)
{
  Output out;
  GstElement *p = deck_pipeline (track1, &out);
  GstElement *deck = kc_child (p, "deck");
  GstMessage *msg;

  /* Downstream can hold all of it: appsink's preroll and queue. */
  g_object_set (deck, "ready-time", 300 * GST_MSECOND, "max-size-time",
      2 * GST_SECOND, "max-size-buffers", 1000, NULL);
  gst_element_set_state (p, GST_STATE_PAUSED);
  msg = next_message (p);
  check_ready (msg, deck, 0, TRUE);
  gst_message_unref (msg);

  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SECOND / 2));
  msg = next_message (p);
  check_ready (msg, deck, 0, TRUE);
  gst_message_unref (msg);

  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = next_message (p);
  check_eos (msg);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* A deck whose input is not audio fails, and is never ready. */
GST_START_TEST (test_never_ready_when_failing)
{
  gchar *path = g_build_filename (tmp_dir, "text.txt", NULL);
  Output out;
  GstElement *p;
  GstMessage *msg;

  fail_unless (g_file_set_contents (path, "not audio at all, only some "
          "plain words in a file\n", -1, NULL));
  p = deck_pipeline (path, &out);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = next_message (p);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (path);
}

GST_END_TEST;

static void
on_notify (GObject * object, GParamSpec * pspec, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* Two tracks on one deck: all their frames, timestamps continuing with
 * no gap and no DISCONT, one stream-start each, the message with the
 * joint at the end of the first, ready again for the second, next-uri
 * NULL again. */
GST_START_TEST (test_next_track_follows)
{
  Output out;
  GstElement *p = deck_pipeline (track1, &out);
  GstElement *deck = kc_child (p, "deck");
  gchar *uri = uri_of (track2), *left;
  const GstStructure *s;
  GstStructure *stats;
  GstMessage *msg;
  guint64 joint;
  guint track;
  gint notified = 0;

  g_signal_connect (deck, "notify::next-uri", G_CALLBACK (on_notify),
      &notified);
  g_object_set (deck, "ready-time", 300 * GST_MSECOND, "next-uri", uri, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);

  msg = next_message (p);
  check_ready (msg, deck, 0, FALSE);
  gst_message_unref (msg);

  msg = next_message (p);
  fail_unless (is_element_message (msg, "kithara-track-changed"),
      "%" GST_PTR_FORMAT, msg);
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "uri"), uri);
  fail_unless (gst_structure_get_uint (s, "track", &track));
  ck_assert_uint_eq (track, 1);
  fail_unless (gst_structure_get_uint64 (s, "joint", &joint));
  /* The end of the first track's last buffer (its timestamp plus its
   * duration, each rounded to the nanosecond). */
  fail_unless (joint + 1 >= gst_util_uint64_scale_int (TRACK1_FRAMES,
          GST_SECOND, RATE) && joint <= gst_util_uint64_scale_int
      (TRACK1_FRAMES, GST_SECOND, RATE) + 1, "joint at %" G_GUINT64_FORMAT,
      joint);
  gst_message_unref (msg);

  msg = next_message (p);
  check_ready (msg, deck, 1, FALSE);
  gst_message_unref (msg);
  msg = next_message (p);
  check_eos (msg);
  gst_message_unref (msg);

  ck_assert_uint_eq (out.frames, TRACK1_FRAMES + TRACK2_FRAMES);
  ck_assert_uint_eq (out.gaps, 0);
  ck_assert_uint_eq (out.discont, 0);
  ck_assert_uint_eq (out.stream_starts, 2);
  g_object_get (deck, "next-uri", &left, NULL);
  fail_unless (left == NULL);
  fail_unless (g_atomic_int_get (&notified) >= 2);      /* set, then used */
  stats = kc_get_stats (deck);
  fail_unless (gst_structure_get_uint (stats, "track", &track));
  ck_assert_uint_eq (track, 1);
  gst_structure_free (stats);

  /* Back to READY: the deck starts again from its first track (the
   * next one was used up). */
  kc_set_state_sync (p, GST_STATE_READY);
  memset (&out, 0, sizeof (out));
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = next_message (p);
  check_ready (msg, deck, 0, FALSE);
  gst_message_unref (msg);
  msg = next_message (p);
  check_eos (msg);
  gst_message_unref (msg);
  ck_assert_uint_eq (out.frames, TRACK1_FRAMES);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (uri);
}

GST_END_TEST;

/* A next track that cannot be read: the playing track plays to its last
 * frame and the deck ends there (EOS), the next track's error said as a
 * warning before. */
GST_START_TEST (test_failing_next_track_waits_its_turn)
{
  Output out;
  GstElement *p = deck_pipeline (track1, &out);
  gchar *missing = g_build_filename (tmp_dir, "missing.flac", NULL);
  gchar *uri = uri_of (missing);
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (kc_child (p, "deck"), "next-uri", uri, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "%s", err->message);
  fail_unless (strstr (err->message, "missing.flac") != NULL, "%s",
      err->message);
  gst_message_unref (msg);
  g_clear_error (&err);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  check_eos (msg);
  gst_message_unref (msg);
  ck_assert_uint_eq (out.frames, TRACK1_FRAMES);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (uri);
  g_free (missing);
}

GST_END_TEST;

/* next-uri replaced before the first track ends: the last one set
 * plays. */
GST_START_TEST (test_next_uri_replaced)
{
  Output out;
  GstElement *p = deck_pipeline (track1, &out);
  gchar *wrong = g_build_filename (tmp_dir, "missing.wav", NULL);
  gchar *wrong_uri = uri_of (wrong), *uri = uri_of (track2);
  GstMessage *msg;

  gst_element_set_state (p, GST_STATE_PAUSED);
  g_object_set (kc_child (p, "deck"), "next-uri", wrong_uri, NULL);
  g_object_set (kc_child (p, "deck"), "next-uri", uri, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  check_eos (msg);
  gst_message_unref (msg);
  ck_assert_uint_eq (out.frames, TRACK1_FRAMES + TRACK2_FRAMES);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (uri);
  g_free (wrong_uri);
  g_free (wrong);
}

GST_END_TEST;

static Suite *
kitharadeck_suite (void)
{
  Suite *s = suite_create ("kitharadeck");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_ready_once_per_load_and_seek);
  tcase_add_test (tc, test_never_ready_when_failing);
  tcase_add_test (tc, test_next_track_follows);
  tcase_add_test (tc, test_failing_next_track_waits_its_turn);
  tcase_add_test (tc, test_next_uri_replaced);
  suite_add_tcase (s, tc);
  return s;
}

KITHARA_CHECK_MAIN (kitharadeck);
