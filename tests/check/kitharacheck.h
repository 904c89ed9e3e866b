/* Helpers shared by the kithara gst-check tests: stats, threads, bus. */
#ifndef __KITHARA_CHECK_H__
#define __KITHARA_CHECK_H__

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

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

/* Waits for EOS or an error and fails on an error. */
static inline void
kc_wait_eos (GstElement * pipeline)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
        err->message, dbg ? dbg : "");
  }
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

#endif /* __KITHARA_CHECK_H__ */
