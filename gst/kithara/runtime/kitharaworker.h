/* Kithara runtime: one shared, prioritized worker thread per context name. */
#ifndef __KITHARA_WORKER_H__
#define __KITHARA_WORKER_H__

#include "kitharatypes.h"

G_BEGIN_DECLS

#define KITHARA_DEFAULT_CONTEXT "default"

KitharaWorker *kithara_worker_get (const gchar * context);
KitharaWorker *kithara_worker_ref (KitharaWorker * worker);
void kithara_worker_unref (KitharaWorker * worker);

const gchar *kithara_worker_get_context (KitharaWorker * worker);

void kithara_worker_add_node (KitharaWorker * worker, KitharaNode * node);
void kithara_worker_remove_node (KitharaWorker * worker, KitharaNode * node);

gboolean kithara_worker_is_current_thread (KitharaWorker * worker);
gboolean kithara_in_worker_thread (void);
void kithara_assert_may_wait (const gchar * what);

void kithara_worker_wait_parked (KitharaWorker * worker);
guint64 kithara_worker_get_passes (KitharaWorker * worker);
GstStructure *kithara_worker_get_stats (KitharaWorker * worker);
guint kithara_worker_count (void);

G_END_DECLS

#endif /* __KITHARA_WORKER_H__ */
