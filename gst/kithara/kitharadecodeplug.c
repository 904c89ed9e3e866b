/* Kithara: choosing and plugging a decoder the way decodebin does.
 *
 * The candidates for a stream are the decoders of rank marginal or
 * better whose sink caps take the stream's caps (all of them when they
 * are fixed, as they are when kitharadecode plugs: decodebin filters so),
 * best rank first, equal ranks in name order.  Each is tried in turn
 * until one takes the stream: it must link, reach READY, accept the caps,
 * have its output linked, reach PAUSED and take the stream's sticky
 * events (stream-start, caps...).
 * A candidate that fails any step is taken out again and the next one is
 * tried.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharadecodeplug.h"

GST_DEBUG_CATEGORY_EXTERN (gst_kithara_decode_debug);
#define GST_CAT_DEFAULT gst_kithara_decode_debug

/* The decoders that may take @caps, in the order decodebin tries them.
 * Free with gst_plugin_feature_list_free(). */
GList *
kithara_decode_plug_candidates (GstCaps * caps)
{
  GList *all, *usable;

  all = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODER,
      GST_RANK_MARGINAL);
  all = g_list_sort (all, gst_plugin_feature_rank_compare_func);
  usable = gst_element_factory_list_filter (all, caps, GST_PAD_SINK,
      gst_caps_is_fixed (caps));
  gst_plugin_feature_list_free (all);
  return usable;
}

/* The first pad of @element in @direction (decoders have one). */
static GstPad *
first_pad (GstElement * element, GstPadDirection direction)
{
  GstIterator *it = direction == GST_PAD_SINK ?
      gst_element_iterate_sink_pads (element) :
      gst_element_iterate_src_pads (element);
  GValue item = G_VALUE_INIT;
  GstPad *pad = NULL;

  if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    pad = g_value_dup_object (&item);
    g_value_unset (&item);
  }
  gst_iterator_free (it);
  return pad;
}

typedef struct
{
  GstPad *sink;
  gboolean taken;
} StickyFeed;

static gboolean
send_one_sticky (GstPad * pad, GstEvent ** event, gpointer user_data)
{
  StickyFeed *feed = user_data;

  if (GST_EVENT_TYPE (*event) != GST_EVENT_EOS)
    feed->taken = gst_pad_send_event (feed->sink, gst_event_ref (*event));
  return feed->taken;
}

/* Gives @sink the sticky events @pad holds, in order: whether it took
 * them all (a decoder refuses caps it cannot handle here). */
static gboolean
send_sticky_events (GstPad * pad, GstPad * sink)
{
  StickyFeed feed = { sink, TRUE };

  gst_pad_sticky_events_foreach (pad, send_one_sticky, &feed);
  return feed.taken;
}

/* Takes a candidate (or the decoder in use) out of @bin. */
void
kithara_decode_plug_remove (GstBin * bin, GstElement * element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_bin_remove (bin, element);
}

/* The steps a candidate must pass; the reason it failed, or NULL. */
static const gchar *
connect_candidate (GstElement * element, GstPad * pad, GstCaps * caps,
    KitharaDecodeLinkOut link_out, gpointer user_data)
{
  GstPad *sink = first_pad (element, GST_PAD_SINK);
  GstPad *src = first_pad (element, GST_PAD_SRC);
  const gchar *failure = NULL;

  if (sink == NULL || src == NULL)
    failure = "has no sink or no source pad";
  else if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    failure = "could not be linked";
  else if (gst_element_set_state (element, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE)
    failure = "could not be set to READY";
  else if (!gst_pad_query_accept_caps (sink, caps))
    failure = "does not accept the caps";
  else if (!link_out (src, user_data))
    failure = "could not link its output";
  else if (gst_element_set_state (element, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE)
    failure = "could not be set to PAUSED";
  else if (!send_sticky_events (pad, sink))
    failure = "refused the stream's caps or events";
  gst_clear_object (&sink);
  gst_clear_object (&src);
  return failure;
}

/* Tries a decoder of @factory on @pad (whose caps are @caps), inside
 * @bin, its output linked by @link_out.  While it is tried, *@trying
 * (set atomically) names it, so that the errors it posts can be told
 * apart.  Returns the
 * decoder, PAUSED, with the stream's sticky events, its state following
 * @bin's from now on; or NULL, the candidate taken out again and the
 * reason appended to @why. */
GstElement *
kithara_decode_plug_try (GstBin * bin, GstElementFactory * factory,
    GstPad * pad, GstCaps * caps, KitharaDecodeLinkOut link_out,
    gpointer user_data, GstElement ** trying, GString * why)
{
  const gchar *name = GST_OBJECT_NAME (factory);
  GstElement *element = gst_element_factory_create (factory, NULL);
  const gchar *failure;

  GST_DEBUG_OBJECT (bin, "trying %s for %" GST_PTR_FORMAT, name, caps);
  if (element == NULL) {
    g_string_append_printf (why, "%s could not be created\n", name);
    return NULL;
  }
  /* Its state is set here until it has passed, not by the bin. */
  gst_element_set_locked_state (element, TRUE);
  if (!gst_bin_add (bin, element)) {
    /* (a failed add has disposed of the floating element) */
    g_string_append_printf (why, "%s could not be added\n", name);
    return NULL;
  }

  g_atomic_pointer_set (trying, element);
  failure = connect_candidate (element, pad, caps, link_out, user_data);
  g_atomic_pointer_set (trying, NULL);

  if (failure) {
    GST_DEBUG_OBJECT (bin, "%s %s", name, failure);
    g_string_append_printf (why, "%s %s\n", name, failure);
    kithara_decode_plug_remove (bin, element);
    return NULL;
  }
  gst_element_set_locked_state (element, FALSE);
  return element;
}
