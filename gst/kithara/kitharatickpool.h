/* Kithara: a GstTaskPool whose tasks run in a node's ticks, not threads. */
#ifndef __KITHARA_TICK_POOL_H__
#define __KITHARA_TICK_POOL_H__

#include <gst/gst.h>
#include "kitharanode.h"

G_BEGIN_DECLS

#define KITHARA_TYPE_TICK_POOL (kithara_tick_pool_get_type ())
G_DECLARE_FINAL_TYPE (KitharaTickPool, kithara_tick_pool, KITHARA, TICK_POOL,
    GstTaskPool)

KitharaTickPool *kithara_tick_pool_new (KitharaNode * node);
void kithara_tick_pool_adopt (KitharaTickPool * pool, GstMessage * message);
gboolean kithara_tick_pool_run_one (KitharaTickPool * pool);
void kithara_tick_pool_clear (KitharaTickPool * pool);

G_END_DECLS

#endif /* __KITHARA_TICK_POOL_H__ */
