/* Kithara runtime internals: a wait/wake primitive on a 32-bit word.
 *
 * The wakes take no lock and allocate nothing, so they may be called
 * from a real-time audio callback.  On Linux it is a futex; other systems
 * get a portable fallback built on a mutex and condition variable, which
 * is correct but not lock-free.  Not installed: compiled into each
 * library that uses it, with hidden symbols.
 */
#ifndef __KITHARA_FUTEX_H__
#define __KITHARA_FUTEX_H__

#include <glib.h>

G_BEGIN_DECLS

/* Sleeps while *@word equals @expected; may return spuriously. */
void kithara_futex_wait (gint * word, gint expected);

/* Wakes every thread sleeping on @word. */
void kithara_futex_wake (gint * word);

/* Wakes one thread sleeping on @word. */
void kithara_futex_wake_one (gint * word);

G_END_DECLS

#endif /* __KITHARA_FUTEX_H__ */
