/* Kithara runtime: the shared worker.
 *
 * One thread per context name ticks every node registered with it, most
 * important service class first.  A pass visits the nodes in class order
 * and ticks those whose wake flag is set; a node that made progress stays
 * awake, one that waits or is backpressured sleeps until someone wakes it.
 * When a pass ticks nothing the thread parks on a futex word: no timeout,
 * so an idle worker costs no CPU and makes no passes.  Waking it takes no
 * lock (kithara_worker_kick_rt()), so a real-time audio callback may do it.
 *
 * Priority is strict: a pass stops before the first node of a lower class
 * while any node of a higher class has work (it made progress in this
 * pass, or was woken during it), and a new pass starts from the top.  A
 * lower class is thus served only when every higher one waits, and a
 * shortage of CPU falls on the lowest classes first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/syscall.h>
#include <unistd.h>
#include "kitharafutex.h"
#include "kitharaprivate.h"

GST_DEBUG_CATEGORY (kithara_runtime_debug);
#define GST_CAT_DEFAULT kithara_runtime_debug

struct _KitharaWorker
{
  gint refcount;
  gchar *context;
  GThread *thread;
  gint thread_id;

  GMutex lock;
  GCond tick_done_cond;         /* removers wait here for a running tick,
                                 * others for the worker to park */
  gboolean running;
  gint kicked;                  /* atomic: something may have become runnable */
  gint wake_seq;                /* atomic: futex word the worker parks on */
  gint sleeping;                /* atomic: the worker is (about to be) parked */
  GPtrArray *nodes;             /* owned refs, sorted by class when resorted */
  guint generation;             /* bumped when nodes are added or removed */
  KitharaNode *current;         /* node being ticked, or NULL */
  guint remove_waiters;
  gboolean parked;              /* sleeping with nothing to do */

  gint resort;                  /* atomic: a class changed */
  gint wake_mask;               /* atomic: classes woken since pass start */

  /* Counters, written by the worker thread only. */
  guint64 passes;
  guint64 ticks;
  guint64 busy_ns;
  guint64 parks;
  guint64 wakeups;
};

static GMutex registry_lock;
static GHashTable *registry = NULL;
static KITHARA_THREAD_LOCAL KitharaWorker *thread_worker = NULL;

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (kithara_runtime_debug, "kithara", 0,
        "Kithara runtime (worker, nodes, inlets)");
    g_once_init_leave (&done, 1);
  }
}

static gint
compare_nodes (gconstpointer a, gconstpointer b)
{
  const KitharaNode *na = *(KitharaNode * const *) a;
  const KitharaNode *nb = *(KitharaNode * const *) b;
  gint ca = g_atomic_int_get (&na->service_class);
  gint cb = g_atomic_int_get (&nb->service_class);

  if (ca != cb)
    return ca - cb;
  return na->serial < nb->serial ? -1 : (na->serial > nb->serial);
}

/* Called with the lock held; returns with it held.  Returns how many
 * ticks ran. */
static guint
run_pass (KitharaWorker * worker)
{
  guint i, ticked = 0;
  guint generation = worker->generation;
  guint64 pass;

  g_atomic_int_set (&worker->kicked, 0);
  if (g_atomic_int_compare_and_exchange (&worker->resort, 1, 0))
    g_ptr_array_sort (worker->nodes, compare_nodes);
  g_atomic_int_set (&worker->wake_mask, 0);
  pass = worker->passes + 1;
  kithara_counter_set (&worker->passes, pass);

  for (i = 0; i < worker->nodes->len; i++) {
    KitharaNode *node = g_ptr_array_index (worker->nodes, i);
    GObject *owner;
    KitharaTickResult result;
    guint64 start_busy;
    gint cls = g_atomic_int_get (&node->service_class);

    /* Strict priority: while a node of a higher class has work (it made
     * progress or was woken), no lower one is ticked. */
    if (g_atomic_int_get (&worker->wake_mask) & ((1 << cls) - 1))
      break;
    if (!g_atomic_int_compare_and_exchange (&node->wake, 1, 0))
      continue;

    /* The tick may remove the node and drop its owner's last reference
     * (a state change from a pad probe): keep the node and its owner
     * alive until we are done with them.  The owner is taken while the
     * node is still registered (removal takes this lock), so it cannot be
     * finalized in between. */
    kithara_node_ref (node);
    owner = node->owner ? g_object_ref (node->owner) : NULL;
    worker->current = node;
    g_mutex_unlock (&worker->lock);

    start_busy = node->stats.busy_ns;
    result = kithara_node_run_tick (node, worker, pass);
    kithara_counter_add (&worker->busy_ns, node->stats.busy_ns - start_busy);
    kithara_counter_add (&worker->ticks, 1);
    if (result == KITHARA_TICK_PROGRESS) {
      g_atomic_int_set (&node->wake, 1);
      kithara_worker_note_wake_class (worker,
          g_atomic_int_get (&node->service_class));
    }

    /* A last unref of the owner finalizes the element here, on the
     * worker, after its tick: nothing of it runs any more. */
    if (owner)
      g_object_unref (owner);

    g_mutex_lock (&worker->lock);
    worker->current = NULL;
    if (worker->remove_waiters)
      g_cond_broadcast (&worker->tick_done_cond);
    ticked++;

    kithara_node_unref (node);

    if (worker->generation != generation)
      break;                    /* the node list changed under us */
    if (g_atomic_int_get (&worker->resort))
      break;                    /* a class changed: honour it now */
  }
  return ticked;
}

/* Sleeps until kicked.  Called with the lock held; returns with it held.
 * A kicker sets kicked, bumps wake_seq, then wakes the futex if the worker
 * is sleeping; the worker announces sleeping, samples wake_seq, then
 * checks kicked: whatever the interleaving, a kick is never lost. */
static void
park (KitharaWorker * worker)
{
  g_atomic_int_set (&worker->sleeping, 1);
  for (;;) {
    gint seq = g_atomic_int_get (&worker->wake_seq);

    if (g_atomic_int_get (&worker->kicked) || !worker->running)
      break;
    g_mutex_unlock (&worker->lock);
    kithara_futex_wait (&worker->wake_seq, seq);
    g_mutex_lock (&worker->lock);
  }
  g_atomic_int_set (&worker->sleeping, 0);
}

static gpointer
worker_loop (gpointer data)
{
  KitharaWorker *worker = data;
  gboolean free_self;

  thread_worker = worker;
  g_mutex_lock (&worker->lock);
  worker->thread_id = (gint) syscall (SYS_gettid);
  g_cond_broadcast (&worker->tick_done_cond);

  while (worker->running) {
    if (run_pass (worker) > 0 || g_atomic_int_get (&worker->kicked))
      continue;
    kithara_counter_add (&worker->parks, 1);
    worker->parked = TRUE;
    g_cond_broadcast (&worker->tick_done_cond);
    park (worker);
    worker->parked = FALSE;
    kithara_counter_add (&worker->wakeups, 1);
  }
  /* When the last reference was dropped on this very thread, nobody can
   * join us: we free ourselves. */
  free_self = (worker->thread == NULL);
  g_mutex_unlock (&worker->lock);

  if (free_self) {
    g_mutex_clear (&worker->lock);
    g_cond_clear (&worker->tick_done_cond);
    g_ptr_array_unref (worker->nodes);
    g_free (worker->context);
    g_free (worker);
  }
  thread_worker = NULL;
  return NULL;
}

/**
 * kithara_worker_get:
 * @context: (nullable): the context name, %NULL for "default"
 *
 * Returns: (transfer full): the worker of @context, started on first use
 * and shared by every element that names the same context in this process.
 */
KitharaWorker *
kithara_worker_get (const gchar * context)
{
  KitharaWorker *worker;

  ensure_debug_category ();
  if (context == NULL || *context == '\0')
    context = KITHARA_DEFAULT_CONTEXT;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);

  worker = g_hash_table_lookup (registry, context);
  if (worker) {
    g_atomic_int_inc (&worker->refcount);
  } else {
    /* "kt-<context>": a thread name holds 15 characters (the whole one is
     * the "context" of the stats). */
    gchar *thread_name = g_strdup_printf ("kt-%.12s", context);

    worker = g_new0 (KitharaWorker, 1);
    worker->refcount = 1;
    worker->context = g_strdup (context);
    worker->running = TRUE;
    worker->nodes = g_ptr_array_new ();
    g_mutex_init (&worker->lock);
    g_cond_init (&worker->tick_done_cond);
    g_hash_table_insert (registry, worker->context, worker);

    g_mutex_lock (&worker->lock);
    worker->thread = g_thread_new (thread_name, worker_loop, worker);
    while (worker->thread_id == 0)
      g_cond_wait (&worker->tick_done_cond, &worker->lock);
    g_mutex_unlock (&worker->lock);
    g_free (thread_name);
    GST_INFO ("started worker for context '%s' (thread %d)", context,
        worker->thread_id);
  }
  g_mutex_unlock (&registry_lock);
  return worker;
}

KitharaWorker *
kithara_worker_ref (KitharaWorker * worker)
{
  g_atomic_int_inc (&worker->refcount);
  return worker;
}

void
kithara_worker_unref (KitharaWorker * worker)
{
  GThread *thread;

  /* Take the registry lock only for what may be the last reference, so
   * that kithara_worker_get() never hands out a dying worker. */
  if (g_atomic_int_add (&worker->refcount, -1) > 1)
    return;
  g_atomic_int_inc (&worker->refcount);

  g_mutex_lock (&registry_lock);
  if (!g_atomic_int_dec_and_test (&worker->refcount)) {
    g_mutex_unlock (&registry_lock);
    return;
  }
  g_hash_table_remove (registry, worker->context);
  g_mutex_unlock (&registry_lock);

  GST_INFO ("stopping worker for context '%s'", worker->context);
  g_assert (worker->nodes->len == 0);

  /* On a worker thread (this one, or another context's: its last element
   * was stopped from a tick there) nobody joins: the loop frees the worker
   * on its way out.  It cannot get there before we let go of the lock. */
  g_mutex_lock (&worker->lock);
  worker->running = FALSE;
  thread = worker->thread;
  if (thread_worker != NULL)
    worker->thread = NULL;
  kithara_worker_kick_rt (worker);
  g_mutex_unlock (&worker->lock);

  if (thread_worker != NULL) {
    g_thread_unref (thread);
    return;
  }

  g_thread_join (thread);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->tick_done_cond);
  g_ptr_array_unref (worker->nodes);
  g_free (worker->context);
  g_free (worker);
}

const gchar *
kithara_worker_get_context (KitharaWorker * worker)
{
  return worker->context;
}

/**
 * kithara_worker_kick_rt:
 *
 * Makes the worker run another pass.  Takes no lock and allocates nothing
 * (one atomic exchange, plus a futex wake if the worker sleeps): callable
 * from a real-time thread, as long as the worker is known to be alive.
 */
void
kithara_worker_kick_rt (KitharaWorker * worker)
{
  g_atomic_int_set (&worker->kicked, 1);
  g_atomic_int_inc (&worker->wake_seq);
  if (g_atomic_int_get (&worker->sleeping))
    kithara_futex_wake (&worker->wake_seq);
}

static inline void
kick_locked (KitharaWorker * worker)
{
  worker->parked = FALSE;
  kithara_worker_kick_rt (worker);
}

void
kithara_worker_note_wake_class (KitharaWorker * worker,
    KitharaServiceClass cls)
{
  g_atomic_int_or (&worker->wake_mask, 1u << cls);
}

void
kithara_worker_kick (KitharaWorker * worker, KitharaServiceClass cls)
{
  kithara_worker_note_wake_class (worker, cls);

  /* A wake from the worker's own thread happens inside a tick, and a
   * pass that ticked is always followed by another pass. */
  if (thread_worker == worker)
    return;

  g_mutex_lock (&worker->lock);
  kick_locked (worker);
  g_mutex_unlock (&worker->lock);
}

void
kithara_worker_note_resort (KitharaWorker * worker)
{
  g_atomic_int_set (&worker->resort, 1);
  if (thread_worker == worker)
    return;
  g_mutex_lock (&worker->lock);
  kick_locked (worker);
  g_mutex_unlock (&worker->lock);
}

/**
 * kithara_worker_add_node:
 *
 * Registers @node; it is ticked from the next pass on.
 */
void
kithara_worker_add_node (KitharaWorker * worker, KitharaNode * node)
{
  g_mutex_lock (&worker->lock);
  g_ptr_array_add (worker->nodes, kithara_node_ref (node));
  kithara_node_set_worker (node, worker);
  worker->generation++;
  g_atomic_int_set (&worker->resort, 1);
  g_atomic_int_set (&node->wake, 1);
  kick_locked (worker);
  g_mutex_unlock (&worker->lock);
  GST_DEBUG ("context '%s': added node %s", worker->context, node->name);
}

/**
 * kithara_worker_remove_node:
 *
 * Unregisters @node.  When called from a thread that may wait, it returns
 * only once no tick of @node is running.  From any worker thread (a pad
 * probe or bus sync handler inside a tick, of this worker or another) it
 * never waits: a tick still running keeps the node's owner alive until it
 * returns, and work that must follow the tick goes through
 * kithara_node_control().
 */
void
kithara_worker_remove_node (KitharaWorker * worker, KitharaNode * node)
{
  gboolean removed;

  g_mutex_lock (&worker->lock);
  removed = g_ptr_array_remove (worker->nodes, node);
  if (removed) {
    worker->generation++;
    kithara_node_set_worker (node, NULL);
  }
  if (thread_worker == NULL) {
    worker->remove_waiters++;
    while (worker->current == node)
      g_cond_wait (&worker->tick_done_cond, &worker->lock);
    worker->remove_waiters--;
  }
  g_mutex_unlock (&worker->lock);

  if (removed) {
    GST_DEBUG ("context '%s': removed node %s", worker->context, node->name);
    kithara_node_unref (node);
  }
}

gboolean
kithara_worker_is_current_thread (KitharaWorker * worker)
{
  return thread_worker == worker;
}

/**
 * kithara_in_worker_thread:
 *
 * Returns: whether the calling thread is a kithara worker (of any
 * context).  Code on a worker must never block.
 */
gboolean
kithara_in_worker_thread (void)
{
  return thread_worker != NULL;
}

/**
 * kithara_assert_may_wait:
 * @what: what the caller is about to wait for
 *
 * Where the runtime waits on another thread (a lock, a condition, a
 * join), it calls this first: on a worker thread that is a bug, and a
 * build with assertions says so with a critical warning.
 */
void
kithara_assert_may_wait (const gchar * what)
{
#ifndef G_DISABLE_ASSERT
  if (G_UNLIKELY (thread_worker != NULL))
    g_critical ("the kithara worker of context '%s' would wait for %s",
        thread_worker->context, what);
#endif
}

/**
 * kithara_worker_wait_parked:
 *
 * Blocks until the worker has nothing to do and sleeps: every node is
 * waiting, backpressured or done.  For tests and for callers that must
 * know the worker has settled; never call it from a worker.
 */
void
kithara_worker_wait_parked (KitharaWorker * worker)
{
  g_return_if_fail (thread_worker == NULL);

  g_mutex_lock (&worker->lock);
  /* A lock-free kick does not clear "parked" itself: a pending kick means
   * the worker is about to run. */
  while (!worker->parked || g_atomic_int_get (&worker->kicked))
    g_cond_wait (&worker->tick_done_cond, &worker->lock);
  g_mutex_unlock (&worker->lock);
}

guint64
kithara_worker_get_passes (KitharaWorker * worker)
{
  return kithara_counter_get (&worker->passes);
}

/**
 * kithara_worker_get_stats:
 *
 * Returns: (transfer full): the worker's counters as a
 * "kithara-worker-stats" structure.
 */
GstStructure *
kithara_worker_get_stats (KitharaWorker * worker)
{
  guint n_nodes;

  g_mutex_lock (&worker->lock);
  n_nodes = worker->nodes->len;
  g_mutex_unlock (&worker->lock);

  return gst_structure_new ("kithara-worker-stats",
      "context", G_TYPE_STRING, worker->context,
      "thread-id", G_TYPE_INT, worker->thread_id,
      "nodes", G_TYPE_UINT, n_nodes,
      "passes", G_TYPE_UINT64, kithara_counter_get (&worker->passes),
      "ticks", G_TYPE_UINT64, kithara_counter_get (&worker->ticks),
      "busy-ns", G_TYPE_UINT64, kithara_counter_get (&worker->busy_ns),
      "parks", G_TYPE_UINT64, kithara_counter_get (&worker->parks),
      "wakeups", G_TYPE_UINT64, kithara_counter_get (&worker->wakeups), NULL);
}

/**
 * kithara_worker_count:
 *
 * Returns: how many workers (threads) this process runs now.
 */
guint
kithara_worker_count (void)
{
  guint n;

  g_mutex_lock (&registry_lock);
  n = registry ? g_hash_table_size (registry) : 0;
  g_mutex_unlock (&registry_lock);
  return n;
}
