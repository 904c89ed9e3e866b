/* Kithara runtime: configuring a context (a shared worker) by name. */
#ifndef __KITHARA_CONTEXT_H__
#define __KITHARA_CONTEXT_H__

#include <gst/gst.h>
#include "kitharaexport.h"

G_BEGIN_DECLS

/**
 * KITHARA_CONTEXT_CONFIG_TYPE:
 *
 * The type of the #GstContext that configures a context: its structure,
 * "kithara-context-config", has "context" (string, the context name),
 * and optionally "threads" (uint, 0 = one per online CPU) and
 * "realtime-priority" (int, 0 = normal scheduling, 1..99 = SCHED_FIFO).
 * Set it on a pipeline with gst_element_set_context(): every kithara
 * element in it applies it.
 */
#define KITHARA_CONTEXT_CONFIG_TYPE "kithara.context-config"

/**
 * KITHARA_CONTEXTS_ENV:
 *
 * The environment variable read when a context starts, e.g.
 * `KITHARA_CONTEXTS="default:threads=auto,rt=60;preview:threads=1"`.
 */
#define KITHARA_CONTEXTS_ENV "KITHARA_CONTEXTS"

KITHARA_API
void kithara_context_set_threads (const gchar * context, guint threads);

KITHARA_API
void kithara_context_set_realtime (const gchar * context, gint priority);

KITHARA_API
GstContext *kithara_context_config_new (const gchar * context, guint threads,
    gint realtime_priority);

KITHARA_API
gboolean kithara_context_config_apply (GstContext * context);

G_END_DECLS

#endif /* __KITHARA_CONTEXT_H__ */
