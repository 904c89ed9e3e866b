/* Kithara runtime: what happens to the items of a stream (buffers,
 * serialized events and queries) held in an inlet or an exit when the
 * stream flushes, and how a serialized query waits behind the data. */
#ifndef __KITHARA_STREAM_H__
#define __KITHARA_STREAM_H__

#include <gst/gst.h>
#include "kitharaexport.h"

G_BEGIN_DECLS

KITHARA_API
gboolean kithara_stream_item_survives_flush (GstMiniObject * item);

KITHARA_API
void kithara_stream_drop_item (GstMiniObject * item);

KITHARA_API
guint kithara_stream_flush_items (GQueue * items, gboolean keep_sticky);

/**
 * KitharaQueryWait:
 *
 * A serialized query sent by a thread that may wait, queued with the
 * data in front of it: the thread waits until whoever finally answers it
 * (the end of the chain, or an exit's task with downstream's answer)
 * calls kithara_stream_query_done(), or until it is dropped by a flush.
 * Lives on the waiting thread's stack.
 */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  gboolean result;
} KitharaQueryWait;

KITHARA_API
void kithara_stream_query_wait_init (KitharaQueryWait * wait,
    GstQuery * query);

KITHARA_API
gboolean kithara_stream_query_wait (KitharaQueryWait * wait,
    GstQuery * query);

KITHARA_API
gboolean kithara_stream_query_is_waited (GstQuery * query);

KITHARA_API
void kithara_stream_query_done (GstQuery * query, gboolean result);

KITHARA_API
KitharaQueryWait *kithara_stream_query_take_wait (GstQuery * query);

KITHARA_API
void kithara_stream_query_wait_done (KitharaQueryWait * wait,
    gboolean result);

G_END_DECLS

#endif /* __KITHARA_STREAM_H__ */
