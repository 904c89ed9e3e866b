/* Kithara: the sink pads of kitharamixer and the stream each one carries.
 *
 * The pad's properties (volume, mute, service-class) are set by the
 * application or a GstController; the stream state is handled by the
 * mixer's node on the worker.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstkitharamixerpad.h"

#define DEFAULT_VOLUME 1.0
#define MAX_VOLUME 10.0
#define DEFAULT_MUTE FALSE
#define DEFAULT_SERVICE_CLASS KITHARA_SERVICE_CLASS_AUTO

/* A timestamp further ahead of where the stream should continue than this
 * is a gap, filled with silence (as GstAudioBaseSink's alignment). */
#define GAP_THRESHOLD (40 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_VOLUME,
  PROP_MUTE,
  PROP_SERVICE_CLASS,
};

G_DEFINE_TYPE (GstKitharaMixerPad, gst_kithara_mixer_pad, GST_TYPE_PAD);

/**
 * gst_kithara_mixer_pad_set_format:
 * @caps: the input caps
 * @out: the mixer's output format (F32, interleaved)
 *
 * Returns: %FALSE if the input cannot be converted to @out.
 */
gboolean
gst_kithara_mixer_pad_set_format (GstKitharaMixerPad * pad, GstCaps * caps,
    const GstAudioInfo * out)
{
  GstAudioInfo in;

  if (!gst_audio_info_from_caps (&in, caps))
    return FALSE;

  g_clear_pointer (&pad->converter, gst_audio_converter_free);
  if (GST_AUDIO_INFO_FORMAT (&in) != GST_AUDIO_INFO_FORMAT (out) ||
      GST_AUDIO_INFO_RATE (&in) != GST_AUDIO_INFO_RATE (out) ||
      GST_AUDIO_INFO_CHANNELS (&in) != GST_AUDIO_INFO_CHANNELS (out) ||
      GST_AUDIO_INFO_LAYOUT (&in) != GST_AUDIO_INFO_LAYOUT (out)) {
    pad->converter = gst_audio_converter_new (GST_AUDIO_CONVERTER_FLAG_NONE,
        &in, (GstAudioInfo *) out, NULL);
    if (pad->converter == NULL)
      return FALSE;
    GST_DEBUG_OBJECT (pad, "converting %" GST_PTR_FORMAT, caps);
  }
  pad->in_info = in;
  pad->out_bpf = GST_AUDIO_INFO_BPF (out);
  pad->has_format = TRUE;
  gst_caps_replace (&pad->caps, caps);
  return TRUE;
}

guint64
gst_kithara_mixer_pad_end_frame (GstKitharaMixerPad * pad)
{
  return pad->next_frame + gst_adapter_available (pad->adapter) /
      MAX (pad->out_bpf, 1);
}

/* Output frame where input at @timestamp is due, from running time. */
static guint64
frame_of (GstKitharaMixerPad * pad, GstClockTime timestamp,
    const GstAudioInfo * out, guint64 out_frame)
{
  GstClockTime rt = gst_segment_to_running_time (&pad->segment,
      GST_FORMAT_TIME, timestamp);

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return out_frame;
  return gst_util_uint64_scale_round (rt, GST_AUDIO_INFO_RATE (out),
      GST_SECOND);
}

static void
push_silence (GstKitharaMixerPad * pad, guint64 frames)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, frames * pad->out_bpf,
      NULL);

  gst_buffer_memset (buf, 0, 0, frames * pad->out_bpf);
  gst_adapter_push (pad->adapter, buf);
}

/* Where the data of a buffer at @timestamp goes: the first data of a
 * stream (or after a flush) lands at its running time, or now if that
 * has passed (a deck added while playing starts at once); later data,
 * and the data of a new segment without a flush (the next repeat of a
 * loop), continues where the stream is, after silence if its timestamp
 * is more than GAP_THRESHOLD ahead of that.  After a DISCONT (@resync)
 * the data goes by its timestamp until it is continuous again: what
 * overlaps the data already there is dropped (as audiomixer), so the
 * input keeps its time.  Returns how many frames at the start of the data
 * to drop. */
static guint64
place (GstKitharaMixerPad * pad, GstClockTime timestamp, gboolean resync,
    const GstAudioInfo * out, guint64 out_frame)
{
  guint64 end = gst_kithara_mixer_pad_end_frame (pad), due;

  if (resync)
    pad->resync = TRUE;
  if (pad->joined && !GST_CLOCK_TIME_IS_VALID (timestamp))
    return 0;
  due = GST_CLOCK_TIME_IS_VALID (timestamp) ?
      frame_of (pad, timestamp, out, out_frame) : out_frame;

  if (!pad->joined) {
    due = MAX (due, out_frame);
    if (gst_adapter_available (pad->adapter) == 0) {
      /* All mixed.  A stream that goes on takes up where it ended, or now
       * if that has passed: a loop's repeat whose running time rounds a
       * fraction of a sample later than its samples end (a window that is
       * no whole number of samples) gets no sample of silence, one that
       * starts earlier (a demuxer's segment base short of the stop) loses
       * nothing. */
      if (pad->placed) {
        pad->next_frame = MAX (pad->next_frame, out_frame);
        due = MAX (due, pad->next_frame);
      } else {
        pad->next_frame = due;
      }
      end = pad->next_frame;
    }
    pad->joined = TRUE;
    pad->placed = TRUE;
  }
  if (due < end && pad->resync) {
    GST_DEBUG_OBJECT (pad, "dropping %" G_GUINT64_FORMAT " frames that "
        "overlap", end - due);
    return end - due;
  }
  pad->resync = FALSE;
  if (due > end && gst_util_uint64_scale (due - end, GST_SECOND,
          GST_AUDIO_INFO_RATE (out)) > GAP_THRESHOLD) {
    GST_DEBUG_OBJECT (pad, "gap of %" G_GUINT64_FORMAT " frames", due - end);
    push_silence (pad, due - end);
  }
  return 0;
}

/* @buf in the output format (transfer full). */
static GstBuffer *
convert (GstKitharaMixerPad * pad, GstBuffer * buf)
{
  GstMapInfo in_map, out_map;
  gsize in_frames, out_frames;
  GstBuffer *converted;
  gpointer in_data[1], out_data[1];

  if (pad->converter == NULL)
    return buf;
  in_frames = gst_buffer_get_size (buf) / GST_AUDIO_INFO_BPF (&pad->in_info);
  out_frames = gst_audio_converter_get_out_frames (pad->converter, in_frames);
  converted = gst_buffer_new_allocate (NULL, out_frames * pad->out_bpf, NULL);
  gst_buffer_map (buf, &in_map, GST_MAP_READ);
  gst_buffer_map (converted, &out_map, GST_MAP_WRITE);
  in_data[0] = in_map.data;
  out_data[0] = out_map.data;
  gst_audio_converter_samples (pad->converter, GST_AUDIO_CONVERTER_FLAG_NONE,
      in_data, in_frames, out_data, out_frames);
  gst_buffer_unmap (converted, &out_map);
  gst_buffer_unmap (buf, &in_map);
  gst_buffer_unref (buf);
  return converted;
}

/**
 * gst_kithara_mixer_pad_add_buffer:
 * @buf: (transfer full): input data, clipped here to the input segment
 */
void
gst_kithara_mixer_pad_add_buffer (GstKitharaMixerPad * pad, GstBuffer * buf,
    const GstAudioInfo * out, guint64 out_frame)
{
  GstClockTime timestamp;
  gboolean discont;
  guint64 drop, frames;

  if (pad->segment.format == GST_FORMAT_TIME) {
    buf = gst_audio_buffer_clip (buf, &pad->segment,
        GST_AUDIO_INFO_RATE (&pad->in_info),
        GST_AUDIO_INFO_BPF (&pad->in_info));
    if (buf == NULL)
      return;                   /* outside the segment */
  }
  timestamp = GST_BUFFER_PTS (buf);
  discont = GST_BUFFER_IS_DISCONT (buf);
  buf = convert (pad, buf);
  frames = gst_buffer_get_size (buf) / pad->out_bpf;
  drop = place (pad, timestamp, discont, out, out_frame);
  if (drop >= frames) {
    gst_buffer_unref (buf);
    return;
  }
  if (drop > 0) {
    buf = gst_buffer_make_writable (buf);
    gst_buffer_resize (buf, drop * pad->out_bpf, -1);
    pad->resync = FALSE;        /* continuous again from here */
  }
  gst_adapter_push (pad->adapter, buf);
}

void
gst_kithara_mixer_pad_add_gap (GstKitharaMixerPad * pad,
    GstClockTime timestamp, GstClockTime duration, const GstAudioInfo * out,
    guint64 out_frame)
{
  guint64 frames;

  place (pad, timestamp, FALSE, out, out_frame);
  if (!GST_CLOCK_TIME_IS_VALID (duration))
    return;
  frames = gst_util_uint64_scale_round (duration, GST_AUDIO_INFO_RATE (out),
      GST_SECOND);
  if (frames > 0)
    push_silence (pad, frames);
}

/* Adds @n frames of @in times a gain going linearly from @g0 (exclusive)
 * to @g1 over @span frames starting at @offset, to @out. */
static void
accumulate (gfloat * out, const gfloat * in, guint n, guint channels,
    guint offset, guint span, gfloat g0, gfloat g1)
{
  guint i, c;

  if (g0 == g1) {
    if (g1 == 0.0f)
      return;
    for (i = 0; i < n * channels; i++)
      out[i] += g1 * in[i];
    return;
  }
  for (i = 0; i < n; i++) {
    gfloat g = g0 + (g1 - g0) * (gfloat) (offset + i + 1) / span;

    for (c = 0; c < channels; c++)
      out[i * channels + c] += g * in[i * channels + c];
  }
}

/**
 * gst_kithara_mixer_pad_mix:
 * @out: the block being mixed, @frames frames starting at output frame
 *   @block_start
 * @target_gain: the gain to reach by the end of the block; the gain
 *   glides there from the last block's, so volume changes do not click
 *
 * Adds what the pad has for this block and consumes it.
 */
void
gst_kithara_mixer_pad_mix (GstKitharaMixerPad * pad, gfloat * out,
    guint64 block_start, guint frames, guint channels, gfloat target_gain)
{
  guint64 end = block_start + frames, have, offset, n;
  /* A new stream starts at its gain; it does not fade in from the last. */
  gfloat g0 = pad->gain < 0.0f ? target_gain : pad->gain;

  pad->gain = target_gain;
  if (pad->next_frame < block_start) {
    guint64 late = MIN (block_start - pad->next_frame,
        gst_adapter_available (pad->adapter) / pad->out_bpf);

    gst_adapter_flush (pad->adapter, late * pad->out_bpf);
    pad->next_frame += late;
    __atomic_fetch_add (&pad->late_frames, late, __ATOMIC_RELAXED);
    if (pad->next_frame < block_start)
      pad->next_frame = block_start;
  }
  if (pad->next_frame >= end)
    return;

  offset = pad->next_frame - block_start;
  have = gst_adapter_available (pad->adapter) / pad->out_bpf;
  n = MIN (have, frames - offset);
  if (n == 0)
    return;
  accumulate (out + offset * channels, gst_adapter_map (pad->adapter,
          n * pad->out_bpf), n, channels, offset, frames, g0, target_gain);
  gst_adapter_unmap (pad->adapter);
  gst_adapter_flush (pad->adapter, n * pad->out_bpf);
  pad->next_frame += n;
}

/* Forgets the stream (flush, stop); the format is kept, as caps are
 * sticky and not sent again after a flush. */
void
gst_kithara_mixer_pad_reset (GstKitharaMixerPad * pad)
{
  gst_adapter_clear (pad->adapter);
  if (pad->converter)
    gst_audio_converter_reset (pad->converter);
  gst_segment_init (&pad->segment, GST_FORMAT_UNDEFINED);
  pad->next_frame = 0;
  pad->joined = FALSE;
  pad->placed = FALSE;
  pad->resync = FALSE;
  pad->segment_done = FALSE;
  pad->eos = FALSE;
  pad->failed = FALSE;
  pad->gain = -1.0f;
}

gfloat
gst_kithara_mixer_pad_get_target_gain (GstKitharaMixerPad * pad)
{
  gfloat gain;

  GST_OBJECT_LOCK (pad);
  gain = pad->mute ? 0.0f : (gfloat) pad->volume;
  GST_OBJECT_UNLOCK (pad);
  return gain;
}

/**
 * gst_kithara_mixer_pad_get_class:
 * @heard: whether the mixer's output is heard (PLAYING)
 *
 * Returns: the class of the chain feeding this pad: its explicit
 * service-class, else audible when heard, not muted and volume > 0,
 * else warm.
 */
KitharaServiceClass
gst_kithara_mixer_pad_get_class (GstKitharaMixerPad * pad, gboolean heard)
{
  KitharaServiceClass cls;

  GST_OBJECT_LOCK (pad);
  if (pad->class_setting != KITHARA_SERVICE_CLASS_AUTO)
    cls = pad->class_setting;
  else if (heard && !pad->mute && pad->volume > 0.0)
    cls = KITHARA_SERVICE_CLASS_AUDIBLE;
  else
    cls = KITHARA_SERVICE_CLASS_WARM;
  GST_OBJECT_UNLOCK (pad);
  return cls;
}

static void
gst_kithara_mixer_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaMixerPad *pad = GST_KITHARA_MIXER_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_VOLUME:
      pad->volume = g_value_get_double (value);
      break;
    case PROP_MUTE:
      pad->mute = g_value_get_boolean (value);
      break;
    case PROP_SERVICE_CLASS:
      pad->class_setting = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
gst_kithara_mixer_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaMixerPad *pad = GST_KITHARA_MIXER_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_VOLUME:
      g_value_set_double (value, pad->volume);
      break;
    case PROP_MUTE:
      g_value_set_boolean (value, pad->mute);
      break;
    case PROP_SERVICE_CLASS:
      g_value_set_enum (value, pad->class_setting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
gst_kithara_mixer_pad_finalize (GObject * object)
{
  GstKitharaMixerPad *pad = GST_KITHARA_MIXER_PAD (object);

  g_clear_pointer (&pad->converter, gst_audio_converter_free);
  gst_clear_caps (&pad->caps);
  g_object_unref (pad->adapter);
  if (pad->inlet)
    kithara_inlet_unref (pad->inlet);
  G_OBJECT_CLASS (gst_kithara_mixer_pad_parent_class)->finalize (object);
}

static void
gst_kithara_mixer_pad_init (GstKitharaMixerPad * pad)
{
  pad->volume = DEFAULT_VOLUME;
  pad->mute = DEFAULT_MUTE;
  pad->class_setting = DEFAULT_SERVICE_CLASS;
  pad->announced_class = -1;
  pad->adapter = gst_adapter_new ();
  pad->gain = -1.0f;
  gst_segment_init (&pad->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_kithara_mixer_pad_class_init (GstKitharaMixerPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_kithara_mixer_pad_set_property;
  gobject_class->get_property = gst_kithara_mixer_pad_get_property;
  gobject_class->finalize = gst_kithara_mixer_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_VOLUME,
      g_param_spec_double ("volume", "Volume",
          "Gain of this input (1.0 = unchanged); changes glide over one "
          "block, so a crossfade driven by a GstController has no clicks; "
          "above 0 and not muted, the input's chain is audible",
          0.0, MAX_VOLUME, DEFAULT_VOLUME,
          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Silence this input (gliding over one block); a muted input's "
          "chain is warm", DEFAULT_MUTE,
          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SERVICE_CLASS,
      g_param_spec_enum ("service-class", "Service class",
          "Class of the chain feeding this input: auto = audible while the "
          "mixer plays and the input is heard (volume > 0, not muted), warm "
          "otherwise", KITHARA_TYPE_SERVICE_CLASS, DEFAULT_SERVICE_CLASS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
}
