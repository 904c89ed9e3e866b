/* Kithara runtime: the settings of each context name.
 *
 * A context starts with the settings given for its name by the
 * application (kithara_context_set_threads(), a GstContext), else by the
 * KITHARA_CONTEXTS environment variable (for its name, or for "*"), else
 * one thread at normal priority.  Settings given while the context runs apply at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include "kitharacontext.h"
#include "kitharacontextconfig.h"
#include "kitharadebug.h"
#include "kitharaworker.h"

#define GST_CAT_DEFAULT kithara_runtime_debug

#define MAX_REALTIME_PRIORITY 99

static GMutex settings_lock;
static GHashTable *settings_table = NULL;       /* name -> settings */

static const KitharaContextSettings default_settings = { 1, 0 };

static gboolean
parse_threads (const gchar * value, guint * threads)
{
  gchar *end;
  guint64 n;

  if (g_strcmp0 (value, "auto") == 0) {
    *threads = 0;
    return TRUE;
  }
  n = g_ascii_strtoull (value, &end, 10);
  if (end == value || *end != '\0' || n == 0 || n > 1024)
    return FALSE;
  *threads = (guint) n;
  return TRUE;
}

static gboolean
parse_priority (const gchar * value, gint * priority)
{
  gchar *end;
  gint64 n;

  if (g_strcmp0 (value, "off") == 0) {
    *priority = 0;
    return TRUE;
  }
  n = g_ascii_strtoll (value, &end, 10);
  if (end == value || *end != '\0' || n < 0 || n > MAX_REALTIME_PRIORITY)
    return FALSE;
  *priority = (gint) n;
  return TRUE;
}

/* Parses "name:key=value,key=value;name:..." into the table; a bad entry
 * is reported and skipped, the others apply. */
static void
parse_environment (GHashTable * table, const gchar * spec)
{
  gchar **entries = g_strsplit (spec, ";", -1);
  guint i, j;

  for (i = 0; entries[i]; i++) {
    gchar *entry = g_strstrip (entries[i]);
    gchar *colon = strchr (entry, ':');
    KitharaContextSettings *s;
    gchar **pairs;

    if (*entry == '\0')
      continue;
    if (colon == NULL || colon == entry) {
      g_warning ("%s: '%s' is not 'name:key=value,...'", KITHARA_CONTEXTS_ENV,
          entry);
      continue;
    }
    *colon = '\0';
    s = g_new (KitharaContextSettings, 1);
    *s = default_settings;
    pairs = g_strsplit (colon + 1, ",", -1);
    for (j = 0; pairs[j]; j++) {
      gchar *pair = g_strstrip (pairs[j]);
      gchar *eq = strchr (pair, '=');
      gboolean ok = FALSE;

      if (eq) {
        *eq = '\0';
        if (strcmp (pair, "threads") == 0)
          ok = parse_threads (eq + 1, &s->threads);
        else if (strcmp (pair, "rt") == 0)
          ok = parse_priority (eq + 1, &s->realtime_priority);
        *eq = '=';
      }
      if (!ok)
        g_warning ("%s: context '%s': cannot use '%s' (known: threads=N|auto, "
            "rt=1..99|off)", KITHARA_CONTEXTS_ENV, entry, pair);
    }
    g_strfreev (pairs);
    g_hash_table_replace (table, g_strdup (entry), s);
  }
  g_strfreev (entries);
}

static GHashTable *
get_table_locked (void)
{
  if (settings_table == NULL) {
    const gchar *spec = g_getenv (KITHARA_CONTEXTS_ENV);

    settings_table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free);
    if (spec)
      parse_environment (settings_table, spec);
  }
  return settings_table;
}

void
kithara_context_settings_lookup (const gchar * context,
    KitharaContextSettings * settings)
{
  KitharaContextSettings *s;

  g_mutex_lock (&settings_lock);
  s = g_hash_table_lookup (get_table_locked (), context);
  if (s == NULL)                /* "*": every context not named */
    s = g_hash_table_lookup (settings_table, "*");
  *settings = s ? *s : default_settings;
  g_mutex_unlock (&settings_lock);
}

/* Changes the settings of @context through @edit, then applies them to
 * its running worker, if any. */
static void
update (const gchar * context, guint threads, gboolean set_threads,
    gint priority, gboolean set_priority)
{
  KitharaContextSettings *s, now;

  kithara_runtime_init_debug ();
  if (context == NULL || *context == '\0')
    context = KITHARA_DEFAULT_CONTEXT;

  g_mutex_lock (&settings_lock);
  s = g_hash_table_lookup (get_table_locked (), context);
  if (s == NULL) {
    s = g_new (KitharaContextSettings, 1);
    *s = default_settings;
    g_hash_table_insert (settings_table, g_strdup (context), s);
  }
  if (set_threads)
    s->threads = threads;
  if (set_priority)
    s->realtime_priority = priority;
  now = *s;
  g_mutex_unlock (&settings_lock);

  GST_INFO ("context '%s': %u threads (0 = auto), real-time priority %d",
      context, now.threads, now.realtime_priority);
  kithara_worker_reconfigure (context, &now);
}

/**
 * kithara_context_set_threads:
 * @context: (nullable): the context name, %NULL for "default"
 * @threads: how many threads back the context's worker; 0 = one per
 *   online CPU
 *
 * Applies when the context starts, or at once if it runs (from a thread
 * that is not a worker).
 */
void
kithara_context_set_threads (const gchar * context, guint threads)
{
  update (context, threads, TRUE, 0, FALSE);
}

/**
 * kithara_context_set_realtime:
 * @context: (nullable): the context name, %NULL for "default"
 * @priority: 1..99 to run the context's threads with SCHED_FIFO at that
 *   priority (or through RTKit where that is the only way), 0 for normal
 *   scheduling
 *
 * When real-time scheduling is not permitted, the context runs at normal
 * priority, says so once with a warning, and its stats show
 * "realtime" = %FALSE.
 */
void
kithara_context_set_realtime (const gchar * context, gint priority)
{
  g_return_if_fail (priority >= 0 && priority <= MAX_REALTIME_PRIORITY);
  update (context, 0, FALSE, priority, TRUE);
}

/**
 * kithara_context_config_new:
 * @context: (nullable): the context name, %NULL for "default"
 * @threads: as for kithara_context_set_threads()
 * @realtime_priority: as for kithara_context_set_realtime()
 *
 * Returns: (transfer full): a #GstContext of type
 * %KITHARA_CONTEXT_CONFIG_TYPE carrying these settings.
 */
GstContext *
kithara_context_config_new (const gchar * context, guint threads,
    gint realtime_priority)
{
  GstContext *ctx = gst_context_new (KITHARA_CONTEXT_CONFIG_TYPE, TRUE);

  gst_structure_set (gst_context_writable_structure (ctx),
      "context", G_TYPE_STRING,
      context && *context ? context : KITHARA_DEFAULT_CONTEXT,
      "threads", G_TYPE_UINT, threads,
      "realtime-priority", G_TYPE_INT, realtime_priority, NULL);
  return ctx;
}

/**
 * kithara_context_config_apply:
 * @context: a #GstContext
 *
 * Applies @context if it is of type %KITHARA_CONTEXT_CONFIG_TYPE (kithara
 * elements do this in their set_context).
 *
 * Returns: whether @context was a kithara context configuration.
 */
gboolean
kithara_context_config_apply (GstContext * context)
{
  const GstStructure *s;
  const gchar *name;
  guint threads;
  gint priority;
  gboolean has_threads, has_priority;

  if (g_strcmp0 (gst_context_get_context_type (context),
          KITHARA_CONTEXT_CONFIG_TYPE) != 0)
    return FALSE;
  s = gst_context_get_structure (context);
  name = gst_structure_get_string (s, "context");
  has_threads = gst_structure_get_uint (s, "threads", &threads);
  has_priority = gst_structure_get_int (s, "realtime-priority", &priority) &&
      priority >= 0 && priority <= MAX_REALTIME_PRIORITY;
  update (name, threads, has_threads, priority, has_priority);
  return TRUE;
}
