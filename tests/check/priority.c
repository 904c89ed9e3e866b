/* Priority under load: one audible deck read in real time through
 * kitharasink by a simulated audio callback (10 ms every 10 ms), beside
 * 32 idle chains decoding, equalising and resampling as fast as they can,
 * and two busy loops at normal priority pinned to the two first cores.
 *
 * The audible deck's context runs with real-time priority (SCHED_FIFO):
 * then the operating system, not only the worker, puts it first, and it
 * must not underrun.  The idle chains run on a context of their own at
 * normal priority: a real-time thread kept busy all the time is
 * throttled by the kernel (95 % of a core, 50 ms a second), so work that
 * runs flat out does not belong on a real-time context.
 *
 * The same run with real-time off, and with stock elements (a thread per
 * stream, the same latency), are printed, not asserted: what the OS
 * does with threads of normal priority on a loaded machine is not the
 * test's to control.  Underruns are asserted only when the process may
 * use SCHED_FIFO and the code is not slowed by a sanitizer.
 *
 * KITHARA_PRIORITY_SECONDS shortens the run for quick local checks.
 */
/* SCHED_RESET_ON_FORK, CPU affinity */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <sched.h>
#include <sys/resource.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstadapter.h>
#include <glib/gstdio.h>

#include "gstkitharasink.h"
#include "kitharacontext.h"
#include "kitharacheck.h"

#define N_IDLE 32
#define PERIOD_FRAMES 480       /* 10 ms at 48 kHz */
#define BPF (2 * sizeof (gfloat))
#define LATENCY (50 * GST_MSECOND)
#define OUT_CAPS "audio/x-raw,format=F32LE,rate=48000,channels=2"

static gchar *tmp_dir;

/* The same EQ curve on both sides (10 bands).  Set through the child
 * proxy: gst_parse_launch() leaks a reference per child property it sets
 * in GStreamer 1.22. */
static void
set_eq_curve (GstElement * eq)
{
  gst_child_proxy_set (GST_CHILD_PROXY (eq), "band0::gain", 3.0,
      "band3::gain", -4.0, "band6::gain", 2.0, "band9::gain", -6.0, NULL);
}

static guint
run_seconds (void)
{
  const gchar *s = g_getenv ("KITHARA_PRIORITY_SECONDS");

  return s ? MAX (1, atoi (s)) : 20;
}

static gchar *
make_flac (const gchar * name, guint seconds)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u "
      "samplesperbuffer=4410 wave=sine freq=440 volume=0.5 ! "
      "audio/x-raw,format=S16LE,rate=44100,channels=2 ! flacenc ! "
      "filesink location=\"%s\"", seconds * 10, path);
  GstElement *p = kc_parse (desc);

  gst_element_set_state (p, GST_STATE_PLAYING);
  kc_wait_eos (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  return path;
}

/* ------------------------------------------------------------------ */
/* The audio callback: a thread woken every 10 ms by a periodic clock id. */

typedef gsize (*ReadFunc) (gpointer source, guint8 * data, gsize frames);

typedef struct
{
  ReadFunc read;
  gpointer source;
  GstClockID id;
  GThread *thread;
  gint stop;
  gint realtime;                /* the thread got SCHED_FIFO */
  guint64 periods;
  guint64 short_periods;
} Callback;

/* Real-time priority for thread @tid (0: this one), if the process may. */
static gboolean
make_realtime (gint tid, gint priority)
{
  struct sched_param param = { 0 };

  param.sched_priority = priority;
  return sched_setscheduler (tid, SCHED_FIFO, &param) == 0;
}

static gpointer
callback_loop (gpointer user_data)
{
  Callback *cb = user_data;
  guint8 data[PERIOD_FRAMES * BPF];

  /* Above the worker, as a device's callback is. */
  g_atomic_int_set (&cb->realtime, make_realtime (0, 20));

  while (!g_atomic_int_get (&cb->stop)) {
    if (gst_clock_id_wait (cb->id, NULL) == GST_CLOCK_UNSCHEDULED)
      break;
    if (cb->read (cb->source, data, PERIOD_FRAMES) < PERIOD_FRAMES)
      cb->short_periods++;
    cb->periods++;
  }
  return NULL;
}

static void
callback_start (Callback * cb, ReadFunc read, gpointer source)
{
  GstClock *clock = gst_system_clock_obtain ();

  cb->read = read;
  cb->source = source;
  cb->stop = 0;
  cb->realtime = 0;
  cb->periods = cb->short_periods = 0;
  cb->id = gst_clock_new_periodic_id (clock, gst_clock_get_time (clock),
      10 * GST_MSECOND);
  gst_object_unref (clock);
  cb->thread = g_thread_new ("audio-callback", callback_loop, cb);
}

static void
callback_stop (Callback * cb)
{
  g_atomic_int_set (&cb->stop, 1);
  gst_clock_id_unschedule (cb->id);
  g_thread_join (cb->thread);
  gst_clock_id_unref (cb->id);
}

/* ------------------------------------------------------------------ */
/* Idle chains: run as fast as they can, restarting at EOS, counting the
 * audio they get through. */

typedef struct
{
  GstElement *pipeline;
  guint64 frames;               /* atomic */
} IdleChain;

static void
count_frames (GstElement * sink, GstBuffer * buf, GstPad * pad,
    IdleChain * chain)
{
  __atomic_add_fetch (&chain->frames, gst_buffer_get_size (buf) / BPF,
      __ATOMIC_RELAXED);
}

static gboolean
restart_at_eos (GstBus * bus, GstMessage * msg, IdleChain * chain)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    gst_element_seek_simple (chain->pipeline, GST_FORMAT_TIME,
        GST_SEEK_FLAG_FLUSH, 0);
  else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    fail ("an idle chain failed");
  return G_SOURCE_CONTINUE;
}

static void
idle_chains_start (IdleChain * chains, const gchar * chain_desc,
    const gchar * file)
{
  guint i;

  for (i = 0; i < N_IDLE; i++) {
    gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! "
        OUT_CAPS " ! fakesink name=out sync=false signal-handoffs=true", file,
        chain_desc);
    GstBus *bus;

    chains[i].pipeline = kc_parse (desc);
    chains[i].frames = 0;
    set_eq_curve (kc_child (chains[i].pipeline, "ieq"));
    g_signal_connect (kc_child (chains[i].pipeline, "out"), "handoff",
        G_CALLBACK (count_frames), &chains[i]);
    bus = gst_element_get_bus (chains[i].pipeline);
    gst_bus_add_watch (bus, (GstBusFunc) restart_at_eos, &chains[i]);
    gst_object_unref (bus);
    gst_element_set_state (chains[i].pipeline, GST_STATE_PLAYING);
    g_free (desc);
  }
}

/* Stops them and returns the least audio one of them got through, in
 * seconds. */
static gdouble
idle_chains_stop (IdleChain * chains)
{
  guint64 least = G_MAXUINT64;
  guint i;

  for (i = 0; i < N_IDLE; i++) {
    GstBus *bus = gst_element_get_bus (chains[i].pipeline);

    gst_element_set_state (chains[i].pipeline, GST_STATE_NULL);
    gst_bus_remove_watch (bus);
    gst_object_unref (bus);
    gst_object_unref (chains[i].pipeline);
    least = MIN (least, __atomic_load_n (&chains[i].frames,
            __ATOMIC_RELAXED));
  }
  return least / 48000.0;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Lets the main loop (idle chains' restarts) run for @seconds. */
static void
run_for (guint seconds)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add_seconds (seconds, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}

/* ------------------------------------------------------------------ */
/* Stock: appsink behind a 50 ms queue, read into an adapter. */

typedef struct
{
  GstAppSink *appsink;
  GstAdapter *adapter;
  gboolean started;
  guint64 underruns;
} StockReader;

static gsize
stock_read (gpointer source, guint8 * data, gsize frames)
{
  StockReader *r = source;
  GstSample *sample;
  gsize have;

  /* Never waits, as an audio callback must not. */
  while (gst_adapter_available (r->adapter) < frames * BPF &&
      (sample = gst_app_sink_try_pull_sample (r->appsink, 0))) {
    gst_adapter_push (r->adapter,
        gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
    r->started = TRUE;
  }
  have = MIN (gst_adapter_available (r->adapter) / BPF, frames);
  if (have > 0) {
    gst_adapter_copy (r->adapter, data, 0, have * BPF);
    gst_adapter_flush (r->adapter, have * BPF);
  }
  if (have < frames && r->started)
    r->underruns++;
  return have;
}

static gsize
kithara_read (gpointer source, guint8 * data, gsize frames)
{
  return gst_kithara_sink_read (source, data, frames);
}

/* ------------------------------------------------------------------ */

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kithara-priority-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

/* ------------------------------------------------------------------ */
/* Load: a busy loop at normal priority on each of the first two cores. */

typedef struct
{
  GThread *threads[2];
  gint stop;
} Load;

typedef struct
{
  Load *load;
  guint cpu;
} LoadThread;

static gpointer
spin (gpointer data)
{
  LoadThread *lt = data;
  cpu_set_t set;
  volatile guint64 n = 0;

  CPU_ZERO (&set);
  CPU_SET (lt->cpu % (guint) g_get_num_processors (), &set);
  sched_setaffinity (0, sizeof (set), &set);
  while (!g_atomic_int_get (&lt->load->stop))
    n++;
  g_free (lt);
  return NULL;
}

static void
load_start (Load * load)
{
  guint i;

  load->stop = 0;
  for (i = 0; i < G_N_ELEMENTS (load->threads); i++) {
    LoadThread *lt = g_new (LoadThread, 1);

    lt->load = load;
    lt->cpu = i;
    load->threads[i] = g_thread_new ("busy-loop", spin, lt);
  }
}

static void
load_stop (Load * load)
{
  guint i;

  g_atomic_int_set (&load->stop, 1);
  for (i = 0; i < G_N_ELEMENTS (load->threads); i++)
    g_thread_join (load->threads[i]);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  guint64 underruns;
  gdouble idle_seconds;         /* the least one idle chain got through */
  gboolean realtime;            /* the deck's context had real-time */
} KitharaRun;

/* One run of the audible deck on context "audible" (real-time priority
 * @priority, 0 = off) beside the idle chains and the load. */
static void
run_kithara (const gchar * audible_file, const gchar * idle_file,
    guint seconds, gint priority, KitharaRun * result)
{
  IdleChain *chains = g_new0 (IdleChain, N_IDLE);
  GstStructure *s, *ws = NULL;
  GstElement *p, *sink, *eq;
  gchar *desc;
  Callback cb;
  Load load;

  kithara_context_set_realtime ("audible", priority);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "context=audible ! kitharaeq name=eq context=audible ! "
      "kithararesample context=audible ! kitharasink name=sink "
      "context=audible buffer-time=%" G_GUINT64_FORMAT " caps=\"" OUT_CAPS
      "\"", audible_file, LATENCY);
  p = kc_parse (desc);
  g_free (desc);
  sink = kc_child (p, "sink");
  eq = kc_child (p, "eq");
  set_eq_curve (eq);
  kc_set_state_sync (p, GST_STATE_PLAYING);
  s = kc_get_stats (sink);
  fail_unless (gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &ws, NULL));
  fail_unless (gst_structure_get_boolean (ws, "realtime", &result->realtime));
  gst_structure_free (ws);
  gst_structure_free (s);

  load_start (&load);
  callback_start (&cb, kithara_read, sink);
  idle_chains_start (chains, "kitharadecode context=background ! "
      "kitharaeq name=ieq context=background ! kithararesample "
      "context=background quality=sinc-fastest service-class=idle",
      idle_file);

  run_for (seconds);
  fail_unless_equals_int (kc_service_class (eq), 0);
  fail_unless_equals_int (kc_service_class (kc_child (chains[0].pipeline,
              "ieq")), 2);
  result->idle_seconds = idle_chains_stop (chains);
  callback_stop (&cb);
  load_stop (&load);
  result->underruns =
      gst_kithara_sink_get_underruns (GST_KITHARA_SINK (sink));
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (chains);
}

/* The same with stock elements: a thread per stream, the same 50 ms
 * between decoder and callback. */
static void
run_stock (const gchar * audible_file, const gchar * idle_file,
    guint seconds, guint64 * underruns, gdouble * idle_seconds)
{
  IdleChain *chains = g_new0 (IdleChain, N_IDLE);
  StockReader stock = { 0 };
  GstElement *p;
  gchar *desc;
  Callback cb;
  Load load;

  desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "audioconvert ! equalizer-nbands name=eq ! audioresample ! " OUT_CAPS
      " ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=%"
      G_GUINT64_FORMAT " ! appsink name=sink max-buffers=1 sync=false",
      audible_file, LATENCY);
  p = kc_parse (desc);
  g_free (desc);
  stock.appsink = GST_APP_SINK (kc_child (p, "sink"));
  set_eq_curve (kc_child (p, "eq"));
  stock.adapter = gst_adapter_new ();
  kc_set_state_sync (p, GST_STATE_PLAYING);
  load_start (&load);
  callback_start (&cb, stock_read, &stock);
  idle_chains_start (chains, "decodebin ! audioconvert ! "
      "equalizer-nbands name=ieq ! audioresample", idle_file);
  run_for (seconds);
  *idle_seconds = idle_chains_stop (chains);
  callback_stop (&cb);
  load_stop (&load);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_object_unref (stock.adapter);
  *underruns = stock.underruns;
  g_free (chains);
}

GST_START_TEST (test_audible_never_starves)
{
  guint seconds = run_seconds ();
  gchar *audible_file = make_flac ("audible.flac", seconds + 10);
  gchar *idle_file = make_flac ("idle.flac", 10);
  KitharaRun rt, normal;
  guint64 stock_underruns;
  gdouble stock_idle;
  gboolean asserted;

  /* Where real-time is not permitted, asking for it would warn. */
  run_kithara (audible_file, idle_file, seconds, kc_may_use_fifo ()? 10 : 0,
      &rt);
  run_kithara (audible_file, idle_file, seconds, 0, &normal);
  kithara_context_set_realtime ("audible", 0);
  run_stock (audible_file, idle_file, seconds, &stock_underruns,
      &stock_idle);

  asserted = rt.realtime;
#ifdef KITHARA_CHECK_SANITIZED
  /* Slowed several times over, the deck's own ticks can outlast the
   * callback's period. */
  asserted = FALSE;
#endif
  g_print ("%u s, audible deck read 10 ms every 10 ms beside %d chains "
      "running flat out and 2 busy loops:\n"
      "  kithara, real-time on:  %" G_GUINT64_FORMAT " underruns%s\n"
      "  kithara, real-time off: %" G_GUINT64_FORMAT " underruns\n"
      "  stock:                  %" G_GUINT64_FORMAT " underruns\n"
      "  each idle chain got through at least %.1f s (kithara) and "
      "%.1f s (stock) of audio\n", seconds, N_IDLE, rt.underruns,
      rt.realtime ? (asserted ? " (asserted)" :
          " (under a sanitizer: not asserted)") :
      " (real-time not permitted here: not asserted)", normal.underruns,
      stock_underruns, MIN (rt.idle_seconds, normal.idle_seconds),
      stock_idle);

  if (asserted)
    fail_unless_equals_uint64 (rt.underruns, 0);
  fail_unless (rt.idle_seconds > 0.0 && normal.idle_seconds > 0.0,
      "idle chains starved");

  g_free (audible_file);
  g_free (idle_file);
}

GST_END_TEST;

static Suite *
priority_suite (void)
{
  Suite *s = suite_create ("kithara-priority");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_audible_never_starves);
  return s;
}

KITHARA_CHECK_MAIN (priority);
