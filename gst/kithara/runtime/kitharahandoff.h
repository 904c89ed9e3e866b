/* Kithara runtime: the hand-off from a node to a streaming thread.
 *
 * An exit's node (on the worker) produces buffers and events into a
 * bounded queue; one ordinary streaming thread (a pad task) takes them out
 * and pushes them to an element that may block, e.g. a clock-syncing
 * sink.  The node never blocks: it checks for room first and is woken
 * when the queue drains to half.  The streaming thread blocks while the
 * queue is empty, up to an optional deadline.
 */
#ifndef __KITHARA_HANDOFF_H__
#define __KITHARA_HANDOFF_H__

#include "kitharatypes.h"

G_BEGIN_DECLS

typedef struct _KitharaHandoff KitharaHandoff;

typedef enum
{
  KITHARA_HANDOFF_ITEM,         /* an item was taken */
  KITHARA_HANDOFF_FLUSHING,     /* flushing: stop the task */
  KITHARA_HANDOFF_DEADLINE,     /* still empty at the deadline */
  KITHARA_HANDOFF_KICKED,       /* kithara_handoff_kick() was called */
} KitharaHandoffResult;

KitharaHandoff *kithara_handoff_new (KitharaNode * producer);
void kithara_handoff_free (KitharaHandoff * handoff);

void kithara_handoff_set_capacity (KitharaHandoff * handoff, guint buffers);
gboolean kithara_handoff_has_room (KitharaHandoff * handoff);
gboolean kithara_handoff_push (KitharaHandoff * handoff, GstMiniObject * item);

KitharaHandoffResult kithara_handoff_pop (KitharaHandoff * handoff,
    gint64 deadline_us, GstMiniObject ** item);
void kithara_handoff_kick (KitharaHandoff * handoff);

void kithara_handoff_set_flushing (KitharaHandoff * handoff,
    gboolean flushing);
guint kithara_handoff_get_buffers (KitharaHandoff * handoff);

G_END_DECLS

#endif /* __KITHARA_HANDOFF_H__ */
