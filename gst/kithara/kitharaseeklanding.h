/* Kithara: where a seek of kitharadecode really landed. */
#ifndef __KITHARA_SEEK_LANDING_H__
#define __KITHARA_SEEK_LANDING_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define KITHARA_SEEK_LANDED_MESSAGE "kithara-seek-landed"

typedef struct
{
  /* The stream side: used by the tick, or by a thread holding the tick
   * lock (a seek, a flush). */
  gboolean pending;             /* a seek waits for its first sample */
  GstClockTime requested;
  guint32 seqnum;
  guint segments_to_skip;       /* queued before the seek: not its own */
  gboolean armed;               /* the seek's segment went out */
  GstSegment segment;           /* the last segment that went out */
  gint rate;                    /* of the last caps that went out */

  /* The landing, shared with queries and the src pad's probe. */
  GMutex lock;
  gint held;                    /* atomic as well: the probe's fast path */
  GstClockTime landed;
  guint64 landed_sample;
  guint mark;                   /* tags the landing buffer */
  gboolean mark_left;           /* that buffer went downstream */
} KitharaSeekLanding;

void kithara_seek_landing_init (KitharaSeekLanding * l, GstPad * srcpad);
void kithara_seek_landing_clear (KitharaSeekLanding * l);
void kithara_seek_landing_reset (KitharaSeekLanding * l);
void kithara_seek_landing_request (KitharaSeekLanding * l, GstEvent * seek,
    GQueue * queued);
void kithara_seek_landing_cancel (KitharaSeekLanding * l);
void kithara_seek_landing_flushed (KitharaSeekLanding * l);
GstMessage *kithara_seek_landing_pass (KitharaSeekLanding * l,
    GstObject * owner, GstMiniObject * item);
gboolean kithara_seek_landing_answer (KitharaSeekLanding * l,
    GstQuery * query);

G_END_DECLS

#endif /* __KITHARA_SEEK_LANDING_H__ */
