/* Kithara: kitharadecode, decoding as a node on the shared worker.
 *
 * SECTION:element-kitharadecode
 * @title: kitharadecode
 *
 * Decodes any audio stream GStreamer can parse to raw audio, on the
 * kithara worker.  Inside, a parsebin, a decoder for the stream it
 * exposes (none for raw PCM) and, when downstream needs another sample
 * format, an audioconvert run synchronously in the tick: no multiqueue,
 * no internal threads.  The decoder is chosen as decodebin chooses it:
 * from the stream's fixed caps, best rank first, the next one tried when
 * one fails to link, start or take the caps (kitharadecodeplug.c).  The
 * first audio stream is decoded (or the one chosen with
 * #GstKitharaDecode:audio-stream); other streams are dropped.  What the
 * private chain posts reaches the bus as a bin would pass it up, from the
 * element that posted it.
 *
 * When upstream allows pull mode (filesrc, giosrc), the chain pulls
 * through the node as it would under decodebin: typefind, then the
 * demuxer or parser in pull mode, so Ogg is trimmed to its end granule and
 * chained Ogg streams are found up front.  Their streaming tasks get no
 * thread: the node runs one iteration of a task per tick (see
 * kitharatickpool.c), so no upstream or internal streaming thread exists
 * at all.  Otherwise the node takes pushed bytes through its inlet and
 * feeds them to the chain.  Each tick either pushes one decoded buffer
 * downstream or lets the chain make one step (one page or frame, or one
 * pushed buffer), so a tick stays small.
 *
 * After a TIME seek the element posts a "kithara-seek-landed" element
 * message saying where the stream really restarted (requested and landed
 * position, in time and samples, and the seek's seqnum), and answers
 * position queries with the landing until playback has moved on
 * (kitharaseeklanding.c).
 *
 * A deck plays tracks in a row with no gap: #GstKitharaDecode:next-uri
 * names the track after the current one.  Its own chain (kitharadecodechain.c)
 * is started at once and decoded ahead, up to
 * #GstKitharaDecode:ready-time, in the ticks where the playing track
 * cannot go on; when the playing track ends, the next one takes over, its
 * timestamps continuing the output's (kitharadecodejoint.c), and a
 * "kithara-track-changed" message says so.  A "kithara-deck-ready"
 * message says, once per load, flushing seek and track change, that
 * ready-time of audio waits downstream.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=track.flac ! kitharadecode ! kitharaeq ! \
 *     wavenc ! filesink location=out.wav
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/audio/audio.h>
#include "gstkitharadecode.h"
#include "gstkitharaelements.h"
#include "kitharadecodechain.h"
#include "kitharadecodejoint.h"
#include "kitharaseeklanding.h"

GST_DEBUG_CATEGORY (gst_kithara_decode_debug);
#define GST_CAT_DEFAULT gst_kithara_decode_debug

#define DEFAULT_AUDIO_STREAM 0
#define DEFAULT_READY_TIME (200 * GST_MSECOND)

#define TRACK_CHANGED_MESSAGE "kithara-track-changed"
#define READY_MESSAGE "kithara-deck-ready"

enum
{
  PROP_0,
  PROP_AUDIO_STREAM,
  PROP_NEXT_URI,
  PROP_READY_TIME,
};

struct _GstKitharaDecode
{
  GstKitharaElement parent;

  /* Touched by the tick, or under the tick lock. */
  KitharaDecodeChain *track;    /* the chain of the track playing */
  KitharaDecodeChain *next;     /* the next track's, prepared ahead */
  GstMessage *next_error;       /* what made the next track fail */
  GThread *holding_errors;      /* works on the next track (atomic) */
  gboolean started;             /* the chains run (PAUSED or PLAYING) */
  KitharaDecodeJoint joint;     /* the tracks' one timeline */
  KitharaSeekLanding landing;   /* where the last seek restarted */
  gboolean ready_armed;         /* a readiness message is due */

  /* Written by the tick under the object lock, for the stats. */
  guint track_index;            /* 0 for the first track */
  GstClockTime ready_waiting;   /* pushed since readiness was armed */
  GstClockTime next_prepared;   /* of the next track, decoded ahead */

  /* The playing track's capture pad, for upstream events from any thread
   * (QOS, reconfigure): under the object lock. */
  GstPad *capture_pad;

  /* Properties, under the object lock. */
  gint audio_stream;
  gchar *next_uri;
  GstClockTime ready_time;
};

G_DEFINE_TYPE (GstKitharaDecode, gst_kithara_decode, GST_TYPE_KITHARA_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (kitharadecode, "kitharadecode", GST_RANK_NONE,
    GST_TYPE_KITHARA_DECODE);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

/* ------------------------------------------------------------------ */
/* Readiness: once per load, flushing seek and track change, a message
 * says that ready-time of audio has gone out and waits downstream. */

static void
arm_readiness (GstKitharaDecode * self)
{
  self->ready_armed = TRUE;
  GST_OBJECT_LOCK (self);
  self->ready_waiting = 0;
  GST_OBJECT_UNLOCK (self);
}

static void
post_ready (GstKitharaDecode * self)
{
  GstStructure *s;

  if (!self->ready_armed || self->track->failed)
    return;
  GST_OBJECT_LOCK (self);
  if (self->ready_waiting == 0) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  s = gst_structure_new (READY_MESSAGE,
      "waiting", G_TYPE_UINT64, (guint64) self->ready_waiting,
      "ready-time", G_TYPE_UINT64, (guint64) self->ready_time,
      "track", G_TYPE_UINT, self->track_index, NULL);
  GST_OBJECT_UNLOCK (self);
  self->ready_armed = FALSE;
  GST_DEBUG_OBJECT (self, "ready: %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* @buf is going out. */
static void
count_ready (GstKitharaDecode * self, GstBuffer * buf)
{
  gboolean reached;

  if (!self->ready_armed || !GST_BUFFER_DURATION_IS_VALID (buf))
    return;
  GST_OBJECT_LOCK (self);
  self->ready_waiting += GST_BUFFER_DURATION (buf);
  reached = self->ready_waiting >= self->ready_time;
  GST_OBJECT_UNLOCK (self);
  if (reached)
    post_ready (self);
}

/* The playing track changed (or went): so does the pad for upstream
 * events. */
static void
track_changed (GstKitharaDecode * self)
{
  GstPad *pad = self->track ? gst_object_ref (self->track->capture_pad) :
      NULL;

  GST_OBJECT_LOCK (self);
  gst_object_replace ((GstObject **) & self->capture_pad, (GstObject *) pad);
  GST_OBJECT_UNLOCK (self);
  gst_clear_object (&pad);
}

/* ------------------------------------------------------------------ */
/* The next track.  Its chain is built and started as soon as next-uri is
 * set (while the element runs), and decoded ahead, up to ready-time, in
 * the ticks where the playing track has nothing to do.  An error it
 * meets is held: the playing track plays to its end and the deck ends
 * there (EOS), the error posted as a warning (see next_track_failed ()). */

/* Errors posted on this thread come from the next track's chain. */
static void
hold_errors (GstKitharaDecode * self, gboolean hold)
{
  g_atomic_pointer_set (&self->holding_errors, hold ? g_thread_self () :
      NULL);
}

static void
drop_next (GstKitharaDecode * self)
{
  g_clear_pointer (&self->next, kithara_decode_chain_free);
  gst_clear_message (&self->next_error);
  GST_OBJECT_LOCK (self);
  self->next_prepared = 0;
  GST_OBJECT_UNLOCK (self);
}

/* A control: (re)builds the next track's chain for next-uri. */
static void
queue_next (gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->next_uri);
  GST_OBJECT_UNLOCK (self);

  if (self->next && g_strcmp0 (self->next->uri, uri) == 0) {
    g_free (uri);
    return;
  }
  drop_next (self);
  if (uri && self->started) {
    GST_DEBUG_OBJECT (self, "preparing the next track %s", uri);
    hold_errors (self, TRUE);
    self->next = kithara_decode_chain_new (GST_KITHARA_ELEMENT (self), uri);
    if (self->next && !self->next->failed)
      kithara_decode_chain_start (self->next, TRUE);
    hold_errors (self, FALSE);
    kithara_node_wake (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
            (self)));
  }
  g_free (uri);
}

/* One step of the next track's chain, while it has less than ready-time
 * decoded.  Returns whether it did something. */
static gboolean
prepare_next (GstKitharaDecode * self)
{
  GstClockTime ready_time;
  gboolean progress = FALSE;

  if (self->next == NULL || self->next->failed || !self->next->ready)
    return FALSE;
  GST_OBJECT_LOCK (self);
  ready_time = self->ready_time;
  GST_OBJECT_UNLOCK (self);
  if (self->next->out_time >= MAX (ready_time, 1))
    return FALSE;

  hold_errors (self, TRUE);
  kithara_decode_chain_step (self->next, &progress);
  hold_errors (self, FALSE);
  GST_OBJECT_LOCK (self);
  self->next_prepared = self->next->out_time;
  GST_OBJECT_UNLOCK (self);
  return progress;
}

static void pass_flush (KitharaDecodeChain * chain, GstEvent * event,
    gpointer user_data);

/* The playing track ended and the next one failed: nothing of what
 * played is lost, the deck ends there.  What the next track met is said
 * as a warning (from where it was met), not as an error that would stop
 * the pipeline with the end of the playing track still on its way. */
static void
next_track_failed (GstKitharaDecode * self)
{
  GstMessage *error = g_steal_pointer (&self->next_error);
  GError *err = NULL;
  gchar *debug = NULL;

  GST_DEBUG_OBJECT (self, "the next track failed: the deck ends");
  if (error) {
    GError *said;
    gchar *uri;

    GST_OBJECT_LOCK (self);
    uri = g_strdup (self->next ? self->next->uri : self->next_uri);
    GST_OBJECT_UNLOCK (self);
    gst_message_parse_error (error, &err, &debug);
    said = g_error_new (err->domain, err->code, "The next track, %s, cannot "
        "be played: %s", uri, err->message);
    g_free (uri);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_warning (GST_MESSAGE_SRC (error), said, debug));
    g_error_free (said);
    g_clear_error (&err);
    g_free (debug);
    gst_message_unref (error);
  }
  drop_next (self);
  /* Used up, as a next track that played. */
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->next_uri, g_free);
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "next-uri");
}

/* The playing track ended and a next one is there: it takes over, its
 * time continuing the output's. */
static KitharaTickResult
change_track (GstKitharaDecode * self)
{
  KitharaDecodeChain *old = self->track;
  GstClockTime joint = kithara_decode_joint_end (&self->joint);
  gchar *uri;

  self->track = g_steal_pointer (&self->next);
  kithara_decode_chain_set_flush_func (self->track, pass_flush, self);
  track_changed (self);
  kithara_decode_chain_free (old);
  uri = g_strdup (self->track->uri);
  GST_OBJECT_LOCK (self);
  self->track_index++;
  self->next_prepared = 0;
  if (g_strcmp0 (self->next_uri, uri) == 0)
    g_clear_pointer (&self->next_uri, g_free);
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "track %u (%s) starts at %" GST_TIME_FORMAT,
      self->track_index, uri, GST_TIME_ARGS (joint));
  kithara_decode_joint_next_track (&self->joint);
  kithara_seek_landing_flushed (&self->landing);
  arm_readiness (self);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new (TRACK_CHANGED_MESSAGE,
              "uri", G_TYPE_STRING, uri,
              "track", G_TYPE_UINT, self->track_index,
              "joint", G_TYPE_UINT64, (guint64) joint, NULL)));
  g_free (uri);
  g_object_notify (G_OBJECT (self), "next-uri");
  return KITHARA_TICK_PROGRESS;
}

/* ------------------------------------------------------------------ */
/* The playing track's chain */

/* A flush out of the playing track's chain (a seek): downstream is
 * flushed, and what was decided about the decoded stream restarts. */
static void
pass_flush (KitharaDecodeChain * chain, GstEvent * event, gpointer user_data)
{
  GstKitharaDecode *self = user_data;

  kithara_seek_landing_flushed (&self->landing);
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    kithara_decode_joint_flushed (&self->joint);
    arm_readiness (self);
  }
  gst_kithara_element_push_event (GST_KITHARA_ELEMENT (self), event);
}

static gboolean
build_chain (GstKitharaDecode * self)
{
  if (self->track)
    return TRUE;                /* still there: its teardown was put off */
  self->track = kithara_decode_chain_new (GST_KITHARA_ELEMENT (self), NULL);
  if (self->track == NULL)
    return FALSE;
  kithara_decode_chain_set_flush_func (self->track, pass_flush, self);
  track_changed (self);
  return TRUE;
}

static void
destroy_chain (GstKitharaDecode * self)
{
  drop_next (self);
  g_clear_pointer (&self->track, kithara_decode_chain_free);
  track_changed (self);
}

/* Back to a fresh stream, from the first track: the chain of a track
 * that took over is replaced by one fed through the sink pad again. */
static void
reset_chain (gpointer user_data)
{
  GstKitharaDecode *self = user_data;

  self->started = FALSE;
  drop_next (self);
  if (self->track && self->track->uri) {
    g_clear_pointer (&self->track, kithara_decode_chain_free);
    track_changed (self);
    build_chain (self);
  }
  if (self->track)
    kithara_decode_chain_reset (self->track);
  kithara_decode_joint_reset (&self->joint);
  kithara_seek_landing_reset (&self->landing);
  self->ready_armed = FALSE;
  GST_OBJECT_LOCK (self);
  self->track_index = 0;
  self->ready_waiting = 0;
  GST_OBJECT_UNLOCK (self);
}

/* Starts the chain once our sink pad is active, so that it knows whether
 * to pull.  Our own state change has succeeded by now: a failure here is
 * reported by the tick, as an error of this element.  A control: the
 * node's tick lock is held. */
static void
start_chain (gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  GstPad *sinkpad = gst_kithara_element_get_sink_pad (GST_KITHARA_ELEMENT
      (self));

  kithara_decode_chain_start (self->track,
      GST_PAD_MODE (sinkpad) == GST_PAD_MODE_PULL);
  self->started = TRUE;
  arm_readiness (self);
  queue_next (self);
  kithara_node_wake (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (self)));
}

/* Unless the element was started again meanwhile (the chain is reused
 * then, see build_chain()). */
static void
destroy_chain_control (gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  GstState target;

  GST_OBJECT_LOCK (self);
  target = GST_STATE_TARGET (self);
  GST_OBJECT_UNLOCK (self);
  if (target == GST_STATE_NULL)
    destroy_chain (self);
}

/* ------------------------------------------------------------------ */
/* The tick */

static KitharaTickResult
fail (GstKitharaDecode * self, GstFlowReturn ret)
{
  kithara_decode_chain_clear_out (self->track, FALSE);
  kithara_seek_landing_flushed (&self->landing);
  return gst_kithara_element_close (GST_KITHARA_ELEMENT (self), ret);
}

/* Downstream is full: what went out waits there, the deck is ready;
 * meanwhile the next track may be prepared. */
static KitharaTickResult
backpressured (GstKitharaDecode * self)
{
  post_ready (self);
  return prepare_next (self) ? KITHARA_TICK_PROGRESS :
      KITHARA_TICK_BACKPRESSURED;
}

static KitharaTickResult
push_one_out (GstKitharaDecode * self)
{
  GstKitharaElement *base = GST_KITHARA_ELEMENT (self);
  GstMiniObject *item;
  GstMessage *landed;

  if (gst_kithara_element_downstream_full (base))
    return backpressured (self);

  item = kithara_decode_chain_pop (self->track);
  if (GST_IS_EVENT (item) && GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    if (self->next_error || (self->next && self->next->failed)) {
      next_track_failed (self);
    } else if (self->next) {
      gst_event_unref (GST_EVENT (item));
      return change_track (self);
    }
  }
  item = kithara_decode_joint_pass (&self->joint, item);
  if (item == NULL)
    return KITHARA_TICK_PROGRESS;       /* clipped away */

  landed = kithara_seek_landing_pass (&self->landing, GST_OBJECT (self), item);
  if (landed)
    gst_element_post_message (GST_ELEMENT (self), landed);
  if (GST_IS_BUFFER (item)) {
    count_ready (self, GST_BUFFER (item));
    return gst_kithara_element_tick_result (base,
        gst_kithara_element_push (base, GST_BUFFER (item)));
  }

  if (GST_IS_QUERY (item)) {
    gst_kithara_element_push_query (base, GST_QUERY (item));
    return KITHARA_TICK_PROGRESS;
  }
  if (GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    /* A track shorter than ready-time: all of it waits downstream. */
    post_ready (self);
    gst_kithara_element_push_event (base, GST_EVENT (item));
    return gst_kithara_element_close (base, GST_FLOW_EOS);
  }
  gst_kithara_element_push_event (base, GST_EVENT (item));
  return KITHARA_TICK_PROGRESS;
}

/* Each tick pushes one decoded item downstream, or else lets the playing
 * track's chain make one step, or else the next track's. */
static KitharaTickResult
gst_kithara_decode_tick (GstKitharaElement * base)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);
  GstFlowReturn ret;
  gboolean progress;

  if (self->track == NULL)
    return KITHARA_TICK_WAITING;
  if (self->track->failed)
    return fail (self, GST_FLOW_ERROR);
  if (!g_queue_is_empty (&self->track->out))
    return push_one_out (self);
  if (!self->track->ready)
    return KITHARA_TICK_WAITING;        /* woken once it is */

  ret = kithara_decode_chain_step (self->track, &progress);
  if (ret != GST_FLOW_OK)
    return fail (self, ret);
  if (progress || prepare_next (self))
    return KITHARA_TICK_PROGRESS;
  return KITHARA_TICK_WAITING;
}

/* Errors posted while working on the next track are held until it
 * plays (see change_track()). */
static gboolean
gst_kithara_decode_post_message (GstElement * element, GstMessage * msg)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (element);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR &&
      g_atomic_pointer_get (&self->holding_errors) == g_thread_self ()) {
    GST_DEBUG_OBJECT (self, "the next track failed: %" GST_PTR_FORMAT, msg);
    if (self->next_error == NULL)
      self->next_error = msg;
    else
      gst_message_unref (msg);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (gst_kithara_decode_parent_class)->post_message
      (element, msg);
}

/* ------------------------------------------------------------------ */
/* Pads of the element */

static gboolean
gst_kithara_decode_sink_activate (GstPad * pad, GstObject * parent)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (parent);
  GstQuery *query = gst_query_new_scheduling ();
  gboolean pull = FALSE;

  if (gst_pad_peer_query (pad, query))
    pull = gst_query_has_scheduling_mode_with_flags (query, GST_PAD_MODE_PULL,
        GST_SCHEDULING_FLAG_SEEKABLE);
  gst_query_unref (query);

  GST_DEBUG_OBJECT (self, "upstream %s pull mode", pull ? "allows" : "denies");
  if (!gst_pad_activate_mode (pad, pull ? GST_PAD_MODE_PULL :
          GST_PAD_MODE_PUSH, TRUE))
    return FALSE;
  /* A tick that ran before activation found nothing to pull. */
  kithara_node_wake (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (self)));
  return TRUE;
}

static gboolean
gst_kithara_decode_src_event (GstKitharaElement * base, GstEvent * event)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);
  KitharaNode *node = gst_kithara_element_get_node (base);
  GstSeekFlags flags;
  gboolean res;

  if (GST_EVENT_TYPE (event) != GST_EVENT_SEEK) {
    GstPad *capture;

    /* Not under the tick lock: the thread may be a worker (an element
     * downstream renegotiating in its tick). */
    GST_OBJECT_LOCK (self);
    capture = self->capture_pad ? gst_object_ref (self->capture_pad) : NULL;
    GST_OBJECT_UNLOCK (self);
    if (capture == NULL) {
      gst_event_unref (event);
      return FALSE;
    }
    res = gst_pad_push_event (capture, event);
    gst_object_unref (capture);
    return res;
  }

  /* The seek travels up the private chain (decoder, parser, demuxer),
   * all while no tick of ours runs.  A pulling demuxer or parser seeks
   * itself (pausing its task, which runs only in our ticks, and
   * restarting it); a pushed one sends a byte seek upstream. */
  /* As for any streaming thread: a flushing seek first unblocks what the
   * tick may be waiting on downstream (a prerolling sink), then waits for
   * the tick to end. */
  gst_event_parse_seek (event, NULL, NULL, &flags, NULL, NULL, NULL, NULL);
  if (flags & GST_SEEK_FLAG_FLUSH) {
    GstEvent *flush = gst_event_new_flush_start ();

    gst_event_set_seqnum (flush, gst_event_get_seqnum (event));
    gst_kithara_element_push_event (base, flush);
  }

  kithara_node_lock_tick (node);
  if (self->track == NULL) {
    kithara_node_unlock_tick (node);
    gst_event_unref (event);
    return FALSE;
  }
  kithara_seek_landing_request (&self->landing, event, &self->track->out);
  res = kithara_decode_chain_send_event (self->track, event);
  if (!res)
    kithara_seek_landing_cancel (&self->landing);
  kithara_node_unlock_tick (node);
  kithara_node_wake (node);
  return res;
}

static gboolean
gst_kithara_decode_src_query (GstKitharaElement * base, GstQuery * query)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      /* Right after a seek, where playback restarted (not the request,
       * nor how far the chain has decoded beyond it). */
      if (kithara_seek_landing_answer (&self->landing, query))
        return TRUE;
      /* fall through */
    case GST_QUERY_DURATION:
    case GST_QUERY_SEEKING:
    case GST_QUERY_SEGMENT:
    case GST_QUERY_CONVERT:{
      KitharaNode *node = gst_kithara_element_get_node (base);
      gboolean res;

      /* The playing track's chain, not while it is swapped. */
      kithara_node_lock_tick (node);
      res = self->track && kithara_decode_chain_query (self->track, query);
      kithara_node_unlock_tick (node);
      return res;
    }
    default:
      return FALSE;
  }
}

static GstCaps *
gst_kithara_decode_transform_caps (GstKitharaElement * base,
    GstPadDirection direction, GstCaps * caps)
{
  /* Anything in, raw audio out. */
  return direction == GST_PAD_SINK ? gst_caps_new_empty_simple ("audio/x-raw")
      : gst_caps_new_any ();
}

static void
gst_kithara_decode_flush (GstKitharaElement * base)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);

  /* Upstream flushed us (push mode, a flushing seek upstream): the
   * playing track's chain is flushed too. */
  if (self->track)
    kithara_decode_chain_flush_input (self->track);
  kithara_seek_landing_flushed (&self->landing);
  kithara_decode_joint_flushed (&self->joint);
  if (self->started)
    arm_readiness (self);
}

static void
gst_kithara_decode_extend_stats (GstKitharaElement * base, GstStructure * s)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);

  GST_OBJECT_LOCK (self);
  gst_structure_set (s, "track", G_TYPE_UINT, self->track_index,
      "ready-waiting", G_TYPE_UINT64, (guint64) self->ready_waiting,
      "next-prepared", G_TYPE_UINT64, (guint64) self->next_prepared, NULL);
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_kithara_decode_change_state (GstElement * element,
    GstStateChange transition)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (element);
  GstKitharaElement *base = GST_KITHARA_ELEMENT (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!build_chain (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      /* The node joins the worker (in the parent's change) while this
       * thread holds it, and its first tick runs once the chain is
       * started.  Otherwise that tick could meet an error of the chain
       * and post it to a sync handler that sets the pipeline's state,
       * waiting for the state lock this thread holds while it waits for
       * the tick. */
      kithara_node_lock_tick (gst_kithara_element_get_node (base));
      gst_kithara_element_control (base, reset_chain);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kithara_decode_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      kithara_node_unlock_tick (gst_kithara_element_get_node (base));
    return ret;
  }

  /* The chain is taken down and started by controls of the node: never
   * while a tick runs it, and on a worker (a state change from a bus sync
   * handler, for an error the chain itself posted) only once the tick
   * that runs inside the chain has returned. */
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_kithara_element_control (base, start_chain);
      kithara_node_unlock_tick (gst_kithara_element_get_node (base));
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_kithara_element_control (base, reset_chain);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_kithara_element_control (base, destroy_chain_control);
      break;
    default:
      break;
  }
  return ret;
}

static void
gst_kithara_decode_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (object);

  switch (prop_id) {
    case PROP_AUDIO_STREAM:
      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      GST_OBJECT_LOCK (self);
      self->audio_stream = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_NEXT_URI:
      GST_OBJECT_LOCK (self);
      g_free (self->next_uri);
      self->next_uri = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      gst_kithara_element_control (GST_KITHARA_ELEMENT (self), queue_next);
      break;
    case PROP_READY_TIME:
      GST_OBJECT_LOCK (self);
      self->ready_time = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_decode_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (object);

  switch (prop_id) {
    case PROP_AUDIO_STREAM:
      GST_OBJECT_LOCK (self);
      g_value_set_int (value, self->audio_stream);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_NEXT_URI:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->next_uri);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_READY_TIME:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->ready_time);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_decode_constructed (GObject * object)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (object);
  GstPad *sinkpad;

  G_OBJECT_CLASS (gst_kithara_decode_parent_class)->constructed (object);
  sinkpad = gst_kithara_element_get_sink_pad (GST_KITHARA_ELEMENT (self));
  gst_pad_set_activate_function (sinkpad, gst_kithara_decode_sink_activate);
  kithara_seek_landing_init (&self->landing,
      gst_kithara_element_get_src_pad (GST_KITHARA_ELEMENT (self)));
}

static void
gst_kithara_decode_finalize (GObject * object)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (object);

  destroy_chain (self);
  kithara_seek_landing_clear (&self->landing);
  g_free (self->next_uri);
  G_OBJECT_CLASS (gst_kithara_decode_parent_class)->finalize (object);
}

static void
gst_kithara_decode_init (GstKitharaDecode * self)
{
  self->audio_stream = DEFAULT_AUDIO_STREAM;
  self->ready_time = DEFAULT_READY_TIME;
  kithara_decode_joint_reset (&self->joint);
}

static void
gst_kithara_decode_class_init (GstKitharaDecodeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kithara_class = GST_KITHARA_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_decode_debug, "kitharadecode", 0,
      "Kithara decode node");

  gobject_class->set_property = gst_kithara_decode_set_property;
  gobject_class->get_property = gst_kithara_decode_get_property;
  gobject_class->constructed = gst_kithara_decode_constructed;
  gobject_class->finalize = gst_kithara_decode_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kithara_decode_change_state);
  element_class->post_message = gst_kithara_decode_post_message;

  kithara_class->tick = gst_kithara_decode_tick;
  kithara_class->flush = gst_kithara_decode_flush;
  kithara_class->transform_caps = gst_kithara_decode_transform_caps;
  kithara_class->src_event = gst_kithara_decode_src_event;
  kithara_class->src_query = gst_kithara_decode_src_query;
  kithara_class->extend_stats = gst_kithara_decode_extend_stats;

  g_object_class_install_property (gobject_class, PROP_AUDIO_STREAM,
      g_param_spec_int ("audio-stream", "Audio stream",
          "Index of the audio stream to decode when the input has several "
          "(0 = the first); the others are dropped (set in NULL or READY)",
          0, G_MAXINT, DEFAULT_AUDIO_STREAM, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_NEXT_URI,
      g_param_spec_string ("next-uri", "Next URI",
          "The track to play after the current one, with no gap (a URI whose "
          "source can be read in pull mode, such as file://); it reads NULL "
          "again once the deck has moved on to it", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_READY_TIME,
      g_param_spec_uint64 ("ready-time", "Ready time",
          "How much decoded audio must wait downstream before the deck posts "
          "its \"" READY_MESSAGE "\" message (after a load, a flushing seek "
          "or a track change), and how much of the next track is decoded "
          "ahead (ns)", 0, G_MAXUINT64, DEFAULT_READY_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara decoder", "Codec/Decoder/Audio",
      "Decodes any audio stream GStreamer can parse, as a node on the shared "
      "kithara worker (pulls from upstream when it can)",
      "Kithara developers");
}
