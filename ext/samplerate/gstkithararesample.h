/* Kithara: kithararesample, a resampler node on libsamplerate or on
 * GStreamer's GstAudioResampler. */
#ifndef __GST_KITHARA_RESAMPLE_H__
#define __GST_KITHARA_RESAMPLE_H__

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include "gstkitharaelement.h"

G_BEGIN_DECLS

/**
 * GstKitharaResampleQuality:
 * @GST_KITHARA_RESAMPLE_QUALITY_SINC_BEST: band-limited sinc, SNR 145 dB,
 *   bandwidth 97 %
 * @GST_KITHARA_RESAMPLE_QUALITY_SINC_MEDIUM: band-limited sinc, SNR
 *   121 dB, bandwidth 90 %
 * @GST_KITHARA_RESAMPLE_QUALITY_SINC_FASTEST: band-limited sinc, SNR
 *   97 dB, bandwidth 80 %
 * @GST_KITHARA_RESAMPLE_QUALITY_ZERO_ORDER_HOLD: sample and hold, cheapest,
 *   not band-limited
 * @GST_KITHARA_RESAMPLE_QUALITY_LINEAR: linear interpolation, cheap, not
 *   band-limited
 *
 * The converters, by libsamplerate's names and figures; the gstreamer
 * engine maps each to a GstAudioResampler filter of comparable SNR.
 */
typedef enum
{
  GST_KITHARA_RESAMPLE_QUALITY_SINC_BEST = 0,
  GST_KITHARA_RESAMPLE_QUALITY_SINC_MEDIUM = 1,
  GST_KITHARA_RESAMPLE_QUALITY_SINC_FASTEST = 2,
  GST_KITHARA_RESAMPLE_QUALITY_ZERO_ORDER_HOLD = 3,
  GST_KITHARA_RESAMPLE_QUALITY_LINEAR = 4,
} GstKitharaResampleQuality;

#define GST_TYPE_KITHARA_RESAMPLE_QUALITY \
    (gst_kithara_resample_quality_get_type ())
GType gst_kithara_resample_quality_get_type (void);

/**
 * GstKitharaResampleEngine:
 * @GST_KITHARA_RESAMPLE_ENGINE_LIBSAMPLERATE: libsamplerate
 * @GST_KITHARA_RESAMPLE_ENGINE_GSTREAMER: GstAudioResampler, the resampler
 *   of audioresample (gst-plugins-base's audio library)
 *
 * The library that converts.
 */
typedef enum
{
  GST_KITHARA_RESAMPLE_ENGINE_LIBSAMPLERATE = 0,
  GST_KITHARA_RESAMPLE_ENGINE_GSTREAMER = 1,
} GstKitharaResampleEngine;

#define GST_TYPE_KITHARA_RESAMPLE_ENGINE \
    (gst_kithara_resample_engine_get_type ())
GType gst_kithara_resample_engine_get_type (void);

#define GST_TYPE_KITHARA_RESAMPLE (gst_kithara_resample_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaResample, gst_kithara_resample, GST,
    KITHARA_RESAMPLE, GstKitharaElement)

GST_ELEMENT_REGISTER_DECLARE (kithararesample);

G_END_DECLS

#endif /* __GST_KITHARA_RESAMPLE_H__ */
