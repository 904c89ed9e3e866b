/* Kithara: the private decoding chain of kitharadecode, one per track.
 *
 * A chain decodes one input: the bytes reaching the owner's sink pad, or
 * a file named by a URI (a next track, read by a source element inside
 * the chain).  Inside, a parsebin, a decoder for the stream it exposes
 * (none for raw PCM) and, when downstream needs another sample format,
 * an audioconvert, all run synchronously in the owner's tick: the
 * streaming tasks of the chain get no thread, the owner runs one
 * iteration of one per step (kitharatickpool.c).  What the chain decodes
 * is queued in its out queue for the owner to push.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/pbutils/pbutils.h>
#include "kitharadecodechain.h"
#include "kitharadecodeplug.h"

GST_DEBUG_CATEGORY_EXTERN (gst_kithara_decode_debug);
#define GST_CAT_DEFAULT gst_kithara_decode_debug

/* ------------------------------------------------------------------ */
/* The capture pad: what the chain decodes lands here, on the thread that
 * fed it (the worker, or a seeking thread holding the tick lock). */

static GstFlowReturn
capture_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  if (GST_BUFFER_DURATION_IS_VALID (buf))
    chain->out_time += GST_BUFFER_DURATION (buf);
  g_queue_push_tail (&chain->out, buf);
  return GST_FLOW_OK;
}

/* A flush out of the chain (a seek): the owner decides where it goes. */
static gboolean
pass_flush (KitharaDecodeChain * chain, GstEvent * event)
{
  kithara_decode_chain_clear_out (chain, TRUE);
  if (chain->internal_flush || chain->flush_func == NULL)
    gst_event_unref (event);
  else
    chain->flush_func (chain, event, chain->flush_data);
  return TRUE;
}

static gboolean
capture_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      return pass_flush (chain, event);
    case GST_EVENT_EOS:
      /* It may only end one logical stream of a chained input (Ogg), the
       * next one taking over: hold it until the chain has drained all of
       * the input. */
      GST_DEBUG_OBJECT (chain->owner, "end of the decoded stream");
      chain->linked_ended = TRUE;
      gst_event_replace (&chain->pending_eos, event);
      gst_event_unref (event);
      return TRUE;
    default:
      if (GST_EVENT_IS_SERIALIZED (event)) {
        g_queue_push_tail (&chain->out, event);
        return TRUE;
      }
      return gst_kithara_element_push_event (chain->owner, event);
  }
}

static gboolean
capture_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  /* The decoder negotiates with what is really downstream (but does not
   * wait behind an exit for a serialized query's answer). */
  return gst_kithara_element_query_downstream (chain->owner, query);
}

/* ------------------------------------------------------------------ */
/* The feed pad: the upstream of a chain fed through the owner's sink pad.
 * When the owner pulls from upstream the chain pulls through it
 * (typefind, then the demuxer or parser, as under decodebin), its
 * streaming tasks running in the owner's tick; otherwise the owner pushes
 * into it what upstream pushes. */

static GstFlowReturn
feed_getrange (GstPad * pad, GstObject * parent, guint64 offset,
    guint length, GstBuffer ** buf)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  return gst_pad_pull_range (gst_kithara_element_get_sink_pad
      (chain->owner), offset, length, buf);
}

static gboolean
feed_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  /* A pulling demuxer seeks by pulling elsewhere: nothing goes upstream.
   * A pushed one (oggdemux measuring the duration) asks upstream. */
  if (chain->pull_mode) {
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_push_event (gst_kithara_element_get_sink_pad
      (chain->owner), event);
}

static gboolean
feed_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    /* One mode only, so that the chain cannot choose the other. */
    gst_query_set_scheduling (query, chain->pull_mode ?
        GST_SCHEDULING_FLAG_SEEKABLE : 0, 1, -1, 0);
    gst_query_add_scheduling_mode (query, chain->pull_mode ?
        GST_PAD_MODE_PULL : GST_PAD_MODE_PUSH);
    return TRUE;
  }
  return gst_pad_peer_query (gst_kithara_element_get_sink_pad
      (chain->owner), query);
}

/* ------------------------------------------------------------------ */
/* Autoplugging, on parsebin's pad-added (synchronously in a tick). */

/* No stream was chosen: there is no audio, or not as many audio streams
 * as audio-stream asks for. */
static void
no_stream_found (KitharaDecodeChain * chain)
{
  gint wanted;

  if (chain->failed)
    return;
  chain->failed = TRUE;
  g_object_get (chain->owner, "audio-stream", &wanted, NULL);
  if (chain->audio_pads_seen == 0)
    GST_ELEMENT_ERROR (chain->owner, STREAM, WRONG_TYPE,
        ("No audio stream found in the input."), (NULL));
  else
    GST_ELEMENT_ERROR (chain->owner, STREAM, WRONG_TYPE,
        ("The input has %u audio stream%s: there is no audio stream %d "
            "(audio-stream counts from 0).", chain->audio_pads_seen,
            chain->audio_pads_seen == 1 ? "" : "s", wanted), (NULL));
}

static GstFlowReturn
discard_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  KitharaDecodeChain *chain = gst_pad_get_element_private (pad);

  gst_buffer_unref (buf);
  /* parsebin exposes all the streams of the input before any data
   * flows: if none was chosen by now, none will be. */
  if (!chain->linked_once)
    no_stream_found (chain);
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
drop_stream (KitharaDecodeChain * chain, GstPad * pad)
{
  GstPad *discard = gst_pad_new ("discard", GST_PAD_SINK);

  gst_pad_set_element_private (discard, chain);
  gst_pad_set_chain_function (discard, discard_chain);
  gst_pad_set_event_function (discard, discard_event);
  gst_pad_set_active (discard, TRUE);
  gst_pad_link (pad, discard);
  chain->discards = g_list_prepend (chain->discards, discard);
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
release_dropped (KitharaDecodeChain * chain, GstPad * pad)
{
  GstPad *peer = gst_pad_get_peer (pad);
  GList *l = peer ? g_list_find (chain->discards, peer) : NULL;

  if (l) {
    chain->discards = g_list_delete_link (chain->discards, l);
    release_discard (peer);
  }
  gst_clear_object (&peer);
  return l != NULL;
}

static void
release_all_dropped (KitharaDecodeChain * chain)
{
  g_list_free_full (g_steal_pointer (&chain->discards),
      (GDestroyNotify) release_discard);
}

static void
remove_decoder (KitharaDecodeChain * chain)
{
  if (chain->decoder == NULL)
    return;
  kithara_decode_plug_remove (GST_BIN (chain->bin), chain->decoder);
  chain->decoder = NULL;
}

/* The stream decoded so far is no longer @linked_pad's: nor is a wait
 * for its caps. */
static void
forget_linked_pad (KitharaDecodeChain * chain)
{
  if (chain->linked_pad && chain->caps_probe)
    gst_pad_remove_probe (chain->linked_pad, chain->caps_probe);
  chain->caps_probe = 0;
  gst_clear_object (&chain->linked_pad);
}

/* Whether downstream takes every format @srcpad may produce: then the
 * decoder talks to it directly, as under decodebin, and picks the same
 * format; otherwise audioconvert converts to what downstream accepts. */
static gboolean
needs_conversion (KitharaDecodeChain * chain, GstPad * srcpad)
{
  GstCaps *produced = gst_pad_query_caps (srcpad, NULL);
  GstCaps *accepted = gst_pad_peer_query_caps (gst_kithara_element_get_src_pad
      (chain->owner), NULL);
  gboolean convert = !gst_caps_is_subset (produced, accepted);

  gst_caps_unref (produced);
  gst_caps_unref (accepted);
  return convert;
}

/* Links @srcpad (decoder output, or a raw parsebin pad) to the capture
 * pad, through audioconvert when needed. */
static gboolean
route_to_capture (KitharaDecodeChain * chain, GstPad * srcpad)
{
  GstPad *convert_sink = gst_element_get_static_pad (chain->convert, "sink");
  GstPad *convert_src = gst_element_get_static_pad (chain->convert, "src");
  GstPad *peer = gst_pad_get_peer (chain->capture_pad);
  gboolean ok;

  if (peer) {
    gst_pad_unlink (peer, chain->capture_pad);
    gst_object_unref (peer);
  }
  if (needs_conversion (chain, srcpad)) {
    GST_DEBUG_OBJECT (chain->owner, "decoding through audioconvert");
    ok = gst_pad_link (convert_src, chain->capture_pad) == GST_PAD_LINK_OK &&
        gst_pad_link (srcpad, convert_sink) == GST_PAD_LINK_OK;
  } else {
    ok = gst_pad_link (srcpad, chain->capture_pad) == GST_PAD_LINK_OK;
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
report_no_decoder (KitharaDecodeChain * chain, GstCaps * caps, const gchar * why)
{
  gchar *desc = gst_pb_utils_get_codec_description (caps);

  gst_element_post_message (GST_ELEMENT (chain->owner),
      gst_missing_decoder_message_new (GST_ELEMENT (chain->owner), caps));
  if (!chain->failed)
    GST_ELEMENT_ERROR (chain->owner, CORE, MISSING_PLUGIN,
        ("No decoder available for %s.", desc ? desc : "this stream"),
        ("%" GST_PTR_FORMAT ": %s", caps, why));
  chain->failed = TRUE;
  g_free (desc);
}

/* Tries the decoders that may take @caps, best first, until one takes
 * the stream (see kitharadecodeplug.c).  The errors a candidate posts
 * meanwhile only say why it is not the one.  What it passed on before it
 * failed (the stream-start) stays queued: audioconvert, if in between,
 * does not pass the same sticky event on twice. */
static void
plug_decoder (KitharaDecodeChain * chain, GstPad * pad, GstCaps * caps)
{
  GList *candidates = kithara_decode_plug_candidates (caps), *l;
  GString *why = g_string_new (NULL);

  chain->plug_why = why;
  for (l = candidates; l && chain->decoder == NULL; l = l->next)
    chain->decoder = kithara_decode_plug_try (GST_BIN (chain->bin), l->data,
        pad, caps, link_decoder_out, chain, &chain->trying, why);
  chain->plug_why = NULL;

  if (chain->decoder)
    GST_DEBUG_OBJECT (chain->owner, "decoding with %" GST_PTR_FORMAT, chain->decoder);
  else
    report_no_decoder (chain, caps, candidates ? why->str : "no candidate");
  gst_plugin_feature_list_free (candidates);
  g_string_free (why, TRUE);
}

/* Connects the decoded stream, its caps fixed now: raw audio straight to
 * the capture pad, anything else through a decoder. */
static void
plug_stream (KitharaDecodeChain * chain, GstPad * pad, GstCaps * caps)
{
  GST_DEBUG_OBJECT (chain->owner, "connecting %" GST_PTR_FORMAT, caps);
  if (!gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw")) {
    plug_decoder (chain, pad, caps);
  } else if (!route_to_capture (chain, pad)) {
    if (!chain->failed)
      GST_ELEMENT_ERROR (chain->owner, CORE, NEGOTIATION, (NULL),
          ("could not link %" GST_PTR_FORMAT, caps));
    chain->failed = TRUE;
  }
}

/* On the chosen pad until its caps are fixed.  In the tick, inside the
 * push of the event: the decoder plugged here gets the caps event right
 * after (with the sticky events before it). */
static GstPadProbeReturn
wait_for_caps (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  KitharaDecodeChain *chain = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!gst_caps_is_fixed (caps))
        return GST_PAD_PROBE_OK;
      chain->caps_probe = 0;
      plug_stream (chain, pad, caps);
      return GST_PAD_PROBE_REMOVE;
    case GST_EVENT_EOS:
      /* Over before it had any caps: an empty stream, nothing to plug. */
      chain->caps_probe = 0;
      chain->linked_ended = TRUE;
      gst_event_replace (&chain->pending_eos, event);
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
choose_stream (KitharaDecodeChain * chain, GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);

  remove_decoder (chain);
  forget_linked_pad (chain);
  chain->linked_pad = gst_object_ref (pad);
  chain->linked_once = TRUE;
  chain->linked_ended = FALSE;
  gst_clear_event (&chain->pending_eos);

  if (caps && gst_caps_is_fixed (caps)) {
    plug_stream (chain, pad, caps);
  } else {
    GST_DEBUG_OBJECT (chain->owner, "waiting for fixed caps on %" GST_PTR_FORMAT,
        pad);
    chain->caps_probe = gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, wait_for_caps, chain, NULL);
  }
  gst_clear_caps (&caps);
}

/* Takes the first audio stream waiting in the wings (see pad-added). */
static void
link_next_candidate (KitharaDecodeChain * chain)
{
  GstPad *next;

  if (chain->candidates == NULL)
    return;
  next = chain->candidates->data;
  chain->candidates = g_list_delete_link (chain->candidates, chain->candidates);
  release_dropped (chain, next);
  GST_DEBUG_OBJECT (chain->owner, "taking over %" GST_PTR_FORMAT, next);
  choose_stream (chain, next);
  gst_object_unref (next);
}

/* A chained stream (Ogg) exposes the next stream's pads before it
 * removes the current ones: once the decoded stream's pad is gone, the
 * next audio stream takes over.  If that was another audio stream of the
 * same group, it is removed right after and the next one takes over. */
static void
parsebin_pad_removed (GstElement * parsebin, GstPad * pad, gpointer user_data)
{
  KitharaDecodeChain *chain = user_data;
  GList *l = g_list_find (chain->candidates, pad);

  if (l) {
    chain->candidates = g_list_delete_link (chain->candidates, l);
    gst_object_unref (pad);
  }
  if (release_dropped (chain, pad) || chain->linked_pad != pad)
    return;
  GST_DEBUG_OBJECT (chain->owner, "decoded stream went away");
  forget_linked_pad (chain);
  if (chain->ready)        /* not while the chain is taken down */
    link_next_candidate (chain);
}

/* The decoded stream is over and the next one is there (chained input):
 * switch at once, before the next stream's first (header) packets. */
static void
switch_to (KitharaDecodeChain * chain, GstPad * pad)
{
  GstPad *peer = gst_pad_get_peer (chain->linked_pad);

  if (peer) {
    gst_pad_unlink (chain->linked_pad, peer);
    gst_object_unref (peer);
  }
  choose_stream (chain, pad);
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
  KitharaDecodeChain *chain = user_data;
  gint wanted;

  g_object_get (chain->owner, "audio-stream", &wanted, NULL);
  if (!is_audio (pad)) {
    drop_stream (chain, pad);
  } else if (chain->linked_pad == NULL) {
    /* The chosen audio stream, or the next one of a chained input. */
    if (!chain->linked_once && (gint) chain->audio_pads_seen++ < wanted)
      drop_stream (chain, pad);
    else
      choose_stream (chain, pad);
  } else if (chain->linked_ended) {
    switch_to (chain, pad);
  } else {
    /* Another audio stream beside the decoded one, or the next stream of
     * a chained input announced before the decoded one ends: dropped
     * until the decoded stream's pad goes away. */
    drop_stream (chain, pad);
    chain->candidates = g_list_append (chain->candidates, gst_object_ref (pad));
  }
}

/* ------------------------------------------------------------------ */
/* The chain's bin.  Its parent is the owner (so the path of what is
 * inside reads pipeline/kitharadecode/chain/...), but it is no child of a
 * bin and has no bus: it relays what its elements post, as a bin does,
 * through the owner, their messages unchanged. */

#define KITHARA_TYPE_DECODE_BIN (kithara_decode_bin_get_type ())
G_DECLARE_FINAL_TYPE (KitharaDecodeBin, kithara_decode_bin, KITHARA,
    DECODE_BIN, GstBin)

struct _KitharaDecodeBin
{
  GstBin parent;
  KitharaDecodeChain *chain;    /* not owned: the chain owns the bin */
};

G_DEFINE_TYPE (KitharaDecodeBin, kithara_decode_bin, GST_TYPE_BIN);

/* One failure, one error: what the chain's other elements report after
 * the first (a demuxer's "internal data stream error" when the decoder
 * refused its data) only follows from it.  A decoder being tried fails
 * quietly: the next one is tried. */
static void
relay_error (KitharaDecodeChain * chain, GstMessage * msg)
{
  GstElement *trying = g_atomic_pointer_get (&chain->trying);
  GstObject *src = GST_MESSAGE_SRC (msg);
  GError *err = NULL;

  gst_message_parse_error (msg, &err, NULL);
  if (trying && src && gst_object_has_as_ancestor (src, GST_OBJECT (trying))) {
    GST_DEBUG_OBJECT (chain->owner, "candidate %s failed: %s",
        GST_OBJECT_NAME (src), err->message);
    if (chain->plug_why)
      g_string_append_printf (chain->plug_why, "%s: %s\n",
          GST_OBJECT_NAME (src), err->message);
    gst_message_unref (msg);
  } else if (chain->failed) {
    GST_DEBUG_OBJECT (chain->owner, "after the error: %s", err->message);
    gst_message_unref (msg);
  } else {
    chain->failed = TRUE;
    gst_element_post_message (GST_ELEMENT (chain->owner), msg);
  }
  g_clear_error (&err);
}

/* As a bin, answers from the contexts the owner was given. */
static gboolean
answer_need_context (KitharaDecodeChain * chain, GstMessage * msg)
{
  const gchar *type;
  GstContext *context;

  if (!GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)) ||
      !gst_message_parse_context_type (msg, &type))
    return FALSE;
  context = gst_element_get_context (GST_ELEMENT (chain->owner), type);
  if (context == NULL)
    return FALSE;
  gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), context);
  gst_context_unref (context);
  return TRUE;
}

static void
kithara_decode_bin_handle_message (GstBin * bin, GstMessage * msg)
{
  KitharaDecodeChain *chain = KITHARA_DECODE_BIN (bin)->chain;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_STREAM_STATUS:
      /* A streaming task is being created: it gets no thread, the
       * owner's tick runs it (an application must not hand it a thread
       * pool). */
      kithara_tick_pool_adopt (chain->tasks, msg);
      break;
    case GST_MESSAGE_ERROR:
      relay_error (chain, msg);
      return;
    case GST_MESSAGE_NEED_CONTEXT:
      if (answer_need_context (chain, msg))
        break;
      gst_element_post_message (GST_ELEMENT (chain->owner), msg);
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
       * its links; the end of streams, which reaches the owner as
       * events), or clocks the pipeline cannot select: it does not
       * contain their elements. */
      break;
    default:
      /* Everything else a bin passes up (warnings, tags, element
       * messages, durations, latency, contexts, stream collections,
       * segment start and done...), from its original source. */
      gst_element_post_message (GST_ELEMENT (chain->owner), msg);
      return;
  }
  gst_message_unref (msg);
}

/* A bin tells the bins above it about elements added deep inside; the
 * element above this one is no bin, and the pipeline does not contain
 * these elements. */
static void
kithara_decode_bin_deep_element (GstBin * bin, GstBin * sub_bin,
    GstElement * child)
{
}

static void
kithara_decode_bin_init (KitharaDecodeBin * bin)
{
}

static void
kithara_decode_bin_class_init (KitharaDecodeBinClass * klass)
{
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  bin_class->handle_message = kithara_decode_bin_handle_message;
  bin_class->deep_element_added = kithara_decode_bin_deep_element;
  bin_class->deep_element_removed = kithara_decode_bin_deep_element;
}

/* ------------------------------------------------------------------ */
/* Life of a chain */

static gboolean
add_input (KitharaDecodeChain * chain)
{
  GstPad *pad;
  GError *err = NULL;

  if (chain->uri == NULL) {
    chain->feed_pad = gst_pad_new ("feed", GST_PAD_SRC);
    gst_pad_set_element_private (chain->feed_pad, chain);
    gst_pad_set_event_function (chain->feed_pad, feed_event);
    gst_pad_set_query_function (chain->feed_pad, feed_query);
    gst_pad_set_getrange_function (chain->feed_pad, feed_getrange);
    pad = gst_element_get_static_pad (chain->parsebin, "sink");
    gst_pad_link (chain->feed_pad, pad);
    gst_object_unref (pad);
    return TRUE;
  }

  chain->source = gst_element_make_from_uri (GST_URI_SRC, chain->uri, NULL,
      &err);
  if (chain->source == NULL) {
    GST_ELEMENT_ERROR (chain->owner, RESOURCE, NOT_FOUND,
        ("Cannot read the track %s: %s", chain->uri, err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
  gst_bin_add (GST_BIN (chain->bin), chain->source);
  return gst_element_link (chain->source, chain->parsebin);
}

/**
 * kithara_decode_chain_new:
 * @uri: (nullable): the track to read; %NULL to decode what reaches the
 *   owner's sink pad
 *
 * Builds a chain, in READY.  Returns %NULL, with an error posted by
 * @owner, if it cannot be built.
 */
KitharaDecodeChain *
kithara_decode_chain_new (GstKitharaElement * owner, const gchar * uri)
{
  KitharaDecodeChain *chain = g_new0 (KitharaDecodeChain, 1);

  chain->owner = owner;
  chain->uri = g_strdup (uri);
  g_queue_init (&chain->out);
  chain->bin = g_object_new (KITHARA_TYPE_DECODE_BIN, "name",
      "kitharadecode-chain", NULL);
  KITHARA_DECODE_BIN (chain->bin)->chain = chain;
  gst_object_ref_sink (chain->bin);
  gst_object_set_parent (GST_OBJECT (chain->bin), GST_OBJECT (owner));
  chain->tasks = kithara_tick_pool_new (gst_kithara_element_get_node (owner));

  chain->parsebin = gst_element_factory_make ("parsebin", NULL);
  chain->convert = gst_element_factory_make ("audioconvert", NULL);
  if (chain->parsebin == NULL || chain->convert == NULL) {
    GST_ELEMENT_ERROR (owner, CORE, MISSING_PLUGIN, (NULL),
        ("parsebin and audioconvert (gst-plugins-base) are required"));
    if (chain->parsebin)
      gst_object_unref (gst_object_ref_sink (chain->parsebin));
    if (chain->convert)
      gst_object_unref (gst_object_ref_sink (chain->convert));
    chain->parsebin = chain->convert = NULL;
    kithara_decode_chain_free (chain);
    return NULL;
  }
  gst_bin_add_many (GST_BIN (chain->bin), chain->parsebin, chain->convert,
      NULL);
  g_signal_connect (chain->parsebin, "pad-added",
      G_CALLBACK (parsebin_pad_added), chain);
  g_signal_connect (chain->parsebin, "pad-removed",
      G_CALLBACK (parsebin_pad_removed), chain);

  chain->capture_pad = gst_pad_new ("capture", GST_PAD_SINK);
  gst_pad_set_element_private (chain->capture_pad, chain);
  gst_pad_set_chain_function (chain->capture_pad, capture_chain);
  gst_pad_set_event_function (chain->capture_pad, capture_event);
  gst_pad_set_query_function (chain->capture_pad, capture_query);

  if (!add_input (chain)) {
    kithara_decode_chain_free (chain);
    return NULL;
  }
  gst_element_set_state (chain->bin, GST_STATE_READY);
  return chain;
}

void
kithara_decode_chain_free (KitharaDecodeChain * chain)
{
  if (chain == NULL)
    return;
  /* What is inside may outlive the chain (a message still holding it). */
  if (chain->parsebin)
    g_signal_handlers_disconnect_by_data (chain->parsebin, chain);
  gst_element_set_state (chain->bin, GST_STATE_NULL);
  kithara_tick_pool_clear (chain->tasks);
  gst_clear_object (&chain->tasks);
  release_all_dropped (chain);
  forget_linked_pad (chain);
  g_list_free_full (g_steal_pointer (&chain->candidates), gst_object_unref);
  gst_clear_object (&chain->feed_pad);
  gst_clear_object (&chain->capture_pad);
  gst_object_unparent (GST_OBJECT (chain->bin));
  gst_clear_object (&chain->bin);
  kithara_decode_chain_clear_out (chain, FALSE);
  gst_clear_event (&chain->pending_eos);
  g_free (chain->uri);
  g_free (chain);
}

void
kithara_decode_chain_set_flush_func (KitharaDecodeChain * chain,
    KitharaDecodeChainFlushFunc func, gpointer user_data)
{
  chain->flush_func = func;
  chain->flush_data = user_data;
}

/* Back to a fresh stream: the chain is taken down to READY, which makes
 * parsebin drop what it autoplugged. */
void
kithara_decode_chain_reset (KitharaDecodeChain * chain)
{
  chain->ready = FALSE;
  if (chain->feed_pad)
    gst_pad_set_active (chain->feed_pad, FALSE);
  gst_pad_set_active (chain->capture_pad, FALSE);
  gst_element_set_state (chain->bin, GST_STATE_READY);
  kithara_tick_pool_clear (chain->tasks);
  release_all_dropped (chain);
  remove_decoder (chain);
  forget_linked_pad (chain);
  g_list_free_full (g_steal_pointer (&chain->candidates), gst_object_unref);
  gst_clear_event (&chain->pending_eos);
  chain->linked_ended = FALSE;
  kithara_decode_chain_clear_out (chain, FALSE);
  chain->linked_once = FALSE;
  chain->input_done = FALSE;
  chain->failed = FALSE;
  chain->audio_pads_seen = 0;
}

/* The mode the source element of a track settled in. */
static GstPadMode
source_mode (KitharaDecodeChain * chain)
{
  GstPad *pad = gst_element_get_static_pad (chain->source, "src");
  GstPadMode mode = pad ? GST_PAD_MODE (pad) : GST_PAD_MODE_NONE;

  gst_clear_object (&pad);
  return mode;
}

/**
 * kithara_decode_chain_start:
 * @pull_mode: for a chain fed through the owner's sink pad, whether the
 *   owner pulls from upstream
 *
 * Activates the chain.  When it pulls, typefind's streaming task is
 * created here (and adopted by the chain's task pool), to run in the
 * owner's ticks.  A failure is posted by the owner and makes the chain
 * failed.  The owner's tick lock is held.
 */
void
kithara_decode_chain_start (KitharaDecodeChain * chain, gboolean pull_mode)
{
  /* A track's source must let the chain pull: pushing, it would need a
   * streaming thread of its own. */
  chain->pull_mode = chain->uri ? TRUE : pull_mode;
  if (chain->feed_pad)
    gst_pad_set_active (chain->feed_pad, TRUE);
  gst_pad_set_active (chain->capture_pad, TRUE);
  if (gst_element_set_state (chain->bin, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE) {
    if (!chain->failed)
      GST_ELEMENT_ERROR (chain->owner, CORE, STATE_CHANGE, (NULL),
          ("the decoding chain could not start"));
    chain->failed = TRUE;
  } else if (chain->feed_pad && chain->pull_mode &&
      GST_PAD_MODE (chain->feed_pad) != GST_PAD_MODE_PULL) {
    if (!chain->failed)
      GST_ELEMENT_ERROR (chain->owner, CORE, STATE_CHANGE, (NULL),
          ("the decoding chain could not start pulling"));
    chain->failed = TRUE;
  } else if (chain->source && source_mode (chain) != GST_PAD_MODE_PULL) {
    if (!chain->failed)
      GST_ELEMENT_ERROR (chain->owner, RESOURCE, READ,
          ("Cannot read the track %s: its source cannot be read "
              "without a streaming thread (it does not allow random "
              "access).", chain->uri), (NULL));
    chain->failed = TRUE;
  }
  chain->ready = TRUE;
}

/* ------------------------------------------------------------------ */
/* Steps */

/* The whole input went through the chain: the decoded stream's EOS, if
 * held, is the real end now. */
static void
release_eos (KitharaDecodeChain * chain)
{
  if (chain->pending_eos)
    g_queue_push_tail (&chain->out, g_steal_pointer (&chain->pending_eos));
}

/* Feeds EOS into the chain (push mode); it is processed synchronously. */
static void
feed_eos (KitharaDecodeChain * chain)
{
  chain->input_done = TRUE;
  gst_pad_push_event (chain->feed_pad, gst_event_new_eos ());
  release_eos (chain);
}

/* Posts the error that @ret means (unless the chain already failed) and
 * makes the chain failed. */
static void
chain_fail (KitharaDecodeChain * chain, GstFlowReturn ret)
{
  if (ret == GST_FLOW_NOT_LINKED) {
    no_stream_found (chain);
    return;
  }
  if (!chain->failed)
    GST_ELEMENT_FLOW_ERROR (chain->owner, ret);
  chain->failed = TRUE;
}

/* What feeding the chain returned. */
static GstFlowReturn
fed (KitharaDecodeChain * chain, GstFlowReturn ret, gboolean * progress)
{
  switch (ret) {
    case GST_FLOW_OK:
      *progress = TRUE;
      return GST_FLOW_OK;
    case GST_FLOW_FLUSHING:
      return GST_FLOW_OK;
    case GST_FLOW_EOS:
      /* The chain wants no more (segment done): let it drain. */
      if (!chain->input_done)
        feed_eos (chain);
      *progress = TRUE;
      return GST_FLOW_OK;
    default:
      chain_fail (chain, ret);
      return ret;
  }
}

/* Pull mode: one iteration of the chain's streaming task (typefinding,
 * or the demuxer or parser reading and pushing one page or frame). */
static GstFlowReturn
run_tasks (KitharaDecodeChain * chain, gboolean * progress)
{
  *progress = TRUE;
  if (kithara_tick_pool_run_one (chain->tasks))
    return GST_FLOW_OK;

  /* Every task has paused: the input is done, until a seek restarts it. */
  if (chain->pending_eos) {
    release_eos (chain);
    return GST_FLOW_OK;
  }
  *progress = FALSE;
  if (!chain->linked_once)
    return fed (chain, GST_FLOW_NOT_LINKED, progress);
  return GST_FLOW_OK;
}

/* Push mode: feeds the chain one item of the owner's inlet. */
static GstFlowReturn
feed_one (KitharaDecodeChain * chain, gboolean * progress)
{
  GstMiniObject *item;

  if (chain->input_done)
    return GST_FLOW_OK;         /* the chain's EOS is on its way */

  item = gst_kithara_element_pop (chain->owner);
  if (item == NULL)
    return GST_FLOW_OK;
  if (GST_IS_BUFFER (item))
    return fed (chain, gst_pad_push (chain->feed_pad, GST_BUFFER (item)),
        progress);
  *progress = TRUE;
  if (GST_IS_QUERY (item)) {
    /* Behind what the chain has decoded of the input before it. */
    g_queue_push_tail (&chain->out, item);
  } else if (GST_EVENT_TYPE (item) == GST_EVENT_EOS) {
    gst_event_unref (GST_EVENT (item));
    feed_eos (chain);
  } else {
    gst_pad_push_event (chain->feed_pad, GST_EVENT (item));
  }
  return GST_FLOW_OK;
}

/**
 * kithara_decode_chain_step:
 * @progress: (out): whether the step did something
 *
 * Lets the chain make one step: one pushed item fed into it, or one
 * iteration of one of its streaming tasks.  Returns %GST_FLOW_OK, or the
 * flow the chain failed with (its error posted).
 */
GstFlowReturn
kithara_decode_chain_step (KitharaDecodeChain * chain, gboolean * progress)
{
  *progress = FALSE;
  if (chain->failed)
    return GST_FLOW_ERROR;
  if (!chain->ready)
    return GST_FLOW_OK;
  return chain->pull_mode ? run_tasks (chain, progress) :
      feed_one (chain, progress);
}

/* Returns: (transfer full) (nullable): the next decoded item. */
GstMiniObject *
kithara_decode_chain_pop (KitharaDecodeChain * chain)
{
  GstMiniObject *item = g_queue_pop_head (&chain->out);

  if (item && GST_IS_BUFFER (item) &&
      GST_BUFFER_DURATION_IS_VALID (GST_BUFFER (item)))
    chain->out_time -= MIN (chain->out_time,
        GST_BUFFER_DURATION (GST_BUFFER (item)));
  return item;
}

/* Empties the decoded items waiting to go downstream; a flush keeps the
 * sticky events among them, which would not be sent again. */
void
kithara_decode_chain_clear_out (KitharaDecodeChain * chain,
    gboolean keep_sticky)
{
  kithara_stream_flush_items (&chain->out, keep_sticky);
  chain->out_time = 0;
}

/* Upstream flushed the owner (push mode): the chain is flushed too, the
 * flush itself has already gone downstream. */
void
kithara_decode_chain_flush_input (KitharaDecodeChain * chain)
{
  if (!chain->pull_mode && chain->feed_pad &&
      gst_pad_is_active (chain->feed_pad)) {
    chain->internal_flush = TRUE;
    gst_pad_push_event (chain->feed_pad, gst_event_new_flush_start ());
    gst_pad_push_event (chain->feed_pad, gst_event_new_flush_stop (TRUE));
    chain->internal_flush = FALSE;
  }
  kithara_decode_chain_clear_out (chain, FALSE);
  chain->input_done = FALSE;
}

/* An upstream event (a seek) into the chain: it travels up the decoder,
 * parser and demuxer.  The owner's tick lock is held. */
gboolean
kithara_decode_chain_send_event (KitharaDecodeChain * chain, GstEvent * event)
{
  return gst_pad_push_event (chain->capture_pad, event);
}

/* Position, duration, seeking, segment and convert queries, answered
 * inside the chain. */
gboolean
kithara_decode_chain_query (KitharaDecodeChain * chain, GstQuery * query)
{
  return gst_pad_peer_query (chain->capture_pad, query);
}
