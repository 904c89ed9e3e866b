/**
 * SECTION:element-kitharamixer
 * @title: kitharamixer
 *
 * Mixes any number of inputs (request pads `sink_%u`, each with
 * #GstKitharaMixerPad:volume, #GstKitharaMixerPad:mute and
 * #GstKitharaMixerPad:service-class) on the kithara worker, in blocks of
 * #GstKitharaMixer:block-time, into a bounded output queue of
 * #GstKitharaMixer:latency.  One streaming thread (the src pad's task)
 * pushes the blocks downstream, so a clock-syncing sink such as
 * autoaudiosink blocks that thread and never the worker.
 *
 * The output is F32 interleaved at the rate and channels downstream
 * accepts, preferring those of the first input; inputs in another format
 * are converted (upstream elements are offered the output format first,
 * so a kithararesample in front of a pad resamples to it).
 *
 * Timing: an input's first data lands at its running time, or at once if
 * that has passed (a deck added while playing starts playing
 * immediately); then its samples follow one another, and a timestamp gap
 * becomes silence.  A block is mixed once every input has data for it or
 * is at EOS.  While PLAYING, an input that is still missing data when the
 * block is due (half a block before the sink needs it) is left out of that
 * block, so a stalled input never stalls the heard ones; its late samples
 * are dropped and counted.  A block still missing when it is due (the
 * worker itself is held up), or reaching the sink after its time, is an
 * underrun: counted in #GstKitharaElement:stats and reported by a
 * "kithara-underrun" element message at the start of each burst.
 *
 * Service classes follow the listener: while the mixer is PLAYING, the
 * chain feeding an input with volume > 0 that is not muted is audible, the
 * others warm; PAUSED makes them all warm.
 *
 * EOS is sent once every input is at EOS.  A seek on the mixer is sent to
 * every input; a flushing one restarts the output at the new position, a
 * non-flushing one (a loop's next repeat, after SEGMENT_DONE) continues
 * it: the output takes the new segment where the inputs take theirs.
 * Pads can be requested and released while PLAYING.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 kitharamixer name=m sink_1::volume=0.5 ! autoaudiosink \
 *     filesrc location=a.flac ! kitharadecode ! kithararesample ! m. \
 *     filesrc location=b.flac ! kitharadecode ! kithararesample ! m.
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <gst/audio/audio.h>
#include "gstkitharamixer.h"
#include "gstkitharamixerpad.h"
#include "gstkitharaelements.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_mixer_debug);
#define GST_CAT_DEFAULT gst_kithara_mixer_debug

#define DEFAULT_BLOCK_TIME (10 * GST_MSECOND)
#define DEFAULT_LATENCY (50 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_BLOCK_TIME,
  PROP_LATENCY,
};

struct _GstKitharaMixer
{
  GstKitharaElement parent;

  GstPad *srcpad;
  KitharaOutlet *outlet;        /* the exit: the src pad's task pushes */
  GPtrArray *pads;              /* GstKitharaMixerPad, reffed; changed
                                 * under the tick lock */
  guint next_pad_id;
  gint heard;                   /* atomic: PLAYING */
  gint force;                   /* atomic: mix the next block now */

  /* Output state: on the worker, or under the tick lock. */
  gboolean configured;
  GstAudioInfo out_info;
  guint block_frames;
  guint64 out_frames;           /* frames mixed since the last flush: the
                                 * output's running time in frames */
  GstSegment out_segment;       /* its base: the running time of the
                                 * frame where it began */
  gboolean segment_pending;
  gboolean eos_sent;
  guint32 seek_seqnum;
  /* A non-flushing seek: the segment the output takes where the inputs
   * take theirs, after the current one's data. */
  GstSegment next_segment;
  gboolean next_pending;
  guint32 next_seqnum;
  guint64 next_start;           /* its first frame, once an input took it;
                                 * G_MAXUINT64 until then */
  gboolean between_segments;    /* SEGMENT_DONE went out, no block since */

  /* Under the object lock. */
  guint64 forced_blocks;

  /* Properties, under the object lock. */
  GstClockTime block_time;
  GstClockTime latency;
};

static void gst_kithara_mixer_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstKitharaMixer, gst_kithara_mixer,
    GST_TYPE_KITHARA_ELEMENT, G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_kithara_mixer_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE (kitharamixer, "kitharamixer", GST_RANK_NONE,
    GST_TYPE_KITHARA_MIXER);

#define OUT_CAPS "audio/x-raw, format = (string) " GST_AUDIO_NE (F32) \
    ", layout = (string) interleaved, rate = (int) [ 1, MAX ], " \
    "channels = (int) [ 1, MAX ]"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (OUT_CAPS));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE
    ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw, layout = (string) interleaved"));

#define NODE(self) gst_kithara_element_get_node (GST_KITHARA_ELEMENT (self))
#define PAD(self, i) \
    ((GstKitharaMixerPad *) g_ptr_array_index ((self)->pads, (i)))

/* ------------------------------------------------------------------ */
/* Service classes: each input's chain is told whether it is heard. */

/* The mixer's node runs at the most urgent class among its pads, warm
 * while no pad has announced one. */
static void
update_mixer_class (GstKitharaMixer * self)
{
  gint best = KITHARA_N_SERVICE_CLASSES;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    gint announced = g_atomic_int_get (&GST_KITHARA_MIXER_PAD
        (l->data)->announced_class);

    if (announced >= 0 && announced < best)
      best = announced;
  }
  GST_OBJECT_UNLOCK (self);
  gst_kithara_element_set_followed_class (GST_KITHARA_ELEMENT (self),
      best < KITHARA_N_SERVICE_CLASSES ? best : KITHARA_SERVICE_CLASS_WARM);
}

/* Announces the pad's class upstream if it changed (@force: in any case,
 * e.g. for a new stream whose elements have not heard it yet). */
static void
update_pad_class (GstKitharaMixer * self, GstKitharaMixerPad * pad,
    gboolean force)
{
  KitharaServiceClass cls = gst_kithara_mixer_pad_get_class (pad,
      g_atomic_int_get (&self->heard));

  if (g_atomic_int_exchange (&pad->announced_class, cls) == (gint) cls &&
      !force)
    return;
  GST_DEBUG_OBJECT (pad, "chain is %s", cls == 0 ? "audible" :
      cls == 1 ? "warm" : "idle");
  gst_pad_push_event (GST_PAD (pad), kithara_service_class_event_new (cls));
  update_mixer_class (self);
}

static gpointer
ref_pad (gconstpointer pad, gpointer unused)
{
  return gst_object_ref ((gpointer) pad);
}

/* The sink pads, each with a reference: to call out without the lock. */
static GList *
ref_sink_pads (GstKitharaMixer * self)
{
  GList *pads;

  GST_OBJECT_LOCK (self);
  pads = g_list_copy_deep (GST_ELEMENT (self)->sinkpads, ref_pad, NULL);
  GST_OBJECT_UNLOCK (self);
  return pads;
}

static void
update_all_classes (GstKitharaMixer * self)
{
  GList *pads, *l;

  pads = ref_sink_pads (self);
  for (l = pads; l; l = l->next)
    update_pad_class (self, l->data, FALSE);
  g_list_free_full (pads, gst_object_unref);
}

static void
pad_property_changed (GObject * pad, GParamSpec * pspec, gpointer user_data)
{
  update_pad_class (GST_KITHARA_MIXER (user_data), GST_KITHARA_MIXER_PAD (pad),
      FALSE);
}

/* The mixer itself is an exit: downstream announcements do not apply. */
static void
gst_kithara_mixer_follow_service_class (GstKitharaElement * base,
    KitharaServiceClass announced)
{
}

/* ------------------------------------------------------------------ */
/* Output negotiation: what downstream wants, else the best input */

/* Raises @rate and @channels to those of @caps where they are higher. */
static void
widen_format (GstCaps * caps, gint * rate, gint * channels)
{
  GstStructure *s;
  gint r = 0, c = 0;

  if (caps == NULL || gst_caps_is_empty (caps))
    return;
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_get_int (s, "rate", &r) && r > *rate)
    *rate = r;
  if (gst_structure_get_int (s, "channels", &c) && c > *channels)
    *channels = c;
}

/* The highest rate and the most channels among the inputs' caps: @handling
 * (those of the caps event being handled, if any: its pad makes them
 * current only when its event function has returned, which may be after
 * the worker took the event from the inlet), and each pad's current caps,
 * or those it handled last. */
static void
best_input_format (GstKitharaMixer * self, GstCaps * handling, gint * rate,
    gint * channels)
{
  guint i;

  *rate = 0;
  *channels = 0;
  widen_format (handling, rate, channels);
  for (i = 0; i < self->pads->len; i++) {
    GstCaps *caps = gst_pad_get_current_caps (GST_PAD (PAD (self, i)));

    if (caps == NULL && PAD (self, i)->caps)
      caps = gst_caps_ref (PAD (self, i)->caps);
    widen_format (caps, rate, channels);
    gst_clear_caps (&caps);
  }
}

/* Downstream's choice first; among what it leaves open, the best input
 * format (as audiomixer: a later, better deck does not degrade to a first
 * deck's 8 kHz mono); else 48 kHz stereo. */
static GstCaps *
choose_output_caps (GstKitharaMixer * self, GstCaps * handling)
{
  GstCaps *templ = gst_pad_get_pad_template_caps (self->srcpad);
  GstCaps *peer = gst_pad_peer_query_caps (self->srcpad, templ);
  GstCaps *like_inputs, *preferred;
  GstStructure *s;
  gint rate, channels;

  gst_caps_unref (templ);
  if (gst_caps_is_empty (peer)) {
    gst_caps_unref (peer);
    return NULL;
  }
  best_input_format (self, handling, &rate, &channels);
  like_inputs = gst_caps_new_empty_simple ("audio/x-raw");
  if (rate > 0)
    gst_caps_set_simple (like_inputs, "rate", G_TYPE_INT, rate, NULL);
  if (channels > 0)
    gst_caps_set_simple (like_inputs, "channels", G_TYPE_INT, channels, NULL);
  preferred = gst_caps_intersect (peer, like_inputs);
  gst_caps_unref (like_inputs);
  if (!gst_caps_is_empty (preferred))
    gst_caps_take (&peer, preferred);
  else
    gst_caps_unref (preferred);

  peer = gst_caps_truncate (peer);
  peer = gst_caps_make_writable (peer);
  s = gst_caps_get_structure (peer, 0);
  gst_structure_fixate_field_nearest_int (s, "rate", rate > 0 ? rate : 48000);
  gst_structure_fixate_field_nearest_int (s, "channels",
      channels > 0 ? channels : 2);
  if (gst_structure_get_int (s, "channels", &channels) && channels > 2 &&
      !gst_structure_has_field (s, "channel-mask"))
    gst_structure_set (s, "channel-mask", GST_TYPE_BITMASK,
        gst_audio_channel_get_fallback_mask (channels), NULL);
  return gst_caps_fixate (peer);
}

/* The inputs convert to the new output format; what they hold in the old
 * one is dropped, and each lands again at its running time. */
static void
convert_inputs (GstKitharaMixer * self)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstKitharaMixerPad *pad = PAD (self, i);

    if (!pad->has_format)
      continue;
    gst_adapter_clear (pad->adapter);
    pad->joined = FALSE;
    pad->placed = FALSE;        /* its end was in frames of the old rate */
    if (!gst_kithara_mixer_pad_set_format (pad, pad->caps, &self->out_info))
      pad->failed = TRUE;
  }
}

/* Chooses the output format: at the first input caps (@handling), and
 * again when downstream asks (RECONFIGURE) and no longer takes the
 * current one. */
static gboolean
configure_output (GstKitharaMixer * self, GstCaps * handling)
{
  GstCaps *caps = choose_output_caps (self, handling);
  GstAudioInfo old = self->out_info;
  GstClockTime block_time;

  if (caps == NULL || !gst_audio_info_from_caps (&self->out_info, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream accepts no F32 audio."),
        ("no output format for the inputs"));
    gst_clear_caps (&caps);
    self->out_info = old;
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  block_time = self->block_time;
  GST_OBJECT_UNLOCK (self);
  self->block_frames = MAX (1, gst_util_uint64_scale_round (block_time,
          GST_AUDIO_INFO_RATE (&self->out_info), GST_SECOND));
  GST_INFO_OBJECT (self, "output %" GST_PTR_FORMAT ", blocks of %u frames",
      caps, self->block_frames);

  if (!self->configured) {
    /* A new stream of its own (there is no single upstream id to derive
     * it from), like aggregator's. */
    gchar *stream_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
        g_random_int (), g_random_int (), g_random_int ());

    kithara_outlet_push_event (self->outlet, gst_event_new_stream_start
        (stream_id));
    g_free (stream_id);
    self->segment_pending = TRUE;
  } else {
    /* The output goes on at the same time in the new rate. */
    self->out_frames = gst_util_uint64_scale_round (self->out_frames,
        GST_AUDIO_INFO_RATE (&self->out_info), GST_AUDIO_INFO_RATE (&old));
    convert_inputs (self);
  }
  kithara_outlet_push_event (self->outlet, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  self->configured = TRUE;
  return TRUE;
}

/* Before a block: downstream asked for renegotiation (relinked, a
 * capsfilter changed) and no longer takes the current output. */
static gboolean
reconfigure_if_asked (GstKitharaMixer * self)
{
  GstCaps *current;
  gboolean accepted;

  if (!self->configured || !gst_pad_check_reconfigure (self->srcpad))
    return TRUE;
  current = gst_audio_info_to_caps (&self->out_info);
  accepted = gst_pad_peer_query_accept_caps (self->srcpad, current);
  gst_caps_unref (current);
  if (accepted)
    return TRUE;
  GST_DEBUG_OBJECT (self, "downstream asks for another output format");
  return configure_output (self, NULL);
}

/* ------------------------------------------------------------------ */
/* The node: take input, mix one block */

static GstClockTime
frames_to_time (GstKitharaMixer * self, guint64 frames)
{
  return gst_util_uint64_scale_round (frames, GST_SECOND,
      GST_AUDIO_INFO_RATE (&self->out_info));
}

/* The timestamp of output frame @frame, whose running time is
 * frames_to_time (@frame).  (Not before the segment's first frame, even
 * if a change of the output rate rounded the frame count down.) */
static GstClockTime
frame_pts (GstKitharaMixer * self, guint64 frame)
{
  GstClockTime running_time = frames_to_time (self, frame);

  return self->out_segment.start + (running_time > self->out_segment.base ?
      running_time - self->out_segment.base : 0);
}

/* The segment of a non-flushing seek starts at the current frame; the
 * running time goes on.  Its SEGMENT goes out before the next block. */
static void
start_next_segment (GstKitharaMixer * self)
{
  GST_DEBUG_OBJECT (self, "segment of seek %u starts at frame %"
      G_GUINT64_FORMAT, self->next_seqnum, self->out_frames);
  self->out_segment = self->next_segment;
  self->out_segment.base = frames_to_time (self, self->out_frames);
  self->seek_seqnum = self->next_seqnum;
  self->next_pending = FALSE;
  self->next_start = G_MAXUINT64;
  self->segment_pending = TRUE;
}

static void
pad_fail (GstKitharaMixer * self, GstKitharaMixerPad * pad, GstFlowReturn ret)
{
  pad->failed = TRUE;
  kithara_inlet_set_closed (pad->inlet, ret);
}

static void
handle_pad_event (GstKitharaMixer * self, GstKitharaMixerPad * pad,
    GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      pad->eos = FALSE;
      pad->segment_done = FALSE;
      /* A new stream: its elements may not have heard the class yet. */
      update_pad_class (self, pad, TRUE);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      if (!self->configured && !configure_output (self, caps)) {
        pad_fail (self, pad, GST_FLOW_NOT_NEGOTIATED);
        break;
      }
      if (!gst_kithara_mixer_pad_set_format (pad, caps, &self->out_info)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("%s: cannot convert %" GST_PTR_FORMAT " to the output format",
                GST_PAD_NAME (pad), caps));
        pad_fail (self, pad, GST_FLOW_NOT_NEGOTIATED);
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &pad->segment);
      pad->joined = FALSE;      /* re-anchor at the next data */
      /* An input takes the segment of a non-flushing seek in the middle
       * of the current one (there is no segment end to wait for): its
       * data goes on after what it has queued, and the output takes the
       * segment there.  (Another input may switch a little apart: its
       * data around there is only stamped in the other segment.) */
      if (self->next_pending && self->next_start == G_MAXUINT64 &&
          gst_event_get_seqnum (event) == self->next_seqnum)
        self->next_start = MAX (self->out_frames,
            gst_kithara_mixer_pad_end_frame (pad));
      break;
    case GST_EVENT_SEGMENT_DONE:
      /* Mixed to its end, then passed on once every input is there. */
      pad->segment_done = TRUE;
      break;
    case GST_EVENT_GAP:
      if (pad->has_format) {
        GstClockTime ts, duration;

        gst_event_parse_gap (event, &ts, &duration);
        gst_kithara_mixer_pad_add_gap (pad, ts, duration, &self->out_info,
            self->out_frames);
      }
      break;
    case GST_EVENT_EOS:
      GST_DEBUG_OBJECT (pad, "EOS");
      pad->eos = TRUE;
      break;
    default:
      break;
  }
  gst_event_unref (event);
}

/* Takes input from the pad's inlet until the pad has data up to the end
 * of the next block (before the output format is known: until caps). */
static void
fill_pad (GstKitharaMixer * self, GstKitharaMixerPad * pad)
{
  while (!pad->eos && !pad->failed && !pad->segment_done) {
    GstMiniObject *item;

    if (self->configured && pad->joined &&
        gst_kithara_mixer_pad_end_frame (pad) >= self->out_frames +
        self->block_frames)
      return;
    item = kithara_inlet_pop (pad->inlet);
    if (item == NULL)
      return;
    if (GST_IS_EVENT (item)) {
      handle_pad_event (self, pad, GST_EVENT (item));
      continue;
    }
    if (GST_IS_QUERY (item)) {
      /* An allocation query is about this input's format, not the mix's:
       * answered here, with no proposal.  A drain (or another serialized
       * query) follows the blocks mixed so far out through the exit: its
       * sender learns that what it sent before has been pushed
       * downstream, as from audiomixer. */
      if (GST_QUERY_TYPE (item) == GST_QUERY_ALLOCATION)
        kithara_stream_query_done (GST_QUERY (item), TRUE);
      else
        gst_kithara_element_push_query (GST_KITHARA_ELEMENT (self),
            GST_QUERY (item));
      continue;
    }
    if (!pad->has_format) {
      gst_mini_object_unref (item);
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
          ("%s: received a buffer before caps", GST_PAD_NAME (pad)));
      pad_fail (self, pad, GST_FLOW_NOT_NEGOTIATED);
      return;
    }
    gst_kithara_mixer_pad_add_buffer (pad, GST_BUFFER (item), &self->out_info,
        self->out_frames);
  }
}

/* No more data: at EOS, or at the end of its segment. */
static gboolean
pad_ended (GstKitharaMixerPad * pad)
{
  return pad->eos || pad->segment_done;
}

static gboolean
pad_finished (GstKitharaMixer * self, GstKitharaMixerPad * pad)
{
  return pad->failed || (pad_ended (pad) &&
      gst_kithara_mixer_pad_end_frame (pad) <= self->out_frames);
}

static gboolean
pad_ready (GstKitharaMixer * self, GstKitharaMixerPad * pad)
{
  return pad->failed || pad_ended (pad) || (pad->joined &&
      gst_kithara_mixer_pad_end_frame (pad) >= self->out_frames +
      self->block_frames);
}

static void
push_segment (GstKitharaMixer * self)
{
  GstEvent *event = gst_event_new_segment (&self->out_segment);

  if (self->seek_seqnum != GST_SEQNUM_INVALID)
    gst_event_set_seqnum (event, self->seek_seqnum);
  kithara_outlet_push_event (self->outlet, event);
  self->segment_pending = FALSE;
}

/* Mixes @frames frames starting at out_frames into a new buffer. */
static GstBuffer *
mix_block (GstKitharaMixer * self, guint frames, gboolean forced)
{
  guint channels = GST_AUDIO_INFO_CHANNELS (&self->out_info);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) frames *
      GST_AUDIO_INFO_BPF (&self->out_info), NULL);
  GstClockTime start = frame_pts (self, self->out_frames);
  GstClockTime end = frame_pts (self, self->out_frames + frames);
  GstClockTime stream_end = gst_segment_to_stream_time (&self->out_segment,
      GST_FORMAT_TIME, end);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);
  for (i = 0; i < self->pads->len; i++) {
    GstKitharaMixerPad *pad = PAD (self, i);

    if (pad->failed || !pad->has_format)
      continue;
    if (forced && !pad_ready (self, pad))
      __atomic_fetch_add (&pad->missed_blocks, 1, __ATOMIC_RELAXED);
    /* Controlled volume and mute take their value at the block's end;
     * the gain glides there over the block. */
    if (GST_CLOCK_TIME_IS_VALID (stream_end))
      gst_object_sync_values (GST_OBJECT (pad), stream_end);
    gst_kithara_mixer_pad_mix (pad, (gfloat *) map.data, self->out_frames,
        frames, channels, gst_kithara_mixer_pad_get_target_gain (pad));
  }
  gst_buffer_unmap (buf, &map);

  GST_BUFFER_PTS (buf) = start;
  GST_BUFFER_DURATION (buf) = end - start;
  GST_BUFFER_OFFSET (buf) = self->out_frames;
  GST_BUFFER_OFFSET_END (buf) = self->out_frames + frames;
  if (self->out_frames == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->out_frames += frames;
  self->between_segments = FALSE;
  return buf;
}

/* Every input is at the end of its segment (a segment seek): the mix is
 * too; the inputs take the next segment's data after this, and the output
 * the next segment, if a non-flushing seek asked for one already. */
static KitharaTickResult
segment_done (GstKitharaMixer * self)
{
  GstEvent *done = gst_event_new_segment_done (GST_FORMAT_TIME,
      frame_pts (self, self->out_frames));
  guint i;

  GST_DEBUG_OBJECT (self, "every input is at the end of its segment");
  if (self->seek_seqnum != GST_SEQNUM_INVALID)
    gst_event_set_seqnum (done, self->seek_seqnum);
  kithara_outlet_push_event (self->outlet, done);
  for (i = 0; i < self->pads->len; i++)
    PAD (self, i)->segment_done = FALSE;
  self->between_segments = TRUE;
  if (self->next_pending)
    start_next_segment (self);
  return KITHARA_TICK_PROGRESS;
}

static KitharaTickResult
finish (GstKitharaMixer * self)
{
  GstEvent *eos = gst_event_new_eos ();

  GST_DEBUG_OBJECT (self, "every input is at EOS");
  if (self->seek_seqnum != GST_SEQNUM_INVALID)
    gst_event_set_seqnum (eos, self->seek_seqnum);
  kithara_outlet_push_event (self->outlet, eos);
  self->eos_sent = TRUE;
  return KITHARA_TICK_DONE;
}

/* Hands a block to the src task.  Its flow only says FLUSHING (a seek is
 * under way, the node is woken after) or that downstream is done. */
static KitharaTickResult
push_block (GstKitharaMixer * self, GstBuffer * block)
{
  GstFlowReturn ret = kithara_outlet_push (self->outlet, block);

  switch (ret) {
    case GST_FLOW_OK:
    case KITHARA_FLOW_FULL:
      return KITHARA_TICK_PROGRESS;
    case GST_FLOW_FLUSHING:
      return KITHARA_TICK_WAITING;
    default:
      /* The src task posted any error; nothing more to mix. */
      GST_DEBUG_OBJECT (self, "downstream: %s", gst_flow_get_name (ret));
      self->eos_sent = TRUE;
      return KITHARA_TICK_DONE;
  }
}

/* Takes input and mixes the next block if it can. */
static KitharaTickResult
mix_next (GstKitharaMixer * self)
{
  gboolean all_ready = TRUE, all_finished = TRUE, any_block = FALSE;
  gboolean all_eos = TRUE;
  gboolean forced;
  guint64 last_end = 0;
  guint i, frames;

  if (self->eos_sent)
    return KITHARA_TICK_DONE;
  /* Room first, so a mixed block is never thrown away. */
  if (kithara_outlet_is_full (self->outlet))
    return KITHARA_TICK_WAITING;

  for (i = 0; i < self->pads->len; i++)
    fill_pad (self, PAD (self, i));
  if (!self->configured)
    return KITHARA_TICK_WAITING;
  if (!reconfigure_if_asked (self))
    return finish (self);
  if (self->next_pending && self->next_start <= self->out_frames)
    start_next_segment (self);
  if (self->segment_pending)
    push_segment (self);
  forced = g_atomic_int_exchange (&self->force, 0);
  if (self->pads->len == 0) {
    /* Every input was released: keep a playing sink fed with silence. */
    if (!forced)
      return KITHARA_TICK_WAITING;
    return push_block (self, mix_block (self, self->block_frames, FALSE));
  }

  for (i = 0; i < self->pads->len; i++) {
    GstKitharaMixerPad *pad = PAD (self, i);

    all_ready &= pad_ready (self, pad);
    all_finished &= pad_finished (self, pad);
    all_eos &= pad->failed || pad->eos;
    if (!pad->failed && pad->joined) {
      guint64 end = gst_kithara_mixer_pad_end_frame (pad);

      last_end = MAX (last_end, end);
      any_block |= end >= self->out_frames + self->block_frames;
    }
  }
  if (all_finished)
    return all_eos ? finish (self) : segment_done (self);
  if (!all_ready && !forced)
    return KITHARA_TICK_WAITING;

  /* Every input at EOS with less than a block left: a short last block. */
  frames = self->block_frames;
  if (all_ready && !any_block && last_end > self->out_frames)
    frames = MIN (frames, last_end - self->out_frames);
  /* And a block ends where the segment of a non-flushing seek starts. */
  if (self->next_pending && self->next_start < self->out_frames + frames)
    frames = self->next_start - self->out_frames;
  if (forced && !all_ready) {
    GST_OBJECT_LOCK (self);
    self->forced_blocks++;
    GST_OBJECT_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "block due: mixing without the late inputs");
  }
  return push_block (self, mix_block (self, frames, forced && !all_ready));
}

/* The mixer gets one tick per worker pass, and a pass over hundreds of
 * decks can last longer than a block: a tick mixes as many blocks as are
 * ready and fit, within a small budget, so the output keeps up. */
#define MAX_BLOCKS_PER_TICK 8
#define TICK_BUDGET_US 1000

static KitharaTickResult
gst_kithara_mixer_tick (GstKitharaElement * base)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (base);
  gint64 start = g_get_monotonic_time ();
  KitharaTickResult result = mix_next (self);
  guint blocks = 1;

  while (result == KITHARA_TICK_PROGRESS && blocks < MAX_BLOCKS_PER_TICK &&
      g_get_monotonic_time () - start < TICK_BUDGET_US) {
    result = mix_next (self);
    blocks++;
  }
  return result;
}

/* ------------------------------------------------------------------ */
/* The exit: the src pad's task pushes blocks downstream (it may block in
 * a syncing sink) and keeps their deadlines on the pipeline clock. */

/* Called on the src task half a block before the next block is due and
 * it is not there: mix it with the inputs that are. */
static void
block_due (gpointer user_data)
{
  GstKitharaMixer *self = user_data;

  g_atomic_int_set (&self->force, 1);
  kithara_node_wake (NODE (self));
}

static void
reset_output (GstKitharaMixer * self)
{
  gst_segment_init (&self->out_segment, GST_FORMAT_TIME);
  self->out_frames = 0;
  self->eos_sent = FALSE;
  self->segment_pending = self->configured;
  self->seek_seqnum = GST_SEQNUM_INVALID;
  self->next_pending = FALSE;
  self->next_start = G_MAXUINT64;
  self->between_segments = FALSE;
}

/* ------------------------------------------------------------------ */
/* Seeking and queries on the src pad */

static void
forward_to_inputs (GstKitharaMixer * self, GstEvent * event)
{
  GList *pads, *l;

  pads = ref_sink_pads (self);
  for (l = pads; l; l = l->next)
    gst_pad_push_event (l->data, gst_event_ref (event));
  g_list_free_full (pads, gst_object_unref);
}

static gboolean
handle_seek (GstKitharaMixer * self, GstEvent * event)
{
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  GstFormat format;
  gint64 start, stop;
  gdouble rate;
  gboolean flush;
  guint32 seqnum = gst_event_get_seqnum (event);

  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (format != GST_FORMAT_TIME || rate <= 0.0) {
    GST_DEBUG_OBJECT (self, "only forward TIME seeks are supported");
    gst_event_unref (event);
    return FALSE;
  }
  flush = (flags & GST_SEEK_FLAG_FLUSH) != 0;

  if (flush) {
    GstEvent *flush_start = gst_event_new_flush_start ();

    /* Downstream flushes and the src task leaves its loop. */
    gst_event_set_seqnum (flush_start, seqnum);
    gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self), flush_start);
  }

  /* The inputs flush (their flush events stay here) and restart at the
   * new position while no block is mixed. */
  kithara_node_lock_tick (NODE (self));
  forward_to_inputs (self, event);
  if (flush) {
    GstEvent *flush_stop = gst_event_new_flush_stop (TRUE);
    gboolean update;

    reset_output (self);
    gst_segment_do_seek (&self->out_segment, rate, format, flags,
        start_type, start, stop_type, stop, &update);
    self->out_segment.position = self->out_segment.start;
    self->out_segment.time = self->out_segment.start;
    self->seek_seqnum = seqnum;

    /* Still holding the node: no block (nor the new segment) may be mixed
     * into the exit before it reopens. */
    gst_event_set_seqnum (flush_stop, seqnum);
    gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self), flush_stop);
  } else {
    GstSegment next = self->out_segment;

    /* The inputs finish the current segment first (a loop plays to its
     * end): the output changes segment where they change theirs, its
     * running time going on.  A seek that keeps the start only changes the
     * stop, or the flags, of the segment playing. */
    gst_segment_do_seek (&next, rate, format, flags, start_type, start,
        stop_type, stop, NULL);
    if (start_type == GST_SEEK_TYPE_NONE) {
      next.base = self->out_segment.base;
      next.position = self->out_segment.position;
      self->out_segment = next;
      self->segment_pending = self->configured;
    } else {
      self->next_segment = next;
      self->next_seqnum = seqnum;
      self->next_pending = TRUE;
      self->next_start = G_MAXUINT64;
      if (self->between_segments)
        start_next_segment (self);
    }
  }
  kithara_node_unlock_tick (NODE (self));
  kithara_node_wake (NODE (self));
  gst_event_unref (event);
  return TRUE;
}

static gboolean
gst_kithara_mixer_src_event (GstKitharaElement * base, GstEvent * event)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (base);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      return handle_seek (self, event);
    default:
      forward_to_inputs (self, event);
      gst_event_unref (event);
      return TRUE;
  }
}

/* Latency: the inputs' (live if any is), plus one block to mix and the
 * output queue at most. */
static gboolean
query_latency (GstKitharaMixer * self, GstQuery * query)
{
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE, block_time, latency;
  gboolean live = FALSE;
  GList *pads, *l;

  GST_OBJECT_LOCK (self);
  block_time = self->block_time;
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  /* Pads may leave meanwhile: a list of our own. */
  pads = ref_sink_pads (self);
  for (l = pads; l; l = l->next) {
    GstQuery *q = gst_query_new_latency ();
    gboolean l_live;
    GstClockTime l_min, l_max;

    if (gst_pad_peer_query (l->data, q)) {
      gst_query_parse_latency (q, &l_live, &l_min, &l_max);
      live |= l_live;
      min = MAX (min, l_min);
      if (GST_CLOCK_TIME_IS_VALID (l_max))
        max = GST_CLOCK_TIME_IS_VALID (max) ? MIN (max, l_max) : l_max;
    }
    gst_query_unref (q);
  }
  g_list_free_full (pads, gst_object_unref);

  min += block_time;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += latency;
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

static gboolean
query_duration (GstKitharaMixer * self, GstQuery * query)
{
  GstFormat format;
  gint64 longest = -1;
  GList *pads, *l;

  gst_query_parse_duration (query, &format, NULL);
  pads = ref_sink_pads (self);
  /* As audiomixer: the longest input, unknown if any input's is. */
  for (l = pads; l; l = l->next) {
    gint64 d;

    if (!gst_pad_peer_query_duration (l->data, format, &d) || d < 0) {
      longest = -1;
      break;
    }
    longest = MAX (longest, d);
  }
  g_list_free_full (pads, gst_object_unref);
  if (pads == NULL)
    return FALSE;
  gst_query_set_duration (query, format, longest);
  return TRUE;
}

/* Seekable when every input is (a seek goes to all of them), over the
 * longest input's range: where the mix has audio. */
static gboolean
query_seeking (GstKitharaMixer * self, GstQuery * query)
{
  GstFormat format;
  gboolean seekable = TRUE;
  gint64 start = -1, end = 0;
  GList *pads, *l;

  gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
  pads = ref_sink_pads (self);
  for (l = pads; l && seekable; l = l->next) {
    GstQuery *q = gst_query_new_seeking (format);
    gboolean s_seekable = FALSE;
    gint64 s_start = -1, s_end = -1;

    if (gst_pad_peer_query (l->data, q))
      gst_query_parse_seeking (q, NULL, &s_seekable, &s_start, &s_end);
    gst_query_unref (q);
    seekable = s_seekable;
    start = start < 0 ? s_start : MIN (start, s_start);
    end = end < 0 || s_end < 0 ? -1 : MAX (end, s_end);
  }
  g_list_free_full (pads, gst_object_unref);
  if (pads == NULL || !seekable)
    gst_query_set_seeking (query, format, FALSE, -1, -1);
  else
    gst_query_set_seeking (query, format, TRUE, MAX (start, 0), end);
  return TRUE;
}

static gboolean
gst_kithara_mixer_src_query (GstKitharaElement * base, GstQuery * query)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (base);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      return query_latency (self, query);
    case GST_QUERY_DURATION:
      return query_duration (self, query);
    case GST_QUERY_POSITION:{
      GstFormat format;

      KitharaOutletLevel level;

      gst_query_parse_position (query, &format, NULL);
      if (format != GST_FORMAT_TIME)
        return FALSE;
      /* What has left for the sink. */
      kithara_outlet_get_level (self->outlet, &level);
      if (!GST_CLOCK_TIME_IS_VALID (level.position))
        level.position = self->out_segment.time;
      gst_query_set_position (query, format, level.position);
      return TRUE;
    }
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = gst_pad_get_current_caps (self->srcpad);
      if (caps == NULL)
        caps = gst_pad_get_pad_template_caps (self->srcpad);
      if (filter)
        gst_caps_take (&caps, gst_caps_intersect_full (filter, caps,
                GST_CAPS_INTERSECT_FIRST));
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_SEEKING:
      return query_seeking (self, query);
    default:
      return FALSE;
  }
}

/* ------------------------------------------------------------------ */
/* Sink pads */

static GstFlowReturn
pad_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKitharaMixerPad *mpad = GST_KITHARA_MIXER_PAD (pad);

  return kithara_inlet_push_from_pad (mpad->inlet, GST_MINI_OBJECT_CAST (buf),
      g_atomic_int_get (&mpad->upstream_is_kithara));
}

static void
flush_pad (GstKitharaMixer * self, GstKitharaMixerPad * pad)
{
  /* Caps still queued at the flush stay in the inlet (see the runtime). */
  kithara_node_lock_tick (NODE (self));
  kithara_inlet_set_flushing (pad->inlet, FALSE);
  gst_kithara_mixer_pad_reset (pad);
  kithara_node_unlock_tick (NODE (self));
  kithara_node_wake (NODE (self));
}

/* Returns a flow, so that a refused sticky event says FLUSHING or EOS
 * rather than an error (see the runtime's sink event function). */
static GstFlowReturn
pad_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (parent);
  GstKitharaMixerPad *mpad = GST_KITHARA_MIXER_PAD (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* An input flushes alone (a deck seeks): the mix goes on. */
      kithara_inlet_set_flushing (mpad->inlet, TRUE);
      gst_event_unref (event);
      return GST_FLOW_OK;
    case GST_EVENT_FLUSH_STOP:
      flush_pad (self, mpad);
      gst_event_unref (event);
      return GST_FLOW_OK;
    default:
      break;
  }
  if (!GST_EVENT_IS_SERIALIZED (event)) {
    gst_event_unref (event);
    return GST_FLOW_OK;
  }
  return kithara_inlet_push_from_pad (mpad->inlet,
      GST_MINI_OBJECT_CAST (event), FALSE);
}

/* Any raw audio is accepted (and converted); the output format, once
 * chosen, or what downstream takes, is offered first. */
static GstCaps *
input_caps (GstKitharaMixer * self, GstPad * pad, GstCaps * filter)
{
  GstCaps *caps = gst_pad_get_current_caps (self->srcpad);
  GstCaps *templ = gst_pad_get_pad_template_caps (pad);

  if (caps == NULL) {
    GstCaps *out_templ = gst_pad_get_pad_template_caps (self->srcpad);

    caps = gst_pad_peer_query_caps (self->srcpad, out_templ);
    gst_caps_unref (out_templ);
  }
  caps = gst_caps_merge (caps, templ);
  if (filter)
    gst_caps_take (&caps, gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST));
  return caps;
}

static gboolean
pad_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = input_caps (self, pad, filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *templ = gst_pad_get_pad_template_caps (pad);
      GstAudioInfo info;

      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query,
          gst_caps_is_subset (caps, templ) &&
          gst_audio_info_from_caps (&info, caps));
      gst_caps_unref (templ);
      return TRUE;
    }
    case GST_QUERY_ALLOCATION:
      return FALSE;
    default:{
      gboolean result;

      /* A drain waits for what the pad has queued before it. */
      if (kithara_inlet_take_query (GST_KITHARA_MIXER_PAD (pad)->inlet,
              query, &result))
        return result;
      return gst_pad_query_default (pad, parent, query);
    }
  }
}

static GstPadLinkReturn
pad_link (GstPad * pad, GstObject * parent, GstPad * peer)
{
  g_atomic_int_set (&GST_KITHARA_MIXER_PAD (pad)->upstream_is_kithara,
      gst_kithara_element_owns_pad (peer));
  return GST_PAD_LINK_OK;
}

static KitharaInlet *
gst_kithara_mixer_get_inlet (GstKitharaElement * base, GstPad * sinkpad)
{
  return GST_IS_KITHARA_MIXER_PAD (sinkpad) ?
      kithara_inlet_ref (GST_KITHARA_MIXER_PAD (sinkpad)->inlet) : NULL;
}

/* A pad joins or leaves the mix, as a control of the node: never while a
 * tick mixes, and never waited for on a worker. */
typedef struct
{
  GstKitharaMixer *self;
  GstKitharaMixerPad *pad;
  gboolean add;
} PadChange;

static void
apply_pad_change (gpointer user_data)
{
  PadChange *change = user_data;
  GPtrArray *pads = change->self->pads;

  if (change->add)
    g_ptr_array_add (pads, gst_object_ref (change->pad));
  else
    g_ptr_array_remove (pads, change->pad);
}

static void
free_pad_change (gpointer user_data)
{
  PadChange *change = user_data;

  gst_object_unref (change->self);
  gst_object_unref (change->pad);
  g_free (change);
}

static void
change_pads (GstKitharaMixer * self, GstKitharaMixerPad * pad, gboolean add)
{
  PadChange *change = g_new (PadChange, 1);

  change->self = gst_object_ref (self);
  change->pad = gst_object_ref (pad);
  change->add = add;
  kithara_node_control (NODE (self), apply_pad_change, change,
      free_pad_change);
  kithara_node_wake (NODE (self));      /* the others may be ready now */
}

static GstPad *
gst_kithara_mixer_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * req_name, const GstCaps * caps)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (element);
  GstKitharaMixerPad *pad;
  gchar *name;
  guint id;

  GST_OBJECT_LOCK (self);
  if (req_name == NULL || sscanf (req_name, "sink_%u", &id) != 1)
    id = self->next_pad_id;
  self->next_pad_id = MAX (self->next_pad_id, id + 1);
  GST_OBJECT_UNLOCK (self);

  name = g_strdup_printf ("sink_%u", id);
  pad = g_object_new (GST_TYPE_KITHARA_MIXER_PAD, "name", name, "direction",
      GST_PAD_SINK, "template", templ, NULL);
  g_free (name);
  gst_pad_set_chain_function (GST_PAD (pad), pad_chain);
  gst_pad_set_event_full_function (GST_PAD (pad), pad_event);
  gst_pad_set_query_function (GST_PAD (pad), pad_query);
  gst_pad_set_link_function (GST_PAD (pad), pad_link);
  pad->inlet = gst_kithara_element_new_inlet (GST_KITHARA_ELEMENT (self));
  g_signal_connect (pad, "notify::volume", G_CALLBACK (pad_property_changed),
      self);
  g_signal_connect (pad, "notify::mute", G_CALLBACK (pad_property_changed),
      self);
  g_signal_connect (pad, "notify::service-class",
      G_CALLBACK (pad_property_changed), self);

  if (GST_STATE (self) >= GST_STATE_PAUSED ||
      GST_STATE_PENDING (self) >= GST_STATE_PAUSED) {
    kithara_inlet_set_active (pad->inlet, TRUE);
    gst_pad_set_active (GST_PAD (pad), TRUE);
  }
  change_pads (self, pad, TRUE);

  if (!gst_element_add_pad (element, GST_PAD (pad))) {
    change_pads (self, pad, FALSE);
    kithara_inlet_set_active (pad->inlet, FALSE);
    gst_kithara_element_release_inlet (GST_KITHARA_ELEMENT (self), pad->inlet);
    gst_object_unref (pad);
    return NULL;
  }
  gst_child_proxy_child_added (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  update_pad_class (self, pad, TRUE);
  return GST_PAD (pad);
}

static void
gst_kithara_mixer_release_pad (GstElement * element, GstPad * pad)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (element);
  GstKitharaMixerPad *mpad = GST_KITHARA_MIXER_PAD (pad);

  GST_DEBUG_OBJECT (self, "releasing %s", GST_PAD_NAME (pad));
  /* Release a blocked upstream thread; the inlet refuses data from now
   * on.  The pad keeps it (a producer's tick may still hold it too). */
  kithara_inlet_set_active (mpad->inlet, FALSE);
  change_pads (self, mpad, FALSE);
  g_signal_handlers_disconnect_by_data (pad, self);

  gst_child_proxy_child_removed (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  gst_pad_set_active (pad, FALSE);
  gst_kithara_element_release_inlet (GST_KITHARA_ELEMENT (self), mpad->inlet);
  gst_element_remove_pad (element, pad);

  update_mixer_class (self);
}

/* ------------------------------------------------------------------ */
/* State */

static void
set_inputs_active (GstKitharaMixer * self, gboolean active)
{
  GList *pads = ref_sink_pads (self), *l;

  for (l = pads; l; l = l->next)
    kithara_inlet_set_active (GST_KITHARA_MIXER_PAD (l->data)->inlet,
        active);
  g_list_free_full (pads, gst_object_unref);
}

/* READY to PAUSED, before the node joins the worker. */
static void
start_control (gpointer user_data)
{
  GstKitharaMixer *self = user_data;
  guint i;

  self->configured = FALSE;
  reset_output (self);
  for (i = 0; i < self->pads->len; i++) {
    __atomic_store_n (&PAD (self, i)->late_frames, 0, __ATOMIC_RELAXED);
    __atomic_store_n (&PAD (self, i)->missed_blocks, 0, __ATOMIC_RELAXED);
  }
  GST_OBJECT_LOCK (self);
  self->forced_blocks = 0;
  GST_OBJECT_UNLOCK (self);
}

/* PAUSED to READY, once the node has left the worker. */
static void
stop_control (gpointer user_data)
{
  GstKitharaMixer *self = user_data;
  guint i;

  for (i = 0; i < self->pads->len; i++)
    gst_kithara_mixer_pad_reset (PAD (self, i));
  self->configured = FALSE;
}

/* The exit keeps deadlines while PLAYING, and also in PAUSED after having
 * played: a stalled input then cannot keep the mix from prerolling again
 * on what is mixed ahead.  Underruns count only while PLAYING.  Set before
 * each state change completes, so the src task never acts on a stale
 * one. */
static GstStateChangeReturn
gst_kithara_mixer_change_state (GstElement * element,
    GstStateChange transition)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_kithara_element_control (GST_KITHARA_ELEMENT (self), start_control);
      set_inputs_active (self, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      kithara_outlet_set_clocked (self->outlet, TRUE, TRUE);
      g_atomic_int_set (&self->heard, 1);
      update_all_classes (self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      kithara_outlet_set_clocked (self->outlet, TRUE, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      kithara_outlet_set_clocked (self->outlet, FALSE, FALSE);
      set_inputs_active (self, FALSE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kithara_mixer_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_atomic_int_set (&self->heard, 0);
      update_all_classes (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_kithara_element_control (GST_KITHARA_ELEMENT (self), stop_control);
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------ */
/* Stats, properties, child proxy */

static void
gst_kithara_mixer_extend_stats (GstKitharaElement * base, GstStructure * s)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (base);
  GstStructure *pads = gst_structure_new_empty ("kithara-mixer-pads");
  GList *list = ref_sink_pads (self), *l;

  /* Each pad holds its inlet; the counters are the worker's, read as
   * they are. */
  for (l = list; l; l = l->next) {
    GstKitharaMixerPad *pad = l->data;
    KitharaInletLevel level;
    GstStructure *ps;

    kithara_inlet_get_level (pad->inlet, &level);
    ps = gst_structure_new ("kithara-mixer-pad",
        "service-class", KITHARA_TYPE_SERVICE_CLASS,
        MAX (g_atomic_int_get (&pad->announced_class), 0),
        "inlet-buffers", G_TYPE_UINT, level.buffers,
        "inlet-time", G_TYPE_UINT64, level.time,
        "late-frames", G_TYPE_UINT64,
        __atomic_load_n (&pad->late_frames, __ATOMIC_RELAXED),
        "missed-blocks", G_TYPE_UINT64,
        __atomic_load_n (&pad->missed_blocks, __ATOMIC_RELAXED), NULL);
    gst_structure_set (pads, GST_PAD_NAME (pad), GST_TYPE_STRUCTURE, ps, NULL);
    gst_structure_free (ps);
  }
  g_list_free_full (list, gst_object_unref);

  GST_OBJECT_LOCK (self);
  gst_structure_set (s,
      "forced-blocks", G_TYPE_UINT64, self->forced_blocks,
      "pads", GST_TYPE_STRUCTURE, pads, NULL);
  GST_OBJECT_UNLOCK (self);
  gst_structure_free (pads);
}

static void
apply_capacity (GstKitharaMixer * self)
{
  GstClockTime block_time, latency;

  GST_OBJECT_LOCK (self);
  block_time = self->block_time;
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  kithara_outlet_set_limits (self->outlet,
      MAX (1, (latency + block_time - 1) / block_time), 0);
  kithara_outlet_set_due_func (self->outlet, block_time / 2, block_due, self);
}

static void
gst_kithara_mixer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (object);

  switch (prop_id) {
    case PROP_BLOCK_TIME:
      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      GST_OBJECT_LOCK (self);
      self->block_time = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      apply_capacity (self);
      break;
    case PROP_LATENCY:
      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      GST_OBJECT_LOCK (self);
      self->latency = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      apply_capacity (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_mixer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BLOCK_TIME:
      g_value_set_uint64 (value, self->block_time);
      break;
    case PROP_LATENCY:
      g_value_set_uint64 (value, self->latency);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GObject *
child_proxy_get_child_by_index (GstChildProxy * proxy, guint index)
{
  GObject *child;

  GST_OBJECT_LOCK (proxy);
  child = g_list_nth_data (GST_ELEMENT (proxy)->sinkpads, index);
  if (child)
    gst_object_ref (child);
  GST_OBJECT_UNLOCK (proxy);
  return child;
}

static guint
child_proxy_get_children_count (GstChildProxy * proxy)
{
  guint n;

  GST_OBJECT_LOCK (proxy);
  n = GST_ELEMENT (proxy)->numsinkpads;
  GST_OBJECT_UNLOCK (proxy);
  return n;
}

static void
gst_kithara_mixer_child_proxy_init (gpointer g_iface, gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = child_proxy_get_child_by_index;
  iface->get_children_count = child_proxy_get_children_count;
}

static void
gst_kithara_mixer_constructed (GObject * object)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (object);

  G_OBJECT_CLASS (gst_kithara_mixer_parent_class)->constructed (object);
  self->srcpad = gst_kithara_element_get_src_pad (GST_KITHARA_ELEMENT (self));
  GST_PAD_UNSET_PROXY_CAPS (self->srcpad);
  /* Blocks leave through the src pad's task whatever is downstream: the
   * mix keeps time itself. */
  gst_kithara_element_set_always_exit (GST_KITHARA_ELEMENT (self));
  self->outlet = gst_kithara_element_get_outlet (GST_KITHARA_ELEMENT (self));
  apply_capacity (self);
}

static void
gst_kithara_mixer_finalize (GObject * object)
{
  GstKitharaMixer *self = GST_KITHARA_MIXER (object);

  g_ptr_array_unref (self->pads);
  G_OBJECT_CLASS (gst_kithara_mixer_parent_class)->finalize (object);
}

static void
gst_kithara_mixer_init (GstKitharaMixer * self)
{
  self->pads = g_ptr_array_new_with_free_func (gst_object_unref);
  self->block_time = DEFAULT_BLOCK_TIME;
  self->latency = DEFAULT_LATENCY;
  gst_audio_info_init (&self->out_info);
  gst_segment_init (&self->out_segment, GST_FORMAT_TIME);
  self->seek_seqnum = GST_SEQNUM_INVALID;
}

static void
gst_kithara_mixer_class_init (GstKitharaMixerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kithara_class = GST_KITHARA_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_mixer_debug, "kitharamixer", 0,
      "Kithara mixer");

  gobject_class->set_property = gst_kithara_mixer_set_property;
  gobject_class->get_property = gst_kithara_mixer_get_property;
  gobject_class->constructed = gst_kithara_mixer_constructed;
  gobject_class->finalize = gst_kithara_mixer_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kithara_mixer_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kithara_mixer_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_kithara_mixer_release_pad);

  kithara_class->tick = gst_kithara_mixer_tick;
  kithara_class->src_event = gst_kithara_mixer_src_event;
  kithara_class->src_query = gst_kithara_mixer_src_query;
  kithara_class->follow_service_class = gst_kithara_mixer_follow_service_class;
  kithara_class->extend_stats = gst_kithara_mixer_extend_stats;
  kithara_class->get_inlet = gst_kithara_mixer_get_inlet;

  g_object_class_install_property (gobject_class, PROP_BLOCK_TIME,
      g_param_spec_uint64 ("block-time", "Block time",
          "Duration of one mixed block (ns): the unit of mixing, of volume "
          "glides and of output buffers", GST_MSECOND, GST_SECOND,
          DEFAULT_BLOCK_TIME, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "Capacity of the output queue between the worker and the src "
          "task (ns, rounded up to whole blocks): how far mixing runs ahead "
          "of the sink", GST_MSECOND, 10 * GST_SECOND, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_KITHARA_MIXER_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara mixer", "Generic/Audio",
      "Mixes many inputs on the shared kithara worker and pushes the mix "
      "from one streaming thread (the exit for playback)",
      "Kithara developers");

  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_MIXER_PAD, 0);
}
