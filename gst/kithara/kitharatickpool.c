/* Kithara: a GstTaskPool whose tasks run in a node's ticks, not threads.
 *
 * Elements in pull mode (typefind, demuxers, parsers) drive their stream
 * from a GstTask, which normally gets a thread of its own.  A node that
 * hosts such elements in a private chain hands each task this pool when
 * the task announces itself (the CREATE stream-status message, the hook
 * GStreamer offers for custom thread pools).  The task then gets no
 * thread: the node calls kithara_tick_pool_run_one() from its tick, which
 * runs one iteration of a started task under the task's lock, exactly as
 * the task's own thread would between two checks of its state.
 *
 * The usual task protocol holds: pausing or stopping a task (from an
 * iteration or from another thread) takes effect before the next
 * iteration, and a thread that stops a pad's task first takes the pad's
 * stream lock, so it waits for an iteration under way.  Joining never
 * waits for a thread, since none is ever started.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharatickpool.h"

struct _KitharaTickPool
{
  GstTaskPool parent;

  KitharaNode *node;            /* woken when a task is started */
  GMutex lock;                  /* protects tasks and next */
  GPtrArray *tasks;             /* GstTask, each with one ref of ours */
  guint next;                   /* where the round robin goes on */
};

G_DEFINE_TYPE (KitharaTickPool, kithara_tick_pool, GST_TYPE_TASK_POOL);

/* Called by gst_task_set_state() under the task's object lock, with the
 * ref the task took for the thread it expects: that ref is ours now. */
static gpointer
kithara_tick_pool_push (GstTaskPool * pool, GstTaskPoolFunction func,
    gpointer user_data, GError ** error)
{
  KitharaTickPool *self = KITHARA_TICK_POOL (pool);
  GstTask *task = user_data;

  if (!GST_IS_TASK (task)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "a kithara tick pool runs only GstTasks");
    return NULL;
  }

  /* No thread is inside the task between two ticks, so gst_task_join()
   * has nothing to wait for: "running" means exactly that. */
  task->running = FALSE;

  g_mutex_lock (&self->lock);
  if (g_ptr_array_find (self->tasks, task, NULL))
    gst_object_unref (task);    /* restarted: keep the ref we have */
  else
    g_ptr_array_add (self->tasks, task);
  g_mutex_unlock (&self->lock);

  kithara_node_wake (self->node);
  return task;
}

static void
kithara_tick_pool_join (GstTaskPool * pool, gpointer id)
{
  /* Nothing to join: see push. */
}

static void
kithara_tick_pool_dispose_handle (GstTaskPool * pool, gpointer id)
{
  /* The handle is the task, whose ref is released when it stops. */
}

/**
 * kithara_tick_pool_adopt:
 * @message: a message posted inside the chain
 *
 * If @message announces a new task (CREATE stream-status), gives the task
 * this pool, so that it runs only in kithara_tick_pool_run_one().  Call
 * it synchronously for every message of the chain.
 */
void
kithara_tick_pool_adopt (KitharaTickPool * pool, GstMessage * message)
{
  GstStreamStatusType type;
  const GValue *value;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_STREAM_STATUS)
    return;
  gst_message_parse_stream_status (message, &type, NULL);
  value = gst_message_get_stream_status_object (message);
  if (type != GST_STREAM_STATUS_TYPE_CREATE || value == NULL ||
      !G_VALUE_HOLDS (value, GST_TYPE_TASK))
    return;
  gst_task_set_pool (g_value_get_object (value), GST_TASK_POOL (pool));
}

/* Forgets the tasks that were stopped (their element deactivated them)
 * and returns the next started one, reffed, or NULL. */
static GstTask *
next_started_task (KitharaTickPool * self)
{
  GPtrArray *stopped = g_ptr_array_new_with_free_func (gst_object_unref);
  GstTask *task = NULL;
  guint i, n;

  g_mutex_lock (&self->lock);
  for (i = self->tasks->len; i > 0; i--) {
    GstTask *t = g_ptr_array_index (self->tasks, i - 1);

    if (gst_task_get_state (t) == GST_TASK_STOPPED)
      g_ptr_array_add (stopped, g_ptr_array_steal_index (self->tasks, i - 1));
  }
  n = self->tasks->len;
  for (i = 0; i < n && task == NULL; i++) {
    GstTask *t = g_ptr_array_index (self->tasks, (self->next + i) % n);

    if (gst_task_get_state (t) == GST_TASK_STARTED) {
      task = gst_object_ref (t);
      self->next = (self->next + i + 1) % n;
    }
  }
  g_mutex_unlock (&self->lock);

  /* Outside the lock: a last unref runs the task's notify. */
  g_ptr_array_unref (stopped);
  return task;
}

/**
 * kithara_tick_pool_run_one:
 *
 * Runs one iteration of a started task (round robin), on the calling
 * thread, holding the task's lock.  For the owner node's tick.
 *
 * Returns: %FALSE if no task is started (all are paused or stopped).
 */
gboolean
kithara_tick_pool_run_one (KitharaTickPool * pool)
{
  GstTask *task = next_started_task (pool);
  GRecMutex *lock;

  if (task == NULL)
    return FALSE;

  GST_OBJECT_LOCK (task);
  lock = GST_TASK_GET_LOCK (task);
  GST_OBJECT_UNLOCK (task);

  g_rec_mutex_lock (lock);
  /* It may have been paused while we waited for its lock. */
  if (gst_task_get_state (task) == GST_TASK_STARTED)
    task->func (task->user_data);
  g_rec_mutex_unlock (lock);

  gst_object_unref (task);
  return TRUE;
}

/**
 * kithara_tick_pool_clear:
 *
 * Drops every task, once the chain's elements are deactivated.
 */
void
kithara_tick_pool_clear (KitharaTickPool * pool)
{
  GPtrArray *tasks;

  g_mutex_lock (&pool->lock);
  tasks = pool->tasks;
  pool->tasks = g_ptr_array_new ();
  pool->next = 0;
  g_mutex_unlock (&pool->lock);

  /* Outside the lock: a last unref runs the task's notify. */
  g_ptr_array_set_free_func (tasks, gst_object_unref);
  g_ptr_array_unref (tasks);
}

KitharaTickPool *
kithara_tick_pool_new (KitharaNode * node)
{
  KitharaTickPool *pool = g_object_new (KITHARA_TYPE_TICK_POOL, NULL);

  gst_object_ref_sink (pool);
  pool->node = kithara_node_ref (node);
  return pool;
}

static void
kithara_tick_pool_finalize (GObject * object)
{
  KitharaTickPool *self = KITHARA_TICK_POOL (object);

  kithara_tick_pool_clear (self);
  g_ptr_array_unref (self->tasks);
  g_mutex_clear (&self->lock);
  if (self->node)
    kithara_node_unref (self->node);
  G_OBJECT_CLASS (kithara_tick_pool_parent_class)->finalize (object);
}

static void
kithara_tick_pool_init (KitharaTickPool * self)
{
  g_mutex_init (&self->lock);
  self->tasks = g_ptr_array_new ();
}

static void
kithara_tick_pool_class_init (KitharaTickPoolClass * klass)
{
  GstTaskPoolClass *pool_class = GST_TASK_POOL_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = kithara_tick_pool_finalize;
  pool_class->push = kithara_tick_pool_push;
  pool_class->join = kithara_tick_pool_join;
  pool_class->dispose_handle = kithara_tick_pool_dispose_handle;
}
