#ifndef __GST_KITHARA_ELEMENTS_H__
#define __GST_KITHARA_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (kitharaeq);

G_END_DECLS

#endif /* __GST_KITHARA_ELEMENTS_H__ */
