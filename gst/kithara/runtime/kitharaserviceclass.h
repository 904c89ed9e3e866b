/* Kithara runtime: service classes that follow the stream.
 *
 * An exit (a mixer pad that is heard, a sink being read) announces the
 * class of the chain feeding it with a custom upstream event.  Every
 * kithara element whose service-class is "auto" takes that class and
 * passes the event on upstream; one with an explicit class passes its own
 * class instead.  Non-kithara elements forward the event untouched.
 */
#ifndef __KITHARA_SERVICE_CLASS_H__
#define __KITHARA_SERVICE_CLASS_H__

#include "kitharatypes.h"

G_BEGIN_DECLS

GType kithara_service_class_get_type (void);
#define KITHARA_TYPE_SERVICE_CLASS (kithara_service_class_get_type ())

GstEvent *kithara_service_class_event_new (KitharaServiceClass service_class);
gboolean kithara_service_class_event_parse (GstEvent * event,
    KitharaServiceClass * service_class);

G_END_DECLS

#endif /* __KITHARA_SERVICE_CLASS_H__ */
