/**
 * SECTION:element-kithararesample
 * @title: kithararesample
 *
 * Resamples raw audio from any rate to any rate, as a node on the shared
 * kithara worker (see #GstKitharaElement), with one of two engines
 * (#GstKitharaResample:engine): libsamplerate (the default) or
 * GstAudioResampler, GStreamer's own resampler (that of audioresample).
 * Every guarantee below holds on both.
 *
 * The output rate is the one downstream prefers, nearest to the input
 * rate.  When both rates are equal and #GstKitharaResample:playback-rate is
 * 1.0 buffers pass through untouched.
 *
 * #GstKitharaResample:playback-rate (varispeed, controllable) plays the
 * stream faster or slower, pitch included: the converter ratio is
 * out-rate / in-rate / playback-rate.  Changes glide over the next buffer
 * instead of stepping.  The output segment carries the rate in its
 * applied_rate, so that position and duration stay in the stream's time.
 *
 * Timing is exact: the converters' own delay is compensated (an impulse at
 * input time t comes out at output time t), output timestamps are
 * computed from the first input timestamp and the count of output frames
 * (no accumulated rounding), the filter tail is drained at EOS, at new
 * caps, a new segment and a discontinuity, so that N input frames
 * give round (N * ratio) output frames.  The latency query reports the
 * look-ahead the converter needs.  Across a joint that goes on in running
 * time (a deck's next track with the same caps, a loop's next segment)
 * the converter goes on: nothing is drained, and the output is what one
 * stream of those samples makes.
 *
 * Changing #GstKitharaResample:quality or #GstKitharaResample:engine
 * while playing takes effect at the next buffer: the old converter's tail
 * is drained (no input is dropped and timestamps continue) and a new
 * converter starts from silence, which makes a short fade over the filter
 * length at that point.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 audiotestsrc num-buffers=100 ! audio/x-raw,format=F32LE,rate=44100 ! kithararesample quality=sinc-best ! audio/x-raw,rate=48000 ! wavenc ! filesink location=48k.wav
 * ]| Converts a 44.1 kHz sine to 48 kHz.
 * |[
 * gst-launch-1.0 filesrc location=song.flac ! kitharadecode ! kithararesample playback-rate=1.06 ! audioconvert ! autoaudiosink
 * ]| Plays a song 6 % faster.
 * |[
 * gst-launch-1.0 audiotestsrc num-buffers=100 ! audio/x-raw,format=F32LE,rate=48000 ! kithararesample engine=gstreamer quality=sinc-fastest ! audio/x-raw,rate=16000 ! fakesink
 * ]| Converts to 16 kHz with GStreamer's resampler.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <samplerate.h>

#include "gstkithararesample.h"
#include "kitharasrc.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_resample_debug);
#define GST_CAT_DEFAULT gst_kithara_resample_debug

#define DEFAULT_QUALITY GST_KITHARA_RESAMPLE_QUALITY_SINC_MEDIUM
#define DEFAULT_ENGINE GST_KITHARA_RESAMPLE_ENGINE_LIBSAMPLERATE
#define DEFAULT_PLAYBACK_RATE 1.0
#define MIN_PLAYBACK_RATE 0.25
#define MAX_PLAYBACK_RATE 4.0

/* Input frames kept while passing through, to start a converter without
 * a transient when the playback rate leaves 1.0 (more than the longest
 * sinc filter's half length at ratio 1). */
#define HISTORY_FRAMES 512

/* Input timestamps further than this from where the stream should be are
 * a discontinuity (as GstAudioBaseSink's alignment-threshold). */
#define DISCONT_THRESHOLD (40 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_QUALITY,
  PROP_PLAYBACK_RATE,
  PROP_ENGINE,
};

struct _GstKitharaResample
{
  GstKitharaElement parent;

  /* Properties, under the object lock. */
  GstKitharaResampleQuality quality;
  GstKitharaResampleEngine engine;
  gdouble playback_rate;
  GstClockTime latency;

  /* Stream state, on the worker or while no tick runs. */
  gboolean configured;
  GstAudioInfo in_info;
  GstAudioInfo out_info;
  GstCaps *out_caps;
  KitharaSrc *src;
  GstKitharaResampleQuality applied_quality;
  GstKitharaResampleEngine applied_engine;
  gboolean passthrough;
  gboolean clamp_warned;

  float *scratch;               /* S16 input as float */
  gsize scratch_alloc;          /* floats */
  float *history;               /* HISTORY_FRAMES frames */
  gsize history_len;            /* frames */

  gboolean need_base;
  GstClockTime in_base_ts;      /* input time of frame 0 */
  GstClockTime base_ts;         /* output time of frame 0 */
  guint64 base_offset;          /* output offset of frame 0 */
  guint64 in_samples;           /* input frames since in_base_ts */
  guint64 out_samples;          /* output frames since base_ts */

  /* The segment pushed downstream: the input's, with the playback rate
   * it was made for in its applied_rate (see "The timeline"). */
  GstSegment out_segment;
  gdouble segment_rate;
  GstSegment in_segment;        /* the input's, before the next one */

  /* A new stream's start, held until it is known whether the old
   * stream's tail must be drained before it (new caps). */
  GstEvent *stream_start;
};

G_DEFINE_TYPE (GstKitharaResample, gst_kithara_resample,
    GST_TYPE_KITHARA_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (kithararesample, "kithararesample",
    GST_RANK_NONE, GST_TYPE_KITHARA_RESAMPLE);

#define CAPS \
    GST_AUDIO_CAPS_MAKE ("{ F32LE, S16LE }") ", layout = (string) interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));

GType
gst_kithara_resample_quality_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KITHARA_RESAMPLE_QUALITY_SINC_BEST,
        "Best sinc: SNR 145 dB, bandwidth 97 %", "sinc-best"},
    {GST_KITHARA_RESAMPLE_QUALITY_SINC_MEDIUM,
        "Medium sinc: SNR 121 dB, bandwidth 90 %", "sinc-medium"},
    {GST_KITHARA_RESAMPLE_QUALITY_SINC_FASTEST,
        "Fastest sinc: SNR 97 dB, bandwidth 80 %", "sinc-fastest"},
    {GST_KITHARA_RESAMPLE_QUALITY_ZERO_ORDER_HOLD,
        "Zero order hold: not band-limited, cheapest", "zero-order-hold"},
    {GST_KITHARA_RESAMPLE_QUALITY_LINEAR,
        "Linear interpolation: not band-limited, cheap", "linear"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKitharaResampleQuality", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_kithara_resample_engine_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KITHARA_RESAMPLE_ENGINE_LIBSAMPLERATE,
        "libsamplerate's sinc converters, single precision", "libsamplerate"},
    {GST_KITHARA_RESAMPLE_ENGINE_GSTREAMER,
        "GstAudioResampler (audioresample's), double precision but for "
          "sinc-fastest", "gstreamer"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstKitharaResampleEngine", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* helpers */

static double
current_ratio (GstKitharaResample * self, gdouble playback_rate)
{
  double ratio = (double) GST_AUDIO_INFO_RATE (&self->out_info) /
      GST_AUDIO_INFO_RATE (&self->in_info) / playback_rate;
  double clamped = CLAMP (ratio, KITHARA_SRC_MIN_RATIO, KITHARA_SRC_MAX_RATIO);

  if (clamped != ratio && !self->clamp_warned) {
    GST_WARNING_OBJECT (self, "ratio %g out of range, using %g", ratio,
        clamped);
    self->clamp_warned = TRUE;
  }
  return clamped;
}

static void
update_latency (GstKitharaResample * self)
{
  GstClockTime latency = 0;
  gboolean changed;

  if (self->src && !self->passthrough)
    latency = gst_util_uint64_scale_int_round (kithara_src_get_latency
        (self->src), GST_SECOND, GST_AUDIO_INFO_RATE (&self->in_info));
  GST_OBJECT_LOCK (self);
  changed = latency != self->latency;
  self->latency = latency;
  GST_OBJECT_UNLOCK (self);
  if (changed) {
    GST_DEBUG_OBJECT (self, "latency %" GST_TIME_FORMAT,
        GST_TIME_ARGS (latency));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  }
}

/* The delay and latency of a converter type are measured once in the
 * process (see kitharasrc-measure.c): a new converter of a known type
 * costs no measurement on the worker. */
static gboolean
make_converter (GstKitharaResample * self, GstKitharaResampleEngine engine,
    GstKitharaResampleQuality quality, double ratio)
{
  gchar *error = NULL;

  kithara_src_free (self->src);
  self->src = kithara_src_new ((KitharaSrcEngine) engine,
      (KitharaSrcQuality) quality, GST_AUDIO_INFO_CHANNELS (&self->in_info),
      ratio, &error);
  self->applied_engine = engine;
  self->applied_quality = quality;
  if (self->src == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, (NULL), ("%s", error));
    g_free (error);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "converter %d/%d: delay %.3f frames, latency %u "
      "frames at ratio %g", engine, quality,
      kithara_src_get_delay (self->src), kithara_src_get_latency (self->src),
      ratio);
  update_latency (self);
  return TRUE;
}

/* Output time of output frame @frames since base_ts: counted, never
 * accumulated. */
static GstClockTime
output_time_at (GstKitharaResample * self, guint64 frames)
{
  return self->base_ts + gst_util_uint64_scale_int (frames, GST_SECOND,
      GST_AUDIO_INFO_RATE (&self->out_info));
}

/* Pushes @frames interleaved float frames, timestamped from the count of
 * frames since base_ts. */
static GstFlowReturn
push_frames (GstKitharaResample * self, const float *data, gsize frames)
{
  gsize samples = frames * GST_AUDIO_INFO_CHANNELS (&self->out_info);
  GstBuffer *buf;
  GstMapInfo map;
  GstClockTime end;

  if (frames == 0)
    return GST_FLOW_OK;
  buf = gst_buffer_new_allocate (NULL, frames *
      GST_AUDIO_INFO_BPF (&self->out_info), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (GST_AUDIO_INFO_FORMAT (&self->out_info) == GST_AUDIO_FORMAT_S16LE)
    src_float_to_short_array (data, (short *) map.data, samples);
  else
    memcpy (map.data, data, samples * sizeof (float));
  gst_buffer_unmap (buf, &map);

  GST_BUFFER_PTS (buf) = output_time_at (self, self->out_samples);
  end = output_time_at (self, self->out_samples + frames);
  GST_BUFFER_DURATION (buf) = end - GST_BUFFER_PTS (buf);
  GST_BUFFER_OFFSET (buf) = self->base_offset + self->out_samples;
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET (buf) + frames;
  if (self->out_samples == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->out_samples += frames;

  return gst_kithara_element_push (GST_KITHARA_ELEMENT (self), buf);
}

/* Pushes the output still owed for the input so far and resets the
 * converter. */
static GstFlowReturn
drain_converter (GstKitharaResample * self)
{
  const float *data;
  gsize frames;

  if (!self->configured || self->src == NULL || self->passthrough)
    return GST_FLOW_OK;
  data = kithara_src_drain (self->src, &frames);
  GST_DEBUG_OBJECT (self, "drained %" G_GSIZE_FORMAT " frames", frames);
  if (self->need_base)
    return GST_FLOW_OK;
  return push_frames (self, data, frames);
}

static void
remember (GstKitharaResample * self, const float *in, gsize frames)
{
  guint ch = GST_AUDIO_INFO_CHANNELS (&self->in_info);
  gsize keep;

  if (frames >= HISTORY_FRAMES) {
    memcpy (self->history, in + (frames - HISTORY_FRAMES) * ch,
        HISTORY_FRAMES * ch * sizeof (float));
    self->history_len = HISTORY_FRAMES;
    return;
  }
  keep = MIN (self->history_len, HISTORY_FRAMES - frames);
  memmove (self->history, self->history + (self->history_len - keep) * ch,
      keep * ch * sizeof (float));
  memcpy (self->history + keep * ch, in, frames * ch * sizeof (float));
  self->history_len = keep + frames;
}

static const float *
input_as_float (GstKitharaResample * self, const GstMapInfo * map)
{
  gsize samples = map->size / (GST_AUDIO_INFO_WIDTH (&self->in_info) / 8);

  if (GST_AUDIO_INFO_FORMAT (&self->in_info) != GST_AUDIO_FORMAT_S16LE)
    return (const float *) map->data;
  if (samples > self->scratch_alloc) {
    self->scratch_alloc = samples;
    self->scratch = g_renew (float, self->scratch, samples);
  }
  src_short_to_float_array ((const short *) map->data, self->scratch, samples);
  return self->scratch;
}

static void
set_base (GstKitharaResample * self, GstClockTime in_ts, GstClockTime ts)
{
  self->in_base_ts = in_ts;
  self->base_ts = ts;
  self->base_offset = gst_util_uint64_scale_int_round (ts,
      GST_AUDIO_INFO_RATE (&self->out_info), GST_SECOND);
  self->in_samples = 0;
  self->out_samples = 0;
  self->need_base = FALSE;
}

/* ------------------------------------------------------------------ */
/* The timeline at a playback rate
 *
 * At a playback rate r, a second of input lasts 1/r second: output
 * timestamps advance at the output's pace, and the output segment says so
 * in its applied_rate (the input's times r), as an element that changes
 * speed does in GStreamer.  Position and duration so stay in the stream's
 * own time (a 10 s song at 2.0 ends after 5 s of running time, at
 * position 10 s) and seeks need no translation.  A change of rate starts
 * a new segment where the output is, continuing its running time and its
 * stream time. */

/* Output time where input time @pts plays on the current output segment
 * (the same time at rate 1). */
static GstClockTime
output_time_of (GstKitharaResample * self, GstClockTime pts)
{
  const GstSegment *in =
      gst_kithara_element_get_segment (GST_KITHARA_ELEMENT (self));
  const GstSegment *out = &self->out_segment;
  guint64 stream_time;

  if (in->format != GST_FORMAT_TIME || out->format != GST_FORMAT_TIME ||
      !GST_CLOCK_TIME_IS_VALID (pts))
    return pts;
  stream_time = gst_segment_to_stream_time (in, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID (stream_time) || stream_time < out->time)
    return pts;
  return out->start + (GstClockTime) ((stream_time - out->time) /
      ABS (out->applied_rate));
}

static GstClockTime
scaled_stop (GstClockTime from, GstClockTime in_stop, GstClockTime in_pos,
    gdouble rate)
{
  if (!GST_CLOCK_TIME_IS_VALID (in_stop) || in_stop < in_pos)
    return GST_CLOCK_TIME_NONE;
  return from + (GstClockTime) ((in_stop - in_pos) / rate);
}

static gboolean
push_out_segment (GstKitharaResample * self, guint32 seqnum)
{
  GstEvent *event = gst_event_new_segment (&self->out_segment);

  if (seqnum != GST_SEQNUM_INVALID)
    gst_event_set_seqnum (event, seqnum);
  return gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self), event);
}

/* A new segment from upstream: the same, at the current playback rate. */
static gboolean
start_segment (GstKitharaResample * self, GstEvent * event)
{
  const GstSegment *in;
  GstSegment *out = &self->out_segment;
  guint32 seqnum = gst_event_get_seqnum (event);
  gdouble rate;

  gst_event_parse_segment (event, &in);
  GST_OBJECT_LOCK (self);
  rate = self->playback_rate;
  GST_OBJECT_UNLOCK (self);
  gst_segment_copy_into (in, out);
  self->segment_rate = rate;
  if (rate != 1.0 && in->format == GST_FORMAT_TIME) {
    out->applied_rate = in->applied_rate * rate;
    out->stop = scaled_stop (in->start, in->stop, in->start, rate);
    out->position = out->start;
  }
  gst_event_unref (event);
  return push_out_segment (self, seqnum);
}

/* The playback rate changed to @rate at input time @pts: the segment
 * goes on from where the output is, at the new rate. */
static void
change_segment_rate (GstKitharaResample * self, gdouble rate,
    GstClockTime pts)
{
  const GstSegment *in =
      gst_kithara_element_get_segment (GST_KITHARA_ELEMENT (self));
  GstSegment *out = &self->out_segment;
  GstClockTime at = output_time_at (self, self->out_samples);
  guint64 running, stream_time;

  self->segment_rate = rate;
  if (in->format != GST_FORMAT_TIME || out->format != GST_FORMAT_TIME ||
      !GST_CLOCK_TIME_IS_VALID (pts) || at < out->start)
    return;
  /* Both go on from the output segment itself: the output so far is
   * exactly what the rates made of the input, while the input's own time
   * runs ahead of it by what the converter holds. */
  running = gst_segment_to_running_time (out, GST_FORMAT_TIME, at);
  stream_time = gst_segment_to_stream_time (out, GST_FORMAT_TIME, at);
  if (!GST_CLOCK_TIME_IS_VALID (running) ||
      !GST_CLOCK_TIME_IS_VALID (stream_time))
    return;
  GST_DEBUG_OBJECT (self, "playback rate %g from %" GST_TIME_FORMAT, rate,
      GST_TIME_ARGS (at));
  out->base = running;
  out->start = out->position = at;
  out->time = stream_time;
  out->applied_rate = in->applied_rate * rate;
  out->stop = scaled_stop (at, in->stop, pts, rate);
  push_out_segment (self, GST_SEQNUM_INVALID);
}

/* A new stream's start goes out once it is known whether the old
 * stream's tail comes first: at new caps, after the drain (a rate
 * change), or at the new stream's first segment or buffer, with the
 * converter going on (the same caps: a gapless joint). */
static void
release_stream_start (GstKitharaResample * self)
{
  if (self->stream_start)
    gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self),
        g_steal_pointer (&self->stream_start));
}

/* Whether the segment @event starts, in running time, where the input
 * so far ends (within half a frame), at the same rates. */
static gboolean
continues_input (GstKitharaResample * self, GstEvent * event)
{
  const GstSegment *old = &self->in_segment, *seg;
  GstClockTime end, end_rt, start_rt;

  gst_event_parse_segment (event, &seg);
  if (!self->configured || self->passthrough || self->src == NULL ||
      self->need_base || old->format != GST_FORMAT_TIME ||
      seg->format != GST_FORMAT_TIME || seg->rate != old->rate ||
      seg->applied_rate != old->applied_rate || seg->rate <= 0)
    return FALSE;
  end = self->in_base_ts + gst_util_uint64_scale_int (self->in_samples,
      GST_SECOND, GST_AUDIO_INFO_RATE (&self->in_info));
  end_rt = gst_segment_to_running_time (old, GST_FORMAT_TIME, end);
  start_rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, seg->start);
  return GST_CLOCK_TIME_IS_VALID (end_rt) &&
      GST_CLOCK_TIME_IS_VALID (start_rt) &&
      ABS (GST_CLOCK_DIFF (end_rt, start_rt)) <=
      (GstClockTimeDiff) (GST_SECOND / GST_AUDIO_INFO_RATE (&self->in_info)
      / 2);
}

/* The input goes on in the segment @event: the converter keeps what it
 * holds, the input is counted from the segment's start, and the output
 * segment goes on from where the output is, its running time going on,
 * its stream time the new segment's. */
static gboolean
continue_segment (GstKitharaResample * self, GstEvent * event)
{
  const GstSegment *in;
  GstSegment *out = &self->out_segment;
  GstClockTime at = output_time_at (self, self->out_samples);
  guint64 running;
  guint32 seqnum = gst_event_get_seqnum (event);
  gdouble rate = self->segment_rate;

  gst_event_parse_segment (event, &in);
  running = gst_segment_to_running_time (out, GST_FORMAT_TIME, at);
  GST_DEBUG_OBJECT (self, "segment goes on from %" GST_TIME_FORMAT,
      GST_TIME_ARGS (at));
  gst_segment_copy_into (in, &self->in_segment);
  self->in_base_ts = in->start;
  self->in_samples = 0;

  gst_segment_copy_into (in, out);
  out->base = GST_CLOCK_TIME_IS_VALID (running) ? running : in->base;
  out->start = out->position = at;
  out->applied_rate = in->applied_rate * rate;
  out->stop = scaled_stop (at, in->stop, in->start, rate);
  gst_event_unref (event);
  return push_out_segment (self, seqnum);
}

/* A gap in input time, put on the output timeline. */
static gboolean
push_gap (GstKitharaResample * self, GstEvent * event)
{
  GstClockTime ts, duration, out_ts;

  gst_event_parse_gap (event, &ts, &duration);
  out_ts = output_time_of (self, ts);
  if (out_ts == ts)
    return gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self), event);
  if (GST_CLOCK_TIME_IS_VALID (duration))
    duration = (GstClockTime) (duration / ABS (self->out_segment.applied_rate));
  gst_event_unref (event);
  return gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self),
      gst_event_new_gap (out_ts, duration));
}

/* ------------------------------------------------------------------ */
/* GstKitharaElement vfuncs */

static GstCaps *
gst_kithara_resample_transform_caps (GstKitharaElement * element,
    GstPadDirection direction, GstCaps * caps)
{
  GstCaps *res;
  guint i;

  if (gst_caps_is_any (caps))
    return gst_caps_new_any ();
  res = gst_caps_new_empty ();
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    /* The same rate first: it is preferred. */
    res = gst_caps_merge_structure_full (res, gst_structure_copy (s),
        f ? gst_caps_features_copy (f) : NULL);
    s = gst_structure_copy (s);
    gst_structure_set (s, "rate", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
    res = gst_caps_merge_structure_full (res, s,
        f ? gst_caps_features_copy (f) : NULL);
  }
  return res;
}

/* The caps downstream prefers for @in, at the rate nearest to the input
 * rate. */
static GstCaps *
negotiate_output (GstKitharaResample * self, GstCaps * in, gint rate)
{
  GstPad *srcpad = gst_kithara_element_get_src_pad (GST_KITHARA_ELEMENT (self));
  GstCaps *filter = gst_caps_copy (in), *peer;

  gst_caps_set_simple (filter, "rate", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
  peer = gst_pad_peer_query_caps (srcpad, filter);
  gst_caps_unref (filter);
  if (gst_caps_is_empty (peer)) {
    gst_caps_unref (peer);
    return NULL;
  }
  peer = gst_caps_truncate (peer);
  peer = gst_caps_make_writable (peer);
  gst_structure_fixate_field_nearest_int (gst_caps_get_structure (peer, 0),
      "rate", rate);
  return gst_caps_fixate (peer);
}

static gboolean
gst_kithara_resample_set_caps (GstKitharaElement * element, GstCaps * caps)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);
  GstKitharaResampleQuality quality;
  GstKitharaResampleEngine engine;
  GstAudioInfo in, out;
  GstCaps *out_caps;
  gdouble playback_rate;
  double ratio;

  if (!gst_audio_info_from_caps (&in, caps))
    return FALSE;

  /* The same caps again (a deck's next track), and downstream still takes
   * the output's (not a renegotiation): the converter goes on, no click. */
  if (self->configured && gst_audio_info_is_equal (&in, &self->in_info) &&
      gst_pad_peer_query_accept_caps (gst_kithara_element_get_src_pad
          (element), self->out_caps)) {
    release_stream_start (self);
    return TRUE;
  }

  /* The old caps are still on the src pad: push what is owed first, then
   * the new stream's start, if these caps are its. */
  drain_converter (self);
  release_stream_start (self);
  self->configured = FALSE;

  out_caps = negotiate_output (self, caps, GST_AUDIO_INFO_RATE (&in));
  if (out_caps == NULL || !gst_audio_info_from_caps (&out, out_caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream accepts no output for %d Hz input",
            GST_AUDIO_INFO_RATE (&in)),
        ("no output caps for %" GST_PTR_FORMAT, caps));
    gst_clear_caps (&out_caps);
    return FALSE;
  }
  ratio = (double) GST_AUDIO_INFO_RATE (&out) / GST_AUDIO_INFO_RATE (&in);
  if (!kithara_src_ratio_is_valid (ratio)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot resample from %d Hz to %d Hz", GST_AUDIO_INFO_RATE (&in),
            GST_AUDIO_INFO_RATE (&out)),
        ("the ratio %g is outside the range 1/256 to 256", ratio));
    gst_caps_unref (out_caps);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%d Hz -> %" GST_PTR_FORMAT,
      GST_AUDIO_INFO_RATE (&in), out_caps);

  GST_OBJECT_LOCK (self);
  quality = self->quality;
  engine = self->engine;
  playback_rate = self->playback_rate;
  GST_OBJECT_UNLOCK (self);

  self->in_info = in;
  self->out_info = out;
  gst_caps_take (&self->out_caps, out_caps);
  self->history = g_renew (float, self->history,
      (gsize) HISTORY_FRAMES * GST_AUDIO_INFO_CHANNELS (&in));
  self->history_len = 0;
  self->need_base = TRUE;
  self->clamp_warned = FALSE;
  self->passthrough = ratio == 1.0 && playback_rate == 1.0;
  kithara_src_free (self->src);
  self->src = NULL;
  if (!self->passthrough && !make_converter (self, engine, quality,
          current_ratio (self, playback_rate)))
    return FALSE;
  update_latency (self);
  self->configured = TRUE;
  return TRUE;
}

static GstCaps *
gst_kithara_resample_output_caps (GstKitharaElement * element, GstCaps * caps)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);

  return gst_caps_ref (self->out_caps ? self->out_caps : caps);
}

static void
sync_controller (GstKitharaResample * self, GstClockTime pts)
{
  const GstSegment *segment =
      gst_kithara_element_get_segment (GST_KITHARA_ELEMENT (self));
  GstClockTime stream_time;

  if (!GST_CLOCK_TIME_IS_VALID (pts) || segment->format != GST_FORMAT_TIME)
    return;
  stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (self), stream_time);
}

/* Handles a DISCONT flag or a timestamp jump: drains and resyncs. */
static GstFlowReturn
check_discont (GstKitharaResample * self, GstBuffer * buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), expected;
  gboolean discont = GST_BUFFER_IS_DISCONT (buf);
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->need_base)
    return GST_FLOW_OK;
  expected = self->in_base_ts + gst_util_uint64_scale_int (self->in_samples,
      GST_SECOND, GST_AUDIO_INFO_RATE (&self->in_info));
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_DIFF (pts, expected) >
      (GstClockTimeDiff) DISCONT_THRESHOLD)
    discont = TRUE;
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_DIFF (expected, pts) >
      (GstClockTimeDiff) DISCONT_THRESHOLD)
    discont = TRUE;
  if (discont) {
    GST_DEBUG_OBJECT (self, "discontinuity at %" GST_TIME_FORMAT
        " (expected %" GST_TIME_FORMAT ")", GST_TIME_ARGS (pts),
        GST_TIME_ARGS (expected));
    ret = drain_converter (self);
    self->need_base = TRUE;
  }
  return ret;
}

static GstFlowReturn
gst_kithara_resample_handle_buffer (GstKitharaElement * element,
    GstBuffer * buf)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);
  GstKitharaResampleQuality quality;
  GstKitharaResampleEngine engine;
  gdouble playback_rate, start_rate, mean_rate;
  GstClockTime now;
  GstFlowReturn ret;
  GstMapInfo map;
  const float *in, *out;
  gsize frames, out_frames;
  double ratio;

  release_stream_start (self);
  frames = gst_buffer_get_size (buf) / GST_AUDIO_INFO_BPF (&self->in_info);
  if (frames == 0) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  /* A controlled playback rate is sampled at both ends of the buffer: the
   * ratio glides from the start value (where the previous buffer ended)
   * to the end value. */
  sync_controller (self, GST_BUFFER_PTS (buf));
  GST_OBJECT_LOCK (self);
  start_rate = self->playback_rate;
  GST_OBJECT_UNLOCK (self);
  if (GST_BUFFER_PTS_IS_VALID (buf))
    sync_controller (self, GST_BUFFER_PTS (buf) + gst_util_uint64_scale_int
        (frames, GST_SECOND, GST_AUDIO_INFO_RATE (&self->in_info)));
  GST_OBJECT_LOCK (self);
  quality = self->quality;
  engine = self->engine;
  playback_rate = self->playback_rate;
  GST_OBJECT_UNLOCK (self);

  ret = check_discont (self, buf);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buf);
    return ret;
  }
  if (self->need_base) {
    const GstSegment *segment =
        gst_kithara_element_get_segment (GST_KITHARA_ELEMENT (self));
    GstClockTime ts = GST_BUFFER_PTS (buf);

    if (!GST_CLOCK_TIME_IS_VALID (ts))
      ts = segment->format == GST_FORMAT_TIME ? segment->start : 0;
    set_base (self, ts, output_time_of (self, ts));
  }

  ratio = current_ratio (self, playback_rate);
  if (self->passthrough && (playback_rate != 1.0 || start_rate != 1.0)) {
    /* Leave passthrough: start a converter on the recent input at ratio
     * 1 (where its output grid is the input grid), continuing the
     * timeline from this buffer on. */
    GST_DEBUG_OBJECT (self, "playback rate %g, leaving passthrough",
        playback_rate);
    if (!make_converter (self, engine, quality, ratio)) {
      gst_buffer_unref (buf);
      return GST_FLOW_ERROR;
    }
    kithara_src_prime (self->src, self->history, self->history_len);
    now = self->in_base_ts + gst_util_uint64_scale_int (self->in_samples,
        GST_SECOND, GST_AUDIO_INFO_RATE (&self->in_info));
    set_base (self, now, output_time_of (self, now));
    self->passthrough = FALSE;
    update_latency (self);
  }

  if (self->passthrough) {
    gst_buffer_map (buf, &map, GST_MAP_READ);
    remember (self, input_as_float (self, &map), frames);
    gst_buffer_unmap (buf, &map);
    self->in_samples += frames;
    return gst_kithara_element_push (element, buf);
  }

  /* Not passing through and no converter: a flush ended passthrough
   * after a rate change (change speed, then cue), so start one here. */
  if (self->src == NULL) {
    if (!make_converter (self, engine, quality, ratio)) {
      gst_buffer_unref (buf);
      return GST_FLOW_ERROR;
    }
  }

  if (quality != self->applied_quality || engine != self->applied_engine) {
    GST_DEBUG_OBJECT (self, "engine %d -> %d, quality %d -> %d",
        self->applied_engine, engine, self->applied_quality, quality);
    ret = drain_converter (self);
    if (!make_converter (self, engine, quality, ratio)) {
      gst_buffer_unref (buf);
      return GST_FLOW_ERROR;
    }
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
  }

  kithara_src_begin (self->src, current_ratio (self, start_rate));
  /* The buffer's output lasts as long as its mean ratio says (a change
   * glides): that is the rate on the output's timeline. */
  mean_rate = (double) GST_AUDIO_INFO_RATE (&self->out_info) /
      GST_AUDIO_INFO_RATE (&self->in_info) /
      kithara_src_get_mean_ratio (self->src, ratio);
  if (fabs (mean_rate - self->segment_rate) > 1e-9 * mean_rate)
    change_segment_rate (self, mean_rate, GST_BUFFER_PTS (buf));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  in = input_as_float (self, &map);
  out = kithara_src_process (self->src, in, frames, ratio, &out_frames);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  self->in_samples += frames;
  if (out == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("the converter failed to convert"));
    return GST_FLOW_ERROR;
  }
  return push_frames (self, out, out_frames);
}

static gboolean
gst_kithara_resample_handle_event (GstKitharaElement * element,
    GstEvent * event)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      /* A new stream (a deck's next track): held, see release_stream_start
       * (). */
      gst_event_replace (&self->stream_start, event);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_SEGMENT:
      release_stream_start (self);
      /* A segment that goes on from the input so far, in running time (a
       * deck's next track, a loop's next repeat): the converter goes on
       * too.  Otherwise a new timeline: finish the old one. */
      if (continues_input (self, event))
        return continue_segment (self, event);
      drain_converter (self);
      self->need_base = TRUE;
      gst_event_copy_segment (event, &self->in_segment);
      return start_segment (self, event);
    case GST_EVENT_GAP:
      release_stream_start (self);
      /* A hole in the timeline: finish what came before it. */
      drain_converter (self);
      self->need_base = TRUE;
      return push_gap (self, event);
    default:
      release_stream_start (self);
      break;
  }
  return gst_kithara_element_push_event (element, event);
}

static GstFlowReturn
gst_kithara_resample_drain (GstKitharaElement * element)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);
  GstFlowReturn ret = drain_converter (self);

  release_stream_start (self);
  self->need_base = TRUE;
  return ret;
}

static void
gst_kithara_resample_flush (GstKitharaElement * element)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);
  gdouble playback_rate;

  GST_OBJECT_LOCK (self);
  playback_rate = self->playback_rate;
  GST_OBJECT_UNLOCK (self);

  if (self->src)
    kithara_src_reset (self->src);
  self->need_base = TRUE;
  self->history_len = 0;
  if (self->configured)
    self->passthrough = GST_AUDIO_INFO_RATE (&self->in_info) ==
        GST_AUDIO_INFO_RATE (&self->out_info) && playback_rate == 1.0;
}

static GstClockTime
gst_kithara_resample_get_latency (GstKitharaElement * element)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (element);
  GstClockTime latency;

  GST_OBJECT_LOCK (self);
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  return latency;
}

/* The process-wide count of converter types measured: a converter of a
 * type already measured (same engine, quality and ratio) adds none. */
static void
gst_kithara_resample_extend_stats (GstKitharaElement * element,
    GstStructure * stats)
{
  gst_structure_set (stats, "converter-measurements", G_TYPE_UINT,
      kithara_src_get_measurements (), NULL);
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
gst_kithara_resample_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (object);

  switch (prop_id) {
    case PROP_QUALITY:
      GST_OBJECT_LOCK (self);
      self->quality = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PLAYBACK_RATE:
      GST_OBJECT_LOCK (self);
      self->playback_rate = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ENGINE:
      GST_OBJECT_LOCK (self);
      self->engine = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_resample_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (object);

  switch (prop_id) {
    case PROP_QUALITY:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->quality);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PLAYBACK_RATE:
      GST_OBJECT_LOCK (self);
      g_value_set_double (value, self->playback_rate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ENGINE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->engine);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_resample_finalize (GObject * object)
{
  GstKitharaResample *self = GST_KITHARA_RESAMPLE (object);

  kithara_src_free (self->src);
  gst_clear_caps (&self->out_caps);
  gst_clear_event (&self->stream_start);
  g_free (self->scratch);
  g_free (self->history);
  G_OBJECT_CLASS (gst_kithara_resample_parent_class)->finalize (object);
}

static void
gst_kithara_resample_init (GstKitharaResample * self)
{
  self->quality = DEFAULT_QUALITY;
  self->engine = DEFAULT_ENGINE;
  self->playback_rate = DEFAULT_PLAYBACK_RATE;
  self->applied_quality = DEFAULT_QUALITY;
  self->applied_engine = DEFAULT_ENGINE;
  self->need_base = TRUE;
  gst_segment_init (&self->out_segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&self->in_segment, GST_FORMAT_UNDEFINED);
  self->segment_rate = 1.0;
  gst_audio_info_init (&self->in_info);
  gst_audio_info_init (&self->out_info);
}

static void
gst_kithara_resample_class_init (GstKitharaResampleClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kithara_class = GST_KITHARA_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_resample_debug, "kithararesample", 0,
      "Kithara resampler");

  gobject_class->set_property = gst_kithara_resample_set_property;
  gobject_class->get_property = gst_kithara_resample_get_property;
  gobject_class->finalize = gst_kithara_resample_finalize;

  kithara_class->set_caps = GST_DEBUG_FUNCPTR (gst_kithara_resample_set_caps);
  kithara_class->output_caps =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_output_caps);
  kithara_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_transform_caps);
  kithara_class->handle_buffer =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_handle_buffer);
  kithara_class->handle_event =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_handle_event);
  kithara_class->drain = GST_DEBUG_FUNCPTR (gst_kithara_resample_drain);
  kithara_class->flush = GST_DEBUG_FUNCPTR (gst_kithara_resample_flush);
  kithara_class->get_latency =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_get_latency);
  kithara_class->extend_stats =
      GST_DEBUG_FUNCPTR (gst_kithara_resample_extend_stats);

  g_object_class_install_property (gobject_class, PROP_QUALITY,
      g_param_spec_enum ("quality", "Quality",
          "Converter, by libsamplerate's names (the gstreamer engine uses a "
          "filter of comparable SNR); a change while playing applies from "
          "the next buffer (the old converter's tail is drained, nothing is "
          "dropped)", GST_TYPE_KITHARA_RESAMPLE_QUALITY, DEFAULT_QUALITY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ENGINE,
      g_param_spec_enum ("engine", "Engine",
          "Library that converts; a change while playing applies from the "
          "next buffer, as for quality", GST_TYPE_KITHARA_RESAMPLE_ENGINE,
          DEFAULT_ENGINE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PLAYBACK_RATE,
      g_param_spec_double ("playback-rate", "Playback rate",
          "Varispeed: play this many times faster (pitch included); changes "
          "glide over one buffer", MIN_PLAYBACK_RATE, MAX_PLAYBACK_RATE,
          DEFAULT_PLAYBACK_RATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara audio resampler", "Filter/Converter/Audio",
      "Resamples audio with libsamplerate or GStreamer's resampler, with "
      "varispeed and exact timestamps, on the shared kithara worker",
      "Kithara developers");

  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_RESAMPLE_QUALITY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_RESAMPLE_ENGINE, 0);
}
