/* kitharasink tests: the stream read by an application is exact and
 * complete, short reads are counted and reported once per burst, the
 * chain follows the sink's class, flushes and format changes.
 *
 * The "application" is a reader thread paced by a periodic clock id, as an
 * audio device's callback is, or the test thread itself when the test
 * needs a fixed order of events (then it waits for the worker to settle
 * with kithara_worker_wait_parked(), never sleeps).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <string.h>

#include "gstkitharasink.h"
#include "kitharaworker.h"
#include "../kitharacheck.h"

#define STEREO_CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2," \
    "layout=interleaved"
#define BPF (2 * sizeof (gfloat))

/* ------------------------------------------------------------------ */
/* An audio callback simulated by a thread on a periodic clock id. */

typedef struct
{
  GstKitharaSink *sink;
  gsize frames;
  GstClockID id;
  GThread *thread;
  gint stop;
  GByteArray *data;             /* the frames that were stream data */
  guint wrong_formats;          /* audio info that was not the stream's */
} Reader;

static gpointer
reader_loop (gpointer user_data)
{
  Reader *r = user_data;
  guint8 *scratch = g_malloc (r->frames * BPF);

  while (!g_atomic_int_get (&r->stop)) {
    GstAudioInfo info;
    gsize got;

    if (gst_clock_id_wait (r->id, NULL) == GST_CLOCK_UNSCHEDULED)
      break;
    /* As a callback asks before it reads: none yet, or the stream's. */
    if (gst_kithara_sink_get_audio_info (r->sink, &info) &&
        (GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_F32LE ||
            GST_AUDIO_INFO_RATE (&info) != 48000 ||
            GST_AUDIO_INFO_CHANNELS (&info) != 2))
      r->wrong_formats++;
    got = gst_kithara_sink_read (r->sink, scratch, r->frames);
    g_byte_array_append (r->data, scratch, got * BPF);
  }
  g_free (scratch);
  return NULL;
}

static Reader *
reader_start (GstElement * sink, gsize frames, GstClockTime period)
{
  Reader *r = g_new0 (Reader, 1);
  GstClock *clock = gst_system_clock_obtain ();

  r->sink = GST_KITHARA_SINK (sink);
  r->frames = frames;
  r->data = g_byte_array_new ();
  r->id = gst_clock_new_periodic_id (clock, gst_clock_get_time (clock),
      period);
  gst_object_unref (clock);
  r->thread = g_thread_new ("reader", reader_loop, r);
  return r;
}

/* Returns what was read (transfer full). */
static GByteArray *
reader_stop (Reader * r)
{
  GByteArray *data = r->data;

  g_atomic_int_set (&r->stop, 1);
  gst_clock_id_unschedule (r->id);
  g_thread_join (r->thread);
  fail_unless_equals_int (r->wrong_formats, 0);
  gst_clock_id_unref (r->id);
  g_free (r);
  return data;
}

/* What a description renders into an appsink: the reference. */
static GByteArray *
render (const gchar * description)
{
  gchar *full = g_strdup_printf ("%s ! appsink name=out sync=false",
      description);
  GstElement *p = kc_parse (full);
  GstElement *out = kc_child (p, "out");
  GByteArray *data = g_byte_array_new ();
  GstSample *sample;

  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    GstMapInfo map;

    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    g_byte_array_append (data, map.data, map.size);
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (full);
  return data;
}

#define TONE "audiotestsrc num-buffers=50 samplesperbuffer=960 wave=sine " \
    "freq=440 volume=0.5 ! " STEREO_CAPS

/* 1 s of audio through a 20 ms ring, read 10 ms at a time five times
 * faster than real time: every frame arrives, in order, bit-exact; EOS
 * comes only once the last frame was read. */
GST_START_TEST (test_reads_exact_stream)
{
  GstElement *p = kc_parse (TONE " ! kitharaeq ! kitharasink name=sink "
      "buffer-time=20000000");
  GstElement *sink = kc_child (p, "sink");
  GByteArray *ref = render (TONE);
  GByteArray *got;
  Reader *r;
  gint64 position = -1;

  gst_element_set_state (p, GST_STATE_PLAYING);
  r = reader_start (sink, 480, 2 * GST_MSECOND);
  kc_wait_eos (p);
  /* Read before EOS was posted: nothing is left behind (the reader is
   * joined before what it wrote is looked at). */
  got = reader_stop (r);
  fail_unless_equals_uint64 (got->len, 48000 * BPF);
  fail_unless (gst_element_query_position (sink, GST_FORMAT_TIME, &position));
  fail_unless_equals_uint64 (position, GST_SECOND);

  fail_unless_equals_uint64 (got->len, ref->len);
  fail_unless (memcmp (got->data, ref->data, ref->len) == 0);
  fail_unless_equals_uint64 (kc_stats_uint64 (sink, "frames-read"), 48000);

  g_byte_array_unref (got);
  g_byte_array_unref (ref);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* Counts buffers leaving a pad; signals once @target have left. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint count, target;
} BufferCount;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  BufferCount *bc = user_data;

  g_mutex_lock (&bc->lock);
  if (++bc->count == bc->target)
    g_cond_signal (&bc->cond);
  g_mutex_unlock (&bc->lock);
  return GST_PAD_PROBE_OK;
}

/* A callback keeps asking for the format and reading while the pipeline
 * starts and stops: the sink's state and format change under the tick
 * lock its readers take (the ThreadSanitizer half of the suite checks
 * it); the reader sees no format or the stream's. */
GST_START_TEST (test_reader_across_state_changes)
{
  GstElement *p = kc_parse ("audiotestsrc name=src ! " STEREO_CAPS
      " ! kitharasink name=sink context=sink-restart buffer-time=20000000");
  GstElement *sink = kc_child (p, "sink"), *src = kc_child (p, "src");
  KitharaWorker *worker = kithara_worker_get ("sink-restart");
  BufferCount bc = { 0 };
  GstAudioInfo info;
  GstPad *pad;
  Reader *r;
  guint i;

  r = reader_start (sink, 48, GST_MSECOND);
  for (i = 0; i < 20; i++) {
    kc_set_state_sync (p, GST_STATE_PLAYING);
    kc_set_state_sync (p, GST_STATE_READY);
  }
  g_byte_array_unref (reader_stop (r));

  /* Once the second buffer leaves the source the first is in the sink's
   * inlet with caps before it, and the worker was woken: when it parks
   * it has taken the format. */
  g_mutex_init (&bc.lock);
  g_cond_init (&bc.cond);
  bc.target = 2;
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &bc, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  g_mutex_lock (&bc.lock);
  while (bc.count < bc.target)
    g_cond_wait (&bc.cond, &bc.lock);
  g_mutex_unlock (&bc.lock);
  kithara_worker_wait_parked (worker);
  fail_unless (gst_kithara_sink_get_audio_info (GST_KITHARA_SINK (sink),
          &info));
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&info),
      GST_AUDIO_FORMAT_F32LE);
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&info), 48000);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (p);
  g_mutex_clear (&bc.lock);
  g_cond_clear (&bc.cond);
  kithara_worker_unref (worker);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Harness-driven tests: the test thread pushes and reads. */

typedef struct
{
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  KitharaWorker *worker;
} SinkHarness;

static void
sink_harness_init (SinkHarness * sh, const gchar * context, const gchar * caps)
{
  sh->sink = gst_element_factory_make ("kitharasink", NULL);
  g_object_set (sh->sink, "context", context, "buffer-time",
      (guint64) 200 * GST_MSECOND, "max-size-time", (guint64) 0,
      "max-size-buffers", 64, NULL);
  sh->bus = gst_bus_new ();
  gst_element_set_bus (sh->sink, sh->bus);
  sh->h = gst_harness_new_with_element (sh->sink, "sink", NULL);
  gst_harness_set_src_caps_str (sh->h, caps);
  gst_harness_play (sh->h);
  sh->worker = kithara_worker_get (context);
}

static void
sink_harness_clear (SinkHarness * sh)
{
  kithara_worker_unref (sh->worker);
  gst_harness_teardown (sh->h);
  gst_element_set_bus (sh->sink, NULL);
  gst_object_unref (sh->sink);
  gst_object_unref (sh->bus);
}

/* @n frames of a stereo ramp: left = start + i, right = -(start + i). */
static GstBuffer *
ramp_buffer (guint n, guint start)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * BPF, NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < n; i++) {
    ((gfloat *) map.data)[2 * i] = start + i;
    ((gfloat *) map.data)[2 * i + 1] = -(gfloat) (start + i);
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (start, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, 48000);
  return buf;
}

static void
push_and_settle (SinkHarness * sh, guint n, guint start)
{
  fail_unless_equals_int (gst_harness_push (sh->h, ramp_buffer (n, start)),
      GST_FLOW_OK);
  kithara_worker_wait_parked (sh->worker);
}

static guint
count_underrun_messages (SinkHarness * sh)
{
  GstMessage *msg;
  guint n = 0;

  kithara_worker_wait_parked (sh->worker);
  while ((msg = gst_bus_pop_filtered (sh->bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "kithara-underrun")) {
      fail_unless_equals_string (gst_structure_get_string (s, "element"),
          GST_ELEMENT_NAME (sh->sink));
      n++;
    }
    gst_message_unref (msg);
  }
  return n;
}

static gsize
read_frames (SinkHarness * sh, gfloat * out, gsize frames)
{
  return gst_kithara_sink_read (GST_KITHARA_SINK (sh->sink), out, frames);
}

/* Short reads are underruns, filled with silence, once the ring has been
 * full; one message per burst. */
GST_START_TEST (test_underruns_counted_per_burst)
{
  SinkHarness sh;
  gfloat *out = g_new (gfloat, 2 * 12000);
  guint i;

  sink_harness_init (&sh, "sink-underrun", STEREO_CAPS);

  /* While the 200 ms ring first fills, short reads are not underruns. */
  fail_unless_equals_int (read_frames (&sh, out, 480), 0);
  push_and_settle (&sh, 4800, 0);
  fail_unless_equals_int (read_frames (&sh, out, 7200), 4800);
  fail_unless_equals_uint64 (gst_kithara_sink_get_underruns
      (GST_KITHARA_SINK (sh.sink)), 0);

  push_and_settle (&sh, 9600, 4800);
  fail_unless_equals_int (read_frames (&sh, out, 12000), 9600);
  for (i = 0; i < 9600; i++)
    fail_unless (out[2 * i] == 4800 + i && out[2 * i + 1] == -(gfloat)
        (4800 + i));
  for (i = 9600; i < 12000; i++)
    fail_unless (out[2 * i] == 0.0f && out[2 * i + 1] == 0.0f);
  fail_unless_equals_int (read_frames (&sh, out, 480), 0);
  fail_unless_equals_uint64 (gst_kithara_sink_get_underruns
      (GST_KITHARA_SINK (sh.sink)), 2);
  fail_unless_equals_int (count_underrun_messages (&sh), 1);

  /* A full read ends the burst; the next short one starts another. */
  push_and_settle (&sh, 9600, 14400);
  fail_unless_equals_int (read_frames (&sh, out, 480), 480);
  fail_unless_equals_float (out[0], 14400.0f);
  fail_unless_equals_int (read_frames (&sh, out, 12000), 9120);
  fail_unless_equals_uint64 (gst_kithara_sink_get_underruns
      (GST_KITHARA_SINK (sh.sink)), 3);
  fail_unless_equals_uint64 (kc_stats_uint64 (sh.sink, "missing-frames"),
      2400 + 480 + 2880);
  fail_unless_equals_int (count_underrun_messages (&sh), 1);

  g_free (out);
  sink_harness_clear (&sh);
}

GST_END_TEST;

/* A full ring holds the producer back (nothing lost) until read. */
GST_START_TEST (test_backpressure_loses_nothing)
{
  SinkHarness sh;
  gfloat *out = g_new (gfloat, 2 * 4800);
  guint start = 0, expected = 0, i;

  sink_harness_init (&sh, "sink-backpressure", STEREO_CAPS);
  /* 400 ms into a 200 ms ring and an inlet of 64 buffers. */
  for (i = 0; i < 40; i++, start += 480)
    fail_unless_equals_int (gst_harness_push (sh.h, ramp_buffer (480, start)),
        GST_FLOW_OK);
  kithara_worker_wait_parked (sh.worker);
  fail_unless_equals_uint64 (kc_stats_uint64 (sh.sink, "ring-frames"), 9600);

  while (expected < start) {
    gsize got = read_frames (&sh, out, 4800);

    fail_unless (got > 0);
    for (i = 0; i < got; i++, expected++)
      fail_unless_equals_float (out[2 * i], (gfloat) expected);
    kithara_worker_wait_parked (sh.worker);
  }
  fail_unless_equals_uint64 (gst_kithara_sink_get_underruns
      (GST_KITHARA_SINK (sh.sink)), 0);

  g_free (out);
  sink_harness_clear (&sh);
}

GST_END_TEST;

/* A flush empties the ring: what is read next is the new data. */
GST_START_TEST (test_flush_empties_ring)
{
  SinkHarness sh;
  gfloat out[2 * 480];

  sink_harness_init (&sh, "sink-flush", STEREO_CAPS);
  push_and_settle (&sh, 4800, 0);
  fail_unless (gst_harness_push_event (sh.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (sh.h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (sh.h,
            gst_event_new_segment (&segment)));
  }
  push_and_settle (&sh, 480, 100000);
  fail_unless_equals_int (read_frames (&sh, out, 480), 480);
  fail_unless_equals_float (out[0], 100000.0f);
  fail_unless_equals_float (out[2 * 479 + 1], -100479.0f);

  sink_harness_clear (&sh);
}

GST_END_TEST;

/* A new format reaches the reader only after the old one was read. */
GST_START_TEST (test_format_change_after_drain)
{
  SinkHarness sh;
  GstAudioInfo info;
  gint16 s16[2 * 480];
  gfloat f32[2 * 480];
  GstBuffer *buf;
  guint i;

  sink_harness_init (&sh, "sink-format", "audio/x-raw,format=S16LE,"
      "rate=48000,channels=2,layout=interleaved");
  buf = gst_buffer_new_allocate (NULL, sizeof (s16), NULL);
  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    s16[i] = i;
  gst_buffer_fill (buf, 0, s16, sizeof (s16));
  fail_unless_equals_int (gst_harness_push (sh.h, buf), GST_FLOW_OK);
  gst_harness_set_src_caps_str (sh.h, STEREO_CAPS);
  push_and_settle (&sh, 480, 7);

  fail_unless (gst_kithara_sink_get_audio_info (GST_KITHARA_SINK (sh.sink),
          &info));
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&info),
      GST_AUDIO_FORMAT_S16LE);
  memset (s16, 0, sizeof (s16));
  fail_unless_equals_int (read_frames (&sh, (gfloat *) s16, 480), 480);
  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    fail_unless_equals_int (s16[i], i);

  kithara_worker_wait_parked (sh.worker);
  fail_unless (gst_kithara_sink_get_audio_info (GST_KITHARA_SINK (sh.sink),
          &info));
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&info),
      GST_AUDIO_FORMAT_F32LE);
  fail_unless_equals_int (read_frames (&sh, f32, 480), 480);
  fail_unless_equals_float (f32[0], 7.0f);
  fail_unless_equals_float (f32[2 * 479], 486.0f);

  sink_harness_clear (&sh);
}

GST_END_TEST;

/* pull-sample: the binding-friendly read. */
/* Caps the ring cannot deliver are refused when set, not at link time. */
GST_START_TEST (test_caps_outside_template_refused)
{
  GstElement *sink = gst_element_factory_make ("kitharasink", NULL);
  GstCaps *good = gst_caps_from_string ("audio/x-raw,format=S16LE");
  GstCaps *bad = gst_caps_from_string ("audio/x-raw,format=U8");
  GstCaps *now = NULL;

  g_object_set (sink, "caps", good, NULL);
  ASSERT_WARNING (g_object_set (sink, "caps", bad, NULL));
  g_object_get (sink, "caps", &now, NULL);
  fail_unless (now != NULL && gst_caps_is_equal (now, good));

  gst_caps_unref (now);
  gst_caps_unref (good);
  gst_caps_unref (bad);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_pull_sample)
{
  SinkHarness sh;
  GstSample *sample = NULL;
  GstBuffer *buf;
  GstMapInfo map;
  GstCaps *caps;

  sink_harness_init (&sh, "sink-pull", STEREO_CAPS);
  push_and_settle (&sh, 480, 0);
  g_signal_emit_by_name (sh.sink, "pull-sample", 240, &sample);
  fail_unless (sample != NULL);
  buf = gst_sample_get_buffer (sample);
  fail_unless_equals_int (gst_buffer_get_size (buf), 240 * BPF);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless_equals_float (((gfloat *) map.data)[2 * 239], 239.0f);
  gst_buffer_unmap (buf, &map);
  caps = gst_caps_from_string (STEREO_CAPS);
  fail_unless (gst_caps_can_intersect (caps, gst_sample_get_caps (sample)));
  fail_unless (gst_caps_is_fixed (gst_sample_get_caps (sample)));
  gst_caps_unref (caps);
  gst_sample_unref (sample);

  sink_harness_clear (&sh);
}

GST_END_TEST;

/* The chain is audible while the sink plays, warm when paused; an
 * explicit class overrides for its element and the chain above it. */
GST_START_TEST (test_chain_follows_sink_class)
{
  GstElement *p = kc_parse ("audiotestsrc is-live=true ! " STEREO_CAPS
      " ! kitharaeq name=a ! kitharaeq name=b ! kitharasink name=sink");
  GstElement *a = kc_child (p, "a"), *b = kc_child (p, "b");

  kc_set_state_sync (p, GST_STATE_PAUSED);
  fail_unless_equals_int (kc_service_class (a), 1);
  fail_unless_equals_int (kc_service_class (b), 1);

  kc_set_state_sync (p, GST_STATE_PLAYING);
  fail_unless_equals_int (kc_service_class (a), 0);
  fail_unless_equals_int (kc_service_class (b), 0);

  g_object_set (b, "service-class", 2, NULL);
  fail_unless_equals_int (kc_service_class (b), 2);
  fail_unless_equals_int (kc_service_class (a), 2);

  g_object_set (b, "service-class", 3, NULL);   /* back to auto */
  fail_unless_equals_int (kc_service_class (b), 0);
  fail_unless_equals_int (kc_service_class (a), 0);

  kc_set_state_sync (p, GST_STATE_PAUSED);
  fail_unless_equals_int (kc_service_class (a), 1);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

static Suite *
kitharasink_suite (void)
{
  Suite *s = suite_create ("kitharasink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_reads_exact_stream);
  tcase_add_test (tc, test_reader_across_state_changes);
  tcase_add_test (tc, test_underruns_counted_per_burst);
  tcase_add_test (tc, test_backpressure_loses_nothing);
  tcase_add_test (tc, test_flush_empties_ring);
  tcase_add_test (tc, test_format_change_after_drain);
  tcase_add_test (tc, test_pull_sample);
  tcase_add_test (tc, test_caps_outside_template_refused);
  tcase_add_test (tc, test_chain_follows_sink_class);
  return s;
}

KITHARA_CHECK_MAIN (kitharasink);
