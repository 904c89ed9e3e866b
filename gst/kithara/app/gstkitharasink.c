/**
 * SECTION:element-kitharasink
 * @title: kitharasink
 *
 * The exit for applications: the worker writes the stream into a ring of
 * #GstKitharaSink:buffer-time, and the application reads interleaved PCM
 * from it, typically from its audio device's callback:
 *
 * |[<!-- language="C" -->
 * // in the real-time callback: no lock, no allocation
 * gsize got = gst_kithara_sink_read (GST_KITHARA_SINK (sink), out, frames);
 * ]|
 *
 * The frames missing when the callback asks for more than the ring holds
 * are filled with silence and counted as an underrun (while PLAYING, once
 * the ring has been full, and not at the end of the stream); the first short
 * read of a burst posts a "kithara-underrun" element message.  Bindings use
 * the #GstKitharaSink::pull-sample action signal instead.
 *
 * kitharasink never blocks a thread and does not synchronise to a clock:
 * the application's reads pace the stream, and the ring's backpressure
 * travels up the chain as flow returns.  It does not preroll: state changes
 * complete at once, and the ring fills from PAUSED on.  Its chain is
 * #KitharaServiceClass audible while PLAYING and warm otherwise (see
 * the service-class property).  EOS is posted once the application has
 * read the last frame.
 *
 * ## Example
 * |[<!-- language="C" -->
 * GstElement *pipeline = gst_parse_launch ("filesrc location=track.flac ! "
 *     "kitharadecode ! kithararesample ! kitharasink name=out "
 *     "caps=audio/x-raw,format=F32LE,rate=48000,channels=2", NULL);
 * GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
 *
 * gst_element_set_state (pipeline, GST_STATE_PLAYING);
 * // open the device at 48 kHz, stereo, F32; its callback reads:
 * gst_kithara_sink_read (GST_KITHARA_SINK (sink), out, frames);
 * ]|
 * There is no launch line: in gst-launch-1.0 nothing would read the ring,
 * so the stream would stop once it is full and never reach EOS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstkitharasink.h"
#include "kitharaframering.h"
#include "kitharafutex.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_sink_debug);
#define GST_CAT_DEFAULT gst_kithara_sink_debug

#define DEFAULT_BUFFER_TIME (100 * GST_MSECOND)
#define MIN_BUFFER_TIME GST_MSECOND
#define MAX_BUFFER_TIME (10 * GST_SECOND)

/* Who holds the ring: the gate lets the worker swap or reset it while no
 * reader is inside, without the reader ever waiting. */
enum
{
  GATE_FREE = 0,
  GATE_READER = 1,              /* the application is reading */
  GATE_WORKER = 2,              /* the ring is being replaced or reset */
  GATE_CLOSED = 3,              /* not running: reads give silence */
};

enum
{
  EOS_NONE = 0,
  EOS_QUEUED = 1,               /* the ring holds the end of the stream */
  EOS_POSTED = 2,               /* the application read it all */
};

enum
{
  PROP_0,
  PROP_BUFFER_TIME,
  PROP_CAPS,
  PROP_UNDERRUNS,
};

enum
{
  SIGNAL_PULL_SAMPLE,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

struct _GstKitharaSink
{
  GstKitharaElement parent;

  /* Shared with the reader: atomics only. */
  gint gate;
  gint gate_waiters;            /* threads waiting for the gate */
  gint want_gate;               /* the worker found the reader inside */
  gint closing;                 /* the element stops: close when free */
  gint reset_pending;           /* a flush waits to empty the ring */
  KitharaFrameRing *ring;       /* valid while a side holds the gate */
  gint bpf;                     /* of the ring, for silence when closed */
  gint playing;
  gint started;                 /* the ring was full (or the stream ended)
                                 * once since start or flush */
  gint eos;                     /* EOS_* */
  gint want_space;              /* the worker waits for the ring to drain */
  gint want_drain;              /* the worker waits for it to be empty */
  gint report_underrun;         /* the reader asks for the message */
  gint in_underrun;
  guint64 low_frames;           /* wake the worker at or below this fill */
  guint64 underruns;
  guint64 missing_frames;

  /* Worker side (or under the tick lock). */
  GstAudioInfo info;
  gboolean configured;
  GstCaps *pending_caps;        /* new format, applied once the ring drained */
  GstBuffer *pending;           /* being copied into the ring */
  GstMapInfo pending_map;
  guint64 pending_done;         /* frames of it copied */
  GstSegment segment;
  guint64 segment_frame;        /* ring position of the segment's start */

  /* Properties, under the object lock. */
  GstClockTime buffer_time;
  GstCaps *filter_caps;
};

G_DEFINE_TYPE (GstKitharaSink, gst_kithara_sink, GST_TYPE_KITHARA_ELEMENT);

#define CAPS GST_AUDIO_CAPS_MAKE ("{ F32LE, F64LE, S16LE, S32LE }") \
    ", layout = (string) interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));

/* ------------------------------------------------------------------ */
/* The gate */

enum
{
  GATE_TAKEN,                   /* the caller holds it: release it */
  GATE_WAS_CLOSED,              /* no reader can come in: the ring is the
                                 * caller's without taking anything */
  GATE_BUSY,                    /* a reader is inside (worker only) */
};

static void wake_node (GstKitharaSink * self);

static gboolean
gate_try (GstKitharaSink * self, gint holder)
{
  return g_atomic_int_compare_and_exchange (&self->gate, GATE_FREE, holder);
}

static void
gate_release (GstKitharaSink * self, gint to)
{
  g_atomic_int_set (&self->gate, to);
  if (g_atomic_int_get (&self->gate_waiters))
    kithara_futex_wake (&self->gate);
}

/* For the reader on its way out: closes the gate if the element is
 * stopping, and wakes the worker if it found the reader inside.  Both
 * sides look at "closing" after their own step, so one of them closes. */
static void
gate_release_reader (GstKitharaSink * self)
{
  gate_release (self, GATE_FREE);
  if (g_atomic_int_get (&self->closing))
    g_atomic_int_compare_and_exchange (&self->gate, GATE_FREE, GATE_CLOSED);
  if (g_atomic_int_get (&self->want_gate) &&
      g_atomic_int_compare_and_exchange (&self->want_gate, 1, 0))
    wake_node (self);
}

/* Takes the gate to replace or reset the ring.  A reader holds it for the
 * time of one memcpy: a thread that may wait waits for it; a worker never
 * does, it gets GATE_BUSY and the reader wakes its node on the way out. */
static gint
gate_acquire (GstKitharaSink * self, gint holder)
{
  gboolean may_wait = !kithara_in_worker_thread ();
  gint result = GATE_BUSY;

  if (may_wait)
    g_atomic_int_inc (&self->gate_waiters);
  for (;;) {
    gint now = g_atomic_int_get (&self->gate);

    if (now == GATE_CLOSED) {
      result = GATE_WAS_CLOSED;
      break;
    }
    if (now == GATE_FREE && gate_try (self, holder)) {
      result = GATE_TAKEN;
      break;
    }
    if (!may_wait) {
      /* Ask to be woken, then look once more: the reader may have left
       * before it could see the request. */
      g_atomic_int_set (&self->want_gate, 1);
      if (gate_try (self, holder)) {
        g_atomic_int_set (&self->want_gate, 0);
        result = GATE_TAKEN;
      }
      break;
    }
    kithara_futex_wait (&self->gate, now);
  }
  if (may_wait)
    g_atomic_int_add (&self->gate_waiters, -1);
  return result;
}

/* Closes the gate for good (the element stops): at once if no reader is
 * inside, else when it leaves. */
static void
gate_close (GstKitharaSink * self)
{
  g_atomic_int_set (&self->closing, 1);
  if (gate_acquire (self, GATE_CLOSED) == GATE_BUSY)
    GST_DEBUG_OBJECT (self, "the reader closes the gate on its way out");
}

static gboolean
gate_is_closed (GstKitharaSink * self)
{
  return g_atomic_int_get (&self->gate) == GATE_CLOSED;
}

/* ------------------------------------------------------------------ */
/* The reader: an application's real-time callback */

/* From the reader: the node has something to do (room in the ring, the
 * ring drained, an underrun to report). */
static void
wake_node (GstKitharaSink * self)
{
  kithara_node_wake_rt (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (self)));
}


/* Called with the gate held by the reader. */
static void
note_short_read (GstKitharaSink * self, gsize missing)
{
  if (!g_atomic_int_get (&self->playing) || !g_atomic_int_get (&self->started)
      || g_atomic_int_get (&self->eos))
    return;
  __atomic_add_fetch (&self->underruns, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch (&self->missing_frames, missing, __ATOMIC_RELAXED);
  if (!g_atomic_int_exchange (&self->in_underrun, 1)) {
    g_atomic_int_set (&self->report_underrun, 1);
    wake_node (self);
  }
}

/**
 * gst_kithara_sink_read:
 * @sink: a #GstKitharaSink
 * @data: (out caller-allocates) (array): room for @frames frames of the
 *   negotiated format (gst_kithara_sink_get_audio_info())
 * @frames: how many frames to read
 *
 * Copies up to @frames interleaved frames out of the ring into @data and
 * fills the rest with silence.  Takes no lock, allocates and frees
 * nothing, never waits: safe in a real-time audio callback.  One reader at
 * a time.
 *
 * Returns: the number of frames that were stream data.
 */
gsize
gst_kithara_sink_read (GstKitharaSink * sink, gpointer data, gsize frames)
{
  KitharaFrameRing *ring;
  guint64 got;
  guint bpf;

  g_return_val_if_fail (GST_IS_KITHARA_SINK (sink), 0);

  if (!gate_try (sink, GATE_READER)) {
    /* Closed, or the format is being switched: silence. */
    bpf = g_atomic_int_get (&sink->bpf);
    memset (data, 0, frames * bpf);
    return 0;
  }

  ring = sink->ring;
  if (ring == NULL) {
    bpf = g_atomic_int_get (&sink->bpf);
    memset (data, 0, frames * bpf);
    note_short_read (sink, frames);
    gate_release_reader (sink);
    return 0;
  }

  bpf = kithara_frame_ring_get_bpf (ring);
  got = kithara_frame_ring_read (ring, data, frames);
  if (got < frames) {
    memset ((guint8 *) data + got * bpf, 0, (frames - got) * bpf);
    note_short_read (sink, frames - got);
  } else {
    g_atomic_int_set (&sink->in_underrun, 0);
  }

  if (g_atomic_int_get (&sink->want_space) &&
      kithara_frame_ring_fill (ring) <= sink->low_frames &&
      g_atomic_int_compare_and_exchange (&sink->want_space, 1, 0))
    wake_node (sink);
  if (kithara_frame_ring_fill (ring) == 0 &&
      (g_atomic_int_get (&sink->want_drain) ||
          g_atomic_int_get (&sink->eos) == EOS_QUEUED))
    wake_node (sink);

  gate_release_reader (sink);
  return got;
}

/**
 * gst_kithara_sink_get_audio_info:
 * @info: (out): the format gst_kithara_sink_read() delivers
 *
 * Not for the real-time thread (takes the object lock).
 *
 * Returns: %FALSE while no format is negotiated yet.
 */
gboolean
gst_kithara_sink_get_audio_info (GstKitharaSink * sink, GstAudioInfo * info)
{
  KitharaNode *node;
  gboolean ok;

  g_return_val_if_fail (GST_IS_KITHARA_SINK (sink), FALSE);

  /* The format of the ring, which lags the pad's caps until the reader
   * has drained the old format. */
  node = gst_kithara_element_get_node (GST_KITHARA_ELEMENT (sink));
  kithara_node_lock_tick (node);
  ok = sink->configured;
  if (ok)
    *info = sink->info;
  kithara_node_unlock_tick (node);
  return ok;
}

/**
 * gst_kithara_sink_get_underruns:
 *
 * Returns: how many reads came up short since the element started.
 */
guint64
gst_kithara_sink_get_underruns (GstKitharaSink * sink)
{
  g_return_val_if_fail (GST_IS_KITHARA_SINK (sink), 0);
  return __atomic_load_n (&sink->underruns, __ATOMIC_RELAXED);
}

static GstSample *
gst_kithara_sink_pull_sample (GstKitharaSink * self, guint frames)
{
  GstAudioInfo info;
  GstBuffer *buf;
  GstMapInfo map;
  GstCaps *caps;
  GstSample *sample;

  if (!gst_kithara_sink_get_audio_info (self, &info) || frames == 0)
    return NULL;
  buf = gst_buffer_new_allocate (NULL, (gsize) frames * info.bpf, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  gst_kithara_sink_read (self, map.data, frames);
  gst_buffer_unmap (buf, &map);
  caps = gst_audio_info_to_caps (&info);
  sample = gst_sample_new (buf, caps, NULL, NULL);
  gst_buffer_unref (buf);
  gst_caps_unref (caps);
  return sample;
}

/* ------------------------------------------------------------------ */
/* The worker side */

static void
release_pending (GstKitharaSink * self)
{
  if (self->pending == NULL)
    return;
  gst_buffer_unmap (self->pending, &self->pending_map);
  gst_clear_buffer (&self->pending);
  self->pending_done = 0;
}

/* Replaces the ring with one for @info; never while a reader is inside.
 * Returns %FALSE if one is (on the worker): it wakes the node when it
 * leaves. */
static gboolean
replace_ring (GstKitharaSink * self, const GstAudioInfo * info)
{
  KitharaFrameRing *old;
  GstClockTime buffer_time;
  guint64 capacity;
  gint gate;

  GST_OBJECT_LOCK (self);
  buffer_time = self->buffer_time;
  GST_OBJECT_UNLOCK (self);

  gate = gate_acquire (self, GATE_WORKER);
  if (gate == GATE_BUSY)
    return FALSE;
  old = self->ring;
  capacity = MAX (1, gst_util_uint64_scale_ceil (buffer_time,
          GST_AUDIO_INFO_RATE (info), GST_SECOND));
  self->ring = kithara_frame_ring_new (GST_AUDIO_INFO_BPF (info), capacity);
  self->low_frames = capacity / 2;
  g_atomic_int_set (&self->bpf, GST_AUDIO_INFO_BPF (info));
  if (gate == GATE_TAKEN)
    gate_release (self, GATE_FREE);
  if (old)
    kithara_frame_ring_free (old);
  return TRUE;
}

/* Empties the ring (a flush); put off while a reader is inside. */
static gboolean
reset_ring (GstKitharaSink * self)
{
  gint gate;

  g_atomic_int_set (&self->reset_pending, 0);
  if (self->ring == NULL)
    return TRUE;
  gate = gate_acquire (self, GATE_WORKER);
  if (gate == GATE_BUSY) {
    g_atomic_int_set (&self->reset_pending, 1);
    return FALSE;
  }
  kithara_frame_ring_reset (self->ring);
  if (gate == GATE_TAKEN)
    gate_release (self, GATE_FREE);
  return TRUE;
}

static void
post_underrun (GstKitharaSink * self)
{
  GstStructure *s = gst_structure_new ("kithara-underrun",
      "element", G_TYPE_STRING, GST_ELEMENT_NAME (self),
      "underruns", G_TYPE_UINT64, gst_kithara_sink_get_underruns (self),
      "missing-frames", G_TYPE_UINT64,
      __atomic_load_n (&self->missing_frames, __ATOMIC_RELAXED), NULL);

  GST_INFO_OBJECT (self, "underrun: %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* The ring holds nothing more for the reader: the stream ended. */
static KitharaTickResult
post_eos (GstKitharaSink * self)
{
  GstMessage *msg = gst_message_new_eos (GST_OBJECT (self));
  GstEvent *eos = gst_pad_get_sticky_event (gst_kithara_element_get_sink_pad
      (GST_KITHARA_ELEMENT (self)), GST_EVENT_EOS, 0);

  if (eos) {
    gst_message_set_seqnum (msg, gst_event_get_seqnum (eos));
    gst_event_unref (eos);
  }
  g_atomic_int_set (&self->eos, EOS_POSTED);
  GST_DEBUG_OBJECT (self, "the application read the last frame");
  gst_element_post_message (GST_ELEMENT (self), msg);
  return gst_kithara_element_close (GST_KITHARA_ELEMENT (self), GST_FLOW_EOS);
}

static gboolean
ring_is_empty (GstKitharaSink * self)
{
  return self->ring == NULL || kithara_frame_ring_fill (self->ring) == 0;
}

/* A new format: the reader gets the old one until it has read it all. */
static KitharaTickResult
apply_caps (GstKitharaSink * self)
{
  GstAudioInfo info;

  if (!ring_is_empty (self)) {
    g_atomic_int_set (&self->want_drain, 1);
    if (!ring_is_empty (self))
      return KITHARA_TICK_WAITING;
  }
  g_atomic_int_set (&self->want_drain, 0);

  if (!gst_audio_info_from_caps (&info, self->pending_caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("invalid caps %" GST_PTR_FORMAT, self->pending_caps));
    gst_clear_caps (&self->pending_caps);
    return gst_kithara_element_close (GST_KITHARA_ELEMENT (self),
        GST_FLOW_NOT_NEGOTIATED);
  }
  if (!replace_ring (self, &info))
    return KITHARA_TICK_WAITING;        /* a reader is inside: woken after */
  GST_DEBUG_OBJECT (self, "format %" GST_PTR_FORMAT, self->pending_caps);
  gst_clear_caps (&self->pending_caps);
  self->info = info;
  self->configured = TRUE;
  return KITHARA_TICK_PROGRESS;
}

/* Copies what fits of the pending buffer; the rest waits for the reader
 * to make room. */
static KitharaTickResult
write_pending (GstKitharaSink * self)
{
  guint bpf = GST_AUDIO_INFO_BPF (&self->info);
  guint64 total = self->pending_map.size / bpf;
  guint64 n;

  n = kithara_frame_ring_write (self->ring,
      self->pending_map.data + self->pending_done * bpf,
      total - self->pending_done);
  GST_LOG_OBJECT (self, "wrote %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " frames, ring holds %" G_GUINT64_FORMAT, n, total - self->pending_done,
      kithara_frame_ring_fill (self->ring));
  self->pending_done += n;
  /* Short reads while the ring first fills are not underruns. */
  if (kithara_frame_ring_space (self->ring) == 0)
    g_atomic_int_set (&self->started, 1);
  if (self->pending_done == total) {
    release_pending (self);
    return KITHARA_TICK_PROGRESS;
  }

  /* Ask to be woken at the low watermark, then look again: the reader may
   * have made room in between. */
  g_atomic_int_set (&self->want_space, 1);
  if (kithara_frame_ring_fill (self->ring) <= self->low_frames &&
      g_atomic_int_compare_and_exchange (&self->want_space, 1, 0))
    return KITHARA_TICK_PROGRESS;
  return KITHARA_TICK_WAITING;
}

static KitharaTickResult
handle_event (GstKitharaSink * self, GstEvent * event)
{
  KitharaTickResult result = KITHARA_TICK_PROGRESS;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      g_atomic_int_set (&self->eos, EOS_NONE);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&self->pending_caps, caps);
      result = apply_caps (self);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      self->segment_frame = self->ring ?
          kithara_frame_ring_write_position (self->ring) : 0;
      break;
    case GST_EVENT_EOS:
      g_atomic_int_set (&self->started, 1);
      g_atomic_int_set (&self->eos, EOS_QUEUED);
      if (ring_is_empty (self))
        result = post_eos (self);
      break;
    default:
      break;
  }
  gst_event_unref (event);
  return result;
}

static KitharaTickResult
gst_kithara_sink_tick (GstKitharaElement * base)
{
  GstKitharaSink *self = GST_KITHARA_SINK (base);
  GstMiniObject *item;

  if (g_atomic_int_exchange (&self->report_underrun, 0))
    post_underrun (self);

  switch (g_atomic_int_get (&self->eos)) {
    case EOS_QUEUED:
      return ring_is_empty (self) ? post_eos (self) : KITHARA_TICK_WAITING;
    case EOS_POSTED:
      return KITHARA_TICK_DONE;
    default:
      break;
  }
  if (g_atomic_int_get (&self->reset_pending) && !reset_ring (self))
    return KITHARA_TICK_WAITING;
  if (self->pending_caps)
    return apply_caps (self);
  if (self->pending)
    return write_pending (self);

  item = gst_kithara_element_pop (base);
  if (item == NULL) {
    GST_LOG_OBJECT (self, "inlet empty, ring holds %" G_GUINT64_FORMAT,
        self->ring ? kithara_frame_ring_fill (self->ring) : 0);
    return KITHARA_TICK_WAITING;
  }
  if (GST_IS_EVENT (item))
    return handle_event (self, GST_EVENT (item));
  if (GST_IS_QUERY (item)) {
    gst_kithara_element_push_query (base, GST_QUERY (item));
    return KITHARA_TICK_PROGRESS;
  }

  if (!self->configured) {
    gst_mini_object_unref (item);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    return gst_kithara_element_close (base, GST_FLOW_NOT_NEGOTIATED);
  }
  self->pending = GST_BUFFER (item);
  if (!gst_buffer_map (self->pending, &self->pending_map, GST_MAP_READ)) {
    gst_clear_buffer (&self->pending);
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (NULL), ("cannot map buffer"));
    return gst_kithara_element_close (base, GST_FLOW_ERROR);
  }
  self->pending_done = 0;
  return write_pending (self);
}

/* Flush-stop or stop: forget the stream, empty the ring. */
static void
gst_kithara_sink_flush (GstKitharaElement * base)
{
  GstKitharaSink *self = GST_KITHARA_SINK (base);

  /* Caps waiting for the old format to be read stay: they were sticky
   * and are not sent again; the ring is empty now, so they apply next. */
  release_pending (self);
  g_atomic_int_set (&self->want_space, 0);
  g_atomic_int_set (&self->want_drain, 0);
  g_atomic_int_set (&self->eos, EOS_NONE);
  g_atomic_int_set (&self->started, 0);
  g_atomic_int_set (&self->in_underrun, 0);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  self->segment_frame = 0;
  /* On a worker with a reader inside, the next tick empties it. */
  reset_ring (self);
}

/* ------------------------------------------------------------------ */
/* Pads, queries, state */

static GstCaps *
accepted_caps (GstKitharaSink * self, GstPad * pad, GstCaps * filter)
{
  GstCaps *caps = gst_pad_get_pad_template_caps (pad);

  GST_OBJECT_LOCK (self);
  if (self->filter_caps)
    gst_caps_take (&caps, gst_caps_intersect_full (self->filter_caps, caps,
            GST_CAPS_INTERSECT_FIRST));
  GST_OBJECT_UNLOCK (self);
  if (filter)
    gst_caps_take (&caps, gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST));
  return caps;
}

static gboolean
gst_kithara_sink_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstKitharaSink *self = GST_KITHARA_SINK (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = accepted_caps (self, pad, filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *accepted;

      gst_query_parse_accept_caps (query, &caps);
      accepted = accepted_caps (self, pad, NULL);
      gst_query_set_accept_caps_result (query,
          gst_caps_is_subset (caps, accepted));
      gst_caps_unref (accepted);
      return TRUE;
    }
    default:{
      KitharaInlet *inlet = GST_KITHARA_ELEMENT_GET_CLASS (self)->get_inlet
          (GST_KITHARA_ELEMENT (self), pad);
      gboolean taken, result = FALSE;

      /* A drain is answered once what came before it is in the ring. */
      taken = kithara_inlet_take_query (inlet, query, &result);
      kithara_inlet_unref (inlet);
      return taken ? result : gst_pad_query_default (pad, parent, query);
    }
  }
}

/* Position: what the application has read, in stream time. */
static gboolean
query_position (GstKitharaSink * self, GstQuery * query)
{
  KitharaNode *node = gst_kithara_element_get_node (GST_KITHARA_ELEMENT (self));
  GstFormat format;
  guint64 read;
  gint64 position = -1;

  gst_query_parse_position (query, &format, NULL);
  if (format != GST_FORMAT_TIME)
    return FALSE;

  kithara_node_lock_tick (node);
  if (self->ring && self->segment.format == GST_FORMAT_TIME &&
      self->configured) {
    read = kithara_frame_ring_read_position (self->ring);
    if (read >= self->segment_frame) {
      GstClockTime offset = gst_util_uint64_scale (read - self->segment_frame,
          GST_SECOND, GST_AUDIO_INFO_RATE (&self->info));

      position = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
          self->segment.start + offset);
    }
  }
  kithara_node_unlock_tick (node);

  if (position < 0)
    return FALSE;
  gst_query_set_position (query, GST_FORMAT_TIME, position);
  return TRUE;
}

static gboolean
gst_kithara_sink_query (GstElement * element, GstQuery * query)
{
  GstKitharaSink *self = GST_KITHARA_SINK (element);

  if (GST_QUERY_TYPE (query) == GST_QUERY_POSITION &&
      query_position (self, query))
    return TRUE;
  /* As a stock sink: the rest (duration, seeking, ...) is the stream's,
   * asked upstream. */
  return gst_pad_peer_query (gst_kithara_element_get_sink_pad
      (GST_KITHARA_ELEMENT (self)), query);
}

/* As a stock sink: a seek (or any upstream event) sent to the element
 * goes upstream from its sink pad, toward the decks. */
static gboolean
gst_kithara_sink_send_event (GstElement * element, GstEvent * event)
{
  if (GST_EVENT_IS_UPSTREAM (event))
    return gst_pad_push_event (gst_kithara_element_get_sink_pad
        (GST_KITHARA_ELEMENT (element)), event);
  return GST_ELEMENT_CLASS (gst_kithara_sink_parent_class)->send_event
      (element, event);
}

static void
extend_stats (GstKitharaElement * base, GstStructure * s)
{
  GstKitharaSink *self = GST_KITHARA_SINK (base);
  KitharaNode *node = gst_kithara_element_get_node (base);
  guint64 fill = 0, capacity = 0, read = 0;

  /* The ring is replaced only in a tick. */
  kithara_node_lock_tick (node);
  if (self->ring) {
    fill = kithara_frame_ring_fill (self->ring);
    capacity = kithara_frame_ring_get_capacity (self->ring);
    read = kithara_frame_ring_read_position (self->ring);
  }
  kithara_node_unlock_tick (node);

  gst_structure_set (s,
      "underruns", G_TYPE_UINT64, gst_kithara_sink_get_underruns (self),
      "missing-frames", G_TYPE_UINT64,
      __atomic_load_n (&self->missing_frames, __ATOMIC_RELAXED),
      "ring-frames", G_TYPE_UINT64, fill,
      "ring-capacity", G_TYPE_UINT64, capacity,
      "frames-read", G_TYPE_UINT64, read, NULL);
}

/* READY to PAUSED, before the node joins the worker. */
static void
start_control (gpointer user_data)
{
  GstKitharaSink *self = user_data;

  self->configured = FALSE;
  gst_clear_caps (&self->pending_caps);
  __atomic_store_n (&self->underruns, 0, __ATOMIC_RELAXED);
  __atomic_store_n (&self->missing_frames, 0, __ATOMIC_RELAXED);
  g_atomic_int_set (&self->report_underrun, 0);
  gst_kithara_sink_flush (GST_KITHARA_ELEMENT (self));
  g_atomic_int_set (&self->closing, 0);
  gate_release (self, GATE_FREE);
}

/* PAUSED to READY, once the node has left the worker.  The ring goes once
 * the gate is closed; a reader still inside closes it on its way out, and
 * the ring then waits for the next start or for finalize. */
static void
stop_control (gpointer user_data)
{
  GstKitharaSink *self = user_data;

  release_pending (self);
  if (self->ring && gate_is_closed (self)) {
    kithara_frame_ring_free (self->ring);
    self->ring = NULL;
  }
}

static GstStateChangeReturn
gst_kithara_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstKitharaSink *self = GST_KITHARA_SINK (element);
  GstKitharaElement *base = GST_KITHARA_ELEMENT (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_kithara_element_control (base, start_control);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_atomic_int_set (&self->playing, 1);
      gst_kithara_element_set_followed_class (base,
          KITHARA_SERVICE_CLASS_AUDIBLE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* No reader may touch the ring once the node leaves the worker. */
      gate_close (self);
      g_atomic_int_set (&self->playing, 0);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kithara_sink_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_atomic_int_set (&self->playing, 0);
      gst_kithara_element_set_followed_class (base,
          KITHARA_SERVICE_CLASS_WARM);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_kithara_element_control (base, stop_control);
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
gst_kithara_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaSink *self = GST_KITHARA_SINK (object);

  switch (prop_id) {
    case PROP_BUFFER_TIME:
      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      GST_OBJECT_LOCK (self);
      self->buffer_time = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CAPS:{
      GstCaps *caps, *templ;

      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      caps = g_value_dup_boxed (value);
      templ = gst_static_pad_template_get_caps (&sink_template);

      /* Refused at once rather than at link time: caps the ring cannot
       * hold (U8, planar, ...) would never negotiate. */
      if (caps && !gst_caps_can_intersect (caps, templ)) {
        gchar *text = gst_caps_to_string (caps);

        g_warning ("%s: caps %s are none that kitharasink delivers (F32LE, "
            "F64LE, S16LE or S32LE, interleaved): ignored",
            GST_ELEMENT_NAME (self), text);
        g_free (text);
        gst_caps_unref (caps);
      } else {
        GST_OBJECT_LOCK (self);
        gst_caps_take (&self->filter_caps, caps);
        GST_OBJECT_UNLOCK (self);
      }
      gst_caps_unref (templ);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaSink *self = GST_KITHARA_SINK (object);

  switch (prop_id) {
    case PROP_BUFFER_TIME:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->buffer_time);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CAPS:
      GST_OBJECT_LOCK (self);
      gst_value_set_caps (value, self->filter_caps);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_UNDERRUNS:
      g_value_set_uint64 (value, gst_kithara_sink_get_underruns (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_sink_constructed (GObject * object)
{
  GstKitharaSink *self = GST_KITHARA_SINK (object);
  GstPad *pad;

  G_OBJECT_CLASS (gst_kithara_sink_parent_class)->constructed (object);
  pad = gst_kithara_element_get_sink_pad (GST_KITHARA_ELEMENT (self));
  GST_PAD_UNSET_PROXY_CAPS (pad);
  GST_PAD_UNSET_PROXY_ALLOCATION (pad);
  gst_pad_set_query_function (pad, gst_kithara_sink_sink_query);
}

static void
gst_kithara_sink_finalize (GObject * object)
{
  GstKitharaSink *self = GST_KITHARA_SINK (object);

  release_pending (self);
  if (self->ring)
    kithara_frame_ring_free (self->ring);
  gst_clear_caps (&self->pending_caps);
  gst_clear_caps (&self->filter_caps);
  G_OBJECT_CLASS (gst_kithara_sink_parent_class)->finalize (object);
}

static void
gst_kithara_sink_init (GstKitharaSink * self)
{
  self->buffer_time = DEFAULT_BUFFER_TIME;
  self->gate = GATE_CLOSED;
  gst_audio_info_init (&self->info);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
gst_kithara_sink_class_init (GstKitharaSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kithara_class = GST_KITHARA_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_sink_debug, "kitharasink", 0,
      "Kithara exit for applications");

  gobject_class->set_property = gst_kithara_sink_set_property;
  gobject_class->get_property = gst_kithara_sink_get_property;
  gobject_class->constructed = gst_kithara_sink_constructed;
  gobject_class->finalize = gst_kithara_sink_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kithara_sink_change_state);
  element_class->query = GST_DEBUG_FUNCPTR (gst_kithara_sink_query);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_kithara_sink_send_event);

  kithara_class->tick = gst_kithara_sink_tick;
  kithara_class->flush = gst_kithara_sink_flush;
  kithara_class->extend_stats = extend_stats;

  g_object_class_install_property (gobject_class, PROP_BUFFER_TIME,
      g_param_spec_uint64 ("buffer-time", "Buffer time",
          "Capacity of the ring the application reads from, in nanoseconds "
          "of audio; the worker refills it when it drains to half",
          MIN_BUFFER_TIME, MAX_BUFFER_TIME, DEFAULT_BUFFER_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CAPS,
      g_param_spec_boxed ("caps", "Caps",
          "The formats the application accepts (NULL = any the pad "
          "template allows); caps outside the template are refused with a "
          "warning", GST_TYPE_CAPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_UNDERRUNS,
      g_param_spec_uint64 ("underruns", "Underruns",
          "Reads that came up short while PLAYING (also in stats)", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstKitharaSink::pull-sample:
   * @sink: the element
   * @frames: how many frames to read
   *
   * For bindings: reads like gst_kithara_sink_read() (never waits; what is
   * missing is silence and counted as an underrun while PLAYING) into a new
   * sample carrying the format.
   *
   * Returns: (transfer full) (nullable): a #GstSample of @frames frames,
   * or %NULL while no format is negotiated.
   */
  signals[SIGNAL_PULL_SAMPLE] = g_signal_new_class_handler ("pull-sample",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_kithara_sink_pull_sample), NULL, NULL, NULL,
      GST_TYPE_SAMPLE, 1, G_TYPE_UINT);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara application sink", "Sink/Audio",
      "Exit for applications: a real-time audio callback reads PCM from a "
      "lock-free ring filled by the shared kithara worker",
      "Kithara developers");
}
