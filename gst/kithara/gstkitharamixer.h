/* Kithara: kitharamixer, the exit for playback. */
#ifndef __GST_KITHARA_MIXER_H__
#define __GST_KITHARA_MIXER_H__

#include <gst/gst.h>
#include "gstkitharaelement.h"

G_BEGIN_DECLS

#define GST_TYPE_KITHARA_MIXER (gst_kithara_mixer_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaMixer, gst_kithara_mixer, GST, KITHARA_MIXER,
    GstKitharaElement)

G_END_DECLS

#endif /* __GST_KITHARA_MIXER_H__ */
