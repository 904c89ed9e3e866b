/* bench-eq: kitharaeq against equalizer-nbands, same 10 bands, same audio.
 *
 * Each run processes 60 s of 48 kHz stereo F32 in 10 ms buffers through
 * "audiotestsrc ! <eq> ! fakesink sync=false"; a run with identity in
 * place of the EQ is subtracted, so what remains is the EQ's own CPU time
 * per 10 ms block.  For kitharaeq that includes handing each buffer from
 * the source's thread to the worker; a flat (bypassed) kitharaeq measures
 * that hand-over alone.  Runs alternate; medians are printed.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include "benchutil.h"

#define BLOCKS 6000             /* 60 s of 10 ms blocks */
#define REPEATS 7

static gdouble
run_once (const gchar * eq, gboolean flat)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%d "
      "samplesperbuffer=480 wave=pink-noise ! audio/x-raw,format=F32LE,"
      "rate=48000,channels=2 ! %s name=eq ! fakesink sync=false", BLOCKS, eq);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "eq");
  BenchSample before, after;
  guint i;

  g_assert (p != NULL && e != NULL);
  if (GST_IS_CHILD_PROXY (e)) {
    /* Same bands everywhere: alternating +-6 dB. */
    for (i = 0; i < 10; i++) {
      gchar *name = g_strdup_printf ("band%u::gain", i);

      gst_child_proxy_set (GST_CHILD_PROXY (e), name, flat ? 0.0 :
          (i % 2) ? -6.0 : 6.0, NULL);
      g_free (name);
    }
  }
  bench_sample (&before);
  gst_element_set_state (p, GST_STATE_PLAYING);
  bench_wait_eos (p);
  bench_sample (&after);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (e);
  gst_object_unref (p);
  g_free (desc);
  return after.cpu_s - before.cpu_s;
}

int
main (int argc, char **argv)
{
  gdouble base[REPEATS], stock[REPEATS], ours[REPEATS], flat[REPEATS];
  gdouble b, s, k, f;
  guint i;

  gst_init (&argc, &argv);
  for (i = 0; i < REPEATS; i++) {
    base[i] = run_once ("identity", TRUE);
    stock[i] = run_once ("equalizer-nbands num-bands=10", FALSE);
    ours[i] = run_once ("kitharaeq num-bands=10", FALSE);
    flat[i] = run_once ("kitharaeq num-bands=10", TRUE);
  }
  b = bench_median (base, REPEATS);
  s = bench_median (stock, REPEATS) - b;
  k = bench_median (ours, REPEATS) - b;
  f = bench_median (flat, REPEATS) - b;

  g_print ("EQ, 10 bands at +-6 dB, 48 kHz stereo F32, CPU per 10 ms block "
      "(median of %d runs of %d blocks, identity baseline subtracted)\n",
      REPEATS, BLOCKS);
  g_print ("  equalizer-nbands                 %7.2f us\n", s / BLOCKS * 1e6);
  g_print ("  kitharaeq (element + hand-over)  %7.2f us\n", k / BLOCKS * 1e6);
  g_print ("  kitharaeq flat (hand-over only)  %7.2f us\n", f / BLOCKS * 1e6);
  g_print ("  kitharaeq filtering alone        %7.2f us\n",
      (k - f) / BLOCKS * 1e6);
  g_print ("ratio kithara/stock CPU per block: filtering %.2f (target <= 1.0), "
      "with the thread hand-over from the source %.2f\n", (k - f) / s, k / s);
  return 0;
}
