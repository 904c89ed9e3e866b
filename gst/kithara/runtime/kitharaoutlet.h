/* Kithara runtime: the exit from the worker at a src pad. */
#ifndef __KITHARA_OUTLET_H__
#define __KITHARA_OUTLET_H__

#include <gst/gst.h>
#include "kitharatypes.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

typedef struct _KitharaOutlet KitharaOutlet;

/**
 * KitharaOutletDueFunc:
 *
 * Called on the outlet's streaming thread when the next buffer will be due
 * within the margin and none is there yet (e.g. to mix without the inputs
 * that are late).
 */
typedef void (*KitharaOutletDueFunc) (gpointer user_data);

/**
 * KitharaOutletGuardFunc:
 *
 * Called on the producer's thread before each push: %FALSE if what it
 * pushes is stale (it was taken before the element's last state change)
 * and must be dropped.
 */
typedef gboolean (*KitharaOutletGuardFunc) (gpointer user_data);

/**
 * KitharaOutletLevel:
 *
 * What an outlet holds and did.
 */
typedef struct
{
  gboolean exit;                /* data leaves through a streaming thread */
  guint buffers;
  GstClockTime time;
  guint64 pushed;               /* buffers pushed downstream */
  guint64 underruns;
  GstClockTime position;        /* stream time of the end of the last
                                 * buffer pushed, or NONE */
} KitharaOutletLevel;

KITHARA_API
KitharaOutlet *kithara_outlet_new (GstPad * srcpad, KitharaNode * producer);

KITHARA_API
void kithara_outlet_free (KitharaOutlet * outlet);

KITHARA_API
void kithara_outlet_set_limits (KitharaOutlet * outlet, guint max_buffers,
    GstClockTime max_time);

KITHARA_API
void kithara_outlet_set_due_func (KitharaOutlet * outlet, GstClockTime margin,
    KitharaOutletDueFunc func, gpointer user_data);

KITHARA_API
void kithara_outlet_set_guard (KitharaOutlet * outlet,
    KitharaOutletGuardFunc func, gpointer user_data);

KITHARA_API
gboolean kithara_outlet_activate (KitharaOutlet * outlet, gboolean active,
    gboolean exit);

KITHARA_API
void kithara_outlet_ensure_exit (KitharaOutlet * outlet);

KITHARA_API
gboolean kithara_outlet_is_exit (KitharaOutlet * outlet);

KITHARA_API
gboolean kithara_outlet_is_full (KitharaOutlet * outlet);

KITHARA_API
GstFlowReturn kithara_outlet_push (KitharaOutlet * outlet, GstBuffer * buf);

KITHARA_API
void kithara_outlet_flush_wake (KitharaOutlet * outlet);

KITHARA_API
gboolean kithara_outlet_push_event (KitharaOutlet * outlet, GstEvent * event);

KITHARA_API
void kithara_outlet_push_query (KitharaOutlet * outlet, GstQuery * query);

KITHARA_API
gboolean kithara_outlet_flush_start (KitharaOutlet * outlet, GstEvent * event);

KITHARA_API
gboolean kithara_outlet_flush_stop (KitharaOutlet * outlet, GstEvent * event);

KITHARA_API
void kithara_outlet_set_clocked (KitharaOutlet * outlet, gboolean deadlines,
    gboolean count_underruns);

KITHARA_API
void kithara_outlet_set_latency (KitharaOutlet * outlet,
    GstClockTime downstream_latency);

KITHARA_API
void kithara_outlet_reset_counters (KitharaOutlet * outlet);

KITHARA_API
void kithara_outlet_get_level (KitharaOutlet * outlet,
    KitharaOutletLevel * level);

G_END_DECLS

#endif /* __KITHARA_OUTLET_H__ */
