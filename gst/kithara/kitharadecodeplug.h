/* Kithara: choosing and plugging a decoder the way decodebin does. */
#ifndef __KITHARA_DECODE_PLUG_H__
#define __KITHARA_DECODE_PLUG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Links the output of a decoder being tried on; FALSE if it cannot. */
typedef gboolean (*KitharaDecodeLinkOut) (GstPad * decoder_src,
    gpointer user_data);

GList *kithara_decode_plug_candidates (GstCaps * caps);
GstElement *kithara_decode_plug_try (GstBin * bin,
    GstElementFactory * factory, GstPad * pad, GstCaps * caps,
    KitharaDecodeLinkOut link_out, gpointer user_data, GstElement ** trying,
    GString * why);
void kithara_decode_plug_remove (GstBin * bin, GstElement * element);

G_END_DECLS

#endif /* __KITHARA_DECODE_PLUG_H__ */
