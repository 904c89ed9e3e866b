/* Kithara: a resampling converter with exact timing, on libsamplerate or
 * on GStreamer's GstAudioResampler (no GStreamer element types). */
#ifndef __KITHARA_SRC_H__
#define __KITHARA_SRC_H__

#include <glib.h>

G_BEGIN_DECLS

/* Same values as libsamplerate's converter types. */
typedef enum
{
  KITHARA_SRC_SINC_BEST = 0,
  KITHARA_SRC_SINC_MEDIUM = 1,
  KITHARA_SRC_SINC_FASTEST = 2,
  KITHARA_SRC_ZERO_ORDER_HOLD = 3,
  KITHARA_SRC_LINEAR = 4,
} KitharaSrcQuality;

typedef enum
{
  KITHARA_SRC_ENGINE_LIBSAMPLERATE = 0,
  KITHARA_SRC_ENGINE_GSTREAMER = 1,
} KitharaSrcEngine;

#define KITHARA_SRC_N_ENGINES 2

#define KITHARA_SRC_MIN_RATIO (1.0 / 256.0)
#define KITHARA_SRC_MAX_RATIO 256.0

typedef struct _KitharaSrc KitharaSrc;

gboolean kithara_src_ratio_is_valid (double ratio);

KitharaSrc *kithara_src_new (KitharaSrcEngine engine,
    KitharaSrcQuality quality, guint channels, double ratio, gchar ** error);
void kithara_src_free (KitharaSrc * src);
void kithara_src_reset (KitharaSrc * src);

double kithara_src_get_delay (KitharaSrc * src);
double kithara_src_get_mean_ratio (KitharaSrc * src, double ratio);
guint kithara_src_get_latency (KitharaSrc * src);

void kithara_src_begin (KitharaSrc * src, double ratio);
void kithara_src_prime (KitharaSrc * src, const float *in, gsize frames);
const float *kithara_src_process (KitharaSrc * src, const float *in,
    gsize frames, double ratio, gsize * out_frames);
const float *kithara_src_drain (KitharaSrc * src, gsize * out_frames);

guint kithara_src_get_measurements (void);

G_END_DECLS

#endif /* __KITHARA_SRC_H__ */
