/* Kithara runtime internals: raising a thread to real-time scheduling.
 *
 * Tries SCHED_FIFO directly (needs CAP_SYS_NICE or an RLIMIT_RTPRIO
 * allowance), then asks RTKit on the system bus.  Linux only; elsewhere
 * promotion always fails with KITHARA_REALTIME_ERROR_NOT_SUPPORTED.
 * Not installed.
 */
#ifndef __KITHARA_REALTIME_H__
#define __KITHARA_REALTIME_H__

#include <glib.h>

G_BEGIN_DECLS

#define KITHARA_REALTIME_ERROR (kithara_realtime_error_quark ())

typedef enum
{
  KITHARA_REALTIME_ERROR_FAILED,
  KITHARA_REALTIME_ERROR_INVALID_ARGUMENT,      /* bad priority, no such thread */
  KITHARA_REALTIME_ERROR_NOT_PERMITTED, /* neither way was allowed */
  KITHARA_REALTIME_ERROR_NOT_SUPPORTED  /* not Linux */
} KitharaRealtimeError;

GQuark kithara_realtime_error_quark (void);

/* Returns TRUE when thread @tid (a kernel thread id of this process) now
 * runs with real-time priority @priority (1..99).  RTKit may grant less
 * than asked (it caps at its MaxRealtimePriority, typically 20) and uses
 * SCHED_RR; kithara_realtime_thread_is_realtime() tells what is in effect.
 * @method (out, optional): "sched-fifo" or "rtkit" (static string), NULL
 *   on failure.
 * @error: why not, when FALSE.
 * Never call on a thread that must not wait: the RTKit path is a few D-Bus
 * round trips (bounded to about 2 s in total).  The RTKit path may lower
 * the process' RLIMIT_RTTIME, see kithararealtime.c. */
gboolean kithara_realtime_promote (gint tid, gint priority,
    const gchar ** method, GError ** error);

/* Returns thread @tid to normal scheduling (SCHED_OTHER, its nice level
 * unchanged), which needs no privilege.  Returns TRUE on success. */
gboolean kithara_realtime_demote (gint tid);

/* Returns TRUE if thread @tid currently has policy SCHED_FIFO or SCHED_RR.
 * @priority (out, optional): its static priority (0 when not real-time). */
gboolean kithara_realtime_thread_is_realtime (gint tid, gint * priority);

G_END_DECLS

#endif /* __KITHARA_REALTIME_H__ */
