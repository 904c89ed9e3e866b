/* bench-eq: kitharaeq against equalizer-nbands, same 10 bands, same audio.
 *
 * Process CPU: each run processes 60 s of 48 kHz stereo F32 in 10 ms
 * buffers through "audiotestsrc ! <eq> ! fakesink sync=false"; a run with
 * identity in place of the EQ is subtracted, so what remains is the EQ's
 * own CPU time per 10 ms block.  For kitharaeq that includes handing each
 * buffer from the source's thread to the worker; a flat (bypassed)
 * kitharaeq measures that hand-over alone.
 *
 * In the pipeline against the filter alone: kitharaeq's time per block
 * as a node of the worker, its ticks' busy time from its stats (pop, band
 * update, filtering, push into the next node's inlet), between two flat
 * kitharaeqs as a deck's EQ is between its decoder and its resampler;
 * against its filter loop alone on the same bands, block size and audio.
 * Their ratio is what the element costs around its filter.
 * equalizer-nbands' time per block in the pipeline is taken between
 * probes on its two pads.
 *
 * Runs alternate; medians are printed.
 */
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "benchutil.h"
/* The filter loop itself (built into this program: the plugin does not
 * export it). */
#include "kitharabiquad.h"

#define BLOCKS 6000             /* 60 s of 10 ms blocks */
#define REPEATS 7
#define FRAMES 480
#define CHANNELS 2
#define BANDS 10
#define CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2"
/* The bank kitharaeq allocates (GST_KITHARA_EQ_MAX_BANDS). */
#define ELEMENT_MAX_BANDS 64
/* Blocks of source audio the filter loop cycles through. */
#define RING 16

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Same bands everywhere: alternating +-6 dB. */
static void
set_gains (GstElement * e, gboolean flat)
{
  guint i;

  for (i = 0; i < BANDS; i++) {
    gchar *name = g_strdup_printf ("band%u::gain", i);

    gst_child_proxy_set (GST_CHILD_PROXY (e), name, flat ? 0.0 :
        (i % 2) ? -6.0 : 6.0, NULL);
    g_free (name);
  }
}

static gdouble
run_once (const gchar * eq, gboolean flat)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%d "
      "samplesperbuffer=%d wave=pink-noise ! " CAPS " ! %s name=eq ! "
      "fakesink sync=false", BLOCKS, FRAMES, eq);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "eq");
  BenchSample before, after;

  g_assert (p != NULL && e != NULL);
  if (GST_IS_CHILD_PROXY (e))
    set_gains (e, flat);
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

/* kitharaeq's busy time per block: its node inside the worker between
 * two others (flat kitharaeqs), as a deck's EQ is between its decoder and
 * its resampler; or fed by the source's thread and pushing out through
 * an exit (its pops then wake the source's thread, waiting on the full
 * inlet). */
static gdouble
run_node (gboolean between_nodes)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%d "
      "samplesperbuffer=%d wave=pink-noise ! " CAPS " ! %s ! fakesink "
      "sync=false", BLOCKS, FRAMES, between_nodes ? "kitharaeq num-bands=1 "
      "! kitharaeq name=eq ! kitharaeq num-bands=1" : "kitharaeq name=eq");
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "eq");
  GstStructure *stats;
  guint64 busy = 0;

  g_assert (p != NULL && e != NULL);
  set_gains (e, FALSE);
  gst_element_set_state (p, GST_STATE_PLAYING);
  bench_wait_eos (p);
  g_object_get (e, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "busy-ns", &busy);
  gst_structure_free (stats);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (e);
  gst_object_unref (p);
  g_free (desc);
  return busy / 1e3 / BLOCKS;
}

typedef struct
{
  gint64 start;                 /* of the buffer in the element, ns */
  gint64 total;
} Between;

static GstPadProbeReturn
into_eq (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  ((Between *) user_data)->start = now_ns ();
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
out_of_eq (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Between *b = user_data;

  b->total += now_ns () - b->start;
  return GST_PAD_PROBE_OK;
}

/* equalizer-nbands' time per block, from its sink pad to its src pad. */
static gdouble
run_stock_between_pads (void)
{
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers="
      G_STRINGIFY (BLOCKS) " samplesperbuffer=" G_STRINGIFY (FRAMES)
      " wave=pink-noise ! " CAPS " ! equalizer-nbands name=eq num-bands="
      G_STRINGIFY (BANDS) " ! fakesink sync=false", NULL);
  GstElement *e = gst_bin_get_by_name (GST_BIN (p), "eq");
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstPad *src = gst_element_get_static_pad (e, "src");
  Between b = { 0, 0 };

  set_gains (e, FALSE);
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, into_eq, &b, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, out_of_eq, &b, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  bench_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (e);
  gst_object_unref (p);
  return b.total / 1e3 / BLOCKS;
}

static void
keep_block (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  GPtrArray *blocks = data;

  if (blocks->len < RING)
    g_ptr_array_add (blocks, gst_buffer_ref (buf));
}

typedef struct
{
  KitharaBiquadParams bands[BANDS];
  float *source;                /* RING blocks of the pipelines' audio */
} Filter;

/* kitharaeq's own default layout, with the pipelines' gains, and blocks
 * of the audio the pipelines process. */
static void
filter_init (Filter * f)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  GstElement *p = gst_parse_launch ("audiotestsrc num-buffers="
      G_STRINGIFY (RING) " samplesperbuffer=" G_STRINGIFY (FRAMES)
      " wave=pink-noise ! " CAPS " ! fakesink name=out signal-handoffs=true",
      NULL);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  GPtrArray *blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gint type;
  guint i;

  g_assert (eq != NULL && p != NULL);
  g_object_set (eq, "num-bands", BANDS, NULL);
  for (i = 0; i < BANDS; i++) {
    GObject *band = gst_child_proxy_get_child_by_index (GST_CHILD_PROXY (eq),
        i);

    /* GstKitharaEqBandType's values are KitharaBiquadType's */
    g_object_get (band, "freq", &f->bands[i].freq, "q", &f->bands[i].q,
        "type", &type, NULL);
    f->bands[i].type = type;
    f->bands[i].gain_db = (i % 2) ? -6.0 : 6.0;
    g_object_unref (band);
  }
  gst_object_unref (eq);

  g_signal_connect (out, "handoff", G_CALLBACK (keep_block), blocks);
  gst_element_set_state (p, GST_STATE_PLAYING);
  bench_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  g_assert (blocks->len == RING);
  f->source = g_new (float, RING * FRAMES * CHANNELS);
  for (i = 0; i < RING; i++)
    gst_buffer_extract (g_ptr_array_index (blocks, i), 0,
        f->source + i * FRAMES * CHANNELS, FRAMES * CHANNELS * sizeof (float));
  g_ptr_array_unref (blocks);
  gst_object_unref (out);
  gst_object_unref (p);
}

/* The filter loop alone per block, each block copied from the source
 * first (as the pipeline's source writes each buffer). */
static gdouble
run_filter (const Filter * f)
{
  KitharaBiquadBank *bank = kithara_biquad_bank_new (ELEMENT_MAX_BANDS,
      CHANNELS, 48000);
  float *block = g_new (float, FRAMES * CHANNELS);
  gint64 start, end;
  guint i;

  kithara_biquad_bank_set_num_bands (bank, BANDS);
  for (i = 0; i < BANDS; i++)
    kithara_biquad_bank_set_band (bank, i, &f->bands[i]);
  start = now_ns ();
  for (i = 0; i < BLOCKS; i++) {
    memcpy (block, f->source + (i % RING) * FRAMES * CHANNELS,
        FRAMES * CHANNELS * sizeof (float));
    kithara_biquad_bank_process_f32 (bank, block, FRAMES);
  }
  end = now_ns ();
  kithara_biquad_bank_free (bank);
  g_free (block);
  return (end - start) / 1e3 / BLOCKS;
}

int
main (int argc, char **argv)
{
  gdouble base[REPEATS], stock[REPEATS], ours[REPEATS], flat[REPEATS];
  gdouble node[REPEATS], fed[REPEATS], alone[REPEATS], between[REPEATS];
  gdouble b, s, k, fl, n, fd, a, sb;
  Filter filter;
  guint i;

  gst_init (&argc, &argv);
  filter_init (&filter);
  for (i = 0; i < REPEATS; i++) {
    base[i] = run_once ("identity", TRUE);
    stock[i] = run_once ("equalizer-nbands num-bands=10", FALSE);
    ours[i] = run_once ("kitharaeq num-bands=10", FALSE);
    flat[i] = run_once ("kitharaeq num-bands=10", TRUE);
    node[i] = run_node (TRUE);
    fed[i] = run_node (FALSE);
    alone[i] = run_filter (&filter);
    between[i] = run_stock_between_pads ();
  }
  b = bench_median (base, REPEATS);
  s = bench_median (stock, REPEATS) - b;
  k = bench_median (ours, REPEATS) - b;
  fl = bench_median (flat, REPEATS) - b;
  n = bench_median (node, REPEATS);
  fd = bench_median (fed, REPEATS);
  a = bench_median (alone, REPEATS);
  sb = bench_median (between, REPEATS);

  g_print ("EQ, 10 bands at +-6 dB, 48 kHz stereo F32, CPU per 10 ms block "
      "(median of %d runs of %d blocks, identity baseline subtracted)\n",
      REPEATS, BLOCKS);
  g_print ("  equalizer-nbands                 %7.2f us\n", s / BLOCKS * 1e6);
  g_print ("  kitharaeq (element + hand-over)  %7.2f us\n", k / BLOCKS * 1e6);
  g_print ("  kitharaeq flat (hand-over only)  %7.2f us\n", fl / BLOCKS * 1e6);
  g_print ("  kitharaeq filtering alone        %7.2f us\n",
      (k - fl) / BLOCKS * 1e6);
  g_print ("ratio kithara/stock CPU per block: filtering %.2f (target <= 1.0), "
      "with the thread hand-over from the source %.2f\n", (k - fl) / s,
      k / s);

  g_print ("\nTime per 10 ms block in the pipeline against the filter loop "
      "alone (median of %d runs of %d blocks)\n", REPEATS, BLOCKS);
  g_print ("  kitharaeq between two nodes (its node's busy time)   %7.2f us\n",
      n);
  g_print ("  kitharaeq fed by the source's thread, to an exit     %7.2f us\n",
      fd);
  g_print ("  kitharaeq's filter loop alone                        %7.2f us\n",
      a);
  g_print ("  equalizer-nbands in the pipeline (between its pads)  %7.2f us\n",
      sb);
  g_print ("ratio kitharaeq in the pipeline / its filter alone: %.2f between "
      "nodes (target <= 1.3), %.2f fed by a thread; kitharaeq between nodes "
      "/ equalizer-nbands: %.2f\n", n / a, fd / a, n / sb);
  g_free (filter.source);
  return 0;
}
