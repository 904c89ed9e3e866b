/* bench-resample: kithararesample on both engines against the libraries
 * called directly and against audioresample, on the same audio, in one
 * run.
 *
 * For 44.1 -> 48 kHz and 48 -> 16 kHz, stereo F32 in 10 ms blocks (30 s),
 * for each sinc quality: CPU per 10 ms block of (a) each engine's library
 * called directly ("raw": src_process, and gst_audio_resampler_resample
 * with the options and sample format the gstreamer engine uses, and in
 * the other of F32 and F64 to show what that choice is worth, on input
 * converted beforehand; each block's output in one block's room, and the
 * SNR from another run), (b) the element on each engine in
 * "appsrc ! kithararesample ! appsink" minus the same pipeline with
 * identity (this includes the hand-off to the worker and out through an
 * exit, which depends on how the worker's wake-ups fall), and the time
 * the element's node spent in its ticks (its stats' busy-ns: the element's
 * whole work per buffer, compared with the raw call), then (c)
 * audioresample at quality 0, 4, 6 and 10 minus the pipeline with
 * identity.  Each with the SNR it reaches on a 1 kHz sine (fit of a sine
 * at the output rate, edges skipped).  Medians of 5 runs; run it on a
 * quiet machine (ticks are wall-clock time).
 */
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>
#include "benchutil.h"
#include "kitharasrc-gstaudio.h"

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

/* The output of the whole audio, or (@all NULL) of each block in turn in
 * a block's room, as an element would use it. */
static gfloat *
output_room (guint in_rate, guint out_rate, gboolean all, gsize bps)
{
  gsize frames = (gsize) (all ? in_rate * SECONDS : in_rate / 100) *
      out_rate / in_rate + 64;

  return g_malloc (frames * 2 * bps);
}

/* CPU of src_process over the audio; with @snr, its SNR instead. */
static gdouble
libsamplerate_run (const gfloat * in, guint in_rate, guint out_rate,
    gint converter, gdouble * snr)
{
  guint block = in_rate / 100, frames = in_rate * SECONDS, pos;
  gfloat *out = output_room (in_rate, out_rate, snr != NULL, 4);
  SRC_STATE *state = src_new (converter, 2, NULL);
  BenchSample before, after;
  gsize made = 0;

  bench_sample (&before);
  for (pos = 0; pos + block <= frames; pos += block) {
    SRC_DATA d = { 0 };

    d.data_in = in + 2 * pos;
    d.input_frames = block;
    d.data_out = out + (snr ? 2 * made : 0);
    d.output_frames = block * out_rate / in_rate + 64;
    d.src_ratio = (gdouble) out_rate / in_rate;
    src_process (state, &d);
    made += d.output_frames_gen;
  }
  bench_sample (&after);
  if (snr)
    *snr = sine_snr (out, made, out_rate);
  src_delete (state);
  g_free (out);
  return after.cpu_s - before.cpu_s;
}

/* The sample format the gstreamer engine runs @quality in, or with
 * @other the other of F32 and F64. */
static GstAudioFormat
gstaudio_format (KitharaSrcQuality quality, gboolean other)
{
  GstAudioFormat format;

  gst_structure_free (kithara_src_gstaudio_options (quality, 44100, 48000,
          NULL, &format));
  if (other)
    format = format == GST_AUDIO_FORMAT_F64 ? GST_AUDIO_FORMAT_F32 :
        GST_AUDIO_FORMAT_F64;
  return format;
}

/* CPU of gst_audio_resampler_resample as the gstreamer engine sets it up
 * for @quality (with @other, in the other precision); with @snr, its SNR
 * instead. */
static gdouble
gstaudio_run (const gfloat * in, guint in_rate, guint out_rate,
    KitharaSrcQuality quality, gboolean other, gdouble * snr)
{
  GstAudioResamplerMethod method;
  GstAudioFormat format = gstaudio_format (quality, other);
  GstStructure *options = kithara_src_gstaudio_options (quality, in_rate,
      out_rate, &method, NULL);
  GstAudioResampler *resampler = gst_audio_resampler_new (method,
      GST_AUDIO_RESAMPLER_FLAG_NONE, format, 2, in_rate, out_rate, options);
  guint block = in_rate / 100, frames = in_rate * SECONDS, pos;
  gsize bps = format == GST_AUDIO_FORMAT_F64 ? 8 : 4, i, made = 0;
  guint8 *src = g_malloc ((gsize) frames * 2 * bps);
  guint8 *dest = (guint8 *) output_room (in_rate, out_rate, snr != NULL, bps);
  BenchSample before, after;

  /* The engine converts F32 to its format around each call: here the
   * library alone is timed. */
  for (i = 0; i < (gsize) frames * 2; i++) {
    if (bps == 8)
      ((gdouble *) src)[i] = in[i];
    else
      ((gfloat *) src)[i] = in[i];
  }
  bench_sample (&before);
  for (pos = 0; pos + block <= frames; pos += block) {
    gsize n = gst_audio_resampler_get_out_frames (resampler, block);
    gpointer in_planes[1] = { src + (gsize) pos * 2 * bps };
    gpointer out_planes[1] = { dest + (snr ? made * 2 * bps : 0) };

    gst_audio_resampler_resample (resampler, in_planes, block, out_planes, n);
    made += n;
  }
  bench_sample (&after);
  if (snr) {
    gfloat *result = g_new (gfloat, made * 2);

    for (i = 0; i < made * 2; i++)
      result[i] = bps == 8 ? ((gdouble *) dest)[i] : ((gfloat *) dest)[i];
    *snr = sine_snr (result, made, out_rate);
    g_free (result);
  }
  gst_audio_resampler_free (resampler);
  gst_structure_free (options);
  g_free (src);
  g_free (dest);
  return after.cpu_s - before.cpu_s;
}

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

/* The time a kithara element's node spent in its ticks (its "stats"),
 * or 0 for a stock element. */
static gdouble
ticks_s (GstElement * element)
{
  GstStructure *stats = NULL;
  guint64 busy_ns = 0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), "stats")
      == NULL)
    return 0;
  g_object_get (element, "stats", &stats, NULL);
  if (stats) {
    gst_structure_get_uint64 (stats, "busy-ns", &busy_ns);
    gst_structure_free (stats);
  }
  return busy_ns / 1e9;
}

/* CPU of one pipeline run; the output lands in @out when not NULL, the
 * element's ticks in @ticks (see ticks_s ()). */
static gdouble
pipeline_cpu (const gfloat * in, guint in_rate, guint out_rate,
    const gchar * element, GByteArray * out, gdouble * ticks)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time block=true "
      "max-bytes=65536 caps=audio/x-raw,format=F32LE,layout=interleaved,"
      "channels=2,rate=%u ! %s name=measured ! audio/x-raw,rate=%u ! "
      "appsink name=sink sync=false", in_rate, element, out_rate);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstElement *measured = gst_bin_get_by_name (GST_BIN (p), "measured");
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
  if (ticks)
    *ticks = ticks_s (measured);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (measured);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (p);
  if (out == NULL)
    g_byte_array_unref (scratch);
  g_free (desc);
  return after.cpu_s - before.cpu_s;
}

/* One row's figures, per 10 ms block. */
typedef struct
{
  gdouble us;                   /* CPU (an element's: minus identity's) */
  gdouble ticks_us;             /* a kithara element's ticks, or 0 */
  gdouble snr;
} Row;

/* Medians of @element's pipeline CPU (minus @base) and ticks per block,
 * and its SNR. */
static Row
element_row (const gfloat * in, guint in_rate, guint out_rate,
    const gchar * element, gdouble base)
{
  GByteArray *out = g_byte_array_new ();
  gdouble v[REPEATS], t[REPEATS];
  Row row;
  guint i;

  for (i = 0; i < REPEATS; i++) {
    g_byte_array_set_size (out, 0);
    v[i] = pipeline_cpu (in, in_rate, out_rate, element, out, &t[i]) - base;
  }
  row.snr = sine_snr ((gfloat *) out->data, out->len / 8, out_rate);
  g_byte_array_unref (out);
  row.us = bench_median (v, REPEATS) / (SECONDS * 100) * 1e6;
  row.ticks_us = bench_median (t, REPEATS) / (SECONDS * 100) * 1e6;
  return row;
}

/* A row of figures; a kithara element's ticks are compared with @raw_us;
 * 0 marks a raw call's row, -1 a stock element's. */
static void
print_row (const gchar * what, const Row * row, gdouble raw_us)
{
  gchar ticks[16] = "", vs[16] = "";

  if (row->ticks_us > 0) {
    g_snprintf (ticks, sizeof (ticks), "%.2f", row->ticks_us);
    g_snprintf (vs, sizeof (vs), "%+.1f%%", 100 * (row->ticks_us - raw_us) /
        raw_us);
  } else if (raw_us == 0) {
    g_snprintf (vs, sizeof (vs), "(raw)");
  }
  g_print ("  %-57s %9.2f %9s %9s %8.1f\n", what, row->us, ticks, vs,
      row->snr);
}

/* Prints the raw GstAudioResampler row of @quality; returns its CPU per
 * block. */
static gdouble
gstaudio_row (const gfloat * in, guint in_rate, guint out_rate,
    KitharaSrcQuality quality, guint kaiser, gboolean other)
{
  gdouble v[REPEATS];
  Row row = { 0 };
  gchar *label;
  guint i;

  for (i = 0; i < REPEATS; i++)
    v[i] = gstaudio_run (in, in_rate, out_rate, quality, other, NULL);
  row.us = bench_median (v, REPEATS) / (SECONDS * 100) * 1e6;
  gstaudio_run (in, in_rate, out_rate, quality, other, &row.snr);
  label = g_strdup_printf ("GstAudioResampler kaiser %u %s%s", kaiser,
      gst_audio_format_to_string (gstaudio_format (quality, other)),
      other ? " (not used)" : "");
  print_row (label, &row, 0);
  g_free (label);
  return row.us;
}

/* Prints the raw src_process row of @quality; returns its CPU per block. */
static gdouble
libsamplerate_row (const gfloat * in, guint in_rate, guint out_rate,
    KitharaSrcQuality quality, const gchar * nick)
{
  gdouble v[REPEATS];
  Row row = { 0 };
  gchar *label;
  guint i;

  for (i = 0; i < REPEATS; i++)
    v[i] = libsamplerate_run (in, in_rate, out_rate, quality, NULL);
  row.us = bench_median (v, REPEATS) / (SECONDS * 100) * 1e6;
  libsamplerate_run (in, in_rate, out_rate, quality, &row.snr);
  label = g_strdup_printf ("src_process %s", nick);
  print_row (label, &row, 0);
  g_free (label);
  return row.us;
}

/* Prints kithararesample's row on @engine at @quality, against @raw. */
static void
kithara_row (const gfloat * in, guint in_rate, guint out_rate,
    const gchar * engine, const gchar * nick, gdouble base, gdouble raw)
{
  gchar *element = g_strdup_printf ("kithararesample engine=%s quality=%s",
      engine, nick);
  Row row = element_row (in, in_rate, out_rate, element, base);

  print_row (element, &row, raw);
  g_free (element);
}

static void
run_direction (guint in_rate, guint out_rate)
{
  static const struct
  {
    const gchar *nick;
    KitharaSrcQuality quality;
    guint kaiser;               /* the gstreamer engine's preset */
  } qualities[] = {
    {"sinc-best", KITHARA_SRC_SINC_BEST, 10},
    {"sinc-medium", KITHARA_SRC_SINC_MEDIUM, 8},
    {"sinc-fastest", KITHARA_SRC_SINC_FASTEST, 5},
  };
  static const gint stock_qualities[] = { 0, 4, 6, 10 };
  gfloat *in = make_sine (in_rate, in_rate * SECONDS);
  gdouble base[REPEATS], b, raw;
  guint q, i;

  for (i = 0; i < REPEATS; i++)
    base[i] = pipeline_cpu (in, in_rate, in_rate, "identity", NULL, NULL);
  b = bench_median (base, REPEATS);

  g_print ("%u -> %u Hz, stereo F32, 10 ms blocks\n", in_rate, out_rate);
  g_print ("  %-57s %9s %9s %9s %8s\n", "", "us/block", "ticks", "vs raw",
      "SNR dB");
  for (q = 0; q < G_N_ELEMENTS (qualities); q++) {
    raw = libsamplerate_row (in, in_rate, out_rate, qualities[q].quality,
        qualities[q].nick);
    kithara_row (in, in_rate, out_rate, "libsamplerate", qualities[q].nick, b,
        raw);
    /* The precision the engine does not use, for the choice it made. */
    gstaudio_row (in, in_rate, out_rate, qualities[q].quality,
        qualities[q].kaiser, TRUE);
    raw = gstaudio_row (in, in_rate, out_rate, qualities[q].quality,
        qualities[q].kaiser, FALSE);
    kithara_row (in, in_rate, out_rate, "gstreamer", qualities[q].nick, b,
        raw);
  }
  for (q = 0; q < G_N_ELEMENTS (stock_qualities); q++) {
    gchar *element = g_strdup_printf ("audioresample quality=%d",
        stock_qualities[q]);
    Row row = element_row (in, in_rate, out_rate, element, b);

    print_row (element, &row, -1);
    g_free (element);
  }
  g_free (in);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_print ("Resampling, CPU per 10 ms block (median of %d runs of %d s): "
      "raw calls; elements in a pipeline minus the same pipeline with "
      "identity; a kithara element's own ticks against its engine's raw "
      "call (goal <= +5%%)\n", REPEATS, SECONDS);
  run_direction (44100, 48000);
  run_direction (48000, 16000);
  return 0;
}
