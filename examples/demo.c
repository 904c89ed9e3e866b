/* kithara-demo: several streams rendered through kithara elements that all
 * run on one shared worker thread, written to WAV files (no sound card
 * needed).  Prints what the worker did.
 *
 * Each track: audiotestsrc ! kitharaeq (parametric) ! kitharaeq (isolator)
 *             ! wavenc ! filesink
 */
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define N_TRACKS 8
#define SECONDS 5

typedef struct
{
  GstElement *pipeline;
  gchar *path;
} Track;

static gchar *
track_description (guint i, const gchar * path)
{
  /* Different tones, different EQ settings; the isolator kills the low
   * band of every other track. */
  return g_strdup_printf ("audiotestsrc wave=saw freq=%u num-buffers=%u "
      "samplesperbuffer=480 ! audio/x-raw,format=F32LE,rate=48000,channels=2 "
      "! kitharaeq name=eq num-bands=10 band2::gain=%d band7::gain=-6 "
      "! kitharaeq name=iso mode=isolator band0::gain=%d "
      "! wavenc ! filesink location=\"%s\"", 110 * (i + 1),
      SECONDS * 100, (gint) (i % 3) * 3, (i % 2) ? -30 : 0, path);
}

static void
print_node (const gchar * track, GstElement * element)
{
  GstStructure *s = NULL;
  guint64 ticks = 0, busy = 0, slow = 0;

  g_object_get (element, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "ticks", &ticks);
  gst_structure_get_uint64 (s, "busy-ns", &busy);
  gst_structure_get_uint64 (s, "slow-ticks", &slow);
  g_print ("  %-8s %-4s ticks %7" G_GUINT64_FORMAT "  busy %7.2f ms  "
      "slow ticks %" G_GUINT64_FORMAT "\n", track, GST_ELEMENT_NAME (element),
      ticks, busy / 1e6, slow);
  gst_structure_free (s);
}

static guint
count_worker_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *name;
  gchar *self_tid = g_strdup_printf ("%d", (gint) getpid ());
  guint n = 0;

  /* Worker threads are named "kithara-<context>"; skip our own main
   * thread, whose name may start the same way. */
  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path, *comm = NULL;

    if (g_str_equal (name, self_tid))
      continue;
    path = g_strdup_printf ("/proc/self/task/%s/comm", name);

    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        g_str_has_prefix (comm, "kithara-"))
      n++;
    g_free (comm);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_free (self_tid);
  return n;
}

int
main (int argc, char **argv)
{
  const gchar *out_dir = argc > 1 ? argv[1] : "demo-out";
  Track tracks[N_TRACKS];
  GstStructure *stats = NULL, *worker = NULL;
  guint i, threads = 0, errors = 0;
  guint64 passes = 0, ticks = 0, busy = 0, parks = 0;

  gst_init (&argc, &argv);
  g_mkdir_with_parents (out_dir, 0755);

  for (i = 0; i < N_TRACKS; i++) {
    GError *err = NULL;
    gchar *desc;

    tracks[i].path = g_strdup_printf ("%s/track-%u.wav", out_dir, i);
    desc = track_description (i, tracks[i].path);
    tracks[i].pipeline = gst_parse_launch (desc, &err);
    g_free (desc);
    if (tracks[i].pipeline == NULL) {
      g_printerr ("Could not build track %u: %s\n(is the kithara plugin on "
          "GST_PLUGIN_PATH?)\n", i, err->message);
      return 1;
    }
  }

  g_print ("Kithara demo: %u tracks of %u s, 48 kHz stereo, each through "
      "two kitharaeq nodes.\n", N_TRACKS, SECONDS);
  for (i = 0; i < N_TRACKS; i++)
    gst_element_set_state (tracks[i].pipeline, GST_STATE_PLAYING);

  for (i = 0; i < N_TRACKS; i++) {
    GstMessage *msg =
        gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (tracks[i].pipeline),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("track %u: %s\n", i, err->message);
      g_clear_error (&err);
      errors++;
    }
    gst_message_unref (msg);
  }

  /* Everything is still PLAYING: read the counters now. */
  threads = count_worker_threads ();
  g_print ("\nPer node:\n");
  for (i = 0; i < N_TRACKS; i++) {
    gchar *track = g_strdup_printf ("track-%u", i);
    GstElement *eq = gst_bin_get_by_name (GST_BIN (tracks[i].pipeline), "eq");
    GstElement *iso = gst_bin_get_by_name (GST_BIN (tracks[i].pipeline),
        "iso");

    print_node (track, eq);
    print_node (track, iso);
    if (i == 0) {
      g_object_get (eq, "stats", &stats, NULL);
      gst_structure_get (stats, "worker", GST_TYPE_STRUCTURE, &worker, NULL);
    }
    gst_object_unref (eq);
    gst_object_unref (iso);
    g_free (track);
  }

  gst_structure_get_uint64 (worker, "passes", &passes);
  gst_structure_get_uint64 (worker, "ticks", &ticks);
  gst_structure_get_uint64 (worker, "busy-ns", &busy);
  gst_structure_get_uint64 (worker, "parks", &parks);
  g_print ("\nWorker \"%s\": %u thread(s) ran all %u nodes: %" G_GUINT64_FORMAT
      " passes, %" G_GUINT64_FORMAT " ticks, %.1f ms busy, parked %"
      G_GUINT64_FORMAT " times.\n", gst_structure_get_string (worker,
          "context"), threads, 2 * N_TRACKS, passes, ticks, busy / 1e6, parks);

  g_print ("\nOutput files:\n");
  for (i = 0; i < N_TRACKS; i++) {
    GStatBuf st;

    gst_element_set_state (tracks[i].pipeline, GST_STATE_NULL);
    gst_object_unref (tracks[i].pipeline);
    if (g_stat (tracks[i].path, &st) == 0)
      g_print ("  %s (%" G_GINT64_FORMAT " bytes)\n", tracks[i].path,
          (gint64) st.st_size);
    g_free (tracks[i].path);
  }
  g_print ("Errors: %u.\n", errors);

  gst_structure_free (worker);
  gst_structure_free (stats);
  return errors ? 1 : 0;
}
