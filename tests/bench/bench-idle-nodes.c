/* bench-idle-nodes: what waiting nodes cost a busy one.
 *
 * One context holds N nodes that wait (each ticked once when added, then
 * never woken again) and one node that always reports progress.  Over a
 * wall-clock window the busy node's tick rate and the context's CPU time
 * per tick show how much the idle nodes slow the scheduler down; ideally
 * nothing, as a node that waits for a wake-up should not be looked at.
 *
 * Usage: bench-idle-nodes [--seconds S] [--repeats R]
 *                         [--counts N,...] [--threads K]
 * --threads sets KITHARA_CONTEXTS=bench-idle:threads=K before the context
 * is created; the CPU time is summed over every thread the worker's stats
 * name ("thread-ids", else "thread-id").
 */
#include <gst/gst.h>
#include <stdlib.h>
#include "benchutil.h"
#include "kitharanode.h"
#include "kitharaworker.h"

#define CONTEXT "bench-idle"
#define GOAL_WAITING 10000
#define GOAL_TICKS_PER_S 1000000.0

static gdouble opt_seconds = 1.0;
static gint opt_repeats = 3;
static gchar *opt_counts = NULL;
static gint opt_threads = 0;

static KitharaTickResult
busy_tick (KitharaNode * node, gpointer user_data)
{
  return KITHARA_TICK_PROGRESS;
}

/* Counts its ticks; nothing wakes it again, so it should tick only once. */
static KitharaTickResult
waiting_tick (KitharaNode * node, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return KITHARA_TICK_WAITING;
}

static guint64
ticks_of (KitharaNode * node)
{
  KitharaNodeStats stats;

  kithara_node_get_stats (node, &stats);
  return stats.ticks;
}

/* Median tick rate of the busy node and CPU ns per tick beside
 * @n_waiting waiting nodes; FALSE if the waiting nodes did not all tick. */
static gboolean
measure (KitharaWorker * worker, guint n_waiting, gdouble * ticks_per_s,
    gdouble * ns_per_tick)
{
  KitharaNode **waiting = g_new0 (KitharaNode *, n_waiting);
  KitharaNode *busy;
  gdouble *rates = g_new0 (gdouble, opt_repeats);
  gdouble *costs = g_new0 (gdouble, opt_repeats);
  gint first_ticks = 0;
  gboolean ok;
  guint i;
  gint r;

  for (i = 0; i < n_waiting; i++) {
    waiting[i] = kithara_node_new ("waiting", NULL, waiting_tick, &first_ticks);
    kithara_worker_add_node (worker, waiting[i]);
  }
  /* Each waiting node is ticked once when added; once the worker has
   * parked they all have been, and none is due again. */
  kithara_worker_wait_parked (worker);
  ok = (guint) g_atomic_int_get (&first_ticks) == n_waiting;
  if (!ok)
    g_printerr ("%u waiting nodes: %d first ticks before the worker parked\n",
        n_waiting, g_atomic_int_get (&first_ticks));

  busy = kithara_node_new ("busy", NULL, busy_tick, NULL);
  kithara_worker_add_node (worker, busy);

  for (r = 0; ok && r < opt_repeats; r++) {
    guint64 ticks0, ticks1, cpu0, cpu1;
    gint64 t0, t1;

    ticks0 = ticks_of (busy);
    cpu0 = bench_worker_cpu_ns (worker);
    t0 = g_get_monotonic_time ();
    /* The measurement window: a fixed stretch of wall-clock time to count
     * ticks over, not a wait for anything to happen. */
    g_usleep (opt_seconds * G_USEC_PER_SEC);
    ticks1 = ticks_of (busy);
    cpu1 = bench_worker_cpu_ns (worker);
    t1 = g_get_monotonic_time ();

    rates[r] = (ticks1 - ticks0) / ((t1 - t0) / 1e6);
    costs[r] = (gdouble) (cpu1 - cpu0) / MAX (ticks1 - ticks0, 1);
  }
  if (ok) {
    *ticks_per_s = bench_median (rates, opt_repeats);
    *ns_per_tick = bench_median (costs, opt_repeats);
  }

  kithara_worker_remove_node (worker, busy);
  kithara_node_unref (busy);
  for (i = 0; i < n_waiting; i++) {
    kithara_worker_remove_node (worker, waiting[i]);
    kithara_node_unref (waiting[i]);
  }
  g_free (waiting);
  g_free (rates);
  g_free (costs);
  return ok;
}

static guint *
parse_counts (const gchar * text, guint * n)
{
  gchar **parts = g_strsplit (text, ",", -1);
  guint *v = g_new0 (guint, g_strv_length (parts) + 1);
  guint64 value;
  guint i;

  *n = 0;
  for (i = 0; parts[i]; i++) {
    if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, G_MAXUINT,
            &value, NULL)) {
      g_free (v);
      v = NULL;
      break;
    }
    v[(*n)++] = (guint) value;
  }
  g_strfreev (parts);
  return v;
}

static GOptionEntry entries[] = {
  {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &opt_seconds,
      "Measurement window (default 1)", "S"},
  {"repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats,
      "Windows per count (median; default 3)", "R"},
  {"counts", 'n', 0, G_OPTION_ARG_STRING, &opt_counts,
      "Waiting node counts (default 0,100,1000,10000)", "N,..."},
  {"threads", 't', 0, G_OPTION_ARG_INT, &opt_threads,
      "Threads of the context (sets KITHARA_CONTEXTS=" CONTEXT ":threads=K)",
      "K"},
  {NULL}
};

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  KitharaWorker *worker;
  GstStructure *stats;
  guint threads = 0;
  gdouble *rates, *costs, goal_rate = -1;
  guint *counts, n_counts, i;
  gboolean ok = TRUE;

  gst_init (&argc, &argv);
  ctx = g_option_context_new ("- one busy node beside N waiting nodes");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  counts = parse_counts (opt_counts ? opt_counts : "0,100,1000,10000",
      &n_counts);
  if (counts == NULL || n_counts == 0) {
    g_printerr ("--counts takes node counts separated by commas\n");
    return 2;
  }
  if (opt_repeats < 1 || opt_seconds <= 0 || opt_threads < 0) {
    g_printerr ("nothing to measure\n");
    return 2;
  }

  /* Read by the runtime when the context is created. */
  if (opt_threads > 0) {
    gchar *spec = g_strdup_printf (CONTEXT ":threads=%d", opt_threads);

    g_setenv ("KITHARA_CONTEXTS", spec, TRUE);
    g_free (spec);
  }
  worker = kithara_worker_get (CONTEXT);

  stats = kithara_worker_get_stats (worker);
  gst_structure_get_uint (stats, "threads", &threads);
  gst_structure_free (stats);
  if (opt_threads > 0 && (guint) opt_threads != threads)
    g_print ("bench-idle-nodes: one busy node beside N waiting nodes "
        "(context threads: %d requested, %u running)\n", opt_threads,
        threads);
  else
    g_print ("bench-idle-nodes: one busy node beside N waiting nodes "
        "(context threads: %u)\n", threads);
  g_print (" waiting   ticks/s (median)   ns CPU/tick   vs N=%u\n", counts[0]);

  rates = g_new0 (gdouble, n_counts);
  costs = g_new0 (gdouble, n_counts);
  for (i = 0; i < n_counts; i++) {
    if (!measure (worker, counts[i], &rates[i], &costs[i])) {
      ok = FALSE;
      break;
    }
    g_print ("%8u%19.0f%14.0f%9.2f\n", counts[i], rates[i], costs[i],
        rates[0] > 0 ? rates[i] / rates[0] : 0.0);
    if (counts[i] == GOAL_WAITING)
      goal_rate = rates[i];
  }

  if (!ok)
    g_print ("goal: >= %.0f ticks/s at %d waiting nodes: not measured\n",
        GOAL_TICKS_PER_S, GOAL_WAITING);
  else if (goal_rate < 0)
    g_print ("goal: >= %.0f ticks/s at %d waiting nodes: not measured "
        "(%d not among the counts)\n", GOAL_TICKS_PER_S, GOAL_WAITING,
        GOAL_WAITING);
  else
    g_print ("goal: >= %.0f ticks/s at %d waiting nodes: %s\n",
        GOAL_TICKS_PER_S, GOAL_WAITING,
        goal_rate >= GOAL_TICKS_PER_S ? "MET" : "MISSED");

  kithara_worker_unref (worker);
  g_free (rates);
  g_free (costs);
  g_free (counts);
  return ok ? 0 : 1;
}
