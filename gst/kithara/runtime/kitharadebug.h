/* Kithara runtime internals: the runtime's debug category.  Not
 * installed. */
#ifndef __KITHARA_DEBUG_H__
#define __KITHARA_DEBUG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (kithara_runtime_debug);

/* Registers the category; every entry point of the runtime calls it. */
void kithara_runtime_init_debug (void);

G_END_DECLS

#endif /* __KITHARA_DEBUG_H__ */
