/* Kithara: the libsamplerate engine of KitharaSrc.
 *
 * libsamplerate glides by itself: src_process() interpolates linearly from
 * the ratio of its previous call to the new one over the output frames of
 * the call.  A gliding call is given room for just the frames its input
 * should give, so that the glide ends with the input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <samplerate.h>

#include "kitharasrc-backend.h"

typedef struct
{
  SRC_STATE *state;
  guint channels;
} Conv;

static gpointer
conv_create (KitharaSrcQuality quality, guint channels, double ratio,
    gchar ** error)
{
  int err = 0;
  SRC_STATE *state = src_new (quality, channels, &err);
  Conv *conv;

  if (state == NULL) {
    if (error)
      *error = g_strdup_printf ("libsamplerate: %s", src_strerror (err));
    return NULL;
  }
  conv = g_new0 (Conv, 1);
  conv->state = state;
  conv->channels = channels;
  return conv;
}

static void
conv_destroy (gpointer data)
{
  Conv *conv = data;

  src_delete (conv->state);
  g_free (conv);
}

static void
conv_reset (gpointer data)
{
  src_reset (((Conv *) data)->state);
}

static gboolean
conv_run (gpointer data, const float *in, gsize frames, double from,
    double to, KitharaSrcOut * out)
{
  Conv *conv = data;
  gboolean glide = to != from;

  for (;;) {
    SRC_DATA d = { 0, };
    gsize cap;

    if (glide)
      cap = MAX (1, (gsize) llround (frames * (to + from) / 2));
    else
      cap = (gsize) ceil (frames * to) + 16;
    glide = FALSE;

    d.data_in = in;
    d.data_out = kithara_src_out_reserve (out, cap);
    d.input_frames = frames;
    d.output_frames = cap;
    d.src_ratio = to;
    if (src_process (conv->state, &d) != 0)
      return FALSE;
    in += d.input_frames_used * conv->channels;
    frames -= d.input_frames_used;
    kithara_src_out_commit (out, d.output_frames_gen);

    if (frames == 0 && (gsize) d.output_frames_gen < cap)
      break;
    if (d.input_frames_used == 0 && d.output_frames_gen == 0)
      break;
  }
  return TRUE;
}

/* Its converters are late by the same number of input frames at every
 * ratio. */
static double
delay_probe_ratio (KitharaSrcQuality quality, double ratio)
{
  return 1.0;
}

const KitharaSrcBackend kithara_src_libsamplerate = {
  "libsamplerate",
  delay_probe_ratio,
  conv_create,
  conv_destroy,
  conv_reset,
  conv_run,
};
