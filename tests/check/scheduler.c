/* The scheduler: a context backed by K threads with one priority order,
 * configured from the environment, the C API and a GstContext, with
 * real-time priority where the system allows it.
 *
 * Nodes here are bare: their ticks record what happened and hold the
 * thread on gates where a test needs a thread busy.  No test sleeps: they
 * wait on conditions, with a deadline that fails the test instead of
 * hanging it.
 */
/* SCHED_RESET_ON_FORK, CPU affinity */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "gstkitharaelement.h"
#include "kitharacontext.h"
#include "kitharanode.h"
#include "kitharaworker.h"
#include "kitharacheck.h"

#define DEADLINE_S 20

/* A context configured by the environment before anything starts. */
#define ENV_SPEC "env-ctx:threads=3;env-rt:threads=2,rt=11"

static GMutex lock;
static GCond cond;

/* Waits on cond until @done says so; fails after DEADLINE_S. */
static void
wait_until (gboolean (*done) (gpointer), gpointer data, const gchar * what)
{
  gint64 end = g_get_monotonic_time () + DEADLINE_S * G_TIME_SPAN_SECOND;

  g_mutex_lock (&lock);
  while (!done (data))
    if (!g_cond_wait_until (&cond, &lock, end)) {
      g_mutex_unlock (&lock);
      fail ("waited %d s for %s", DEADLINE_S, what);
    }
  g_mutex_unlock (&lock);
}

static gint
current_tid (void)
{
  return (gint) syscall (SYS_gettid);
}

static GstStructure *
stats_of (KitharaWorker * worker)
{
  return kithara_worker_get_stats (worker);
}

static gint
worker_first_tid (KitharaWorker * worker)
{
  GstStructure *s = stats_of (worker);
  gint tid = 0;

  fail_unless (gst_structure_get_int (s, "thread-id", &tid));
  gst_structure_free (s);
  return tid;
}

static guint
threads_of (KitharaWorker * worker)
{
  GstStructure *s = stats_of (worker);
  guint n = 0;

  fail_unless (gst_structure_get_uint (s, "threads", &n));
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "thread-ids")), n);
  gst_structure_free (s);
  return n;
}

/* ------------------------------------------------------------------ */
/* Probe nodes: a tick records its thread, and may be held on a gate. */

typedef struct
{
  KitharaNode *node;
  const gchar *name;
  gboolean armed;               /* under lock: first tick (on add) is free */
  gboolean hold;                /* under lock: the next armed tick waits */
  gboolean inside;              /* under lock: an armed tick waits now */
  guint progress_left;          /* under lock: armed ticks reporting progress */
  guint ticks;                  /* under lock: armed ticks */
  gint tid;                     /* under lock: thread of the last one */
  gint concurrent;              /* atomic: ticks running now */
  gint max_concurrent;          /* atomic */
  GString *log;                 /* not owned: order of armed ticks */
} Probe;

static KitharaTickResult
probe_tick (KitharaNode * node, gpointer user_data)
{
  Probe *p = user_data;
  gint now = g_atomic_int_add (&p->concurrent, 1) + 1;
  KitharaTickResult result = KITHARA_TICK_WAITING;

  if (now > g_atomic_int_get (&p->max_concurrent))
    g_atomic_int_set (&p->max_concurrent, now);

  g_mutex_lock (&lock);
  if (p->armed) {
    p->ticks++;
    p->tid = current_tid ();
    if (p->log)
      g_string_append (p->log, p->name);
    p->inside = TRUE;
    g_cond_broadcast (&cond);
    while (p->hold)
      g_cond_wait (&cond, &lock);
    p->inside = FALSE;
    if (p->progress_left > 0) {
      p->progress_left--;
      result = KITHARA_TICK_PROGRESS;
    }
    g_cond_broadcast (&cond);
  }
  g_mutex_unlock (&lock);

  g_atomic_int_add (&p->concurrent, -1);
  return result;
}

static void
probe_init (Probe * p, KitharaWorker * worker, const gchar * name,
    KitharaServiceClass cls, GString * log)
{
  memset (p, 0, sizeof (*p));
  p->name = name;
  p->log = log;
  p->node = kithara_node_new (name, NULL, probe_tick, p);
  kithara_node_set_service_class (p->node, cls);
  kithara_worker_add_node (worker, p->node);
}

static void
probe_clear (Probe * p, KitharaWorker * worker)
{
  kithara_worker_remove_node (worker, p->node);
  kithara_node_unref (p->node);
}

static gboolean
probe_is_inside (gpointer data)
{
  return ((Probe *) data)->inside;
}

static gboolean
probe_has_ticked (gpointer data)
{
  Probe *p = data;

  return p->ticks > 0 && !p->inside;
}

/* Arms @p to be held in its next tick, wakes it, and waits until it is
 * held there. */
static void
probe_hold (Probe * p)
{
  g_mutex_lock (&lock);
  p->armed = TRUE;
  p->hold = TRUE;
  g_mutex_unlock (&lock);
  kithara_node_wake (p->node);
  wait_until (probe_is_inside, p, p->name);
}

static void
probe_release (Probe * p)
{
  g_mutex_lock (&lock);
  p->hold = FALSE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
}

static void
probe_arm (Probe * p, guint progress)
{
  g_mutex_lock (&lock);
  p->armed = TRUE;
  p->progress_left = progress;
  g_mutex_unlock (&lock);
}

/* ------------------------------------------------------------------ */

/* Two nodes of one context tick at the same time, on two threads. */
GST_START_TEST (test_two_threads_tick_concurrently)
{
  KitharaWorker *worker;
  Probe a, b;

  kithara_context_set_threads ("k2-concurrent", 2);
  worker = kithara_worker_get ("k2-concurrent");
  fail_unless_equals_int (threads_of (worker), 2);
  probe_init (&a, worker, "a", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  probe_init (&b, worker, "b", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  kithara_worker_wait_parked (worker);

  /* Both held inside their ticks at once: only two threads can do that. */
  probe_hold (&a);
  probe_hold (&b);
  fail_if (a.tid == b.tid);
  probe_release (&a);
  probe_release (&b);
  kithara_worker_wait_parked (worker);

  probe_clear (&a, worker);
  probe_clear (&b, worker);
  kithara_worker_unref (worker);
}

GST_END_TEST;

typedef struct
{
  KitharaNode *node;
  gint stop;
} Waker;

static gpointer
wake_hard (gpointer data)
{
  Waker *w = data;

  while (!g_atomic_int_get (&w->stop)) {
    kithara_node_wake (w->node);
    kithara_node_wake_rt (w->node);
  }
  return NULL;
}

static gboolean
probe_ticked_plenty (gpointer data)
{
  return ((Probe *) data)->ticks >= 20000;
}

/* However hard it is woken, from however many threads, a node never
 * ticks on two threads at once. */
GST_START_TEST (test_one_node_one_thread)
{
  KitharaWorker *worker;
  Waker waker;
  GThread *threads[3];
  Probe p, other;
  guint i;

  kithara_context_set_threads ("k2-exclusive", 2);
  worker = kithara_worker_get ("k2-exclusive");
  probe_init (&p, worker, "p", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  probe_init (&other, worker, "other", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  kithara_worker_wait_parked (worker);
  probe_arm (&p, G_MAXUINT);    /* progress: always ready again */
  probe_arm (&other, G_MAXUINT);
  kithara_node_wake (other.node);

  waker.node = p.node;
  waker.stop = 0;
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("waker", wake_hard, &waker);
  wait_until (probe_ticked_plenty, &p, "20000 ticks");
  g_atomic_int_set (&waker.stop, 1);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  probe_arm (&p, 0);
  probe_arm (&other, 0);
  kithara_worker_wait_parked (worker);
  fail_unless_equals_int (g_atomic_int_get (&p.max_concurrent), 1);
  fail_unless_equals_int (g_atomic_int_get (&other.max_concurrent), 1);
  fail_unless (other.ticks > 0);

  probe_clear (&p, worker);
  probe_clear (&other, worker);
  kithara_worker_unref (worker);
}

GST_END_TEST;

/* With both threads busy, an audible, a warm and an idle node become
 * ready; the first thread to be free serves the audible node for as long
 * as it has work, then the warm one, then the idle one. */
GST_START_TEST (test_priority_across_threads)
{
  GString *log = g_string_new (NULL);
  KitharaWorker *worker;
  Probe b1, b2, a, w, i;

  kithara_context_set_threads ("k2-priority", 2);
  worker = kithara_worker_get ("k2-priority");
  probe_init (&b1, worker, "1", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  probe_init (&b2, worker, "2", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  probe_init (&i, worker, "I", KITHARA_SERVICE_CLASS_IDLE, log);
  probe_init (&w, worker, "W", KITHARA_SERVICE_CLASS_WARM, log);
  probe_init (&a, worker, "A", KITHARA_SERVICE_CLASS_AUDIBLE, log);
  kithara_worker_wait_parked (worker);

  probe_hold (&b1);
  probe_hold (&b2);
  /* Woken lowest first: the queues, not the wake order, decide. */
  probe_arm (&i, 0);
  probe_arm (&w, 0);
  probe_arm (&a, 4);
  kithara_node_wake (i.node);
  kithara_node_wake (w.node);
  kithara_node_wake (a.node);

  probe_release (&b1);
  wait_until (probe_has_ticked, &i, "the idle node");
  fail_unless_equals_string (log->str, "AAAAAWI");

  probe_release (&b2);
  kithara_worker_wait_parked (worker);
  probe_clear (&a, worker);
  probe_clear (&w, worker);
  probe_clear (&i, worker);
  probe_clear (&b1, worker);
  probe_clear (&b2, worker);
  kithara_worker_unref (worker);
  g_string_free (log, TRUE);
}

GST_END_TEST;

/* A class changed while a node waits in a queue counts at the next pick. */
GST_START_TEST (test_class_change_next_pick)
{
  GString *log = g_string_new (NULL);
  KitharaWorker *worker;
  Probe b, x, y;

  worker = kithara_worker_get ("k1-reclass");
  fail_unless_equals_int (threads_of (worker), 1);
  probe_init (&b, worker, "b", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  probe_init (&x, worker, "X", KITHARA_SERVICE_CLASS_WARM, log);
  probe_init (&y, worker, "Y", KITHARA_SERVICE_CLASS_IDLE, log);
  kithara_worker_wait_parked (worker);

  probe_hold (&b);
  probe_arm (&x, 0);
  probe_arm (&y, 0);
  kithara_node_wake (x.node);
  kithara_node_wake (y.node);
  kithara_node_set_service_class (y.node, KITHARA_SERVICE_CLASS_AUDIBLE);
  kithara_node_set_service_class (x.node, KITHARA_SERVICE_CLASS_IDLE);
  probe_release (&b);
  wait_until (probe_has_ticked, &x, "the node moved down");
  fail_unless_equals_string (log->str, "YX");

  probe_clear (&b, worker);
  probe_clear (&x, worker);
  probe_clear (&y, worker);
  kithara_worker_unref (worker);
  g_string_free (log, TRUE);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Configuration */

/* Checks every thread of @worker against @priority (0: normal). */
static void
check_policy (KitharaWorker * worker, gint priority)
{
  GstStructure *s = stats_of (worker);
  const GValue *ids = gst_structure_get_value (s, "thread-ids");
  gboolean realtime = FALSE;
  gint stated = -1;
  guint k;

  fail_unless (gst_structure_get_boolean (s, "realtime", &realtime));
  fail_unless (gst_structure_get_int (s, "realtime-priority", &stated));
  fail_unless_equals_int (stated, priority);
  fail_unless_equals_int (realtime, priority > 0);
  for (k = 0; k < gst_value_array_get_size (ids); k++) {
    gint tid = g_value_get_int (gst_value_array_get_value (ids, k));
    struct sched_param param;
    gint policy = sched_getscheduler (tid);

    fail_unless (sched_getparam (tid, &param) == 0);
    fail_unless_equals_int (policy & ~SCHED_RESET_ON_FORK,
        priority > 0 ? SCHED_FIFO : SCHED_OTHER);
    fail_unless_equals_int (param.sched_priority, priority);
  }
  gst_structure_free (s);
}

GST_START_TEST (test_configured_by_environment)
{
  KitharaWorker *worker = kithara_worker_get ("env-ctx");

  fail_unless_equals_int (threads_of (worker), 3);
  check_policy (worker, 0);
  kithara_worker_unref (worker);

  if (!kc_may_use_fifo ()) {
    g_print ("SCHED_FIFO not permitted here: env-rt not checked\n");
    return;
  }
  worker = kithara_worker_get ("env-rt");
  fail_unless_equals_int (threads_of (worker), 2);
  check_policy (worker, 11);
  kithara_worker_unref (worker);
}

GST_END_TEST;

/* The C API configures a context before it starts, and changes one that
 * runs. */
GST_START_TEST (test_configured_by_api)
{
  KitharaWorker *worker;
  Probe p;

  kithara_context_set_threads ("api-ctx", 2);
  worker = kithara_worker_get ("api-ctx");
  fail_unless_equals_int (threads_of (worker), 2);
  probe_init (&p, worker, "p", KITHARA_SERVICE_CLASS_WARM, NULL);

  kithara_context_set_threads ("api-ctx", 4);
  fail_unless_equals_int (threads_of (worker), 4);
  kithara_context_set_threads ("api-ctx", 1);
  fail_unless_equals_int (threads_of (worker), 1);
  kithara_context_set_threads ("api-ctx", 0);
  fail_unless_equals_int (threads_of (worker), g_get_num_processors ());

  /* Still serving its node. */
  probe_arm (&p, 0);
  kithara_node_wake (p.node);
  wait_until (probe_has_ticked, &p, "a tick after the changes");

  if (kc_may_use_fifo ()) {
    kithara_context_set_realtime ("api-ctx", 7);
    check_policy (worker, 7);
    kithara_context_set_threads ("api-ctx", 3);
    check_policy (worker, 7);
    kithara_context_set_realtime ("api-ctx", 0);
    check_policy (worker, 0);
  }

  probe_clear (&p, worker);
  kithara_worker_unref (worker);
}

GST_END_TEST;

/* A GstContext set on the pipeline configures the context its elements
 * name, and their stats show it. */
GST_START_TEST (test_configured_by_gst_context)
{
  gint priority = kc_may_use_fifo ()? 9 : 0;
  GstElement *pipeline = gst_parse_launch ("audiotestsrc num-buffers=5 ! "
      "kitharaeq name=eq context=gst-ctx ! fakesink", NULL);
  GstContext *ctx = kithara_context_config_new ("gst-ctx", 2, priority);
  GstStructure *s, *ws = NULL;
  GstElement *eq;
  GstMessage *msg;
  gboolean realtime;
  guint threads;

  gst_element_set_context (pipeline, ctx);
  gst_context_unref (ctx);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);

  eq = gst_bin_get_by_name (GST_BIN (pipeline), "eq");
  g_object_get (eq, "stats", &s, NULL);
  gst_object_unref (eq);
  fail_unless (gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &ws, NULL));
  fail_unless_equals_string (gst_structure_get_string (ws, "context"),
      "gst-ctx");
  fail_unless (gst_structure_get_uint (ws, "threads", &threads));
  fail_unless_equals_int (threads, 2);
  fail_unless (gst_structure_get_boolean (ws, "realtime", &realtime));
  fail_unless_equals_int (realtime, priority > 0);
  gst_structure_free (ws);
  gst_structure_free (s);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Takes from this thread what lets it give threads SCHED_FIFO: the
 * effective CAP_SYS_NICE (capabilities are per thread) and any
 * RLIMIT_RTPRIO allowance (per process; @saved restores it). */
static void
drop_realtime_permission (struct rlimit *saved)
{
  struct rlimit none;
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
  struct sched_param param = { 1 };

  fail_unless (getrlimit (RLIMIT_RTPRIO, saved) == 0);
  none = *saved;
  none.rlim_cur = 0;
  fail_unless (setrlimit (RLIMIT_RTPRIO, &none) == 0, "setrlimit: %s",
      g_strerror (errno));
  /* Raw syscalls: libcap is not a dependency. */
  fail_unless (syscall (SYS_capget, &header, caps) == 0);
  caps[CAP_TO_INDEX (CAP_SYS_NICE)].effective &=
      ~CAP_TO_MASK (CAP_SYS_NICE);
  fail_unless (syscall (SYS_capset, &header, caps) == 0, "capset: %s",
      g_strerror (errno));
  fail_unless (sched_setscheduler (0, SCHED_FIFO, &param) == -1
      && errno == EPERM, "SCHED_FIFO still permitted after dropping it");
}

static gpointer
start_refused_context (gpointer data)
{
  struct rlimit saved;
  KitharaWorker *worker;

  drop_realtime_permission (&saved);
  kithara_context_set_realtime ("refused", 30);
  worker = kithara_worker_get ("refused");
  setrlimit (RLIMIT_RTPRIO, &saved);
  return worker;
}

/* Asked for real-time priority where it may not have it, a context runs
 * at normal priority, says so with one warning, and its stats show it. */
GST_START_TEST (test_realtime_refused)
{
  KitharaWorker *worker = NULL;
  GstStructure *s;
  gboolean realtime = TRUE;
  Probe p;

  ASSERT_WARNING (worker = g_thread_join (g_thread_new ("no-rt",
              start_refused_context, NULL)));
  s = stats_of (worker);
  fail_unless (gst_structure_get_boolean (s, "realtime", &realtime));
  fail_if (realtime);
  gst_structure_free (s);
  fail_unless_equals_int (sched_getscheduler (worker_first_tid (worker)) &
      ~SCHED_RESET_ON_FORK, SCHED_OTHER);

  /* It works as ever, and warns no more. */
  probe_init (&p, worker, "p", KITHARA_SERVICE_CLASS_AUDIBLE, NULL);
  kithara_worker_wait_parked (worker);
  probe_clear (&p, worker);
  kithara_worker_unref (worker);
}

GST_END_TEST;

static Suite *
scheduler_suite (void)
{
  Suite *s = suite_create ("kithara-scheduler");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_threads_tick_concurrently);
  tcase_add_test (tc, test_one_node_one_thread);
  tcase_add_test (tc, test_priority_across_threads);
  tcase_add_test (tc, test_class_change_next_pick);
  tcase_add_test (tc, test_configured_by_environment);
  tcase_add_test (tc, test_configured_by_api);
  tcase_add_test (tc, test_configured_by_gst_context);
  tcase_add_test (tc, test_realtime_refused);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  /* Read when the first context starts. */
  g_setenv (KITHARA_CONTEXTS_ENV, ENV_SPEC, TRUE);
  gst_check_init (&argc, &argv);
  s = scheduler_suite ();
  return kc_exit_status (gst_check_run_suite (s, "scheduler", __FILE__));
}
