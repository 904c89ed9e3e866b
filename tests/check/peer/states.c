/* Port of GStreamer 1.22's core tests/check/generic/states.c to the
 * kithara plugins; see peer.h.
 *
 * Every element factory of the plugins is made and walked through the
 * original's three sequences of NULL / READY / PAUSED / PLAYING changes,
 * then destroyed; and each is put, twice, into a bin whose third child
 * fails NULL to READY, to see that the bin's failed change leaves all
 * its children in NULL.
 *
 * Changes from the original, test by test:
 *
 * Element list (the setup fixture):
 *  - kithara build: as the original, every element factory of every
 *    plugin whose source module is this package ("kithara": the plugins
 *    kithara and kitharasamplerate), less the factories whose name starts
 *    with a word of GST_STATE_IGNORE_ELEMENTS (space-separated; the test
 *    environment sets it empty) unless GST_NO_STATE_IGNORE_ELEMENTS is
 *    set.  Added: the list must hold the five kithara elements, so that a
 *    plugin that did not load fails the test instead of shrinking it.
 *  - stock build: the stock elements the kithara ones replace
 *    (audioresample, equalizer-nbands, audiomixer, decodebin, appsink),
 *    named here since they come from several packages; the ignore list
 *    applies to them too.
 * test_state_changes_up_and_down_seq, test_state_changes_up_seq,
 * test_state_changes_down_seq:
 *  - The same sequences for each element.  As in the original the
 *    return of each change is not checked (a sink answers ASYNC going to
 *    PAUSED, and nothing prerolls it); the test is that no sequence
 *    crashes, hangs or leaks (the leaks tracer is on).  Added: the final
 *    change to NULL must return SUCCESS and leave the element in NULL.
 * test_state_changes_up_failure:
 *  - The original's bin held identity, fakesink (async=false), identity,
 *    core elements only.  Here the two identity children are two
 *    instances of each element under test (in turn, for every element of
 *    the list), around the same fakesink; the assertions are the
 *    original's: every child in NULL, all in READY after the bin went to
 *    READY, all in NULL after it went back; then with the fakesink's
 *    state-error set to null-to-ready, all still in NULL after the bin's
 *    (failing) change to READY and after the change back to NULL.
 *
 * No scenario is skipped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "peer.h"

static const PeerSkip skips[] = {
  {NULL, NULL}
};

#ifdef PEER_STOCK
static const gchar *const stock_elements[] = { "audioresample",
  "equalizer-nbands", "audiomixer", "decodebin", "appsink", NULL
};
#else
static const gchar *const kithara_elements[] = { "kithararesample",
  "kitharaeq", "kitharamixer", "kitharadecode", "kitharasink", NULL
};
#endif

static GList *elements = NULL;

/* TRUE if @name starts with a word of GST_STATE_IGNORE_ELEMENTS. */
static gboolean
ignored (const gchar * name)
{
  const gchar *words = g_getenv ("GST_STATE_IGNORE_ELEMENTS");
  gchar **list, **w;
  gboolean found = FALSE;

  fail_unless (words != NULL, "GST_STATE_IGNORE_ELEMENTS is not set");
  if (g_getenv ("GST_NO_STATE_IGNORE_ELEMENTS"))
    return FALSE;
  list = g_strsplit (words, " ", 0);
  for (w = list; *w && !found; w++)
    found = **w != '\0' && g_str_has_prefix (name, *w);
  g_strfreev (list);
  return found;
}

static void
add_element (const gchar * name)
{
  if (ignored (name))
    GST_DEBUG ("ignoring %s", name);
  else
    elements = g_list_prepend (elements, g_strdup (name));
}

#ifdef PEER_STOCK
static void
list_elements (void)
{
  const gchar *const *name;

  for (name = stock_elements; *name; name++)
    add_element (*name);
}
#else
/* The element factories of the plugins from this package. */
static void
list_elements (void)
{
  GstRegistry *registry = gst_registry_get ();
  GList *plugins = gst_registry_get_plugin_list (registry), *p;
  const gchar *const *name;

  for (p = plugins; p; p = p->next) {
    GstPlugin *plugin = p->data;
    GList *features, *f;

    if (g_strcmp0 (gst_plugin_get_source (plugin), PACKAGE) != 0)
      continue;
    features = gst_registry_get_feature_list_by_plugin (registry,
        gst_plugin_get_name (plugin));
    for (f = features; f; f = f->next)
      if (GST_IS_ELEMENT_FACTORY (f->data))
        add_element (GST_OBJECT_NAME (f->data));
    gst_plugin_feature_list_free (features);
  }
  gst_plugin_list_free (plugins);

  for (name = kithara_elements; *name; name++)
    fail_unless (ignored (*name) || g_list_find_custom (elements, *name,
            (GCompareFunc) g_strcmp0), "%s is not in the plugins of %s",
        *name, PACKAGE);
}
#endif

static void
setup (void)
{
  list_elements ();
  fail_unless (elements != NULL, "no element to test");
}

static void
teardown (void)
{
  g_list_free_full (elements, g_free);
  elements = NULL;
}

static GstElement *
make (const gchar * name)
{
  GstElement *element = gst_element_factory_make (name, name);

  fail_unless (element != NULL, "cannot make %s", name);
  return element;
}

/* Makes each listed element, takes it through @states (ended by
 * GST_STATE_VOID_PENDING), then to NULL, and destroys it. */
static void
walk_each (const GstState * states)
{
  GList *e;

  for (e = elements; e; e = e->next) {
    GstElement *element = make (e->data);
    const GstState *s;
    GstState now;

    GST_DEBUG ("walking %s", (const gchar *) e->data);
    for (s = states; *s != GST_STATE_VOID_PENDING; s++)
      gst_element_set_state (element, *s);
    fail_unless_equals_int (gst_element_set_state (element, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_get_state (element, &now, NULL, 0),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (now, GST_STATE_NULL);
    gst_object_unref (element);
  }
}

#define R GST_STATE_READY
#define PA GST_STATE_PAUSED
#define PL GST_STATE_PLAYING
#define N GST_STATE_NULL
#define END GST_STATE_VOID_PENDING

GST_START_TEST (test_state_changes_up_and_down_seq)
{
  static const GstState seq[] = { R, PA, PL, PA, R, N, PA, R, PL, PA, END };

  walk_each (seq);
}

GST_END_TEST;

GST_START_TEST (test_state_changes_up_seq)
{
  static const GstState seq[] = { R, PA, R, PA, PL, PA, R, END };

  walk_each (seq);
}

GST_END_TEST;

GST_START_TEST (test_state_changes_down_seq)
{
  static const GstState seq[] = { R, PA, PL, PA, PL, PA, R, PA, PL, PA, R,
    END
  };

  walk_each (seq);
}

GST_END_TEST;

/* TRUE if @element settled in @state without error. */
static gboolean
settled_in (GstElement * element, GstState state)
{
  GstState now;

  return gst_element_get_state (element, &now, NULL, GST_CLOCK_TIME_NONE)
      == GST_STATE_CHANGE_SUCCESS && now == state;
}

static void
check_all_in (GstElement * children[3], GstState state)
{
  guint i;

  for (i = 0; i < 3; i++)
    fail_unless (settled_in (children[i], state), "%s is not in %s",
        GST_OBJECT_NAME (children[i]), gst_element_state_get_name (state));
}

/* A bin of @name, a fakesink and another @name: the bin goes to READY
 * and back, then again with the fakesink failing NULL to READY. */
static void
bin_with_failing_child (const gchar * name)
{
  GstElement *bin = gst_bin_new (NULL);
  GstElement *children[3];
  guint i;

  for (i = 0; i < 3; i++) {
    children[i] = gst_element_factory_make (i == 1 ? "fakesink" : name, NULL);
    fail_unless (children[i] != NULL);
    gst_bin_add (GST_BIN (bin), children[i]);
  }
  g_object_set (children[1], "async", FALSE, NULL);

  /* all go up and down */
  check_all_in (children, GST_STATE_NULL);
  gst_element_set_state (bin, GST_STATE_READY);
  check_all_in (children, GST_STATE_READY);
  gst_element_set_state (bin, GST_STATE_NULL);
  check_all_in (children, GST_STATE_NULL);

  /* the middle one refuses: the bin's change fails, none stays up */
  g_object_set (children[1], "state-error", 1 /* null-to-ready */ , NULL);
  check_all_in (children, GST_STATE_NULL);
  gst_element_set_state (bin, GST_STATE_READY);
  check_all_in (children, GST_STATE_NULL);
  gst_element_set_state (bin, GST_STATE_NULL);
  check_all_in (children, GST_STATE_NULL);

  gst_object_unref (bin);
}

GST_START_TEST (test_state_changes_up_failure)
{
  GList *e;

  for (e = elements; e; e = e->next) {
    GST_DEBUG ("in a bin: %s", (const gchar *) e->data);
    bin_with_failing_child (e->data);
  }
}

GST_END_TEST;

static Suite *
states_suite (void)
{
  Suite *s = suite_create ("peer-states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_state_changes_up_and_down_seq);
  tcase_add_test (tc, test_state_changes_up_seq);
  tcase_add_test (tc, test_state_changes_down_seq);
  tcase_add_test (tc, test_state_changes_up_failure);
  return s;
}

PEER_CHECK_MAIN (states, skips);
