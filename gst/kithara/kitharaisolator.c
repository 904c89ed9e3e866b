/* Kithara: three-band DJ isolator (kill EQ).
 *
 * The signal is split by 4th-order Linkwitz-Riley crossovers (two
 * cascaded Butterworth sections) at the geometric means of neighbouring
 * band centres: low | rest at the lower crossover, then mid | high from
 * the rest at the upper one.  The low band also goes through the 2nd-order
 * all-pass that the upper crossover's LP+HP sum equals, so the three
 * bands are in phase and sum to a flat (all-pass) response.
 *
 * Band gains glide with a ~10 ms one-pole, interpolated per sample; a
 * gain at or below KITHARA_ISOLATOR_KILL_DB targets exactly zero.
 *
 * At unity gains the isolator is an all-pass, not the identity, so a
 * switch between the filtered and the dry signal while audio plays is a
 * phase change.  Leaving the bypass (a gain moves) therefore crossfades
 * from dry to filtered over 20 ms (raised cosine) while the gain glides.
 * Going back is not crossfaded, because the mixture of a signal and its
 * all-passed self has notches: at unity gains the isolator goes on
 * filtering (flat magnitude) until its input and memory are silent, or
 * until a flush, and only then returns to the exact bypass.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "kitharaisolator.h"
#include "kitharabiquad.h"

#define SNAP_GAIN 1e-6
#define SNAP_LOG 1e-6
#define FADE_TIME 0.020
/* Input and memory below this count as silence. */
#define SILENCE 1e-10

typedef struct
{
  KitharaBiquadState lp_lo[2], hp_lo[2], lp_hi[2], hp_hi[2], ap_hi;
} ChannelState;

struct _KitharaIsolator
{
  guint channels;
  double rate;
  gboolean snap;
  double smooth[KITHARA_BIQUAD_BLOCK + 1];
  guint fade_frames;

  double target_lf[KITHARA_ISOLATOR_BANDS], lf[KITHARA_ISOLATOR_BANDS];
  double target_gain[KITHARA_ISOLATOR_BANDS], gain[KITHARA_ISOLATOR_BANDS];
  gboolean dirty;

  KitharaBiquadCoeffs lp_lo, hp_lo, lp_hi, hp_hi, ap_hi;
  double fade;                  /* 0 = dry (bypassed) .. 1 = filtered */
  ChannelState *state;
};

KitharaIsolator *
kithara_isolator_new (guint channels, double rate)
{
  KitharaIsolator *iso = g_new0 (KitharaIsolator, 1);
  static const double centres[KITHARA_ISOLATOR_BANDS] =
      { 100.0, 1000.0, 10000.0 };
  guint i;

  iso->channels = channels;
  iso->rate = rate;
  iso->fade_frames = MAX (1, (guint) (FADE_TIME * rate));
  for (i = 1; i <= KITHARA_BIQUAD_BLOCK; i++)
    iso->smooth[i] = kithara_biquad_smooth_factor (i, rate);
  iso->state = g_new0 (ChannelState, channels);
  for (i = 0; i < KITHARA_ISOLATOR_BANDS; i++)
    kithara_isolator_set_band (iso, i, centres[i], 0.0);
  kithara_isolator_reset (iso);
  return iso;
}

void
kithara_isolator_free (KitharaIsolator * iso)
{
  if (iso == NULL)
    return;
  g_free (iso->state);
  g_free (iso);
}

void
kithara_isolator_set_band (KitharaIsolator * iso, guint band, double freq,
    double gain_db)
{
  g_return_if_fail (band < KITHARA_ISOLATOR_BANDS);

  iso->target_lf[band] = log (kithara_biquad_clamp_freq (freq, iso->rate));
  iso->target_gain[band] = gain_db <= KITHARA_ISOLATOR_KILL_DB ? 0.0 :
      pow (10.0, gain_db / 20.0);
}

static gboolean
wants_filter (const KitharaIsolator * iso)
{
  guint i;

  for (i = 0; i < KITHARA_ISOLATOR_BANDS; i++) {
    if (iso->gain[i] != 1.0 || iso->target_gain[i] != 1.0)
      return TRUE;
  }
  return FALSE;
}

static void
apply_snap (KitharaIsolator * iso)
{
  if (!iso->snap)
    return;
  memcpy (iso->lf, iso->target_lf, sizeof (iso->lf));
  memcpy (iso->gain, iso->target_gain, sizeof (iso->gain));
  iso->fade = wants_filter (iso) ? 1.0 : 0.0;
  iso->dirty = TRUE;
  iso->snap = FALSE;
}

/* Forgets the filter memories; the parameters jump to their targets at
 * the next block. */
void
kithara_isolator_reset (KitharaIsolator * iso)
{
  memset (iso->state, 0, sizeof (ChannelState) * iso->channels);
  iso->snap = TRUE;
}

gboolean
kithara_isolator_is_bypassed (KitharaIsolator * iso)
{
  apply_snap (iso);
  return iso->fade == 0.0 && !wants_filter (iso);
}

static void
design (KitharaIsolator * iso)
{
  double lo = exp ((iso->lf[0] + iso->lf[1]) / 2.0);
  double hi = exp ((iso->lf[1] + iso->lf[2]) / 2.0);
  double q = G_SQRT2 / 2.0;     /* Butterworth */

  kithara_biquad_design (&iso->lp_lo, KITHARA_BIQUAD_LOW_PASS, lo, q, 0.0,
      iso->rate);
  kithara_biquad_design (&iso->hp_lo, KITHARA_BIQUAD_HIGH_PASS, lo, q, 0.0,
      iso->rate);
  kithara_biquad_design (&iso->lp_hi, KITHARA_BIQUAD_LOW_PASS, hi, q, 0.0,
      iso->rate);
  kithara_biquad_design (&iso->hp_hi, KITHARA_BIQUAD_HIGH_PASS, hi, q, 0.0,
      iso->rate);
  kithara_biquad_design (&iso->ap_hi, KITHARA_BIQUAD_ALL_PASS, hi, q, 0.0,
      iso->rate);
}

static inline double
glide (double value, double target, double k, double snap)
{
  value += (target - value) * k;
  return fabs (target - value) < snap ? target : value;
}

static inline double
fade_curve (double position)
{
  return (1.0 - cos (G_PI * position)) / 2.0;
}

static inline double
split (const KitharaIsolator * iso, ChannelState * s, double x,
    const double g[KITHARA_ISOLATOR_BANDS])
{
  double lo, rest, mid, hi;

  lo = kithara_biquad_tick (&iso->lp_lo, &s->lp_lo[0], x);
  lo = kithara_biquad_tick (&iso->lp_lo, &s->lp_lo[1], lo);
  lo = kithara_biquad_tick (&iso->ap_hi, &s->ap_hi, lo);
  rest = kithara_biquad_tick (&iso->hp_lo, &s->hp_lo[0], x);
  rest = kithara_biquad_tick (&iso->hp_lo, &s->hp_lo[1], rest);
  mid = kithara_biquad_tick (&iso->lp_hi, &s->lp_hi[0], rest);
  mid = kithara_biquad_tick (&iso->lp_hi, &s->lp_hi[1], mid);
  hi = kithara_biquad_tick (&iso->hp_hi, &s->hp_hi[0], rest);
  hi = kithara_biquad_tick (&iso->hp_hi, &s->hp_hi[1], hi);
  return g[0] * lo + g[1] * mid + g[2] * hi;
}

/* Per-block parameters: gains and crossfade at the block's start and
 * end, interpolated per sample in between. */
typedef struct
{
  double g0[KITHARA_ISOLATOR_BANDS], dg[KITHARA_ISOLATOR_BANDS];
  double mix0, dmix;
} Ramp;

/* Advances the smoothing by @n frames.  Returns FALSE when the block is
 * bypassed. */
static gboolean
prepare_block (KitharaIsolator * iso, guint n, Ramp * r)
{
  double k = iso->smooth[n], position = iso->fade;
  guint i;

  if (iso->fade == 0.0 && !wants_filter (iso))
    return FALSE;

  for (i = 0; i < KITHARA_ISOLATOR_BANDS; i++) {
    if (iso->lf[i] != iso->target_lf[i]) {
      iso->lf[i] = glide (iso->lf[i], iso->target_lf[i], k, SNAP_LOG);
      iso->dirty = TRUE;
    }
    r->g0[i] = iso->gain[i];
    iso->gain[i] = glide (iso->gain[i], iso->target_gain[i], k, SNAP_GAIN);
    r->dg[i] = (iso->gain[i] - r->g0[i]) / n;
  }
  if (iso->dirty) {
    design (iso);
    iso->dirty = FALSE;
  }

  /* iso->fade is the position on the dry-to-filtered crossfade, mixed by
   * fade_curve(); it only moves forward. */
  iso->fade = MIN (1.0, position + (double) n / iso->fade_frames);
  r->mix0 = fade_curve (position);
  r->dmix = (fade_curve (iso->fade) - r->mix0) / n;
  return TRUE;
}

/* After a block whose largest input was @peak: at unity gains, once
 * input and memory are silent, the bypass can be taken again without any
 * discontinuity. */
static void
finish_block (KitharaIsolator * iso, double peak)
{
  guint n = iso->channels * sizeof (ChannelState) /
      sizeof (KitharaBiquadState), i;
  KitharaBiquadState *s = (KitharaBiquadState *) iso->state;
  gboolean silent = !wants_filter (iso) && peak < SILENCE;

  for (i = 0; i < n; i++) {
    kithara_biquad_state_check (&s[i]);
    kithara_biquad_state_flush_denormals (&s[i]);
    silent = silent && fabs (s[i].s1) < SILENCE && fabs (s[i].s2) < SILENCE;
  }
  if (silent) {
    memset (iso->state, 0, sizeof (ChannelState) * iso->channels);
    iso->fade = 0.0;
  }
}

#define DEFINE_PROCESS(name, ctype)                                     \
void                                                                    \
name (KitharaIsolator * iso, ctype * data, guint frames)                \
{                                                                       \
  guint channels = iso->channels, off, n, ch, i, b;                     \
  Ramp r;                                                               \
                                                                        \
  apply_snap (iso);                                                     \
  for (off = 0; off < frames; off += n) {                               \
    ctype *p = data + (gsize) off * channels;                           \
    double peak = 0.0;                                                  \
                                                                        \
    n = MIN (frames - off, KITHARA_BIQUAD_BLOCK);                       \
    if (!prepare_block (iso, n, &r))                                    \
      continue;                                                         \
    for (i = 0; i < n; i++) {                                           \
      double g[KITHARA_ISOLATOR_BANDS], t = i + 1;                      \
      double mix = i + 1 == n ? fade_curve (iso->fade) :                \
          r.mix0 + r.dmix * t;                                          \
                                                                        \
      for (b = 0; b < KITHARA_ISOLATOR_BANDS; b++)                      \
        g[b] = i + 1 == n ? iso->gain[b] : r.g0[b] + r.dg[b] * t;       \
      for (ch = 0; ch < channels; ch++) {                               \
        double x = kithara_biquad_sanitize (p[i * channels + ch]);      \
        double wet = split (iso, &iso->state[ch], x, g);                \
                                                                        \
        peak = MAX (peak, fabs (x));                                    \
        p[i * channels + ch] = (ctype) ((1.0 - mix) * x + mix * wet);    \
      }                                                                 \
    }                                                                   \
    finish_block (iso, peak);                                           \
  }                                                                     \
}

DEFINE_PROCESS (kithara_isolator_process_f32, float);
DEFINE_PROCESS (kithara_isolator_process_f64, double);
