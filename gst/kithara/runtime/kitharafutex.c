/* Kithara runtime internals: a wait/wake primitive on a 32-bit word. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharafutex.h"

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

void
kithara_futex_wait (gint * word, gint expected)
{
  syscall (SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void
kithara_futex_wake (gint * word)
{
  syscall (SYS_futex, word, FUTEX_WAKE_PRIVATE, G_MAXINT, NULL, NULL, 0);
}

void
kithara_futex_wake_one (gint * word)
{
  syscall (SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#else /* !__linux__ */

/* One lock for every word: waits are rare and short. */
static GMutex fallback_lock;
static GCond fallback_cond;

void
kithara_futex_wait (gint * word, gint expected)
{
  g_mutex_lock (&fallback_lock);
  if (g_atomic_int_get (word) == expected)
    g_cond_wait (&fallback_cond, &fallback_lock);
  g_mutex_unlock (&fallback_lock);
}

void
kithara_futex_wake (gint * word)
{
  g_mutex_lock (&fallback_lock);
  g_cond_broadcast (&fallback_cond);
  g_mutex_unlock (&fallback_lock);
}

void
kithara_futex_wake_one (gint * word)
{
  /* The one lock is shared by every word: wake them all. */
  kithara_futex_wake (word);
}

#endif
