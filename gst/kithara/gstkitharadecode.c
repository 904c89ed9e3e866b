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
#include <gst/pbutils/pbutils.h>
#include "gstkitharadecode.h"
#include "gstkitharaelements.h"
#include "kitharadecodeplug.h"
#include "kitharaseeklanding.h"
#include "kitharatickpool.h"

GST_DEBUG_CATEGORY (gst_kithara_decode_debug);
#define GST_CAT_DEFAULT gst_kithara_decode_debug

#define DEFAULT_AUDIO_STREAM 0

enum
{
  PROP_0,
  PROP_AUDIO_STREAM,
};

struct _GstKitharaDecode
{
  GstKitharaElement parent;

  /* The private chain: feed_pad ! parsebin ! [decoder] ! [audioconvert] !
   * capture_pad.  The bin has no parent; its bus relays errors to us. */
  GstElement *bin;
  GstElement *parsebin;
  GstElement *convert;
  GstElement *decoder;
  GstPad *feed_pad;
  GstPad *capture_pad;
  KitharaTickPool *tasks;       /* runs the chain's streaming tasks */
  GList *discards;              /* pads eating the streams not decoded */
  GstPad *linked_pad;           /* the parsebin pad being decoded */
  gulong caps_probe;            /* on linked_pad, until its caps are fixed */
  GstElement *trying;           /* a decoder being tried (atomic) */
  GString *plug_why;            /* why the decoders tried so far failed */
  GList *candidates;            /* audio pads that may come next (chained) */
  gboolean linked_ended;        /* the decoded stream sent EOS */
  GstEvent *pending_eos;        /* held until the whole input is drained */

  /* Stream state: touched by the tick, or under the tick lock. */
  gboolean pull_mode;
  gboolean chain_ready;         /* the chain's elements are active */
  gboolean linked_once;         /* an audio stream was found */
  gboolean input_done;          /* EOS fed into the chain */
  gboolean failed;              /* an error was posted */
  gboolean internal_flush;      /* don't forward flushes downstream */
  guint audio_pads_seen;
  GQueue out;                   /* decoded buffers and events, in order */
  KitharaSeekLanding landing;   /* where the last seek restarted */

  /* Properties, under the object lock. */
  gint audio_stream;
};

G_DEFINE_TYPE (GstKitharaDecode, gst_kithara_decode, GST_TYPE_KITHARA_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (kitharadecode, "kitharadecode", GST_RANK_NONE,
    GST_TYPE_KITHARA_DECODE);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

/* Empties the decoded items waiting to go downstream; a flush keeps the
 * sticky events among them, which would not be sent again. */
static void
clear_out_queue (GstKitharaDecode * self, gboolean flush)
{
  kithara_stream_flush_items (&self->out, flush);
  kithara_seek_landing_flushed (&self->landing);
}

/* ------------------------------------------------------------------ */
/* The capture pad: what the chain decodes lands here, on the thread that
 * fed it (the worker, or a seeking thread holding the tick lock). */

static GstFlowReturn
capture_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  g_queue_push_tail (&self->out, buf);
  return GST_FLOW_OK;
}

static gboolean
capture_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);
  GstKitharaElement *base = GST_KITHARA_ELEMENT (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      clear_out_queue (self, TRUE);
      if (self->internal_flush) {
        gst_event_unref (event);
        return TRUE;
      }
      return gst_kithara_element_push_event (base, event);
    case GST_EVENT_EOS:
      /* It may only end one logical stream of a chained input (Ogg), the
       * next one taking over: hold it until the chain has drained all of
       * the input. */
      GST_DEBUG_OBJECT (self, "end of the decoded stream");
      self->linked_ended = TRUE;
      gst_event_replace (&self->pending_eos, event);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      clear_out_queue (self, TRUE);
      if (self->internal_flush) {
        gst_event_unref (event);
        return TRUE;
      }
      return gst_kithara_element_push_event (base, event);
    default:
      if (GST_EVENT_IS_SERIALIZED (event)) {
        g_queue_push_tail (&self->out, event);
        return TRUE;
      }
      return gst_kithara_element_push_event (base, event);
  }
}

static gboolean
capture_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  /* The decoder negotiates with what is really downstream (but does not
   * wait behind an exit for a serialized query's answer). */
  return gst_kithara_element_query_downstream (GST_KITHARA_ELEMENT (self),
      query);
}

/* ------------------------------------------------------------------ */
/* The feed pad: the chain's upstream.  When we pull from upstream the
 * chain pulls through it (typefind, then the demuxer or parser, as under
 * decodebin), its streaming tasks running in our tick; otherwise we push
 * into it what upstream pushes. */

static GstFlowReturn
feed_getrange (GstPad * pad, GstObject * parent, guint64 offset,
    guint length, GstBuffer ** buf)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  return gst_pad_pull_range (gst_kithara_element_get_sink_pad
      (GST_KITHARA_ELEMENT (self)), offset, length, buf);
}

static gboolean
feed_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  /* A pulling demuxer seeks by pulling elsewhere: nothing goes upstream.
   * A pushed one (oggdemux measuring the duration) asks upstream. */
  if (self->pull_mode) {
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_push_event (gst_kithara_element_get_sink_pad
      (GST_KITHARA_ELEMENT (self)), event);
}

static gboolean
feed_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    /* One mode only, so that the chain cannot choose the other. */
    gst_query_set_scheduling (query, self->pull_mode ?
        GST_SCHEDULING_FLAG_SEEKABLE : 0, 1, -1, 0);
    gst_query_add_scheduling_mode (query, self->pull_mode ?
        GST_PAD_MODE_PULL : GST_PAD_MODE_PUSH);
    return TRUE;
  }
  return gst_pad_peer_query (gst_kithara_element_get_sink_pad
      (GST_KITHARA_ELEMENT (self)), query);
}

/* ------------------------------------------------------------------ */
/* Autoplugging, on parsebin's pad-added (synchronously in a tick). */

/* No stream was chosen: there is no audio, or not as many audio streams
 * as audio-stream asks for. */
static void
no_stream_found (GstKitharaDecode * self)
{
  gint wanted;

  if (self->failed)
    return;
  self->failed = TRUE;
  GST_OBJECT_LOCK (self);
  wanted = self->audio_stream;
  GST_OBJECT_UNLOCK (self);
  if (self->audio_pads_seen == 0)
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
        ("No audio stream found in the input."), (NULL));
  else
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
        ("The input has %u audio stream%s: there is no audio stream %d "
            "(audio-stream counts from 0).", self->audio_pads_seen,
            self->audio_pads_seen == 1 ? "" : "s", wanted), (NULL));
}

static GstFlowReturn
discard_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKitharaDecode *self = gst_pad_get_element_private (pad);

  gst_buffer_unref (buf);
  /* parsebin exposes all the streams of the input before any data
   * flows: if none was chosen by now, none will be. */
  if (!self->linked_once)
    no_stream_found (self);
  return GST_FLOW_OK;
}

static gboolean
discard_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

/* A stream we do not decode goes to a pad that discards it.  Not to a
 * sink element: in the chain, which stays PAUSED, a sink would wait in
 * preroll on its first buffer, blocking the worker. */
static void
drop_stream (GstKitharaDecode * self, GstPad * pad)
{
  GstPad *discard = gst_pad_new ("discard", GST_PAD_SINK);

  gst_pad_set_element_private (discard, self);
  gst_pad_set_chain_function (discard, discard_chain);
  gst_pad_set_event_function (discard, discard_event);
  gst_pad_set_active (discard, TRUE);
  gst_pad_link (pad, discard);
  self->discards = g_list_prepend (self->discards, discard);
}

static void
release_discard (GstPad * discard)
{
  GstPad *peer = gst_pad_get_peer (discard);

  if (peer) {
    gst_pad_unlink (peer, discard);
    gst_object_unref (peer);
  }
  gst_pad_set_active (discard, FALSE);
  gst_object_unref (discard);
}

/* The stream @pad was dropped and has gone away: so goes its discard
 * pad.  Returns whether @pad was one of those. */
static gboolean
release_dropped (GstKitharaDecode * self, GstPad * pad)
{
  GstPad *peer = gst_pad_get_peer (pad);
  GList *l = peer ? g_list_find (self->discards, peer) : NULL;

  if (l) {
    self->discards = g_list_delete_link (self->discards, l);
    release_discard (peer);
  }
  gst_clear_object (&peer);
  return l != NULL;
}

static void
release_all_dropped (GstKitharaDecode * self)
{
  g_list_free_full (g_steal_pointer (&self->discards),
      (GDestroyNotify) release_discard);
}

static void
remove_decoder (GstKitharaDecode * self)
{
  if (self->decoder == NULL)
    return;
  kithara_decode_plug_remove (GST_BIN (self->bin), self->decoder);
  self->decoder = NULL;
}

/* The stream decoded so far is no longer @linked_pad's: nor is a wait
 * for its caps. */
static void
forget_linked_pad (GstKitharaDecode * self)
{
  if (self->linked_pad && self->caps_probe)
    gst_pad_remove_probe (self->linked_pad, self->caps_probe);
  self->caps_probe = 0;
  gst_clear_object (&self->linked_pad);
}

/* Whether downstream takes every format @srcpad may produce: then the
 * decoder talks to it directly, as under decodebin, and picks the same
 * format; otherwise audioconvert converts to what downstream accepts. */
static gboolean
needs_conversion (GstKitharaDecode * self, GstPad * srcpad)
{
  GstCaps *produced = gst_pad_query_caps (srcpad, NULL);
  GstCaps *accepted = gst_pad_peer_query_caps (gst_kithara_element_get_src_pad
      (GST_KITHARA_ELEMENT (self)), NULL);
  gboolean convert = !gst_caps_is_subset (produced, accepted);

  gst_caps_unref (produced);
  gst_caps_unref (accepted);
  return convert;
}

/* Links @srcpad (decoder output, or a raw parsebin pad) to the capture
 * pad, through audioconvert when needed. */
static gboolean
route_to_capture (GstKitharaDecode * self, GstPad * srcpad)
{
  GstPad *convert_sink = gst_element_get_static_pad (self->convert, "sink");
  GstPad *convert_src = gst_element_get_static_pad (self->convert, "src");
  GstPad *peer = gst_pad_get_peer (self->capture_pad);
  gboolean ok;

  if (peer) {
    gst_pad_unlink (peer, self->capture_pad);
    gst_object_unref (peer);
  }
  if (needs_conversion (self, srcpad)) {
    GST_DEBUG_OBJECT (self, "decoding through audioconvert");
    ok = gst_pad_link (convert_src, self->capture_pad) == GST_PAD_LINK_OK &&
        gst_pad_link (srcpad, convert_sink) == GST_PAD_LINK_OK;
  } else {
    ok = gst_pad_link (srcpad, self->capture_pad) == GST_PAD_LINK_OK;
  }
  gst_object_unref (convert_sink);
  gst_object_unref (convert_src);
  return ok;
}

static gboolean
link_decoder_out (GstPad * decoder_src, gpointer user_data)
{
  return route_to_capture (user_data, decoder_src);
}

static void
report_no_decoder (GstKitharaDecode * self, GstCaps * caps, const gchar * why)
{
  gchar *desc = gst_pb_utils_get_codec_description (caps);

  gst_element_post_message (GST_ELEMENT (self),
      gst_missing_decoder_message_new (GST_ELEMENT (self), caps));
  if (!self->failed)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("No decoder available for %s.", desc ? desc : "this stream"),
        ("%" GST_PTR_FORMAT ": %s", caps, why));
  self->failed = TRUE;
  g_free (desc);
}

/* Tries the decoders that may take @caps, best first, until one takes
 * the stream (see kitharadecodeplug.c).  The errors a candidate posts
 * meanwhile only say why it is not the one.  What it passed on before it
 * failed (the stream-start) stays queued: audioconvert, if in between,
 * does not pass the same sticky event on twice. */
static void
plug_decoder (GstKitharaDecode * self, GstPad * pad, GstCaps * caps)
{
  GList *candidates = kithara_decode_plug_candidates (caps), *l;
  GString *why = g_string_new (NULL);

  self->plug_why = why;
  for (l = candidates; l && self->decoder == NULL; l = l->next)
    self->decoder = kithara_decode_plug_try (GST_BIN (self->bin), l->data,
        pad, caps, link_decoder_out, self, &self->trying, why);
  self->plug_why = NULL;

  if (self->decoder)
    GST_DEBUG_OBJECT (self, "decoding with %" GST_PTR_FORMAT, self->decoder);
  else
    report_no_decoder (self, caps, candidates ? why->str : "no candidate");
  gst_plugin_feature_list_free (candidates);
  g_string_free (why, TRUE);
}

/* Connects the decoded stream, its caps fixed now: raw audio straight to
 * the capture pad, anything else through a decoder. */
static void
plug_stream (GstKitharaDecode * self, GstPad * pad, GstCaps * caps)
{
  GST_DEBUG_OBJECT (self, "connecting %" GST_PTR_FORMAT, caps);
  if (!gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw")) {
    plug_decoder (self, pad, caps);
  } else if (!route_to_capture (self, pad)) {
    if (!self->failed)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
          ("could not link %" GST_PTR_FORMAT, caps));
    self->failed = TRUE;
  }
}

/* On the chosen pad until its caps are fixed.  In the tick, inside the
 * push of the event: the decoder plugged here gets the caps event right
 * after (with the sticky events before it). */
static GstPadProbeReturn
wait_for_caps (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!gst_caps_is_fixed (caps))
        return GST_PAD_PROBE_OK;
      self->caps_probe = 0;
      plug_stream (self, pad, caps);
      return GST_PAD_PROBE_REMOVE;
    case GST_EVENT_EOS:
      /* Over before it had any caps: an empty stream, nothing to plug. */
      self->caps_probe = 0;
      self->linked_ended = TRUE;
      gst_event_replace (&self->pending_eos, event);
      return GST_PAD_PROBE_REMOVE;
    default:
      return GST_PAD_PROBE_OK;
  }
}

/* @pad carries the stream to decode.  As decodebin, the decoder is
 * chosen from fixed caps only: a parser may expose its pad before it has
 * read a frame (behind an ID3 tag, from a container), when its caps still
 * span every layer and rate, which decoders of other layers intersect. */
static void
choose_stream (GstKitharaDecode * self, GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);

  remove_decoder (self);
  forget_linked_pad (self);
  self->linked_pad = gst_object_ref (pad);
  self->linked_once = TRUE;
  self->linked_ended = FALSE;
  gst_clear_event (&self->pending_eos);

  if (caps && gst_caps_is_fixed (caps)) {
    plug_stream (self, pad, caps);
  } else {
    GST_DEBUG_OBJECT (self, "waiting for fixed caps on %" GST_PTR_FORMAT,
        pad);
    self->caps_probe = gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, wait_for_caps, self, NULL);
  }
  gst_clear_caps (&caps);
}

/* Takes the first audio stream waiting in the wings (see pad-added). */
static void
link_next_candidate (GstKitharaDecode * self)
{
  GstPad *next;

  if (self->candidates == NULL)
    return;
  next = self->candidates->data;
  self->candidates = g_list_delete_link (self->candidates, self->candidates);
  release_dropped (self, next);
  GST_DEBUG_OBJECT (self, "taking over %" GST_PTR_FORMAT, next);
  choose_stream (self, next);
  gst_object_unref (next);
}

/* A chained stream (Ogg) exposes the next stream's pads before it
 * removes the current ones: once the decoded stream's pad is gone, the
 * next audio stream takes over.  If that was another audio stream of the
 * same group, it is removed right after and the next one takes over. */
static void
parsebin_pad_removed (GstElement * parsebin, GstPad * pad, gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  GList *l = g_list_find (self->candidates, pad);

  if (l) {
    self->candidates = g_list_delete_link (self->candidates, l);
    gst_object_unref (pad);
  }
  if (release_dropped (self, pad) || self->linked_pad != pad)
    return;
  GST_DEBUG_OBJECT (self, "decoded stream went away");
  forget_linked_pad (self);
  if (self->chain_ready)        /* not while the chain is taken down */
    link_next_candidate (self);
}

/* The decoded stream is over and the next one is there (chained input):
 * switch at once, before the next stream's first (header) packets. */
static void
switch_to (GstKitharaDecode * self, GstPad * pad)
{
  GstPad *peer = gst_pad_get_peer (self->linked_pad);

  if (peer) {
    gst_pad_unlink (self->linked_pad, peer);
    gst_object_unref (peer);
  }
  choose_stream (self, pad);
}

static gboolean
is_audio (GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean audio;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  GST_DEBUG_OBJECT (pad, "exposed with %" GST_PTR_FORMAT, caps);
  audio = !gst_caps_is_empty (caps) &&
      g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure
          (caps, 0)), "audio/");
  gst_caps_unref (caps);
  return audio;
}

static void
parsebin_pad_added (GstElement * parsebin, GstPad * pad, gpointer user_data)
{
  GstKitharaDecode *self = user_data;
  gint wanted;

  GST_OBJECT_LOCK (self);
  wanted = self->audio_stream;
  GST_OBJECT_UNLOCK (self);

  if (!is_audio (pad)) {
    drop_stream (self, pad);
  } else if (self->linked_pad == NULL) {
    /* The chosen audio stream, or the next one of a chained input. */
    if (!self->linked_once && (gint) self->audio_pads_seen++ < wanted)
      drop_stream (self, pad);
    else
      choose_stream (self, pad);
  } else if (self->linked_ended) {
    switch_to (self, pad);
  } else {
    /* Another audio stream beside the decoded one, or the next stream of
     * a chained input announced before the decoded one ends: dropped
     * until the decoded stream's pad goes away. */
    drop_stream (self, pad);
    self->candidates = g_list_append (self->candidates, gst_object_ref (pad));
  }
}

/* The private chain's bin.  Its parent is the element (so the path of
 * what is inside reads pipeline/kitharadecode/chain/...), but it is no
 * child of a bin and has no bus: it relays what its elements post, as a
 * bin does, through the element, their messages unchanged. */
#define KITHARA_TYPE_DECODE_CHAIN (kithara_decode_chain_get_type ())
G_DECLARE_FINAL_TYPE (KitharaDecodeChain, kithara_decode_chain, KITHARA,
    DECODE_CHAIN, GstBin)

struct _KitharaDecodeChain
{
  GstBin parent;
  GstKitharaDecode *owner;      /* not owned: the owner owns us */
};

G_DEFINE_TYPE (KitharaDecodeChain, kithara_decode_chain, GST_TYPE_BIN);

/* One failure, one error: what the chain's other elements report after
 * the first (a demuxer's "internal data stream error" when the decoder
 * refused its data) only follows from it.  A decoder being tried fails
 * quietly: the next one is tried. */
static void
relay_error (GstKitharaDecode * self, GstMessage * msg)
{
  GstElement *trying = g_atomic_pointer_get (&self->trying);
  GstObject *src = GST_MESSAGE_SRC (msg);
  GError *err = NULL;

  gst_message_parse_error (msg, &err, NULL);
  if (trying && src && gst_object_has_as_ancestor (src, GST_OBJECT (trying))) {
    GST_DEBUG_OBJECT (self, "candidate %s failed: %s", GST_OBJECT_NAME (src),
        err->message);
    if (self->plug_why)
      g_string_append_printf (self->plug_why, "%s: %s\n",
          GST_OBJECT_NAME (src), err->message);
    gst_message_unref (msg);
  } else if (self->failed) {
    GST_DEBUG_OBJECT (self, "after the error: %s", err->message);
    gst_message_unref (msg);
  } else {
    self->failed = TRUE;
    gst_element_post_message (GST_ELEMENT (self), msg);
  }
  g_clear_error (&err);
}

/* As a bin, answers from the contexts the element was given. */
static gboolean
answer_need_context (GstKitharaDecode * self, GstMessage * msg)
{
  const gchar *type;
  GstContext *context;

  if (!GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)) ||
      !gst_message_parse_context_type (msg, &type))
    return FALSE;
  context = gst_element_get_context (GST_ELEMENT (self), type);
  if (context == NULL)
    return FALSE;
  gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), context);
  gst_context_unref (context);
  return TRUE;
}

static void
kithara_decode_chain_handle_message (GstBin * bin, GstMessage * msg)
{
  GstKitharaDecode *self = KITHARA_DECODE_CHAIN (bin)->owner;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_STREAM_STATUS:
      /* A streaming task is being created: it gets no thread, our tick
       * runs it (an application must not hand it a thread pool). */
      kithara_tick_pool_adopt (self->tasks, msg);
      break;
    case GST_MESSAGE_ERROR:
      relay_error (self, msg);
      return;
    case GST_MESSAGE_NEED_CONTEXT:
      if (answer_need_context (self, msg))
        break;
      gst_element_post_message (GST_ELEMENT (self), msg);
      return;
    case GST_MESSAGE_ASYNC_START:
    case GST_MESSAGE_ASYNC_DONE:
    case GST_MESSAGE_STRUCTURE_CHANGE:
    case GST_MESSAGE_STATE_DIRTY:
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_STREAM_START:
    case GST_MESSAGE_CLOCK_PROVIDE:
    case GST_MESSAGE_CLOCK_LOST:
      /* The chain's own business (its state, which no sink makes async;
       * its links; the end of streams, which reaches the element as
       * events), or clocks the pipeline cannot select: it does not
       * contain their elements. */
      break;
    default:
      /* Everything else a bin passes up (warnings, tags, element
       * messages, durations, latency, contexts, stream collections,
       * segment start and done...), from its original source. */
      gst_element_post_message (GST_ELEMENT (self), msg);
      return;
  }
  gst_message_unref (msg);
}

/* A bin tells the bins above it about elements added deep inside; the
 * element above this one is no bin, and the pipeline does not contain
 * these elements. */
static void
kithara_decode_chain_deep_element (GstBin * bin, GstBin * sub_bin,
    GstElement * child)
{
}

static void
kithara_decode_chain_init (KitharaDecodeChain * chain)
{
}

static void
kithara_decode_chain_class_init (KitharaDecodeChainClass * klass)
{
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  bin_class->handle_message = kithara_decode_chain_handle_message;
  bin_class->deep_element_added = kithara_decode_chain_deep_element;
  bin_class->deep_element_removed = kithara_decode_chain_deep_element;
}

static gboolean
build_chain (GstKitharaDecode * self)
{
  GstPad *pad;

  if (self->bin)
    return TRUE;                /* still there: its teardown was put off */

  self->bin = g_object_new (KITHARA_TYPE_DECODE_CHAIN, "name",
      "kitharadecode-chain", NULL);
  KITHARA_DECODE_CHAIN (self->bin)->owner = self;
  gst_object_ref_sink (self->bin);
  gst_object_set_parent (GST_OBJECT (self->bin), GST_OBJECT (self));
  self->parsebin = gst_element_factory_make ("parsebin", NULL);
  self->convert = gst_element_factory_make ("audioconvert", NULL);
  if (self->parsebin == NULL || self->convert == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, (NULL),
        ("parsebin and audioconvert (gst-plugins-base) are required"));
    if (self->parsebin)
      gst_object_unref (gst_object_ref_sink (self->parsebin));
    if (self->convert)
      gst_object_unref (gst_object_ref_sink (self->convert));
    gst_object_unparent (GST_OBJECT (self->bin));
    gst_clear_object (&self->bin);
    return FALSE;
  }
  gst_bin_add_many (GST_BIN (self->bin), self->parsebin, self->convert, NULL);
  g_signal_connect (self->parsebin, "pad-added",
      G_CALLBACK (parsebin_pad_added), self);
  g_signal_connect (self->parsebin, "pad-removed",
      G_CALLBACK (parsebin_pad_removed), self);

  self->feed_pad = gst_pad_new ("feed", GST_PAD_SRC);
  gst_pad_set_element_private (self->feed_pad, self);
  gst_pad_set_event_function (self->feed_pad, feed_event);
  gst_pad_set_query_function (self->feed_pad, feed_query);
  gst_pad_set_getrange_function (self->feed_pad, feed_getrange);
  pad = gst_element_get_static_pad (self->parsebin, "sink");
  gst_pad_link (self->feed_pad, pad);
  gst_object_unref (pad);

  self->capture_pad = gst_pad_new ("capture", GST_PAD_SINK);
  gst_pad_set_element_private (self->capture_pad, self);
  gst_pad_set_chain_function (self->capture_pad, capture_chain);
  gst_pad_set_event_function (self->capture_pad, capture_event);
  gst_pad_set_query_function (self->capture_pad, capture_query);

  self->tasks = kithara_tick_pool_new (gst_kithara_element_get_node
      (GST_KITHARA_ELEMENT (self)));
  return TRUE;
}

static void
destroy_chain (GstKitharaDecode * self)
{
  if (self->bin == NULL)
    return;
  gst_element_set_state (self->bin, GST_STATE_NULL);
  kithara_tick_pool_clear (self->tasks);
  gst_clear_object (&self->tasks);
  release_all_dropped (self);
  forget_linked_pad (self);
  g_list_free_full (g_steal_pointer (&self->candidates), gst_object_unref);
  self->decoder = NULL;
  gst_clear_object (&self->feed_pad);
  gst_clear_object (&self->capture_pad);
  gst_object_unparent (GST_OBJECT (self->bin));
  gst_clear_object (&self->bin);
}

/* Back to a fresh stream: the chain is taken down to READY, which makes
 * parsebin drop what it autoplugged. */
static void
reset_chain (GstKitharaDecode * self)
{
  self->chain_ready = FALSE;
  gst_pad_set_active (self->feed_pad, FALSE);
  gst_pad_set_active (self->capture_pad, FALSE);
  gst_element_set_state (self->bin, GST_STATE_READY);
  kithara_tick_pool_clear (self->tasks);
  release_all_dropped (self);
  remove_decoder (self);
  forget_linked_pad (self);
  g_list_free_full (g_steal_pointer (&self->candidates), gst_object_unref);
  gst_clear_event (&self->pending_eos);
  self->linked_ended = FALSE;
  clear_out_queue (self, FALSE);
  kithara_seek_landing_reset (&self->landing);
  self->linked_once = FALSE;
  self->input_done = FALSE;
  self->failed = FALSE;
  self->audio_pads_seen = 0;
}

/* Activates the chain once our sink pad is active, so that the chain
 * knows whether to pull.  When it pulls, typefind's streaming task is
 * created here (and adopted by our task pool), to run in our ticks.  Our
 * own state change has succeeded by now: a failure here is reported by
 * the tick, as an error of this element.  A control: the node's tick
 * lock is held. */
static void
start_chain (gpointer user_data)
{
  GstKitharaDecode *self = user_data;

  gst_pad_set_active (self->feed_pad, TRUE);
  gst_pad_set_active (self->capture_pad, TRUE);
  if (gst_element_set_state (self->bin, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE || (self->pull_mode &&
          GST_PAD_MODE (self->feed_pad) != GST_PAD_MODE_PULL)) {
    if (!self->failed)
      GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE, (NULL),
          ("the decoding chain could not start"));
    self->failed = TRUE;
  }
  self->chain_ready = TRUE;
  kithara_node_wake (gst_kithara_element_get_node (GST_KITHARA_ELEMENT
          (self)));
}

static void
reset_chain_control (gpointer user_data)
{
  reset_chain (user_data);
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
push_one_out (GstKitharaDecode * self)
{
  GstKitharaElement *base = GST_KITHARA_ELEMENT (self);
  GstMiniObject *item;
  GstMessage *landed;

  if (gst_kithara_element_downstream_full (base))
    return KITHARA_TICK_BACKPRESSURED;

  item = g_queue_pop_head (&self->out);
  landed = kithara_seek_landing_pass (&self->landing, GST_OBJECT (self), item);
  if (landed)
    gst_element_post_message (GST_ELEMENT (self), landed);
  if (GST_IS_BUFFER (item))
    return gst_kithara_element_tick_result (base,
        gst_kithara_element_push (base, GST_BUFFER (item)));

  if (GST_IS_QUERY (item)) {
    gst_kithara_element_push_query (base, GST_QUERY (item));
    return KITHARA_TICK_PROGRESS;
  }
  if (GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    gst_kithara_element_push_event (base, GST_EVENT (item));
    return gst_kithara_element_close (base, GST_FLOW_EOS);
  }
  gst_kithara_element_push_event (base, GST_EVENT (item));
  return KITHARA_TICK_PROGRESS;
}

/* The whole input went through the chain: the decoded stream's EOS, if
 * held, is the real end now. */
static void
release_eos (GstKitharaDecode * self)
{
  if (self->pending_eos)
    g_queue_push_tail (&self->out, g_steal_pointer (&self->pending_eos));
}

/* Feeds EOS into the chain (push mode); it is processed synchronously. */
static void
feed_eos (GstKitharaDecode * self)
{
  self->input_done = TRUE;
  gst_pad_push_event (self->feed_pad, gst_event_new_eos ());
  release_eos (self);
}

/* What feeding the chain returned, as a tick outcome. */
static KitharaTickResult
fed (GstKitharaDecode * self, GstFlowReturn ret)
{
  GstKitharaElement *base = GST_KITHARA_ELEMENT (self);

  switch (ret) {
    case GST_FLOW_OK:
      return KITHARA_TICK_PROGRESS;
    case GST_FLOW_FLUSHING:
      return KITHARA_TICK_WAITING;
    case GST_FLOW_EOS:
      /* The chain wants no more (segment done): let it drain. */
      if (!self->input_done)
        feed_eos (self);
      return KITHARA_TICK_PROGRESS;
    case GST_FLOW_NOT_LINKED:
      no_stream_found (self);
      break;
    default:
      if (!self->failed)
        GST_ELEMENT_FLOW_ERROR (self, ret);
      self->failed = TRUE;
      break;
  }
  clear_out_queue (self, FALSE);
  return gst_kithara_element_close (base, ret);
}

/* Pull mode: one iteration of the chain's streaming task (typefinding,
 * or the demuxer or parser reading and pushing one page or frame). */
static KitharaTickResult
run_chain (GstKitharaDecode * self)
{
  if (kithara_tick_pool_run_one (self->tasks))
    return KITHARA_TICK_PROGRESS;

  /* Every task has paused: the input is done, until a seek restarts it. */
  if (self->pending_eos) {
    release_eos (self);
    return KITHARA_TICK_PROGRESS;
  }
  if (!self->linked_once)
    return fed (self, GST_FLOW_NOT_LINKED);
  return KITHARA_TICK_WAITING;
}

/* Push mode: feeds the chain one item of the inlet. */
static KitharaTickResult
feed_one (GstKitharaDecode * self)
{
  GstMiniObject *item;

  if (self->input_done)
    return KITHARA_TICK_WAITING;        /* the chain's EOS is on its way */

  item = gst_kithara_element_pop (GST_KITHARA_ELEMENT (self));
  if (item == NULL)
    return KITHARA_TICK_WAITING;
  if (GST_IS_BUFFER (item))
    return fed (self, gst_pad_push (self->feed_pad, GST_BUFFER (item)));
  if (GST_IS_QUERY (item)) {
    /* Behind what the chain has decoded of the input before it. */
    g_queue_push_tail (&self->out, item);
    return KITHARA_TICK_PROGRESS;
  }
  if (GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    gst_event_unref (GST_EVENT (item));
    feed_eos (self);
    return KITHARA_TICK_PROGRESS;
  }
  gst_pad_push_event (self->feed_pad, GST_EVENT (item));
  return KITHARA_TICK_PROGRESS;
}

/* Each tick pushes one decoded item downstream, or else lets the chain
 * make one step. */
static KitharaTickResult
gst_kithara_decode_tick (GstKitharaElement * base)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (base);

  if (self->failed)
    return fed (self, GST_FLOW_ERROR);
  if (!g_queue_is_empty (&self->out))
    return push_one_out (self);
  if (!self->chain_ready)
    return KITHARA_TICK_WAITING;        /* woken once it is */
  return self->pull_mode ? run_chain (self) : feed_one (self);
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
  self->pull_mode = pull;
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

  if (GST_EVENT_TYPE (event) != GST_EVENT_SEEK)
    return gst_pad_push_event (self->capture_pad, event);

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
  kithara_seek_landing_request (&self->landing, event, &self->out);
  res = gst_pad_push_event (self->capture_pad, event);
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
    case GST_QUERY_CONVERT:
      return self->capture_pad && gst_pad_peer_query (self->capture_pad,
          query);
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

  /* Upstream flushed us in push mode: flush the private chain too, the
   * flush itself has already gone downstream. */
  if (!self->pull_mode && self->feed_pad &&
      gst_pad_is_active (self->feed_pad)) {
    self->internal_flush = TRUE;
    gst_pad_push_event (self->feed_pad, gst_event_new_flush_start ());
    gst_pad_push_event (self->feed_pad, gst_event_new_flush_stop (TRUE));
    self->internal_flush = FALSE;
  }
  clear_out_queue (self, FALSE);
  self->input_done = FALSE;
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
      gst_element_set_state (self->bin, GST_STATE_READY);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      /* The node joins the worker (in the parent's change) while this
       * thread holds it, and its first tick runs once the chain is
       * started.  Otherwise that tick could meet an error of the chain
       * and post it to a sync handler that sets the pipeline's state,
       * waiting for the state lock this thread holds while it waits for
       * the tick. */
      kithara_node_lock_tick (gst_kithara_element_get_node (base));
      gst_kithara_element_control (base, reset_chain_control);
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
      gst_kithara_element_control (base, reset_chain_control);
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
  clear_out_queue (self, FALSE);
  kithara_seek_landing_clear (&self->landing);
  gst_clear_event (&self->pending_eos);
  G_OBJECT_CLASS (gst_kithara_decode_parent_class)->finalize (object);
}

static void
gst_kithara_decode_init (GstKitharaDecode * self)
{
  g_queue_init (&self->out);
  self->audio_stream = DEFAULT_AUDIO_STREAM;
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

  kithara_class->tick = gst_kithara_decode_tick;
  kithara_class->flush = gst_kithara_decode_flush;
  kithara_class->transform_caps = gst_kithara_decode_transform_caps;
  kithara_class->src_event = gst_kithara_decode_src_event;
  kithara_class->src_query = gst_kithara_decode_src_query;

  g_object_class_install_property (gobject_class, PROP_AUDIO_STREAM,
      g_param_spec_int ("audio-stream", "Audio stream",
          "Index of the audio stream to decode when the input has several "
          "(0 = the first); the others are dropped (set in NULL or READY)",
          0, G_MAXINT, DEFAULT_AUDIO_STREAM, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara decoder", "Codec/Decoder/Audio",
      "Decodes any audio stream GStreamer can parse, as a node on the shared "
      "kithara worker (pulls from upstream when it can)",
      "Kithara developers");
}
