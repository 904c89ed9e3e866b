/* Kithara runtime: the exit from the worker at a src pad.
 *
 * A node's tick must never call into something that can block: a sink
 * that prerolls or waits for the clock, a tee, a stock aggregator, an
 * appsink.  When a src pad's peer is not a kithara inlet, the pad is an
 * exit: the tick only puts buffers and serialized events into a bounded
 * queue here, and a streaming task of the pad (one thread per exit,
 * never per node) pushes them on, as GstQueue's source task does.
 * Between two kithara elements the pad pushes directly: an inlet never
 * blocks a worker.
 *
 * The producer never blocks: it asks is_full() before doing any work and
 * is woken when the queue drains to half.  Downstream's answer (EOS,
 * FLUSHING, an error, which the task posts once) reaches the producer at
 * its next push.
 *
 * Timing: once told the clock runs (set_clocked()), an exit knows when
 * each buffer is due at the sink (base time + running time + the
 * downstream latency).  A buffer that reaches the exit after that is an
 * underrun: counted, and reported once per burst.  The exits of ordinary
 * elements allow one buffer of slack (a live source's buffer reaches them
 * at the very moment its start is due) and need no timer.  An exit that
 * produces on time itself (the mixer, with a due function) also waits for
 * the due time on the pipeline clock, as GstAggregator does (a test clock
 * drives it too): its due function is called a margin before, to produce
 * without the inputs that are late, and a buffer still missing when due
 * is an underrun at once.
 *
 * Every wake of the task (an item, a flush, a timing change) bumps a
 * counter under the lock and signals or unschedules the wait, so none is
 * lost between the task's look at the queue and its wait.
 *
 * A producer's tick may outlive a state change of its element: stopped
 * from another worker, which does not wait for it.  What such a tick
 * pushes belongs to the stream before and is dropped (the guard).  A
 * direct push holds push_lock from the guard's check to the end of the
 * push, and (de)activation takes it, so that no state change passes in
 * between (a push into a kithara inlet does not block).  On a worker,
 * (de)activation only tries the lock: a pad probe in the push could be
 * waiting for this very worker.  A push that spans a whole stop and
 * restart there is not caught.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharaoutlet.h"
#include "kitharanode.h"
#include "kitharaworker.h"
#include "kitharaunderrun.h"
#include "kitharastream.h"

GST_DEBUG_CATEGORY_STATIC (kithara_outlet_debug);
#define GST_CAT_DEFAULT kithara_outlet_debug

enum
{
  STAGE_ON_TIME,                /* waiting for the next buffer in time */
  STAGE_DUE_CALLED,             /* the due function ran; waiting for due */
  STAGE_MISSED,                 /* counted missing; waiting for it */
};

struct _KitharaOutlet
{
  GstPad *srcpad;               /* not owned: the element owns both */
  GstElement *element;          /* not owned */
  KitharaNode *producer;

  GRecMutex push_lock;          /* see the file comment */
  KitharaOutletGuardFunc guard;
  gpointer guard_data;

  GMutex lock;
  GCond cond;                   /* the task waits here without a deadline */
  GQueue items;
  guint buffers;
  GstClockTime time;
  guint max_buffers;
  GstClockTime max_time;
  gboolean producer_waits;

  gint exit;                    /* atomic: data goes through the task */
  gboolean active;
  gboolean flushing;
  GstFlowReturn result;         /* downstream's last answer, until a flush */
  guint flush_gen;              /* bumped by every flush-stop */
  guint wake_seq;               /* bumped by every wake of the task */
  gboolean task_waits;          /* the task sleeps on cond */
  gboolean batch_pending;       /* queued without waking the task yet */
  GstClockID clock_id;          /* the task's deadline wait */

  /* Timing. */
  gint deadlines;               /* atomic for the producer's reads */
  gboolean count_underruns;
  GstClockTime latency;
  GstClockTime margin;
  KitharaOutletDueFunc due_func;
  gpointer due_data;
  gint stage;
  GstSegment segment;           /* the last one the task pushed */
  GstSegment push_segment;      /* the last one the producer queued */
  GstClockTime next_running_time;       /* where the next buffer starts */
  GstClockTime last_duration;
  GstClockTime position;
  guint64 pushed;
  KitharaUnderrunMeter underruns;
};

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (kithara_outlet_debug, "kitharaoutlet", 0,
        "Kithara exits: hand-off from the worker to a streaming task");
    g_once_init_leave (&done, 1);
  }
}

KitharaOutlet *
kithara_outlet_new (GstPad * srcpad, KitharaNode * producer)
{
  KitharaOutlet *o = g_new0 (KitharaOutlet, 1);

  ensure_debug_category ();
  o->srcpad = srcpad;
  o->element = GST_ELEMENT (GST_OBJECT_PARENT (srcpad));
  g_return_val_if_fail (o->element != NULL, NULL);
  o->producer = kithara_node_ref (producer);
  g_rec_mutex_init (&o->push_lock);
  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  g_queue_init (&o->items);
  o->max_buffers = 4;
  o->flushing = TRUE;
  o->result = GST_FLOW_FLUSHING;
  o->next_running_time = GST_CLOCK_TIME_NONE;
  o->last_duration = 0;
  o->position = GST_CLOCK_TIME_NONE;
  gst_segment_init (&o->segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&o->push_segment, GST_FORMAT_UNDEFINED);
  return o;
}

static void
clear_locked (KitharaOutlet * o, GList ** sticky)
{
  GstMiniObject *item;

  while ((item = g_queue_pop_head (&o->items))) {
    /* As GstQueue: sticky events that never left are stored on the pad,
     * to go out before the next data; segments and EOS are not kept. */
    if (sticky && kithara_stream_item_survives_flush (item))
      *sticky = g_list_prepend (*sticky, item);
    else
      kithara_stream_drop_item (item);
  }
  o->buffers = 0;
  o->time = 0;
}

void
kithara_outlet_free (KitharaOutlet * o)
{
  clear_locked (o, NULL);
  kithara_node_unref (o->producer);
  g_cond_clear (&o->cond);
  g_mutex_clear (&o->lock);
  g_rec_mutex_clear (&o->push_lock);
  g_free (o);
}

static inline gboolean
is_full_locked (KitharaOutlet * o)
{
  return o->buffers >= o->max_buffers ||
      (o->max_time > 0 && o->time >= o->max_time);
}

static inline gboolean
is_low_locked (KitharaOutlet * o)
{
  return o->buffers * 2 <= o->max_buffers &&
      (o->max_time == 0 || o->time * 2 <= o->max_time);
}

/* Something changed for the task: it looks again. */
static void
wake_task_locked (KitharaOutlet * o)
{
  o->wake_seq++;
  o->batch_pending = FALSE;
  if (o->clock_id)
    gst_clock_id_unschedule (o->clock_id);
  else if (o->task_waits)
    g_cond_signal (&o->cond);   /* a system call: only when needed */
}

/**
 * kithara_outlet_set_guard:
 *
 * Before the outlet is first activated.
 */
void
kithara_outlet_set_guard (KitharaOutlet * o, KitharaOutletGuardFunc func,
    gpointer user_data)
{
  o->guard = func;
  o->guard_data = user_data;
}

static inline gboolean
is_current (KitharaOutlet * o)
{
  return o->guard == NULL || o->guard (o->guard_data);
}

/* For (de)activation: takes push_lock, or on a worker tries to.  Returns
 * whether it holds it. */
static gboolean
lock_pushes (KitharaOutlet * o)
{
  if (!kithara_in_worker_thread ()) {
    g_rec_mutex_lock (&o->push_lock);
    return TRUE;
  }
  return g_rec_mutex_trylock (&o->push_lock);
}

/* Takes push_lock for a direct push: FALSE (nothing held) if the pad has
 * become an exit meanwhile. */
static gboolean
begin_direct_push (KitharaOutlet * o)
{
  g_rec_mutex_lock (&o->push_lock);
  if (!g_atomic_int_get (&o->exit))
    return TRUE;
  g_rec_mutex_unlock (&o->push_lock);
  return FALSE;
}

/**
 * kithara_outlet_set_limits:
 * @max_buffers: capacity in buffers (at least 1)
 * @max_time: capacity in time, 0 for none
 */
void
kithara_outlet_set_limits (KitharaOutlet * o, guint max_buffers,
    GstClockTime max_time)
{
  gboolean wake;

  g_mutex_lock (&o->lock);
  o->max_buffers = MAX (max_buffers, 1);
  o->max_time = max_time;
  wake = o->producer_waits && !is_full_locked (o);
  if (wake)
    o->producer_waits = FALSE;
  g_mutex_unlock (&o->lock);
  if (wake)
    kithara_node_wake (o->producer);
}

/**
 * kithara_outlet_set_due_func:
 * @margin: how long before the next buffer is due @func is called
 *
 * For an exit that keeps time itself (the mixer): called on the task, at
 * most once per buffer, while the clock runs (see set_clocked()).
 */
void
kithara_outlet_set_due_func (KitharaOutlet * o, GstClockTime margin,
    KitharaOutletDueFunc func, gpointer user_data)
{
  g_mutex_lock (&o->lock);
  o->margin = margin;
  o->due_func = func;
  o->due_data = user_data;
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
}

/* ------------------------------------------------------------------ */
/* The task */

/* Stops or pauses the pad's task.  Only a thread that may wait waits for
 * the task to leave its loop: on the task's own thread or a worker the
 * flushing state makes the loop return by itself. */
static void
halt_task (KitharaOutlet * o, GstTaskState state)
{
  GstTask *task;
  gboolean own;

  GST_OBJECT_LOCK (o->srcpad);
  task = GST_PAD_TASK (o->srcpad);
  if (task == NULL) {
    GST_OBJECT_UNLOCK (o->srcpad);
    return;
  }
  gst_object_ref (task);
  if (state == GST_TASK_STOPPED)
    GST_PAD_TASK (o->srcpad) = NULL;
  gst_task_set_state (task, state);
  GST_OBJECT_UNLOCK (o->srcpad);

  GST_OBJECT_LOCK (task);
  own = task->thread == g_thread_self ();
  GST_OBJECT_UNLOCK (task);

  if (!own && !kithara_in_worker_thread ()) {
    GST_PAD_STREAM_LOCK (o->srcpad);
    GST_PAD_STREAM_UNLOCK (o->srcpad);
    if (state == GST_TASK_STOPPED) {
      /* The pad's ref (we took it from the pad) and ours. */
      gst_task_join (task);
      gst_object_unref (task);
    }
  } else if (state == GST_TASK_STOPPED) {
    /* The task thread holds a ref until it leaves its loop. */
    gst_object_unref (task);
  }
  gst_object_unref (task);
}

static void outlet_loop (gpointer user_data);

static void
start_task (KitharaOutlet * o)
{
  if (!gst_pad_start_task (o->srcpad, outlet_loop, o, NULL))
    GST_ERROR_OBJECT (o->srcpad, "could not start the exit's task");
}

/* When the next buffer is due, and what to do then; NONE for no
 * deadline.  Called with the lock. */
static GstClockTime
deadline_locked (KitharaOutlet * o, GstClockTime base_time)
{
  GstClockTime due;

  /* Only an exit that produces on time itself (a due function) waits for
   * deadlines; the others count a buffer that comes late when it comes,
   * and sleep without a timer meanwhile. */
  if (o->due_func == NULL || !g_atomic_int_get (&o->deadlines) ||
      o->stage == STAGE_MISSED ||
      !GST_CLOCK_TIME_IS_VALID (o->next_running_time) ||
      !GST_CLOCK_TIME_IS_VALID (base_time))
    return GST_CLOCK_TIME_NONE;
  due = base_time + o->next_running_time + o->latency;
  if (o->stage == STAGE_ON_TIME)
    return due > o->margin ? due - o->margin : 0;
  return due;
}

/* A buffer or event leaves the queue. */
static void
took_item_locked (KitharaOutlet * o, GstMiniObject * item, gboolean * wake)
{
  if (!GST_IS_BUFFER (item))
    return;
  o->buffers--;
  if (GST_BUFFER_DURATION_IS_VALID (item))
    o->time -= MIN (GST_BUFFER_DURATION (item), o->time);
  if (o->producer_waits && is_low_locked (o)) {
    o->producer_waits = FALSE;
    *wake = TRUE;
  }
}

static void
report_underrun (KitharaOutlet * o, GstClockTimeDiff lateness)
{
  if (kithara_underrun_meter_count (&o->underruns))
    kithara_underrun_post (o->element, kithara_underrun_meter_get
        (&o->underruns), "lateness", G_TYPE_UINT64, (guint64) MAX (lateness,
            0), NULL);
}

/* Waits for the next item, keeping the deadlines meanwhile.  Returns
 * NULL when flushing. */
static GstMiniObject *
wait_for_item (KitharaOutlet * o, guint * gen)
{
  for (;;) {
    GstClock *clock = NULL;
    GstClockTime base_time = GST_CLOCK_TIME_NONE, due;
    GstMiniObject *item;
    GstClockID id;
    GstClockReturn res;
    GstClockTimeDiff jitter = 0;
    gboolean wake = FALSE, call_due = FALSE, missed = FALSE;
    guint seq;

    GST_OBJECT_LOCK (o->element);
    if (GST_ELEMENT_CLOCK (o->element)) {
      clock = gst_object_ref (GST_ELEMENT_CLOCK (o->element));
      base_time = GST_ELEMENT_CAST (o->element)->base_time;
    }
    GST_OBJECT_UNLOCK (o->element);

    g_mutex_lock (&o->lock);
    if (o->flushing) {
      *gen = o->flush_gen;
      g_mutex_unlock (&o->lock);
      gst_clear_object (&clock);
      return NULL;
    }
    item = g_queue_pop_head (&o->items);
    if (item) {
      took_item_locked (o, item, &wake);
      /* Nothing is taken after EOS, unless a new stream follows it or
       * revives us. */
      if (GST_IS_EVENT (item) && GST_EVENT_TYPE (item) == GST_EVENT_EOS &&
          g_queue_is_empty (&o->items))
        o->result = GST_FLOW_EOS;
      *gen = o->flush_gen;
      g_mutex_unlock (&o->lock);
      if (wake)
        kithara_node_wake (o->producer);
      gst_clear_object (&clock);
      return item;
    }

    seq = o->wake_seq;
    due = clock ? deadline_locked (o, base_time) : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID (due)) {
      o->task_waits = TRUE;
      while (!o->flushing && g_queue_is_empty (&o->items) &&
          seq == o->wake_seq)
        g_cond_wait (&o->cond, &o->lock);
      o->task_waits = FALSE;
      g_mutex_unlock (&o->lock);
      gst_clear_object (&clock);
      continue;
    }

    id = o->clock_id = gst_clock_new_single_shot_id (clock, due);
    g_mutex_unlock (&o->lock);
    res = gst_clock_id_wait (id, &jitter);
    g_mutex_lock (&o->lock);
    o->clock_id = NULL;
    if (res != GST_CLOCK_UNSCHEDULED && seq == o->wake_seq) {
      /* Due, and still nothing to push. */
      if (o->stage == STAGE_ON_TIME && o->due_func) {
        o->stage = STAGE_DUE_CALLED;
        call_due = TRUE;
      } else {
        o->stage = STAGE_MISSED;
        missed = o->count_underruns;
      }
    }
    g_mutex_unlock (&o->lock);
    gst_clock_id_unref (id);
    gst_object_unref (clock);

    if (call_due) {
      GST_LOG_OBJECT (o->srcpad, "next buffer due soon");
      o->due_func (o->due_data);
    }
    if (missed)
      report_underrun (o, jitter);
  }
}

/* Underruns and position, as a buffer leaves for downstream. */
static void
account_buffer (KitharaOutlet * o, GstBuffer * buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), end, rt_start, rt_end;
  GstClockTime base_time = GST_CLOCK_TIME_NONE, due = GST_CLOCK_TIME_NONE;
  GstClock *clock = NULL;
  gboolean count;

  GST_OBJECT_LOCK (o->element);
  if (GST_ELEMENT_CLOCK (o->element)) {
    clock = gst_object_ref (GST_ELEMENT_CLOCK (o->element));
    base_time = GST_ELEMENT_CAST (o->element)->base_time;
  }
  GST_OBJECT_UNLOCK (o->element);

  g_mutex_lock (&o->lock);
  o->pushed++;
  count = o->count_underruns && o->stage != STAGE_MISSED;
  if (o->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts)) {
    rt_start = gst_segment_to_running_time (&o->segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID (rt_start) &&
        GST_CLOCK_TIME_IS_VALID (base_time))
      due = base_time + rt_start + o->latency +
          (o->due_func ? 0 : o->last_duration);
    if (GST_BUFFER_DURATION_IS_VALID (buf)) {
      o->last_duration = GST_BUFFER_DURATION (buf);
      end = pts + GST_BUFFER_DURATION (buf);
      rt_end = gst_segment_to_running_time (&o->segment, GST_FORMAT_TIME,
          end);
      o->next_running_time = rt_end;
      o->position = gst_segment_to_stream_time (&o->segment, GST_FORMAT_TIME,
          end);
    }
  }
  o->stage = STAGE_ON_TIME;
  g_mutex_unlock (&o->lock);

  if (clock && count && GST_CLOCK_TIME_IS_VALID (due)) {
    GstClockTimeDiff late = GST_CLOCK_DIFF (due, gst_clock_get_time (clock));

    if (late > 0)
      report_underrun (o, late);
    else
      kithara_underrun_meter_end_burst (&o->underruns);
  }
  gst_clear_object (&clock);
}

/* Pauses the task from its own thread unless @still_done no longer holds:
 * checked under the lock, so a flush-stop or a new stream that restarts
 * the task meanwhile is never undone. */
static void
pause_unless_restarted (KitharaOutlet * o, guint gen, const gchar * why)
{
  g_mutex_lock (&o->lock);
  if (gen == o->flush_gen && (o->flushing || o->result != GST_FLOW_OK)) {
    GST_DEBUG_OBJECT (o->srcpad, "pausing: %s", why);
    gst_pad_pause_task (o->srcpad);
  }
  g_mutex_unlock (&o->lock);
}

/* Downstream did not take a buffer: remember why for the producer, and
 * stop pushing until a flush (or a new stream after EOS). */
static void
push_failed (KitharaOutlet * o, GstFlowReturn ret, guint gen)
{
  gboolean current;

  g_mutex_lock (&o->lock);
  current = gen == o->flush_gen && !o->flushing;
  if (current)
    o->result = ret;
  g_mutex_unlock (&o->lock);

  if (current && (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS)) {
    /* As a queue does: the error is posted once, here, and downstream
     * gets EOS.  The producer stops without posting again. */
    GST_ELEMENT_FLOW_ERROR (o->element, ret);
    gst_pad_push_event (o->srcpad, gst_event_new_eos ());
  }
  pause_unless_restarted (o, gen, gst_flow_get_name (ret));
  kithara_node_wake (o->producer);      /* it learns at its next push */
}

static void
outlet_loop (gpointer user_data)
{
  KitharaOutlet *o = user_data;
  GstMiniObject *item;
  guint gen = 0;

  item = wait_for_item (o, &gen);
  if (item == NULL) {
    pause_unless_restarted (o, gen, "flushing");
    return;
  }

  if (GST_IS_BUFFER (item)) {
    GstFlowReturn ret;

    account_buffer (o, GST_BUFFER (item));
    ret = gst_pad_push (o->srcpad, GST_BUFFER (item));
    if (ret != GST_FLOW_OK)
      push_failed (o, ret, gen);
    return;
  }
  if (GST_IS_QUERY (item)) {
    /* Downstream answers on this thread: the wait comes off the query
     * first, so that a kithara inlet behind a stock element makes this
     * thread wait for its answer rather than take the query for later. */
    KitharaQueryWait *wait = kithara_stream_query_take_wait (GST_QUERY (item));

    kithara_stream_query_wait_done (wait, gst_pad_peer_query (o->srcpad,
            GST_QUERY (item)));
    return;
  }

  if (GST_EVENT_TYPE (item) == GST_EVENT_SEGMENT) {
    /* The running time goes on from the last buffer; after a flush the
     * first buffer is not timed (the sink prerolls on it). */
    g_mutex_lock (&o->lock);
    gst_event_copy_segment (GST_EVENT (item), &o->segment);
    g_mutex_unlock (&o->lock);
  }
  if (GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    gst_pad_push_event (o->srcpad, GST_EVENT (item));
    pause_unless_restarted (o, gen, "EOS");
    return;
  }
  gst_pad_push_event (o->srcpad, GST_EVENT (item));
}

/* ------------------------------------------------------------------ */
/* Activation */

/**
 * kithara_outlet_activate:
 * @active: the src pad is being activated (push mode) or deactivated
 * @exit: data goes through the pad's streaming task (its peer may block);
 *   otherwise the producer pushes directly
 *
 * For the src pad's activate-mode function.  Deactivating from a worker,
 * or from the task's own thread (a state change in a bus sync handler),
 * never waits for the task.
 */
gboolean
kithara_outlet_activate (KitharaOutlet * o, gboolean active, gboolean exit)
{
  gboolean locked = lock_pushes (o);

  g_mutex_lock (&o->lock);
  o->active = active;
  o->flushing = !active;
  o->result = active ? GST_FLOW_OK : GST_FLOW_FLUSHING;
  o->flush_gen++;
  o->stage = STAGE_ON_TIME;
  o->next_running_time = GST_CLOCK_TIME_NONE;
  o->position = GST_CLOCK_TIME_NONE;
  o->producer_waits = FALSE;
  gst_segment_init (&o->segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&o->push_segment, GST_FORMAT_UNDEFINED);
  if (!active)
    clear_locked (o, NULL);
  wake_task_locked (o);
  g_atomic_int_set (&o->exit, active && exit);
  g_mutex_unlock (&o->lock);
  if (locked)
    g_rec_mutex_unlock (&o->push_lock);

  if (active && exit) {
    GST_DEBUG_OBJECT (o->srcpad, "exit: a streaming task pushes downstream");
    start_task (o);
  } else if (!active) {
    halt_task (o, GST_TASK_STOPPED);
  }
  return TRUE;
}

/**
 * kithara_outlet_ensure_exit:
 *
 * The pad was linked, while active, to something that may block: from
 * now on data goes through the task.
 */
void
kithara_outlet_ensure_exit (KitharaOutlet * o)
{
  gboolean start, locked = lock_pushes (o);

  g_mutex_lock (&o->lock);
  start = o->active && !g_atomic_int_get (&o->exit);
  if (start)
    g_atomic_int_set (&o->exit, TRUE);
  g_mutex_unlock (&o->lock);
  if (locked)
    g_rec_mutex_unlock (&o->push_lock);
  if (start) {
    GST_DEBUG_OBJECT (o->srcpad, "relinked: now an exit");
    start_task (o);
  }
}

gboolean
kithara_outlet_is_exit (KitharaOutlet * o)
{
  return g_atomic_int_get (&o->exit);
}

/* ------------------------------------------------------------------ */
/* The producer, on the worker */

/**
 * kithara_outlet_is_full:
 *
 * For the producer before it does any work: whether an exit's queue is
 * full.  If so the producer is woken once it drains to half.  %FALSE
 * when the pad pushes directly (the caller looks at the peer's inlet).
 */
gboolean
kithara_outlet_is_full (KitharaOutlet * o)
{
  gboolean full;

  if (!g_atomic_int_get (&o->exit))
    return FALSE;
  g_mutex_lock (&o->lock);
  /* After downstream's EOS or error, "not full": the producer pushes and
   * learns why. */
  full = o->result == GST_FLOW_OK && is_full_locked (o);
  if (full)
    o->producer_waits = TRUE;
  g_mutex_unlock (&o->lock);
  return full;
}

/* As a pad does: a sticky event other than SEGMENT and EOS pushed during a
 * flush is kept (flush-stop stores it on the pad), or nothing would send
 * it again. */
static gboolean
keeps_while_flushing_locked (KitharaOutlet * o, GstEvent * event)
{
  return o->flushing && o->active && GST_EVENT_IS_STICKY (event) &&
      GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT &&
      GST_EVENT_TYPE (event) != GST_EVENT_EOS;
}

/* Resumes the task after EOS when a new stream starts (as GstQueue). */
static gboolean
revive_locked (KitharaOutlet * o, GstEvent * event)
{
  if (o->result != GST_FLOW_EOS || (GST_EVENT_TYPE (event) !=
          GST_EVENT_STREAM_START && GST_EVENT_TYPE (event) !=
          GST_EVENT_SEGMENT))
    return FALSE;
  o->result = GST_FLOW_OK;
  return TRUE;
}

/**
 * kithara_outlet_push:
 * @buf: (transfer full)
 *
 * Never blocks.  Returns: %GST_FLOW_OK, %KITHARA_FLOW_FULL (taken, now
 * full: the producer is woken when it drains), or why downstream takes
 * nothing (FLUSHING, EOS, or an error that was already posted).
 */
/* Whether the sink needs @buf soon (within the exit's capacity in time),
 * so that the task must take it at once.  Called with the lock. */
#define URGENT_WINDOW (50 * GST_MSECOND)

static gboolean
is_urgent_locked (KitharaOutlet * o, GstBuffer * buf, GstClock * clock,
    GstClockTime base_time)
{
  GstClockTime rt, window = o->max_time ? o->max_time : URGENT_WINDOW;

  if (o->push_segment.format != GST_FORMAT_TIME ||
      !GST_BUFFER_PTS_IS_VALID (buf))
    return TRUE;
  rt = gst_segment_to_running_time (&o->push_segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return TRUE;
  return base_time + rt + o->latency < gst_clock_get_time (clock) + window;
}

/**
 * kithara_outlet_push:
 * @buf: (transfer full)
 *
 * Never blocks.  The task is woken at once for what the sink needs soon
 * (while prerolling, or due within the exit's capacity: live streams);
 * data that runs ahead of the clock (a file decoded faster than it plays)
 * is handed over in batches: when the queue is half full, or when the
 * producer stops producing (kithara_outlet_flush_wake()), which saves a
 * wake-up of the task per buffer.
 *
 * Returns: %GST_FLOW_OK, %KITHARA_FLOW_FULL (taken, now full: the producer
 * is woken when it drains), or why downstream takes nothing (FLUSHING,
 * EOS, or an error that was already posted).
 */
GstFlowReturn
kithara_outlet_push (KitharaOutlet * o, GstBuffer * buf)
{
  GstClock *clock = NULL;
  GstClockTime base_time = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret;
  gboolean current;

  if (!g_atomic_int_get (&o->exit) && begin_direct_push (o)) {
    if (is_current (o))
      ret = gst_pad_push (o->srcpad, buf);
    else {
      gst_buffer_unref (buf);
      ret = GST_FLOW_FLUSHING;
    }
    g_rec_mutex_unlock (&o->push_lock);
    return ret;
  }

  /* The mixer's blocks always go at once: it keeps time itself. */
  if (o->due_func == NULL && g_atomic_int_get (&o->deadlines)) {
    GST_OBJECT_LOCK (o->element);
    if (GST_ELEMENT_CLOCK (o->element)) {
      clock = gst_object_ref (GST_ELEMENT_CLOCK (o->element));
      base_time = GST_ELEMENT_CAST (o->element)->base_time;
    }
    GST_OBJECT_UNLOCK (o->element);
  }

  g_mutex_lock (&o->lock);
  current = is_current (o);
  if (o->result != GST_FLOW_OK || !current) {
    ret = current ? o->result : GST_FLOW_FLUSHING;
    g_mutex_unlock (&o->lock);
    gst_buffer_unref (buf);
    gst_clear_object (&clock);
    return ret;
  }
  g_queue_push_tail (&o->items, buf);
  o->buffers++;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    o->time += GST_BUFFER_DURATION (buf);
  ret = GST_FLOW_OK;
  if (is_full_locked (o)) {
    o->producer_waits = TRUE;
    ret = KITHARA_FLOW_FULL;
  }
  if (clock == NULL || !is_low_locked (o) ||
      is_urgent_locked (o, buf, clock, base_time))
    wake_task_locked (o);
  else
    o->batch_pending = TRUE;
  g_mutex_unlock (&o->lock);
  gst_clear_object (&clock);
  return ret;
}

/**
 * kithara_outlet_flush_wake:
 *
 * The producer stopped producing (its tick waits, is backpressured or
 * done): what it queued without waking the task goes out now.
 */
void
kithara_outlet_flush_wake (KitharaOutlet * o)
{
  if (!g_atomic_int_get (&o->exit))
    return;
  g_mutex_lock (&o->lock);
  if (o->batch_pending)
    wake_task_locked (o);
  g_mutex_unlock (&o->lock);
}

/**
 * kithara_outlet_push_event:
 * @event: (transfer full): a serialized event (others go out at once)
 */
gboolean
kithara_outlet_push_event (KitharaOutlet * o, GstEvent * event)
{
  gboolean restart, res;

  if (!GST_EVENT_IS_SERIALIZED (event))
    return gst_pad_push_event (o->srcpad, event);
  if (!g_atomic_int_get (&o->exit) && begin_direct_push (o)) {
    if (is_current (o))
      res = gst_pad_push_event (o->srcpad, event);
    else {
      gst_event_unref (event);
      res = FALSE;
    }
    g_rec_mutex_unlock (&o->push_lock);
    return res;
  }

  g_mutex_lock (&o->lock);
  if (!is_current (o)) {
    g_mutex_unlock (&o->lock);
    gst_event_unref (event);
    return FALSE;
  }
  restart = revive_locked (o, event);
  if (o->result != GST_FLOW_OK && !keeps_while_flushing_locked (o, event)) {
    g_mutex_unlock (&o->lock);
    gst_event_unref (event);
    return FALSE;
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    gst_event_copy_segment (event, &o->push_segment);
  g_queue_push_tail (&o->items, event);
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
  if (restart)
    start_task (o);
  return TRUE;
}

/**
 * kithara_outlet_push_query:
 * @query: (transfer none): a serialized query a thread upstream waits
 *   for and owns (see kithara_inlet_push_query())
 *
 * Passes @query on in order with the data: through the exit's task, which
 * answers it with downstream's answer, or to the next kithara element's
 * inlet.  Never blocks.
 */
void
kithara_outlet_push_query (KitharaOutlet * o, GstQuery * query)
{
  if (!g_atomic_int_get (&o->exit)) {
    /* A kithara peer takes it into its inlet and answers it later. */
    if (!gst_pad_peer_query (o->srcpad, query))
      kithara_stream_query_done (query, FALSE);
    return;
  }
  g_mutex_lock (&o->lock);
  if (o->result != GST_FLOW_OK) {
    g_mutex_unlock (&o->lock);
    kithara_stream_drop_item (GST_MINI_OBJECT_CAST (query));
    return;
  }
  g_queue_push_tail (&o->items, query);
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
}

/* ------------------------------------------------------------------ */
/* Flushing, from upstream's flush events (any thread but the task's) */

/* As GstQueue: a flush answers the queued queries at once. */
static void
drop_queries_locked (KitharaOutlet * o)
{
  GList *l = o->items.head;

  while (l) {
    GList *next = l->next;

    if (GST_IS_QUERY (l->data)) {
      kithara_stream_drop_item (l->data);
      g_queue_delete_link (&o->items, l);
    }
    l = next;
  }
}

/**
 * kithara_outlet_flush_start:
 * @event: (transfer full): the flush-start event, sent downstream first
 */
gboolean
kithara_outlet_flush_start (KitharaOutlet * o, GstEvent * event)
{
  gboolean res = gst_pad_push_event (o->srcpad, event);

  if (!g_atomic_int_get (&o->exit))
    return res;
  g_mutex_lock (&o->lock);
  o->flushing = TRUE;
  o->result = GST_FLOW_FLUSHING;
  drop_queries_locked (o);
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
  halt_task (o, GST_TASK_PAUSED);
  return res;
}

/**
 * kithara_outlet_flush_stop:
 * @event: (transfer full): the flush-stop event, sent downstream first
 *
 * Drops what is queued (keeping the sticky events that never left, as
 * GstQueue does) and starts over.
 */
gboolean
kithara_outlet_flush_stop (KitharaOutlet * o, GstEvent * event)
{
  gboolean res = gst_pad_push_event (o->srcpad, event), restart;
  GList *sticky = NULL, *l;

  if (!g_atomic_int_get (&o->exit))
    return res;
  g_mutex_lock (&o->lock);
  clear_locked (o, &sticky);
  o->flushing = !o->active;
  o->result = o->active ? GST_FLOW_OK : GST_FLOW_FLUSHING;
  o->flush_gen++;
  o->stage = STAGE_ON_TIME;
  o->next_running_time = GST_CLOCK_TIME_NONE;
  o->producer_waits = FALSE;
  restart = o->active;
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);

  for (l = sticky = g_list_reverse (sticky); l; l = l->next) {
    gst_pad_store_sticky_event (o->srcpad, l->data);
    gst_event_unref (l->data);
  }
  g_list_free (sticky);
  if (restart)
    start_task (o);
  kithara_node_wake (o->producer);
  return res;
}

/* ------------------------------------------------------------------ */
/* Timing and counters */

/**
 * kithara_outlet_set_clocked:
 * @deadlines: keep deadlines on the element's clock (normally: PLAYING)
 * @count_underruns: count what misses them (normally: PLAYING)
 *
 * Set before the state change that makes it so completes, so the task
 * never acts on a stale state.
 */
void
kithara_outlet_set_clocked (KitharaOutlet * o, gboolean deadlines,
    gboolean count_underruns)
{
  g_mutex_lock (&o->lock);
  g_atomic_int_set (&o->deadlines, deadlines);
  o->count_underruns = count_underruns;
  if (o->stage != STAGE_MISSED)
    o->stage = STAGE_ON_TIME;
  if (!count_underruns)
    kithara_underrun_meter_end_burst (&o->underruns);
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
}

/* From the LATENCY event downstream sends up. */
void
kithara_outlet_set_latency (KitharaOutlet * o, GstClockTime latency)
{
  g_mutex_lock (&o->lock);
  o->latency = GST_CLOCK_TIME_IS_VALID (latency) ? latency : 0;
  wake_task_locked (o);
  g_mutex_unlock (&o->lock);
}

void
kithara_outlet_reset_counters (KitharaOutlet * o)
{
  g_mutex_lock (&o->lock);
  o->pushed = 0;
  o->latency = 0;
  o->last_duration = 0;
  kithara_underrun_meter_reset (&o->underruns);
  g_mutex_unlock (&o->lock);
}

void
kithara_outlet_get_level (KitharaOutlet * o, KitharaOutletLevel * level)
{
  g_mutex_lock (&o->lock);
  level->exit = g_atomic_int_get (&o->exit);
  level->buffers = o->buffers;
  level->time = o->time;
  level->pushed = o->pushed;
  level->position = o->position;
  level->underruns = kithara_underrun_meter_get (&o->underruns);
  g_mutex_unlock (&o->lock);
}
