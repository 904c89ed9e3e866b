/* Kithara runtime internals: raising a thread to real-time scheduling. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* SCHED_RESET_ON_FORK */
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kithararealtime.h"

GQuark
kithara_realtime_error_quark (void)
{
  return g_quark_from_static_string ("kithara-realtime-error-quark");
}

#ifdef __linux__

#include <gio/gio.h>
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#define RTKIT_NAME "org.freedesktop.RealtimeKit1"
#define RTKIT_PATH "/org/freedesktop/RealtimeKit1"

/* For the whole RTKit conversation (connect, two property reads, the
 * request): room for D-Bus activation of rtkit-daemon, yet a hung bus
 * cannot stall the caller for long. */
#define RTKIT_TIMEOUT_MS 2000

static gint
remaining_ms (gint64 deadline)
{
  gint64 left = (deadline - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;

  /* Past the deadline the next call still gets 1 ms and times out. */
  return (gint) CLAMP (left, 1, RTKIT_TIMEOUT_MS);
}

typedef struct
{
  GDBusConnection *bus;
  GError *error;
  gboolean done;
} ConnectResult;

static void
connect_done (GObject * source, GAsyncResult * res, gpointer user_data)
{
  ConnectResult *result = user_data;

  result->bus = g_dbus_connection_new_for_address_finish (res, &result->error);
  result->done = TRUE;
}

static gboolean
connect_timed_out (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* A private connection rather than the g_bus_get() singleton: that one has
 * exit-on-close set, so a restart of the system bus would terminate the
 * application, and it would stay open for the life of the process.  The
 * synchronous constructor has no timeout, hence the async one, iterated
 * on @context, which the caller has pushed as thread-default. */
static GDBusConnection *
rtkit_connect (GMainContext * context, gint64 deadline, GError ** error)
{
  ConnectResult result = { NULL, NULL, FALSE };
  GCancellable *cancellable;
  GSource *timeout;
  gchar *address;

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (address == NULL)
    return NULL;

  cancellable = g_cancellable_new ();
  timeout = g_timeout_source_new (remaining_ms (deadline));
  g_source_set_callback (timeout, connect_timed_out, cancellable, NULL);
  g_source_attach (timeout, context);

  g_dbus_connection_new_for_address (address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, cancellable,
      connect_done, &result);
  while (!result.done)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);

  if (result.bus == NULL && g_cancellable_is_cancelled (cancellable)) {
    g_clear_error (&result.error);
    g_set_error (&result.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "no answer from the system bus at %s within %d ms", address,
        RTKIT_TIMEOUT_MS);
  }
  g_object_unref (cancellable);
  g_free (address);

  if (result.error != NULL)
    g_propagate_error (error, result.error);
  return result.bus;
}

static GVariant *
rtkit_get_property (GDBusConnection * bus, const gchar * name,
    const gchar * type, gint64 deadline, GError ** error)
{
  GVariant *reply, *value;

  reply = g_dbus_connection_call_sync (bus, RTKIT_NAME, RTKIT_PATH,
      "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", RTKIT_NAME, name), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, remaining_ms (deadline), NULL, error);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(v)", &value);
  g_variant_unref (reply);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (type))) {
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_SIGNATURE,
        "property %s has type '%s', expected '%s'", name,
        g_variant_get_type_string (value), type);
    g_variant_unref (value);
    return NULL;
  }
  return value;
}

/* RTKit refuses processes whose RLIMIT_RTTIME hard limit is unlimited or
 * above its RTTimeUSecMax: the limit is its guarantee that a runaway
 * real-time thread gets killed instead of freezing the machine.  Processes
 * start unlimited, so lower it.  This is process-wide and kept: an
 * unprivileged process cannot raise a hard limit again, and later requests
 * need it too. */
static gboolean
limit_rttime (gint64 rttime_max, GError ** error)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_RTTIME, &limit) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot read RLIMIT_RTTIME: %s", g_strerror (errno));
    return FALSE;
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max <= (rlim_t) rttime_max)
    return TRUE;

  limit.rlim_cur = limit.rlim_max = (rlim_t) rttime_max;
  if (setrlimit (RLIMIT_RTTIME, &limit) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot set RLIMIT_RTTIME to %" G_GINT64_FORMAT " us: %s", rttime_max,
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* Asks RTKit to make @tid real-time.  On failure @refused tells whether
 * RTKit answered "no" (rather than could not be asked). */
static gboolean
rtkit_promote (gint tid, gint priority, gboolean * refused, GError ** error)
{
  gint64 deadline;
  GMainContext *context;
  GDBusConnection *bus;
  GVariant *value, *reply;
  gint32 max_priority;
  gint64 rttime_max;
  gboolean ret = FALSE;

  *refused = FALSE;
  deadline = g_get_monotonic_time () +
      RTKIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  /* The connection emits "closed" in the thread-default context it was
   * made in; a context of our own keeps that off the application's. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  bus = rtkit_connect (context, deadline, error);
  if (bus == NULL)
    goto done;

  value = rtkit_get_property (bus, "MaxRealtimePriority", "i", deadline, error);
  if (value == NULL)
    goto done;
  max_priority = g_variant_get_int32 (value);
  g_variant_unref (value);

  value = rtkit_get_property (bus, "RTTimeUSecMax", "x", deadline, error);
  if (value == NULL)
    goto done;
  rttime_max = g_variant_get_int64 (value);
  g_variant_unref (value);

  if (max_priority < 1 || rttime_max < 1) {
    *refused = TRUE;
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
        "it grants no real-time priority (MaxRealtimePriority %d, "
        "RTTimeUSecMax %" G_GINT64_FORMAT ")", max_priority, rttime_max);
    goto done;
  }
  /* Asking for more than it hands out would only be refused. */
  priority = MIN (priority, max_priority);

  if (!limit_rttime (rttime_max, error))
    goto done;

  reply = g_dbus_connection_call_sync (bus, RTKIT_NAME, RTKIT_PATH,
      RTKIT_NAME, "MakeThreadRealtimeWithPID",
      g_variant_new ("(ttu)", (guint64) getpid (), (guint64) tid,
          (guint32) priority), G_VARIANT_TYPE ("()"),
      G_DBUS_CALL_FLAGS_NONE, remaining_ms (deadline), NULL, error);
  if (reply == NULL) {
    *refused = g_dbus_error_is_remote_error (*error);
    goto done;
  }
  g_variant_unref (reply);
  ret = TRUE;

done:
  g_clear_object (&bus);
  /* Dispatch whatever the connection left here, so nothing keeps it. */
  while (g_main_context_iteration (context, FALSE));
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return ret;
}

gboolean
kithara_realtime_promote (gint tid, gint priority, const gchar ** method,
    GError ** error)
{
  struct sched_param param = { 0 };
  GError *rtkit_error = NULL;
  gboolean refused;
  gint sched_errno;

  if (method != NULL)
    *method = NULL;
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (tid <= 0) {
    g_set_error (error, KITHARA_REALTIME_ERROR,
        KITHARA_REALTIME_ERROR_INVALID_ARGUMENT, "invalid thread id %d", tid);
    return FALSE;
  }
  if (priority < sched_get_priority_min (SCHED_FIFO) ||
      priority > sched_get_priority_max (SCHED_FIFO)) {
    g_set_error (error, KITHARA_REALTIME_ERROR,
        KITHARA_REALTIME_ERROR_INVALID_ARGUMENT,
        "real-time priority %d out of range %d..%d", priority,
        sched_get_priority_min (SCHED_FIFO),
        sched_get_priority_max (SCHED_FIFO));
    return FALSE;
  }

  /* SCHED_RESET_ON_FORK: processes the thread spawns start as normal
   * ones instead of inheriting a priority nobody granted them. */
  param.sched_priority = priority;
  if (sched_setscheduler (tid, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0) {
    if (method != NULL)
      *method = "sched-fifo";
    return TRUE;
  }

  sched_errno = errno;
  if (sched_errno == ESRCH) {
    g_set_error (error, KITHARA_REALTIME_ERROR,
        KITHARA_REALTIME_ERROR_INVALID_ARGUMENT, "no thread with id %d", tid);
    return FALSE;
  }
  if (sched_errno != EPERM) {
    g_set_error (error, KITHARA_REALTIME_ERROR, KITHARA_REALTIME_ERROR_FAILED,
        "SCHED_FIFO for thread %d failed: %s", tid, g_strerror (sched_errno));
    return FALSE;
  }

  /* Not allowed ourselves: ask the system service that may do it for us. */
  if (rtkit_promote (tid, priority, &refused, &rtkit_error)) {
    if (method != NULL)
      *method = "rtkit";
    return TRUE;
  }

  g_dbus_error_strip_remote_error (rtkit_error);
  g_set_error (error, KITHARA_REALTIME_ERROR,
      KITHARA_REALTIME_ERROR_NOT_PERMITTED,
      "SCHED_FIFO not permitted (%s) and RTKit %s (%s)",
      g_strerror (sched_errno), refused ? "refused" : "unavailable",
      rtkit_error->message);
  g_error_free (rtkit_error);
  return FALSE;
}

gboolean
kithara_realtime_demote (gint tid)
{
  struct sched_param param = { 0 };

  if (tid <= 0)
    return FALSE;
  /* Keeps SCHED_RESET_ON_FORK: an unprivileged process may not clear it,
   * and promotion always sets it. */
  return sched_setscheduler (tid, SCHED_OTHER | SCHED_RESET_ON_FORK,
      &param) == 0;
}

gboolean
kithara_realtime_thread_is_realtime (gint tid, gint * priority)
{
  struct sched_param param = { 0 };
  gint policy;

  if (priority != NULL)
    *priority = 0;
  if (tid <= 0)
    return FALSE;

  /* The policy comes back with SCHED_RESET_ON_FORK or'ed in if set. */
  policy = sched_getscheduler (tid);
  if (policy < 0)
    return FALSE;
  policy &= ~SCHED_RESET_ON_FORK;
  if (policy != SCHED_FIFO && policy != SCHED_RR)
    return FALSE;

  if (priority != NULL && sched_getparam (tid, &param) == 0)
    *priority = param.sched_priority;
  return TRUE;
}

#else /* !__linux__ */

gboolean
kithara_realtime_promote (gint tid, gint priority, const gchar ** method,
    GError ** error)
{
  if (method != NULL)
    *method = NULL;
  g_set_error_literal (error, KITHARA_REALTIME_ERROR,
      KITHARA_REALTIME_ERROR_NOT_SUPPORTED,
      "real-time promotion is only implemented on Linux");
  return FALSE;
}

gboolean
kithara_realtime_demote (gint tid)
{
  return FALSE;
}

gboolean
kithara_realtime_thread_is_realtime (gint tid, gint * priority)
{
  if (priority != NULL)
    *priority = 0;
  return FALSE;
}

#endif
