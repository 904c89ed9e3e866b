/* Kithara runtime: inlets.
 *
 * An inlet holds the buffers, serialized events and serialized queries on
 * their way into a node, in order.  It is full at its high watermark (a buffer count or
 * a duration, whichever is reached first) and wakes the producers that
 * found it full once it drains to its low watermark.
 *
 * A push from a kithara worker never blocks: above the high watermark it
 * is accepted and answered with KITHARA_FLOW_FULL, and the pushing node
 * sleeps until woken.  A push from a foreign streaming thread blocks
 * while the inlet is full, in the ordinary GStreamer way, until space
 * frees up or a flush releases it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharainlet.h"
#include "kitharadebug.h"
#include "kitharanode.h"
#include "kitharaworker.h"
#include "kitharastream.h"

#define GST_CAT_DEFAULT kithara_runtime_debug

struct _KitharaInlet
{
  gint refcount;
  GMutex lock;
  GCond space_cond;             /* foreign pushers wait here */
  GQueue items;
  KitharaNode *consumer;        /* woken when an item arrives */
  GPtrArray *waiters;           /* producer nodes to wake on drain */

  guint max_buffers;
  GstClockTime max_time;
  guint low_percent;

  GstFlowReturn state;          /* OK, FLUSHING, EOS or an error */
  guint activations;            /* bumped by every set_active() */
  guint n_blocked;              /* foreign pushers waiting for space */
  KitharaInletOverrunFunc overrun_func;
  gpointer overrun_data;
  KitharaInletLevel level;
};

/* Frees a producer left waiting when the inlet goes away. */
static void
release_waiter (gpointer node)
{
  kithara_node_release (node);
  kithara_node_unref (node);
}

KitharaInlet *
kithara_inlet_new (KitharaNode * consumer)
{
  KitharaInlet *inlet = g_new0 (KitharaInlet, 1);

  inlet->refcount = 1;
  g_mutex_init (&inlet->lock);
  g_cond_init (&inlet->space_cond);
  g_queue_init (&inlet->items);
  inlet->consumer = kithara_node_ref (consumer);
  inlet->waiters = g_ptr_array_new_with_free_func (release_waiter);
  inlet->max_buffers = 4;
  inlet->max_time = 0;
  inlet->low_percent = 50;
  inlet->state = GST_FLOW_FLUSHING;
  return inlet;
}

void
kithara_inlet_set_overrun_func (KitharaInlet * inlet,
    KitharaInletOverrunFunc func, gpointer user_data)
{
  g_mutex_lock (&inlet->lock);
  inlet->overrun_func = func;
  inlet->overrun_data = user_data;
  g_mutex_unlock (&inlet->lock);
}

/* Drops the items, or, for a flush (@keep_sticky), all but the sticky
 * events still waiting (see kitharastream.c). */
static void
clear_items_locked (KitharaInlet * inlet, gboolean keep_sticky)
{
  inlet->level.events = kithara_stream_flush_items (&inlet->items,
      keep_sticky);
  inlet->level.buffers = 0;
  inlet->level.time = 0;
}

/**
 * kithara_inlet_ref:
 *
 * An inlet lives as long as anyone holds it: its pad (the owner), and a
 * producer upstream looking at it from a tick while the pad goes away.
 */
KitharaInlet *
kithara_inlet_ref (KitharaInlet * inlet)
{
  g_atomic_int_inc (&inlet->refcount);
  return inlet;
}

void
kithara_inlet_unref (KitharaInlet * inlet)
{
  if (!g_atomic_int_dec_and_test (&inlet->refcount))
    return;
  clear_items_locked (inlet, FALSE);
  g_ptr_array_unref (inlet->waiters);
  kithara_node_unref (inlet->consumer);
  g_cond_clear (&inlet->space_cond);
  g_mutex_clear (&inlet->lock);
  g_free (inlet);
}


static inline gboolean
is_full_locked (KitharaInlet * inlet)
{
  return inlet->level.buffers >= inlet->max_buffers ||
      (inlet->max_time > 0 && inlet->level.time >= inlet->max_time);
}

static inline gboolean
is_low_locked (KitharaInlet * inlet)
{
  return inlet->level.buffers * 100 <=
      (guint64) inlet->max_buffers * inlet->low_percent &&
      (inlet->max_time == 0 ||
      inlet->level.time * 100 <= inlet->max_time * inlet->low_percent);
}

static void
add_waiter_locked (KitharaInlet * inlet, KitharaNode * producer)
{
  if (producer == NULL || producer == inlet->consumer)
    return;
  if (!g_ptr_array_find (inlet->waiters, producer, NULL)) {
    g_ptr_array_add (inlet->waiters, kithara_node_ref (producer));
    kithara_node_hold_back (producer);
  }
}


static GPtrArray *
take_waiters_locked (KitharaInlet * inlet)
{
  GPtrArray *woken;
  guint i;

  if (inlet->waiters->len == 0)
    return NULL;
  /* They stop being held back before they are woken, or their tick could
   * still see the wait and go back to sleep for good. */
  woken = g_ptr_array_new_full (inlet->waiters->len, (GDestroyNotify)
      kithara_node_unref);
  for (i = 0; i < inlet->waiters->len; i++) {
    KitharaNode *node = g_ptr_array_index (inlet->waiters, i);

    kithara_node_release (node);
    g_ptr_array_add (woken, node);
  }
  g_ptr_array_set_free_func (inlet->waiters, NULL);
  g_ptr_array_set_size (inlet->waiters, 0);
  g_ptr_array_set_free_func (inlet->waiters, release_waiter);
  return woken;
}

static void
wake_all (GPtrArray * nodes)
{
  guint i;

  if (nodes == NULL)
    return;
  for (i = 0; i < nodes->len; i++)
    kithara_node_wake (g_ptr_array_index (nodes, i));
  g_ptr_array_unref (nodes);
}

/**
 * kithara_inlet_set_limits:
 * @max_buffers: high watermark in buffers (at least 1)
 * @max_time: high watermark in time, 0 for none
 * @low_percent: low watermark, in percent of the high one
 */
void
kithara_inlet_set_limits (KitharaInlet * inlet, guint max_buffers,
    GstClockTime max_time, guint low_percent)
{
  GPtrArray *woken;

  g_mutex_lock (&inlet->lock);
  inlet->max_buffers = MAX (max_buffers, 1);
  inlet->max_time = max_time;
  inlet->low_percent = MIN (low_percent, 100);
  g_cond_broadcast (&inlet->space_cond);
  /* Larger limits may release the producers held back. */
  woken = is_low_locked (inlet) ? take_waiters_locked (inlet) : NULL;
  g_mutex_unlock (&inlet->lock);
  wake_all (woken);
}

/**
 * kithara_inlet_push:
 * @item: (transfer full): a buffer, a serialized event, or a serialized
 *   query (not owned: see kithara_inlet_push_query())
 * @may_block: whether the caller is a foreign thread that may wait for
 *   room (only buffers wait)
 *
 * Returns: %GST_FLOW_OK, %KITHARA_FLOW_FULL (accepted, now full; only
 * when @may_block is %FALSE), or the reason the inlet is closed.
 */
GstFlowReturn
kithara_inlet_push (KitharaInlet * inlet, GstMiniObject * item,
    gboolean may_block)
{
  gboolean is_buffer = GST_IS_BUFFER (item);
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&inlet->lock);
  if (is_buffer && may_block && inlet->state == GST_FLOW_OK &&
      is_full_locked (inlet)) {
    inlet->level.blocked++;
    if (inlet->overrun_func) {
      KitharaInletOverrunFunc func = inlet->overrun_func;
      gpointer data = inlet->overrun_data;

      g_mutex_unlock (&inlet->lock);
      func (data);
      g_mutex_lock (&inlet->lock);
    }
    kithara_assert_may_wait ("room in a full inlet");
    inlet->n_blocked++;
    while (inlet->state == GST_FLOW_OK && is_full_locked (inlet))
      g_cond_wait (&inlet->space_cond, &inlet->lock);
    inlet->n_blocked--;
  }

  if (inlet->state != GST_FLOW_OK) {
    ret = inlet->state;
    g_mutex_unlock (&inlet->lock);
    kithara_stream_drop_item (item);
    return ret;
  }

  g_queue_push_tail (&inlet->items, item);
  inlet->level.pushed++;
  if (is_buffer) {
    GstClockTime duration = GST_BUFFER_DURATION (item);

    inlet->level.buffers++;
    if (GST_CLOCK_TIME_IS_VALID (duration))
      inlet->level.time += duration;
    inlet->level.max_buffers_seen =
        MAX (inlet->level.max_buffers_seen, inlet->level.buffers);
    if (!may_block && is_full_locked (inlet)) {
      inlet->level.full++;
      add_waiter_locked (inlet, kithara_node_get_current ());
      kithara_node_note_backpressure ();
      ret = KITHARA_FLOW_FULL;
    }
  } else {
    inlet->level.events++;
  }
  g_mutex_unlock (&inlet->lock);

  kithara_node_wake (inlet->consumer);
  return ret;
}

/**
 * kithara_inlet_push_from_pad:
 * @item: (transfer full): a buffer or a serialized event arriving on a
 *   sink pad
 * @upstream_is_kithara: whether the pad's peer belongs to a kithara element
 *
 * What a sink pad's chain and serialized-event functions do: a worker
 * never waits, a foreign streaming thread waits while the inlet is full,
 * and the custom %KITHARA_FLOW_FULL is answered only to a kithara peer's
 * buffers (it never leaves kithara, and an event's push wants no custom
 * success).
 *
 * Returns: the flow for the pad's caller.
 */
GstFlowReturn
kithara_inlet_push_from_pad (KitharaInlet * inlet, GstMiniObject * item,
    gboolean upstream_is_kithara)
{
  gboolean is_buffer = GST_IS_BUFFER (item);
  GstFlowReturn ret = kithara_inlet_push (inlet, item,
      !kithara_in_worker_thread ());

  if (ret == KITHARA_FLOW_FULL && (!is_buffer || !upstream_is_kithara))
    ret = GST_FLOW_OK;
  return ret;
}

/**
 * kithara_inlet_push_query:
 *
 * For a sink pad's query function, on a thread that may wait: queues
 * the serialized @query behind the data before it and waits for its
 * answer, which the node gives when it gets there, or passes on
 * downstream in order (see kithara_stream_query_done()).  A flush
 * answers %FALSE.
 */
gboolean
kithara_inlet_push_query (KitharaInlet * inlet, GstQuery * query)
{
  KitharaQueryWait wait;

  kithara_assert_may_wait ("a query queued behind the data");
  kithara_stream_query_wait_init (&wait, query);
  kithara_inlet_push (inlet, GST_MINI_OBJECT_CAST (query), FALSE);
  return kithara_stream_query_wait (&wait, query);
}

/**
 * kithara_inlet_take_query:
 * @result: (out): the answer, when taken
 *
 * What a sink pad's query function does with a serialized query (drain,
 * allocation, custom): as through a queue, it waits behind the data in
 * front of it.  A query a thread upstream already waits for is queued
 * and passed on in order; one from a foreign streaming thread is queued
 * and waited for; one a worker sends itself is not taken (answer it at
 * once: a worker never waits).
 *
 * Returns: whether @query was taken (and @result set).
 */
gboolean
kithara_inlet_take_query (KitharaInlet * inlet, GstQuery * query,
    gboolean * result)
{
  if (!GST_QUERY_IS_SERIALIZED (query))
    return FALSE;
  if (kithara_stream_query_is_waited (query)) {
    kithara_inlet_push (inlet, GST_MINI_OBJECT_CAST (query), FALSE);
    *result = TRUE;             /* the answer goes to the waiting thread */
    return TRUE;
  }
  if (kithara_in_worker_thread ())
    return FALSE;
  *result = kithara_inlet_push_query (inlet, query);
  return TRUE;
}

/**
 * kithara_inlet_get_activations:
 *
 * Returns: how many times the inlet was activated or deactivated (never
 * %G_MAXUINT): a tick that began at another count outlived a state
 * change.
 */
guint
kithara_inlet_get_activations (KitharaInlet * inlet)
{
  guint activations;

  g_mutex_lock (&inlet->lock);
  activations = inlet->activations;
  g_mutex_unlock (&inlet->lock);
  return activations;
}

/**
 * kithara_inlet_pop:
 *
 * Returns: (transfer full) (nullable): the oldest item, or %NULL if empty.
 */
GstMiniObject *
kithara_inlet_pop (KitharaInlet * inlet)
{
  return kithara_inlet_pop_at (inlet, G_MAXUINT);
}

/**
 * kithara_inlet_pop_at:
 * @activations: the activation count the caller's tick began at, or
 *   %G_MAXUINT for any
 *
 * As kithara_inlet_pop(), but %NULL as well if the inlet was activated or
 * deactivated since: what came in since belongs to a later tick.
 */
GstMiniObject *
kithara_inlet_pop_at (KitharaInlet * inlet, guint activations)
{
  GstMiniObject *item;
  GPtrArray *woken = NULL;

  g_mutex_lock (&inlet->lock);
  if (activations != G_MAXUINT && activations != inlet->activations) {
    g_mutex_unlock (&inlet->lock);
    return NULL;
  }
  item = g_queue_pop_head (&inlet->items);
  if (item == NULL) {
    g_mutex_unlock (&inlet->lock);
    return NULL;
  }
  if (GST_IS_BUFFER (item)) {
    GstClockTime duration = GST_BUFFER_DURATION (item);

    inlet->level.buffers--;
    if (GST_CLOCK_TIME_IS_VALID (duration))
      inlet->level.time -= MIN (duration, inlet->level.time);
    /* Blocked upstream threads and backpressured producers alike are
     * woken at the low watermark, not at every free slot: fewer
     * wake-ups, each followed by a burst of work. */
    if (is_low_locked (inlet)) {
      if (inlet->n_blocked > 0)
        g_cond_broadcast (&inlet->space_cond);
      woken = take_waiters_locked (inlet);
    }
  } else {
    inlet->level.events--;
  }
  g_mutex_unlock (&inlet->lock);

  wake_all (woken);
  return item;
}

/**
 * kithara_inlet_check_full:
 * @producer: (nullable): the node asking, woken once the inlet drains
 *
 * Lets a producer learn that its outlet is full before it does any work,
 * so no produced data is ever thrown away.
 */
gboolean
kithara_inlet_check_full (KitharaInlet * inlet, KitharaNode * producer)
{
  gboolean full;

  g_mutex_lock (&inlet->lock);
  full = inlet->state == GST_FLOW_OK && is_full_locked (inlet);
  if (full)
    add_waiter_locked (inlet, producer);
  g_mutex_unlock (&inlet->lock);
  return full;
}

/* Drops the items (but the sticky events, for a flush) and releases
 * everyone waiting on the inlet: blocked pushers re-check the state,
 * backpressured producers get a tick. */
static void
empty_and_unlock (KitharaInlet * inlet, gboolean keep_sticky)
{
  GPtrArray *woken;

  clear_items_locked (inlet, keep_sticky);
  woken = take_waiters_locked (inlet);
  g_cond_broadcast (&inlet->space_cond);
  g_mutex_unlock (&inlet->lock);
  wake_all (woken);
}

/**
 * kithara_inlet_set_flushing:
 *
 * Flushing drops what is queued but the sticky events still waiting
 * (as GstQueue), answers queued queries with %FALSE, releases blocked
 * pushers and refuses new data with %GST_FLOW_FLUSHING; ending the flush
 * reopens the inlet, the kept sticky events first in it.
 */
void
kithara_inlet_set_flushing (KitharaInlet * inlet, gboolean flushing)
{
  g_mutex_lock (&inlet->lock);
  inlet->state = flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
  empty_and_unlock (inlet, TRUE);
}

/**
 * kithara_inlet_set_active:
 *
 * For state changes: an inactive inlet refuses data with
 * %GST_FLOW_FLUSHING; either way it starts empty (a new stream).
 */
void
kithara_inlet_set_active (KitharaInlet * inlet, gboolean active)
{
  g_mutex_lock (&inlet->lock);
  inlet->state = active ? GST_FLOW_OK : GST_FLOW_FLUSHING;
  inlet->activations = (inlet->activations + 1) % G_MAXUINT;
  empty_and_unlock (inlet, FALSE);
}

/**
 * kithara_inlet_set_closed:
 * @reason: %GST_FLOW_EOS or an error flow
 *
 * Refuses further data with @reason (what the node's upstream then
 * sees), releasing blocked pushers.  A flush reopens the inlet.
 */
void
kithara_inlet_set_closed (KitharaInlet * inlet, GstFlowReturn reason)
{
  g_mutex_lock (&inlet->lock);
  if (inlet->state == GST_FLOW_OK)
    inlet->state = reason;
  empty_and_unlock (inlet, FALSE);
}

void
kithara_inlet_get_level (KitharaInlet * inlet, KitharaInletLevel * level)
{
  g_mutex_lock (&inlet->lock);
  *level = inlet->level;
  g_mutex_unlock (&inlet->lock);
}
