/* Kithara: one timeline for the tracks a kitharadecode plays in a row. */
#ifndef __KITHARA_DECODE_JOINT_H__
#define __KITHARA_DECODE_JOINT_H__

#include <gst/audio/audio.h>

G_BEGIN_DECLS

/* Used by the owner's tick, or by a thread holding its tick lock. */
typedef struct
{
  gboolean joining;             /* this track continues the last one's time */
  gboolean at_joint;            /* its first buffer has not gone out yet */
  gboolean segment_done;        /* a SEGMENT_DONE went out: a loop's next
                                 * segment follows on from it */
  GstSegment track;             /* the track's own last segment */
  GstAudioInfo info;            /* the track's caps, to clip its buffers */
  GstSegment out;               /* the last segment that went out */
  GstClockTime out_end;         /* the end of the last buffer that went out */
} KitharaDecodeJoint;

void kithara_decode_joint_reset (KitharaDecodeJoint * joint);
void kithara_decode_joint_next_track (KitharaDecodeJoint * joint);
void kithara_decode_joint_flushed (KitharaDecodeJoint * joint);
GstMiniObject *kithara_decode_joint_pass (KitharaDecodeJoint * joint,
    GstMiniObject * item);
GstClockTime kithara_decode_joint_end (KitharaDecodeJoint * joint);

G_END_DECLS

#endif /* __KITHARA_DECODE_JOINT_H__ */
