/* Kithara: what KitharaSrc asks of a resampling engine.
 *
 * KitharaSrc keeps the timing (delay compensation, exact lengths, the
 * ratio's glide from call to call, draining); an engine only converts:
 * all of the input it is given, at a ratio gliding from one value to
 * another over that input, appending its output to a KitharaSrcOut. */
#ifndef __KITHARA_SRC_BACKEND_H__
#define __KITHARA_SRC_BACKEND_H__

#include "kitharasrc.h"

G_BEGIN_DECLS

/* Interleaved output frames; the first @skip frames an engine appends are
 * dropped (the converter's delay, or primed history). */
typedef struct
{
  float *data;
  gsize len, alloc;             /* frames */
  guint channels;
  guint64 skip;
} KitharaSrcOut;

float *kithara_src_out_reserve (KitharaSrcOut * out, gsize frames);
void kithara_src_out_commit (KitharaSrcOut * out, gsize frames);

typedef struct
{
  const gchar *name;
  /* The ratio at which to measure the delay of a converter for @ratio:
   * ratio 1 where the delay in input frames is the same at every ratio
   * (an impulse there lands on the output grid). */
  double (*delay_probe_ratio) (KitharaSrcQuality quality, double ratio);

  gpointer (*create) (KitharaSrcQuality quality, guint channels,
      double ratio, gchar ** error);
  void (*destroy) (gpointer conv);
  /* Back to the state of a new converter at its creation ratio. */
  void (*reset) (gpointer conv);
  /* Converts all @frames of @in, the ratio moving linearly from @from (the
   * ratio the last call ended at) to @to over them; appends to @out
   * (kithara_src_out_reserve(), then kithara_src_out_commit()). */
  gboolean (*run) (gpointer conv, const float *in, gsize frames,
      double from, double to, KitharaSrcOut * out);
} KitharaSrcBackend;

extern const KitharaSrcBackend kithara_src_libsamplerate;
extern const KitharaSrcBackend kithara_src_gstaudio;

const KitharaSrcBackend *kithara_src_backend (KitharaSrcEngine engine);

void kithara_src_lookup_timing (KitharaSrcEngine engine,
    KitharaSrcQuality quality, double ratio, double *delay, guint * latency);

G_END_DECLS

#endif /* __KITHARA_SRC_BACKEND_H__ */
