/* Kithara: one timeline for the tracks a kitharadecode plays in a row.
 *
 * The first track goes out as decoded.  Each next track continues the
 * output where the last one ended: its buffers are clipped to its own
 * segment (encoder delay and padding, as its demuxer or parser and
 * decoder marked them) and re-stamped onto the output's timeline, and
 * each of its segments is replaced by one that starts at the end of what
 * went out, keeps the running time going and restarts the stream time at
 * the track's own (so that positions read within the track).  A flush (a
 * flushing seek into the track) ends the joining: the track's own
 * segment then goes out as it is, as after any flushing seek.
 *
 * Within a track, the segment of a non-flushing seek sent on
 * SEGMENT_DONE (a loop's next repeat) starts, in running time, where the
 * output ended.  A demuxer bases it on its own position, which may lag
 * the stop: oggdemux's is the last granule it read, 240 ms short of a 2 s
 * Vorbis loop, so that each repeat would overlap the one before at a
 * syncing sink.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharadecodejoint.h"

void
kithara_decode_joint_reset (KitharaDecodeJoint * joint)
{
  joint->joining = FALSE;
  joint->at_joint = FALSE;
  joint->segment_done = FALSE;
  gst_segment_init (&joint->track, GST_FORMAT_UNDEFINED);
  gst_segment_init (&joint->out, GST_FORMAT_UNDEFINED);
  gst_audio_info_init (&joint->info);
  joint->out_end = GST_CLOCK_TIME_NONE;
}

/* Where the output is now: the end of the last buffer, or where its
 * segment starts if none went out. */
GstClockTime
kithara_decode_joint_end (KitharaDecodeJoint * joint)
{
  if (GST_CLOCK_TIME_IS_VALID (joint->out_end))
    return joint->out_end;
  if (joint->out.format == GST_FORMAT_TIME)
    return joint->out.start;
  return 0;
}

/* The next track starts: from its first segment on, it continues the
 * output's time (only forward: a reverse segment has no end to continue
 * from). */
void
kithara_decode_joint_next_track (KitharaDecodeJoint * joint)
{
  joint->joining = joint->out.format != GST_FORMAT_TIME || joint->out.rate > 0;
  joint->at_joint = joint->joining;
  gst_audio_info_init (&joint->info);
}

void
kithara_decode_joint_flushed (KitharaDecodeJoint * joint)
{
  joint->joining = FALSE;
  joint->segment_done = FALSE;
  joint->out_end = GST_CLOCK_TIME_NONE;
}

/* @seg as a segment event in place of @event (transfer full), with its
 * seqnum. */
static GstEvent *
replace_segment (GstEvent * event, const GstSegment * seg)
{
  GstEvent *out = gst_event_new_segment (seg);

  gst_event_set_seqnum (out, gst_event_get_seqnum (event));
  gst_event_unref (event);
  return out;
}

/* The running time where the output ended (within its segment), or
 * NONE. */
static GstClockTime
end_running_time (KitharaDecodeJoint * joint)
{
  GstClockTime end = joint->out_end;

  if (joint->out.format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (end))
    return GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (joint->out.stop))
    end = MIN (end, joint->out.stop);
  return gst_segment_to_running_time (&joint->out, GST_FORMAT_TIME, end);
}

/* A segment after SEGMENT_DONE, based where the output ended. */
static GstEvent *
following_segment (KitharaDecodeJoint * joint, GstEvent * event)
{
  GstClockTime end = end_running_time (joint);
  GstSegment seg;

  gst_event_copy_segment (event, &seg);
  if (!GST_CLOCK_TIME_IS_VALID (end) || seg.format != GST_FORMAT_TIME ||
      seg.rate <= 0 || (seg.flags & GST_SEGMENT_FLAG_RESET))
    return event;
  seg.base = end;
  joint->at_joint = TRUE;
  return replace_segment (event, &seg);
}

/* The segment that continues the output with @track's data. */
static GstEvent *
continuing_segment (KitharaDecodeJoint * joint, GstEvent * event)
{
  GstClockTime at = kithara_decode_joint_end (joint);
  guint64 base = 0;
  GstSegment seg;

  if (joint->out.format == GST_FORMAT_TIME &&
      gst_segment_to_running_time_full (&joint->out, GST_FORMAT_TIME, at,
          &base) < 0)
    base = 0;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.rate = joint->track.rate;
  seg.applied_rate = joint->track.applied_rate;
  seg.flags = joint->track.flags;
  seg.base = base;
  seg.start = at;
  seg.position = at;
  seg.time = joint->track.time;
  if (GST_CLOCK_TIME_IS_VALID (joint->track.stop))
    seg.stop = at + (joint->track.stop - joint->track.start);
  seg.duration = joint->track.duration;
  return replace_segment (event, &seg);
}

/* A buffer of a joined track: clipped to the track's segment, then moved
 * onto the output's timeline.  NULL if nothing of it is in the segment. */
static GstBuffer *
join_buffer (KitharaDecodeJoint * joint, GstBuffer * buf)
{
  GstClockTime pts;

  if (joint->track.format != GST_FORMAT_TIME ||
      GST_AUDIO_INFO_RATE (&joint->info) == 0 ||
      !GST_BUFFER_PTS_IS_VALID (buf))
    return buf;
  buf = gst_audio_buffer_clip (buf, &joint->track,
      GST_AUDIO_INFO_RATE (&joint->info), GST_AUDIO_INFO_BPF (&joint->info));
  if (buf == NULL)
    return NULL;

  pts = joint->out.start + (GST_BUFFER_PTS (buf) - joint->track.start);
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET_NONE;
  return buf;
}

/* Where the output stands after @buf. */
static void
note_buffer (KitharaDecodeJoint * joint, GstBuffer * buf)
{
  if (GST_BUFFER_PTS_IS_VALID (buf) && GST_BUFFER_DURATION_IS_VALID (buf))
    joint->out_end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
}

/**
 * kithara_decode_joint_pass:
 * @item: (transfer full): a decoded item about to go out
 *
 * Returns: (transfer full) (nullable): what goes out instead: @item, or
 * @item re-stamped, or a continuing segment; %NULL if nothing does.
 */
GstMiniObject *
kithara_decode_joint_pass (KitharaDecodeJoint * joint, GstMiniObject * item)
{
  if (GST_IS_BUFFER (item)) {
    GstBuffer *buf = GST_BUFFER (item);

    if (joint->joining && (buf = join_buffer (joint, buf)) == NULL)
      return NULL;
    /* The first buffer after a joint goes on from the last one's end: no
     * discontinuity for downstream to resync on. */
    if (joint->at_joint && GST_BUFFER_IS_DISCONT (buf)) {
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DISCONT);
    }
    joint->at_joint = FALSE;
    note_buffer (joint, buf);
    return GST_MINI_OBJECT (buf);
  }
  if (!GST_IS_EVENT (item))
    return item;

  switch (GST_EVENT_TYPE (item)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (GST_EVENT (item), &caps);
      if (!gst_audio_info_from_caps (&joint->info, caps))
        gst_audio_info_init (&joint->info);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (GST_EVENT (item), &joint->track);
      if (joint->joining && joint->track.format == GST_FORMAT_TIME &&
          joint->track.rate > 0)
        item = GST_MINI_OBJECT (continuing_segment (joint, GST_EVENT (item)));
      else if (joint->segment_done)
        item = GST_MINI_OBJECT (following_segment (joint, GST_EVENT (item)));
      joint->segment_done = FALSE;
      gst_event_copy_segment (GST_EVENT (item), &joint->out);
      break;
    case GST_EVENT_SEGMENT_DONE:
      joint->segment_done = TRUE;
      break;
    default:
      break;
  }
  return item;
}
