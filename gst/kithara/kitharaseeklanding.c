/* Kithara: where a seek of kitharadecode really landed.
 *
 * A seek asks for a position; where the stream restarts depends on the
 * demuxer or parser (an accurate seek at the sample itself, a key-unit
 * one possibly before it: oggdemux at a page).  kitharadecode remembers each
 * TIME seek and watches what leaves its tick: the first buffer after the
 * seek's segment is where it landed.  The element then posts a
 * "kithara-seek-landed" message and answers position queries with the
 * landing until playback has moved on, that is until a buffer after the
 * landing one has gone downstream (seen by a probe on the src pad, where
 * a buffer leaves for the next kithara inlet or the exit's downstream).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "kitharaseeklanding.h"

GST_DEBUG_CATEGORY_EXTERN (gst_kithara_decode_debug);
#define GST_CAT_DEFAULT gst_kithara_decode_debug

/* Tags the landing buffer, so that the probe knows it when it leaves.
 * Unique in the process: a buffer may pass several decoders' pads. */
static gint last_mark;

static GQuark
mark_quark (void)
{
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark,
        g_quark_from_static_string ("kithara-seek-landing"));
  return (GQuark) quark;
}

static guint
new_mark (void)
{
  guint mark;

  do
    mark = (guint) g_atomic_int_add (&last_mark, 1) + 1;
  while (mark == 0);            /* 0 means "not marked" */
  return mark;
}

static void
drop_landing (KitharaSeekLanding * l)
{
  g_mutex_lock (&l->lock);
  g_atomic_int_set (&l->held, FALSE);
  l->mark_left = FALSE;
  g_mutex_unlock (&l->lock);
}

/* Buffers and EOS leaving the src pad: once the landing buffer has gone,
 * the next one means playback moved on. */
static GstPadProbeReturn
watch_output (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  KitharaSeekLanding *l = user_data;
  guint mark = 0;

  if (!g_atomic_int_get (&l->held))
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    mark = GPOINTER_TO_UINT (gst_mini_object_get_qdata (GST_MINI_OBJECT
            (GST_PAD_PROBE_INFO_BUFFER (info)), mark_quark ()));
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&l->lock);
  if (mark != 0 && mark == l->mark)
    l->mark_left = TRUE;
  else if (l->mark_left)
    g_atomic_int_set (&l->held, FALSE);
  g_mutex_unlock (&l->lock);
  return GST_PAD_PROBE_OK;
}

void
kithara_seek_landing_init (KitharaSeekLanding * l, GstPad * srcpad)
{
  memset (l, 0, sizeof (*l));
  g_mutex_init (&l->lock);
  kithara_seek_landing_reset (l);
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, watch_output, l, NULL);
}

void
kithara_seek_landing_clear (KitharaSeekLanding * l)
{
  g_mutex_clear (&l->lock);
}

/* A new stream (the element started or stopped): nothing is known. */
void
kithara_seek_landing_reset (KitharaSeekLanding * l)
{
  l->pending = FALSE;
  l->armed = FALSE;
  l->segments_to_skip = 0;
  l->requested = GST_CLOCK_TIME_NONE;
  gst_segment_init (&l->segment, GST_FORMAT_UNDEFINED);
  l->rate = 0;
  drop_landing (l);
}

static guint
count_segments (GQueue * queued)
{
  GList *i;
  guint n = 0;

  for (i = queued->head; i; i = i->next)
    if (GST_IS_EVENT (i->data) &&
        GST_EVENT_TYPE (i->data) == GST_EVENT_SEGMENT)
      n++;
  return n;
}

/* @seek is about to go up the chain; @queued holds what the chain
 * decoded before it and has not left yet (a non-flushing seek keeps it:
 * a segment among it is not the seek's). */
void
kithara_seek_landing_request (KitharaSeekLanding * l, GstEvent * seek,
    GQueue * queued)
{
  GstFormat format;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gdouble rate;
  gboolean forward;

  gst_event_parse_seek (seek, &rate, &format, NULL, &start_type, &start,
      &stop_type, &stop);
  forward = rate >= 0.0;
  drop_landing (l);
  l->pending = FALSE;
  l->armed = FALSE;
  /* Only a TIME position is a request to land on (in reverse, the stop
   * is where playback starts). */
  if (format != GST_FORMAT_TIME ||
      (forward ? start_type : stop_type) != GST_SEEK_TYPE_SET ||
      (forward ? start : stop) < 0)
    return;

  l->pending = TRUE;
  l->requested = forward ? start : stop;
  l->seqnum = gst_event_get_seqnum (seek);
  l->segments_to_skip = count_segments (queued);
  GST_DEBUG ("seek %u to %" GST_TIME_FORMAT, l->seqnum,
      GST_TIME_ARGS (l->requested));
}

/* The chain refused the seek: nothing changed. */
void
kithara_seek_landing_cancel (KitharaSeekLanding * l)
{
  l->pending = FALSE;
  l->armed = FALSE;
}

/* The decoded items were flushed (segments with them), and downstream
 * too: a landing that may still be answered is gone. */
void
kithara_seek_landing_flushed (KitharaSeekLanding * l)
{
  l->segments_to_skip = 0;
  l->armed = FALSE;
  drop_landing (l);
}

static void
pass_event (KitharaSeekLanding * l, GstEvent * event)
{
  GstCaps *caps;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &l->segment);
      if (l->segments_to_skip > 0)
        l->segments_to_skip--;
      else if (l->pending)
        l->armed = TRUE;
      break;
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate",
              &l->rate))
        l->rate = 0;
      break;
    case GST_EVENT_EOS:
      /* Sought to the end, or beyond: no sample to land on. */
      kithara_seek_landing_cancel (l);
      break;
    default:
      break;
  }
}

/* The time of @buf's first sample that downstream plays: a sink clips
 * what lies before the segment in whole samples, rounding down (see
 * gst_audio_buffer_clip()), so a parser's buffer starting a fraction of a
 * sample early keeps that sample.  In reverse, playback starts from the
 * end.  FALSE if nothing of @buf is in the segment. */
static gboolean
first_sample (KitharaSeekLanding * l, GstBuffer * buf, GstClockTime * first)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), end = GST_CLOCK_TIME_NONE;
  guint64 cstart, cstop, skip;

  if (l->segment.format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (pts)
      || l->rate <= 0)
    return FALSE;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    end = pts + GST_BUFFER_DURATION (buf);
  if (!gst_segment_clip (&l->segment, GST_FORMAT_TIME, pts, end, &cstart,
          &cstop))
    return FALSE;
  if (l->segment.rate < 0.0 && GST_CLOCK_TIME_IS_VALID (cstop)) {
    *first = cstop;
    return TRUE;
  }
  skip = gst_util_uint64_scale (cstart - pts, l->rate, GST_SECOND);
  *first = pts + gst_util_uint64_scale (skip, GST_SECOND, l->rate);
  return TRUE;
}

/* The sample playing at @time: the one that starts at or before it, as
 * sinks and decoders clip (a clipped buffer keeps the sample containing
 * the segment start, and is stamped with the start itself).  A sample's
 * own timestamp, whole nanoseconds rounded down, may fall up to 1 ns
 * short of its exact start: hence the 1 ns. */
static guint64
sample_at (GstClockTime time, gint rate)
{
  return gst_util_uint64_scale (time + 1, rate, GST_SECOND);
}

static GstMessage *
landed_message (KitharaSeekLanding * l, GstObject * owner,
    GstClockTime landed, guint64 landed_sample)
{
  GstMessage *msg;

  msg = gst_message_new_element (owner,
      gst_structure_new (KITHARA_SEEK_LANDED_MESSAGE,
          "requested", G_TYPE_UINT64, (guint64) l->requested,
          "landed", G_TYPE_UINT64, (guint64) landed,
          "requested-sample", G_TYPE_UINT64,
          sample_at (l->requested, l->rate),
          "landed-sample", G_TYPE_UINT64, landed_sample,
          "rate", G_TYPE_INT, l->rate, "seqnum", G_TYPE_UINT, l->seqnum,
          NULL));
  /* As any message that follows from an event. */
  gst_message_set_seqnum (msg, l->seqnum);
  return msg;
}

static GstMessage *
land (KitharaSeekLanding * l, GstObject * owner, GstBuffer * buf)
{
  GstClockTime first;
  guint64 landed, sample;
  gint sign;

  if (!first_sample (l, buf, &first))
    return NULL;                /* clipped away: the next one, then */
  sign = gst_segment_to_stream_time_full (&l->segment, GST_FORMAT_TIME,
      first, &landed);
  if (sign == 0)
    return NULL;
  if (sign < 0)
    landed = 0;
  sample = sample_at (landed, l->rate);
  l->pending = FALSE;
  l->armed = FALSE;

  g_mutex_lock (&l->lock);
  l->landed = landed;
  l->landed_sample = sample;
  l->mark = new_mark ();
  l->mark_left = FALSE;
  gst_mini_object_set_qdata (GST_MINI_OBJECT (buf), mark_quark (),
      GUINT_TO_POINTER (l->mark), NULL);
  g_atomic_int_set (&l->held, TRUE);
  g_mutex_unlock (&l->lock);

  GST_DEBUG_OBJECT (owner, "seek %u to %" GST_TIME_FORMAT " landed at %"
      GST_TIME_FORMAT " (sample %" G_GUINT64_FORMAT ")", l->seqnum,
      GST_TIME_ARGS (l->requested), GST_TIME_ARGS (landed), sample);
  return landed_message (l, owner, landed, sample);
}

/* @item is about to leave the tick.  Returns the message to post (before
 * the item is pushed: so it is on the bus before anything downstream
 * follows from the landing buffer, such as a sink's preroll), or NULL. */
GstMessage *
kithara_seek_landing_pass (KitharaSeekLanding * l, GstObject * owner,
    GstMiniObject * item)
{
  if (GST_IS_EVENT (item)) {
    pass_event (l, GST_EVENT (item));
    return NULL;
  }
  if (!GST_IS_BUFFER (item) || !l->armed)
    return NULL;
  return land (l, owner, GST_BUFFER (item));
}

/* A TIME (or sample) position query, while the landing holds: it is
 * where playback restarted, whatever the chain has decoded beyond. */
gboolean
kithara_seek_landing_answer (KitharaSeekLanding * l, GstQuery * query)
{
  GstFormat format;
  gboolean held;

  gst_query_parse_position (query, &format, NULL);
  if (format != GST_FORMAT_TIME && format != GST_FORMAT_DEFAULT)
    return FALSE;
  g_mutex_lock (&l->lock);
  held = g_atomic_int_get (&l->held);
  if (held)
    gst_query_set_position (query, format, format == GST_FORMAT_TIME ?
        (gint64) l->landed : (gint64) l->landed_sample);
  g_mutex_unlock (&l->lock);
  return held;
}
