/* Kithara runtime: one shared, prioritized worker (K threads) per context
 * name; see kitharacontext.h to configure one. */
#ifndef __KITHARA_WORKER_H__
#define __KITHARA_WORKER_H__

#include "kitharatypes.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

#define KITHARA_DEFAULT_CONTEXT "default"

KITHARA_API
KitharaWorker *kithara_worker_get (const gchar * context);

KITHARA_API
KitharaWorker *kithara_worker_ref (KitharaWorker * worker);

KITHARA_API
void kithara_worker_unref (KitharaWorker * worker);

KITHARA_API
const gchar *kithara_worker_get_context (KitharaWorker * worker);

KITHARA_API
void kithara_worker_add_node (KitharaWorker * worker, KitharaNode * node);

KITHARA_API
void kithara_worker_remove_node (KitharaWorker * worker, KitharaNode * node);

KITHARA_API
gboolean kithara_worker_is_current_thread (KitharaWorker * worker);

KITHARA_API
gboolean kithara_in_worker_thread (void);

KITHARA_API
void kithara_assert_may_wait (const gchar * what);

KITHARA_API
void kithara_worker_wait_parked (KitharaWorker * worker);

KITHARA_API
guint64 kithara_worker_get_passes (KitharaWorker * worker);

KITHARA_API
GstStructure *kithara_worker_get_stats (KitharaWorker * worker);

KITHARA_API
guint kithara_worker_count (void);

G_END_DECLS

#endif /* __KITHARA_WORKER_H__ */
