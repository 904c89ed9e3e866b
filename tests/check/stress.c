/* Kithara stress: four application threads build random kithara
 * pipelines (decoders, EQs, resamplers, mixers with 1 to 8 decks, sinks
 * read by an application thread) and act on them at random: state
 * changes, flushing seeks, mixer pads requested and released while
 * playing, live property changes (service-class, playback-rate, quality,
 * num-bands, mode), stats read during state changes; a fifth thread pokes
 * properties and reads stats of the other threads' elements.
 *
 * Passes when nothing crashes, no thread stalls (a watchdog dumps every
 * thread's stack and aborts if an action takes over a minute) and the
 * leaks tracer finds nothing at exit.  It prints what it did.
 *
 * KITHARA_STRESS_SECONDS (default 30) sets the duration,
 * KITHARA_STRESS_SEED the random seed (printed).  tests/stress/run.sh runs
 * it for 10 minutes under AddressSanitizer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gstkitharasink.h"
#include "kitharacheck.h"

#define N_THREADS 4
#define STALL_SECONDS 60

static gchar *tmp_dir;
static gchar *files[3];

/* ------------------------------------------------------------------ */
/* What was done */

static struct
{
  gint pipelines;
  gint actions;
  gint seeks;
  gint requests;
  gint releases;
  gint state_changes;
  gint property_changes;
  gint stats_reads;
  gint errors;
} counts;

#define COUNT(field) g_atomic_int_inc (&counts.field)

/* Elements any thread may poke, each with a reference. */
static GMutex shared_lock;
static GPtrArray *shared;

static void
share (GstElement * e)
{
  g_mutex_lock (&shared_lock);
  g_ptr_array_add (shared, gst_object_ref (e));
  g_mutex_unlock (&shared_lock);
}

static void
unshare (GstElement * e)
{
  gboolean found;

  g_mutex_lock (&shared_lock);
  found = g_ptr_array_remove (shared, e);
  g_mutex_unlock (&shared_lock);
  if (found)
    gst_object_unref (e);
}

static GstElement *
pick_shared (GRand * rand)
{
  GstElement *e = NULL;

  g_mutex_lock (&shared_lock);
  if (shared->len > 0)
    e = gst_object_ref (g_ptr_array_index (shared,
            g_rand_int_range (rand, 0, shared->len)));
  g_mutex_unlock (&shared_lock);
  return e;
}

/* ------------------------------------------------------------------ */
/* Live property changes and stats, on any kithara element */

static void
poke (GstElement * e, GRand * rand)
{
  const gchar *type = G_OBJECT_TYPE_NAME (e);

  switch (g_rand_int_range (rand, 0, 4)) {
    case 0:
      g_object_set (e, "service-class", g_rand_int_range (rand, 0, 4), NULL);
      break;
    case 1:
      if (g_str_equal (type, "GstKitharaResample"))
        g_object_set (e, "playback-rate", g_rand_double_range (rand, 0.5,
                2.0), NULL);
      else if (g_str_equal (type, "GstKitharaEq"))
        g_object_set (e, "num-bands", g_rand_int_range (rand, 1, 20), NULL);
      break;
    case 2:
      if (g_str_equal (type, "GstKitharaResample"))
        g_object_set (e, "quality", g_rand_int_range (rand, 1, 5), NULL);
      else if (g_str_equal (type, "GstKitharaEq"))
        g_object_set (e, "mode", g_rand_int_range (rand, 0, 2), NULL);
      break;
    default:{
      GstStructure *s = NULL;

      g_object_get (e, "stats", &s, NULL);
      fail_unless (s != NULL);
      gst_structure_free (s);
      COUNT (stats_reads);
      return;
    }
  }
  COUNT (property_changes);
}

/* ------------------------------------------------------------------ */
/* An application reading a kitharasink, paced by the system clock as an
 * audio callback would be by its device. */

typedef struct
{
  GstElement *sink;
  GstClockID tick;
  gint stop;
  GThread *thread;
} Reader;

static gpointer
reader_loop (gpointer data)
{
  Reader *r = data;
  gfloat frames[480 * 2 * 2];

  while (!g_atomic_int_get (&r->stop)) {
    gst_kithara_sink_read (GST_KITHARA_SINK (r->sink), frames, 480);
    gst_clock_id_wait (r->tick, NULL);
  }
  return NULL;
}

static Reader *
reader_start (GstElement * sink)
{
  Reader *r = g_new0 (Reader, 1);
  GstClock *clock = gst_system_clock_obtain ();

  r->sink = gst_object_ref (sink);
  r->tick = gst_clock_new_periodic_id (clock, gst_clock_get_time (clock),
      10 * GST_MSECOND);
  gst_object_unref (clock);
  r->thread = g_thread_new ("app-reader", reader_loop, r);
  return r;
}

static void
reader_stop (Reader * r)
{
  g_atomic_int_set (&r->stop, 1);
  gst_clock_id_unschedule (r->tick);
  g_thread_join (r->thread);
  gst_clock_id_unref (r->tick);
  gst_object_unref (r->sink);
  g_free (r);
}

/* ------------------------------------------------------------------ */
/* Random pipelines */

typedef struct
{
  GstElement *bin;              /* the deck's elements */
  GstPad *pad;                  /* the mixer's pad it feeds */
} Deck;

typedef struct
{
  GstElement *pipeline;
  GstElement *mixer;
  GPtrArray *decks;             /* Deck; mixer only */
  Reader *reader;
  GPtrArray *kithara;           /* the kithara elements, shared */
} Rig;

static const gchar *
random_source (GRand * rand)
{
  static const gchar *sources[] = {
    "audiotestsrc ! audio/x-raw,format=F32LE,rate=44100",
    "audiotestsrc is-live=true samplesperbuffer=441 ! "
        "audio/x-raw,format=F32LE,rate=44100",
    NULL, NULL, NULL
  };
  guint i = g_rand_int_range (rand, 0, G_N_ELEMENTS (sources));

  return sources[i];
}

/* A chain description of kithara elements from some source. */
static gchar *
random_chain (GRand * rand)
{
  const gchar *src = random_source (rand);
  GString *s = g_string_new (NULL);

  if (src)
    g_string_append (s, src);
  else
    g_string_append_printf (s, "filesrc location=\"%s\" ! kitharadecode",
        files[g_rand_int_range (rand, 0, G_N_ELEMENTS (files))]);
  switch (g_rand_int_range (rand, 0, 4)) {
    case 0:
      g_string_append (s, " ! kitharaeq");
      break;
    case 1:
      g_string_append (s, " ! kithararesample");
      break;
    case 2:
      g_string_append (s, " ! kitharaeq ! kithararesample");
      break;
    default:
      if (!src)
        break;                  /* the decoder alone */
      g_string_append (s, " ! kitharaeq");
      break;
  }
  return g_string_free (s, FALSE);
}

static void
collect_kithara (Rig * rig)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (rig->pipeline));
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);

    if (g_str_has_prefix (G_OBJECT_TYPE_NAME (e), "GstKithara")) {
      g_ptr_array_add (rig->kithara, gst_object_ref (e));
      share (e);
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

static void
add_deck (Rig * rig, GRand * rand)
{
  gchar *chain = random_chain (rand);
  GError *err = NULL;
  GstElement *bin = gst_parse_bin_from_description (chain, TRUE, &err);
  Deck *deck = g_new (Deck, 1);
  GstPad *pad, *src;

  fail_unless (bin != NULL && err == NULL, "%s: %s", chain,
      err ? err->message : "");
  gst_bin_add (GST_BIN (rig->pipeline), bin);
  pad = gst_element_request_pad_simple (rig->mixer, "sink_%u");
  src = gst_element_get_static_pad (bin, "src");
  fail_unless_equals_int (gst_pad_link (src, pad), GST_PAD_LINK_OK);
  gst_object_unref (src);
  deck->bin = bin;
  deck->pad = pad;
  g_ptr_array_add (rig->decks, deck);
  gst_element_sync_state_with_parent (bin);
  {
    GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
    GValue v = G_VALUE_INIT;

    while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      GstElement *e = g_value_get_object (&v);

      if (g_str_has_prefix (G_OBJECT_TYPE_NAME (e), "GstKithara")) {
        g_ptr_array_add (rig->kithara, gst_object_ref (e));
        share (e);
      }
      g_value_reset (&v);
    }
    g_value_unset (&v);
    gst_iterator_free (it);
  }
  COUNT (requests);
  g_free (chain);
}

static void
forget_kithara_in (Rig * rig, GstElement * bin)
{
  guint i;

  for (i = rig->kithara->len; i > 0; i--) {
    GstElement *e = g_ptr_array_index (rig->kithara, i - 1);
    GstObject *parent = gst_object_get_parent (GST_OBJECT (e));

    if (parent == GST_OBJECT (bin)) {
      unshare (e);
      gst_object_unref (e);
      g_ptr_array_remove_index (rig->kithara, i - 1);
    }
    gst_clear_object (&parent);
  }
}

/* Releases a deck's pad while it may be producing, then stops the deck
 * (downstream first, as a bin does). */
static void
remove_deck (Rig * rig, GRand * rand)
{
  Deck *deck;
  guint i;

  if (rig->decks->len == 0)
    return;
  i = g_rand_int_range (rand, 0, rig->decks->len);
  deck = g_ptr_array_steal_index (rig->decks, i);
  gst_element_release_request_pad (rig->mixer, deck->pad);
  gst_object_unref (deck->pad);
  forget_kithara_in (rig, deck->bin);
  gst_element_set_locked_state (deck->bin, TRUE);
  gst_element_set_state (deck->bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (rig->pipeline), deck->bin);
  g_free (deck);
  COUNT (releases);
}

static Rig *
rig_new (GRand * rand)
{
  Rig *rig = g_new0 (Rig, 1);
  gchar *desc = NULL;
  GError *err = NULL;

  rig->decks = g_ptr_array_new ();
  rig->kithara = g_ptr_array_new ();
  switch (g_rand_int_range (rand, 0, 3)) {
    case 0:{                   /* a chain into a stock sink */
      gchar *chain = random_chain (rand);

      desc = g_strdup_printf ("%s ! audioconvert ! fakesink sync=%s", chain,
          g_rand_boolean (rand) ? "true" : "false");
      g_free (chain);
      break;
    }
    case 1:{                   /* a chain into kitharasink */
      gchar *chain = random_chain (rand);

      desc = g_strdup_printf ("%s ! kitharasink name=app buffer-time=%u",
          chain, g_rand_int_range (rand, 20, 200) * 1000000);
      g_free (chain);
      break;
    }
    default:                   /* a mixer, decks added below */
      desc = g_strdup_printf ("kitharamixer name=mix ! fakesink sync=%s",
          g_rand_boolean (rand) ? "true" : "false");
      break;
  }
  rig->pipeline = gst_parse_launch (desc, &err);
  fail_unless (rig->pipeline != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  rig->mixer = gst_bin_get_by_name (GST_BIN (rig->pipeline), "mix");
  collect_kithara (rig);
  if (rig->mixer) {
    guint n = g_rand_int_range (rand, 1, 9), i;

    for (i = 0; i < n; i++)
      add_deck (rig, rand);
  }
  {
    GstElement *app = gst_bin_get_by_name (GST_BIN (rig->pipeline), "app");

    if (app) {
      rig->reader = reader_start (app);
      gst_object_unref (app);
    }
  }
  COUNT (pipelines);
  g_free (desc);
  return rig;
}

static void
rig_free (Rig * rig)
{
  guint i;

  gst_element_set_state (rig->pipeline, GST_STATE_NULL);
  if (rig->reader)
    reader_stop (rig->reader);
  for (i = 0; i < rig->kithara->len; i++) {
    unshare (g_ptr_array_index (rig->kithara, i));
    gst_object_unref (g_ptr_array_index (rig->kithara, i));
  }
  g_ptr_array_unref (rig->kithara);
  for (i = 0; i < rig->decks->len; i++) {
    Deck *deck = g_ptr_array_index (rig->decks, i);

    gst_object_unref (deck->pad);
    g_free (deck);
  }
  g_ptr_array_unref (rig->decks);
  gst_clear_object (&rig->mixer);
  gst_object_unref (rig->pipeline);
  g_free (rig);
}

static void
drain_bus (Rig * rig)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (rig->pipeline),
              GST_MESSAGE_ERROR))) {
    COUNT (errors);
    gst_message_unref (msg);
  }
  gst_bus_set_flushing (GST_ELEMENT_BUS (rig->pipeline), TRUE);
  gst_bus_set_flushing (GST_ELEMENT_BUS (rig->pipeline), FALSE);
}

static void
act (Rig * rig, GRand * rand)
{
  switch (g_rand_int_range (rand, 0, 10)) {
    case 0:
    case 1:
    case 2:{
      static const GstState states[] = { GST_STATE_READY, GST_STATE_PAUSED,
        GST_STATE_PLAYING, GST_STATE_PLAYING, GST_STATE_NULL
      };

      gst_element_set_state (rig->pipeline, states[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (states))]);
      COUNT (state_changes);
      break;
    }
    case 3:
      gst_element_seek_simple (rig->pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, g_rand_int_range (rand, 0, 2000) *
          GST_MSECOND);
      COUNT (seeks);
      break;
    case 4:
      if (rig->mixer && rig->decks->len < 8)
        add_deck (rig, rand);
      break;
    case 5:
      if (rig->mixer)
        remove_deck (rig, rand);
      break;
    default:
      if (rig->kithara->len > 0)
        poke (g_ptr_array_index (rig->kithara, g_rand_int_range (rand, 0,
                    rig->kithara->len)), rand);
      break;
  }
  drain_bus (rig);
  COUNT (actions);
}

/* ------------------------------------------------------------------ */
/* The threads, and the watchdog */

typedef struct
{
  guint32 seed;
  gint64 deadline;
  gint64 beat;                  /* atomic: monotonic time of the last action */
  GThread *thread;
} Stresser;

static gpointer
stress_loop (gpointer data)
{
  Stresser *s = data;
  GRand *rand = g_rand_new_with_seed (s->seed);

  while (g_get_monotonic_time () < s->deadline) {
    Rig *rig = rig_new (rand);
    guint n = g_rand_int_range (rand, 5, 60), i;

    for (i = 0; i < n && g_get_monotonic_time () < s->deadline; i++) {
      act (rig, rand);
      __atomic_store_n (&s->beat, g_get_monotonic_time (), __ATOMIC_RELAXED);
    }
    rig_free (rig);
    __atomic_store_n (&s->beat, g_get_monotonic_time (), __ATOMIC_RELAXED);
  }
  g_rand_free (rand);
  return NULL;
}

static gpointer
poke_loop (gpointer data)
{
  Stresser *s = data;
  GRand *rand = g_rand_new_with_seed (s->seed);

  while (g_get_monotonic_time () < s->deadline) {
    GstElement *e = pick_shared (rand);

    if (e) {
      poke (e, rand);
      gst_object_unref (e);
    }
    __atomic_store_n (&s->beat, g_get_monotonic_time (), __ATOMIC_RELAXED);
    g_thread_yield ();
  }
  g_rand_free (rand);
  return NULL;
}

static void
print_stack (int sig)
{
  void *frames[64];
  gchar header[64];
  int n = backtrace (frames, G_N_ELEMENTS (frames));

  g_snprintf (header, sizeof (header), "\n--- thread %ld ---\n",
      (long) syscall (SYS_gettid));
  if (write (STDERR_FILENO, header, strlen (header)) < 0)
    return;
  backtrace_symbols_fd (frames, n, STDERR_FILENO);
}

/* Every thread prints its stack (from a signal handler), then abort. */
static void
dump_all_stacks (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;

  signal (SIGUSR2, print_stack);
  while (dir && (name = g_dir_read_name (dir))) {
    syscall (SYS_tgkill, getpid (), atoi (name), SIGUSR2);
    g_usleep (G_USEC_PER_SEC / 10);     /* let it print, not synchronisation */
  }
  if (dir)
    g_dir_close (dir);
}

static GMutex watch_lock;
static GCond watch_cond;
static gboolean watch_done;

static gpointer
watchdog (gpointer data)
{
  Stresser *s = data;           /* N_THREADS + 1 of them */
  gint64 now;
  guint i;

  g_mutex_lock (&watch_lock);
  while (!watch_done) {
    g_cond_wait_until (&watch_cond, &watch_lock, g_get_monotonic_time () +
        5 * G_TIME_SPAN_SECOND);
    now = g_get_monotonic_time ();
    for (i = 0; i <= N_THREADS && !watch_done; i++) {
      gint64 beat = __atomic_load_n (&s[i].beat, __ATOMIC_RELAXED);

      if (now - beat > STALL_SECONDS * G_TIME_SPAN_SECOND) {
        g_printerr ("stress: thread %u made no progress for %d s\n", i,
            STALL_SECONDS);
        dump_all_stacks ();
        abort ();
      }
    }
  }
  g_mutex_unlock (&watch_lock);
  return NULL;
}

GST_START_TEST (test_stress)
{
  const gchar *env_s = g_getenv ("KITHARA_STRESS_SECONDS");
  const gchar *env_seed = g_getenv ("KITHARA_STRESS_SEED");
  guint seconds = env_s ? (guint) g_ascii_strtoull (env_s, NULL, 10) : 30;
  guint32 seed = env_seed ? (guint32) g_ascii_strtoull (env_seed, NULL, 10) :
      g_random_int ();
  Stresser s[N_THREADS + 1];
  GThread *dog;
  guint i;

  g_print ("stress: %u s, seed %u\n", seconds, seed);
  tmp_dir = kc_tmp_dir_new ("kitharastress-XXXXXX");
  files[0] = kc_encode_tone (tmp_dir, "a.flac", "flacenc", 440, 44100,
      1024 * 200);
  files[1] = kc_encode_tone (tmp_dir, "b.ogg", "vorbisenc ! oggmux", 550,
      48000, 1024 * 200);
  files[2] = kc_encode_tone (tmp_dir, "c.wav", "wavenc", 660, 32000,
      1024 * 100);
  shared = g_ptr_array_new ();
  {
    void *warm[1];

    backtrace (warm, 1);        /* loads the unwinder before any signal */
  }

  memset (&counts, 0, sizeof (counts));
  for (i = 0; i <= N_THREADS; i++) {
    s[i].seed = seed + i;
    s[i].deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
    s[i].beat = g_get_monotonic_time ();
    s[i].thread = g_thread_new (i < N_THREADS ? "stress" : "poke",
        i < N_THREADS ? stress_loop : poke_loop, &s[i]);
  }
  dog = g_thread_new ("watchdog", watchdog, s);
  for (i = 0; i <= N_THREADS; i++)
    g_thread_join (s[i].thread);
  g_mutex_lock (&watch_lock);
  watch_done = TRUE;
  g_cond_signal (&watch_cond);
  g_mutex_unlock (&watch_lock);
  g_thread_join (dog);
  /* An exit's task stopped from a worker is not joined there: its thread
   * may still be leaving (posting its last stream-status message, with a
   * reference to its pad and element) when the leaks tracer looks at
   * exit.  Wait for every task thread. */
  gst_task_cleanup_all ();

  g_print ("stress: %d pipelines, %d actions: %d state changes, %d seeks, "
      "%d pads requested, %d released, %d property changes, %d stats reads; "
      "%d errors posted\n", counts.pipelines, counts.actions,
      counts.state_changes, counts.seeks, counts.requests, counts.releases,
      counts.property_changes, counts.stats_reads, counts.errors);
  fail_unless (counts.pipelines >= N_THREADS);
  fail_unless_equals_int (shared->len, 0);
  g_ptr_array_unref (shared);
  for (i = 0; i < G_N_ELEMENTS (files); i++)
    g_free (files[i]);
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

GST_END_TEST;

static Suite *
kithara_stress_suite (void)
{
  Suite *s = suite_create ("kithara-stress");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 0);
  tcase_add_test (tc, test_stress);
  return s;
}

KITHARA_CHECK_MAIN (kithara_stress);
