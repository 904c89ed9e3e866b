/* Kithara runtime: the scheduler (nodes and the workers that tick them).
 *
 * A worker is one shared, prioritized scheduler per context name, backed
 * by K threads.  It keeps one ready queue per service class; a thread
 * takes the head of the most urgent non-empty queue, ticks that node and
 * puts it back at the tail if it made progress.  A pass thus costs the
 * ready nodes only: a node that waits is in no queue at all.
 *
 * Priority is strict across the threads: every pick takes the most
 * urgent ready node, so no lower-class node starts a tick while a
 * higher-class one is ready and a thread is free to run it.  Ticks are
 * not preempted: a tick already running finishes.
 *
 * A node's state word says where it is:
 *   ASLEEP          in no queue; a wake queues it
 *   QUEUED          on its worker's wake stack or a ready queue (or, not
 *                   registered, queued as soon as it is added)
 *   RUNNING         a thread ticks it: no other thread may
 *   RUNNING_WOKEN   woken during its tick: queued again after it
 * Waking is a compare-and-swap on that word plus, for ASLEEP, a push on
 * the worker's lock-free wake stack and a futex wake of one parked thread
 * if any: no lock and no allocation, so a real-time audio callback may
 * wake a node.  The threads move the wake stack into the ready queues
 * under the worker's lock, which only they, registration and class
 * changes take, each for a few list operations.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "kitharacontextconfig.h"
#include "kitharadebug.h"
#include "kitharafutex.h"
#include "kitharanode.h"
#include "kithararealtime.h"
#include "kitharaworker.h"

GST_DEBUG_CATEGORY (kithara_runtime_debug);
#define GST_CAT_DEFAULT kithara_runtime_debug

#define DEFAULT_SLOW_TICK_NS (10 * GST_MSECOND)

/* The runtime's per-thread state lives in the static TLS block: read on
 * every tick and tick lock with no call to __tls_get_addr, and none of
 * the dynamic TLS whose tracking makes LeakSanitizer (GCC 12) crash
 * while it scans the threads.  A few bytes, well within the room glibc
 * keeps for libraries that are loaded later (a plugin's dlopen). */
#define KITHARA_THREAD_LOCAL __thread __attribute__ ((tls_model ("initial-exec")))

enum
{
  NODE_ASLEEP,
  NODE_QUEUED,
  NODE_RUNNING,
  NODE_RUNNING_WOKEN,
};

typedef struct
{
  KitharaControlFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} KitharaControl;

struct _KitharaNode
{
  gint refcount;
  gchar *name;
  GObject *owner;               /* not owned; kept alive during a tick */
  KitharaTickFunc func;
  gpointer user_data;
  KitharaSlowTickFunc slow_tick_func;
  gpointer slow_tick_data;

  gint service_class;           /* atomic */
  gint state;                   /* atomic: NODE_* */
  gint held_back;               /* atomic: full inlets it waits to drain */
  gint tick_put_off;            /* atomic: a tick waits for the tick lock */
  gint64 slow_tick_ns;          /* atomic */

  GRecMutex tick_lock;          /* held by the thread that ticks it */

  GMutex lock;                  /* protects worker, controls; orders
                                 * wakes with registration */
  KitharaWorker *worker;        /* also read atomically by wake_rt */
  GQueue controls;              /* KitharaControl: run when no tick runs */
  gint controls_waiting;        /* atomic: controls is not empty */

  /* Under the worker's lock. */
  KitharaNode *stack_next;      /* link on the worker's wake stack */
  GList ready_link;             /* link in a ready queue */
  gint ready_class;             /* the queue it is in, or -1 */
  gboolean ticking;             /* a thread of its worker ticks it */

  KitharaNodeStats stats;       /* written only by the ticking thread */
};

typedef struct
{
  KitharaWorker *worker;
  GThread *thread;
  guint index;
  gint tid;
  gboolean exited;              /* under the worker's lock */
} KitharaThread;

struct _KitharaWorker
{
  gint refcount;
  gchar *context;

  GMutex lock;
  GCond cond;                   /* thread start and exit, ticks ending,
                                 * threads parking */
  gboolean running;
  gboolean detached;            /* released on a worker: the last thread
                                 * out frees it */
  GQueue ready[KITHARA_N_SERVICE_CLASSES];
  KitharaNode *wake_stack;      /* atomic: lock-free LIFO of woken nodes */
  gint wake_seq;                /* atomic: futex word the threads park on */
  gint sleepers;                /* atomic: threads (about to be) parked */
  guint n_nodes;
  guint n_parked;
  guint remove_waiters;
  guint settle_waiters;         /* callers of kithara_worker_wait_parked() */

  GPtrArray *threads;           /* KitharaThread, every one ever started */
  guint target_threads;         /* threads with a lower index run */
  guint live_threads;
  gint realtime_priority;       /* 0: normal scheduling */
  gboolean realtime;            /* every live thread is real-time */
  const gchar *realtime_method;

  /* Counters: each thread adds to them under the lock or relaxed. */
  guint64 passes;
  guint64 ticks;
  guint64 busy_ns;
  guint64 parks;
  guint64 wakeups;
};

static GMutex registry_lock;
static GHashTable *registry = NULL;
static KITHARA_THREAD_LOCAL KitharaWorker *thread_worker = NULL;

/* The node being ticked on this thread, and whether it hit a full inlet. */
static KITHARA_THREAD_LOCAL KitharaNode *current_node = NULL;
static KITHARA_THREAD_LOCAL gboolean current_backpressured = FALSE;

/* Tick locks (of any node) this thread holds, and the nodes whose
 * controls wait until it holds none. */
static KITHARA_THREAD_LOCAL guint held_ticks = 0;
static KITHARA_THREAD_LOCAL GPtrArray *pending_controls = NULL;

static void run_pending_controls (void);

static inline guint64
counter_get (const guint64 * counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

/* Node counters have a single writer (the thread ticking the node, one
 * at a time, ordered by the tick lock): a relaxed load/store pair. */
static inline void
counter_add (guint64 * counter, guint64 value)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) +
      value, __ATOMIC_RELAXED);
}

/* Worker counters are written by every thread of the worker. */
static inline void
counter_add_shared (guint64 * counter, guint64 value)
{
  __atomic_fetch_add (counter, value, __ATOMIC_RELAXED);
}

void
kithara_runtime_init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (kithara_runtime_debug, "kithara", 0,
        "Kithara runtime (worker, nodes, inlets)");
    g_once_init_leave (&done, 1);
  }
}

/* ------------------------------------------------------------------ */
/* Waking the threads */

/* Takes no lock: one parked thread, if any, runs another pick. */
static void
kick (KitharaWorker * worker)
{
  g_atomic_int_inc (&worker->wake_seq);
  if (g_atomic_int_get (&worker->sleepers) > 0)
    kithara_futex_wake_one (&worker->wake_seq);
}

static void
kick_all (KitharaWorker * worker)
{
  g_atomic_int_inc (&worker->wake_seq);
  kithara_futex_wake (&worker->wake_seq);
}

/* Lock-free push on the wake stack (many producers; the only consumer
 * takes the whole stack at once, so there is no ABA). */
static void
push_woken (KitharaWorker * worker, KitharaNode * node)
{
  KitharaNode *head;

  do {
    head = g_atomic_pointer_get (&worker->wake_stack);
    node->stack_next = head;
  } while (!g_atomic_pointer_compare_and_exchange (&worker->wake_stack, head,
          node));
  kick (worker);
}

static void
enqueue_locked (KitharaWorker * worker, KitharaNode * node)
{
  gint cls = g_atomic_int_get (&node->service_class);

  node->ready_class = cls;
  g_queue_push_tail_link (&worker->ready[cls], &node->ready_link);
}

static void
dequeue_locked (KitharaWorker * worker, KitharaNode * node)
{
  if (node->ready_class < 0)
    return;
  g_queue_unlink (&worker->ready[node->ready_class], &node->ready_link);
  node->ready_class = -1;
}

/* Moves the wake stack into the ready queues, oldest wake first. */
static void
take_woken_locked (KitharaWorker * worker)
{
  KitharaNode *node = g_atomic_pointer_exchange (&worker->wake_stack, NULL);
  KitharaNode *fifo = NULL;

  while (node) {
    KitharaNode *next = node->stack_next;

    node->stack_next = fifo;
    fifo = node;
    node = next;
  }
  for (node = fifo; node; node = fifo) {
    fifo = node->stack_next;
    node->stack_next = NULL;
    /* Wakes go through the stack only while the node is registered here
     * (a removal empties the stack after unregistering). */
    if (node->ready_class < 0 && !node->ticking)
      enqueue_locked (worker, node);
  }
}

static KitharaNode *
pick_locked (KitharaWorker * worker)
{
  guint cls;

  take_woken_locked (worker);
  for (cls = 0; cls < KITHARA_N_SERVICE_CLASSES; cls++) {
    GList *link = g_queue_pop_head_link (&worker->ready[cls]);

    if (link) {
      KitharaNode *node = link->data;

      node->ready_class = -1;
      return node;
    }
  }
  return NULL;
}

static gboolean
has_ready_locked (KitharaWorker * worker)
{
  guint cls;

  if (g_atomic_pointer_get (&worker->wake_stack))
    return TRUE;
  for (cls = 0; cls < KITHARA_N_SERVICE_CLASSES; cls++)
    if (!g_queue_is_empty (&worker->ready[cls]))
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Nodes */

KitharaNode *
kithara_node_new (const gchar * name, GObject * owner, KitharaTickFunc func,
    gpointer user_data)
{
  KitharaNode *node = g_new0 (KitharaNode, 1);

  kithara_runtime_init_debug ();
  node->refcount = 1;
  node->name = g_strdup (name);
  node->owner = owner;
  node->func = func;
  node->user_data = user_data;
  node->service_class = KITHARA_SERVICE_CLASS_WARM;
  /* A new node gets a first tick once it is added. */
  node->state = NODE_QUEUED;
  node->slow_tick_ns = DEFAULT_SLOW_TICK_NS;
  node->ready_link.data = node;
  node->ready_class = -1;
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

/* Marks @node woken.  Returns TRUE when it was asleep and the caller must
 * queue it with its worker. */
static gboolean
mark_woken (KitharaNode * node)
{
  for (;;) {
    gint state = g_atomic_int_get (&node->state);

    switch (state) {
      case NODE_ASLEEP:
        if (g_atomic_int_compare_and_exchange (&node->state, NODE_ASLEEP,
                NODE_QUEUED))
          return TRUE;
        break;
      case NODE_RUNNING:
        if (g_atomic_int_compare_and_exchange (&node->state, NODE_RUNNING,
                NODE_RUNNING_WOKEN))
          return FALSE;
        break;
      default:
        return FALSE;           /* queued already, or woken in its tick */
    }
  }
}

/**
 * kithara_node_wake:
 *
 * Asks for a tick of @node.  Callable from any thread; cheap when the
 * node is already awake.
 */
void
kithara_node_wake (KitharaNode * node)
{
  gint state = g_atomic_int_get (&node->state);

  if (state == NODE_QUEUED || state == NODE_RUNNING_WOKEN)
    return;
  /* The node lock orders the wake with registration: a removal empties
   * the wake stack after unregistering, and an addition queues the node
   * itself, so a node is never left on a stale stack, nor pushed twice. */
  g_mutex_lock (&node->lock);
  if (mark_woken (node) && node->worker)
    push_woken (node->worker, node);
  g_mutex_unlock (&node->lock);
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

  if (!mark_woken (node))
    return;
  worker = g_atomic_pointer_get (&node->worker);
  if (worker)
    push_woken (worker, node);
}

/**
 * kithara_node_set_service_class:
 *
 * Settable from any thread; a queued node moves to its new class's queue
 * at once, so the next pick already honours it.
 */
void
kithara_node_set_service_class (KitharaNode * node,
    KitharaServiceClass service_class)
{
  KitharaWorker *worker;

  g_return_if_fail (service_class < KITHARA_N_SERVICE_CLASSES);

  if (g_atomic_int_exchange (&node->service_class, service_class) ==
      (gint) service_class)
    return;

  g_mutex_lock (&node->lock);
  worker = node->worker ? kithara_worker_ref (node->worker) : NULL;
  g_mutex_unlock (&node->lock);
  if (worker == NULL)
    return;

  g_mutex_lock (&worker->lock);
  take_woken_locked (worker);
  if (node->ready_class >= 0 && node->ready_class != (gint) service_class) {
    dequeue_locked (worker, node);
    enqueue_locked (worker, node);
  }
  g_mutex_unlock (&worker->lock);
  kithara_worker_unref (worker);
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

/**
 * kithara_node_set_slow_tick_func:
 * @func: (nullable): called on the ticking thread after a slow tick
 *
 * Set before the node is added to a worker.
 */
void
kithara_node_set_slow_tick_func (KitharaNode * node, KitharaSlowTickFunc func,
    gpointer user_data)
{
  node->slow_tick_func = func;
  node->slow_tick_data = user_data;
}

void
kithara_node_get_stats (KitharaNode * node, KitharaNodeStats * stats)
{
  stats->ticks = counter_get (&node->stats.ticks);
  stats->busy_ns = counter_get (&node->stats.busy_ns);
  stats->slow_ticks = counter_get (&node->stats.slow_ticks);
  stats->progress = counter_get (&node->stats.progress);
  stats->waiting = counter_get (&node->stats.waiting);
  stats->backpressured = counter_get (&node->stats.backpressured);
  stats->done = counter_get (&node->stats.done);
  stats->last_pass = counter_get (&node->stats.last_pass);
}

/**
 * kithara_node_hold_back:
 *
 * Says that @node waits for a full inlet downstream to drain; until as
 * many kithara_node_release() calls follow, it must not produce more,
 * whatever wakes it (see kithara_node_is_held_back()).
 */
void
kithara_node_hold_back (KitharaNode * node)
{
  g_atomic_int_inc (&node->held_back);
}

void
kithara_node_release (KitharaNode * node)
{
  g_atomic_int_add (&node->held_back, -1);
}

/**
 * kithara_node_is_held_back:
 *
 * Returns: whether @node waits for a full inlet downstream to drain, be it
 * linked directly or through non-kithara elements (a ghost pad, identity).
 */
gboolean
kithara_node_is_held_back (KitharaNode * node)
{
  return g_atomic_int_get (&node->held_back) > 0;
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
 * thread's current tick has returned, or, if another thread holds the
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
count_result (KitharaNode * node, KitharaTickResult result)
{
  switch (result) {
    case KITHARA_TICK_PROGRESS:
      counter_add (&node->stats.progress, 1);
      break;
    case KITHARA_TICK_WAITING:
      counter_add (&node->stats.waiting, 1);
      break;
    case KITHARA_TICK_BACKPRESSURED:
      counter_add (&node->stats.backpressured, 1);
      break;
    case KITHARA_TICK_DONE:
      counter_add (&node->stats.done, 1);
      break;
  }
}

/* Runs one tick of @node on this worker thread. */
static KitharaTickResult
run_tick (KitharaNode * node, KitharaWorker * worker, guint64 pass)
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

  counter_add (&node->stats.ticks, 1);
  counter_add (&node->stats.busy_ns, elapsed);
  __atomic_store_n (&node->stats.last_pass, pass, __ATOMIC_RELAXED);
  counter_add_shared (&worker->busy_ns, elapsed);
  count_result (node, result);

  threshold = kithara_node_get_slow_tick_threshold (node);
  if (threshold > 0 && elapsed > threshold) {
    counter_add (&node->stats.slow_ticks, 1);
    GST_INFO ("node %s: slow tick of %" GST_TIME_FORMAT " (threshold %"
        GST_TIME_FORMAT ")", node->name, GST_TIME_ARGS (elapsed),
        GST_TIME_ARGS (threshold));
    if (node->slow_tick_func)
      node->slow_tick_func (node, elapsed, threshold, node->slow_tick_data);
  }

  /* Controls posted during the tick (a state change from a bus sync
   * handler, say) run now that it is over. */
  kithara_node_unlock_tick (node);
  return result;
}

/* After a tick, with the worker's lock held: the node goes back in a
 * queue if it made progress or was woken meanwhile, else to sleep. */
static void
finish_tick_locked (KitharaWorker * worker, KitharaNode * node,
    KitharaTickResult result)
{
  gint state, next;
  KitharaWorker *target;

  node->ticking = FALSE;
  do {
    state = g_atomic_int_get (&node->state);
    next = (state == NODE_RUNNING_WOKEN || result == KITHARA_TICK_PROGRESS) ?
        NODE_QUEUED : NODE_ASLEEP;
  } while (!g_atomic_int_compare_and_exchange (&node->state, state, next));
  if (next == NODE_ASLEEP)
    return;

  g_mutex_lock (&node->lock);
  target = node->worker;
  if (target == worker)
    enqueue_locked (worker, node);
  else if (target)              /* moved to another worker during the tick */
    push_woken (target, node);
  g_mutex_unlock (&node->lock);
}

/* ------------------------------------------------------------------ */
/* Worker threads */

static void worker_free (KitharaWorker * worker);

/* Sleeps until kicked.  Called with the lock held; returns with it held.
 * A kicker publishes its work, bumps wake_seq, then wakes the futex if a
 * thread sleeps; a thread announces sleeping, samples wake_seq, then
 * looks for work: whatever the interleaving, a kick is never lost. */
static void
park (KitharaWorker * worker, KitharaThread * self)
{
  gint seq;

  worker->n_parked++;
  if (worker->settle_waiters)
    g_cond_broadcast (&worker->cond);
  g_atomic_int_inc (&worker->sleepers);
  seq = g_atomic_int_get (&worker->wake_seq);
  if (!has_ready_locked (worker) && worker->running &&
      self->index < worker->target_threads) {
    worker->parks++;
    g_mutex_unlock (&worker->lock);
    kithara_futex_wait (&worker->wake_seq, seq);
    g_mutex_lock (&worker->lock);
    worker->wakeups++;
  }
  g_atomic_int_add (&worker->sleepers, -1);
  worker->n_parked--;
}

static gpointer
thread_loop (gpointer data)
{
  KitharaThread *self = data;
  KitharaWorker *worker = self->worker;
  gboolean free_worker;

  thread_worker = worker;
  g_mutex_lock (&worker->lock);
  self->tid = (gint) syscall (SYS_gettid);
  g_cond_broadcast (&worker->cond);

  while (worker->running && self->index < worker->target_threads) {
    KitharaNode *node = pick_locked (worker);
    KitharaTickResult result;
    GObject *owner;
    guint64 pass;

    if (node == NULL) {
      park (worker, self);
      continue;
    }
    g_atomic_int_set (&node->state, NODE_RUNNING);
    node->ticking = TRUE;
    pass = ++worker->passes;
    /* More ready than this thread takes: pass the wake on. */
    if (has_ready_locked (worker))
      kick (worker);

    /* The tick may remove the node and drop its owner's last reference
     * (a state change from a pad probe): keep both alive until we are
     * done.  The owner is taken while the node is registered (removal
     * takes this lock), so it cannot be finalized in between. */
    kithara_node_ref (node);
    owner = node->owner ? g_object_ref (node->owner) : NULL;
    g_mutex_unlock (&worker->lock);

    result = run_tick (node, worker, pass);
    counter_add_shared (&worker->ticks, 1);

    /* A last unref of the owner finalizes the element here, after its
     * tick, with no lock held: nothing of it runs any more. */
    if (owner)
      g_object_unref (owner);

    g_mutex_lock (&worker->lock);
    finish_tick_locked (worker, node, result);
    if (worker->remove_waiters)
      g_cond_broadcast (&worker->cond);
    kithara_node_unref (node);
  }

  self->exited = TRUE;
  worker->live_threads--;
  g_cond_broadcast (&worker->cond);
  /* Released on a worker thread, nobody joins us: the last one out frees
   * the worker. */
  free_worker = worker->detached && worker->live_threads == 0;
  g_mutex_unlock (&worker->lock);
  thread_worker = NULL;
  if (free_worker)
    worker_free (worker);
  return NULL;
}

/* Raises the threads from index @first on to the context's real-time
 * priority and records the outcome.  Called with the lock held; lets go
 * of it meanwhile: RTKit is a D-Bus round trip, and the threads need the
 * lock to run.  Only from a thread that may wait. */
static void
promote_threads_locked (KitharaWorker * worker, guint first)
{
  GArray *tids = g_array_new (FALSE, FALSE, sizeof (gint));
  gint priority = worker->realtime_priority;
  const gchar *method = NULL;
  GError *error = NULL;
  gboolean all = TRUE;
  guint i;

  for (i = first; i < worker->threads->len; i++) {
    KitharaThread *t = g_ptr_array_index (worker->threads, i);

    if (!t->exited)
      g_array_append_val (tids, t->tid);
  }
  g_mutex_unlock (&worker->lock);
  for (i = 0; i < tids->len && all; i++) {
    if (priority > 0)
      all = kithara_realtime_promote (g_array_index (tids, gint, i),
          priority, &method, &error);
    else
      kithara_realtime_demote (g_array_index (tids, gint, i));
  }
  g_array_unref (tids);
  g_mutex_lock (&worker->lock);

  if (priority != worker->realtime_priority)
    return;                     /* configured again meanwhile */
  worker->realtime = priority > 0 && all && (first == 0 || worker->realtime);
  if (method && all)
    worker->realtime_method = method;
  if (!all) {
    g_warning ("kithara context '%s' runs at normal priority: real-time "
        "priority %d was asked for, but %s", worker->context, priority,
        error->message);
    g_clear_error (&error);
  }
}

/* Starts threads up to target_threads.  Lock held. */
static void
start_threads_locked (KitharaWorker * worker)
{
  while (worker->threads->len < worker->target_threads ||
      worker->live_threads < worker->target_threads) {
    KitharaThread *t = NULL;
    guint i;
    gchar *name;

    /* Reuse the slot of a thread that exited after a shrink. */
    for (i = 0; i < worker->threads->len; i++) {
      KitharaThread *old = g_ptr_array_index (worker->threads, i);

      if (old->exited && i < worker->target_threads) {
        g_mutex_unlock (&worker->lock);
        g_thread_join (old->thread);
        g_mutex_lock (&worker->lock);
        t = old;
        break;
      }
    }
    if (t == NULL) {
      t = g_new0 (KitharaThread, 1);
      t->index = worker->threads->len;
      g_ptr_array_add (worker->threads, t);
    }
    t->worker = worker;
    t->exited = FALSE;
    t->tid = 0;
    worker->live_threads++;
    /* "kt-<context>": a thread name holds 15 characters (the whole one is
     * the "context" of the stats). */
    name = g_strdup_printf ("kt-%.12s", worker->context);
    t->thread = g_thread_new (name, thread_loop, t);
    g_free (name);
    while (t->tid == 0)
      g_cond_wait (&worker->cond, &worker->lock);
    GST_INFO ("context '%s': started thread %u (%d)", worker->context,
        t->index, t->tid);
  }
}

static guint
resolve_threads (guint threads)
{
  return threads > 0 ? threads : g_get_num_processors ();
}

/* Applies @threads and @realtime_priority to a running worker.  From a
 * thread that may wait. */
static void
apply_config (KitharaWorker * worker, guint threads, gint realtime_priority)
{
  guint live_before;

  g_mutex_lock (&worker->lock);
  live_before = worker->live_threads;
  worker->target_threads = resolve_threads (threads);
  if (worker->live_threads > worker->target_threads) {
    /* The threads beyond it leave after their current tick. */
    kick_all (worker);
    while (worker->live_threads > worker->target_threads)
      g_cond_wait (&worker->cond, &worker->lock);
  }
  start_threads_locked (worker);
  if (realtime_priority != worker->realtime_priority) {
    gboolean was = worker->realtime_priority > 0;

    worker->realtime_priority = realtime_priority;
    worker->realtime = FALSE;
    worker->realtime_method = NULL;
    if (realtime_priority > 0 || was)
      promote_threads_locked (worker, 0);
  } else if (realtime_priority > 0 && live_before < worker->live_threads) {
    promote_threads_locked (worker, live_before);
  }
  g_mutex_unlock (&worker->lock);
}

static void
worker_free (KitharaWorker * worker)
{
  guint i;

  for (i = 0; i < worker->threads->len; i++) {
    KitharaThread *t = g_ptr_array_index (worker->threads, i);

    if (!worker->detached)
      g_thread_join (t->thread);
    else
      g_thread_unref (t->thread);
    g_free (t);
  }
  g_ptr_array_unref (worker->threads);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->cond);
  g_free (worker->context);
  g_free (worker);
}

/**
 * kithara_worker_get:
 * @context: (nullable): the context name, %NULL for "default"
 *
 * Returns: (transfer full): the worker of @context, started on first use
 * (with the threads and priority configured for that name, see
 * kithara_context_set_threads()) and shared by every element that names
 * the same context in this process.
 */
KitharaWorker *
kithara_worker_get (const gchar * context)
{
  KitharaWorker *worker;
  KitharaContextSettings settings;
  guint cls;

  kithara_runtime_init_debug ();
  if (context == NULL || *context == '\0')
    context = KITHARA_DEFAULT_CONTEXT;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);

  worker = g_hash_table_lookup (registry, context);
  if (worker) {
    g_atomic_int_inc (&worker->refcount);
    g_mutex_unlock (&registry_lock);
    return worker;
  }

  kithara_context_settings_lookup (context, &settings);
  worker = g_new0 (KitharaWorker, 1);
  worker->refcount = 1;
  worker->context = g_strdup (context);
  worker->running = TRUE;
  for (cls = 0; cls < KITHARA_N_SERVICE_CLASSES; cls++)
    g_queue_init (&worker->ready[cls]);
  worker->threads = g_ptr_array_new ();
  g_mutex_init (&worker->lock);
  g_cond_init (&worker->cond);
  g_hash_table_insert (registry, worker->context, worker);

  g_mutex_lock (&worker->lock);
  worker->target_threads = resolve_threads (settings.threads);
  worker->realtime_priority = settings.realtime_priority;
  start_threads_locked (worker);
  g_mutex_unlock (&worker->lock);
  g_mutex_unlock (&registry_lock);

  GST_INFO ("started worker for context '%s' (%u threads)", context,
      worker->target_threads);
  if (settings.realtime_priority > 0) {
    /* Promotion may wait (RTKit): never on a worker thread. */
    if (thread_worker == NULL) {
      g_mutex_lock (&worker->lock);
      promote_threads_locked (worker, 0);
      g_mutex_unlock (&worker->lock);
    } else {
      GST_WARNING ("context '%s' created on a worker thread: its threads "
          "keep normal priority until it is configured again", context);
    }
  }
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
  gboolean on_worker = thread_worker != NULL;

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
  g_assert (worker->n_nodes == 0);

  /* On a worker thread (one of this worker's, or another context's: its
   * last element was stopped from a tick there) nobody joins: the last
   * thread out frees the worker.  None can get there before we let go of
   * the lock. */
  g_mutex_lock (&worker->lock);
  worker->running = FALSE;
  worker->detached = on_worker;
  kick_all (worker);
  if (on_worker) {
    g_mutex_unlock (&worker->lock);
    return;
  }
  while (worker->live_threads > 0)
    g_cond_wait (&worker->cond, &worker->lock);
  g_mutex_unlock (&worker->lock);
  worker_free (worker);
}

const gchar *
kithara_worker_get_context (KitharaWorker * worker)
{
  return worker->context;
}

/* Called by the context settings when @context is configured: a worker
 * already running takes the new settings now. */
void
kithara_worker_reconfigure (const gchar * context,
    const KitharaContextSettings * settings)
{
  KitharaWorker *worker;

  g_mutex_lock (&registry_lock);
  worker = registry ? g_hash_table_lookup (registry, context) : NULL;
  if (worker)
    g_atomic_int_inc (&worker->refcount);
  g_mutex_unlock (&registry_lock);
  if (worker == NULL)
    return;

  if (thread_worker == NULL)
    apply_config (worker, settings->threads, settings->realtime_priority);
  else
    GST_WARNING ("context '%s' configured from a worker thread: applies "
        "when it is next started", context);
  kithara_worker_unref (worker);
}

/**
 * kithara_worker_add_node:
 *
 * Registers @node; it gets a first tick right away.
 */
void
kithara_worker_add_node (KitharaWorker * worker, KitharaNode * node)
{
  gboolean queue_now;

  kithara_node_ref (node);
  g_mutex_lock (&worker->lock);
  g_mutex_lock (&node->lock);
  g_atomic_pointer_set (&node->worker, worker);
  /* Queued now, unless a thread still ticks it (its element left another
   * worker from inside that tick): then that thread hands it over. */
  mark_woken (node);
  queue_now = g_atomic_int_get (&node->state) == NODE_QUEUED;
  g_mutex_unlock (&node->lock);
  worker->n_nodes++;
  if (queue_now && node->ready_class < 0)
    enqueue_locked (worker, node);
  kick (worker);
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
  g_mutex_lock (&node->lock);
  removed = (node->worker == worker);
  if (removed)
    g_atomic_pointer_set (&node->worker, NULL);
  g_mutex_unlock (&node->lock);
  if (removed) {
    /* No wake pushes it here any more: take what was pushed, then drop
     * it from the queues.  It stays marked queued, so that it gets a
     * first tick when it is added again. */
    take_woken_locked (worker);
    dequeue_locked (worker, node);
    worker->n_nodes--;
  }
  if (thread_worker == NULL) {
    worker->remove_waiters++;
    while (node->ticking)
      g_cond_wait (&worker->cond, &worker->lock);
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
 * Returns: whether the calling thread is a kithara worker thread (of any
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
 * Blocks until the worker has nothing to do and every thread of it
 * sleeps: every node is waiting, backpressured or done.  For tests and
 * for callers that must know the worker has settled; never call it from
 * a worker.
 */
void
kithara_worker_wait_parked (KitharaWorker * worker)
{
  g_return_if_fail (thread_worker == NULL);

  g_mutex_lock (&worker->lock);
  worker->settle_waiters++;
  while (worker->n_parked < worker->live_threads || has_ready_locked (worker))
    g_cond_wait (&worker->cond, &worker->lock);
  worker->settle_waiters--;
  g_mutex_unlock (&worker->lock);
}

/**
 * kithara_worker_get_passes:
 *
 * Returns: how many ticks the worker's threads have started (one per
 * pick from the ready queues); it does not move while the worker sleeps.
 */
guint64
kithara_worker_get_passes (KitharaWorker * worker)
{
  guint64 passes;

  g_mutex_lock (&worker->lock);
  passes = worker->passes;
  g_mutex_unlock (&worker->lock);
  return passes;
}

/**
 * kithara_worker_get_stats:
 *
 * Returns: (transfer full): the worker's counters and settings as a
 * "kithara-worker-stats" structure: "threads" and "thread-ids" (one per
 * running thread), "realtime" and "realtime-priority".
 */
GstStructure *
kithara_worker_get_stats (KitharaWorker * worker)
{
  GValue ids = G_VALUE_INIT;
  GstStructure *s;
  guint i, n_nodes, live;
  guint64 passes, parks, wakeups;
  gint first_tid = 0, priority;
  gboolean realtime;

  g_value_init (&ids, GST_TYPE_ARRAY);
  g_mutex_lock (&worker->lock);
  for (i = 0; i < worker->threads->len; i++) {
    KitharaThread *t = g_ptr_array_index (worker->threads, i);
    GValue v = G_VALUE_INIT;

    if (t->exited)
      continue;
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, t->tid);
    gst_value_array_append_and_take_value (&ids, &v);
    if (first_tid == 0)
      first_tid = t->tid;
  }
  n_nodes = worker->n_nodes;
  live = worker->live_threads;
  passes = worker->passes;
  parks = worker->parks;
  wakeups = worker->wakeups;
  priority = worker->realtime_priority;
  realtime = worker->realtime;
  g_mutex_unlock (&worker->lock);

  s = gst_structure_new ("kithara-worker-stats",
      "context", G_TYPE_STRING, worker->context,
      "threads", G_TYPE_UINT, live,
      "thread-id", G_TYPE_INT, first_tid,
      "realtime", G_TYPE_BOOLEAN, realtime,
      "realtime-priority", G_TYPE_INT, priority,
      "nodes", G_TYPE_UINT, n_nodes,
      "passes", G_TYPE_UINT64, passes,
      "ticks", G_TYPE_UINT64, counter_get (&worker->ticks),
      "busy-ns", G_TYPE_UINT64, counter_get (&worker->busy_ns),
      "parks", G_TYPE_UINT64, parks,
      "wakeups", G_TYPE_UINT64, wakeups, NULL);
  gst_structure_take_value (s, "thread-ids", &ids);
  return s;
}

/**
 * kithara_worker_count:
 *
 * Returns: how many workers (contexts) this process runs now.
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
