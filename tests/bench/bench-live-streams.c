/* bench-live-streams: many live streams with an EQ, stock against kithara,
 * in one process run.
 *
 * stock:   audiotestsrc is-live=true ! equalizer-nbands ! queue ! fakesink
 * kithara: audiotestsrc is-live=true ! kitharaeq ! fakesink
 *
 * For each phase: the process's thread count, CPU (% of one core) and
 * context switches per second over a measurement window.  The
 * audiotestsrc streaming threads are there in both phases (one per
 * source); kitharadecode removes them for file sources.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include "benchutil.h"

#define CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2"

typedef struct
{
  guint threads;
  gdouble cpu_percent;
  gdouble csw_per_s;
  gdouble wakeups_per_buffer;   /* the kithara worker's; -1 for stock */
} Phase;

/* The wake-ups of the worker of element "k" in @pipeline, or -1. */
static gdouble
worker_wakeups (GstElement * pipeline)
{
  GstElement *k = gst_bin_get_by_name (GST_BIN (pipeline), "k");
  GstStructure *s = NULL, *ws = NULL;
  guint64 wakeups = 0;

  if (k == NULL)
    return -1;
  g_object_get (k, "stats", &s, NULL);
  gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &ws, NULL);
  gst_structure_get_uint64 (ws, "wakeups", &wakeups);
  gst_structure_free (ws);
  gst_structure_free (s);
  gst_object_unref (k);
  return wakeups;
}

static void
run_phase (const gchar * chain, guint n, gdouble seconds, Phase * out)
{
  GstElement **p = g_new0 (GstElement *, n);
  BenchSample before, after;
  gdouble wakeups0;
  guint i;

  for (i = 0; i < n; i++) {
    gchar *desc = g_strdup_printf ("audiotestsrc is-live=true "
        "samplesperbuffer=480 ! " CAPS " ! %s ! fakesink sync=false", chain);

    p[i] = gst_parse_launch (desc, NULL);
    g_assert (p[i] != NULL);
    g_free (desc);
    gst_element_set_state (p[i], GST_STATE_PLAYING);
  }
  for (i = 0; i < n; i++)
    gst_element_get_state (p[i], NULL, NULL, GST_CLOCK_TIME_NONE);

  /* Settle, then the measurement window. */
  g_usleep (G_USEC_PER_SEC);
  wakeups0 = worker_wakeups (p[0]);
  bench_sample (&before);
  g_usleep (seconds * G_USEC_PER_SEC);
  bench_sample (&after);
  /* Buffers of 10 ms: 100 a second per stream. */
  out->wakeups_per_buffer = wakeups0 < 0 ? -1 :
      (worker_wakeups (p[0]) - wakeups0) / (n * 100.0 *
      (after.wall_s - before.wall_s));
  out->threads = bench_thread_count ();
  out->cpu_percent = 100.0 * (after.cpu_s - before.cpu_s) /
      (after.wall_s - before.wall_s);
  out->csw_per_s = (after.csw - before.csw) / (after.wall_s - before.wall_s);

  for (i = 0; i < n; i++) {
    gst_element_set_state (p[i], GST_STATE_NULL);
    gst_object_unref (p[i]);
  }
  g_free (p);
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? atoi (argv[1]) : 200;
  gdouble seconds = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 8.0;
  Phase stock, ours;

  gst_init (&argc, &argv);
  run_phase ("equalizer-nbands num-bands=10 ! queue", n, seconds, &stock);
  run_phase ("kitharaeq name=k num-bands=10", n, seconds, &ours);

  g_print ("%u live streams, 48 kHz stereo, 10 ms buffers, %.0f s window\n",
      n, seconds);
  g_print ("  %-8s %8s %10s %14s\n", "", "threads", "CPU %", "ctx switch/s");
  g_print ("  %-8s %8u %10.1f %14.0f\n", "stock", stock.threads,
      stock.cpu_percent, stock.csw_per_s);
  g_print ("  %-8s %8u %10.1f %14.0f\n", "kithara", ours.threads,
      ours.cpu_percent, ours.csw_per_s);
  g_print ("ratio kithara/stock: threads %.2f, CPU %.2f, context switches "
      "%.2f\n", (gdouble) ours.threads / stock.threads,
      ours.cpu_percent / stock.cpu_percent, ours.csw_per_s / stock.csw_per_s);
  g_print ("kithara worker wake-ups per buffer: %.2f\n",
      ours.wakeups_per_buffer);
  g_print ("note: both phases keep one audiotestsrc thread per stream.\n");
  return 0;
}
