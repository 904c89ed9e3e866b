/* Kithara runtime: a bounded queue in front of a node. */
#ifndef __KITHARA_INLET_H__
#define __KITHARA_INLET_H__

#include "kitharatypes.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

/**
 * KitharaInletLevel:
 *
 * What an inlet holds now, and the most it ever held.
 */
typedef struct
{
  guint buffers;
  guint events;
  GstClockTime time;
  guint max_buffers_seen;
  guint64 pushed;
  guint64 blocked;              /* foreign pushes that had to wait */
  guint64 full;                 /* pushes answered with KITHARA_FLOW_FULL */
} KitharaInletLevel;

/**
 * KitharaInletOverrunFunc:
 *
 * Called on a foreign streaming thread that found the inlet full and is
 * about to wait for space (like queue's "overrun").  No lock is held.
 */
typedef void (*KitharaInletOverrunFunc) (gpointer user_data);

KITHARA_API
KitharaInlet *kithara_inlet_new (KitharaNode * consumer);

KITHARA_API
void kithara_inlet_set_overrun_func (KitharaInlet * inlet,
    KitharaInletOverrunFunc func, gpointer user_data);

KITHARA_API
KitharaInlet *kithara_inlet_ref (KitharaInlet * inlet);

KITHARA_API
void kithara_inlet_unref (KitharaInlet * inlet);

KITHARA_API
void kithara_inlet_set_limits (KitharaInlet * inlet, guint max_buffers,
    GstClockTime max_time, guint low_percent);

KITHARA_API
GstFlowReturn kithara_inlet_push (KitharaInlet * inlet, GstMiniObject * item,
    gboolean may_block);

KITHARA_API
GstFlowReturn kithara_inlet_push_from_pad (KitharaInlet * inlet,
    GstMiniObject * item, gboolean upstream_is_kithara);

KITHARA_API
gboolean kithara_inlet_push_query (KitharaInlet * inlet, GstQuery * query);

KITHARA_API
gboolean kithara_inlet_take_query (KitharaInlet * inlet, GstQuery * query,
    gboolean * result);

KITHARA_API
GstMiniObject *kithara_inlet_pop (KitharaInlet * inlet);

KITHARA_API
GstMiniObject *kithara_inlet_pop_at (KitharaInlet * inlet, guint activations);

KITHARA_API
guint kithara_inlet_get_activations (KitharaInlet * inlet);

KITHARA_API
gboolean kithara_inlet_check_full (KitharaInlet * inlet,
    KitharaNode * producer);

KITHARA_API
void kithara_inlet_set_flushing (KitharaInlet * inlet, gboolean flushing);

KITHARA_API
void kithara_inlet_set_active (KitharaInlet * inlet, gboolean active);

KITHARA_API
void kithara_inlet_set_closed (KitharaInlet * inlet, GstFlowReturn reason);

KITHARA_API
void kithara_inlet_get_level (KitharaInlet * inlet, KitharaInletLevel * level);

G_END_DECLS

#endif /* __KITHARA_INLET_H__ */
