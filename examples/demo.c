/* kithara-demo: many decks, one worker thread.
 *
 *   kithara-demo [OUTPUT-DIR]          (default: demo-out)
 *
 * Encodes eight tracks (tones at 44.1, 48, 96 and 32 kHz) to FLAC in
 * OUTPUT-DIR, then plays them all at once, each through
 *
 *   filesrc ! kitharadecode ! kitharaeq ! kithararesample ! kitharamixer
 *
 * and renders the mix to OUTPUT-DIR/mix.wav (no sound card needed).  The
 * 25 nodes (three per deck and the mixer) run on one shared worker
 * thread; the mixer's src task writes the file.  Prints the tracks, the
 * threads of the process, what each node and the worker did (from the
 * elements' stats), the mixer's underruns and the output file.
 */
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_TRACKS 8
#define SECONDS 8
#define BASE_FREQ 110.0         /* track i plays (i + 1) x 110 Hz */

static const gint rates[] = { 44100, 48000, 96000, 32000 };

static gint
track_rate (guint i)
{
  return rates[i % G_N_ELEMENTS (rates)];
}

/* Waits for EOS; FALSE after an error. */
static gboolean
wait_for_eos (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;

  if (!ok) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("Error from %s: %s\n", GST_OBJECT_NAME (msg->src),
        err->message);
    g_clear_error (&err);
  }
  gst_message_unref (msg);
  return ok;
}

/* audiotestsrc ! flacenc ! filesink: track @i in @path. */
static gboolean
encode_track (guint i, const gchar * path)
{
  gchar *desc = g_strdup_printf ("audiotestsrc freq=%g volume=0.8 "
      "num-buffers=%d samplesperbuffer=%d ! audio/x-raw,format=S16LE,"
      "rate=%d,channels=2 ! flacenc ! filesink name=out",
      BASE_FREQ * (i + 1), SECONDS * 10, track_rate (i) / 10, track_rate (i));
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *out;
  gboolean ok;

  g_free (desc);
  if (!pipeline)
    return FALSE;
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_object_set (out, "location", path, NULL);
  gst_object_unref (out);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  ok = wait_for_eos (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ok;
}

/* Encodes the tracks in a child process, so that the encoders' streaming
 * threads do not stay in this process's thread pool: the threads counted
 * below are those that playing needs.  Called before gst_init(), while
 * this process has a single thread. */
static gboolean
encode_tracks (gchar ** tracks)
{
  gint status = 0;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid == 0) {
    gboolean ok = TRUE;
    guint i;

    gst_init (NULL, NULL);
    for (i = 0; i < N_TRACKS && ok; i++) {
      ok = encode_track (i, tracks[i]);
      if (!ok)
        g_printerr ("Could not encode %s\n", tracks[i]);
    }
    gst_deinit ();
    exit (ok ? 0 : 1);
  }
  return pid > 0 && waitpid (pid, &status, 0) == pid && WIFEXITED (status)
      && WEXITSTATUS (status) == 0;
}

/* The mixer to a 16-bit WAV file, and per deck
 * filesrc ! kitharadecode ! kitharaeq ! kithararesample ! mixer. */
static GstElement *
build_pipeline (gchar ** tracks, const gchar * mix_path)
{
  GString *desc = g_string_new ("kitharamixer name=mix "
      "! audio/x-raw,rate=48000,channels=2 ! audioconvert "
      "! audio/x-raw,format=S16LE ! wavenc ! filesink name=out");
  const gchar *needed[] = { "kitharamixer", "kitharadecode", "kitharaeq",
    "kithararesample"
  };
  GstElement *pipeline, *e;
  GError *err = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    /* gst_parse_launch() would drop an unknown element with a mere
     * warning: say what is missing first. */
    if (f == NULL) {
      g_printerr ("No element \"%s\": are the kithara plugins on "
          "GST_PLUGIN_PATH?\n", needed[i]);
      g_string_free (desc, TRUE);
      return NULL;
    }
    gst_object_unref (f);
  }
  for (i = 0; i < N_TRACKS; i++)
    g_string_append_printf (desc, " filesrc name=src%u ! kitharadecode "
        "name=decode%u ! kitharaeq name=eq%u "
        "! kithararesample name=resample%u ! mix.sink_%u", i, i, i, i, i);
  pipeline = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (!pipeline || err) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    gst_clear_object (&pipeline);
    return NULL;
  }

  /* File names are set as properties: no quoting in the description.
   * Every deck's EQ cuts the lows (band0, a low shelf) and lifts the
   * highs (band9, a high shelf): the bands are child objects. */
  for (i = 0; i < N_TRACKS; i++) {
    gchar *name = g_strdup_printf ("src%u", i);

    e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    g_object_set (e, "location", tracks[i], NULL);
    gst_object_unref (e);
    g_free (name);

    name = g_strdup_printf ("eq%u", i);
    e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    gst_child_proxy_set (GST_CHILD_PROXY (e), "band0::gain", -6.0,
        "band9::gain", 3.0, NULL);
    gst_object_unref (e);
    g_free (name);
  }
  e = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_object_set (e, "location", mix_path, NULL);
  gst_object_unref (e);

  /* Each deck at 1/8, so that the sum stays below full scale. */
  e = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  for (i = 0; i < N_TRACKS; i++) {
    gchar *name = g_strdup_printf ("sink_%u", i);
    GstPad *pad = gst_element_get_static_pad (e, name);

    g_object_set (pad, "volume", 1.0 / N_TRACKS, NULL);
    gst_object_unref (pad);
    g_free (name);
  }
  gst_object_unref (e);
  return pipeline;
}

/* The threads of this process, by name: kithara's workers are named
 * "kt-<context>", GStreamer's streaming threads after their pad. */
static void
print_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  const gchar *tid;
  guint i;

  while (dir && (tid = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;
    const gchar *what = "";

    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      g_strchomp (comm);
      if (atoi (tid) == getpid ())
        what = "main thread: this program";
      else if (g_str_has_prefix (comm, "kt-"))
        what = "kithara worker: every decode, EQ, resample and mixer node";
      else if (g_str_equal (comm, "mix:src"))
        what = "the mixer's src task: audioconvert ! wavenc ! filesink";
      else if (g_str_has_prefix (comm, "pool-"))
        what = "GLib pool, idle (GStreamer completed a state change on it)";
      g_ptr_array_add (lines, g_strdup_printf ("  %-16s %s", comm, what));
    }
    g_free (comm);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_print ("\nThreads of this process while playing: %u\n", lines->len);
  for (i = 0; i < lines->len; i++)
    g_print ("%s\n", (gchar *) g_ptr_array_index (lines, i));
  g_ptr_array_unref (lines);
}

static guint64
stat_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  gst_structure_get_uint64 (s, field, &v);
  return v;
}

/* Ticks and busy time of the element's node. */
static void
print_node (GstElement * pipeline, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstStructure *s = NULL;

  g_object_get (e, "stats", &s, NULL);
  g_print ("  %7" G_GUINT64_FORMAT " %8.2f", stat_u64 (s, "ticks"),
      stat_u64 (s, "busy-ns") / 1e6);
  gst_structure_free (s);
  gst_object_unref (e);
}

/* What every node and the worker did, from the elements' stats. */
static void
print_stats (GstElement * pipeline)
{
  const gchar *kinds[] = { "decode", "eq", "resample" };
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  GstStructure *s = NULL, *worker = NULL;
  guint64 busy;
  guint i, k, nodes = 0, threads = 1;

  g_print ("\nNodes: ticks and milliseconds spent in them\n"
      "  deck  %16s  %16s  %16s\n", "kitharadecode", "kitharaeq",
      "kithararesample");
  for (i = 0; i < N_TRACKS; i++) {
    g_print ("  %4u", i);
    for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
      gchar *name = g_strdup_printf ("%s%u", kinds[k], i);

      print_node (pipeline, name);
      g_free (name);
    }
    g_print ("\n");
  }
  g_print ("  kitharamixer");
  print_node (pipeline, "mix");
  g_print ("\n");

  g_object_get (mix, "stats", &s, NULL);
  gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &worker, NULL);
  gst_structure_get_uint (worker, "nodes", &nodes);
  gst_structure_get_uint (worker, "threads", &threads);
  busy = stat_u64 (worker, "busy-ns");
  g_print ("\nWorker \"%s\": %u thread%s ran all %u nodes in %"
      G_GUINT64_FORMAT " picks and %" G_GUINT64_FORMAT " ticks, and\n"
      "parked %" G_GUINT64_FORMAT " times when there was nothing to do.\n"
      "Busy %.0f ms for %d s of audio from %d decks: %.1f %% of one core "
      "in real time.\n", gst_structure_get_string (worker, "context"),
      threads, threads > 1 ? "s" : "", nodes,
      stat_u64 (worker, "passes"), stat_u64 (worker, "ticks"),
      stat_u64 (worker, "parks"), busy / 1e6, SECONDS, N_TRACKS,
      100.0 * busy / (SECONDS * GST_SECOND));
  g_print ("Mixer: %" G_GUINT64_FORMAT " underruns, %" G_GUINT64_FORMAT
      " blocks mixed without a late deck\n", stat_u64 (s, "underruns"),
      stat_u64 (s, "forced-blocks"));
  gst_structure_free (worker);
  gst_structure_free (s);
  gst_object_unref (mix);
}

static void
print_output (const gchar * path)
{
  GstDiscoverer *discoverer = gst_discoverer_new (10 * GST_SECOND, NULL);
  gchar *uri = gst_filename_to_uri (path, NULL);
  GstDiscovererInfo *info = gst_discoverer_discover_uri (discoverer, uri,
      NULL);

  if (info)
    g_print ("\nOutput: %s, %.2f s\n", path,
        gst_discoverer_info_get_duration (info) / 1e9);
  g_clear_object (&info);
  g_free (uri);
  g_object_unref (discoverer);
}

int
main (int argc, char **argv)
{
  const gchar *out_dir = argc > 1 ? argv[1] : "demo-out";
  gchar *tracks[N_TRACKS] = { NULL };
  gchar *mix_path;
  GstElement *pipeline;
  gboolean ok = TRUE;
  guint i;

  g_mkdir_with_parents (out_dir, 0755);
  for (i = 0; i < N_TRACKS; i++)
    tracks[i] = g_strdup_printf ("%s/track-%u.flac", out_dir, i);
  ok = encode_tracks (tracks);
  /* Only now: the child that encoded exits without freeing what it got
   * from here, and a sanitizer build counts that as a leak. */
  mix_path = g_build_filename (out_dir, "mix.wav", NULL);
  gst_init (&argc, &argv);

  g_print ("Kithara demo: %d decks of filesrc ! kitharadecode ! kitharaeq ! "
      "kithararesample,\nmixed by kitharamixer into %s.\n\nTracks "
      "(encoded to FLAC with GStreamer):\n", N_TRACKS, mix_path);
  for (i = 0; i < N_TRACKS && ok; i++)
    g_print ("  %-26s %4.0f Hz tone, %5d Hz, %d s\n", tracks[i],
        BASE_FREQ * (i + 1), track_rate (i), SECONDS);

  pipeline = ok ? build_pipeline (tracks, mix_path) : NULL;
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    ok = wait_for_eos (pipeline);
    /* At EOS everything is still PLAYING: every thread that ran is
     * there, and the counters are those of the whole run. */
    if (ok) {
      print_threads ();
      print_stats (pipeline);
    }
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
    if (ok)
      print_output (mix_path);
  } else {
    ok = FALSE;
  }

  for (i = 0; i < N_TRACKS; i++)
    g_free (tracks[i]);
  g_free (mix_path);
  gst_deinit ();
  return ok ? 0 : 1;
}
