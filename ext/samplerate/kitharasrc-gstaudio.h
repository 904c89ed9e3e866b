/* Kithara: the GStreamer engine's choice of GstAudioResampler options,
 * for whoever calls GstAudioResampler directly to compare with it. */
#ifndef __KITHARA_SRC_GSTAUDIO_H__
#define __KITHARA_SRC_GSTAUDIO_H__

#include <gst/audio/audio.h>
#include "kitharasrc.h"

G_BEGIN_DECLS

GstStructure *kithara_src_gstaudio_options (KitharaSrcQuality quality,
    gint in_rate, gint out_rate, GstAudioResamplerMethod * method,
    GstAudioFormat * format);

G_END_DECLS

#endif /* __KITHARA_SRC_GSTAUDIO_H__ */
