/* Kithara: RBJ cookbook biquads and a smoothed cascade of them.
 *
 * Coefficients follow R. Bristow-Johnson's "Cookbook formulae for audio
 * EQ biquad filter coefficients".  The cascade runs in double precision
 * on blocks of KITHARA_BIQUAD_BLOCK frames; between blocks the smoothed
 * parameters (log frequency, log Q, gain in dB) take one more one-pole
 * step towards their targets and the coefficients are recomputed, so a
 * gain step becomes a ~10 ms glide instead of a click.
 *
 * The recursion of one band on one channel is a serial chain of
 * multiply-adds, so the loops run independent chains side by side: two
 * channels at once, and two cascaded bands at once with the second one
 * sample behind the first.  The arithmetic is the same as one band after
 * the other, only its order in time differs.
 *
 * A band at 0 dB whose smoothing has settled has exactly the identity
 * coefficients (b = a); once its memory has rung out it is skipped, and
 * when every band is in that state the cascade leaves the data alone.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "kitharabiquad.h"

/* Distance to the target below which smoothing snaps onto it. */
#define SNAP_LOG 1e-6           /* log frequency, log Q */
#define SNAP_DB 1e-4
/* A band at identity whose memory is below this has rung out. */
#define RING_OUT 1e-10

#define MIN_Q 1e-3

typedef struct
{
  KitharaBiquadType type;
  double target_lf, target_lq, target_gain;
  double lf, lq, gain;          /* smoothed */
  KitharaBiquadCoeffs c;
  gboolean dirty;               /* coefficients out of date */
  gboolean live;                /* memory not yet rung out */
  gboolean run;                 /* processed in the current block */
} Band;

struct _KitharaBiquadBank
{
  guint max_bands, n_bands, channels;
  double rate;
  gboolean snap;                /* jump to the targets at the next block */
  double smooth[KITHARA_BIQUAD_BLOCK + 1];
  Band *bands;
  KitharaBiquadState *state;    /* [band][channel] */
  double *scratch;              /* [channel][frame] */
  guint *running;               /* indices of the bands run in a block */
};

gboolean
kithara_biquad_type_has_gain (KitharaBiquadType type)
{
  return type == KITHARA_BIQUAD_LOW_SHELF || type == KITHARA_BIQUAD_PEAKING ||
      type == KITHARA_BIQUAD_HIGH_SHELF;
}

double
kithara_biquad_clamp_freq (double freq, double rate)
{
  return CLAMP (freq, KITHARA_BIQUAD_MIN_FREQ,
      rate * KITHARA_BIQUAD_MAX_FREQ_RATIO);
}

void
kithara_biquad_design (KitharaBiquadCoeffs * c, KitharaBiquadType type,
    double freq, double q, double gain_db, double rate)
{
  double w0 = 2.0 * G_PI * kithara_biquad_clamp_freq (freq, rate) / rate;
  double cw = cos (w0), alpha = sin (w0) / (2.0 * MAX (q, MIN_Q));
  double A = pow (10.0, gain_db / 40.0), sa = 2.0 * sqrt (A) * alpha;
  double b0, b1, b2, a0, a1, a2;

  switch (type) {
    case KITHARA_BIQUAD_LOW_SHELF:
      b0 = A * ((A + 1.0) - (A - 1.0) * cw + sa);
      b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
      b2 = A * ((A + 1.0) - (A - 1.0) * cw - sa);
      a0 = (A + 1.0) + (A - 1.0) * cw + sa;
      a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
      a2 = (A + 1.0) + (A - 1.0) * cw - sa;
      break;
    case KITHARA_BIQUAD_HIGH_SHELF:
      b0 = A * ((A + 1.0) + (A - 1.0) * cw + sa);
      b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
      b2 = A * ((A + 1.0) + (A - 1.0) * cw - sa);
      a0 = (A + 1.0) - (A - 1.0) * cw + sa;
      a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
      a2 = (A + 1.0) - (A - 1.0) * cw - sa;
      break;
    case KITHARA_BIQUAD_LOW_PASS:
      b1 = 1.0 - cw;
      b0 = b2 = b1 / 2.0;
      a0 = 1.0 + alpha;
      a1 = -2.0 * cw;
      a2 = 1.0 - alpha;
      break;
    case KITHARA_BIQUAD_HIGH_PASS:
      b1 = -(1.0 + cw);
      b0 = b2 = (1.0 + cw) / 2.0;
      a0 = 1.0 + alpha;
      a1 = -2.0 * cw;
      a2 = 1.0 - alpha;
      break;
    case KITHARA_BIQUAD_ALL_PASS:
      b0 = 1.0 - alpha;
      b1 = -2.0 * cw;
      b2 = 1.0 + alpha;
      a0 = 1.0 + alpha;
      a1 = -2.0 * cw;
      a2 = 1.0 - alpha;
      break;
    case KITHARA_BIQUAD_PEAKING:
    default:
      b0 = 1.0 + alpha * A;
      b1 = -2.0 * cw;
      b2 = 1.0 - alpha * A;
      a0 = 1.0 + alpha / A;
      a1 = -2.0 * cw;
      a2 = 1.0 - alpha / A;
      break;
  }

  /* At 0 dB the shelf and peaking numerators equal their denominators
   * term by term, so these divisions give the identity exactly. */
  c->b0 = b0 / a0;
  c->b1 = b1 / a0;
  c->b2 = b2 / a0;
  c->a1 = a1 / a0;
  c->a2 = a2 / a0;
}

/* One-pole smoothing factor for a step of @frames frames. */
double
kithara_biquad_smooth_factor (guint frames, double rate)
{
  return 1.0 - exp (-(double) frames / (KITHARA_BIQUAD_SMOOTH_TIME * rate));
}

KitharaBiquadBank *
kithara_biquad_bank_new (guint max_bands, guint channels, double rate)
{
  KitharaBiquadBank *bank = g_new0 (KitharaBiquadBank, 1);
  KitharaBiquadParams flat = { KITHARA_BIQUAD_PEAKING, 1000.0, G_SQRT2 / 2,
    0.0
  };
  guint i;

  bank->max_bands = max_bands;
  bank->n_bands = max_bands;
  bank->channels = channels;
  bank->rate = rate;
  for (i = 1; i <= KITHARA_BIQUAD_BLOCK; i++)
    bank->smooth[i] = kithara_biquad_smooth_factor (i, rate);
  bank->bands = g_new0 (Band, max_bands);
  bank->state = g_new0 (KitharaBiquadState, (gsize) max_bands * channels);
  bank->scratch = g_new0 (double, (gsize) channels * KITHARA_BIQUAD_BLOCK);
  bank->running = g_new0 (guint, max_bands);
  for (i = 0; i < max_bands; i++)
    kithara_biquad_bank_set_band (bank, i, &flat);
  kithara_biquad_bank_reset (bank);
  return bank;
}

void
kithara_biquad_bank_free (KitharaBiquadBank * bank)
{
  if (bank == NULL)
    return;
  g_free (bank->bands);
  g_free (bank->state);
  g_free (bank->scratch);
  g_free (bank->running);
  g_free (bank);
}

void
kithara_biquad_bank_set_num_bands (KitharaBiquadBank * bank, guint n_bands)
{
  bank->n_bands = MIN (n_bands, bank->max_bands);
}

/* Sets the targets the band glides to. */
void
kithara_biquad_bank_set_band (KitharaBiquadBank * bank, guint index,
    const KitharaBiquadParams * params)
{
  Band *band;
  double freq;

  g_return_if_fail (index < bank->max_bands);
  band = &bank->bands[index];
  freq = kithara_biquad_clamp_freq (params->freq, bank->rate);

  if (band->type != params->type)
    band->dirty = TRUE;
  band->type = params->type;
  band->target_lf = log (freq);
  band->target_lq = log (MAX (params->q, MIN_Q));
  band->target_gain = kithara_biquad_type_has_gain (params->type) ?
      params->gain_db : 0.0;
}

/* Forgets the filter memories; the parameters jump to their targets at
 * the next block instead of gliding (a new stream has nothing to glide
 * from). */
void
kithara_biquad_bank_reset (KitharaBiquadBank * bank)
{
  guint i;

  memset (bank->state, 0,
      sizeof (KitharaBiquadState) * bank->max_bands * bank->channels);
  for (i = 0; i < bank->max_bands; i++)
    bank->bands[i].live = FALSE;
  bank->snap = TRUE;
}

static inline gboolean
band_settled (const Band * band)
{
  return band->lf == band->target_lf && band->lq == band->target_lq &&
      band->gain == band->target_gain;
}

static inline gboolean
band_is_identity (const Band * band)
{
  return kithara_biquad_type_has_gain (band->type) && band->gain == 0.0 &&
      band_settled (band);
}

static inline double
glide (double value, double target, double k, double snap)
{
  value += (target - value) * k;
  return fabs (target - value) < snap ? target : value;
}

static void
apply_snap (KitharaBiquadBank * bank)
{
  guint i;

  if (!bank->snap)
    return;
  for (i = 0; i < bank->max_bands; i++) {
    Band *band = &bank->bands[i];

    band->lf = band->target_lf;
    band->lq = band->target_lq;
    band->gain = band->target_gain;
    band->dirty = TRUE;
  }
  bank->snap = FALSE;
}

/**
 * kithara_biquad_bank_is_bypassed:
 *
 * Returns: whether processing would leave the data unchanged: every band
 * is at 0 dB, settled and rung out.
 */
gboolean
kithara_biquad_bank_is_bypassed (KitharaBiquadBank * bank)
{
  guint i;

  apply_snap (bank);
  for (i = 0; i < bank->n_bands; i++) {
    if (bank->bands[i].live || !band_is_identity (&bank->bands[i]))
      return FALSE;
  }
  return TRUE;
}

/* Advances the smoothing by @n frames and decides which bands run.
 * Returns whether any does. */
static gboolean
prepare_block (KitharaBiquadBank * bank, guint n)
{
  double k = bank->smooth[n];
  gboolean any = FALSE;
  guint i;

  for (i = 0; i < bank->n_bands; i++) {
    Band *band = &bank->bands[i];
    gboolean identity;

    if (!band_settled (band)) {
      band->lf = glide (band->lf, band->target_lf, k, SNAP_LOG);
      band->lq = glide (band->lq, band->target_lq, k, SNAP_LOG);
      band->gain = glide (band->gain, band->target_gain, k, SNAP_DB);
      band->dirty = TRUE;
    }
    if (band->dirty) {
      kithara_biquad_design (&band->c, band->type, exp (band->lf),
          exp (band->lq), band->gain, bank->rate);
      band->dirty = FALSE;
    }
    identity = band_is_identity (band);
    band->run = band->live || !identity;
    if (!identity)
      band->live = TRUE;
    any |= band->run;
  }
  return any;
}

#define TDF2(c, s1, s2, in, y)                  \
  G_STMT_START {                                \
    y = (c)->b0 * (in) + s1;                    \
    s1 = (c)->b1 * (in) - (c)->a1 * y + s2;     \
    s2 = (c)->b2 * (in) - (c)->a2 * y;          \
  } G_STMT_END

/* Runs two cascaded bands over @n frames of two channels, the second
 * band one sample behind the first: four independent chains per
 * iteration instead of one serial chain through every band. */
static void
run_quad (const KitharaBiquadCoeffs * c, const KitharaBiquadCoeffs * d,
    KitharaBiquadState * sc, KitharaBiquadState * sd, double *xa,
    double *xb, guint n)
{
  double ca1 = sc[0].s1, ca2 = sc[0].s2, cb1 = sc[1].s1, cb2 = sc[1].s2;
  double da1 = sd[0].s1, da2 = sd[0].s2, db1 = sd[1].s1, db2 = sd[1].s2;
  double ta, tb, ya, yb, za, zb;
  guint i;

  TDF2 (c, ca1, ca2, xa[0], ta);
  TDF2 (c, cb1, cb2, xb[0], tb);
  for (i = 1; i < n; i++) {
    TDF2 (c, ca1, ca2, xa[i], ya);
    TDF2 (c, cb1, cb2, xb[i], yb);
    TDF2 (d, da1, da2, ta, za);
    TDF2 (d, db1, db2, tb, zb);
    xa[i - 1] = za;
    xb[i - 1] = zb;
    ta = ya;
    tb = yb;
  }
  TDF2 (d, da1, da2, ta, za);
  TDF2 (d, db1, db2, tb, zb);
  xa[n - 1] = za;
  xb[n - 1] = zb;

  sc[0].s1 = ca1;
  sc[0].s2 = ca2;
  sc[1].s1 = cb1;
  sc[1].s2 = cb2;
  sd[0].s1 = da1;
  sd[0].s2 = da2;
  sd[1].s1 = db1;
  sd[1].s2 = db2;
}

/* One band over two channels: two independent chains. */
static void
run_pair (const KitharaBiquadCoeffs * c, KitharaBiquadState * st,
    double *xa, double *xb, guint n)
{
  double a1 = st[0].s1, a2 = st[0].s2, b1 = st[1].s1, b2 = st[1].s2;
  double ya, yb;
  guint i;

  for (i = 0; i < n; i++) {
    TDF2 (c, a1, a2, xa[i], ya);
    TDF2 (c, b1, b2, xb[i], yb);
    xa[i] = ya;
    xb[i] = yb;
  }
  st[0].s1 = a1;
  st[0].s2 = a2;
  st[1].s1 = b1;
  st[1].s2 = b2;
}

/* Two cascaded bands over one channel, the second one sample behind. */
static void
run_skew (const KitharaBiquadCoeffs * c, const KitharaBiquadCoeffs * d,
    KitharaBiquadState * sc, KitharaBiquadState * sd, double *x, guint n)
{
  double c1 = sc->s1, c2 = sc->s2, d1 = sd->s1, d2 = sd->s2, t, y, z;
  guint i;

  TDF2 (c, c1, c2, x[0], t);
  for (i = 1; i < n; i++) {
    TDF2 (c, c1, c2, x[i], y);
    TDF2 (d, d1, d2, t, z);
    x[i - 1] = z;
    t = y;
  }
  TDF2 (d, d1, d2, t, z);
  x[n - 1] = z;

  sc->s1 = c1;
  sc->s2 = c2;
  sd->s1 = d1;
  sd->s2 = d2;
}

/* One band over one channel. */
static void
run_one (const KitharaBiquadCoeffs * c, KitharaBiquadState * st, double *x,
    guint n)
{
  double s1 = st->s1, s2 = st->s2, y;
  guint i;

  for (i = 0; i < n; i++) {
    TDF2 (c, s1, s2, x[i], y);
    x[i] = y;
  }
  st->s1 = s1;
  st->s2 = s2;
}

/* Channel @ch (and @ch + 1 if @pair) through the running bands. */
static void
run_channels (KitharaBiquadBank * bank, const guint * run, guint n_run,
    guint ch, gboolean pair, guint n)
{
  guint channels = bank->channels, k;
  double *xa = bank->scratch + ch * KITHARA_BIQUAD_BLOCK;
  double *xb = xa + KITHARA_BIQUAD_BLOCK;

  if (!pair) {
    for (k = 0; k + 1 < n_run; k += 2)
      run_skew (&bank->bands[run[k]].c, &bank->bands[run[k + 1]].c,
          &bank->state[run[k] * channels + ch],
          &bank->state[run[k + 1] * channels + ch], xa, n);
    if (k < n_run)
      run_one (&bank->bands[run[k]].c, &bank->state[run[k] * channels + ch],
          xa, n);
    return;
  }
  for (k = 0; k + 1 < n_run; k += 2)
    run_quad (&bank->bands[run[k]].c, &bank->bands[run[k + 1]].c,
        &bank->state[run[k] * channels + ch],
        &bank->state[run[k + 1] * channels + ch], xa, xb, n);
  if (k < n_run)
    run_pair (&bank->bands[run[k]].c, &bank->state[run[k] * channels + ch],
        xa, xb, n);
}

static void
run_block (KitharaBiquadBank * bank, guint n)
{
  guint channels = bank->channels, *run = bank->running;
  guint n_run = 0, b, ch, k;

  for (b = 0; b < bank->n_bands; b++)
    if (bank->bands[b].run)
      run[n_run++] = b;

  for (ch = 0; ch + 1 < channels; ch += 2)
    run_channels (bank, run, n_run, ch, TRUE, n);
  if (ch < channels)
    run_channels (bank, run, n_run, ch, FALSE, n);

  for (k = 0; k < n_run; k++) {
    Band *band = &bank->bands[run[k]];
    KitharaBiquadState *st = &bank->state[run[k] * channels];
    double peak = 0.0;

    for (ch = 0; ch < channels; ch++) {
      kithara_biquad_state_check (&st[ch]);
      kithara_biquad_state_flush_denormals (&st[ch]);
      peak = MAX (peak, MAX (fabs (st[ch].s1), fabs (st[ch].s2)));
    }

    /* With identity coefficients the memory only decays; once it is
     * negligible the band can be skipped without a discontinuity. */
    if (peak < RING_OUT && band_is_identity (band)) {
      memset (st, 0, sizeof (KitharaBiquadState) * channels);
      band->live = FALSE;
    }
  }
}

#define DEFINE_PROCESS(name, ctype)                                     \
void                                                                    \
name (KitharaBiquadBank * bank, ctype * data, guint frames)             \
{                                                                       \
  guint channels = bank->channels, off, n, ch, i;                       \
                                                                        \
  apply_snap (bank);                                                    \
  for (off = 0; off < frames; off += n) {                               \
    ctype *p = data + (gsize) off * channels;                           \
                                                                        \
    n = MIN (frames - off, KITHARA_BIQUAD_BLOCK);                       \
    if (!prepare_block (bank, n))                                       \
      continue;                                                         \
    for (ch = 0; ch < channels; ch++) {                                 \
      double *x = bank->scratch + ch * KITHARA_BIQUAD_BLOCK;            \
      for (i = 0; i < n; i++)                                           \
        x[i] = kithara_biquad_sanitize (p[i * channels + ch]);          \
    }                                                                   \
    run_block (bank, n);                                                \
    for (ch = 0; ch < channels; ch++) {                                 \
      const double *x = bank->scratch + ch * KITHARA_BIQUAD_BLOCK;      \
      for (i = 0; i < n; i++)                                           \
        p[i * channels + ch] = (ctype) x[i];                            \
    }                                                                   \
  }                                                                     \
}

DEFINE_PROCESS (kithara_biquad_bank_process_f32, float);
DEFINE_PROCESS (kithara_biquad_bank_process_f64, double);
