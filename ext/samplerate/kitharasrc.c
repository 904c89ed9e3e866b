/* Kithara: a resampling converter with exact timing, on either engine
 * (see kitharasrc-backend.h).
 *
 * Converters differ in their delay: libsamplerate's sinc converters are
 * centred (an impulse at input frame n comes out at output position
 * n * ratio exactly, once enough input has arrived to fill the filter),
 * its zero-order-hold and linear are one input frame late, and
 * GstAudioResampler's interpolated filter tables put its sinc filters a
 * fraction of a frame late.  The delay is measured by feeding an impulse
 * through a mono converter of the same type and taking the centroid of the
 * response (kitharasrc-measure.c); the first round (delay * ratio) output
 * frames after a reset are then discarded (rounded up for
 * zero-order-hold, see start()), so that input time t comes out at output
 * time t within one output frame.
 *
 * The latency (input frames a converter needs before it gives the output
 * frame of time 0) is measured the same way, feeding silence a frame at a
 * time, at the ratio the converter is created for.  Both are measured once
 * per (engine, quality, ratio) and cached.
 *
 * The output length is exact: the input so far should give
 * sum (frames * mean ratio) output frames, and draining feeds silence until
 * the converter has produced that many (rounded), then truncates.
 *
 * Ratio changes glide: each call moves the ratio linearly from where the
 * previous call ended to the new one over the call's input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <samplerate.h>

#include "kitharasrc-backend.h"

#define DRAIN_CHUNK 1024

struct _KitharaSrc
{
  const KitharaSrcBackend *backend;
  gpointer conv;
  KitharaSrcQuality quality;
  guint channels;
  double delay;                 /* input frames */
  guint latency;                /* input frames */

  gboolean fresh;               /* no input since the last reset */
  double last_ratio;
  double expected;              /* output frames the input should give */
  guint64 produced;             /* output frames handed out */

  KitharaSrcOut out;            /* skip: output frames still to discard */
  float *zeros;                 /* DRAIN_CHUNK frames of silence */
};

gboolean
kithara_src_ratio_is_valid (double ratio)
{
  return ratio >= KITHARA_SRC_MIN_RATIO && ratio <= KITHARA_SRC_MAX_RATIO
      && src_is_valid_ratio (ratio);
}

const KitharaSrcBackend *
kithara_src_backend (KitharaSrcEngine engine)
{
  return engine == KITHARA_SRC_ENGINE_GSTREAMER ? &kithara_src_gstaudio :
      &kithara_src_libsamplerate;
}

/* Room for @frames more frames at the end of @out. */
float *
kithara_src_out_reserve (KitharaSrcOut * out, gsize frames)
{
  if (out->len + frames > out->alloc) {
    out->alloc = MAX (out->len + frames, out->alloc * 2);
    out->data = g_renew (float, out->data, out->alloc * out->channels);
  }
  return out->data + out->len * out->channels;
}

/* Keeps the @frames an engine wrote at the end of @out, minus those still
 * to skip. */
void
kithara_src_out_commit (KitharaSrcOut * out, gsize frames)
{
  float *data = out->data + out->len * out->channels;
  gsize drop = MIN (out->skip, (guint64) frames);

  if (drop > 0)
    memmove (data, data + drop * out->channels,
        (frames - drop) * out->channels * sizeof (float));
  out->skip -= drop;
  out->len += frames - drop;
}

/**
 * kithara_src_new:
 * @ratio: output rate / input rate, for the latency figure
 * @error: (out) (optional): set to a message on failure
 */
KitharaSrc *
kithara_src_new (KitharaSrcEngine engine, KitharaSrcQuality quality,
    guint channels, double ratio, gchar ** error)
{
  const KitharaSrcBackend *backend = kithara_src_backend (engine);
  gpointer conv = backend->create (quality, channels, ratio, error);
  KitharaSrc *src;

  if (conv == NULL)
    return NULL;
  src = g_new0 (KitharaSrc, 1);
  src->backend = backend;
  src->conv = conv;
  src->quality = quality;
  src->channels = channels;
  src->out.channels = channels;
  kithara_src_lookup_timing (engine, quality, ratio, &src->delay,
      &src->latency);
  src->zeros = g_new0 (float, (gsize) DRAIN_CHUNK * channels);
  kithara_src_reset (src);
  return src;
}

void
kithara_src_free (KitharaSrc * src)
{
  if (src == NULL)
    return;
  src->backend->destroy (src->conv);
  g_free (src->out.data);
  g_free (src->zeros);
  g_free (src);
}

void
kithara_src_reset (KitharaSrc * src)
{
  src->backend->reset (src->conv);
  src->fresh = TRUE;
  src->last_ratio = 0.0;
  src->out.skip = 0;
  src->expected = 0.0;
  src->produced = 0;
  src->out.len = 0;
}

/**
 * kithara_src_get_mean_ratio:
 *
 * Returns: the mean ratio the next kithara_src_process() at @ratio runs
 * at: it glides from where the last call ended (or the ratio a fresh
 * converter begins at) to @ratio, linearly.
 */
double
kithara_src_get_mean_ratio (KitharaSrc * src, double ratio)
{
  return src->fresh ? ratio : (src->last_ratio + ratio) / 2.0;
}

/* The converter's delay in input frames, compensated by the wrapper. */
double
kithara_src_get_delay (KitharaSrc * src)
{
  return src->delay;
}

/* Input frames needed before the first output frame (at the ratio of
 * kithara_src_new()). */
guint
kithara_src_get_latency (KitharaSrc * src)
{
  return src->latency;
}

static void
start (KitharaSrc * src, double ratio)
{
  if (!src->fresh)
    return;
  src->fresh = FALSE;
  src->last_ratio = ratio;
  /* A hold shows input frame n from the first output frame at or after
   * n: rounding up keeps that start at most one frame early, never
   * late.  Interpolated output is centred: round to nearest. */
  if (src->quality == KITHARA_SRC_ZERO_ORDER_HOLD)
    src->out.skip = (guint64) ceil (src->delay * ratio - 1e-9);
  else
    src->out.skip = (guint64) llround (src->delay * ratio);
}

/* Runs all of @in through the converter, gliding to @ratio, appending the
 * output to src->out minus the frames still to skip. */
static gboolean
run (KitharaSrc * src, const float *in, gsize frames, double ratio)
{
  if (!src->backend->run (src->conv, in, frames, src->last_ratio, ratio,
          &src->out))
    return FALSE;
  src->last_ratio = ratio;
  return TRUE;
}

/**
 * kithara_src_begin:
 *
 * Sets the ratio a fresh converter starts from (a later call then glides
 * from it); no effect once the converter has had input.
 */
void
kithara_src_begin (KitharaSrc * src, double ratio)
{
  start (src, ratio);
}

/**
 * kithara_src_prime:
 *
 * Feeds @frames frames of history to a fresh (reset) converter at ratio 1
 * and throws their output away, so that the next input continues them
 * without a start-up transient.  Exact because at ratio 1 the output grid
 * is the input grid.
 */
void
kithara_src_prime (KitharaSrc * src, const float *in, gsize frames)
{
  g_return_if_fail (src->fresh);
  start (src, 1.0);
  src->out.skip += frames;
  src->out.len = 0;
  run (src, in, frames, 1.0);
  src->out.len = 0;
}

/**
 * kithara_src_process:
 * @ratio: output rate / input rate; a change glides over this call
 * @out_frames: (out): number of frames returned
 *
 * Returns: (transfer none): the interleaved output frames, valid until the
 * next call, or %NULL on a converter error.
 */
const float *
kithara_src_process (KitharaSrc * src, const float *in, gsize frames,
    double ratio, gsize * out_frames)
{
  start (src, ratio);
  src->expected += frames * (src->last_ratio + ratio) / 2.0;
  src->out.len = 0;
  *out_frames = 0;
  if (!run (src, in, frames, ratio))
    return NULL;
  src->produced += src->out.len;
  *out_frames = src->out.len;
  return src->out.data;
}

/**
 * kithara_src_drain:
 *
 * Produces the output frames still owed for the input so far (feeding
 * silence to push out the filter's tail) and resets the converter.
 *
 * Returns: (transfer none): interleaved frames, valid until the next call
 */
const float *
kithara_src_drain (KitharaSrc * src, gsize * out_frames)
{
  gint64 owed = llround (src->expected) - (gint64) src->produced;
  double ratio = src->last_ratio;
  guint64 fed = 0, limit;

  src->out.len = 0;
  *out_frames = 0;
  if (src->fresh || owed <= 0) {
    kithara_src_reset (src);
    return src->out.data;
  }
  limit = src->latency + (guint64) ceil (owed / ratio) + 2 * DRAIN_CHUNK;
  while (src->out.len < (gsize) owed && fed < limit) {
    if (!run (src, src->zeros, DRAIN_CHUNK, ratio))
      break;
    fed += DRAIN_CHUNK;
  }
  *out_frames = MIN (src->out.len, (gsize) owed);
  kithara_src_reset (src);
  return src->out.data;
}
