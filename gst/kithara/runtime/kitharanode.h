/* Kithara runtime: a node is the unit of work the worker ticks. */
#ifndef __KITHARA_NODE_H__
#define __KITHARA_NODE_H__

#include "kitharatypes.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

/**
 * KitharaTickFunc:
 *
 * Does a bounded, small amount of work (target: at most 1 ms) on the
 * worker thread and says what happened.  Must never block.
 */
typedef KitharaTickResult (*KitharaTickFunc) (KitharaNode * node,
    gpointer user_data);

/**
 * KitharaNodeStats:
 *
 * A snapshot of a node's counters.
 */
typedef struct
{
  guint64 ticks;
  guint64 busy_ns;
  guint64 slow_ticks;
  guint64 progress;
  guint64 waiting;
  guint64 backpressured;
  guint64 done;
  guint64 last_pass;
} KitharaNodeStats;

KITHARA_API
KitharaNode *kithara_node_new (const gchar * name, GObject * owner,
    KitharaTickFunc func, gpointer user_data);

KITHARA_API
KitharaNode *kithara_node_ref (KitharaNode * node);

KITHARA_API
void kithara_node_unref (KitharaNode * node);

KITHARA_API
const gchar *kithara_node_get_name (KitharaNode * node);

KITHARA_API
void kithara_node_wake (KitharaNode * node);

KITHARA_API
void kithara_node_wake_rt (KitharaNode * node);

KITHARA_API
void kithara_node_set_service_class (KitharaNode * node,
    KitharaServiceClass service_class);

KITHARA_API
KitharaServiceClass kithara_node_get_service_class (KitharaNode * node);

KITHARA_API
void kithara_node_set_slow_tick_threshold (KitharaNode * node,
    GstClockTime threshold);

KITHARA_API
GstClockTime kithara_node_get_slow_tick_threshold (KitharaNode * node);

/**
 * KitharaSlowTickFunc:
 * @elapsed: how long the tick took, in nanoseconds
 * @threshold: the node's slow-tick threshold
 *
 * Called on the ticking thread after a tick longer than the threshold
 * (the element layer turns it into a bus message).
 */
typedef void (*KitharaSlowTickFunc) (KitharaNode * node, guint64 elapsed,
    guint64 threshold, gpointer user_data);

KITHARA_API
void kithara_node_set_slow_tick_func (KitharaNode * node,
    KitharaSlowTickFunc func, gpointer user_data);

KITHARA_API
void kithara_node_get_stats (KitharaNode * node, KitharaNodeStats * stats);

KITHARA_API
void kithara_node_lock_tick (KitharaNode * node);

KITHARA_API
void kithara_node_unlock_tick (KitharaNode * node);

/**
 * KitharaControlFunc:
 *
 * A control applied to a node by kithara_node_control(): runs with the
 * node's tick lock held while no tick of the node runs.
 */
typedef void (*KitharaControlFunc) (gpointer user_data);

KITHARA_API
void kithara_node_control (KitharaNode * node, KitharaControlFunc func,
    gpointer user_data, GDestroyNotify notify);

KITHARA_API
KitharaNode *kithara_node_get_current (void);

KITHARA_API
void kithara_node_note_backpressure (void);

KITHARA_API
void kithara_node_hold_back (KitharaNode * node);

KITHARA_API
void kithara_node_release (KitharaNode * node);

KITHARA_API
gboolean kithara_node_is_held_back (KitharaNode * node);

G_END_DECLS

#endif /* __KITHARA_NODE_H__ */
