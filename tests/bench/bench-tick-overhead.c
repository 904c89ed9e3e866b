/* bench-tick-overhead: what the runtime costs per tick.
 *
 * Nodes that do nothing but report progress are ticked by one worker for
 * one second; the tick rate and the worker's CPU time per tick are the
 * scheduling cost of the runtime itself.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include "kitharanode.h"
#include "kitharaworker.h"

static KitharaTickResult
do_nothing (KitharaNode * node, gpointer user_data)
{
  return KITHARA_TICK_PROGRESS;
}

static guint64
thread_cpu_ns (gint tid)
{
  gchar *path = g_strdup_printf ("/proc/self/task/%d/schedstat", tid);
  gchar *contents = NULL;
  guint64 ns = 0;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    ns = g_ascii_strtoull (contents, NULL, 10);
  g_free (contents);
  g_free (path);
  return ns;
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
measure (guint n_nodes, gdouble seconds)
{
  KitharaWorker *worker = kithara_worker_get ("bench-ticks");
  KitharaNode **nodes = g_new0 (KitharaNode *, n_nodes);
  GstStructure *stats = kithara_worker_get_stats (worker);
  guint64 ticks0, ticks1, cpu0, cpu1;
  gint64 t0, t1;
  gint tid = 0;
  guint i;

  gst_structure_get_int (stats, "thread-id", &tid);
  gst_structure_free (stats);
  for (i = 0; i < n_nodes; i++) {
    nodes[i] = kithara_node_new ("noop", NULL, do_nothing, NULL);
    kithara_worker_add_node (worker, nodes[i]);
  }

  /* The measurement window. */
  ticks0 = ticks_of (nodes, n_nodes);
  cpu0 = thread_cpu_ns (tid);
  t0 = g_get_monotonic_time ();
  g_usleep (seconds * G_USEC_PER_SEC);
  ticks1 = ticks_of (nodes, n_nodes);
  cpu1 = thread_cpu_ns (tid);
  t1 = g_get_monotonic_time ();

  for (i = 0; i < n_nodes; i++) {
    kithara_worker_remove_node (worker, nodes[i]);
    kithara_node_unref (nodes[i]);
  }
  g_free (nodes);
  kithara_worker_unref (worker);

  g_print ("%6u nodes  %12.0f ticks/s  %8.1f ns CPU per tick\n", n_nodes,
      (ticks1 - ticks0) / ((t1 - t0) / 1e6),
      (gdouble) (cpu1 - cpu0) / MAX (ticks1 - ticks0, 1));
}

int
main (int argc, char **argv)
{
  gdouble seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 1.0;

  gst_init (&argc, &argv);
  g_print ("Runtime overhead: nodes that only report progress, one worker, "
      "%.1f s each (target >= 1,000,000 ticks/s)\n", seconds);
  measure (1, seconds);
  measure (10, seconds);
  measure (100, seconds);
  return 0;
}
