/* Kithara: RBJ cookbook biquads and a smoothed cascade of them (the DSP of
 * kitharaeq's parametric mode).  No GStreamer types: this is plain DSP. */
#ifndef __KITHARA_BIQUAD_H__
#define __KITHARA_BIQUAD_H__

#include <glib.h>

G_BEGIN_DECLS

/* Filter shapes; the first five match GstKitharaEqBandType. */
typedef enum
{
  KITHARA_BIQUAD_LOW_SHELF,
  KITHARA_BIQUAD_PEAKING,
  KITHARA_BIQUAD_HIGH_SHELF,
  KITHARA_BIQUAD_LOW_PASS,
  KITHARA_BIQUAD_HIGH_PASS,
  KITHARA_BIQUAD_ALL_PASS,
} KitharaBiquadType;

/* Normalised coefficients (a0 = 1). */
typedef struct
{
  double b0, b1, b2, a1, a2;
} KitharaBiquadCoeffs;

/* Transposed direct form II memory: tolerates coefficients that change
 * between samples without the bursts direct form I can produce. */
typedef struct
{
  double s1, s2;
} KitharaBiquadState;

typedef struct
{
  KitharaBiquadType type;
  double freq;                  /* Hz */
  double q;
  double gain_db;               /* ignored by pass and all-pass types */
} KitharaBiquadParams;

/* Parameter changes glide with this one-pole time constant, the
 * coefficients being recomputed every KITHARA_BIQUAD_BLOCK frames. */
#define KITHARA_BIQUAD_SMOOTH_TIME 0.010
#define KITHARA_BIQUAD_BLOCK 32

#define KITHARA_BIQUAD_MIN_FREQ 1.0
/* Highest usable centre, as a fraction of the sample rate: the bilinear
 * designs degenerate at Nyquist. */
#define KITHARA_BIQUAD_MAX_FREQ_RATIO 0.49

static inline double
kithara_biquad_tick (const KitharaBiquadCoeffs * c, KitharaBiquadState * s,
    double x)
{
  double y = c->b0 * x + s->s1;

  s->s1 = c->b1 * x - c->a1 * y + s->s2;
  s->s2 = c->b2 * x - c->a2 * y;
  return y;
}

static inline void
kithara_biquad_state_flush_denormals (KitharaBiquadState * s)
{
  /* A decaying recursion ends in denormals, which are very slow. */
  if (s->s1 < 1e-30 && s->s1 > -1e-30)
    s->s1 = 0.0;
  if (s->s2 < 1e-30 && s->s2 > -1e-30)
    s->s2 = 0.0;
}

/* What enters a filter's recursion: a non-finite sample (NaN, Inf) would
 * stay in its memory for good and is silence instead; a denormal one
 * (F64 input goes that low) costs tens of times the CPU and is zero. */
static inline double
kithara_biquad_sanitize (double x)
{
  return (x - x == 0.0 && (x >= 1e-30 || x <= -1e-30)) ? x : 0.0;
}

/* A memory that still went non-finite (a finite input too large for the
 * gain) starts over. */
static inline void
kithara_biquad_state_check (KitharaBiquadState * s)
{
  if (!(s->s1 - s->s1 == 0.0) || !(s->s2 - s->s2 == 0.0))
    s->s1 = s->s2 = 0.0;
}

gboolean kithara_biquad_type_has_gain (KitharaBiquadType type);
double kithara_biquad_clamp_freq (double freq, double rate);
void kithara_biquad_design (KitharaBiquadCoeffs * c, KitharaBiquadType type,
    double freq, double q, double gain_db, double rate);
double kithara_biquad_smooth_factor (guint frames, double rate);

typedef struct _KitharaBiquadBank KitharaBiquadBank;

KitharaBiquadBank *kithara_biquad_bank_new (guint max_bands, guint channels,
    double rate);
void kithara_biquad_bank_free (KitharaBiquadBank * bank);
void kithara_biquad_bank_set_num_bands (KitharaBiquadBank * bank,
    guint n_bands);
void kithara_biquad_bank_set_band (KitharaBiquadBank * bank, guint index,
    const KitharaBiquadParams * params);
void kithara_biquad_bank_reset (KitharaBiquadBank * bank);
gboolean kithara_biquad_bank_is_bypassed (KitharaBiquadBank * bank);
void kithara_biquad_bank_process_f32 (KitharaBiquadBank * bank, float *data,
    guint frames);
void kithara_biquad_bank_process_f64 (KitharaBiquadBank * bank, double *data,
    guint frames);

G_END_DECLS

#endif /* __KITHARA_BIQUAD_H__ */
