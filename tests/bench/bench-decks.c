/* bench-decks: N decks of decode -> EQ -> resample -> mix, played in real
 * time, kithara against the stock equivalent.
 *
 * kithara: kitharamixer ! CAPS ! fakesink sync=true, N x
 *          filesrc ! kitharadecode ! kitharaeq ! kithararesample ! m.
 * stock:   audiomixer ! CAPS ! fakesink sync=true, N x
 *          filesrc ! decodebin ! audioconvert ! F32 ! equalizer-nbands
 *          ! audioresample ! queue ! m.
 *
 * Both EQs have 10 bands at alternating +-6 dB; both resamplers are set to
 * about the same quality (SNR of a 44.1 -> 48 kHz sine: sinc-fastest
 * 119 dB, audioresample quality=6 122 dB); both sides work in F32; the
 * stock queue holds what a kithara inlet holds (4 buffers or 50 ms), and
 * both mixers put out 10 ms blocks.  The input is a FLAC file the
 * benchmark encodes first: 44.1 kHz (every deck resamples) and 48 kHz
 * (both resamplers pass through).
 *
 * Every run is a fresh process (this program with --run), so that thread
 * pools and caches do not carry over; the two sides alternate, medians of
 * the repetitions are reported.  After a warm-up in PLAYING, over a fixed
 * wall-clock window: process CPU, thread count, context switches (all
 * threads), and underruns with one definition for both sides: buffers
 * reaching the sink's pad after they are due there (base time + running
 * time + pipeline latency), no tolerance.  For kithara also
 * kitharamixer's own stats (underruns, blocks mixed without a late deck)
 * and the worker's.  Results go to stdout, a CSV and a PNG plot (gnuplot).
 *
 * The kernel floor (--run floor, skipped with --no-floor): the same N
 * decks' decoding, EQ, resampling and mixing with no pipeline around them,
 * in one thread on 10 ms blocks, as thread CPU time per second of audio.
 * kithara/floor and stock/floor say how much CPU each side spends beyond
 * what the work itself costs (the floor has kithara's EQ and the
 * resampling engine kithara runs, libsamplerate or GstAudioResampler as
 * the gstreamer engine sets it up; stock's are other kernels).
 */
#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "benchutil.h"
#ifdef BENCH_DECKS_FLOOR
#include <gst/check/gstharness.h>
#include <samplerate.h>
#include <time.h>
#include "kitharabiquad.h"
#include "kitharasrc-gstaudio.h"
#endif

#define CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2"
#define BLOCKS_PER_S 100        /* both mixers put out 10 ms buffers */
#define START_TIMEOUT_S 60
/* Audio beyond warm-up and window, for the time it takes to start. */
#define FILE_MARGIN_S 10
/* Audio delivered per second below which a run fell behind real time. */
#define REALTIME_MIN 0.95
/* The floor's figure is CPU per second of audio: beyond this much audio of
 * all decks together (and a second) a longer window only takes longer. */
#define FLOOR_DECK_SECONDS 250
#define FLOOR_MIN_SECONDS 1

/* FLOOR is not a pipeline: the same decks' kernels alone (--run floor). */
enum
{ STOCK, KITHARA, FLOOR };
static const gchar *side_names[] = { "stock", "kithara", "floor" };

/* Options; a child gets the parent's (and --run). */
static gint opt_repeats = 3, opt_contexts = 1;
static gdouble opt_seconds = 5, opt_warmup = 2, opt_eq_gain = 6;
static gint opt_mixer_latency = 0;
static gchar *opt_counts = NULL, *opt_rates = NULL, *opt_output = NULL;
static gchar *opt_run = NULL, *opt_threads = NULL, *opt_engine = NULL;
static gboolean opt_verbose = FALSE, opt_no_floor = FALSE;

/* One run, as the child reports it. */
typedef struct
{
  gboolean ok;
  gchar failure[200];
  gdouble start_s;              /* set_state (PLAYING) until PLAYING */
  gdouble threads, cpu_percent, csw_per_s;
  gdouble buffers, late, max_late_ms, realtime;
  /* kithara only */
  gdouble mixer_underruns, forced_blocks, missed_deck_blocks;
  gdouble worker_busy_percent, worker_wakeups_per_s, worker_csw_per_s;
} Run;

/* The figures above, start_s to worker_csw_per_s, one after the other:
 * the child prints them in this order and medians go through them all. */
#define RUN_FIELDS 14
G_STATIC_ASSERT (G_STRUCT_OFFSET (Run, worker_csw_per_s) -
    G_STRUCT_OFFSET (Run, start_s) == (RUN_FIELDS - 1) * sizeof (gdouble));

/* ------------------------------------------------------------------ */
/* The child: one pipeline, one measurement */

typedef struct
{
  GMutex lock;
  GstElement *sink;
  GstSegment segment;
  guint64 buffers, late;
  GstClockTime duration;
  GstClockTimeDiff max_late;
} Probe;

/* Counts what reaches the sink and how late, the same way for both sides:
 * due = base time + running time + latency, when the sink would render
 * it; arriving after that is an underrun. */
static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Probe *p = user_data;
  GstBuffer *buf;
  GstClock *clock;
  GstClockTime rt, now;
  GstClockTimeDiff late;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      g_mutex_lock (&p->lock);
      gst_event_copy_segment (event, &p->segment);
      g_mutex_unlock (&p->lock);
    }
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  clock = gst_element_get_clock (p->sink);
  if (clock == NULL || GST_STATE (p->sink) != GST_STATE_PLAYING) {
    if (clock)
      gst_object_unref (clock);
    return GST_PAD_PROBE_OK;
  }
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);

  g_mutex_lock (&p->lock);
  rt = gst_segment_to_running_time (&p->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (rt)) {
    late = GST_CLOCK_DIFF (gst_element_get_base_time (p->sink) + rt +
        gst_base_sink_get_latency (GST_BASE_SINK (p->sink)), now);
    p->buffers++;
    if (late > 0)
      p->late++;
    p->max_late = MAX (p->max_late, late);
    if (GST_BUFFER_DURATION_IS_VALID (buf))
      p->duration += GST_BUFFER_DURATION (buf);
  }
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  guint64 underruns, forced, missed, busy_ns, wakeups;
  gint worker_tid;
} MixerStats;

static gboolean
sum_missed (GQuark field, const GValue * value, gpointer user_data)
{
  guint64 missed = 0;

  if (GST_VALUE_HOLDS_STRUCTURE (value) &&
      gst_structure_get_uint64 (gst_value_get_structure (value),
          "missed-blocks", &missed))
    *(guint64 *) user_data += missed;
  return TRUE;
}

static void
mixer_stats (GstElement * mixer, MixerStats * m)
{
  GstStructure *s, *pads = NULL, *worker = NULL;

  memset (m, 0, sizeof (*m));
  g_object_get (mixer, "stats", &s, NULL);
  gst_structure_get (s, "underruns", G_TYPE_UINT64, &m->underruns,
      "forced-blocks", G_TYPE_UINT64, &m->forced,
      "pads", GST_TYPE_STRUCTURE, &pads,
      "worker", GST_TYPE_STRUCTURE, &worker, NULL);
  if (pads) {
    gst_structure_foreach (pads, sum_missed, &m->missed);
    gst_structure_free (pads);
  }
  if (worker) {
    gst_structure_get (worker, "busy-ns", G_TYPE_UINT64, &m->busy_ns,
        "wakeups", G_TYPE_UINT64, &m->wakeups,
        "thread-id", G_TYPE_INT, &m->worker_tid, NULL);
    gst_structure_free (worker);
  }
  gst_structure_free (s);
}

/* Voluntary and involuntary context switches of one thread of this
 * process. */
static void
thread_csw_split (const gchar * tid, gint64 * voluntary, gint64 * involuntary)
{
  gchar *path = g_strdup_printf ("/proc/self/task/%s/status", tid);
  gchar *text = NULL, *p;

  *voluntary = *involuntary = 0;
  if (g_file_get_contents (path, &text, NULL, NULL)) {
    if ((p = strstr (text, "\nvoluntary_ctxt_switches:")))
      *voluntary = g_ascii_strtoll (p + strlen ("\nvoluntary_ctxt_switches:"),
          NULL, 10);
    if ((p = strstr (text, "\nnonvoluntary_ctxt_switches:")))
      *involuntary = g_ascii_strtoll (p +
          strlen ("\nnonvoluntary_ctxt_switches:"), NULL, 10);
  }
  g_free (text);
  g_free (path);
}

static gint64
thread_csw (const gchar * tid)
{
  gint64 v, i;

  thread_csw_split (tid, &v, &i);
  return v + i;
}

/* Thread name with digits dropped ("queue12:src" -> "queue:src"), so that
 * the threads of all decks add up under one name. */
static gchar *
thread_group (const gchar * tid)
{
  gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
  gchar *name = NULL, *out, *o;
  const gchar *c;

  if (!g_file_get_contents (path, &name, NULL, NULL))
    name = g_strdup ("?");
  out = o = g_malloc (strlen (name) + 1);
  for (c = name; *c && *c != '\n'; c++)
    if (!g_ascii_isdigit (*c))
      *o++ = *c;
  *o = '\0';
  g_free (name);
  g_free (path);
  return out;
}

/* tid -> voluntary and involuntary context switches so far, for every
 * thread of the process. */
static GHashTable *
threads_snapshot (void)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;

  while (dir && (tid = g_dir_read_name (dir))) {
    gint64 *csw = g_new (gint64, 2);

    thread_csw_split (tid, &csw[0], &csw[1]);
    g_hash_table_insert (t, g_strdup (tid), csw);
  }
  if (dir)
    g_dir_close (dir);
  return t;
}

/* Prints, per thread name, how many threads and their context switches
 * per second over the window (threads that lived through it). */
static void
print_thread_breakdown (GHashTable * before, GHashTable * after,
    gdouble seconds)
{
  GHashTable *groups = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, g_free);
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, after);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    gint64 *old = g_hash_table_lookup (before, key), *now = value, *g;
    gchar *group;

    if (old == NULL)
      continue;
    group = thread_group (key);
    g = g_hash_table_lookup (groups, group);
    if (g == NULL) {
      g = g_new0 (gint64, 3);
      g_hash_table_insert (groups, g_strdup (group), g);
    }
    g[0]++;
    g[1] += now[0] - old[0];
    g[2] += now[1] - old[1];
    g_free (group);
  }
  g_hash_table_iter_init (&it, groups);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    gint64 *g = value;

    g_printerr ("    %-24s %5" G_GINT64_FORMAT " threads %8.0f + %6.0f "
        "csw/s (voluntary + involuntary)\n", (gchar *) key, g[0],
        g[1] / seconds, g[2] / seconds);
  }
  g_hash_table_unref (groups);
}

/* Kithara element kind -> busy time of all its nodes so far (ns). */
static GHashTable *
busy_snapshot (GstElement * pipeline)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (e);
    const gchar *kind = f ? GST_OBJECT_NAME (f) : NULL;
    GstStructure *s;
    guint64 busy = 0, *sum;

    if (kind && g_str_has_prefix (kind, "kithara") &&
        g_object_class_find_property (G_OBJECT_GET_CLASS (e), "stats")) {
      g_object_get (e, "stats", &s, NULL);
      gst_structure_get_uint64 (s, "busy-ns", &busy);
      gst_structure_free (s);
      sum = g_hash_table_lookup (t, kind);
      if (sum == NULL) {
        sum = g_new0 (guint64, 1);
        g_hash_table_insert (t, g_strdup (kind), sum);
      }
      *sum += busy;
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return t;
}

static void
print_busy (GHashTable * before, GHashTable * after, gdouble seconds)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, after);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    guint64 *old = g_hash_table_lookup (before, key);

    g_printerr ("    %-24s busy %5.1f %% of one core\n", (gchar *) key,
        (*(guint64 *) value - (old ? *old : 0)) / 1e7 / seconds);
  }
}

static gchar *
eq_gains (void)
{
  GString *s = g_string_new ("num-bands=10");
  gchar gain[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  for (i = 0; i < 10; i++)
    g_string_append_printf (s, " band%u::gain=%s", i, g_ascii_dtostr (gain,
            sizeof (gain), i % 2 ? -opt_eq_gain : opt_eq_gain));
  return g_string_free (s, FALSE);
}

/* With --contexts K > 1 the decks are dealt round-robin to K worker
 * contexts ("default", the mixer's, then deck1, deck2...). */
static gchar *
pipeline_description (gint side, const gchar * file, guint n)
{
  gchar *gains = eq_gains ();
  GString *d = g_string_new (NULL);
  guint contexts = MAX (opt_contexts, 1), i;

  if (side == KITHARA && opt_mixer_latency > 0)
    g_string_append_printf (d, "kitharamixer name=m latency=%" G_GUINT64_FORMAT,
        (guint64) opt_mixer_latency * GST_MSECOND);
  else
    g_string_append (d, side == KITHARA ? "kitharamixer name=m" :
        "audiomixer name=m");
  g_string_append (d, " ! " CAPS " ! fakesink name=out sync=true");
  for (i = 0; i < n; i++) {
    if (side == KITHARA) {
      gchar *ctx = i % contexts ? g_strdup_printf ("context=deck%u",
          i % contexts) : g_strdup ("");

      gchar *engine = opt_engine ? g_strdup_printf ("engine=%s", opt_engine) :
          g_strdup ("");

      g_string_append_printf (d, " filesrc location=\"%s\" ! kitharadecode "
          "%s ! kitharaeq %s %s ! kithararesample quality=sinc-fastest %s %s "
          "! m.", file, ctx, ctx, gains, engine, ctx);
      g_free (engine);
      g_free (ctx);
    } else
      /* F32 as on the kithara side (audioconvert would otherwise keep
       * the decoder's S16 for the EQ and the resampler); the queue holds
       * what a kithara inlet holds by default. */
      g_string_append_printf (d, " filesrc location=\"%s\" ! decodebin ! "
          "audioconvert ! audio/x-raw,format=F32LE ! equalizer-nbands %s ! "
          "audioresample quality=6 ! queue max-size-buffers=4 "
          "max-size-time=50000000 max-size-bytes=0 ! m.", file, gains);
  }
  g_free (gains);
  return g_string_free (d, FALSE);
}

/* The first error or EOS on the bus, as text, or NULL. */
static gchar *
bus_trouble (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  gchar *text = NULL;

  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    text = g_strdup_printf ("error from %s: %s", GST_MESSAGE_SRC_NAME (msg),
        err->message);
    g_error_free (err);
  } else if (msg) {
    text = g_strdup ("EOS before the end of the window");
  }
  if (msg)
    gst_message_unref (msg);
  return text;
}

static void
run_once (gint side, const gchar * file, guint n, Run * r)
{
  gchar *desc = pipeline_description (side, file, n), *trouble;
  gdouble warmup = opt_warmup, seconds = opt_seconds;
  gboolean verbose = opt_verbose;
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err), *mixer;
  GstStateChangeReturn ret;
  GHashTable *threads0 = NULL, *threads1, *busy0 = NULL, *busy1;
  BenchSample t0, t1, before, after;
  MixerStats m0, m1;
  gint64 worker_csw0 = 0, worker_csw1 = 0;
  gchar worker_tid[16] = "";
  Probe probe = { 0 };
  GstPad *pad;
  gdouble window;

  memset (r, 0, sizeof (*r));
  g_free (desc);
  if (pipeline == NULL || err) {
    g_snprintf (r->failure, sizeof (r->failure), "cannot build: %s",
        err ? err->message : "?");
    g_clear_error (&err);
    if (pipeline)
      gst_object_unref (pipeline);
    return;
  }
  mixer = gst_bin_get_by_name (GST_BIN (pipeline), "m");
  probe.sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_mutex_init (&probe.lock);
  gst_segment_init (&probe.segment, GST_FORMAT_TIME);
  pad = gst_element_get_static_pad (probe.sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_probe, &probe, NULL);
  gst_object_unref (pad);

  bench_sample (&t0);
  ret = gst_element_set_state (pipeline, GST_STATE_PLAYING);
  if (ret != GST_STATE_CHANGE_FAILURE)
    ret = gst_element_get_state (pipeline, NULL, NULL,
        START_TIMEOUT_S * GST_SECOND);
  bench_sample (&t1);
  r->start_s = t1.wall_s - t0.wall_s;
  trouble = bus_trouble (pipeline);
  if (ret != GST_STATE_CHANGE_SUCCESS || trouble) {
    g_snprintf (r->failure, sizeof (r->failure), "did not start (%s)",
        trouble ? trouble : ret == GST_STATE_CHANGE_ASYNC ?
        "not PLAYING after " G_STRINGIFY (START_TIMEOUT_S) " s" :
        "state change failed");
    goto done;
  }

  /* Warm-up, then the measurement window; both timed by the clock and
   * nothing else. */
  g_usleep (warmup * G_USEC_PER_SEC);
  if (side == KITHARA) {
    mixer_stats (mixer, &m0);
    g_snprintf (worker_tid, sizeof (worker_tid), "%d", m0.worker_tid);
    worker_csw0 = thread_csw (worker_tid);
  }
  if (verbose) {
    threads0 = threads_snapshot ();
    busy0 = busy_snapshot (pipeline);
  }
  g_mutex_lock (&probe.lock);
  probe.buffers = probe.late = probe.duration = 0;
  probe.max_late = G_MININT64;
  g_mutex_unlock (&probe.lock);
  bench_sample (&before);

  g_usleep (seconds * G_USEC_PER_SEC);

  bench_sample (&after);
  g_mutex_lock (&probe.lock);
  r->buffers = probe.buffers;
  r->late = probe.late;
  r->max_late_ms = probe.buffers ? probe.max_late / 1e6 : 0;
  r->realtime = probe.duration / 1e9;
  g_mutex_unlock (&probe.lock);
  r->threads = bench_thread_count ();
  if (side == KITHARA) {
    worker_csw1 = thread_csw (worker_tid);
    mixer_stats (mixer, &m1);
  }
  window = after.wall_s - before.wall_s;
  r->realtime /= window;
  r->cpu_percent = 100.0 * (after.cpu_s - before.cpu_s) / window;
  r->csw_per_s = (after.csw - before.csw) / window;
  if (side == KITHARA) {
    r->mixer_underruns = m1.underruns - m0.underruns;
    r->forced_blocks = m1.forced - m0.forced;
    r->missed_deck_blocks = m1.missed - m0.missed;
    r->worker_busy_percent = (m1.busy_ns - m0.busy_ns) / 1e7 / window;
    r->worker_wakeups_per_s = (m1.wakeups - m0.wakeups) / window;
    r->worker_csw_per_s = (worker_csw1 - worker_csw0) / window;
  }
  if (verbose) {
    threads1 = threads_snapshot ();
    busy1 = busy_snapshot (pipeline);
    g_printerr ("  %s N=%u, threads by name:\n", side_names[side], n);
    print_thread_breakdown (threads0, threads1, window);
    print_busy (busy0, busy1, window);
    g_hash_table_unref (threads0);
    g_hash_table_unref (threads1);
    g_hash_table_unref (busy0);
    g_hash_table_unref (busy1);
  }

  trouble = bus_trouble (pipeline);
  if (trouble)
    g_snprintf (r->failure, sizeof (r->failure), "%s", trouble);
  else
    r->ok = TRUE;

done:
  g_free (trouble);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (probe.sink);
  gst_object_unref (mixer);
  gst_object_unref (pipeline);
  g_mutex_clear (&probe.lock);
}

static void
print_run (const Run * r)
{
  if (!r->ok) {
    g_print ("fail %s\n", r->failure);
    return;
  }
  g_print ("ok %f %f %f %f %f %f %f %f %f %f %f %f %f %f\n", r->start_s,
      r->threads, r->cpu_percent, r->csw_per_s, r->buffers, r->late,
      r->max_late_ms, r->realtime, r->mixer_underruns, r->forced_blocks,
      r->missed_deck_blocks, r->worker_busy_percent, r->worker_wakeups_per_s,
      r->worker_csw_per_s);
}

#ifdef BENCH_DECKS_FLOOR
/* ------------------------------------------------------------------ */
/* The child: the kernel floor */

/* Audio run through before the floor's window: it only has memory to
 * touch and filters to design first, no thread, clock or pool. */
#define FLOOR_WARMUP_S 0.2
#define FLOOR_BANDS 10
#define OUT_FRAMES (48000 / BLOCKS_PER_S)

/* One deck's kernels and its data between them, F32 stereo. */
typedef struct
{
  GstHarness *dec;
  guint next;                   /* next parsed FLAC frame */
  float *in;                    /* decoded, not yet filtered */
  gsize in_pos, in_len, in_alloc;       /* frames */
  KitharaBiquadBank *eq;
  /* At 48 kHz neither: nothing to resample. */
  SRC_STATE *src;               /* libsamplerate */
  GstAudioResampler *resampler; /* the gstreamer engine (F32) */
  float *out;                   /* resampled, not yet mixed */
  gsize out_len, out_alloc;
} FloorDeck;

/* Keeps the mix from being optimised away. */
static volatile float floor_sink;

static gdouble
thread_cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The file as flacparse frames it (stream headers first), with its caps;
 * parsing is a demuxer's work, done before anything is timed. */
static GPtrArray *
floor_parse (const gchar * file, GstCaps ** caps)
{
  GPtrArray *frames;
  GstHarness *h;
  GstBuffer *buf;
  gchar *data;
  gsize size;

  if (!g_file_get_contents (file, &data, &size, NULL))
    return NULL;
  h = gst_harness_new ("flacparse");
  gst_harness_set_src_caps_str (h, "audio/x-flac");
  gst_harness_push (h, gst_buffer_new_wrapped (data, size));
  gst_harness_push_event (h, gst_event_new_eos ());
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  while ((buf = gst_harness_try_pull (h)))
    g_ptr_array_add (frames, buf);
  *caps = gst_pad_get_current_caps (h->sinkpad);
  gst_harness_teardown (h);
  return frames;
}

/* kitharaeq's own default layout for 10 bands, read from the element so
 * that the floor follows it, with the pipelines' gains. */
static gboolean
floor_eq_layout (KitharaBiquadParams * bands)
{
  GstElement *eq = gst_element_factory_make ("kitharaeq", NULL);
  gint type;
  guint i;

  if (eq == NULL)
    return FALSE;
  g_object_set (eq, "num-bands", FLOOR_BANDS, NULL);
  for (i = 0; i < FLOOR_BANDS; i++) {
    GObject *band = gst_child_proxy_get_child_by_index (GST_CHILD_PROXY (eq),
        i);

    /* GstKitharaEqBandType's values are KitharaBiquadType's */
    g_object_get (band, "freq", &bands[i].freq, "q", &bands[i].q,
        "type", &type, NULL);
    bands[i].type = type;
    bands[i].gain_db = i % 2 ? -opt_eq_gain : opt_eq_gain;
    g_object_unref (band);
  }
  gst_object_unref (eq);
  return TRUE;
}

/* Decodes the deck's next FLAC frame to F32.  The decoder is flacdec (what
 * decodebin and kitharadecode plug) pushed to on this thread by
 * GstHarness: the figure is the decoder's kernel plus GstHarness's chain
 * call and GstAudioDecoder's bookkeeping, with nothing subtracted. */
static gboolean
floor_decode (FloorDeck * d, GPtrArray * frames)
{
  GstBuffer *buf;
  GstMapInfo map;
  const gint16 *s;
  gsize samples, i;
  float *f;

  if (d->next >= frames->len || gst_harness_push (d->dec,
          gst_buffer_ref (g_ptr_array_index (frames, d->next++))) !=
      GST_FLOW_OK)
    return FALSE;
  if (d->in_pos > 0) {
    memmove (d->in, d->in + d->in_pos * 2,
        (d->in_len - d->in_pos) * 2 * sizeof (float));
    d->in_len -= d->in_pos;
    d->in_pos = 0;
  }
  while ((buf = gst_harness_try_pull (d->dec))) {
    gst_buffer_map (buf, &map, GST_MAP_READ);
    samples = map.size / sizeof (gint16);
    if (d->in_len + samples / 2 > d->in_alloc) {
      d->in_alloc = d->in_len + samples / 2;
      d->in = g_renew (float, d->in, d->in_alloc * 2);
    }
    /* The file's 16 bits to F32, the conversion both pipelines make. */
    s = (const gint16 *) map.data;
    f = d->in + d->in_len * 2;
    for (i = 0; i < samples; i++)
      f[i] = s[i] * (1.0f / 32768.0f);
    d->in_len += samples / 2;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  return TRUE;
}

/* The resampler of the engine kithara runs, at sinc-fastest. */
static gboolean
floor_resampler_init (FloorDeck * d, gint rate)
{
  GstAudioResamplerMethod method;
  GstAudioFormat format;
  GstStructure *options;
  int err;

  if (g_strcmp0 (opt_engine, "gstreamer") != 0)
    return (d->src = src_new (SRC_SINC_FASTEST, 2, &err)) != NULL;
  options = kithara_src_gstaudio_options (KITHARA_SRC_SINC_FASTEST, rate,
      48000, &method, &format);
  /* The engine runs sinc-fastest on the floats themselves. */
  if (format == GST_AUDIO_FORMAT_F32)
    d->resampler = gst_audio_resampler_new (method,
        GST_AUDIO_RESAMPLER_FLAG_NONE, format, 2, rate, 48000, options);
  gst_structure_free (options);
  return d->resampler != NULL;
}

/* Resamples @frames of @x onto the end of d->out. */
static gboolean
floor_resample (FloorDeck * d, float *x, gsize frames, gint rate)
{
  SRC_DATA sd = { 0 };

  if (d->resampler) {
    gsize n = gst_audio_resampler_get_out_frames (d->resampler, frames);
    gpointer in_planes[1], out_planes[1];

    in_planes[0] = x;
    out_planes[0] = d->out + d->out_len * 2;
    if (d->out_len + n > d->out_alloc)
      return FALSE;
    gst_audio_resampler_resample (d->resampler, in_planes, frames,
        out_planes, n);
    d->out_len += n;
    return TRUE;
  }
  sd.data_in = x;
  sd.input_frames = frames;
  sd.data_out = d->out + d->out_len * 2;
  sd.output_frames = d->out_alloc - d->out_len;
  sd.src_ratio = 48000.0 / rate;
  if (src_process (d->src, &sd) != 0)
    return FALSE;
  d->out_len += sd.output_frames_gen;
  return TRUE;
}

static gboolean
floor_deck_init (FloorDeck * d, GPtrArray * frames, GstCaps * caps,
    const KitharaBiquadParams * bands, gint rate)
{
  guint i;

  d->dec = gst_harness_new ("flacdec");
  gst_harness_set_sink_caps_str (d->dec, "audio/x-raw,format=S16LE");
  gst_harness_set_src_caps (d->dec, gst_caps_ref (caps));
  /* The stream headers set the decoder up: not part of decoding. */
  while (d->next < frames->len &&
      GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (frames, d->next),
          GST_BUFFER_FLAG_HEADER))
    gst_harness_push (d->dec, gst_buffer_ref (g_ptr_array_index (frames,
                d->next++)));

  d->eq = kithara_biquad_bank_new (FLOOR_BANDS, 2, rate);
  for (i = 0; i < FLOOR_BANDS; i++)
    kithara_biquad_bank_set_band (d->eq, i, &bands[i]);
  kithara_biquad_bank_reset (d->eq);

  if (rate != 48000 && !floor_resampler_init (d, rate))
    return FALSE;
  d->out_alloc = 4 * OUT_FRAMES;
  d->out = g_new (float, d->out_alloc * 2);
  return floor_decode (d, frames) && d->in_len > 0;
}

static void
floor_deck_clear (FloorDeck * d)
{
  if (d->dec)
    gst_harness_teardown (d->dec);
  kithara_biquad_bank_free (d->eq);
  if (d->src)
    src_delete (d->src);
  if (d->resampler)
    gst_audio_resampler_free (d->resampler);
  g_free (d->in);
  g_free (d->out);
}

/* One deck's next 10 ms of output: as much decoding as it takes, the EQ
 * and the resampler on 10 ms input blocks.  NULL at the end of the file. */
static const float *
floor_deck_block (FloorDeck * d, GPtrArray * frames, gint rate)
{
  guint in_frames = rate / BLOCKS_PER_S;
  float *x;

  do {
    while (d->in_len - d->in_pos < in_frames)
      if (!floor_decode (d, frames))
        return NULL;
    x = d->in + d->in_pos * 2;
    d->in_pos += in_frames;
    /* as kitharaeq does */
    if (!kithara_biquad_bank_is_bypassed (d->eq))
      kithara_biquad_bank_process_f32 (d->eq, x, in_frames);
    if (d->src == NULL && d->resampler == NULL)
      return x;
    if (!floor_resample (d, x, in_frames, rate))
      return NULL;
  } while (d->out_len < OUT_FRAMES);
  return d->out;
}

/* @blocks output blocks of 10 ms: every deck's, then their sum. */
static gboolean
floor_run_blocks (FloorDeck * decks, guint n, GPtrArray * frames, gint rate,
    guint blocks, const float **deck_out, float *mix)
{
  guint b, i, k;

  for (b = 0; b < blocks; b++) {
    for (i = 0; i < n; i++)
      if ((deck_out[i] = floor_deck_block (&decks[i], frames, rate)) == NULL)
        return FALSE;
    memset (mix, 0, OUT_FRAMES * 2 * sizeof (float));
    for (i = 0; i < n; i++)
      for (k = 0; k < OUT_FRAMES * 2; k++)
        mix[k] += deck_out[i][k];
    for (i = 0; i < n; i++) {
      FloorDeck *d = &decks[i];

      if (d->src || d->resampler) {
        d->out_len -= OUT_FRAMES;
        memmove (d->out, d->out + OUT_FRAMES * 2,
            d->out_len * 2 * sizeof (float));
      }
    }
    floor_sink += mix[0];
  }
  return TRUE;
}

/* The CPU the same N decks' kernels cost alone, in this one thread, per
 * second of audio: the floor under both pipelines' CPU. */
static void
run_floor (const gchar * file, guint n, Run * r)
{
  KitharaBiquadParams bands[FLOOR_BANDS];
  FloorDeck *decks = g_new0 (FloorDeck, n);
  const float **deck_out = g_new (const float *, n);
  float *mix = g_new (float, OUT_FRAMES * 2);
  gdouble seconds = MIN (opt_seconds, MAX (FLOOR_MIN_SECONDS,
          (gdouble) FLOOR_DECK_SECONDS / n));
  guint blocks = MAX (1, (guint) (seconds * BLOCKS_PER_S + 0.5)), i;
  GstStructure *s;
  GPtrArray *frames = NULL;
  GstCaps *caps = NULL;
  BenchSample before, after;
  gdouble cpu0, cpu1;
  gint rate = 0, channels = 0;

  memset (r, 0, sizeof (*r));
  if (!floor_eq_layout (bands)) {
    g_snprintf (r->failure, sizeof (r->failure), "no kitharaeq");
    goto done;
  }
  if (!gst_registry_check_feature_version (gst_registry_get (), "flacparse",
          1, 0, 0) || !gst_registry_check_feature_version (gst_registry_get (),
          "flacdec", 1, 0, 0)) {
    g_snprintf (r->failure, sizeof (r->failure), "no flacparse or flacdec");
    goto done;
  }
  frames = floor_parse (file, &caps);
  if (caps) {
    s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "rate", &rate);
    gst_structure_get_int (s, "channels", &channels);
  }
  if (frames == NULL || rate <= 0 || channels != 2) {
    g_snprintf (r->failure, sizeof (r->failure), "cannot parse %s", file);
    goto done;
  }
  for (i = 0; i < n; i++) {
    if (!floor_deck_init (&decks[i], frames, caps, bands, rate)) {
      g_snprintf (r->failure, sizeof (r->failure), "cannot set deck %u up", i);
      goto done;
    }
    /* A FLAC frame decodes to ~100 ms at once: in step, every deck would
     * decode in the same blocks and the ends of the window would decide
     * how many of those bursts it holds.  Spread over the frame, they
     * average out. */
    decks[i].in_pos = decks[i].in_len * i / n;
  }

  if (!floor_run_blocks (decks, n, frames, rate,
          FLOOR_WARMUP_S * BLOCKS_PER_S, deck_out, mix))
    goto short_file;
  bench_sample (&before);
  cpu0 = thread_cpu_s ();
  if (!floor_run_blocks (decks, n, frames, rate, blocks, deck_out, mix))
    goto short_file;
  cpu1 = thread_cpu_s ();
  bench_sample (&after);

  r->threads = bench_thread_count ();
  r->buffers = blocks;
  r->cpu_percent = 100.0 * (cpu1 - cpu0) * BLOCKS_PER_S / blocks;
  if (opt_verbose)
    g_printerr ("  floor N=%u: %.3f s of this thread's CPU (process: %.3f "
        "s) for %.2f s of audio, in %.3f s\n", n, cpu1 - cpu0,
        after.cpu_s - before.cpu_s, (gdouble) blocks / BLOCKS_PER_S,
        after.wall_s - before.wall_s);
  r->ok = TRUE;
  goto done;

short_file:
  g_snprintf (r->failure, sizeof (r->failure), "decoding stopped before "
      "the end of the window");
done:
  for (i = 0; i < n; i++)
    floor_deck_clear (&decks[i]);
  g_free (decks);
  g_free (deck_out);
  g_free (mix);
  if (frames)
    g_ptr_array_unref (frames);
  if (caps)
    gst_caps_unref (caps);
}
#endif /* BENCH_DECKS_FLOOR */

/* ------------------------------------------------------------------ */
/* The parent: files, runs in child processes, medians, table, CSV, plot */

static const gchar *self_path;

static gchar *
make_file (const gchar * dir, guint rate, gdouble seconds)
{
  gchar *path = g_strdup_printf ("%s/deck-%u.flac", dir, rate);
  gchar *desc = g_strdup_printf ("audiotestsrc wave=pink-noise "
      "samplesperbuffer=%u num-buffers=%u ! audio/x-raw,rate=%u,channels=2 ! "
      "audioconvert ! flacenc ! filesink location=\"%s\"", rate / 100,
      (guint) (seconds * 100), rate, path);

  bench_render (desc);
  g_free (desc);
  return path;
}

static void
run_in_child (gint side, const gchar * file, guint n, Run * r)
{
  gchar *count = g_strdup_printf ("%u", n);
  gchar warmup[G_ASCII_DTOSTR_BUF_SIZE], seconds[G_ASCII_DTOSTR_BUF_SIZE];
  gchar gain[G_ASCII_DTOSTR_BUF_SIZE], contexts[16], latency[16];
  GPtrArray *argv = g_ptr_array_new ();
  gchar *out = NULL;
  gint status = 0;
  GError *err = NULL;

  g_snprintf (contexts, sizeof (contexts), "%d", opt_contexts);
  g_snprintf (latency, sizeof (latency), "%d", opt_mixer_latency);
  g_ptr_array_add (argv, (gpointer) self_path);
  g_ptr_array_add (argv, "--run");
  g_ptr_array_add (argv, (gpointer) side_names[side]);
  g_ptr_array_add (argv, "--contexts");
  g_ptr_array_add (argv, contexts);
  g_ptr_array_add (argv, "--mixer-latency");
  g_ptr_array_add (argv, latency);
  g_ptr_array_add (argv, "--eq-gain");
  g_ptr_array_add (argv, g_ascii_dtostr (gain, sizeof (gain), opt_eq_gain));
  g_ptr_array_add (argv, "--warmup");
  g_ptr_array_add (argv, g_ascii_dtostr (warmup, sizeof (warmup),
          opt_warmup));
  g_ptr_array_add (argv, "--seconds");
  g_ptr_array_add (argv, g_ascii_dtostr (seconds, sizeof (seconds),
          opt_seconds));
  if (opt_engine) {
    g_ptr_array_add (argv, "--resample-engine");
    g_ptr_array_add (argv, opt_engine);
  }
  if (opt_verbose)
    g_ptr_array_add (argv, "--verbose");
  g_ptr_array_add (argv, (gpointer) file);
  g_ptr_array_add (argv, count);
  g_ptr_array_add (argv, NULL);
  memset (r, 0, sizeof (*r));
  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
          NULL, &out, NULL, &status, &err)) {
    g_snprintf (r->failure, sizeof (r->failure), "%s", err->message);
    g_error_free (err);
  } else if (!g_spawn_check_wait_status (status, &err)) {
    /* e.g. killed by the child's own watchdog: it hung */
    g_snprintf (r->failure, sizeof (r->failure), "child: %s", err->message);
    g_error_free (err);
  } else if (g_str_has_prefix (out, "fail ")) {
    g_snprintf (r->failure, sizeof (r->failure), "%s", g_strchomp (out + 5));
  } else if (sscanf (out, "ok %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf "
          "%lf %lf %lf", &r->start_s, &r->threads, &r->cpu_percent,
          &r->csw_per_s, &r->buffers, &r->late, &r->max_late_ms,
          &r->realtime, &r->mixer_underruns, &r->forced_blocks,
          &r->missed_deck_blocks, &r->worker_busy_percent,
          &r->worker_wakeups_per_s, &r->worker_csw_per_s) == RUN_FIELDS) {
    r->ok = TRUE;
  } else {
    g_snprintf (r->failure, sizeof (r->failure), "unreadable result");
  }
  g_free (out);
  g_free (count);
  g_ptr_array_unref (argv);
}

/* Medians over the runs that worked; the first failure is kept. */
typedef struct
{
  guint ok, runs;
  gchar failure[200];
  Run med;
} Summary;

static void
summarize (Run * runs, guint n, Summary * s)
{
  gdouble *v = g_new (gdouble, n);
  guint f, i, k;

  memset (s, 0, sizeof (*s));
  s->runs = n;
  for (i = 0; i < n; i++) {
    if (runs[i].ok)
      s->ok++;
    else if (!s->failure[0])
      g_strlcpy (s->failure, runs[i].failure, sizeof (s->failure));
  }
  s->med.ok = s->ok > 0;
  for (f = 0; f < RUN_FIELDS && s->ok; f++) {
    gsize off = G_STRUCT_OFFSET (Run, start_s) + f * sizeof (gdouble);

    for (i = k = 0; i < n; i++)
      if (runs[i].ok)
        v[k++] = G_STRUCT_MEMBER (gdouble, &runs[i], off);
    G_STRUCT_MEMBER (gdouble, &s->med, off) = bench_median (v, k);
  }
  g_free (v);
}

static void
print_header (void)
{
  g_print ("  %-4s %-8s %7s %8s %9s %7s %6s %6s %7s %6s %7s %7s %6s\n",
      "N", "", "threads", "CPU %", "csw/s", "csw/blk", "late", "max ms",
      "rt", "mixUR", "missed", "wkbusy", "wk/blk");
}

static void
print_summary (guint n, gint side, const Summary * s)
{
  const Run *m = &s->med;

  if (!s->ok) {
    g_print ("  %-4u %-8s failed: %s\n", n, side_names[side], s->failure);
    return;
  }
  if (side == FLOOR) {
    g_print ("  %-4u %-8s %7.0f %8.1f %9s %7s %6s %6s %7s %6s %7s %7s %6s",
        n, side_names[side], m->threads, m->cpu_percent, "-", "-", "-", "-",
        "-", "-", "-", "-", "-");
    if (s->ok < s->runs)
      g_print ("  (%u of %u runs failed: %s)", s->runs - s->ok, s->runs,
          s->failure);
    g_print ("\n");
    return;
  }
  g_print ("  %-4u %-8s %7.0f %8.1f %9.0f %7.2f %6.0f %6.1f %7.3f", n,
      side_names[side], m->threads, m->cpu_percent, m->csw_per_s,
      m->csw_per_s / BLOCKS_PER_S, m->late, m->max_late_ms, m->realtime);
  if (side == KITHARA)
    g_print (" %6.0f %7.0f %6.1f%% %6.2f", m->mixer_underruns,
        m->missed_deck_blocks, m->worker_busy_percent,
        (m->worker_csw_per_s) / BLOCKS_PER_S);
  else
    g_print (" %6s %7s %7s %6s", "-", "-", "-", "-");
  if (s->ok < s->runs)
    g_print ("  (%u of %u runs failed: %s)", s->runs - s->ok, s->runs,
        s->failure);
  g_print ("\n");
}

static void
print_ratio (const Summary * stock, const Summary * ours)
{
  if (!stock->ok || !ours->ok)
    return;
  g_print ("  %-4s %-8s %7.2f %8.2f %9.2f\n", "", "ratio",
      ours->med.threads / stock->med.threads,
      ours->med.cpu_percent / stock->med.cpu_percent,
      ours->med.csw_per_s / stock->med.csw_per_s);
}

/* CPU over the floor's, in the CPU % column. */
static void
print_floor_ratio (const gchar * label, const Summary * side,
    const Summary * floor)
{
  gchar ratio[32];

  if (!side->ok || !floor->ok)
    return;
  /* Behind real time a side did less work per second than the floor
   * measures: bracketed, as a comparison of unequal work. */
  g_snprintf (ratio, sizeof (ratio), side->med.realtime < REALTIME_MIN ?
      "(%.2f)" : "%.2f", side->med.cpu_percent / floor->med.cpu_percent);
  g_print ("  %-4s %-16s %8s\n", "", label, ratio);
}

/* A CSV field: quoted, quotes doubled. */
static gchar *
csv_text (const gchar * text)
{
  gchar **parts = g_strsplit (text, "\"", -1);
  gchar *joined = g_strjoinv ("\"\"", parts);
  gchar *quoted = g_strdup_printf ("\"%s\"", joined);

  g_strfreev (parts);
  g_free (joined);
  return quoted;
}

/* @floor_percent: the floor of (rate, N), on both sides' rows; NaN when
 * not measured. */
static void
csv_row (FILE * csv, guint rate, guint n, gint side, const Summary * s,
    gdouble floor_percent)
{
  const Run *m = &s->med;
  gchar *failure = csv_text (s->ok < s->runs ? s->failure : "");
  gchar floor[32] = "NaN";

  if (!isnan (floor_percent))
    g_snprintf (floor, sizeof (floor), "%.2f", floor_percent);
  if (!s->ok) {
    fprintf (csv, "%u,%u,%s,%u,%u,NaN,NaN,NaN,NaN,NaN,NaN,NaN,NaN,NaN,NaN,"
        "NaN,NaN,NaN,NaN,NaN,%s,%s\n", rate, n, side_names[side], s->ok,
        s->runs, floor, failure);
    g_free (failure);
    return;
  }
  fprintf (csv, "%u,%u,%s,%u,%u,%.0f,%.2f,%.0f,%.3f,%.0f,%.0f,%.2f,%.4f,",
      rate, n, side_names[side], s->ok, s->runs, m->threads, m->cpu_percent,
      m->csw_per_s, m->csw_per_s / BLOCKS_PER_S, m->buffers, m->late,
      m->max_late_ms, m->realtime);
  if (side == KITHARA)
    fprintf (csv, "%.0f,%.0f,%.0f,%.2f,%.1f,%.1f,", m->mixer_underruns,
        m->forced_blocks, m->missed_deck_blocks, m->worker_busy_percent,
        m->worker_wakeups_per_s, m->worker_csw_per_s);
  else
    fprintf (csv, "NaN,NaN,NaN,NaN,NaN,NaN,");
  fprintf (csv, "%.2f,%s,%s\n", m->start_s, floor, failure);
  g_free (failure);
}

/* Threads, CPU and context switches against N, both sides, each input
 * rate; the line for one switch per 10 ms block is the target. */
static gboolean
plot (const gchar * dir, const gchar * csv, const gchar * png,
    const guint * rates, guint n_rates)
{
  static const gchar *panels[][3] = {
    {"6", "threads", "threads"},
    {"7", "CPU (% of one core)", "CPU %"},
    {"8", "context switches per second", "context switches/s"},
  };
  gchar *gnuplot = g_find_program_in_path ("gnuplot");
  gchar *script_path = g_build_filename (dir, "plot.gp", NULL);
  GString *gp = g_string_new (NULL);
  gboolean ok = FALSE;
  gint status;
  guint p, r, s;

  if (gnuplot == NULL) {
    g_print ("gnuplot not found (Debian package gnuplot-nox): no plot\n");
    goto out;
  }
  g_string_append_printf (gp,
      "set terminal pngcairo size 1500,600 font 'sans,10'\n"
      "set output '%s'\n"
      "set datafile separator ','\n"
      "set datafile missing 'NaN'\n"
      "set key below\n"
      "set logscale xy\n"
      "set xrange [0.8:260]\n"
      "set xtics (1, 16, 64, 200)\n"
      "set xlabel 'decks (N)'\n"
      "set grid\n"
      "set multiplot layout 1,3 title 'N decks of decode, EQ, resample, "
      "mix in real time: kithara and stock GStreamer (medians)'\n", png);
  for (p = 0; p < G_N_ELEMENTS (panels); p++) {
    gboolean first = TRUE;

    g_string_append_printf (gp, "set title '%s'\nset ylabel '%s'\n"
        "set yrange [%s:*]\nplot ", panels[p][1], panels[p][2],
        p == 2 ? "50" : "*");
    for (r = 0; r < n_rates; r++) {
      for (s = 0; s < 2; s++) {
        /* one colour per side, one dash pattern per input rate */
        g_string_append_printf (gp, "%s'%s' skip 1 using 2:((strcol(3) eq "
            "'%s' && $1 == %u) ? $%s : NaN) with linespoints lw 2 pt %u "
            "lc rgb '%s' dt %u ", first ? "" : ", ", csv, side_names[s],
            rates[r], panels[p][0], s ? 7 : 5, s ? "#1f77b4" : "#d62728",
            r + 1);
        g_string_append_printf (gp, "title '%s, %g kHz input'",
            side_names[s], rates[r] / 1000.0);
        first = FALSE;
      }
    }
    /* Rings around the runs whose output fell behind real time. */
    g_string_append_printf (gp, ", '%s' skip 1 using 2:($13 < %g ? $%s : "
        "NaN) with points pt 6 ps 3 lw 2 lc rgb 'black' title 'output "
        "behind real time'", csv, REALTIME_MIN, panels[p][0]);
    if (p == 2)
      g_string_append_printf (gp, ", %d with lines lc rgb 'black' dt 3 "
          "title 'one per 10 ms block'", BLOCKS_PER_S);
    g_string_append (gp, "\n");
  }
  g_string_append (gp, "unset multiplot\n");
  if (!g_file_set_contents (script_path, gp->str, -1, NULL))
    goto out;
  {
    const gchar *argv[] = { gnuplot, script_path, NULL };
    gchar *errors = NULL;

    /* gnuplot warns about series without points (no run behind real
     * time); only its errors are worth showing. */
    ok = g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL,
        NULL, NULL, &errors, &status, NULL) &&
        g_spawn_check_wait_status (status, NULL);
    if (!ok)
      g_printerr ("gnuplot failed: %s\n", errors ? errors : "");
    g_free (errors);
  }
  g_unlink (script_path);
out:
  g_string_free (gp, TRUE);
  g_free (script_path);
  g_free (gnuplot);
  return ok;
}

static guint *
parse_list (const gchar * text, guint * n)
{
  gchar **parts = g_strsplit (text, ",", -1);
  guint *v = g_new0 (guint, g_strv_length (parts) + 1), i;

  for (i = 0; parts[i]; i++)
    v[i] = atoi (parts[i]);
  *n = i;
  g_strfreev (parts);
  return v;
}

static GOptionEntry entries[] = {
  {"repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats,
      "Runs per configuration and side (median; default 3)", "R"},
  {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &opt_seconds,
      "Measurement window (default 5)", "S"},
  {"warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &opt_warmup,
      "Time in PLAYING before the window (default 2)", "S"},
  {"counts", 'n', 0, G_OPTION_ARG_STRING, &opt_counts,
      "Deck counts (default 1,16,64,200)", "N,..."},
  {"rates", 0, 0, G_OPTION_ARG_STRING, &opt_rates,
      "Input sample rates (default 44100,48000)", "HZ,..."},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "Write PREFIX.csv and PREFIX.png (default bench-decks)", "PREFIX"},
  {"contexts", 'c', 0, G_OPTION_ARG_INT, &opt_contexts,
      "Kithara worker contexts the decks are spread over (default 1)", "K"},
  {"resample-engine", 'e', 0, G_OPTION_ARG_STRING, &opt_engine,
      "kithararesample's engine (default: the element's)", "NAME"},
  {"threads", 't', 0, G_OPTION_ARG_STRING, &opt_threads,
      "Threads of every kithara context: N or auto (default 1)", "T"},
  {"mixer-latency", 'l', 0, G_OPTION_ARG_INT, &opt_mixer_latency,
      "kitharamixer's latency (default: the element's, 50 ms)", "MS"},
  {"eq-gain", 'g', 0, G_OPTION_ARG_DOUBLE, &opt_eq_gain,
        "Gain of the EQ bands, alternating + and - (default 6 dB; 0 = flat)",
      "DB"},
  {"no-floor", 0, 0, G_OPTION_ARG_NONE, &opt_no_floor,
      "Do not measure the kernel floor", NULL},
  {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "Per run on stderr: context switches per thread name, busy time per "
        "kithara element; the floor's CPU time and audio", NULL},
  {"run", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_run,
        "One measurement in this process: --run stock|kithara|floor FILE N",
      "SIDE"},
  {NULL}
};

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *err = NULL;
  guint *counts, *rates, n_counts, n_rates, r, c, i;
  gchar *dir, **files, *csv_path, *png_path, *latency;
  FILE *csv;

  gst_init (&argc, &argv);
  ctx = g_option_context_new ("- N decks in real time, kithara and stock");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (opt_run) {
    Run run;

    if (argc != 3)
      return 2;
    /* A run that hangs (a deadlock at high N) ends here, and the parent
     * reports it, instead of stalling the benchmark. */
    alarm (START_TIMEOUT_S + (guint) (opt_warmup + opt_seconds) + 60);
    if (g_str_equal (opt_run, "floor"))
#ifdef BENCH_DECKS_FLOOR
      run_floor (argv[1], atoi (argv[2]), &run);
#else
      return 2;
#endif
    else
      run_once (g_str_equal (opt_run, "kithara") ? KITHARA : STOCK, argv[1],
          atoi (argv[2]), &run);
    print_run (&run);
    return 0;
  }
  self_path = argv[0];
#ifndef BENCH_DECKS_FLOOR
  if (!opt_no_floor)
    g_print ("No kernel floor: built without libsamplerate or "
        "gstreamer-check\n");
  opt_no_floor = TRUE;
#endif
  /* The runs are child processes: they inherit the setting. */
  if (opt_threads) {
    gchar *spec = g_strdup_printf ("*:threads=%s", opt_threads);

    g_setenv ("KITHARA_CONTEXTS", spec, TRUE);
    g_free (spec);
  }
  counts = parse_list (opt_counts ? opt_counts : "1,16,64,200", &n_counts);
  rates = parse_list (opt_rates ? opt_rates : "44100,48000", &n_rates);
  if (opt_repeats < 1 || opt_contexts < 1 || n_counts == 0 || n_rates == 0) {
    g_printerr ("nothing to measure\n");
    return 2;
  }
  csv_path = g_strconcat (opt_output ? opt_output : "bench-decks", ".csv",
      NULL);
  png_path = g_strconcat (opt_output ? opt_output : "bench-decks", ".png",
      NULL);

  dir = g_dir_make_tmp ("kithara-bench-XXXXXX", NULL);
  files = g_new0 (gchar *, n_rates + 1);
  for (r = 0; r < n_rates; r++)
    files[r] = make_file (dir, rates[r], opt_warmup + opt_seconds +
        FILE_MARGIN_S);

  csv = fopen (csv_path, "w");
  if (csv == NULL)
    g_error ("cannot write %s", csv_path);
  fprintf (csv, "rate,n,side,runs_ok,runs,threads,cpu_percent,csw_per_s,"
      "csw_per_block,buffers,late_buffers,max_late_ms,realtime,"
      "mixer_underruns,forced_blocks,missed_deck_blocks,worker_busy_percent,"
      "worker_wakeups_per_s,worker_csw_per_s,start_s,floor_cpu_percent,"
      "failure\n");

  latency = opt_mixer_latency > 0 ? g_strdup_printf (", latency %d ms",
      opt_mixer_latency) : g_strdup ("");
  g_print ("N decks (filesrc, FLAC stereo) of decode -> EQ (10 bands at "
      "alternating +-%g dB) -> resample -> mix to " CAPS " -> fakesink "
      "sync=true, in real time\n"
      "  kithara: kitharadecode ! kitharaeq ! kithararesample "
      "quality=sinc-fastest%s%s ! kitharamixer (%d worker context%s of %s "
      "thread%s%s)\n"
      "  stock:   decodebin ! audioconvert ! F32 ! equalizer-nbands ! "
      "audioresample quality=6 ! queue (4 buffers/50 ms) ! audiomixer\n"
      "Each run a fresh process, the sides alternating, medians of %d; "
      "%g s warm-up, %g s window (%g output blocks of 10 ms)\n"
      "  csw/s, csw/blk  context switches of all threads, per second and "
      "per block\n"
      "  late, max ms    buffers reaching the sink after base time + running "
      "time + latency; the largest lateness\n"
      "  rt              seconds of audio delivered per second\n"
      "  mixUR, missed   kitharamixer's underruns; deck-blocks it mixed "
      "without a late deck\n"
      "  wkbusy, wk/blk  the mixer's worker: busy time (all its threads, "
      "%% of one core), context switches (of its first thread) per block\n"
      "%s"
      "Targets: threads constant in N; kithara CPU at N=200 <= 1/3 of "
      "stock's; < 1 context switch per 10 ms block\n", opt_eq_gain,
      opt_engine ? " engine=" : "", opt_engine ? opt_engine : "",
      opt_contexts, opt_contexts > 1 ? "s" : "",
      opt_threads ? opt_threads : "1",
      g_strcmp0 (opt_threads ? opt_threads : "1", "1") ? "s" : "", latency,
      opt_repeats,
      opt_warmup, opt_seconds, opt_seconds * BLOCKS_PER_S, opt_no_floor ? "" :
      "  floor           the kernels alone in one thread, no pipeline: the "
      "same decks' flacdec (in a GstHarness, S16 to F32), kithara's "
      "biquads, sinc-fastest of the engine kithara runs on 10 ms blocks, "
      "their sum\n"
      "                  CPU per second of audio (% of one core in real "
      "time), over the window or " G_STRINGIFY (FLOOR_DECK_SECONDS) " s of "
      "audio / N if shorter (at least " G_STRINGIFY (FLOOR_MIN_SECONDS)
      " s)\n"
      "  kithara/floor, stock/floor  CPU % over the floor's; (in brackets) "
      "that side fell behind real time; stock's EQ and resampler are other "
      "kernels than the floor's\n");
  g_free (latency);

  for (r = 0; r < n_rates; r++) {
    g_print ("\n%u Hz input (%s)\n", rates[r], rates[r] == 48000 ?
        "resamplers pass through" : "every deck resamples to 48 kHz");
    print_header ();
    for (c = 0; c < n_counts; c++) {
      Run *runs[3];
      Summary sum[3];
      gint s;

      for (s = 0; s < 3; s++)
        runs[s] = g_new0 (Run, opt_repeats);
      /* Alternate the sides, and which goes first, so that a change in
       * the load of a shared machine weighs on both alike; the floor
       * comes with every pair. */
      for (i = 0; i < (guint) opt_repeats; i++) {
        for (s = 0; s < 2; s++) {
          gint side = (i % 2) ? 1 - s : s;

          run_in_child (side, files[r], counts[c], &runs[side][i]);
        }
        if (!opt_no_floor)
          run_in_child (FLOOR, files[r], counts[c], &runs[FLOOR][i]);
      }
      for (s = 0; s < 3; s++)
        summarize (runs[s], opt_repeats, &sum[s]);
      for (s = 0; s < 3; s++) {
        if (s == FLOOR && opt_no_floor)
          break;
        print_summary (counts[c], s, &sum[s]);
        if (s != FLOOR)
          csv_row (csv, rates[r], counts[c], s, &sum[s],
              sum[FLOOR].ok ? sum[FLOOR].med.cpu_percent : NAN);
      }
      print_ratio (&sum[STOCK], &sum[KITHARA]);
      print_floor_ratio ("kithara/floor", &sum[KITHARA], &sum[FLOOR]);
      print_floor_ratio ("stock/floor", &sum[STOCK], &sum[FLOOR]);
      for (s = 0; s < 3; s++)
        g_free (runs[s]);
      fflush (csv);
    }
  }
  fclose (csv);
  g_print ("\nCSV: %s\n", csv_path);
  if (plot (dir, csv_path, png_path, rates, n_rates))
    g_print ("plot: %s\n", png_path);

  for (r = 0; r < n_rates; r++) {
    g_unlink (files[r]);
    g_free (files[r]);
  }
  g_free (files);
  g_rmdir (dir);
  g_free (dir);
  g_free (counts);
  g_free (rates);
  g_free (csv_path);
  g_free (png_path);
  return 0;
}
