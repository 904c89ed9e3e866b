/* bench-resample: kithararesample against raw libsamplerate and against
 * audioresample, on the same audio, in one run.
 *
 * For 44.1 -> 48 kHz and 48 -> 16 kHz, stereo F32 in 10 ms blocks (30 s):
 * CPU per 10 ms block of (a) src_process alone, (b) the element in
 * "appsrc ! kithararesample ! appsink" minus the same pipeline with
 * identity, and (c) audioresample at quality 0, 4 and 10, each with the
 * SNR it reaches on a 1 kHz sine (fit of a sine at the output rate, edges
 * skipped).  Medians of 5 runs.
 */
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include "benchutil.h"

#define SECONDS 30
#define REPEATS 5
#define FREQ 1000.0

static gfloat *
make_sine (guint rate, guint frames)
{
  gfloat *data = g_new (gfloat, frames * 2);
  guint i;

  for (i = 0; i < frames; i++)
    data[2 * i] = data[2 * i + 1] = 0.5 * sin (2 * G_PI * FREQ * i / rate);
  return data;
}

/* SNR of channel 0 against the best-fitting sine at FREQ. */
static gdouble
sine_snr (const gfloat * data, guint frames, guint rate)
{
  guint skip = rate / 10, i;
  gdouble ss = 0, cc = 0, sc = 0, ys = 0, yc = 0, a, b, sig = 0, err = 0;

  if (frames <= 2 * skip)
    return 0;
  for (i = skip; i < frames - skip; i++) {
    gdouble s = sin (2 * G_PI * FREQ * i / rate), c = cos (2 * G_PI * FREQ *
        i / rate), y = data[2 * i];

    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += y * s;
    yc += y * c;
  }
  b = (yc * ss - ys * sc) / (ss * cc - sc * sc);
  a = (ys - b * sc) / ss;
  for (i = skip; i < frames - skip; i++) {
    gdouble fit = a * sin (2 * G_PI * FREQ * i / rate) + b * cos (2 * G_PI *
        FREQ * i / rate), y = data[2 * i];

    sig += fit * fit;
    err += (y - fit) * (y - fit);
  }
  return 10 * log10 (sig / MAX (err, 1e-30));
}

static gdouble
raw_cpu (const gfloat * in, guint in_rate, guint out_rate, gint converter)
{
  guint block = in_rate / 100, frames = in_rate * SECONDS, pos;
  gfloat *out = g_new (gfloat, (block * out_rate / in_rate + 64) * 2);
  SRC_STATE *state = src_new (converter, 2, NULL);
  BenchSample before, after;

  bench_sample (&before);
  for (pos = 0; pos + block <= frames; pos += block) {
    SRC_DATA d = { 0 };

    d.data_in = in + 2 * pos;
    d.input_frames = block;
    d.data_out = out;
    d.output_frames = block * out_rate / in_rate + 64;
    d.src_ratio = (gdouble) out_rate / in_rate;
    src_process (state, &d);
  }
  bench_sample (&after);
  src_delete (state);
  g_free (out);
  return after.cpu_s - before.cpu_s;
}

typedef struct
{
  GByteArray *out;
} Collect;

static GstFlowReturn
collect (GstAppSink * sink, gpointer user_data)
{
  GByteArray *out = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstMapInfo map;

  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  g_byte_array_append (out, map.data, map.size);
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* CPU of one pipeline run; the output lands in @out when not NULL. */
static gdouble
pipeline_cpu (const gfloat * in, guint in_rate, guint out_rate,
    const gchar * element, GByteArray * out)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time block=true "
      "max-bytes=65536 caps=audio/x-raw,format=F32LE,layout=interleaved,"
      "channels=2,rate=%u ! %s ! audio/x-raw,rate=%u ! appsink name=sink "
      "sync=false", in_rate, element, g_str_equal (element, "identity") ?
      in_rate : out_rate);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstAppSinkCallbacks callbacks = { NULL, NULL, collect };
  GByteArray *scratch = out ? out : g_byte_array_new ();
  guint block = in_rate / 100, frames = in_rate * SECONDS, pos;
  BenchSample before, after;

  g_assert (p != NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, scratch, NULL);
  bench_sample (&before);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (pos = 0; pos + block <= frames; pos += block) {
    GstBuffer *buf = gst_buffer_new_memdup (in + 2 * pos,
        block * 2 * sizeof (gfloat));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (pos, GST_SECOND, in_rate);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (block, GST_SECOND,
        in_rate);
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bench_wait_eos (p);
  bench_sample (&after);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (p);
  if (out == NULL)
    g_byte_array_unref (scratch);
  g_free (desc);
  return after.cpu_s - before.cpu_s;
}

static void
run_direction (guint in_rate, guint out_rate)
{
  static const struct
  {
    const gchar *nick;
    gint converter;
  } qualities[] = {
    {"sinc-best", SRC_SINC_BEST_QUALITY},
    {"sinc-medium", SRC_SINC_MEDIUM_QUALITY},
    {"sinc-fastest", SRC_SINC_FASTEST},
  };
  static const gint stock_qualities[] = { 0, 4, 10 };
  gfloat *in = make_sine (in_rate, in_rate * SECONDS);
  gdouble blocks = SECONDS * 100, base[REPEATS], v[REPEATS], b;
  guint q, i;

  for (i = 0; i < REPEATS; i++)
    base[i] = pipeline_cpu (in, in_rate, out_rate, "identity", NULL);
  b = bench_median (base, REPEATS);

  g_print ("%u -> %u Hz, stereo F32, 10 ms blocks\n", in_rate, out_rate);
  g_print ("  %-26s %10s %10s %9s\n", "", "us/block", "vs raw", "SNR dB");
  for (q = 0; q < G_N_ELEMENTS (qualities); q++) {
    gchar *element = g_strdup_printf ("kithararesample quality=%s",
        qualities[q].nick);
    GByteArray *out = g_byte_array_new ();
    gdouble raw, ours, snr;

    for (i = 0; i < REPEATS; i++)
      v[i] = raw_cpu (in, in_rate, out_rate, qualities[q].converter);
    raw = bench_median (v, REPEATS);
    for (i = 0; i < REPEATS; i++) {
      g_byte_array_set_size (out, 0);
      v[i] = pipeline_cpu (in, in_rate, out_rate, element, out) - b;
    }
    ours = bench_median (v, REPEATS);
    snr = sine_snr ((gfloat *) out->data, out->len / 8, out_rate);
    g_print ("  src_process %-14s %10.2f %10s %9s\n", qualities[q].nick,
        raw / blocks * 1e6, "(raw)", "");
    g_print ("  kithararesample %-10s %10.2f %+9.1f%% %9.1f\n",
        qualities[q].nick, ours / blocks * 1e6, 100 * (ours - raw) / raw,
        snr);
    g_byte_array_unref (out);
    g_free (element);
  }
  for (q = 0; q < G_N_ELEMENTS (stock_qualities); q++) {
    gchar *element = g_strdup_printf ("audioresample quality=%d",
        stock_qualities[q]);
    GByteArray *out = g_byte_array_new ();

    for (i = 0; i < REPEATS; i++) {
      g_byte_array_set_size (out, 0);
      v[i] = pipeline_cpu (in, in_rate, out_rate, element, out) - b;
    }
    g_print ("  audioresample quality=%-4d %10.2f %10s %9.1f\n",
        stock_qualities[q], bench_median (v, REPEATS) / blocks * 1e6, "",
        sine_snr ((gfloat *) out->data, out->len / 8, out_rate));
    g_byte_array_unref (out);
    g_free (element);
  }
  g_free (in);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_print ("Resampling, CPU per 10 ms block (median of %d runs of %d s; "
      "element overhead over raw src_process, target <= 10%%)\n", REPEATS,
      SECONDS);
  run_direction (44100, 48000);
  run_direction (48000, 16000);
  return 0;
}
