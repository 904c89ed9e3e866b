/* Kithara: a libsamplerate converter with exact timing.
 *
 * libsamplerate's converters differ in their delay: the sinc converters
 * are centred (an impulse at input frame n comes out at output position
 * n * ratio exactly, once enough input has arrived to fill the filter),
 * while zero-order-hold and linear are one input frame late.  The delay is
 * measured once per converter by feeding an impulse through a mono
 * converter of the same type at ratio 1 and taking the centroid of the
 * response; the first round (delay * ratio) output frames after a reset
 * are then discarded (rounded up for zero-order-hold, see start()), so
 * that input time t comes out at output time t within one output frame.
 *
 * The latency (input frames a converter needs before it gives the output
 * frame of time 0) is measured the same way, feeding silence a frame at a
 * time, at the ratio the converter is created for.
 *
 * The output length is exact: the input so far should give
 * sum (frames * mean ratio) output frames, and draining feeds silence until
 * the converter has produced that many (rounded), then truncates.
 *
 * Ratio changes glide: src_process() interpolates linearly from the ratio
 * of the previous call to the new one over the output frames of the call.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <samplerate.h>

#include "kitharasrc.h"

#define PROBE_FRAMES 4096
#define DRAIN_CHUNK 1024
#define MAX_LATENCY_PROBE (1 << 20)

struct _KitharaSrc
{
  SRC_STATE *state;
  KitharaSrcQuality quality;
  guint channels;
  double delay;                 /* input frames */
  guint latency;                /* input frames */

  gboolean fresh;               /* no input since the last reset */
  double last_ratio;
  guint64 skip;                 /* output frames still to discard */
  double expected;              /* output frames the input should give */
  guint64 produced;             /* output frames handed out */

  float *out;
  gsize out_len, out_alloc;     /* frames */
  float *zeros;                 /* DRAIN_CHUNK frames of silence */
};

gboolean
kithara_src_ratio_is_valid (double ratio)
{
  return ratio >= KITHARA_SRC_MIN_RATIO && ratio <= KITHARA_SRC_MAX_RATIO
      && src_is_valid_ratio (ratio);
}

/* Centroid of the response to an impulse, in input frames late. */
static double
measure_delay (KitharaSrcQuality quality)
{
  float *in = g_new0 (float, PROBE_FRAMES), *out;
  SRC_STATE *state;
  SRC_DATA d = { 0, };
  double sum = 0.0, moment = 0.0;
  int err, k;

  state = src_new (quality, 1, &err);
  if (state == NULL) {
    g_free (in);
    return 0.0;
  }
  out = g_new0 (float, PROBE_FRAMES + 64);
  in[PROBE_FRAMES / 2] = 1.0f;
  d.data_in = in;
  d.data_out = out;
  d.input_frames = PROBE_FRAMES;
  d.output_frames = PROBE_FRAMES + 64;
  d.end_of_input = 1;
  d.src_ratio = 1.0;
  src_process (state, &d);
  for (k = 0; k < d.output_frames_gen; k++) {
    sum += out[k];
    moment += (double) k *out[k];
  }
  src_delete (state);
  g_free (in);
  g_free (out);
  if (fabs (sum) < 1e-6)
    return 0.0;
  /* Round away the filters' numerical noise (centroids land within 1e-4
   * of whole frames). */
  return round ((moment / sum - PROBE_FRAMES / 2) * 1000.0) / 1000.0;
}

static guint
measure_latency (KitharaSrcQuality quality, double ratio, double delay)
{
  guint64 wanted = (guint64) llround (delay * ratio) + 1, got = 0;
  float zero = 0.0f, out[64];
  SRC_STATE *state;
  guint n = 0;
  int err;

  state = src_new (quality, 1, &err);
  if (state == NULL)
    return 0;
  while (got < wanted && n < MAX_LATENCY_PROBE) {
    SRC_DATA d = { 0, };

    d.data_in = &zero;
    d.data_out = out;
    d.input_frames = 1;
    d.output_frames = G_N_ELEMENTS (out);
    d.src_ratio = ratio;
    if (src_process (state, &d) != 0)
      break;
    got += d.output_frames_gen;
    n++;
  }
  src_delete (state);
  return n;
}

/**
 * kithara_src_new:
 * @ratio: output rate / input rate, for the latency figure
 * @error: (out) (optional): set to a message on failure
 */
KitharaSrc *
kithara_src_new (KitharaSrcQuality quality, guint channels, double ratio,
    gchar ** error)
{
  KitharaSrc *src;
  int err = 0;
  SRC_STATE *state = src_new (quality, channels, &err);

  if (state == NULL) {
    if (error)
      *error = g_strdup (src_strerror (err));
    return NULL;
  }
  src = g_new0 (KitharaSrc, 1);
  src->state = state;
  src->quality = quality;
  src->channels = channels;
  src->delay = measure_delay (quality);
  src->latency = measure_latency (quality, ratio, src->delay);
  src->zeros = g_new0 (float, (gsize) DRAIN_CHUNK * channels);
  kithara_src_reset (src);
  return src;
}

void
kithara_src_free (KitharaSrc * src)
{
  if (src == NULL)
    return;
  src_delete (src->state);
  g_free (src->out);
  g_free (src->zeros);
  g_free (src);
}

void
kithara_src_reset (KitharaSrc * src)
{
  src_reset (src->state);
  src->fresh = TRUE;
  src->last_ratio = 0.0;
  src->skip = 0;
  src->expected = 0.0;
  src->produced = 0;
  src->out_len = 0;
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
ensure_out (KitharaSrc * src, gsize frames)
{
  if (src->out_len + frames <= src->out_alloc)
    return;
  src->out_alloc = MAX (src->out_len + frames, src->out_alloc * 2);
  src->out = g_renew (float, src->out, src->out_alloc * src->channels);
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
    src->skip = (guint64) ceil (src->delay * ratio - 1e-9);
  else
    src->skip = (guint64) llround (src->delay * ratio);
}

/* Runs all of @in through the converter at @ratio, appending the output
 * to src->out minus the frames still to skip. */
static gboolean
run (KitharaSrc * src, const float *in, gsize frames, double ratio)
{
  gsize ch = src->channels;
  gboolean glide = ratio != src->last_ratio;

  for (;;) {
    SRC_DATA d = { 0, };
    gsize cap, drop;

    /* libsamplerate glides over the output frames the call may produce:
     * give a gliding call room for just the frames the input should give,
     * so that the glide ends with the input. */
    if (glide)
      cap = MAX (1, (gsize) llround (frames * (ratio + src->last_ratio) / 2));
    else
      cap = (gsize) ceil (frames * ratio) + 16;
    glide = FALSE;

    ensure_out (src, cap);
    d.data_in = in;
    d.data_out = src->out + src->out_len * ch;
    d.input_frames = frames;
    d.output_frames = cap;
    d.src_ratio = ratio;
    if (src_process (src->state, &d) != 0)
      return FALSE;
    in += d.input_frames_used * ch;
    frames -= d.input_frames_used;

    drop = MIN (src->skip, (guint64) d.output_frames_gen);
    if (drop > 0)
      memmove (d.data_out, d.data_out + drop * ch,
          (d.output_frames_gen - drop) * ch * sizeof (float));
    src->skip -= drop;
    src->out_len += d.output_frames_gen - drop;

    if (frames == 0 && (gsize) d.output_frames_gen < cap)
      break;
    if (d.input_frames_used == 0 && d.output_frames_gen == 0)
      break;
  }
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
  src->skip += frames;
  src->out_len = 0;
  run (src, in, frames, 1.0);
  src->out_len = 0;
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
  src->out_len = 0;
  *out_frames = 0;
  if (!run (src, in, frames, ratio))
    return NULL;
  src->produced += src->out_len;
  *out_frames = src->out_len;
  return src->out;
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

  src->out_len = 0;
  *out_frames = 0;
  if (src->fresh || owed <= 0) {
    kithara_src_reset (src);
    return src->out;
  }
  limit = src->latency + (guint64) ceil (owed / ratio) + 2 * DRAIN_CHUNK;
  while (src->out_len < (gsize) owed && fed < limit) {
    if (!run (src, src->zeros, DRAIN_CHUNK, ratio))
      break;
    fed += DRAIN_CHUNK;
  }
  *out_frames = MIN (src->out_len, (gsize) owed);
  kithara_src_reset (src);
  return src->out;
}
