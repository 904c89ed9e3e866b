/* bench-decode: decoding N files at once, kitharadecode against decodebin.
 *
 * N pipelines "filesrc ! <decoder> ! fakesink sync=false async=false" on the same
 * encoded file run to EOS together; process CPU, wall time, peak thread
 * count and context switches are compared, for FLAC and MP3 and N = 1,
 * 16, 64.  The file is made by the benchmark with GStreamer's encoders.
 * Every measurement runs in a fresh child process, so that threads
 * GStreamer keeps pooled from one run are not counted in the next.
 */
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include "benchutil.h"

#define REPEATS 7

typedef struct
{
  gdouble cpu_s, wall_s, csw;
  guint threads;
} Result;

static gchar *
make_file (const gchar * dir, const gchar * name, const gchar * encoder)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=1300 "
      "wave=pink-noise ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! "
      "%s ! filesink location=\"%s\"", encoder, path);

  bench_render (desc);
  g_free (desc);
  return path;
}

static void
run_once (const gchar * path, const gchar * decoder, guint n, Result * r)
{
  GstElement **p = g_new0 (GstElement *, n);
  BenchSample before, after;
  guint i;

  for (i = 0; i < n; i++) {
    gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! "
        "fakesink sync=false async=false", path, decoder);

    p[i] = gst_parse_launch (desc, NULL);
    g_free (desc);
  }
  bench_sample (&before);
  for (i = 0; i < n; i++)
    gst_element_set_state (p[i], GST_STATE_PLAYING);
  r->threads = bench_thread_count ();
  for (i = 0; i < n; i++) {
    bench_wait_eos (p[i]);
    r->threads = MAX (r->threads, bench_thread_count ());
  }
  bench_sample (&after);
  r->cpu_s = after.cpu_s - before.cpu_s;
  r->wall_s = after.wall_s - before.wall_s;
  r->csw = after.csw - before.csw;
  for (i = 0; i < n; i++) {
    gst_element_set_state (p[i], GST_STATE_NULL);
    gst_object_unref (p[i]);
  }
  g_free (p);
}

static const gchar *self_path;

/* Runs one measurement in a child process (this program, "--run"). */
static void
run_in_child (const gchar * path, const gchar * decoder, guint n, Result * r)
{
  gchar *count = g_strdup_printf ("%u", n);
  const gchar *argv[] = { self_path, "--run", decoder, path, count, NULL };
  gchar *out = NULL;
  gint status = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          &out, NULL, &status, NULL) || status != 0 ||
      sscanf (out, "%lf %lf %lf %u", &r->cpu_s, &r->wall_s, &r->csw,
          &r->threads) != 4)
    g_error ("measurement of %s failed", decoder);
  g_free (out);
  g_free (count);
}

/* The two decoders run alternately, so that a change in the load of a
 * shared machine weighs on both alike. */
static void
measure (const gchar * format, const gchar * path, guint n)
{
  const gchar *decoders[2] = { "decodebin", "kitharadecode" };
  gdouble cpu[2][REPEATS], wall[2][REPEATS], csw[2][REPEATS];
  Result med[2];
  guint d, i;

  for (d = 0; d < 2; d++)
    med[d].threads = 0;
  for (i = 0; i < REPEATS; i++) {
    for (d = 0; d < 2; d++) {
      Result r;

      run_in_child (path, decoders[d], n, &r);
      cpu[d][i] = r.cpu_s;
      wall[d][i] = r.wall_s;
      csw[d][i] = r.csw;
      med[d].threads = MAX (med[d].threads, r.threads);
    }
  }
  for (d = 0; d < 2; d++) {
    med[d].cpu_s = bench_median (cpu[d], REPEATS);
    med[d].wall_s = bench_median (wall[d], REPEATS);
    med[d].csw = bench_median (csw[d], REPEATS);
  }
  g_print ("%-5s N=%-3u | decodebin cpu %6.2f s wall %6.2f s threads %4u "
      "csw %7.0f | kithara cpu %6.2f s wall %6.2f s threads %4u csw %7.0f | "
      "ratio cpu %.2f\n", format, n, med[0].cpu_s, med[0].wall_s,
      med[0].threads, med[0].csw, med[1].cpu_s, med[1].wall_s, med[1].threads,
      med[1].csw, med[1].cpu_s / med[0].cpu_s);
}

int
main (int argc, char **argv)
{
  gchar *dir, *flac, *mp3;
  const guint counts[] = { 1, 16, 64 };
  guint i;

  gst_init (&argc, &argv);
  if (argc == 5 && g_str_equal (argv[1], "--run")) {
    Result r;

    run_once (argv[3], argv[2], atoi (argv[4]), &r);
    g_print ("%f %f %f %u\n", r.cpu_s, r.wall_s, r.csw, r.threads);
    return 0;
  }
  self_path = argv[0];
  dir = g_dir_make_tmp ("kithara-bench-XXXXXX", NULL);
  flac = make_file (dir, "a.flac", "flacenc");
  mp3 = make_file (dir, "a.mp3", "lamemp3enc");

  g_print ("Decoding N copies of a 30 s 44.1 kHz stereo file at once to "
      "fakesink sync=false async=false (median of %d runs; targets: CPU ratio <= 1.0 "
      "at N=1, <= 0.8 at N=64; threads independent of N)\n", REPEATS);
  for (i = 0; i < G_N_ELEMENTS (counts); i++)
    measure ("FLAC", flac, counts[i]);
  for (i = 0; i < G_N_ELEMENTS (counts); i++)
    measure ("MP3", mp3, counts[i]);

  g_unlink (flac);
  g_unlink (mp3);
  g_rmdir (dir);
  g_free (flac);
  g_free (mp3);
  g_free (dir);
  return 0;
}
