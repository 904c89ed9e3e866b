/* Kithara: the delay and latency of a converter type, measured once per
 * (engine, quality, ratio) in the process and cached, so that creating a
 * converter of a known type costs a table look-up, not a measurement on
 * the worker.
 *
 * Delay: the centroid of the response to an impulse, in input frames
 * late, through a mono converter (at ratio 1 where the delay is the same
 * at every ratio, otherwise at the converter's ratio).
 * Latency: input frames fed one at a time until the output frame of time
 * 0 comes out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "kitharasrc-backend.h"

#define PROBE_FRAMES 4096
#define MAX_LATENCY_PROBE (1 << 20)
/* A long varispeed session meets many ratios: forget them past this. */
#define MAX_ENTRIES 1024

typedef struct
{
  KitharaSrcEngine engine;
  KitharaSrcQuality quality;
  double ratio;

  gboolean ready;               /* FALSE while a thread measures it */
  double delay;
  guint latency;
} Entry;

static GMutex lock;
static GCond measured;
static GHashTable *entries;     /* Entry -> itself */
static guint measurements;

static guint
entry_hash (gconstpointer key)
{
  const Entry *e = key;

  return g_double_hash (&e->ratio) ^ (e->engine << 8) ^ e->quality;
}

static gboolean
entry_equal (gconstpointer a, gconstpointer b)
{
  const Entry *ea = a, *eb = b;

  return ea->engine == eb->engine && ea->quality == eb->quality &&
      ea->ratio == eb->ratio;
}

static gboolean
entry_is_ready (gpointer key, gpointer value, gpointer user_data)
{
  return ((Entry *) value)->ready;
}

static double
measure_delay (const KitharaSrcBackend * backend, KitharaSrcQuality quality,
    double ratio)
{
  /* Room for the filter's span, which widens as the ratio decimates. */
  gsize at = PROBE_FRAMES / 2 * (gsize) MAX (1.0, ceil (1.0 / ratio));
  KitharaSrcOut out = { NULL, 0, 0, 1, 0 };
  double sum = 0.0, moment = 0.0;
  gpointer conv = backend->create (quality, 1, ratio, NULL);
  float *in;
  gsize k;

  if (conv == NULL)
    return 0.0;
  in = g_new0 (float, 2 * at);
  in[at] = 1.0f;
  backend->run (conv, in, 2 * at, ratio, ratio, &out);
  for (k = 0; k < out.len; k++) {
    sum += out.data[k];
    moment += (double) k *out.data[k];
  }
  backend->destroy (conv);
  g_free (in);
  g_free (out.data);
  if (fabs (sum) < 1e-6)
    return 0.0;
  /* Round away the filters' numerical noise (centroids land within 1e-4
   * of their exact values). */
  return round ((moment / sum / ratio - at) * 1000.0) / 1000.0;
}

static guint
measure_latency (const KitharaSrcBackend * backend,
    KitharaSrcQuality quality, double ratio, double delay)
{
  guint64 wanted = (guint64) llround (delay * ratio) + 1, got = 0;
  KitharaSrcOut out = { NULL, 0, 0, 1, 0 };
  gpointer conv = backend->create (quality, 1, ratio, NULL);
  float zero = 0.0f;
  guint n = 0;

  if (conv == NULL)
    return 0;
  while (got < wanted && n < MAX_LATENCY_PROBE) {
    out.len = 0;
    if (!backend->run (conv, &zero, 1, ratio, ratio, &out))
      break;
    got += out.len;
    n++;
  }
  backend->destroy (conv);
  g_free (out.data);
  return n;
}

/**
 * kithara_src_lookup_timing:
 * @delay: (out): input frames the converter's output is late
 * @latency: (out): input frames it needs before its first output frame
 *
 * The first call for a key measures (other threads asking for the same
 * key wait for it); later calls look the figures up.
 */
void
kithara_src_lookup_timing (KitharaSrcEngine engine,
    KitharaSrcQuality quality, double ratio, double *delay, guint * latency)
{
  const KitharaSrcBackend *backend = kithara_src_backend (engine);
  Entry key = { engine, quality, ratio, FALSE, 0.0, 0 }, *e;

  g_mutex_lock (&lock);
  if (entries == NULL)
    entries = g_hash_table_new_full (entry_hash, entry_equal, NULL, g_free);
  while ((e = g_hash_table_lookup (entries, &key)) && !e->ready)
    g_cond_wait (&measured, &lock);
  if (e == NULL) {
    double probe = backend->delay_probe_ratio (quality, ratio);

    if (g_hash_table_size (entries) >= MAX_ENTRIES)
      g_hash_table_foreach_remove (entries, entry_is_ready, NULL);
    e = g_memdup2 (&key, sizeof (Entry));
    g_hash_table_add (entries, e);
    g_mutex_unlock (&lock);

    key.delay = measure_delay (backend, quality, probe);
    key.latency = measure_latency (backend, quality, ratio, key.delay);

    g_mutex_lock (&lock);
    e->delay = key.delay;
    e->latency = key.latency;
    e->ready = TRUE;
    measurements++;
    g_cond_broadcast (&measured);
  }
  *delay = e->delay;
  *latency = e->latency;
  g_mutex_unlock (&lock);
}

/* How many (engine, quality, ratio) keys the process has measured. */
guint
kithara_src_get_measurements (void)
{
  guint n;

  g_mutex_lock (&lock);
  n = measurements;
  g_mutex_unlock (&lock);
  return n;
}
