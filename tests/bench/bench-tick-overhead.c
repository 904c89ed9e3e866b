/* bench-tick-overhead: what the runtime costs per tick.
 *
 * Nodes that do nothing but report progress are ticked for one second by
 * a context of one thread, then of two; the tick rate and the threads'
 * CPU time per tick are the scheduling cost of the runtime itself.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include "benchutil.h"
#include "kitharanode.h"
#include "kitharaworker.h"
#include "kitharacontext.h"

static KitharaTickResult
do_nothing (KitharaNode * node, gpointer user_data)
{
  return KITHARA_TICK_PROGRESS;
}

static guint64
ticks_of (KitharaNode ** nodes, guint n)
{
  KitharaNodeStats stats;
  guint64 total = 0;
  guint i;

  for (i = 0; i < n; i++) {
    kithara_node_get_stats (nodes[i], &stats);
    total += stats.ticks;
  }
  return total;
}

static void
measure (guint n_threads, guint n_nodes, gdouble seconds)
{
  KitharaNode **nodes = g_new0 (KitharaNode *, n_nodes);
  KitharaWorker *worker;
  guint64 ticks0, ticks1, cpu0, cpu1;
  gint64 t0, t1;
  guint i;

  kithara_context_set_threads ("bench-ticks", n_threads);
  worker = kithara_worker_get ("bench-ticks");
  for (i = 0; i < n_nodes; i++) {
    nodes[i] = kithara_node_new ("noop", NULL, do_nothing, NULL);
    kithara_worker_add_node (worker, nodes[i]);
  }

  /* The measurement window (a benchmark's, not synchronisation). */
  ticks0 = ticks_of (nodes, n_nodes);
  cpu0 = bench_worker_cpu_ns (worker);
  t0 = g_get_monotonic_time ();
  g_usleep (seconds * G_USEC_PER_SEC);
  ticks1 = ticks_of (nodes, n_nodes);
  cpu1 = bench_worker_cpu_ns (worker);
  t1 = g_get_monotonic_time ();

  for (i = 0; i < n_nodes; i++) {
    kithara_worker_remove_node (worker, nodes[i]);
    kithara_node_unref (nodes[i]);
  }
  g_free (nodes);
  kithara_worker_unref (worker);

  g_print ("%4u threads %6u nodes  %12.0f ticks/s  %8.1f ns CPU per tick\n",
      n_threads, n_nodes, (ticks1 - ticks0) / ((t1 - t0) / 1e6),
      (gdouble) (cpu1 - cpu0) / MAX (ticks1 - ticks0, 1));
}

int
main (int argc, char **argv)
{
  gdouble seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 1.0;
  guint threads;

  gst_init (&argc, &argv);
  g_print ("Runtime overhead: nodes that only report progress, one context "
      "of 1 and 2 threads, %.1f s each (target >= 5,000,000 ticks/s with "
      "1 thread)\n", seconds);
  for (threads = 1; threads <= 2; threads++) {
    measure (threads, 1, seconds);
    measure (threads, 10, seconds);
    measure (threads, 100, seconds);
  }
  return 0;
}
