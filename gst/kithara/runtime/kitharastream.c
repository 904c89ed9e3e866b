/* Kithara runtime: one policy for the stream items held anywhere in a
 * chain (inlets, exits, a decoder's output), as GstQueue has it:
 *
 * - A flush drops buffers, segments, EOS and non-sticky events, but keeps
 *   the sticky events that were still waiting (stream-start, caps, tags,
 *   TOC, stream collection, custom sticky events): they were sticky on
 *   the pad that took them and would never be sent again.
 * - A serialized query waits behind the data queued before it; a flush
 *   answers it with FALSE.  The thread that waits owns the query (a
 *   query must stay writable for downstream to answer it): queues hold
 *   it without a reference, and nothing touches it once it is answered.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharastream.h"

static GQuark
wait_quark (void)
{
  static GQuark quark = 0;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("kithara-query-wait");
  return quark;
}

/**
 * kithara_stream_item_survives_flush:
 *
 * Returns: whether a flush keeps @item (a sticky event other than a
 * segment or EOS).
 */
gboolean
kithara_stream_item_survives_flush (GstMiniObject * item)
{
  return GST_IS_EVENT (item) && GST_EVENT_IS_STICKY (item) &&
      GST_EVENT_TYPE (item) != GST_EVENT_SEGMENT &&
      GST_EVENT_TYPE (item) != GST_EVENT_EOS;
}

/**
 * kithara_stream_drop_item:
 * @item: (transfer full)
 *
 * Drops a stream item; a query (not owned) is answered FALSE.
 */
void
kithara_stream_drop_item (GstMiniObject * item)
{
  if (GST_IS_QUERY (item))
    kithara_stream_query_done (GST_QUERY (item), FALSE);
  else
    gst_mini_object_unref (item);
}

/**
 * kithara_stream_flush_items:
 * @keep_sticky: a flush (keeps the sticky events still waiting, in
 *   order) rather than an end (drops everything)
 *
 * Empties a queue of stream items (see kithara_stream_drop_item()).
 *
 * Returns: how many items were kept.
 */
guint
kithara_stream_flush_items (GQueue * items, gboolean keep_sticky)
{
  GQueue kept = G_QUEUE_INIT;
  GstMiniObject *item;

  while ((item = g_queue_pop_head (items))) {
    if (keep_sticky && kithara_stream_item_survives_flush (item))
      g_queue_push_tail (&kept, item);
    else
      kithara_stream_drop_item (item);
  }
  *items = kept;
  return kept.length;
}

/**
 * kithara_stream_query_wait_init:
 *
 * Marks @query as waited for through @wait; queue it (without a
 * reference), then call kithara_stream_query_wait().
 */
void
kithara_stream_query_wait_init (KitharaQueryWait * wait, GstQuery * query)
{
  g_mutex_init (&wait->lock);
  g_cond_init (&wait->cond);
  wait->done = FALSE;
  wait->result = FALSE;
  gst_mini_object_set_qdata (GST_MINI_OBJECT (query), wait_quark (), wait,
      NULL);
}

/**
 * kithara_stream_query_is_waited:
 *
 * Returns: whether a thread upstream waits for @query's answer: it is
 * passed on in order with the data, not answered at once.
 */
gboolean
kithara_stream_query_is_waited (GstQuery * query)
{
  return gst_mini_object_get_qdata (GST_MINI_OBJECT (query),
      wait_quark ()) != NULL;
}

/**
 * kithara_stream_query_wait:
 *
 * Waits until @query was answered or dropped, and forgets @wait.
 *
 * Returns: the answer.
 */
gboolean
kithara_stream_query_wait (KitharaQueryWait * wait, GstQuery * query)
{
  gboolean result;

  g_mutex_lock (&wait->lock);
  while (!wait->done)
    g_cond_wait (&wait->cond, &wait->lock);
  result = wait->result;
  g_mutex_unlock (&wait->lock);
  g_cond_clear (&wait->cond);
  g_mutex_clear (&wait->lock);
  return result;
}

/**
 * kithara_stream_query_take_wait:
 *
 * Takes the wait off @query (atomically: the first taker gets it), for a
 * thread that passes @query on to a peer answering it on that thread (an
 * exit's task): a kithara inlet further on, behind a stock element, then
 * sees a query from a thread that may wait and makes it wait there,
 * instead of taking it to answer later while the thread upstream, told
 * it was answered, frees it.  Finish with
 * kithara_stream_query_wait_done().
 *
 * Returns: (nullable): the wait, or %NULL if nobody waits (any more).
 */
KitharaQueryWait *
kithara_stream_query_take_wait (GstQuery * query)
{
  return gst_mini_object_steal_qdata (GST_MINI_OBJECT (query), wait_quark ());
}

/**
 * kithara_stream_query_wait_done:
 * @wait: (nullable): from kithara_stream_query_take_wait()
 *
 * Wakes the thread waiting on @wait with @result; it may then free the
 * query.
 */
void
kithara_stream_query_wait_done (KitharaQueryWait * wait, gboolean result)
{
  if (wait == NULL)
    return;
  g_mutex_lock (&wait->lock);
  if (!wait->done) {
    wait->done = TRUE;
    wait->result = result;
    g_cond_signal (&wait->cond);
  }
  g_mutex_unlock (&wait->lock);
}

/**
 * kithara_stream_query_done:
 *
 * The answer to a queued query: wakes the thread that waits for it, after
 * which @query may be gone.  The first answer takes the wait off the query
 * (atomically), so a later call does nothing.
 */
void
kithara_stream_query_done (GstQuery * query, gboolean result)
{
  kithara_stream_query_wait_done (kithara_stream_query_take_wait (query),
      result);
}
