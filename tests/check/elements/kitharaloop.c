/* Seamless loops: segment seeks through a deck (kitharadecode) and
 * through kitharamixer, as GStreamer defines them.  A flushing segment
 * seek to a loop window [a, b), then, at each SEGMENT_DONE, a
 * non-flushing segment seek to the same window: the output is the window
 * again and again, every repeat sample-exact and joined to the one before
 * without a gap or an overlap, in samples, in running time and in stream
 * time.  50 repeats, from WAV and FLAC (sample for sample) and Vorbis
 * (length and joints), through a deck alone, a deck into the mixer and
 * two decks into the mixer; a loop that is no whole number of samples;
 * a loop engaged while the file plays; a first repeat whose end is moved
 * while it plays.
 *
 * The loop is 4 beats at 120 bpm (2 s) starting at sample 12345 of a 4 s
 * file: on no codec frame, buffer or block boundary, and at a sample that
 * starts on a whole nanosecond at 48 kHz, so that [a, b) holds exactly
 * the samples 12345 to 108344 whatever a parser or decoder rounds.  The
 * signal is a sine per channel, at zero phase on the loop start and with
 * a whole number of periods in the loop, under an envelope rising over
 * the whole file: the loop joins smoothly, but is not periodic, so a
 * repeat shifted by a sample, a joint at the wrong place or a loop that
 * runs on past its end shows.  A joint may step no more than the signal
 * does anywhere in the file decoded alone, plus the codec's error (its
 * largest difference from the source) on either side.
 *
 * The sinks run with a test clock that never advances: no mixer block is
 * ever due, so the mix waits for every input (as audiomixer in a
 * pipeline that is not live) and the result does not depend on the load
 * of the machine.  What a sink receives is clipped to its segment, as an
 * audio sink would play it.
 *
 * Every input file is made by the test itself with GStreamer's encoders
 * (wavenc, flacenc, vorbisenc and oggmux).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gsttestclock.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "../kitharacheck.h"

#define RATE 48000
#define CHANNELS 2
#define FILE_FRAMES (4 * RATE)
#define LOOP_FIRST 12345        /* the loop's first sample */
#define N_LOOPS 50

static gchar *tmp_dir = NULL;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharaloop-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

static GstClockTime
frame_time (guint64 n)
{
  return gst_util_uint64_scale (n, GST_SECOND, RATE);
}

/* 4 beats from sample LOOP_FIRST, which starts on a whole nanosecond. */
typedef struct
{
  guint bpm;
  GstClockTime start, stop;     /* the window sought */
  guint frames;                 /* in a repeat, if a whole number */
} Loop;

static void
loop_init (Loop * l, guint bpm)
{
  l->bpm = bpm;
  l->start = frame_time (LOOP_FIRST);
  l->stop = l->start + gst_util_uint64_scale (4 * 60, GST_SECOND, bpm);
  l->frames = (4 * 60 * RATE) % bpm == 0 ? 4 * 60 * RATE / bpm : 0;
}

static gdouble
loop_seconds (const Loop * l)
{
  return 4 * 60.0 / l->bpm;
}

/* ------------------------------------------------------------------ */
/* The source signal */

typedef struct
{
  gdouble freq[CHANNELS];
} Signal;

/* A sine per channel near @f0 and @f1 Hz, with a whole number of periods
 * in the loop: it joins smoothly (within the fraction of a sample by
 * which an uneven loop falls short of its length or overruns it). */
static void
signal_init (Signal * s, const Loop * l, gdouble f0, gdouble f1)
{
  gdouble seconds = loop_seconds (l);

  s->freq[0] = round (f0 * seconds) / seconds;
  s->freq[1] = round (f1 * seconds) / seconds;
}

/* Sample @n of channel @c, S16: zero phase at the loop's first sample,
 * under an envelope rising over the file. */
static gint16
signal_sample (const Signal * s, gint64 n, guint c)
{
  gdouble env = 0.15 + 0.6 * n / FILE_FRAMES;

  return (gint16) lrint (32767.0 * env * sin (2.0 * G_PI * s->freq[c] *
          (n - LOOP_FIRST) / RATE));
}

/* Encodes the signal with "appsrc ! audioconvert ! @encoder ! filesink"
 * into @tmp_dir/@name.  Returns the path. */
static gchar *
make_file (const gchar * name, const gchar * encoder, const Signal * s)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "caps=audio/x-raw,format=S16LE,layout=interleaved,rate=%d,channels=%d "
      "! audioconvert ! %s ! filesink location=\"%s\"", RATE, CHANNELS,
      encoder, path);
  GstElement *p = kc_parse (desc);
  GstElement *src = kc_child (p, "src");
  const guint chunk = 4800;
  guint64 n;

  gst_element_set_state (p, GST_STATE_PLAYING);
  for (n = 0; n < FILE_FRAMES; n += chunk) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, chunk * CHANNELS * 2,
        NULL);
    GstMapInfo map;
    guint i, c;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < chunk; i++)
      for (c = 0; c < CHANNELS; c++)
        GST_WRITE_UINT16_LE (map.data + (i * CHANNELS + c) * 2,
            (guint16) signal_sample (s, n + i, c));
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = frame_time (n);
    GST_BUFFER_DURATION (buf) = frame_time (n + chunk) - frame_time (n);
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), buf),
        GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  return path;
}

/* ------------------------------------------------------------------ */
/* What a sink receives */

/* Where a buffer begins: its first frame among the samples, and the
 * stream time of it. */
typedef struct
{
  guint frame;
  GstClockTime stream_time;
} Stamp;

typedef struct
{
  GArray *samples;              /* gfloat, interleaved, full scale 1.0 */
  GArray *stamps;               /* Stamp, one per buffer */
  GstClockTime next_running_time;       /* where the next buffer follows */
  GstClockTime worst_jump;      /* from one buffer's end to the next one */
  gint segment_dones;           /* SEGMENT_DONE events at the sink */
  gint segments;                /* SEGMENT events at the sink */
  /* Once it has @hold_frames, the sink waits until released. */
  GMutex lock;
  GCond cond;
  guint hold_frames;
  gboolean held, released;
  guint extra_segments;         /* SEGMENTs of seeks beside the repeats */
  guint head;                   /* frames before the first repeat */
} Capture;

/* Where a buffer lands in running time, against where the one before
 * ended: a syncing sink would leave a gap, or an overlap, of the
 * difference. */
static void
follow_running_time (Capture * c, const GstSegment * segment,
    GstBuffer * buf, guint frames)
{
  GstClockTime rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));

  fail_unless (GST_CLOCK_TIME_IS_VALID (rt));
  if (GST_CLOCK_TIME_IS_VALID (c->next_running_time))
    c->worst_jump = MAX (c->worst_jump, (GstClockTime)
        ABS (GST_CLOCK_DIFF (c->next_running_time, rt)));
  c->next_running_time = rt + frame_time (frames);
}

/* A sample's buffer, clipped to its segment as an audio sink plays it,
 * appended as float (S16 scaled by 1/32768, exactly). */
static GstFlowReturn
collect_sample (GstAppSink * sink, gpointer user_data)
{
  Capture *c = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_buffer_ref (gst_sample_get_buffer (sample));
  const GstSegment *segment = gst_sample_get_segment (sample);
  GstAudioInfo info;
  GstMapInfo map;
  Stamp stamp;
  guint i, n;

  fail_unless (gst_audio_info_from_caps (&info, gst_sample_get_caps
          (sample)));
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&info), RATE);
  fail_unless_equals_int (GST_AUDIO_INFO_CHANNELS (&info), CHANNELS);
  fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
  buf = gst_audio_buffer_clip (buf, segment, RATE, GST_AUDIO_INFO_BPF
      (&info));
  if (buf == NULL) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  gst_buffer_map (buf, &map, GST_MAP_READ);
  n = map.size / GST_AUDIO_INFO_BPS (&info);
  follow_running_time (c, segment, buf, n / CHANNELS);
  stamp.frame = c->samples->len / CHANNELS;
  stamp.stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  g_array_append_val (c->stamps, stamp);
  for (i = 0; i < n; i++) {
    gfloat v;

    switch (GST_AUDIO_INFO_FORMAT (&info)) {
      case GST_AUDIO_FORMAT_S16LE:
        v = (gint16) GST_READ_UINT16_LE (map.data + 2 * i) / 32768.0f;
        break;
      case GST_AUDIO_FORMAT_F32LE:
        v = GST_READ_FLOAT_LE (map.data + 4 * i);
        break;
      default:
        fail ("unexpected format %s", GST_AUDIO_INFO_NAME (&info));
        v = 0.0f;
        break;
    }
    g_array_append_val (c->samples, v);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  gst_sample_unref (sample);

  g_mutex_lock (&c->lock);
  if (c->hold_frames > 0 && c->samples->len >= c->hold_frames * CHANNELS) {
    c->held = TRUE;
    g_cond_broadcast (&c->cond);
    while (!c->released)
      g_cond_wait (&c->cond, &c->lock);
  }
  g_mutex_unlock (&c->lock);
  return GST_FLOW_OK;
}

static GstPadProbeReturn
count_events (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Capture *c = user_data;

  switch (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))) {
    case GST_EVENT_SEGMENT_DONE:
      g_atomic_int_inc (&c->segment_dones);
      break;
    case GST_EVENT_SEGMENT:
      g_atomic_int_inc (&c->segments);
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

/* Collects what the appsink "sink" of @p renders (from PLAYING on: the
 * buffers prerolled before a flushing seek are never rendered). */
static void
capture_init (Capture * c, GstElement * p)
{
  GstElement *sink = kc_child (p, "sink");
  GstAppSinkCallbacks callbacks = { NULL, NULL, collect_sample };
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  memset (c, 0, sizeof (*c));
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  c->stamps = g_array_new (FALSE, FALSE, sizeof (Stamp));
  c->next_running_time = GST_CLOCK_TIME_NONE;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, c, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_events,
      c, NULL);
  gst_object_unref (pad);
}

static void
capture_clear (Capture * c)
{
  g_array_unref (c->samples);
  g_array_unref (c->stamps);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
}

static guint
capture_frames (Capture * c)
{
  return c->samples->len / CHANNELS;
}

static gfloat
capture_at (Capture * c, guint frame, guint channel)
{
  return g_array_index (c->samples, gfloat, frame * CHANNELS + channel);
}

/* ------------------------------------------------------------------ */
/* The application's loop */

static void
seek_loop (GstElement * p, const Loop * l, GstSeekFlags flags)
{
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_ACCURATE | flags, GST_SEEK_TYPE_SET, l->start,
      GST_SEEK_TYPE_SET, l->stop);

  fail_unless (gst_element_send_event (p, seek), "seek refused");
}

/* How the first repeat starts. */
typedef enum
{
  START_PAUSED,                 /* a flushing segment seek in PAUSED */
  START_ENGAGED,                /* while the file plays from its start */
  START_EXTENDED,               /* a shorter window, extended meanwhile */
} LoopStart;

/* Holds the sink once it has half a second, runs a seek and lets go: the
 * deck is still before the end of the file, or of the window. */
static void
seek_on_hold (GstElement * p, Capture * c, GstEvent * seek)
{
  g_mutex_lock (&c->lock);
  while (!c->held)
    g_cond_wait (&c->cond, &c->lock);
  g_mutex_unlock (&c->lock);
  fail_unless (gst_element_send_event (p, seek), "seek refused");
  g_mutex_lock (&c->lock);
  c->released = TRUE;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

/* Plays the loop @n_loops times through @p ("... ! appsink name=sink"):
 * in PAUSED a flushing segment seek to it; then, PLAYING, at each
 * SEGMENT_DONE message a non-flushing segment seek to it again, each
 * with a seqnum of its own, and, for the last repeat, a non-flushing
 * seek without SEGMENT, so that it ends in EOS.  START_ENGAGED: the file
 * plays from its start instead, and once the sink has half a second a
 * non-flushing segment seek engages the loop.  START_EXTENDED: the first
 * seek is to 3 beats, and once the sink has half a second a non-flushing
 * seek moves the stop to the 4th beat (the start left as it is). */
static void
play_loop (GstElement * p, const Loop * l, guint n_loops, LoopStart how,
    Capture * c)
{
  GstClock *clock = gst_test_clock_new ();
  GstSeekFlags segment = n_loops > 1 ? GST_SEEK_FLAG_SEGMENT : 0;
  guint asked = 1, done = 0;

  gst_pipeline_use_clock (GST_PIPELINE (p), clock);
  capture_init (c, p);
  g_mutex_lock (&c->lock);
  c->hold_frames = how == START_PAUSED ? 0 : RATE / 2;
  g_mutex_unlock (&c->lock);
  if (how == START_ENGAGED) {
    gst_element_set_state (p, GST_STATE_PLAYING);
    seek_on_hold (p, c, gst_event_new_seek (1.0, GST_FORMAT_TIME,
            GST_SEEK_FLAG_ACCURATE | segment, GST_SEEK_TYPE_SET, l->start,
            GST_SEEK_TYPE_SET, l->stop));
  } else {
    kc_set_state_sync (p, GST_STATE_PAUSED);
    fail_unless (gst_element_send_event (p, gst_event_new_seek (1.0,
                GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE
                | segment, GST_SEEK_TYPE_SET, l->start, GST_SEEK_TYPE_SET,
                how == START_EXTENDED ? l->start + (l->stop - l->start) *
                3 / 4 : l->stop)));
    fail_unless (gst_element_get_state (p, NULL, NULL, GST_CLOCK_TIME_NONE)
        == GST_STATE_CHANGE_SUCCESS);
    gst_element_set_state (p, GST_STATE_PLAYING);
    if (how == START_EXTENDED) {
      seek_on_hold (p, c, gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_ACCURATE | segment, GST_SEEK_TYPE_NONE, -1,
              GST_SEEK_TYPE_SET, l->stop));
      c->extra_segments = 1;
    }
  }

  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_SEGMENT_DONE | GST_MESSAGE_EOS |
        GST_MESSAGE_ERROR);
    GstFormat format;
    gint64 position;

    kc_fail_on_error (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    gst_message_parse_segment_done (msg, &format, &position);
    fail_unless_equals_int (format, GST_FORMAT_TIME);
    fail_unless_equals_uint64 (position, l->stop);
    gst_message_unref (msg);
    done++;
    fail_unless (asked < n_loops, "SEGMENT_DONE after the last seek");
    asked++;
    seek_loop (p, l, asked < n_loops ? GST_SEEK_FLAG_SEGMENT : 0);
  }
  fail_unless_equals_int (done, n_loops - 1);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (clock);
}

/* "filesrc ! kitharadecode [! kitharamixer] ! appsink". */
static GstElement *
deck_pipeline (const gchar * path, gboolean mixer)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "%s ! appsink name=sink sync=false", path, mixer ? "! kitharamixer" :
      "");
  GstElement *p = kc_parse (desc);

  g_free (desc);
  return p;
}

/* ------------------------------------------------------------------ */
/* Checks */

typedef struct
{
  Capture whole;                /* the file decoded alone, to the end */
  gfloat max_step;              /* largest step between two samples */
  gfloat codec_error;           /* largest difference from the source */
} Reference;

static void
reference_init (Reference * r, const gchar * path, const Signal * s)
{
  GstElement *p = deck_pipeline (path, FALSE);
  guint i, c;

  capture_init (&r->whole, p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  /* Vorbis (vorbisenc ! oggmux) decodes to a frame more than was
   * encoded, with decodebin too: its last. */
  fail_unless (capture_frames (&r->whole) >= FILE_FRAMES, "%u frames",
      capture_frames (&r->whole));
  r->max_step = r->codec_error = 0.0f;
  for (i = 0; i < FILE_FRAMES; i++)
    for (c = 0; c < CHANNELS; c++) {
      gfloat v = capture_at (&r->whole, i, c);

      r->codec_error = MAX (r->codec_error, fabsf (v -
              signal_sample (s, i, c) / 32768.0f));
      if (i > 0)
        r->max_step = MAX (r->max_step, fabsf (v - capture_at (&r->whole,
                    i - 1, c)));
    }
}

static void
reference_clear (Reference * r)
{
  capture_clear (&r->whole);
}

/* Frame @i of the loop, summed over @refs. */
static gfloat
window_at (Reference * refs, guint n_refs, guint i, guint c)
{
  gfloat sum = 0.0f;
  guint k;

  for (k = 0; k < n_refs; k++)
    sum += capture_at (&refs[k].whole, LOOP_FIRST + i, c);
  return sum;
}

/* Every buffer is stamped with the stream time of its first sample in
 * the file (within half a sample): the file's own before frame @head,
 * then that of its place in a repeat of @frames frames.  A position query
 * at a sink answers from these. */
static void
check_stream_times (const gchar * what, Capture * out, guint head,
    guint frames)
{
  guint i;

  for (i = 0; i < out->stamps->len; i++) {
    Stamp *st = &g_array_index (out->stamps, Stamp, i);
    GstClockTime want = frame_time (st->frame < head ? st->frame :
        LOOP_FIRST + (st->frame - head) % frames);

    fail_unless (GST_CLOCK_TIME_IS_VALID (st->stream_time) &&
        ABS (GST_CLOCK_DIFF (want, st->stream_time)) <
        (GstClockTimeDiff) frame_time (1) / 2,
        "%s: the buffer at frame %u is stamped %" GST_TIME_FORMAT
        " in stream time, not %" GST_TIME_FORMAT, what, st->frame,
        GST_TIME_ARGS (st->stream_time), GST_TIME_ARGS (want));
  }
}

/* The output is @n_loops repeats of @frames frames of the decoded files
 * from the loop's first sample on (after the head, if any), nothing more
 * or less.  @exact: each repeat is those samples exactly; else its
 * largest difference is printed.  Every joint (last sample of a repeat,
 * first of the next) steps no more than the signal itself does, plus the
 * codec's error on either side. */
static void
check_loops (const gchar * what, Capture * out, Reference * refs,
    guint n_refs, guint frames, guint n_loops, gboolean exact)
{
  gfloat bound = 0.0f, worst_joint = 0.0f, worst_diff = 0.0f;
  guint k, i, c;

  g_print ("%s: %u frames (%u repeats of %u expected), largest jump in "
      "running time %" G_GUINT64_FORMAT " ns, %d SEGMENT_DONE and %d "
      "SEGMENT events at the sink\n", what, capture_frames (out), n_loops,
      frames, out->worst_jump, g_atomic_int_get (&out->segment_dones),
      g_atomic_int_get (&out->segments));
  for (k = 0; k < n_refs; k++)
    bound += refs[k].max_step + 2 * refs[k].codec_error;
  fail_unless_equals_int (capture_frames (out), out->head + n_loops *
      frames);

  for (k = 0; k < n_loops; k++) {
    for (i = 0; i < frames; i++)
      for (c = 0; c < CHANNELS; c++) {
        gfloat got = capture_at (out, out->head + k * frames + i, c);
        gfloat want = window_at (refs, n_refs, i, c);

        if (exact && got != want)
          fail ("%s: repeat %u differs from the file at its frame %u "
              "(channel %u): %g instead of %g", what, k, i, c, got, want);
        worst_diff = MAX (worst_diff, fabsf (got - want));
      }
    if (k == 0)
      continue;
    for (c = 0; c < CHANNELS; c++) {
      gfloat step = fabsf (capture_at (out, out->head + k * frames, c) -
          capture_at (out, out->head + k * frames - 1, c));

      worst_joint = MAX (worst_joint, step);
      fail_unless (step <= bound, "%s: joint %u steps by %g (bound %g)",
          what, k, step, bound);
    }
  }
  g_print ("%s: largest joint step %g (bound %g), largest difference from "
      "the file %g\n", what, worst_joint, bound, worst_diff);
  /* A SEGMENT_DONE at the end of each segment-seek repeat, a SEGMENT at
   * the start (and at the very start) of each. */
  fail_unless_equals_int (g_atomic_int_get (&out->segment_dones),
      n_loops - 1);
  fail_unless_equals_int (g_atomic_int_get (&out->segments), n_loops + 1 +
      out->extra_segments);
  check_stream_times (what, out, out->head, frames);
}

/* ------------------------------------------------------------------ */

/* The frames a deck of @path gives for the loop played once (a flushing
 * seek to its window, then EOS), checked against the file decoded alone. */
static guint
frames_once (const gchar * path, const Loop * l, Reference * ref)
{
  GstElement *p = deck_pipeline (path, FALSE);
  gchar *name = g_path_get_basename (path);
  Capture once;
  guint frames;

  play_loop (p, l, 1, START_PAUSED, &once);
  gst_object_unref (p);
  frames = capture_frames (&once);
  g_print ("%s: [%" GST_TIME_FORMAT ", %" GST_TIME_FORMAT ") of %.2f "
      "samples decodes to %u\n", name, GST_TIME_ARGS (l->start),
      GST_TIME_ARGS (l->stop), loop_seconds (l) * RATE, frames);
  check_loops (name, &once, ref, 1, frames, 1, ref->codec_error == 0.0f);
  capture_clear (&once);
  g_free (name);
  return frames;
}

/* The 120 bpm loop played N_LOOPS times by one deck of @encoder's file,
 * alone or into kitharamixer.  Lossless, a repeat is 96000 frames, each
 * following the last in running time.  Vorbis decodes the window to a
 * frame more (vorbisdec keeps a sample past a segment's stop), which a
 * deck repeats as it is, and oggdemux bases each repeat's segment on its
 * own position, 240 ms short of the stop, so that alone the repeats
 * overlap in running time; the mixer takes each repeat up where the last
 * ended, and its sink clips the extra frame, past the segment (a frame's
 * jump in running time). */
static void
check_one_deck (const gchar * name, const gchar * encoder, gboolean mixer,
    gboolean lossless)
{
  Loop l;
  Signal s;
  gchar *path, *what;
  GstElement *p;
  Reference ref;
  Capture out;
  guint frames;

  loop_init (&l, 120);
  signal_init (&s, &l, 997.0, 440.5);
  path = make_file (name, encoder, &s);
  what = g_strdup_printf ("%s, %s", name, mixer ? "deck into kitharamixer" :
      "deck alone");
  reference_init (&ref, path, &s);
  g_print ("%s decoded alone: %u frames, largest step %g, codec error %g\n",
      name, capture_frames (&ref.whole), ref.max_step, ref.codec_error);
  if (lossless)
    fail_unless (ref.codec_error == 0.0f, "%s is not lossless: error %g",
        name, ref.codec_error);
  frames = frames_once (path, &l, &ref);
  fail_unless_equals_int (l.frames, 96000);
  if (lossless)
    fail_unless_equals_int (frames, l.frames);

  p = deck_pipeline (path, mixer);
  play_loop (p, &l, N_LOOPS, START_PAUSED, &out);
  check_loops (what, &out, &ref, 1, mixer ? l.frames : frames, N_LOOPS,
      lossless);
  if (lossless)
    fail_unless (out.worst_jump < frame_time (1) / 2, "%s: a jump of %"
        G_GUINT64_FORMAT " ns in running time", what, out.worst_jump);
  else                          /* Vorbis: the extra frame of each repeat */
    fail_unless (out.worst_jump <= frame_time (1) + 1, "%s: a jump of %"
        G_GUINT64_FORMAT " ns in running time", what, out.worst_jump);

  gst_object_unref (p);
  capture_clear (&out);
  reference_clear (&ref);
  g_free (what);
  g_free (path);
}

GST_START_TEST (test_wav_deck_alone)
{
  check_one_deck ("loop.wav", "wavenc", FALSE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_flac_deck_alone)
{
  check_one_deck ("loop.flac", "flacenc", FALSE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_wav_through_mixer)
{
  check_one_deck ("loop.wav", "wavenc", TRUE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_flac_through_mixer)
{
  check_one_deck ("loop.flac", "flacenc", TRUE, TRUE);
}

GST_END_TEST;

/* Lossy: the length is exact and the joints are smooth within the
 * codec's error; how far the repeats are from the file decoded alone is
 * printed. */
GST_START_TEST (test_vorbis_deck_alone)
{
  check_one_deck ("loop.ogg", "vorbisenc ! oggmux", FALSE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_vorbis_through_mixer)
{
  check_one_deck ("loop.ogg", "vorbisenc ! oggmux", TRUE, FALSE);
}

GST_END_TEST;

/* Two decks into the mixer, each looping the same window of its own file
 * (WAV and FLAC): the mix is the sum of the two, repeated; SEGMENT_DONE
 * comes once both decks have reached the end. */
GST_START_TEST (test_two_decks_through_mixer)
{
  Loop l;
  Signal s[2];
  gchar *path_a, *path_b, *desc;
  GstElement *p;
  Reference refs[2];
  Capture out;

  loop_init (&l, 120);
  signal_init (&s[0], &l, 997.0, 440.5);
  signal_init (&s[1], &l, 661.0, 1234.5);
  path_a = make_file ("a.wav", "wavenc", &s[0]);
  path_b = make_file ("b.flac", "flacenc", &s[1]);
  reference_init (&refs[0], path_a, &s[0]);
  reference_init (&refs[1], path_b, &s[1]);
  fail_unless (refs[0].codec_error == 0.0f && refs[1].codec_error == 0.0f);

  desc = g_strdup_printf ("kitharamixer name=m ! appsink name=sink "
      "sync=false filesrc location=\"%s\" ! kitharadecode ! m. "
      "filesrc location=\"%s\" ! kitharadecode ! m.", path_a, path_b);
  p = kc_parse (desc);
  play_loop (p, &l, N_LOOPS, START_PAUSED, &out);
  check_loops ("a.wav + b.flac, two decks into kitharamixer", &out, refs, 2,
      l.frames, N_LOOPS, TRUE);
  fail_unless (out.worst_jump < frame_time (1) / 2);

  gst_object_unref (p);
  capture_clear (&out);
  reference_clear (&refs[0]);
  reference_clear (&refs[1]);
  g_free (desc);
  g_free (path_a);
  g_free (path_b);
}

GST_END_TEST;

/* 4 beats at 123 bpm: 93658.54 samples.  A repeat holds the whole samples
 * the decoder gives for the window (as many for one seek as for each
 * repeat of the loop: within a sample of the length), and the mixer joins
 * them as they are, without a sample of silence where the window's
 * running time ends a fraction of a sample later than its samples. */
static void
check_uneven_loop (const gchar * name, const gchar * encoder)
{
  Loop l;
  Signal s;
  gchar *path, *what;
  GstElement *p;
  Reference ref;
  Capture out;
  guint frames;

  loop_init (&l, 123);
  fail_unless_equals_int (l.frames, 0);
  signal_init (&s, &l, 997.0, 440.5);
  path = make_file (name, encoder, &s);
  reference_init (&ref, path, &s);
  fail_unless (ref.codec_error == 0.0f);
  frames = frames_once (path, &l, &ref);
  fail_unless (fabs (frames - loop_seconds (&l) * RATE) < 1.0);

  what = g_strdup_printf ("%s, 123 bpm, deck alone", name);
  p = deck_pipeline (path, FALSE);
  play_loop (p, &l, N_LOOPS, START_PAUSED, &out);
  check_loops (what, &out, &ref, 1, frames, N_LOOPS, TRUE);
  gst_object_unref (p);
  capture_clear (&out);
  g_free (what);

  what = g_strdup_printf ("%s, 123 bpm, deck into kitharamixer", name);
  p = deck_pipeline (path, TRUE);
  play_loop (p, &l, N_LOOPS, START_PAUSED, &out);
  check_loops (what, &out, &ref, 1, frames, N_LOOPS, TRUE);
  fail_unless (out.worst_jump < frame_time (1) / 2);
  gst_object_unref (p);
  capture_clear (&out);
  g_free (what);

  reference_clear (&ref);
  g_free (path);
}

GST_START_TEST (test_uneven_loop_wav)
{
  check_uneven_loop ("uneven.wav", "wavenc");
}

GST_END_TEST;

GST_START_TEST (test_uneven_loop_flac)
{
  check_uneven_loop ("uneven.flac", "flacenc");
}

GST_END_TEST;

/* The loop engaged while the file plays from its start, by a
 * non-flushing segment seek: the output is the file up to where the deck
 * took the seek, then the repeats, joined as they are. */
static void
check_engaged (const gchar * name, const gchar * encoder, gboolean mixer)
{
  Loop l;
  Signal s;
  gchar *path, *what;
  GstElement *p;
  Reference ref;
  Capture out;
  guint head, i, c;

  loop_init (&l, 120);
  signal_init (&s, &l, 997.0, 440.5);
  path = make_file (name, encoder, &s);
  reference_init (&ref, path, &s);
  fail_unless (ref.codec_error == 0.0f);

  what = g_strdup_printf ("%s, engaged while playing, %s", name, mixer ?
      "deck into kitharamixer" : "deck alone");
  p = deck_pipeline (path, mixer);
  play_loop (p, &l, N_LOOPS, START_ENGAGED, &out);
  fail_unless (capture_frames (&out) > N_LOOPS * l.frames);
  head = capture_frames (&out) - N_LOOPS * l.frames;
  g_print ("%s: the file's first %u frames, then the loop\n", what, head);
  fail_unless (head >= RATE / 2 && head < FILE_FRAMES);
  for (i = 0; i < head; i++)
    for (c = 0; c < CHANNELS; c++)
      fail_unless (capture_at (&out, i, c) == capture_at (&ref.whole, i, c),
          "%s: frame %u differs from the file", what, i);
  fail_unless (out.worst_jump < frame_time (1) / 2, "%s: a jump of %"
      G_GUINT64_FORMAT " ns in running time", what, out.worst_jump);

  /* The rest is the loop (the joint into it is no joint of the loop). */
  out.head = head;
  check_loops (what, &out, &ref, 1, l.frames, N_LOOPS, TRUE);

  gst_object_unref (p);
  capture_clear (&out);
  reference_clear (&ref);
  g_free (what);
  g_free (path);
}

GST_START_TEST (test_engaged_wav_deck_alone)
{
  check_engaged ("engaged.wav", "wavenc", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_engaged_wav_through_mixer)
{
  check_engaged ("engaged.wav", "wavenc", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_engaged_flac_through_mixer)
{
  check_engaged ("engaged.flac", "flacenc", TRUE);
}

GST_END_TEST;

/* The first repeat is sought to 3 beats and extended to 4 while it plays
 * (a non-flushing seek that moves the stop only): every repeat, the first
 * one too, is the 4 beats. */
static void
check_extended (const gchar * name, const gchar * encoder, gboolean mixer)
{
  Loop l;
  Signal s;
  gchar *path, *what;
  GstElement *p;
  Reference ref;
  Capture out;

  loop_init (&l, 120);
  signal_init (&s, &l, 997.0, 440.5);
  path = make_file (name, encoder, &s);
  reference_init (&ref, path, &s);
  fail_unless (ref.codec_error == 0.0f);

  what = g_strdup_printf ("%s, first repeat extended, %s", name, mixer ?
      "deck into kitharamixer" : "deck alone");
  p = deck_pipeline (path, mixer);
  play_loop (p, &l, N_LOOPS, START_EXTENDED, &out);
  check_loops (what, &out, &ref, 1, l.frames, N_LOOPS, TRUE);
  fail_unless (out.worst_jump < frame_time (1) / 2, "%s: a jump of %"
      G_GUINT64_FORMAT " ns in running time", what, out.worst_jump);

  gst_object_unref (p);
  capture_clear (&out);
  reference_clear (&ref);
  g_free (what);
  g_free (path);
}

GST_START_TEST (test_extended_wav_deck_alone)
{
  check_extended ("extended.wav", "wavenc", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_extended_wav_through_mixer)
{
  check_extended ("extended.wav", "wavenc", TRUE);
}

GST_END_TEST;

static Suite *
kitharaloop_suite (void)
{
  Suite *s = suite_create ("kitharaloop");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_wav_deck_alone);
  tcase_add_test (tc, test_flac_deck_alone);
  tcase_add_test (tc, test_wav_through_mixer);
  tcase_add_test (tc, test_flac_through_mixer);
  tcase_add_test (tc, test_vorbis_deck_alone);
  tcase_add_test (tc, test_vorbis_through_mixer);
  tcase_add_test (tc, test_two_decks_through_mixer);
  tcase_add_test (tc, test_uneven_loop_wav);
  tcase_add_test (tc, test_uneven_loop_flac);
  tcase_add_test (tc, test_engaged_wav_deck_alone);
  tcase_add_test (tc, test_engaged_wav_through_mixer);
  tcase_add_test (tc, test_engaged_flac_through_mixer);
  tcase_add_test (tc, test_extended_wav_deck_alone);
  tcase_add_test (tc, test_extended_wav_through_mixer);
  return s;
}

KITHARA_CHECK_MAIN (kitharaloop);
