/* Kithara runtime tests: one shared worker per context, priority by
 * service class, backpressure, idleness, isolation and lifecycle.
 *
 * The elements under test are real kitharaeq instances in real pipelines
 * or harnesses; the worker is observed through thread ids, the "stats"
 * property and pad probes that run on the worker.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsrc.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "kitharaworker.h"
#include "kitharacontext.h"
#include "gstkitharaelement.h"
#include "kitharacheck.h"

/* ------------------------------------------------------------------ */
/* helpers */

static gint
current_tid (void)
{
  return (gint) syscall (SYS_gettid);
}

/* Worker threads are named "kt-<context>". */
static guint
count_kithara_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", name);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        g_str_has_prefix (comm, "kt-"))
      n++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

/* CPU time a thread has used, in ns (first field of schedstat). */
static guint64
thread_cpu_ns (gint tid)
{
  gchar *path = g_strdup_printf ("/proc/self/task/%d/schedstat", tid);
  gchar *contents = NULL;
  guint64 ns;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  ns = g_ascii_strtoull (contents, NULL, 10);
  g_free (contents);
  g_free (path);
  return ns;
}

static guint
stats_uint (GstElement * element, const gchar * field)
{
  GstStructure *s = kc_get_stats (element);
  guint v = 0;

  fail_unless (gst_structure_get_uint (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

static gint
worker_tid_of (GstElement * element)
{
  GstStructure *s = kc_get_stats (element), *ws = NULL;
  gint tid = 0;

  fail_unless (gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &ws, NULL));
  fail_unless (gst_structure_get_int (ws, "thread-id", &tid));
  gst_structure_free (ws);
  gst_structure_free (s);
  return tid;
}

static GstBuffer *
make_tone_buffer (guint n_samples, guint64 offset)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n_samples * sizeof (gfloat),
      NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < n_samples; i++)
    ((gfloat *) map.data)[i] = 0.5f * sinf (2 * G_PI * 440.0 *
        (offset + i) / 48000.0);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (offset, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n_samples, GST_SECOND,
      48000);
  return buf;
}

#define MONO_CAPS "audio/x-raw,format=F32LE,rate=48000,channels=1," \
    "layout=interleaved"

/* Takes @element (transfer full): the harness keeps it alive. */
static GstHarness *
harness_for (GstElement * element)
{
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");

  gst_object_unref (element);
  gst_harness_set_src_caps_str (h, MONO_CAPS);
  return h;
}

/* A harness around "kitharaeq name=first ! kitharaeq": a probe on
 * @first's src pad runs on the worker, inside first's tick, since it
 * pushes directly into the second one's inlet (the second one's output
 * leaves through its exit's task, as every output into a non-kithara
 * element does).  The second one runs on its own context, so it never
 * takes turns with @context's nodes. */
static GstHarness *
chain_harness (const gchar * context, gint service_class, GstElement ** first)
{
  gchar *cls = service_class >= 0 ?
      g_strdup_printf ("service-class=%d", service_class) : g_strdup ("");
  gchar *desc = g_strdup_printf ("kitharaeq name=first context=%s %s ! "
      "kitharaeq context=%s-tail", context, cls, context);
  GstHarness *h = gst_harness_new_parse (desc);

  *first = kc_child (h->element, "first");
  gst_harness_set_src_caps_str (h, MONO_CAPS);
  g_free (desc);
  g_free (cls);
  return h;
}

static GstElement *
new_eq (const gchar * context, gint service_class)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);

  fail_unless (eq != NULL);
  g_object_set (eq, "context", context, NULL);
  if (service_class >= 0)
    g_object_set (eq, "service-class", service_class, NULL);
  return eq;
}

/* A gate a pad probe on the worker can be held at, like a slow tick. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean hold;
  guint permits;                /* buffers allowed through while held */
  guint held;                   /* buffers currently waiting */
  guint passed;
} Gate;

static void
gate_init (Gate * g, gboolean hold)
{
  g_mutex_init (&g->lock);
  g_cond_init (&g->cond);
  g->hold = hold;
  g->permits = 0;
  g->held = 0;
  g->passed = 0;
}

static void
gate_clear (Gate * g)
{
  g_mutex_clear (&g->lock);
  g_cond_clear (&g->cond);
}

static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Gate *g = user_data;

  g_mutex_lock (&g->lock);
  g->held++;
  g_cond_broadcast (&g->cond);
  while (g->hold && g->permits == 0)
    g_cond_wait (&g->cond, &g->lock);
  if (g->hold)
    g->permits--;
  g->held--;
  g->passed++;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
  return GST_PAD_PROBE_OK;
}

static void
gate_wait_held (Gate * g)
{
  g_mutex_lock (&g->lock);
  while (g->held == 0)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static void
gate_set_hold (Gate * g, gboolean hold)
{
  g_mutex_lock (&g->lock);
  g->hold = hold;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

/* Lets one buffer through and waits until it has passed. */
static void
gate_step (Gate * g)
{
  guint target;

  g_mutex_lock (&g->lock);
  target = g->passed + 1;
  g->permits++;
  g_cond_broadcast (&g->cond);
  while (g->passed < target)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static void
add_gate (GstElement * element, Gate * g)
{
  GstPad *pad = gst_element_get_static_pad (element, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, g, NULL);
  gst_object_unref (pad);
}

/* Signalled by an element's "overrun": an upstream thread is about to
 * wait on a full inlet. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint count;
} Flag;

static void
flag_raise (GstElement * element, Flag * f)
{
  g_mutex_lock (&f->lock);
  f->count++;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
}

static void
flag_wait (Flag * f, guint count)
{
  g_mutex_lock (&f->lock);
  while (f->count < count)
    g_cond_wait (&f->cond, &f->lock);
  g_mutex_unlock (&f->lock);
}

/* Pushes buffers one at a time from this thread, letting @worker settle
 * after each (the push has woken it before it returns), until @first keeps
 * a buffer it cannot pass on: the chain behind it is then backpressured
 * and the worker parked.  Returns how many buffers were pushed. */
static guint
push_until_backpressured (GstHarness * h, GstElement * first,
    KitharaWorker * worker)
{
  guint pushed = 0;

  do {
    fail_unless_equals_int (gst_harness_push (h, make_tone_buffer (480,
                pushed * 480)), GST_FLOW_OK);
    pushed++;
    kithara_worker_wait_parked (worker);
    fail_unless (pushed < 100, "the chain never pushed back");
  } while (stats_uint (first, "inlet-buffers") == 0);
  return pushed;
}

/* Pushes buffers from its own (foreign) thread until one is refused. */
typedef struct
{
  GstHarness *h;
  guint first;
  guint max;
  guint pushed_ok;
  GstFlowReturn last;
} Pusher;

static gpointer
pusher_thread (gpointer data)
{
  Pusher *p = data;
  guint i;

  for (i = p->first; i < p->max; i++) {
    p->last = gst_harness_push (p->h, make_tone_buffer (480, i * 480));
    if (p->last != GST_FLOW_OK)
      break;
    p->pushed_ok++;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* 1. one worker thread per context */

typedef struct
{
  GMutex lock;
  GHashTable *tids;
} TidSet;

static GstPadProbeReturn
record_tid (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  TidSet *set = user_data;

  g_mutex_lock (&set->lock);
  g_hash_table_add (set->tids, GINT_TO_POINTER (current_tid ()));
  g_mutex_unlock (&set->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_two_eq_pipeline (const gchar * context, TidSet * set)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=20 ! "
      "kitharaeq name=a context=%s ! kitharaeq name=b context=%s ! "
      "fakesink", context, context);
  GstElement *p = gst_parse_launch (desc, NULL);
  const gchar *names[] = { "a", "b" };
  guint i;

  fail_unless (p != NULL);
  /* a's output and b's input: both on the worker (b's output leaves
   * through its exit, towards the stock sink). */
  for (i = 0; i < 2; i++) {
    GstPad *pad = gst_element_get_static_pad (kc_child (p, names[i]),
        i == 0 ? "src" : "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_tid, set, NULL);
    gst_object_unref (pad);
  }
  g_free (desc);
  return p;
}

static void
run_to_eos (GstElement * p)
{
  GstMessage *msg;

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
}

#define N_SHARED 50

GST_START_TEST (test_one_worker_per_context)
{
  GstElement *pipelines[N_SHARED + 1];
  TidSet set;
  gint tid;
  guint i;

  /* One thread per context (whatever KITHARA_CONTEXTS says). */
  kithara_context_set_threads ("default", 1);
  kithara_context_set_threads ("second", 1);
  g_mutex_init (&set.lock);
  set.tids = g_hash_table_new (NULL, NULL);
  fail_unless_equals_int (count_kithara_threads (), 0);

  for (i = 0; i < N_SHARED; i++)
    pipelines[i] = make_two_eq_pipeline ("default", &set);
  for (i = 0; i < N_SHARED; i++)
    run_to_eos (pipelines[i]);

  /* All 100 kitharaeq of the context processed on one thread: the worker. */
  fail_unless_equals_int (g_hash_table_size (set.tids), 1);
  tid = worker_tid_of (kc_child (pipelines[0], "a"));
  fail_unless (g_hash_table_contains (set.tids, GINT_TO_POINTER (tid)));
  fail_unless_equals_int (count_kithara_threads (), 1);
  fail_unless_equals_int (kithara_worker_count (), 1);

  /* A second context name gives exactly one more thread. */
  pipelines[N_SHARED] = make_two_eq_pipeline ("second", &set);
  run_to_eos (pipelines[N_SHARED]);
  fail_unless_equals_int (g_hash_table_size (set.tids), 2);
  fail_unless_equals_int (count_kithara_threads (), 2);
  fail_unless_equals_int (kithara_worker_count (), 2);
  fail_if (worker_tid_of (kc_child (pipelines[N_SHARED], "a")) == tid);

  /* The workers stop when their last element goes back to NULL. */
  for (i = 0; i <= N_SHARED; i++) {
    gst_element_set_state (pipelines[i], GST_STATE_NULL);
    gst_object_unref (pipelines[i]);
  }
  fail_unless_equals_int (count_kithara_threads (), 0);
  fail_unless_equals_int (kithara_worker_count (), 0);

  g_hash_table_unref (set.tids);
  g_mutex_clear (&set.lock);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 2. priority: audible before warm before idle, on every pass */

typedef struct
{
  guint64 pass;
  guint who;
} Served;

typedef struct
{
  GMutex lock;
  GArray *served;
  KitharaWorker *worker;
} Order;

typedef struct
{
  Order *order;
  guint who;
} OrderProbe;

static GstPadProbeReturn
record_order (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  OrderProbe *op = user_data;
  Served s;

  s.pass = kithara_worker_get_passes (op->order->worker);
  s.who = op->who;
  g_mutex_lock (&op->order->lock);
  g_array_append_val (op->order->served, s);
  g_mutex_unlock (&op->order->lock);
  return GST_PAD_PROBE_OK;
}

/* Checks that the nodes were served by strict priority, in the order
 * given by @rank (rank[who] = expected position): no buffer of a node was
 * served while one of a node ranked before it was waiting. */
static void
check_order (Order * order, guint first, const guint rank[3],
    guint expected_per_node)
{
  guint i, n = order->served->len - first;
  Served *s = &g_array_index (order->served, Served, first);

  fail_unless_equals_int (n, 3 * expected_per_node);
  for (i = 1; i < n; i++)
    fail_unless (rank[s[i].who] >= rank[s[i - 1].who],
        "pass %" G_GUINT64_FORMAT ": node %u served after node %u",
        s[i].pass, s[i].who, s[i - 1].who);
}

GST_START_TEST (test_priority_order)
{
  const gint classes[3] = { 0, 1, 2 };  /* audible, warm, idle */
  GstElement *blocker, *eqs[3];
  GstHarness *hb, *h[3];
  OrderProbe probes[3];
  Order order;
  Gate gate;
  guint i, j, first;
  const guint initial_rank[3] = { 0, 1, 2 };
  const guint changed_rank[3] = { 2, 1, 0 };

  /* One thread: the order of its ticks is the order of service (the
   * scheduler test checks the order across threads). */
  kithara_context_set_threads ("priority", 1);
  g_mutex_init (&order.lock);
  order.served = g_array_new (FALSE, FALSE, sizeof (Served));
  order.worker = kithara_worker_get ("priority");

  /* Hold the worker inside a tick, as a slow node would. */
  gate_init (&gate, TRUE);
  hb = chain_harness ("priority", 0, &blocker);
  add_gate (blocker, &gate);
  fail_unless_equals_int (gst_harness_push (hb, make_tone_buffer (480, 0)),
      GST_FLOW_OK);
  gate_wait_held (&gate);

  /* Meanwhile three nodes of different classes become ready. */
  for (i = 0; i < 3; i++) {
    GstPad *pad;

    h[i] = chain_harness ("priority", classes[i], &eqs[i]);
    probes[i].order = &order;
    probes[i].who = i;
    pad = gst_element_get_static_pad (eqs[i], "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_order,
        &probes[i], NULL);
    gst_object_unref (pad);
    for (j = 0; j < 3; j++)
      fail_unless_equals_int (gst_harness_push (h[i],
              make_tone_buffer (480, j * 480)), GST_FLOW_OK);
  }

  /* Release the worker, let everything drain. */
  gate_step (&gate);
  for (i = 0; i < 3; i++)
    for (j = 0; j < 3; j++)
      gst_buffer_unref (gst_harness_pull (h[i]));
  check_order (&order, 0, initial_rank, 3);

  /* Hold it again, change classes from this (foreign) thread: idle
   * becomes audible and audible becomes idle. */
  fail_unless_equals_int (gst_harness_push (hb, make_tone_buffer (480, 480)),
      GST_FLOW_OK);
  gate_wait_held (&gate);
  first = order.served->len;
  g_object_set (eqs[2], "service-class", 0, NULL);
  g_object_set (eqs[0], "service-class", 2, NULL);
  for (i = 0; i < 3; i++)
    for (j = 0; j < 2; j++)
      fail_unless_equals_int (gst_harness_push (h[i],
              make_tone_buffer (480, (3 + j) * 480)), GST_FLOW_OK);
  gate_step (&gate);
  for (i = 0; i < 3; i++)
    for (j = 0; j < 2; j++)
      gst_buffer_unref (gst_harness_pull (h[i]));
  check_order (&order, first, changed_rank, 2);

  gate_set_hold (&gate, FALSE);
  for (i = 0; i < 3; i++)
    gst_harness_teardown (h[i]);
  gst_harness_teardown (hb);
  kithara_worker_unref (order.worker);
  g_array_unref (order.served);
  g_mutex_clear (&order.lock);
  gate_clear (&gate);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 3. backpressure */

#define CAPACITY 4

GST_START_TEST (test_backpressure_bounded_chain)
{
  GstHarness *h = gst_harness_new_parse ("kitharaeq name=e1 context=bp ! "
      "kitharaeq name=e2 context=bp ! kitharaeq name=e3 context=slow");
  GstElement *e[3];
  KitharaWorker *bp;
  guint i, pushed, total = 64;
  Pusher pusher;
  GThread *thread;
  Gate gate;

  e[0] = kc_child (h->element, "e1");
  e[1] = kc_child (h->element, "e2");
  e[2] = kc_child (h->element, "e3");
  gate_init (&gate, TRUE);
  add_gate (e[2], &gate);       /* the slow consumer */
  gst_harness_set_src_caps_str (h, MONO_CAPS);
  bp = kithara_worker_get ("bp");

  /* Saturate while the consumer holds its first buffer: e2 fills up and
   * sleeps (e3 never drains to its low watermark), then e1 does. */
  pushed = push_until_backpressured (h, e[0], bp);
  fail_unless_equals_int (stats_uint (e[1], "inlet-buffers"), CAPACITY);
  fail_unless (stats_uint (e[2], "inlet-buffers") >= CAPACITY / 2 + 1);
  fail_unless (kc_stats_uint64 (e[0], "backpressured") > 0);
  fail_unless (kc_stats_uint64 (e[1], "backpressured") > 0);

  /* Then drain one buffer at a time through the slow consumer while an
   * upstream thread pushes the rest (waiting whenever e1 is full). */
  pusher.h = h;
  pusher.first = pushed;
  pusher.max = total;
  pusher.pushed_ok = 0;
  pusher.last = GST_FLOW_OK;
  thread = g_thread_new ("pusher", pusher_thread, &pusher);
  for (i = 0; i < total; i++)
    gate_step (&gate);
  g_thread_join (thread);
  fail_unless_equals_int (pusher.pushed_ok, total - pushed);
  for (i = 0; i < total; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf),
        gst_util_uint64_scale (i * 480, GST_SECOND, 48000));
    gst_buffer_unref (buf);
  }

  /* Never more than capacity plus one buffer in any inlet. */
  for (i = 0; i < 3; i++)
    fail_unless (stats_uint (e[i], "inlet-max-buffers-seen") <= CAPACITY + 1,
        "inlet %u held %u buffers", i,
        stats_uint (e[i], "inlet-max-buffers-seen"));

  gate_set_hold (&gate, FALSE);
  kithara_worker_unref (bp);
  gst_harness_teardown (h);
  gate_clear (&gate);
}

GST_END_TEST;

GST_START_TEST (test_backpressure_flush_releases_upstream)
{
  GstElement *eq;
  GstHarness *h;
  Pusher pusher;
  GThread *thread;
  Flag overrun;
  Gate gate;

  g_mutex_init (&overrun.lock);
  g_cond_init (&overrun.cond);
  overrun.count = 0;
  h = chain_harness ("held", -1, &eq);
  g_signal_connect (eq, "overrun", G_CALLBACK (flag_raise), &overrun);
  gate_init (&gate, TRUE);
  add_gate (eq, &gate);

  /* First buffer: taken by the node, which is then held downstream. */
  fail_unless_equals_int (gst_harness_push (h, make_tone_buffer (480, 0)),
      GST_FLOW_OK);
  gate_wait_held (&gate);

  /* A foreign thread fills the inlet and must then wait... */
  pusher.h = h;
  pusher.first = 1;
  pusher.max = 1000;
  pusher.pushed_ok = 0;
  pusher.last = GST_FLOW_OK;
  thread = g_thread_new ("pusher", pusher_thread, &pusher);
  flag_wait (&overrun, 1);

  /* ...until a flush releases it. */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  fail_unless_equals_int (pusher.pushed_ok, CAPACITY);
  fail_unless_equals_int (pusher.last, GST_FLOW_FLUSHING);

  gate_set_hold (&gate, FALSE);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_teardown (h);
  gate_clear (&gate);
  g_mutex_clear (&overrun.lock);
  g_cond_clear (&overrun.cond);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 4. idle: no passes and no CPU when nothing can progress */

GST_START_TEST (test_idle_worker_sleeps)
{
  GstHarness *chain = gst_harness_new_parse ("kitharaeq name=a context=idle "
      "! kitharaeq name=b context=idle-held");
  GstHarness *waiting[3];
  KitharaWorker *worker, *held;
  Gate gate;
  guint64 passes, cpu;
  gint tid;
  guint i;

  gate_init (&gate, TRUE);
  add_gate (kc_child (chain->element, "b"), &gate);
  gst_harness_set_src_caps_str (chain, MONO_CAPS);
  worker = kithara_worker_get ("idle");

  /* Three nodes with nothing to do... */
  for (i = 0; i < 3; i++)
    waiting[i] = harness_for (new_eq ("idle", i));

  /* ...and one backpressured behind a consumer that never drains. */
  push_until_backpressured (chain, kc_child (chain->element, "a"), worker);
  fail_unless (kc_stats_uint64 (kc_child (chain->element, "a"),
          "backpressured") > 0);

  /* Settled: the consumer's exit is held at the gate and its worker has
   * filled what it can (its last pops may still have woken the producer,
   * so the producer's worker settles after it). */
  gate_wait_held (&gate);
  held = kithara_worker_get ("idle-held");
  kithara_worker_wait_parked (held);
  kithara_worker_wait_parked (worker);

  tid = worker_tid_of (kc_child (chain->element, "a"));
  passes = kithara_worker_get_passes (worker);
  cpu = thread_cpu_ns (tid);

  /* A measurement window, not synchronisation: nothing should happen. */
  g_usleep (500 * G_TIME_SPAN_MILLISECOND);

  fail_unless_equals_uint64 (kithara_worker_get_passes (worker), passes);
  fail_unless (thread_cpu_ns (tid) - cpu < GST_MSECOND,
      "idle worker used %" G_GUINT64_FORMAT " ns",
      thread_cpu_ns (tid) - cpu);

  gate_set_hold (&gate, FALSE);
  for (i = 0; i < 3; i++)
    gst_harness_teardown (waiting[i]);
  gst_harness_teardown (chain);
  kithara_worker_unref (held);
  kithara_worker_unref (worker);
  gate_clear (&gate);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 5. isolation: a failing node posts its error, the others keep going */

static GstMessage *
wait_error (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);

  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  return msg;
}

static GstPadProbeReturn
count_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_isolation)
{
  GstElement *good, *no_caps, *unlinked;
  GstMessage *msg;
  GError *err = NULL;
  GstPad *pad;
  gint good_buffers = 0;

  good = gst_parse_launch ("audiotestsrc num-buffers=300 ! "
      "kitharaeq context=iso name=good ! fakesink", NULL);
  no_caps = gst_parse_launch ("appsrc name=src format=time ! "
      "kitharaeq context=iso name=bad ! fakesink", NULL);
  unlinked = gst_parse_launch ("audiotestsrc ! kitharaeq context=iso "
      "name=dangling", NULL);
  fail_unless (good && no_caps && unlinked);
  pad = gst_element_get_static_pad (kc_child (good, "good"), "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers,
      &good_buffers, NULL);
  gst_object_unref (pad);

  /* A buffer without caps: the node cannot process it. */
  gst_element_set_state (no_caps, GST_STATE_PLAYING);
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (kc_child
              (no_caps, "src")), make_tone_buffer (480, 0)), GST_FLOW_OK);
  msg = wait_error (no_caps);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (kc_child (no_caps,
              "bad")));
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "unexpected error %s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  /* Output not linked: the node reports the flow error as its own. */
  gst_element_set_state (unlinked, GST_STATE_PLAYING);
  msg = wait_error (unlinked);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (kc_child (unlinked,
              "dangling")));
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED), "unexpected error %s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  /* The healthy pipeline on the same worker runs to the end. */
  run_to_eos (good);
  fail_unless_equals_int (g_atomic_int_get (&good_buffers), 300);
  fail_unless (gst_bus_peek (GST_ELEMENT_BUS (good)) == NULL ||
      GST_MESSAGE_TYPE (gst_bus_peek (GST_ELEMENT_BUS (good))) !=
      GST_MESSAGE_ERROR);

  gst_element_set_state (good, GST_STATE_NULL);
  gst_element_set_state (no_caps, GST_STATE_NULL);
  gst_element_set_state (unlinked, GST_STATE_NULL);
  gst_object_unref (good);
  gst_object_unref (no_caps);
  gst_object_unref (unlinked);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* slow ticks are reported, naming the element */

static GstPadProbeReturn
slow_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  /* Simulated work inside a tick (this is what is measured). */
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  return GST_PAD_PROBE_REMOVE;
}

GST_START_TEST (test_slow_tick_reported)
{
  /* sluggish pushes into the next kitharaeq directly: its src pad probe
   * runs inside its tick, on the worker. */
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers=5 ! "
      "kitharaeq name=sluggish slow-tick-threshold=5000000 ! kitharaeq ! "
      "fakesink", NULL);
  GstPad *pad = gst_element_get_static_pad (kc_child (p, "sluggish"), "src");
  GstMessage *msg;
  const GstStructure *s;
  guint64 duration = 0;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, slow_probe, NULL, NULL);
  gst_object_unref (pad);
  gst_element_set_state (p, GST_STATE_PLAYING);
  /* On a loaded machine other ticks may also overrun 5 ms: the one of the
   * 20 ms tick must come, naming the element. */
  do {
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_ELEMENT);
    s = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (s, "kithara-slow-tick"));
    fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
    if (duration >= 20 * GST_MSECOND) {
      fail_unless_equals_string (gst_structure_get_string (s, "element"),
          "sluggish");
      fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (kc_child (p,
                  "sluggish")));
    }
    gst_message_unref (msg);
  } while (duration < 20 * GST_MSECOND);
  fail_unless (kc_stats_uint64 (kc_child (p, "sluggish"), "slow-ticks") >= 1);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* An element that blocks in its chain function behind an exit holds the
 * exit's thread, never the worker: no tick is slow.  (The threshold is
 * well below the 150 ms the element blocks, and well above what a worker
 * preempted on a loaded machine loses.) */
static GstPadProbeReturn
sleepy_sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  fail_if (kithara_in_worker_thread ());
  g_usleep (150 * G_TIME_SPAN_MILLISECOND);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_blocking_downstream_is_not_a_slow_tick)
{
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers=10 ! "
      "kitharaeq name=e slow-tick-threshold=100000000 ! "
      "identity name=sleepy ! fakesink", NULL);
  GstPad *pad = gst_element_get_static_pad (kc_child (p, "sleepy"), "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sleepy_sink_probe, NULL,
      NULL);
  gst_object_unref (pad);
  run_to_eos (p);
  fail_unless_equals_uint64 (kc_stats_uint64 (kc_child (p, "e"),
          "slow-ticks"), 0);
  fail_unless_equals_uint64 (kc_stats_uint64 (kc_child (p, "e"),
          "exit-pushed"), 10);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

GST_END_TEST;

/* Reading "stats" while the element's context loses its last element
 * (READY to NULL frees the worker): the reader holds the worker. */
typedef struct
{
  GstElement *eq;
  gint stop;                    /* atomic */
  guint reads;
} StatsReader;

static gpointer
read_stats (gpointer data)
{
  StatsReader *r = data;

  while (!g_atomic_int_get (&r->stop)) {
    GstStructure *s = NULL;

    g_object_get (r->eq, "stats", &s, NULL);
    fail_unless (s != NULL);
    gst_structure_free (s);
    r->reads++;
  }
  return NULL;
}

GST_START_TEST (test_stats_during_state_changes)
{
  StatsReader r = { new_eq ("stats-race", -1), 0, 0 };
  GThread *reader;
  guint i;

  gst_object_ref_sink (r.eq);
  reader = g_thread_new ("stats", read_stats, &r);
  for (i = 0; i < 500; i++) {
    fail_unless_equals_int (gst_element_set_state (r.eq, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (r.eq, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  g_atomic_int_set (&r.stop, 1);
  g_thread_join (reader);
  fail_unless (r.reads > 0);
  gst_object_unref (r.eq);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* 6. lifecycle: many state cycles with flush seeks, shared worker */

#define N_LIFECYCLE_PIPELINES 20

static guint
lifecycle_cycles (void)
{
  const gchar *env = g_getenv ("KITHARA_LIFECYCLE_CYCLES");

  return env ? (guint) g_ascii_strtoull (env, NULL, 10) : 500;
}

static GstTracer *
leaks_tracer (void)
{
  GList *tracers = gst_tracing_get_active_tracers (), *l;
  GstTracer *found = NULL;

  for (l = tracers; l; l = l->next)
    if (g_str_equal (G_OBJECT_TYPE_NAME (l->data), "GstLeaksTracer"))
      found = gst_object_ref (l->data);
  g_list_free_full (tracers, gst_object_unref);
  return found;
}

static void
cycle_pipelines (GstElement ** p, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    fail_if (gst_element_set_state (p[i], GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_element_get_state (p[i], NULL, NULL,
            GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
    if (i % 2 == 0)
      fail_unless (gst_element_seek_simple (p[i], GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH, 10 * GST_MSECOND));
  }
  for (i = 0; i < n; i++)
    fail_unless_equals_int (gst_element_set_state (p[i], GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
}

GST_START_TEST (test_lifecycle_cycles)
{
  GstElement *p[N_LIFECYCLE_PIPELINES];
  GstTracer *tracer = leaks_tracer ();
  guint i, cycles = lifecycle_cycles ();

  /* Leaks are checked by GStreamer's leaks tracer, which the test
   * environment enables: any object left alive when this test's process
   * ends fails it. */
  fail_unless (tracer != NULL || g_getenv ("KITHARA_NO_LEAKS_TRACER"),
      "run with GST_TRACERS=leaks");
  if (tracer)
    gst_object_unref (tracer);

  for (i = 0; i < N_LIFECYCLE_PIPELINES; i++) {
    p[i] = gst_parse_launch ("audiotestsrc ! kitharaeq ! kitharaeq ! "
        "fakesink sync=false", NULL);
    fail_unless (p[i] != NULL);
  }

  for (i = 0; i < cycles; i++)
    cycle_pipelines (p, N_LIFECYCLE_PIPELINES);

  fail_unless_equals_int (kithara_worker_count (), 0);
  for (i = 0; i < N_LIFECYCLE_PIPELINES; i++)
    gst_object_unref (p[i]);
}

GST_END_TEST;

/* A state change from inside a tick (pad probe on the worker). */
static void
note_finalized (gpointer flag, GObject * where_the_object_was)
{
  flag_raise (NULL, flag);
}

/* Drops the test's reference to @pipeline and waits until @element is
 * gone: the tick that stopped it on the worker keeps it alive until it
 * returns, and the leaks check must not run before. */
static void
unref_and_wait_finalized (GstElement * pipeline, GstElement * element)
{
  Flag gone;

  g_mutex_init (&gone.lock);
  g_cond_init (&gone.cond);
  gone.count = 0;
  g_object_weak_ref (G_OBJECT (element), note_finalized, &gone);
  gst_object_unref (pipeline);
  flag_wait (&gone, 1);
  g_mutex_clear (&gone.lock);
  g_cond_clear (&gone.cond);
}

static GstPadProbeReturn
stop_from_worker (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Flag *done = user_data;
  GstElement *pipeline = g_object_get_data (G_OBJECT (pad), "pipeline");

  fail_unless (kithara_in_worker_thread ());
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  flag_raise (NULL, done);
  return GST_PAD_PROBE_REMOVE;
}

GST_START_TEST (test_state_change_from_worker)
{
  /* e pushes into the next kitharaeq directly: its probe runs on the
   * worker, inside e's tick. */
  GstElement *p = gst_parse_launch ("audiotestsrc ! kitharaeq name=e ! "
      "kitharaeq ! fakesink sync=false", NULL);
  GstPad *pad = gst_element_get_static_pad (kc_child (p, "e"), "src");
  Flag done;
  GstState state;

  g_mutex_init (&done.lock);
  g_cond_init (&done.cond);
  done.count = 0;
  g_object_set_data (G_OBJECT (pad), "pipeline", p);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stop_from_worker, &done,
      NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  flag_wait (&done, 1);
  gst_element_get_state (p, &state, NULL, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (state, GST_STATE_NULL);

  /* And it can start again, once the tick that stopped it has ended:
   * after the probe, that tick's push goes on into the next element (a
   * pad does not look at its flushing flag again after its probes), and
   * must not reach it restarted, with no stream-start yet.  A stock
   * streaming thread that stops its own pipeline has the same rule.  The
   * probe goes in once the start is through: a probe added earlier could
   * join that tick (a pad calls probes added during its callbacks) and
   * wait there for the state lock this thread holds. */
  kithara_node_lock_tick (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (kc_child (p, "e"))));
  kithara_node_unlock_tick (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (kc_child (p, "e"))));
  gst_element_set_state (p, GST_STATE_PLAYING);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stop_from_worker, &done,
      NULL);
  flag_wait (&done, 2);
  gst_object_unref (pad);
  unref_and_wait_finalized (p, kc_child (p, "e"));
  g_mutex_clear (&done.lock);
  g_cond_clear (&done.cond);
}

GST_END_TEST;

/* From inside a tick of one context, a pipeline of another context is
 * started and stopped, 200 times while its nodes run: neither worker
 * waits for the other (the other one's node leaves at once, its flush
 * follows its running tick), and the other context's worker, stopped with
 * its last element from here, is not joined from here. */
typedef struct
{
  GstElement *other;
  guint toggles;
} Toggle;

static GstPadProbeReturn
toggle_other (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Toggle *t = user_data;

  fail_unless (kithara_in_worker_thread ());
  fail_if (gst_element_set_state (t->other, t->toggles % 2 ?
          GST_STATE_NULL : GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  t->toggles++;
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_state_change_of_other_context_from_worker)
{
  GstElement *p = kc_parse ("audiotestsrc num-buffers=200 ! "
      "kitharaeq name=e context=toggler ! kitharaeq context=toggler ! "
      "fakesink sync=false");
  Toggle t = { kc_parse ("audiotestsrc ! kitharaeq context=toggled ! "
          "kitharaeq context=toggled ! fakesink sync=false"), 0 };
  GstPad *pad = gst_element_get_static_pad (kc_child (p, "e"), "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, toggle_other, &t, NULL);
  gst_object_unref (pad);
  run_to_eos (p);
  fail_unless_equals_int (t.toggles, 200);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless_equals_int (gst_element_set_state (t.other, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (p);
  gst_object_unref (t.other);
}

GST_END_TEST;

/* A state change from a bus sync handler running on the worker (the
 * error of a node is posted from its tick). */
static GstBusSyncReply
stop_on_error (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Flag *done = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GstElement *pipeline = g_object_get_data (G_OBJECT (bus), "pipeline");

    fail_unless (kithara_in_worker_thread ());
    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    flag_raise (NULL, done);
  }
  return GST_BUS_PASS;
}

GST_START_TEST (test_state_change_from_bus_handler)
{
  GstElement *p = gst_parse_launch ("appsrc name=src format=time ! "
      "kitharaeq name=e ! fakesink", NULL);
  GstBus *bus = gst_element_get_bus (p);
  GstState state;
  Flag done;

  g_mutex_init (&done.lock);
  g_cond_init (&done.cond);
  done.count = 0;
  g_object_set_data (G_OBJECT (bus), "pipeline", p);
  gst_bus_set_sync_handler (bus, stop_on_error, &done, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  /* No caps: the node fails in its tick and posts the error there. */
  gst_app_src_push_buffer (GST_APP_SRC (kc_child (p, "src")),
      make_tone_buffer (480, 0));
  flag_wait (&done, 1);
  gst_element_get_state (p, &state, NULL, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (state, GST_STATE_NULL);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  unref_and_wait_finalized (p, kc_child (p, "e"));
  g_mutex_clear (&done.lock);
  g_cond_clear (&done.cond);
}

GST_END_TEST;

static Suite *
kithara_runtime_suite (void)
{
  Suite *s = suite_create ("kithara-runtime");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_one_worker_per_context);
  tcase_add_test (tc, test_priority_order);
  tcase_add_test (tc, test_backpressure_bounded_chain);
  tcase_add_test (tc, test_backpressure_flush_releases_upstream);
  tcase_add_test (tc, test_idle_worker_sleeps);
  tcase_add_test (tc, test_isolation);
  tcase_add_test (tc, test_slow_tick_reported);
  tcase_add_test (tc, test_blocking_downstream_is_not_a_slow_tick);
  tcase_add_test (tc, test_lifecycle_cycles);
  tcase_add_test (tc, test_stats_during_state_changes);
  tcase_add_test (tc, test_state_change_from_worker);
  tcase_add_test (tc, test_state_change_from_bus_handler);
  tcase_add_test (tc, test_state_change_of_other_context_from_worker);
  return s;
}

KITHARA_CHECK_MAIN (kithara_runtime);
