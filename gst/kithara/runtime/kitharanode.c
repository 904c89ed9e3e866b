/* Kithara runtime: nodes.
 *
 * A node carries a tick function, a service class and a wake flag.  The
 * wake flag is the only thing a foreign thread touches to get a node
 * served: it is set, then the worker is kicked.  Nothing here allocates
 * or locks on the worker's hot path except the tick lock, which is
 * uncontended unless a flush is being applied to this very node.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <time.h>
#include "kitharaprivate.h"

#define DEFAULT_SLOW_TICK_NS (10 * GST_MSECOND)

static gint node_serial = 0;

/* The node being ticked on this thread, and whether it hit a full inlet. */
static KITHARA_THREAD_LOCAL KitharaNode *current_node = NULL;
static KITHARA_THREAD_LOCAL gboolean current_backpressured = FALSE;

/* Tick locks (of any node) this thread holds, and the nodes whose
 * controls wait until it holds none. */
static KITHARA_THREAD_LOCAL guint held_ticks = 0;
static KITHARA_THREAD_LOCAL GPtrArray *pending_controls = NULL;

typedef struct
{
  KitharaControlFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} KitharaControl;

static void run_pending_controls (void);

KitharaNode *
kithara_node_new (const gchar * name, GObject * owner, KitharaTickFunc func,
    gpointer user_data)
{
  KitharaNode *node = g_new0 (KitharaNode, 1);

  node->refcount = 1;
  node->name = g_strdup (name);
  node->owner = owner;
  node->func = func;
  node->user_data = user_data;
  node->serial = (guint) g_atomic_int_add (&node_serial, 1);
  node->service_class = KITHARA_SERVICE_CLASS_WARM;
  node->wake = 1;
  node->slow_tick_ns = DEFAULT_SLOW_TICK_NS;
  g_rec_mutex_init (&node->tick_lock);
  g_mutex_init (&node->lock);
  return node;
}

KitharaNode *
kithara_node_ref (KitharaNode * node)
{
  g_atomic_int_inc (&node->refcount);
  return node;
}

void
kithara_node_unref (KitharaNode * node)
{
  if (!g_atomic_int_dec_and_test (&node->refcount))
    return;
  g_assert (node->worker == NULL);
  g_assert (g_queue_is_empty (&node->controls));
  g_rec_mutex_clear (&node->tick_lock);
  g_mutex_clear (&node->lock);
  g_free (node->name);
  g_free (node);
}

const gchar *
kithara_node_get_name (KitharaNode * node)
{
  return node->name;
}

void
kithara_node_set_worker (KitharaNode * node, KitharaWorker * worker)
{
  g_mutex_lock (&node->lock);
  g_atomic_pointer_set (&node->worker, worker);
  g_mutex_unlock (&node->lock);
}

/**
 * kithara_node_wake:
 *
 * Asks for a tick of @node on its worker's next pass.  Callable from any
 * thread; cheap when the node is already awake.
 */
void
kithara_node_wake (KitharaNode * node)
{
  KitharaWorker *worker;

  if (!g_atomic_int_compare_and_exchange (&node->wake, 0, 1))
    return;

  g_mutex_lock (&node->lock);
  worker = node->worker ? kithara_worker_ref (node->worker) : NULL;
  g_mutex_unlock (&node->lock);

  if (worker) {
    kithara_worker_kick (worker, g_atomic_int_get (&node->service_class));
    kithara_worker_unref (worker);
  }
}

/**
 * kithara_node_wake_rt:
 *
 * Like kithara_node_wake(), but takes no lock and allocates nothing, so a
 * real-time audio callback may call it.  The caller must make sure the
 * node stays registered with its worker during the call (e.g. by keeping
 * the owner's state change from removing it meanwhile).
 */
void
kithara_node_wake_rt (KitharaNode * node)
{
  KitharaWorker *worker;

  if (!g_atomic_int_compare_and_exchange (&node->wake, 0, 1))
    return;
  worker = g_atomic_pointer_get (&node->worker);
  if (worker) {
    kithara_worker_note_wake_class (worker,
        g_atomic_int_get (&node->service_class));
    kithara_worker_kick_rt (worker);
  }
}

void
kithara_node_set_service_class (KitharaNode * node,
    KitharaServiceClass service_class)
{
  KitharaWorker *worker;

  g_return_if_fail (service_class < KITHARA_N_SERVICE_CLASSES);

  if (g_atomic_int_exchange (&node->service_class, service_class) ==
      (gint) service_class)
    return;

  /* The worker re-sorts on its next pass; no command round-trip. */
  g_mutex_lock (&node->lock);
  worker = node->worker ? kithara_worker_ref (node->worker) : NULL;
  g_mutex_unlock (&node->lock);
  if (worker) {
    kithara_worker_note_resort (worker);
    kithara_worker_unref (worker);
  }
}

KitharaServiceClass
kithara_node_get_service_class (KitharaNode * node)
{
  return g_atomic_int_get (&node->service_class);
}

void
kithara_node_set_slow_tick_threshold (KitharaNode * node,
    GstClockTime threshold)
{
  __atomic_store_n (&node->slow_tick_ns, (gint64) threshold, __ATOMIC_RELAXED);
}

GstClockTime
kithara_node_get_slow_tick_threshold (KitharaNode * node)
{
  return (GstClockTime) __atomic_load_n (&node->slow_tick_ns,
      __ATOMIC_RELAXED);
}

void
kithara_node_get_stats (KitharaNode * node, KitharaNodeStats * stats)
{
  stats->ticks = kithara_counter_get (&node->stats.ticks);
  stats->busy_ns = kithara_counter_get (&node->stats.busy_ns);
  stats->slow_ticks = kithara_counter_get (&node->stats.slow_ticks);
  stats->progress = kithara_counter_get (&node->stats.progress);
  stats->waiting = kithara_counter_get (&node->stats.waiting);
  stats->backpressured = kithara_counter_get (&node->stats.backpressured);
  stats->done = kithara_counter_get (&node->stats.done);
  stats->last_pass = kithara_counter_get (&node->stats.last_pass);
}

/**
 * kithara_node_lock_tick:
 *
 * Waits for a running tick of @node to finish and keeps the next one
 * from starting.  Used to apply a flush atomically with respect to the
 * worker.  Recursive, so a flush issued from the node's own tick is fine.
 * The worker never waits for it: a tick due meanwhile is put off and the
 * node woken again by kithara_node_unlock_tick().
 *
 * Never call it from a worker for a node another thread may hold (use
 * kithara_node_control()): it would wait, and a debug build says so.
 */
void
kithara_node_lock_tick (KitharaNode * node)
{
  if (!g_rec_mutex_trylock (&node->tick_lock)) {
    kithara_assert_may_wait ("the tick lock of another node");
    g_rec_mutex_lock (&node->tick_lock);
  }
  held_ticks++;
}

/* Runs the controls of @node whose tick lock this thread holds. */
static void
run_controls_locked (KitharaNode * node)
{
  for (;;) {
    KitharaControl *control;

    g_mutex_lock (&node->lock);
    control = g_queue_pop_head (&node->controls);
    if (control == NULL)
      g_atomic_int_set (&node->controls_waiting, 0);
    g_mutex_unlock (&node->lock);
    if (control == NULL)
      return;
    control->func (control->user_data);
    if (control->notify)
      control->notify (control->user_data);
    g_free (control);
  }
}

/* Runs the controls of @node now if no other thread holds it; otherwise
 * the holder runs them when it lets go (it sees controls_waiting, set
 * before we try, so the hand-over leaves no gap). */
static void
try_run_controls (KitharaNode * node)
{
  if (!g_atomic_int_get (&node->controls_waiting))
    return;
  if (held_ticks > 0) {
    /* Inside a tick or a locked section of this thread: afterwards. */
    if (pending_controls == NULL)
      pending_controls = g_ptr_array_new ();
    g_ptr_array_add (pending_controls, kithara_node_ref (node));
    return;
  }
  if (!g_rec_mutex_trylock (&node->tick_lock))
    return;
  held_ticks++;
  run_controls_locked (node);
  kithara_node_unlock_tick (node);
}

static void
run_pending_controls (void)
{
  while (held_ticks == 0 && pending_controls && pending_controls->len > 0) {
    KitharaNode *node = g_ptr_array_steal_index (pending_controls, 0);

    try_run_controls (node);
    kithara_node_unref (node);
  }
}

void
kithara_node_unlock_tick (KitharaNode * node)
{
  held_ticks--;
  g_rec_mutex_unlock (&node->tick_lock);
  if (g_atomic_int_exchange (&node->tick_put_off, 0))
    kithara_node_wake (node);
  try_run_controls (node);
  run_pending_controls ();
}

/**
 * kithara_node_control:
 * @func: what to do, with the node's tick lock held and no tick running
 * @notify: (nullable): called on @user_data once @func has run
 *
 * Applies a control (a flush, a reset, tearing down what a tick uses) to
 * @node.  On a thread that may wait it runs at once, waiting for a running
 * tick to end.  On a worker thread it never waits: it runs once the
 * worker's current tick has returned, or, if another thread holds the
 * node, when that thread lets go of it.
 */
void
kithara_node_control (KitharaNode * node, KitharaControlFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  KitharaControl *control = g_new (KitharaControl, 1);

  control->func = func;
  control->user_data = user_data;
  control->notify = notify;
  g_mutex_lock (&node->lock);
  g_queue_push_tail (&node->controls, control);
  g_atomic_int_set (&node->controls_waiting, 1);
  g_mutex_unlock (&node->lock);

  if (kithara_in_worker_thread ()) {
    try_run_controls (node);
    return;
  }
  kithara_node_lock_tick (node);
  run_controls_locked (node);
  kithara_node_unlock_tick (node);
}

/**
 * kithara_node_get_current:
 *
 * Returns: (transfer none) (nullable): the node whose tick is running on
 * this thread.
 */
KitharaNode *
kithara_node_get_current (void)
{
  return current_node;
}

/**
 * kithara_node_is_held_back:
 *
 * Returns: whether @node waits for a full inlet downstream to drain, be it
 * linked directly or through non-kithara elements (a ghost pad, identity):
 * then it must not produce more, whatever wakes it.
 */
gboolean
kithara_node_is_held_back (KitharaNode * node)
{
  return g_atomic_int_get (&node->outlet_waits) > 0;
}

/**
 * kithara_node_note_backpressure:
 *
 * Called by an inlet that accepted data from the running tick above its
 * high watermark: the tick then reports backpressure even if the push
 * went through a non-kithara element that only saw %GST_FLOW_OK.
 */
void
kithara_node_note_backpressure (void)
{
  current_backpressured = TRUE;
}

static inline guint64
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
report_slow_tick (KitharaNode * node, guint64 elapsed, guint64 threshold)
{
  GST_INFO ("node %s: slow tick of %" GST_TIME_FORMAT " (threshold %"
      GST_TIME_FORMAT ")", node->name, GST_TIME_ARGS (elapsed),
      GST_TIME_ARGS (threshold));

  if (GST_IS_ELEMENT (node->owner)) {
    GstElement *element = GST_ELEMENT (node->owner);
    GstStructure *s = gst_structure_new ("kithara-slow-tick",
        "element", G_TYPE_STRING, GST_ELEMENT_NAME (element),
        "duration", G_TYPE_UINT64, elapsed,
        "threshold", G_TYPE_UINT64, threshold, NULL);

    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element), s));
  }
}

KitharaTickResult
kithara_node_run_tick (KitharaNode * node, KitharaWorker * worker,
    guint64 pass)
{
  KitharaNode *outer = current_node;
  gboolean outer_backpressured = current_backpressured;
  KitharaTickResult result;
  guint64 start, elapsed, threshold;

  /* Another thread holds the node (a seek, a flush, a state change): do
   * not wait for it, the other nodes come first.  Whoever unlocks wakes
   * the node again; announcing that before trying leaves no gap. */
  g_atomic_int_set (&node->tick_put_off, 1);
  if (!g_rec_mutex_trylock (&node->tick_lock))
    return KITHARA_TICK_WAITING;
  held_ticks++;
  g_atomic_int_set (&node->tick_put_off, 0);
  /* It may have left this worker while another thread held it (a tick on
   * another worker stopped and restarted its element): not ours now. */
  if (g_atomic_pointer_get (&node->worker) != worker) {
    kithara_node_unlock_tick (node);
    return KITHARA_TICK_WAITING;
  }
  current_node = node;
  current_backpressured = FALSE;

  start = monotonic_ns ();
  result = node->func (node, node->user_data);
  elapsed = monotonic_ns () - start;

  if (result == KITHARA_TICK_PROGRESS && current_backpressured)
    result = KITHARA_TICK_BACKPRESSURED;
  current_node = outer;
  current_backpressured = outer_backpressured;

  kithara_counter_add (&node->stats.ticks, 1);
  kithara_counter_add (&node->stats.busy_ns, elapsed);
  kithara_counter_set (&node->stats.last_pass, pass);
  switch (result) {
    case KITHARA_TICK_PROGRESS:
      kithara_counter_add (&node->stats.progress, 1);
      break;
    case KITHARA_TICK_WAITING:
      kithara_counter_add (&node->stats.waiting, 1);
      break;
    case KITHARA_TICK_BACKPRESSURED:
      kithara_counter_add (&node->stats.backpressured, 1);
      break;
    case KITHARA_TICK_DONE:
      kithara_counter_add (&node->stats.done, 1);
      break;
  }

  threshold = kithara_node_get_slow_tick_threshold (node);
  if (threshold > 0 && elapsed > threshold) {
    kithara_counter_add (&node->stats.slow_ticks, 1);
    report_slow_tick (node, elapsed, threshold);
  }

  /* Controls posted during the tick (a state change from a bus sync
   * handler, say) run now that it is over. */
  kithara_node_unlock_tick (node);
  return result;
}
