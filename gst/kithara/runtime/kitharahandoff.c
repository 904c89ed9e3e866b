/* Kithara runtime: the hand-off from a node to a streaming thread. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharahandoff.h"
#include "kitharanode.h"

struct _KitharaHandoff
{
  GMutex lock;
  GCond cond;
  GQueue items;
  guint buffers;                /* buffers among the items */
  guint capacity;               /* in buffers */
  gboolean flushing;
  gboolean kicked;              /* re-evaluate the deadline */
  gboolean producer_waits;      /* the node found no room */
  KitharaNode *producer;
};

KitharaHandoff *
kithara_handoff_new (KitharaNode * producer)
{
  KitharaHandoff *handoff = g_new0 (KitharaHandoff, 1);

  g_mutex_init (&handoff->lock);
  g_cond_init (&handoff->cond);
  g_queue_init (&handoff->items);
  handoff->capacity = 4;
  handoff->flushing = TRUE;
  handoff->producer = kithara_node_ref (producer);
  return handoff;
}

static void
clear_locked (KitharaHandoff * handoff)
{
  GstMiniObject *item;

  while ((item = g_queue_pop_head (&handoff->items)))
    gst_mini_object_unref (item);
  handoff->buffers = 0;
}

void
kithara_handoff_free (KitharaHandoff * handoff)
{
  clear_locked (handoff);
  kithara_node_unref (handoff->producer);
  g_cond_clear (&handoff->cond);
  g_mutex_clear (&handoff->lock);
  g_free (handoff);
}

void
kithara_handoff_set_capacity (KitharaHandoff * handoff, guint buffers)
{
  g_mutex_lock (&handoff->lock);
  handoff->capacity = MAX (buffers, 1);
  g_mutex_unlock (&handoff->lock);
  kithara_node_wake (handoff->producer);
}

/**
 * kithara_handoff_has_room:
 *
 * For the producer, before it does any work.  When there is no room the
 * producer is woken once the queue has drained to half.
 */
gboolean
kithara_handoff_has_room (KitharaHandoff * handoff)
{
  gboolean room;

  g_mutex_lock (&handoff->lock);
  room = handoff->buffers < handoff->capacity;
  if (!room)
    handoff->producer_waits = TRUE;
  g_mutex_unlock (&handoff->lock);
  return room;
}

/**
 * kithara_handoff_push:
 * @item: (transfer full)
 *
 * Never blocks.  Returns: %FALSE if flushing (the item is dropped).
 */
gboolean
kithara_handoff_push (KitharaHandoff * handoff, GstMiniObject * item)
{
  g_mutex_lock (&handoff->lock);
  if (handoff->flushing) {
    g_mutex_unlock (&handoff->lock);
    gst_mini_object_unref (item);
    return FALSE;
  }
  g_queue_push_tail (&handoff->items, item);
  if (GST_IS_BUFFER (item))
    handoff->buffers++;
  g_cond_signal (&handoff->cond);
  g_mutex_unlock (&handoff->lock);
  return TRUE;
}

/**
 * kithara_handoff_pop:
 * @deadline_us: monotonic time (g_get_monotonic_time()) to give up
 *   waiting at, or -1 to wait for as long as it takes
 * @item: (out) (transfer full): the item, for %KITHARA_HANDOFF_ITEM
 *
 * For the streaming thread: waits for the next item.
 */
KitharaHandoffResult
kithara_handoff_pop (KitharaHandoff * handoff, gint64 deadline_us,
    GstMiniObject ** item)
{
  gboolean wake_producer = FALSE, timed_out = FALSE;
  KitharaHandoffResult result;

  *item = NULL;
  g_mutex_lock (&handoff->lock);
  handoff->kicked = FALSE;
  while (!handoff->flushing && g_queue_is_empty (&handoff->items) &&
      !handoff->kicked && !timed_out) {
    if (deadline_us < 0)
      g_cond_wait (&handoff->cond, &handoff->lock);
    else
      timed_out = !g_cond_wait_until (&handoff->cond, &handoff->lock,
          deadline_us);
  }

  if (handoff->flushing) {
    result = KITHARA_HANDOFF_FLUSHING;
  } else if (!g_queue_is_empty (&handoff->items)) {
    result = KITHARA_HANDOFF_ITEM;
    *item = g_queue_pop_head (&handoff->items);
    if (GST_IS_BUFFER (*item))
      handoff->buffers--;
    if (handoff->producer_waits && handoff->buffers * 2 <= handoff->capacity) {
      handoff->producer_waits = FALSE;
      wake_producer = TRUE;
    }
  } else {
    result = timed_out ? KITHARA_HANDOFF_DEADLINE : KITHARA_HANDOFF_KICKED;
  }
  g_mutex_unlock (&handoff->lock);

  if (wake_producer)
    kithara_node_wake (handoff->producer);
  return result;
}

/* Makes a waiting pop return (with no item) so its caller can look at
 * its deadline again, e.g. after a state change. */
void
kithara_handoff_kick (KitharaHandoff * handoff)
{
  g_mutex_lock (&handoff->lock);
  handoff->kicked = TRUE;
  g_cond_broadcast (&handoff->cond);
  g_mutex_unlock (&handoff->lock);
}

/**
 * kithara_handoff_set_flushing:
 *
 * Flushing empties the queue, makes pop return at once and drops pushes.
 */
void
kithara_handoff_set_flushing (KitharaHandoff * handoff, gboolean flushing)
{
  g_mutex_lock (&handoff->lock);
  handoff->flushing = flushing;
  clear_locked (handoff);
  handoff->producer_waits = FALSE;
  g_cond_broadcast (&handoff->cond);
  g_mutex_unlock (&handoff->lock);
  kithara_node_wake (handoff->producer);
}

guint
kithara_handoff_get_buffers (KitharaHandoff * handoff)
{
  guint n;

  g_mutex_lock (&handoff->lock);
  n = handoff->buffers;
  g_mutex_unlock (&handoff->lock);
  return n;
}
