/* Helpers shared by the kithara gst-check tests: stats, threads, bus. */
#ifndef __KITHARA_CHECK_H__
#define __KITHARA_CHECK_H__

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Whether this process may give a thread SCHED_FIFO (as root, with
 * CAP_SYS_NICE or an RLIMIT_RTPRIO allowance). */
static inline gboolean
kc_may_use_fifo (void)
{
  struct sched_param param = { 1 };
  struct sched_param normal = { 0 };

  if (sched_setscheduler (0, SCHED_FIFO, &param) != 0)
    return FALSE;
  sched_setscheduler (0, SCHED_OTHER, &normal);
  return TRUE;
}

static inline GstStructure *
kc_get_stats (GstElement * element)
{
  GstStructure *s = NULL;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (s != NULL);
  return s;
}

static inline guint64
kc_stats_uint64 (GstElement * element, const gchar * field)
{
  GstStructure *s = kc_get_stats (element);
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

/* The class the element's node runs at now. */
static inline gint
kc_service_class (GstElement * element)
{
  GstStructure *s = kc_get_stats (element);
  gint v = -1;

  fail_unless (gst_structure_get_enum (s, "service-class",
          g_type_from_name ("KitharaServiceClass"), &v));
  gst_structure_free (s);
  return v;
}

static inline GstElement *
kc_child (GstElement * bin, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);

  fail_unless (e != NULL, "no element %s", name);
  gst_object_unref (e);         /* the bin keeps it alive */
  return e;
}

static inline GstElement *
kc_parse (const gchar * description)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (description, &err);

  fail_unless (p != NULL, "%s: %s", description, err ? err->message : "");
  g_clear_error (&err);
  return p;
}

/* Threads of this process, read from /proc. */
static inline guint
kc_count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

/* Fails if @msg is an error, saying where it came from and why. */
static inline void
kc_fail_on_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *dbg = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return;
  gst_message_parse_error (msg, &err, &dbg);
  fail ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      err->message, dbg ? dbg : "");
}

/* Waits for EOS or an error and fails on an error. */
static inline void
kc_wait_eos (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  kc_fail_on_error (msg);
  gst_message_unref (msg);
}

static inline void
kc_set_state_sync (GstElement * element, GstState state)
{
  fail_unless (gst_element_set_state (element, state) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (element, NULL, NULL,
          GST_CLOCK_TIME_NONE) != GST_STATE_CHANGE_FAILURE);
}

/* A temporary directory for a test's files (@prefix: "name-XXXXXX"). */
static inline gchar *
kc_tmp_dir_new (const gchar * prefix)
{
  gchar *dir = g_dir_make_tmp (prefix, NULL);

  fail_unless (dir != NULL);
  return dir;
}

/* Removes the directory and the files in it, and frees @dir. */
static inline void
kc_tmp_dir_remove (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

/* Runs @description in a gst-launch-1.0 child process that sees only the
 * system's plugins: no streaming thread of it stays in this process's
 * thread pool (thread counts stay exact), and this build's plugins, which
 * may be instrumented with a sanitizer, are not loaded there. */
static inline void
kc_launch_child (const gchar * description)
{
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 -q %s", description);
  gchar *err = NULL, **argv = NULL, **envp = g_get_environ ();
  const gchar *own[] = { "GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0",
    "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_REGISTRY", "GST_TRACERS",
    "LD_LIBRARY_PATH", "LD_PRELOAD"
  };
  gint status = -1;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (own); i++)
    envp = g_environ_unsetenv (envp, own[i]);
  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, &err, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s: %s", cmd, err);
  g_free (err);
  g_strfreev (argv);
  g_strfreev (envp);
  g_free (cmd);
}

/* Encodes @frames frames (a multiple of 1024) of a @freq Hz sine at
 * @rate, stereo S16, with @encoder (e.g. "flacenc", "vorbisenc ! oggmux")
 * into @dir/@name.  Returns the path. */
static inline gchar *
kc_encode_tone (const gchar * dir, const gchar * name, const gchar * encoder,
    gdouble freq, gint rate, guint frames)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *desc;

  fail_unless (frames % 1024 == 0);
  desc = g_strdup_printf ("audiotestsrc num-buffers=%u samplesperbuffer=1024 "
      "freq=%g volume=0.4 ! audio/x-raw,format=S16LE,rate=%d,channels=2 ! "
      "audioconvert ! %s ! filesink location=\"%s\"", frames / 1024, freq,
      rate, encoder, path);
  kc_launch_child (desc);
  g_free (desc);
  return path;
}

/* Damages page @page (0 or 1) of the Ogg Vorbis file at @path.  Page 0
 * holds the identification header: the demuxer fails ("Could not
 * demultiplex stream") in its own streaming task.  Page 1 holds the
 * comment and setup headers: the decoder fails ("Could not decode
 * stream") on the first data. */
static inline void
kc_damage_ogg_headers (const gchar * path, guint page)
{
  gchar *contents;
  gsize size, i, second = 4;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  if (page == 0) {
    for (i = 28 + 7; i < 58 && i < size; i++)
      contents[i] ^= 0x5a;
    fail_unless (g_file_set_contents (path, contents, size, NULL));
    g_free (contents);
    return;
  }
  while (second + 4 <= size && memcmp (contents + second, "OggS", 4) != 0)
    second++;
  fail_unless (second + 4 <= size, "%s: one Ogg page only", path);
  for (i = second + 40; i < second + 400 && i < size; i++)
    contents[i] ^= 0x5a;
  fail_unless (g_file_set_contents (path, contents, size, NULL));
  g_free (contents);
}

/* Frames in the data chunk of a WAV file written by wavenc. */
static inline guint64
kc_wav_frames (const gchar * path)
{
  gchar *contents = NULL;
  gsize size = 0, pos = 12;
  guint64 frames = 0;
  guint16 block_align = 0;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL), "%s", path);
  fail_unless (size >= 12 && memcmp (contents, "RIFF", 4) == 0, "%s", path);
  while (pos + 8 <= size) {
    guint32 len = GST_READ_UINT32_LE (contents + pos + 4);

    if (memcmp (contents + pos, "fmt ", 4) == 0)
      block_align = GST_READ_UINT16_LE (contents + pos + 8 + 12);
    else if (memcmp (contents + pos, "data", 4) == 0) {
      fail_unless (block_align > 0);
      frames = MIN (len, size - pos - 8) / block_align;
      break;
    }
    pos += 8 + len + (len & 1);
  }
  g_free (contents);
  return frames;
}

/* The exit status after @failed failed tests.  Without a fork per test
 * (CK_FORK=no, as the sanitizer runs have it) a failed test may leave its
 * pipeline playing, and the gst_deinit () gst-check runs at exit when a
 * tracer is set would wait for that pipeline's tasks forever: a failed
 * run ends here instead. */
static inline int
kc_exit_status (gint failed)
{
  if (failed == 0)
    return 0;
  fflush (stdout);
  fflush (stderr);
  _exit (1);
}

/* GST_CHECK_MAIN, ending a failed run with kc_exit_status (). */
#define KITHARA_CHECK_MAIN(name)                                        \
int                                                                     \
main (int argc, char **argv)                                            \
{                                                                       \
  Suite *s;                                                             \
                                                                        \
  gst_check_init (&argc, &argv);                                        \
  s = name ## _suite ();                                                \
  return kc_exit_status (gst_check_run_suite (s, # name, __FILE__));    \
}

#endif /* __KITHARA_CHECK_H__ */
