/* Shared helpers of the benchmarks: process CPU time, context switches,
 * thread counts, medians.  Benchmarks measure; they assert nothing. */
#ifndef __KITHARA_BENCH_UTIL_H__
#define __KITHARA_BENCH_UTIL_H__

#include <gst/gst.h>
#include <sys/resource.h>
#include "kitharaworker.h"

typedef struct
{
  gdouble cpu_s;                /* user + system, all threads */
  gdouble wall_s;
  gint64 csw;                   /* voluntary + involuntary, all threads */
} BenchSample;

static inline void
bench_sample (BenchSample * s)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  s->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  s->csw = ru.ru_nvcsw + ru.ru_nivcsw;
  s->wall_s = g_get_monotonic_time () / 1e6;
}

static inline guint
bench_thread_count (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  if (dir)
    g_dir_close (dir);
  return n;
}

/* CPU time of one thread of this process, from the scheduler's view. */
static inline guint64
bench_thread_cpu_ns (gint tid)
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

/* CPU time of every thread of @worker ("thread-ids" of its stats). */
static inline guint64
bench_worker_cpu_ns (KitharaWorker * worker)
{
  GstStructure *stats = kithara_worker_get_stats (worker);
  const GValue *ids = gst_structure_get_value (stats, "thread-ids");
  guint64 ns = 0;
  guint i;

  for (i = 0; i < gst_value_array_get_size (ids); i++)
    ns += bench_thread_cpu_ns (g_value_get_int (gst_value_array_get_value
            (ids, i)));
  gst_structure_free (stats);
  return ns;
}

static inline gint
bench_compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble da = *(const gdouble *) a, db = *(const gdouble *) b;

  return da < db ? -1 : da > db;
}

static inline gdouble
bench_median (gdouble * values, guint n)
{
  qsort (values, n, sizeof (gdouble), (GCompareFunc) bench_compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Waits for @pipeline (PLAYING) to reach EOS; an error ends the run. */
static inline void
bench_wait_eos (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  g_assert (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
}

/* Runs @description to EOS, e.g. to encode an input file. */
static inline void
bench_render (const gchar * description)
{
  GstElement *p = gst_parse_launch (description, NULL);

  g_assert (p != NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  bench_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

#endif /* __KITHARA_BENCH_UTIL_H__ */
