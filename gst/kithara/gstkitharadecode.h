/* Kithara: kitharadecode, decoding as a node on the shared worker. */
#ifndef __GST_KITHARA_DECODE_H__
#define __GST_KITHARA_DECODE_H__

#include "gstkitharaelement.h"

G_BEGIN_DECLS

#define GST_TYPE_KITHARA_DECODE (gst_kithara_decode_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaDecode, gst_kithara_decode, GST,
    KITHARA_DECODE, GstKitharaElement)

G_END_DECLS

#endif /* __GST_KITHARA_DECODE_H__ */
