/* Kithara runtime internals shared by the worker and the node.
 * Not installed. */
#ifndef __KITHARA_PRIVATE_H__
#define __KITHARA_PRIVATE_H__

#include "kitharanode.h"
#include "kitharaworker.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (kithara_runtime_debug);

/* The runtime's per-thread state lives in the static TLS block: read on
 * every tick and tick lock with no call to __tls_get_addr, and none of
 * the dynamic TLS whose tracking makes LeakSanitizer (GCC 12) crash
 * while it scans the threads.  A few bytes, well within the room glibc
 * keeps for libraries that are loaded later (a plugin's dlopen). */
#define KITHARA_THREAD_LOCAL __thread __attribute__ ((tls_model ("initial-exec")))

struct _KitharaNode
{
  gint refcount;
  gchar *name;
  GObject *owner;               /* not owned; kept alive during a tick */
  KitharaTickFunc func;
  gpointer user_data;
  guint serial;                 /* keeps the order stable within a class */

  gint service_class;           /* atomic: read by the worker every pass */
  gint wake;                    /* atomic: 1 when the node wants a tick */
  gint outlet_waits;            /* atomic: full inlets it waits to drain */
  gint tick_put_off;            /* atomic: a tick waits for the tick lock */
  gint64 slow_tick_ns;          /* atomic */

  GRecMutex tick_lock;          /* held by the worker around a tick */

  GMutex lock;                  /* protects worker and controls */
  KitharaWorker *worker;        /* also read atomically by wake_rt */
  GQueue controls;              /* KitharaControl: run when no tick runs */
  gint controls_waiting;        /* atomic: controls is not empty */

  /* Counters: written only by the worker thread, read relaxed. */
  KitharaNodeStats stats;
};

/* Runs one tick of @node on the current (worker) thread; the caller
 * keeps the node's owner alive. */
KitharaTickResult kithara_node_run_tick (KitharaNode * node,
    KitharaWorker * worker, guint64 pass);

/* Called by the node when it is woken; nudges its worker. */
void kithara_worker_kick (KitharaWorker * worker, KitharaServiceClass cls);
void kithara_worker_kick_rt (KitharaWorker * worker);
void kithara_worker_note_wake_class (KitharaWorker * worker,
    KitharaServiceClass cls);
void kithara_worker_note_resort (KitharaWorker * worker);

/* Attaches or detaches the worker a node belongs to. */
void kithara_node_set_worker (KitharaNode * node, KitharaWorker * worker);

static inline guint64
kithara_counter_get (const guint64 * counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

static inline void
kithara_counter_add (guint64 * counter, guint64 value)
{
  /* Single writer (the worker): a relaxed load/store pair is enough. */
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) +
      value, __ATOMIC_RELAXED);
}

static inline void
kithara_counter_set (guint64 * counter, guint64 value)
{
  __atomic_store_n (counter, value, __ATOMIC_RELAXED);
}

G_END_DECLS

#endif /* __KITHARA_PRIVATE_H__ */
