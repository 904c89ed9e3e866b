/* Kithara runtime internals: the settings of each context name (threads,
 * real-time priority), from the environment and from applications.  The
 * public calls are in kitharacontext.h.  Not installed. */
#ifndef __KITHARA_CONTEXT_CONFIG_H__
#define __KITHARA_CONTEXT_CONFIG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  guint threads;                /* 0: one per online CPU */
  gint realtime_priority;       /* 0: normal scheduling */
} KitharaContextSettings;

/* The settings @context starts with. */
void kithara_context_settings_lookup (const gchar * context,
    KitharaContextSettings * settings);

/* Implemented by the scheduler: a running worker of @context takes
 * @settings now. */
void kithara_worker_reconfigure (const gchar * context,
    const KitharaContextSettings * settings);

G_END_DECLS

#endif /* __KITHARA_CONTEXT_CONFIG_H__ */
