/* ThreadSanitizer annotations for GLib's synchronisation, linked into the
 * test programs of a build with -Db_sanitize=thread.
 *
 * GLib's GMutex and GCond are built on futexes, its bit locks on atomics
 * in libglib, none of which ThreadSanitizer sees: every field that
 * kithara (or GStreamer, through GST_OBJECT_LOCK) protects with them would
 * be reported as a race.  These functions take the place of GLib's (the
 * program exports them; libraries reach them through their PLT), call the
 * real ones and tell ThreadSanitizer what they did.  GRecMutex and GRWLock
 * are pthread objects, which ThreadSanitizer knows already.
 *
 * Reference counts are atomics in uninstrumented libraries too: an unref
 * releases what its thread did to the object and acquires what the
 * others did, so that the thread that finalizes it is ordered after all
 * of them.
 */
#include <glib-object.h>
#include <gst/gst.h>
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

/* The real function, looked up once; the pointer is atomic, as threads
 * race for the first call. */
#define REAL(name) \
  static __typeof__ (name) *found_##name; \
  __typeof__ (name) *real_##name = \
      __atomic_load_n (&found_##name, __ATOMIC_ACQUIRE); \
  if (G_UNLIKELY (real_##name == NULL)) { \
    real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name); \
    __atomic_store_n (&found_##name, real_##name, __ATOMIC_RELEASE); \
  }

void
g_mutex_lock (GMutex * mutex)
{
  REAL (g_mutex_lock);
  __tsan_mutex_pre_lock (mutex, 0);
  real_g_mutex_lock (mutex);
  __tsan_mutex_post_lock (mutex, 0, 0);
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  gboolean locked;

  REAL (g_mutex_trylock);
  __tsan_mutex_pre_lock (mutex, __tsan_mutex_try_lock);
  locked = real_g_mutex_trylock (mutex);
  __tsan_mutex_post_lock (mutex, __tsan_mutex_try_lock |
      (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

void
g_mutex_unlock (GMutex * mutex)
{
  REAL (g_mutex_unlock);
  __tsan_mutex_pre_unlock (mutex, 0);
  real_g_mutex_unlock (mutex);
  __tsan_mutex_post_unlock (mutex, 0);
}

/* The real ones unlock and lock the mutex inside libglib, unseen. */
void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  REAL (g_cond_wait);
  __tsan_mutex_pre_unlock (mutex, 0);
  __tsan_mutex_post_unlock (mutex, 0);
  real_g_cond_wait (cond, mutex);
  __tsan_mutex_pre_lock (mutex, 0);
  __tsan_mutex_post_lock (mutex, 0, 0);
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  gboolean signalled;

  REAL (g_cond_wait_until);
  __tsan_mutex_pre_unlock (mutex, 0);
  __tsan_mutex_post_unlock (mutex, 0);
  signalled = real_g_cond_wait_until (cond, mutex, end_time);
  __tsan_mutex_pre_lock (mutex, 0);
  __tsan_mutex_post_lock (mutex, 0, 0);
  return signalled;
}

void
g_bit_lock (volatile gint * address, gint lock_bit)
{
  REAL (g_bit_lock);
  __tsan_mutex_pre_lock ((void *) address, 0);
  real_g_bit_lock (address, lock_bit);
  __tsan_mutex_post_lock ((void *) address, 0, 0);
}

gboolean
g_bit_trylock (volatile gint * address, gint lock_bit)
{
  gboolean locked;

  REAL (g_bit_trylock);
  __tsan_mutex_pre_lock ((void *) address, __tsan_mutex_try_lock);
  locked = real_g_bit_trylock (address, lock_bit);
  __tsan_mutex_post_lock ((void *) address, __tsan_mutex_try_lock |
      (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

void
g_bit_unlock (volatile gint * address, gint lock_bit)
{
  REAL (g_bit_unlock);
  __tsan_mutex_pre_unlock ((void *) address, 0);
  real_g_bit_unlock (address, lock_bit);
  __tsan_mutex_post_unlock ((void *) address, 0);
}

void
(g_pointer_bit_lock) (volatile void *address, gint lock_bit)
{
  REAL (g_pointer_bit_lock);
  __tsan_mutex_pre_lock ((void *) address, 0);
  real_g_pointer_bit_lock (address, lock_bit);
  __tsan_mutex_post_lock ((void *) address, 0, 0);
}

void
(g_pointer_bit_unlock) (volatile void *address, gint lock_bit)
{
  REAL (g_pointer_bit_unlock);
  __tsan_mutex_pre_unlock ((void *) address, 0);
  real_g_pointer_bit_unlock (address, lock_bit);
  __tsan_mutex_post_unlock ((void *) address, 0);
}

/* g_once_init_enter()'s fast path is an atomic load in the caller; its
 * slow path and g_once_init_leave() synchronise inside libglib. */
gboolean
(g_once_init_enter) (volatile void *location)
{
  gboolean enter;

  REAL (g_once_init_enter);
  enter = real_g_once_init_enter (location);
  __tsan_acquire ((void *) location);
  return enter;
}

void
(g_once_init_leave) (volatile void *location, gsize result)
{
  REAL (g_once_init_leave);
  __tsan_release ((void *) location);
  real_g_once_init_leave (location, result);
}

/* Queues hand data from one thread to another under a lock of libglib's
 * own: a push releases, a pop acquires. */
void
g_async_queue_push (GAsyncQueue * queue, gpointer data)
{
  REAL (g_async_queue_push);
  __tsan_release (queue);
  real_g_async_queue_push (queue, data);
}

gpointer
g_async_queue_pop (GAsyncQueue * queue)
{
  gpointer data;

  REAL (g_async_queue_pop);
  data = real_g_async_queue_pop (queue);
  __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_try_pop (GAsyncQueue * queue)
{
  gpointer data;

  REAL (g_async_queue_try_pop);
  data = real_g_async_queue_try_pop (queue);
  __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_timeout_pop (GAsyncQueue * queue, guint64 timeout)
{
  gpointer data;

  REAL (g_async_queue_timeout_pop);
  data = real_g_async_queue_timeout_pop (queue, timeout);
  __tsan_acquire (queue);
  return data;
}

void
g_object_unref (gpointer object)
{
  REAL (g_object_unref);
  __tsan_release (object);
  __tsan_acquire (object);
  real_g_object_unref (object);
}

void
gst_object_unref (gpointer object)
{
  REAL (gst_object_unref);
  __tsan_release (object);
  __tsan_acquire (object);
  real_gst_object_unref (object);
}

void
gst_mini_object_unref (GstMiniObject * object)
{
  REAL (gst_mini_object_unref);
  __tsan_release (object);
  __tsan_acquire (object);
  real_gst_mini_object_unref (object);
}
