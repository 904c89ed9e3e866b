/* Kithara: kitharadecode, decoding as a node on the shared worker.
 *
 * SECTION:element-kitharadecode
 * @title: kitharadecode
 *
 * Decodes any audio stream GStreamer can parse to raw audio, on the
 * kithara worker.  Inside, a parsebin, the decoder ranked best for the
 * stream it exposes (none for raw PCM) and, when downstream needs another
 * sample format, an audioconvert run synchronously in the tick: no
 * multiqueue, no internal threads.  The first audio stream is decoded (or
 * the one chosen with #GstKitharaDecode:audio-stream); other streams are
 * dropped.
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
#include "kitharatickpool.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_decode_debug);
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

static GstElement *
make_decoder_for (GstKitharaDecode * self, GstCaps * caps)
{
  GList *all, *usable, *l;
  GstElement *decoder = NULL;

  all = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODER
      | GST_ELEMENT_FACTORY_TYPE_MEDIA_AUDIO, GST_RANK_MARGINAL);
  usable = gst_element_factory_list_filter (all, caps, GST_PAD_SINK, FALSE);
  usable = g_list_sort (usable, gst_plugin_feature_rank_compare_func);
  for (l = usable; l && decoder == NULL; l = l->next) {
    decoder = gst_element_factory_create (l->data, NULL);
    if (decoder && !gst_bin_add (GST_BIN (self->bin), decoder)) {
      gst_object_unref (decoder);
      decoder = NULL;
    }
  }
  gst_plugin_feature_list_free (usable);
  gst_plugin_feature_list_free (all);
  return decoder;
}

static GstFlowReturn
discard_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
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
  gst_element_set_locked_state (self->decoder, TRUE);
  gst_element_set_state (self->decoder, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self->bin), self->decoder);
  self->decoder = NULL;
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

static void
link_audio_pad (GstKitharaDecode * self, GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstPad *decoder_src = NULL, *decoder_sink = NULL;
  gboolean ok;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);

  remove_decoder (self);
  if (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw")) {
    ok = route_to_capture (self, pad);
  } else {
    self->decoder = make_decoder_for (self, caps);
    if (self->decoder == NULL) {
      gchar *desc = gst_pb_utils_get_codec_description (caps);

      gst_element_post_message (GST_ELEMENT (self),
          gst_missing_decoder_message_new (GST_ELEMENT (self), caps));
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          ("No decoder available for %s.", desc ? desc : "this stream"),
          ("no decoder for %" GST_PTR_FORMAT, caps));
      self->failed = TRUE;
      g_free (desc);
      gst_caps_unref (caps);
      return;
    }
    gst_element_sync_state_with_parent (self->decoder);
    decoder_src = gst_element_get_static_pad (self->decoder, "src");
    decoder_sink = gst_element_get_static_pad (self->decoder, "sink");
    ok = route_to_capture (self, decoder_src) &&
        gst_pad_link (pad, decoder_sink) == GST_PAD_LINK_OK;
    gst_object_unref (decoder_src);
    gst_object_unref (decoder_sink);
  }

  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("could not link %" GST_PTR_FORMAT, caps));
    self->failed = TRUE;
  } else {
    gst_object_replace ((GstObject **) & self->linked_pad, GST_OBJECT (pad));
    self->linked_once = TRUE;
    self->linked_ended = FALSE;
    gst_clear_event (&self->pending_eos);
  }
  gst_caps_unref (caps);
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
  link_audio_pad (self, next);
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
  gst_clear_object (&self->linked_pad);
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
  gst_clear_object (&self->linked_pad);
  link_audio_pad (self, pad);
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
      link_audio_pad (self, pad);
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

/* The private chain's bin: it has no bus; what its elements report is
 * relayed as this element's own messages, everything else is dropped. */
#define KITHARA_TYPE_DECODE_CHAIN (kithara_decode_chain_get_type ())
G_DECLARE_FINAL_TYPE (KitharaDecodeChain, kithara_decode_chain, KITHARA,
    DECODE_CHAIN, GstBin)

struct _KitharaDecodeChain
{
  GstBin parent;
  GstKitharaDecode *owner;      /* not owned: the owner owns us */
};

G_DEFINE_TYPE (KitharaDecodeChain, kithara_decode_chain, GST_TYPE_BIN);

static void
kithara_decode_chain_handle_message (GstBin * bin, GstMessage * msg)
{
  GstKitharaDecode *self = KITHARA_DECODE_CHAIN (bin)->owner;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_STREAM_STATUS:
      /* A streaming task is being created: it gets no thread, our tick
       * runs it. */
      kithara_tick_pool_adopt (self->tasks, msg);
      break;
    case GST_MESSAGE_ERROR:
      /* One failure, one error: what the chain's other elements report
       * after the first (a demuxer's "internal data stream error" when the
       * decoder refused its data) only follows from it. */
      gst_message_parse_error (msg, &err, &debug);
      if (self->failed) {
        GST_DEBUG_OBJECT (self, "after the error: %s (%s)", err->message,
            debug);
        break;
      }
      self->failed = TRUE;
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_error (GST_OBJECT (self), err, debug));
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_warning (GST_OBJECT (self), err, debug));
      break;
    case GST_MESSAGE_ELEMENT:
    case GST_MESSAGE_TAG:
      gst_element_post_message (GST_ELEMENT (self), gst_message_ref (msg));
      break;
    default:
      break;
  }
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
}

static void
kithara_decode_chain_init (KitharaDecodeChain * chain)
{
}

static void
kithara_decode_chain_class_init (KitharaDecodeChainClass * klass)
{
  GST_BIN_CLASS (klass)->handle_message = kithara_decode_chain_handle_message;
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
  self->parsebin = gst_element_factory_make ("parsebin", NULL);
  self->convert = gst_element_factory_make ("audioconvert", NULL);
  if (self->parsebin == NULL || self->convert == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, (NULL),
        ("parsebin and audioconvert (gst-plugins-base) are required"));
    if (self->parsebin)
      gst_object_unref (gst_object_ref_sink (self->parsebin));
    if (self->convert)
      gst_object_unref (gst_object_ref_sink (self->convert));
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
  gst_clear_object (&self->linked_pad);
  g_list_free_full (g_steal_pointer (&self->candidates), gst_object_unref);
  self->decoder = NULL;
  gst_clear_object (&self->feed_pad);
  gst_clear_object (&self->capture_pad);
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
  gst_clear_object (&self->linked_pad);
  g_list_free_full (g_steal_pointer (&self->candidates), gst_object_unref);
  gst_clear_event (&self->pending_eos);
  self->linked_ended = FALSE;
  clear_out_queue (self, FALSE);
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

  if (gst_kithara_element_downstream_full (base))
    return KITHARA_TICK_BACKPRESSURED;

  item = g_queue_pop_head (&self->out);
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
      if (!self->failed)
        GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
            ("No audio stream found in the input."), (NULL));
      self->failed = TRUE;
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
  res = gst_pad_push_event (self->capture_pad, event);
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
      gst_kithara_element_control (base, reset_chain_control);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kithara_decode_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  /* The chain is taken down and started by controls of the node: never
   * while a tick runs it, and on a worker (a state change from a bus sync
   * handler, for an error the chain itself posted) only once the tick
   * that runs inside the chain has returned. */
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_kithara_element_control (base, start_chain);
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
}

static void
gst_kithara_decode_finalize (GObject * object)
{
  GstKitharaDecode *self = GST_KITHARA_DECODE (object);

  destroy_chain (self);
  clear_out_queue (self, FALSE);
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
          "(0 = the first); the others are dropped", 0, G_MAXINT,
          DEFAULT_AUDIO_STREAM, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kithara decoder", "Codec/Decoder/Audio",
      "Decodes any audio stream GStreamer can parse, as a node on the shared "
      "kithara worker (pulls from upstream when it can)",
      "Kithara developers");
}
