/* Kithara: base class of the elements whose processing runs as a node on
 * a shared worker.
 *
 * The sink pad's chain and event functions only queue into the inlet
 * (blocking a foreign streaming thread when it is full, never a worker);
 * everything else happens in the node's tick on the worker, in stream
 * order: caps, segment, buffers, EOS.  Flush-start and flush-stop act at
 * once, flush-stop atomically with respect to the tick.
 *
 * The node is registered with the worker from READY to PAUSED and leaves
 * it synchronously on the way down, before the pads are deactivated.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkitharaelement.h"
#include "kitharacontext.h"
#include "kitharaoutlet.h"

GST_DEBUG_CATEGORY_STATIC (gst_kithara_element_debug);
#define GST_CAT_DEFAULT gst_kithara_element_debug

#define DEFAULT_CONTEXT KITHARA_DEFAULT_CONTEXT
#define DEFAULT_SERVICE_CLASS KITHARA_SERVICE_CLASS_AUTO
/* What an "auto" node is until an exit announces otherwise. */
#define DEFAULT_FOLLOWED_CLASS KITHARA_SERVICE_CLASS_WARM
#define DEFAULT_MAX_SIZE_BUFFERS 4
#define DEFAULT_MAX_SIZE_TIME (50 * GST_MSECOND)
#define DEFAULT_LOW_WATERMARK 50
#define DEFAULT_SLOW_TICK_THRESHOLD (10 * GST_MSECOND)
/* An exit's queue holds this many times the inlet's buffers, whatever
 * their duration: data that runs ahead of the clock (a file decoded faster
 * than it plays) goes to the exit's thread in batches of half of that. */
#define EXIT_CAPACITY_FACTOR 4

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_SERVICE_CLASS,
  PROP_MAX_SIZE_BUFFERS,
  PROP_MAX_SIZE_TIME,
  PROP_LOW_WATERMARK,
  PROP_SLOW_TICK_THRESHOLD,
  PROP_STATS,
};

enum
{
  SIGNAL_OVERRUN,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

typedef struct
{
  GstPad *sinkpad;
  GstPad *srcpad;
  KitharaNode *node;
  KitharaInlet *inlet;
  KitharaOutlet *outlet;        /* behind the src pad, if any */
  gboolean always_exit;         /* the src pad is always an exit */
  KitharaWorker *worker;        /* under the object lock */

  /* Service class: the setting (possibly "auto") and the class the exit
   * downstream last announced.  Atomic; class_lock orders their changes
   * with what is applied and announced, so that the last change is the
   * last announcement (the worker announces too, on STREAM_START). */
  gint class_setting;
  gint followed_class;
  GMutex class_lock;
  /* Registration with the worker.  start_control may run late (on a
   * worker it waits for the end of a tick, or for another thread to let
   * go of the node), after the element has gone down again: it adds the
   * node only while the element still wants it, once. */
  GMutex registration_lock;
  gboolean wants_worker;        /* between READY_TO_PAUSED and back */
  gboolean registered;

  /* Inlets a subclass made for pads of its own (request pads), kept at
   * the element's limits.  Under the object lock. */
  GPtrArray *extra_inlets;

  /* Properties, under the object lock. */
  gchar *context;
  guint max_size_buffers;
  GstClockTime max_size_time;
  guint low_watermark;

  /* The tick running now: its thread (atomic) and the inlet's activation
   * count when it began.  A tick that outlived a state change (stopped
   * from another worker, which does not wait for it) takes and pushes
   * nothing more: see tick_is_current(). */
  gpointer tick_thread;
  guint tick_activations;

  /* Stream state, touched by the tick (or under the tick lock). */
  GstSegment segment;
  gboolean negotiated;
  GstCaps *caps;                /* the input caps last processed */
  GstCaps *out_caps;            /* the output caps last pushed */
  gint upstream_is_kithara;     /* atomic */
} GstKitharaElementPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstKitharaElement, gst_kithara_element,
    GST_TYPE_ELEMENT);

#define PRIV(self) \
  ((GstKitharaElementPrivate *) gst_kithara_element_get_instance_private (self))

static gboolean is_fatal (GstFlowReturn ret);

/**
 * gst_kithara_element_close:
 * @reason: %GST_FLOW_EOS or the error flow upstream will see from now on
 *
 * Stops taking data (until a flush); for a subclass's own tick.  After a
 * fatal error (posted by whoever found it) downstream gets EOS, as from a
 * stock source, so that an exit counts this stream as finished.
 *
 * Returns: %KITHARA_TICK_DONE
 */
KitharaTickResult
gst_kithara_element_close (GstKitharaElement * self, GstFlowReturn reason)
{
  kithara_inlet_set_closed (PRIV (self)->inlet, reason);
  if (is_fatal (reason) && PRIV (self)->srcpad)
    gst_kithara_element_push_event (self, gst_event_new_eos ());
  return KITHARA_TICK_DONE;
}

static gboolean
is_fatal (GstFlowReturn ret)
{
  return ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS;
}

#define close_with gst_kithara_element_close

/**
 * gst_kithara_element_pop:
 *
 * Returns: (transfer full) (nullable): the next buffer, serialized event
 * or serialized query of the inlet, for a subclass's own tick.  A query
 * is passed on with gst_kithara_element_push_query() once what came
 * before it has gone on, or answered with kithara_stream_query_done().
 */
GstMiniObject *
gst_kithara_element_pop (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  return kithara_inlet_pop_at (priv->inlet,
      g_atomic_pointer_get (&priv->tick_thread) == g_thread_self () ?
      priv->tick_activations : G_MAXUINT);
}

/* The outlet's guard: FALSE on a tick that began before the element's
 * last state change (what it took belongs to the stream before).  Other
 * threads (flushes, state changes) always push. */
static gboolean
tick_is_current (gpointer user_data)
{
  GstKitharaElementPrivate *priv = PRIV (GST_KITHARA_ELEMENT (user_data));

  return g_atomic_pointer_get (&priv->tick_thread) != g_thread_self () ||
      kithara_inlet_get_activations (priv->inlet) == priv->tick_activations;
}

static gboolean peer_reports_errors (GstKitharaElement * self);

/**
 * gst_kithara_element_tick_result:
 * @ret: what downstream answered to the tick's last push
 *
 * Maps a flow return onto the tick outcome (DESIGN: backpressure mapped
 * to flow returns).  A fatal flow is posted as an error here only if
 * nobody downstream did: an exit's task and a kithara element each post
 * their own, so one failure makes one ERROR message.
 */
KitharaTickResult
gst_kithara_element_tick_result (GstKitharaElement * self, GstFlowReturn ret)
{
  switch (ret) {
    case GST_FLOW_OK:
      return KITHARA_TICK_PROGRESS;
    case KITHARA_FLOW_FULL:
      return KITHARA_TICK_BACKPRESSURED;
    case GST_FLOW_FLUSHING:
      return KITHARA_TICK_WAITING;
    case GST_FLOW_EOS:
      GST_DEBUG_OBJECT (self, "downstream is at EOS");
      return close_with (self, GST_FLOW_EOS);
    default:
      if (ret > GST_FLOW_OK)
        return KITHARA_TICK_PROGRESS;   /* another success, treat as OK */
      if (!peer_reports_errors (self))
        GST_ELEMENT_FLOW_ERROR (self, ret);
      else
        GST_DEBUG_OBJECT (self, "downstream failed: %s",
            gst_flow_get_name (ret));
      return close_with (self, ret);
  }
}

static gboolean
push_caps (GstKitharaElement * self, GstCaps * caps)
{
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstCaps *out;
  gboolean ret;

  if (klass->set_caps && !klass->set_caps (self, caps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("%s cannot process caps %" GST_PTR_FORMAT,
            G_OBJECT_TYPE_NAME (self), caps));
    return FALSE;
  }
  PRIV (self)->negotiated = TRUE;
  gst_caps_replace (&PRIV (self)->caps, caps);

  out = klass->output_caps ? klass->output_caps (self, caps) :
      gst_caps_ref (caps);
  gst_caps_replace (&PRIV (self)->out_caps, out);
  ret = gst_kithara_element_push_event (self, gst_event_new_caps (out));
  gst_caps_unref (out);
  if (!ret)
    GST_DEBUG_OBJECT (self, "downstream did not take the caps (yet)");
  return TRUE;
}

/* Downstream asked for renegotiation (a RECONFIGURE event reached the
 * src pad: relinked, or a capsfilter changed): an element whose output
 * caps it chooses itself (transform_caps) negotiates them again, through
 * set_caps with the same input, if downstream no longer takes the current
 * ones.  Checked before each buffer, as GstBaseTransform does. */
static gboolean
renegotiate_if_asked (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  if (!GST_KITHARA_ELEMENT_GET_CLASS (self)->transform_caps ||
      priv->srcpad == NULL || !gst_pad_check_reconfigure (priv->srcpad))
    return TRUE;
  if (priv->out_caps &&
      gst_pad_peer_query_accept_caps (priv->srcpad, priv->out_caps))
    return TRUE;
  GST_DEBUG_OBJECT (self, "downstream asks for new caps");
  return push_caps (self, priv->caps);
}

static void apply_class (GstKitharaElement * self);

static KitharaTickResult
handle_serialized_event (GstKitharaElement * self, GstEvent * event)
{
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);

  GST_LOG_OBJECT (self, "event %" GST_PTR_FORMAT, event);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      /* Upstream is active by now: an explicit class reaches it. */
      if (g_atomic_int_get (&priv->class_setting) !=
          KITHARA_SERVICE_CLASS_AUTO)
        apply_class (self);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = push_caps (self, caps);
      gst_event_unref (event);
      if (!ok)
        return close_with (self, GST_FLOW_NOT_NEGOTIATED);
      return KITHARA_TICK_PROGRESS;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &priv->segment);
      break;
    case GST_EVENT_EOS:
      if (klass->drain)
        klass->drain (self);
      gst_kithara_element_push_event (self, event);
      return close_with (self, GST_FLOW_EOS);
    default:
      break;
  }

  if (klass->handle_event)
    klass->handle_event (self, event);
  else
    gst_kithara_element_push_event (self, event);
  return KITHARA_TICK_PROGRESS;
}

static KitharaTickResult
default_tick (GstKitharaElement * self)
{
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);
  GstMiniObject *item;

  /* Check the outlet before doing any work, so nothing is thrown away. */
  if (gst_kithara_element_downstream_full (self))
    return KITHARA_TICK_BACKPRESSURED;

  item = gst_kithara_element_pop (self);
  if (item == NULL)
    return KITHARA_TICK_WAITING;

  if (GST_IS_EVENT (item))
    return handle_serialized_event (self, GST_EVENT (item));
  if (GST_IS_QUERY (item)) {
    gst_kithara_element_push_query (self, GST_QUERY (item));
    return KITHARA_TICK_PROGRESS;
  }

  if (!priv->negotiated) {
    gst_mini_object_unref (item);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    return close_with (self, GST_FLOW_NOT_NEGOTIATED);
  }
  if (!renegotiate_if_asked (self)) {
    gst_mini_object_unref (item);
    return close_with (self, GST_FLOW_NOT_NEGOTIATED);
  }
  return gst_kithara_element_tick_result (self,
      klass->handle_buffer (self, GST_BUFFER (item)));
}

static KitharaTickResult
node_tick (KitharaNode * node, gpointer user_data)
{
  GstKitharaElement *self = user_data;
  GstKitharaElementPrivate *priv = PRIV (self);
  gpointer outer = g_atomic_pointer_get (&priv->tick_thread);
  KitharaTickResult result;

  priv->tick_activations = kithara_inlet_get_activations (priv->inlet);
  g_atomic_pointer_set (&priv->tick_thread, g_thread_self ());
  result = GST_KITHARA_ELEMENT_GET_CLASS (self)->tick (self);
  g_atomic_pointer_set (&priv->tick_thread, outer);

  /* Produced ahead of the clock and batched in the exit: out it goes once
   * the node stops producing. */
  if (result != KITHARA_TICK_PROGRESS && priv->outlet)
    kithara_outlet_flush_wake (priv->outlet);
  return result;
}

/**
 * gst_kithara_element_push:
 * @buf: (transfer full)
 *
 * Pushes @buf downstream from the tick: to the next kithara element's
 * inlet directly, or through the src pad's exit when its peer may block.
 */
GstFlowReturn
gst_kithara_element_push (GstKitharaElement * self, GstBuffer * buf)
{
  return kithara_outlet_push (PRIV (self)->outlet, buf);
}

/**
 * gst_kithara_element_push_query:
 * @query: (transfer none): a serialized query popped from the inlet (the
 *   thread waiting for it owns it)
 *
 * Passes @query on downstream in order with what was pushed before it;
 * the thread that sent it gets downstream's answer.  An element without a
 * src pad answers %TRUE: everything before it was consumed.
 */
void
gst_kithara_element_push_query (GstKitharaElement * self, GstQuery * query)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  if (priv->srcpad == NULL) {
    kithara_stream_query_done (query, TRUE);
    return;
  }
  kithara_outlet_push_query (priv->outlet, query);
}

/**
 * gst_kithara_element_push_event:
 * @event: (transfer full)
 *
 * Pushes @event downstream: serialized events in order with the buffers
 * (through the exit, if the src pad is one), the others at once.
 */
gboolean
gst_kithara_element_push_event (GstKitharaElement * self, GstEvent * event)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  if (priv->srcpad == NULL) {
    gst_event_unref (event);    /* a sink: nothing downstream */
    return TRUE;
  }
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      return kithara_outlet_flush_start (priv->outlet, event);
    case GST_EVENT_FLUSH_STOP:
      return kithara_outlet_flush_stop (priv->outlet, event);
    default:
      return kithara_outlet_push_event (priv->outlet, event);
  }
}

/* The inlet behind @pad (a sink pad), if it belongs to a kithara element,
 * looking through ghost pads: pushing into it never blocks a worker. */
static KitharaInlet *
ref_inlet_of (GstPad * pad)
{
  GstObject *parent;
  KitharaInlet *inlet = NULL;

  gst_object_ref (pad);
  while (GST_IS_GHOST_PAD (pad)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

    gst_object_unref (pad);
    if (target == NULL)
      return NULL;
    pad = target;
  }
  parent = gst_pad_get_parent (pad);
  if (parent && GST_IS_KITHARA_ELEMENT (parent))
    inlet = GST_KITHARA_ELEMENT_GET_CLASS (parent)->get_inlet
        (GST_KITHARA_ELEMENT (parent), pad);
  gst_clear_object (&parent);
  gst_object_unref (pad);
  return inlet;
}

/* The inlet the src pad feeds directly, or NULL. */
static KitharaInlet *
ref_peer_inlet (GstKitharaElement * self)
{
  GstPad *peer = gst_pad_get_peer (PRIV (self)->srcpad);
  KitharaInlet *inlet;

  if (peer == NULL)
    return NULL;
  inlet = ref_inlet_of (peer);
  gst_object_unref (peer);
  return inlet;
}

/* Whether data from the src pad must leave through the exit's task. */
static gboolean
needs_exit (GstKitharaElement * self)
{
  KitharaInlet *inlet;

  if (PRIV (self)->always_exit)
    return TRUE;
  inlet = ref_peer_inlet (self);
  if (inlet == NULL)
    return gst_pad_is_linked (PRIV (self)->srcpad);
  kithara_inlet_unref (inlet);
  return FALSE;
}

/* Whoever is downstream posts its own errors: an exit's task, or a
 * kithara element's node.  Only an unlinked src pad leaves it to us. */
static gboolean
peer_reports_errors (GstKitharaElement * self)
{
  KitharaInlet *inlet;

  if (kithara_outlet_is_exit (PRIV (self)->outlet))
    return TRUE;
  inlet = ref_peer_inlet (self);
  if (inlet)
    kithara_inlet_unref (inlet);
  return inlet != NULL;
}

/**
 * gst_kithara_element_downstream_full:
 *
 * Returns: whether downstream cannot take more now: the exit's queue is
 * full, or the next kithara element's inlet is.  If so this node is woken
 * once it drains.
 */
gboolean
gst_kithara_element_downstream_full (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);
  KitharaInlet *inlet;
  gboolean full;

  if (priv->srcpad == NULL)
    return FALSE;
  if (kithara_outlet_is_exit (priv->outlet))
    return kithara_outlet_is_full (priv->outlet);
  /* Still waiting for an inlet further down, one that is not our peer's
   * (a ghost pad in between) or that was full at the last push. */
  if (kithara_node_is_held_back (priv->node))
    return TRUE;
  inlet = ref_peer_inlet (self);
  if (inlet == NULL)
    return FALSE;
  full = kithara_inlet_check_full (inlet, priv->node);
  kithara_inlet_unref (inlet);
  return full;
}

/**
 * gst_kithara_element_query_downstream:
 *
 * A query from the tick to the src pad's peer.  A serialized query
 * (allocation, drain) would wait for the data ahead of it behind an exit:
 * it is not sent then, and %FALSE is returned.
 */
gboolean
gst_kithara_element_query_downstream (GstKitharaElement * self,
    GstQuery * query)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  if (priv->srcpad == NULL)
    return FALSE;
  if (GST_QUERY_IS_SERIALIZED (query) &&
      kithara_outlet_is_exit (priv->outlet))
    return FALSE;
  return gst_pad_peer_query (priv->srcpad, query);
}

/**
 * gst_kithara_element_set_always_exit:
 *
 * Makes the src pad an exit whatever it is linked to (for an element
 * whose output keeps time, such as a mixer).  Call it at construction.
 */
void
gst_kithara_element_set_always_exit (GstKitharaElement * self)
{
  PRIV (self)->always_exit = TRUE;
}

/**
 * gst_kithara_element_get_outlet:
 *
 * Returns: (transfer none) (nullable): the outlet behind the src pad.
 */
KitharaOutlet *
gst_kithara_element_get_outlet (GstKitharaElement * self)
{
  return PRIV (self)->outlet;
}

static KitharaInlet *
default_get_inlet (GstKitharaElement * self, GstPad * sinkpad)
{
  return sinkpad == PRIV (self)->sinkpad ?
      kithara_inlet_ref (PRIV (self)->inlet) : NULL;
}

static GstFlowReturn
gst_kithara_element_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstKitharaElementPrivate *priv = PRIV (GST_KITHARA_ELEMENT (parent));

  return kithara_inlet_push_from_pad (priv->inlet, GST_MINI_OBJECT_CAST (buf),
      g_atomic_int_get (&priv->upstream_is_kithara));
}

/* An event function that returns a flow: a serialized event refused by a
 * flushing or closed inlet says why (FLUSHING, EOS), as the core does for
 * a flushing pad, instead of a plain FALSE that upstream would take for
 * GST_FLOW_ERROR when it is a sticky event pushed before a buffer. */
static GstFlowReturn
gst_kithara_element_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (parent);
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);
  gboolean res;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      kithara_inlet_set_flushing (priv->inlet, TRUE);
      return gst_kithara_element_push_event (self, event) ? GST_FLOW_OK :
          GST_FLOW_ERROR;
    case GST_EVENT_FLUSH_STOP:
      /* The sticky events still queued at the flush are kept in the inlet
       * (they would not be sent again) and come first. */
      kithara_node_lock_tick (priv->node);
      kithara_inlet_set_flushing (priv->inlet, FALSE);
      gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
      if (klass->flush)
        klass->flush (self);
      res = gst_kithara_element_push_event (self, event);
      kithara_node_unlock_tick (priv->node);
      kithara_node_wake (priv->node);
      return res ? GST_FLOW_OK : GST_FLOW_ERROR;
    default:
      break;
  }

  if (!GST_EVENT_IS_SERIALIZED (event))
    return gst_pad_event_default (pad, parent, event) ? GST_FLOW_OK :
        GST_FLOW_ERROR;

  return kithara_inlet_push_from_pad (priv->inlet,
      GST_MINI_OBJECT_CAST (event), FALSE);
}

/* Caps query for elements that transform caps: ask the peer of the
 * other pad, transform its answer back and keep what our template can do. */
static gboolean
query_transformed_caps (GstKitharaElement * self, GstPad * pad,
    GstQuery * query)
{
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);
  GstPad *other = pad == priv->sinkpad ? priv->srcpad : priv->sinkpad;
  GstCaps *filter, *peer_filter = NULL, *peer_caps, *caps, *templ;

  gst_query_parse_caps (query, &filter);
  if (filter)
    peer_filter = klass->transform_caps (self, GST_PAD_DIRECTION (pad),
        filter);
  peer_caps = gst_pad_peer_query_caps (other, peer_filter);
  caps = klass->transform_caps (self, GST_PAD_DIRECTION (other), peer_caps);
  templ = gst_pad_get_pad_template_caps (pad);
  gst_caps_take (&caps, gst_caps_intersect (caps, templ));
  if (filter)
    gst_caps_take (&caps, gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST));
  gst_query_set_caps_result (query, caps);

  gst_caps_unref (caps);
  gst_caps_unref (templ);
  gst_caps_unref (peer_caps);
  if (peer_filter)
    gst_caps_unref (peer_filter);
  return TRUE;
}

static gboolean
gst_kithara_element_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (parent);
  gboolean result;

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS &&
      GST_KITHARA_ELEMENT_GET_CLASS (self)->transform_caps)
    return query_transformed_caps (self, pad, query);
  if (kithara_inlet_take_query (PRIV (self)->inlet, query, &result))
    return result;
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_kithara_element_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (parent);
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);

  if (klass->src_query && klass->src_query (self, query))
    return TRUE;

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, queued, own = 0;

    if (!gst_pad_peer_query (priv->sinkpad, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    if (GST_KITHARA_ELEMENT_GET_CLASS (self)->get_latency)
      own = GST_KITHARA_ELEMENT_GET_CLASS (self)->get_latency (self);
    min += own;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += own;
    /* Like a queue: the inlet adds nothing to the minimum and its capacity
     * to the maximum latency; an exit's queue, limited in buffers only,
     * makes the maximum unbounded. */
    GST_OBJECT_LOCK (self);
    queued = priv->max_size_time;
    if (priv->outlet && !priv->always_exit &&
        kithara_outlet_is_exit (priv->outlet))
      max = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (self);
    if (GST_CLOCK_TIME_IS_VALID (max) && queued > 0)
      max += queued;
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS &&
      GST_KITHARA_ELEMENT_GET_CLASS (self)->transform_caps)
    return query_transformed_caps (self, pad, query);
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_kithara_element_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (parent);
  KitharaServiceClass announced;

  if (kithara_service_class_event_parse (event, &announced)) {
    gst_event_unref (event);
    klass->follow_service_class (GST_KITHARA_ELEMENT (parent), announced);
    return TRUE;
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_LATENCY) {
    GstClockTime latency;

    /* An exit's deadlines are the sink's render times. */
    gst_event_parse_latency (event, &latency);
    kithara_outlet_set_latency (PRIV (GST_KITHARA_ELEMENT (parent))->outlet,
        latency);
  }
  if (klass->src_event)
    return klass->src_event (GST_KITHARA_ELEMENT (parent), event);
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_kithara_element_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  return kithara_outlet_activate (PRIV (self)->outlet, active,
      active && needs_exit (self));
}

/* Relinked while running to something that may block: become an exit.
 * (The link is made once this returns: look at @peer itself.) */
static GstPadLinkReturn
gst_kithara_element_src_link (GstPad * pad, GstObject * parent, GstPad * peer)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (parent);
  KitharaInlet *inlet;

  if (!gst_pad_is_active (pad))
    return GST_PAD_LINK_OK;
  inlet = ref_inlet_of (peer);
  if (inlet)
    kithara_inlet_unref (inlet);
  else
    kithara_outlet_ensure_exit (PRIV (self)->outlet);
  return GST_PAD_LINK_OK;
}

static GstPadLinkReturn
gst_kithara_element_sink_link (GstPad * pad, GstObject * parent, GstPad * peer)
{
  g_atomic_int_set (&PRIV (GST_KITHARA_ELEMENT (parent))->upstream_is_kithara,
      gst_kithara_element_owns_pad (peer));
  return GST_PAD_LINK_OK;
}

/**
 * gst_kithara_element_owns_pad:
 *
 * Returns: whether @pad belongs to a kithara element, i.e. whether it may
 * be answered with kithara's private flows (for a sink pad's link
 * function, about its peer).
 */
gboolean
gst_kithara_element_owns_pad (GstPad * pad)
{
  GstObject *parent = gst_pad_get_parent (pad);
  gboolean kithara = parent && GST_IS_KITHARA_ELEMENT (parent);

  if (parent)
    gst_object_unref (parent);
  return kithara;
}

static void
inlet_overrun (gpointer user_data)
{
  GstKitharaElement *self = user_data;

  GST_DEBUG_OBJECT (self, "inlet full, upstream thread waits");
  g_signal_emit (self, signals[SIGNAL_OVERRUN], 0);
}

/* Called with the object lock held. */
static void
apply_limits (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);
  guint i;

  kithara_inlet_set_limits (priv->inlet, priv->max_size_buffers,
      priv->max_size_time, priv->low_watermark);
  if (priv->outlet && !priv->always_exit)
    kithara_outlet_set_limits (priv->outlet,
        MIN (priv->max_size_buffers, G_MAXUINT / EXIT_CAPACITY_FACTOR) *
        EXIT_CAPACITY_FACTOR, 0);
  for (i = 0; i < priv->extra_inlets->len; i++)
    kithara_inlet_set_limits (g_ptr_array_index (priv->extra_inlets, i),
        priv->max_size_buffers, priv->max_size_time, priv->low_watermark);
}

/**
 * gst_kithara_element_new_inlet:
 *
 * Returns: (transfer full): an inlet feeding this element's node, for a
 * pad of the subclass's own (a request pad), kept at the element's
 * max-size-buffers/max-size-time/low-watermark.  Closed (flushing) until
 * the subclass opens it.  The element keeps a reference of its own until
 * gst_kithara_element_release_inlet().
 */
KitharaInlet *
gst_kithara_element_new_inlet (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);
  KitharaInlet *inlet = kithara_inlet_new (priv->node);

  kithara_inlet_set_overrun_func (inlet, inlet_overrun, self);
  GST_OBJECT_LOCK (self);
  g_ptr_array_add (priv->extra_inlets, kithara_inlet_ref (inlet));
  apply_limits (self);
  GST_OBJECT_UNLOCK (self);
  return inlet;
}

/**
 * gst_kithara_element_release_inlet:
 *
 * The element stops keeping @inlet at its limits and drops its reference;
 * whoever still holds the inlet (its pad, a producer's tick) keeps it.
 */
void
gst_kithara_element_release_inlet (GstKitharaElement * self,
    KitharaInlet * inlet)
{
  gboolean found;

  GST_OBJECT_LOCK (self);
  found = g_ptr_array_remove (PRIV (self)->extra_inlets, inlet);
  GST_OBJECT_UNLOCK (self);
  if (found)
    kithara_inlet_unref (inlet);
}

/* The class the node runs at: the explicit setting, else the followed one. */
static KitharaServiceClass
effective_class (GstKitharaElementPrivate * priv)
{
  gint setting = g_atomic_int_get (&priv->class_setting);

  return setting != KITHARA_SERVICE_CLASS_AUTO ? setting :
      g_atomic_int_get (&priv->followed_class);
}

/* Applies the element's class to its node and tells the chain upstream
 * (an event up the sink pad: a stock element there returns at once). */
static void
apply_class (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);
  KitharaServiceClass cls;

  g_mutex_lock (&priv->class_lock);
  cls = effective_class (priv);
  kithara_node_set_service_class (priv->node, cls);
  if (priv->sinkpad)
    gst_pad_push_event (priv->sinkpad, kithara_service_class_event_new (cls));
  g_mutex_unlock (&priv->class_lock);
}

/**
 * gst_kithara_element_set_followed_class:
 *
 * Sets the class this element follows while its service-class setting is
 * "auto" (as if an exit downstream had announced it), applies it to the
 * node at once and announces the element's class to the chain upstream of
 * its sink pad.  For exits, which decide it themselves.
 */
void
gst_kithara_element_set_followed_class (GstKitharaElement * self,
    KitharaServiceClass service_class)
{
  g_return_if_fail (service_class < KITHARA_N_SERVICE_CLASSES);
  g_atomic_int_set (&PRIV (self)->followed_class, service_class);
  apply_class (self);
}

/**
 * gst_kithara_element_get_service_class:
 *
 * Returns: the class the element's node runs at now.
 */
KitharaServiceClass
gst_kithara_element_get_service_class (GstKitharaElement * self)
{
  return effective_class (PRIV (self));
}

static void
default_follow_service_class (GstKitharaElement * self,
    KitharaServiceClass announced)
{
  gst_kithara_element_set_followed_class (self, announced);
}

/* READY to PAUSED, as a control: a fresh stream, then the node joins
 * the worker (its first tick sees the fresh state). */
static void
start_control (gpointer user_data)
{
  GstKitharaElement *self = user_data;
  GstKitharaElementPrivate *priv = PRIV (self);
  KitharaWorker *worker;

  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
  priv->negotiated = FALSE;
  gst_clear_caps (&priv->caps);
  gst_clear_caps (&priv->out_caps);
  GST_OBJECT_LOCK (self);
  worker = priv->worker ? kithara_worker_ref (priv->worker) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (worker == NULL)
    return;
  g_mutex_lock (&priv->registration_lock);
  if (priv->wants_worker && !priv->registered) {
    kithara_worker_add_node (worker, priv->node);
    priv->registered = TRUE;
  }
  g_mutex_unlock (&priv->registration_lock);
  kithara_worker_unref (worker);
}

/* PAUSED to READY, as a control: the node has left the worker and no
 * tick runs; forget the stream. */
static void
stop_control (gpointer user_data)
{
  GstKitharaElement *self = user_data;
  GstKitharaElementClass *klass = GST_KITHARA_ELEMENT_GET_CLASS (self);
  GstKitharaElementPrivate *priv = PRIV (self);

  if (klass->flush)
    klass->flush (self);
  priv->negotiated = FALSE;
  gst_clear_caps (&priv->caps);
  gst_clear_caps (&priv->out_caps);
}

/**
 * gst_kithara_element_control:
 * @func: called with the element, the node's tick lock held, no tick
 *   running
 *
 * Applies @func to the element's stream state, in order with the base
 * class's own start and stop: at once on a thread that may wait, after
 * the current tick on a worker (a state change from a bus sync handler
 * or a pad probe).  Holds a reference to the element meanwhile.
 */
void
gst_kithara_element_control (GstKitharaElement * self, KitharaControlFunc func)
{
  kithara_node_control (PRIV (self)->node, func, gst_object_ref (self),
      gst_object_unref);
}

static GstStateChangeReturn
gst_kithara_element_change_state (GstElement * element,
    GstStateChange transition)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (element);
  GstKitharaElementPrivate *priv = PRIV (self);
  GstStateChangeReturn ret;
  KitharaWorker *worker;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:{
      gchar *context;

      GST_OBJECT_LOCK (self);
      context = g_strdup (priv->context);
      GST_OBJECT_UNLOCK (self);
      worker = kithara_worker_get (context);
      g_free (context);
      GST_OBJECT_LOCK (self);
      priv->worker = worker;
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      kithara_inlet_set_active (priv->inlet, TRUE);
      if (priv->outlet)
        kithara_outlet_reset_counters (priv->outlet);
      g_mutex_lock (&priv->registration_lock);
      priv->wants_worker = TRUE;
      g_mutex_unlock (&priv->registration_lock);
      gst_kithara_element_control (self, start_control);
      /* An explicit class holds for the chain upstream too. */
      if (g_atomic_int_get (&priv->class_setting) !=
          KITHARA_SERVICE_CLASS_AUTO)
        apply_class (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      /* Before the state is committed: the exit keeps time from now. */
      if (priv->outlet && !priv->always_exit)
        kithara_outlet_set_clocked (priv->outlet, TRUE, TRUE);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (priv->outlet && !priv->always_exit)
        kithara_outlet_set_clocked (priv->outlet, FALSE, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Release a blocked upstream thread (it holds its stream lock, which
       * pad deactivation needs), then no tick may start any more (one
       * running on a worker finishes without us waiting for it there). */
      kithara_inlet_set_active (priv->inlet, FALSE);
      /* A start_control still to come adds nothing now. */
      g_mutex_lock (&priv->registration_lock);
      priv->wants_worker = FALSE;
      priv->registered = FALSE;
      g_mutex_unlock (&priv->registration_lock);
      GST_OBJECT_LOCK (self);
      worker = kithara_worker_ref (priv->worker);
      GST_OBJECT_UNLOCK (self);
      kithara_worker_remove_node (worker, priv->node);
      kithara_worker_unref (worker);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kithara_element_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_kithara_element_control (self, stop_control);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      GST_OBJECT_LOCK (self);
      worker = g_steal_pointer (&priv->worker);
      GST_OBJECT_UNLOCK (self);
      kithara_worker_unref (worker);
      break;
    default:
      break;
  }
  return ret;
}

/* The scheduler's report of a slow tick, as an element message. */
static void
post_slow_tick (KitharaNode * node, guint64 elapsed, guint64 threshold,
    gpointer user_data)
{
  GstElement *element = GST_ELEMENT (user_data);
  GstStructure *s = gst_structure_new ("kithara-slow-tick",
      "element", G_TYPE_STRING, GST_ELEMENT_NAME (element),
      "duration", G_TYPE_UINT64, elapsed,
      "threshold", G_TYPE_UINT64, threshold, NULL);

  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

/* A context configuration set on the pipeline (or on the element) sets
 * up the worker of the context it names. */
static void
gst_kithara_element_set_context (GstElement * element, GstContext * context)
{
  kithara_context_config_apply (context);
  GST_ELEMENT_CLASS (gst_kithara_element_parent_class)->set_context (element,
      context);
}

static GstStructure *
build_stats (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);
  KitharaNodeStats ns;
  KitharaInletLevel level;
  KitharaWorker *worker;
  GstStructure *s;

  kithara_node_get_stats (priv->node, &ns);
  kithara_inlet_get_level (priv->inlet, &level);

  s = gst_structure_new ("kithara-node-stats",
      "service-class", KITHARA_TYPE_SERVICE_CLASS,
      kithara_node_get_service_class (priv->node),
      "ticks", G_TYPE_UINT64, ns.ticks,
      "busy-ns", G_TYPE_UINT64, ns.busy_ns,
      "slow-ticks", G_TYPE_UINT64, ns.slow_ticks,
      "progress", G_TYPE_UINT64, ns.progress,
      "waiting", G_TYPE_UINT64, ns.waiting,
      "backpressured", G_TYPE_UINT64, ns.backpressured,
      "done", G_TYPE_UINT64, ns.done,
      "last-pass", G_TYPE_UINT64, ns.last_pass, NULL);
  if (priv->sinkpad)
    gst_structure_set (s,
        "inlet-buffers", G_TYPE_UINT, level.buffers,
        "inlet-time", G_TYPE_UINT64, level.time,
        "inlet-max-buffers-seen", G_TYPE_UINT, level.max_buffers_seen,
        "inlet-pushed", G_TYPE_UINT64, level.pushed,
        "inlet-blocked", G_TYPE_UINT64, level.blocked,
        "inlet-full", G_TYPE_UINT64, level.full, NULL);
  if (priv->outlet) {
    KitharaOutletLevel out;

    kithara_outlet_get_level (priv->outlet, &out);
    gst_structure_set (s,
        "exit", G_TYPE_BOOLEAN, out.exit,
        "exit-buffers", G_TYPE_UINT, out.buffers,
        "exit-time", G_TYPE_UINT64, out.time,
        "exit-pushed", G_TYPE_UINT64, out.pushed,
        "underruns", G_TYPE_UINT64, out.underruns, NULL);
  }
  if (GST_KITHARA_ELEMENT_GET_CLASS (self)->extend_stats)
    GST_KITHARA_ELEMENT_GET_CLASS (self)->extend_stats (self, s);

  /* The worker may be released meanwhile (READY to NULL): hold it. */
  GST_OBJECT_LOCK (self);
  worker = priv->worker ? kithara_worker_ref (priv->worker) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (worker) {
    GstStructure *ws = kithara_worker_get_stats (worker);

    gst_structure_set (s, "worker", GST_TYPE_STRUCTURE, ws, NULL);
    gst_structure_free (ws);
    kithara_worker_unref (worker);
  }
  return s;
}

/**
 * gst_kithara_element_refuse_while_running:
 * @element: the element whose property is being set
 * @pspec: a property flagged %GST_PARAM_MUTABLE_READY
 * @value: the value asked for
 *
 * For set_property: above READY (or on the way there) such a value would
 * not apply to the stream under way, so it is refused with a warning and
 * the caller keeps the old one (as filesrc does for its location); a
 * read then says what is in effect.  Takes the object lock.
 *
 * Returns: %TRUE when the caller must not apply @value
 */
gboolean
gst_kithara_element_refuse_while_running (GstElement * element,
    GParamSpec * pspec, const GValue * value)
{
  gboolean running;
  gchar *wanted;

  GST_OBJECT_LOCK (element);
  running = GST_STATE (element) > GST_STATE_READY ||
      GST_STATE_NEXT (element) > GST_STATE_READY;
  GST_OBJECT_UNLOCK (element);
  if (!running)
    return FALSE;
  wanted = g_strdup_value_contents (value);
  g_warning ("%s: \"%s\" can only be changed in the NULL or READY state: "
      "%s ignored", GST_ELEMENT_NAME (element), pspec->name, wanted);
  g_free (wanted);
  return TRUE;
}

static void
gst_kithara_element_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (object);
  GstKitharaElementPrivate *priv = PRIV (self);

  switch (prop_id) {
    case PROP_CONTEXT:
      if (gst_kithara_element_refuse_while_running (GST_ELEMENT (self),
              pspec, value))
        break;
      GST_OBJECT_LOCK (self);
      g_free (priv->context);
      priv->context = g_value_dup_string (value);
      if (priv->context == NULL)
        priv->context = g_strdup (DEFAULT_CONTEXT);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SERVICE_CLASS:
      g_atomic_int_set (&priv->class_setting, g_value_get_enum (value));
      apply_class (self);
      break;
    case PROP_MAX_SIZE_BUFFERS:
      GST_OBJECT_LOCK (self);
      priv->max_size_buffers = g_value_get_uint (value);
      apply_limits (self);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_SIZE_TIME:
      GST_OBJECT_LOCK (self);
      priv->max_size_time = g_value_get_uint64 (value);
      apply_limits (self);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LOW_WATERMARK:
      GST_OBJECT_LOCK (self);
      priv->low_watermark = g_value_get_uint (value);
      apply_limits (self);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SLOW_TICK_THRESHOLD:
      kithara_node_set_slow_tick_threshold (priv->node,
          g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kithara_element_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (object);
  GstKitharaElementPrivate *priv = PRIV (self);

  switch (prop_id) {
    case PROP_CONTEXT:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, priv->context);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SERVICE_CLASS:
      g_value_set_enum (value, g_atomic_int_get (&priv->class_setting));
      break;
    case PROP_MAX_SIZE_BUFFERS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, priv->max_size_buffers);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_SIZE_TIME:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, priv->max_size_time);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LOW_WATERMARK:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, priv->low_watermark);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SLOW_TICK_THRESHOLD:
      g_value_set_uint64 (value,
          kithara_node_get_slow_tick_threshold (priv->node));
      break;
    case PROP_STATS:
      g_value_take_boxed (value, build_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
add_sink_pad (GstKitharaElement * self, GstPadTemplate * templ,
    gboolean proxy_caps)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  priv->sinkpad = gst_pad_new_from_template (templ, "sink");
  gst_pad_set_chain_function (priv->sinkpad, gst_kithara_element_chain);
  gst_pad_set_event_full_function (priv->sinkpad,
      gst_kithara_element_sink_event);
  gst_pad_set_link_function (priv->sinkpad, gst_kithara_element_sink_link);
  gst_pad_set_query_function (priv->sinkpad, gst_kithara_element_sink_query);
  if (proxy_caps) {
    GST_PAD_SET_PROXY_CAPS (priv->sinkpad);
    GST_PAD_SET_PROXY_ALLOCATION (priv->sinkpad);
  }
  gst_element_add_pad (GST_ELEMENT (self), priv->sinkpad);
}

static void
add_src_pad (GstKitharaElement * self, GstPadTemplate * templ,
    gboolean proxy_caps)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  priv->srcpad = gst_pad_new_from_template (templ, "src");
  gst_pad_set_query_function (priv->srcpad, gst_kithara_element_src_query);
  gst_pad_set_event_function (priv->srcpad, gst_kithara_element_src_event);
  gst_pad_set_activatemode_function (priv->srcpad,
      gst_kithara_element_src_activate_mode);
  gst_pad_set_link_function (priv->srcpad, gst_kithara_element_src_link);
  if (proxy_caps)
    GST_PAD_SET_PROXY_CAPS (priv->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), priv->srcpad);
  priv->outlet = kithara_outlet_new (priv->srcpad, priv->node);
  kithara_outlet_set_guard (priv->outlet, tick_is_current, self);
  GST_OBJECT_LOCK (self);
  apply_limits (self);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kithara_element_constructed (GObject * object)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (object);
  GstElementClass *eclass = GST_ELEMENT_GET_CLASS (self);
  gboolean proxy_caps = GST_KITHARA_ELEMENT_GET_CLASS (self)->transform_caps
      == NULL;
  GstPadTemplate *templ;

  G_OBJECT_CLASS (gst_kithara_element_parent_class)->constructed (object);

  /* Pads come from the subclass's templates, known only once the
   * instance has its final class.  "sink" and "src" are both optional: an
   * exit has no src pad, a mixer makes its own request sink pads. */
  templ = gst_element_class_get_pad_template (eclass, "sink");
  if (templ)
    add_sink_pad (self, templ, proxy_caps);
  templ = gst_element_class_get_pad_template (eclass, "src");
  if (templ)
    add_src_pad (self, templ, proxy_caps);
}

static void
gst_kithara_element_init (GstKitharaElement * self)
{
  GstKitharaElementPrivate *priv = PRIV (self);

  priv->context = g_strdup (DEFAULT_CONTEXT);
  priv->max_size_buffers = DEFAULT_MAX_SIZE_BUFFERS;
  priv->max_size_time = DEFAULT_MAX_SIZE_TIME;
  priv->low_watermark = DEFAULT_LOW_WATERMARK;
  priv->class_setting = DEFAULT_SERVICE_CLASS;
  priv->followed_class = DEFAULT_FOLLOWED_CLASS;
  g_mutex_init (&priv->class_lock);
  g_mutex_init (&priv->registration_lock);
  priv->extra_inlets = g_ptr_array_new ();
  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);

  priv->node = kithara_node_new (G_OBJECT_TYPE_NAME (self), G_OBJECT (self),
      node_tick, self);
  kithara_node_set_service_class (priv->node, DEFAULT_FOLLOWED_CLASS);
  kithara_node_set_slow_tick_threshold (priv->node,
      DEFAULT_SLOW_TICK_THRESHOLD);
  kithara_node_set_slow_tick_func (priv->node, post_slow_tick, self);
  priv->inlet = kithara_inlet_new (priv->node);
  kithara_inlet_set_overrun_func (priv->inlet, inlet_overrun, self);
  apply_limits (self);
}

static void
gst_kithara_element_finalize (GObject * object)
{
  GstKitharaElement *self = GST_KITHARA_ELEMENT (object);
  GstKitharaElementPrivate *priv = PRIV (self);

  kithara_inlet_unref (priv->inlet);
  if (priv->outlet)
    kithara_outlet_free (priv->outlet);
  g_ptr_array_set_free_func (priv->extra_inlets,
      (GDestroyNotify) kithara_inlet_unref);
  g_ptr_array_unref (priv->extra_inlets);
  kithara_node_unref (priv->node);
  gst_clear_caps (&priv->caps);
  gst_clear_caps (&priv->out_caps);
  g_free (priv->context);
  g_mutex_clear (&priv->class_lock);
  g_mutex_clear (&priv->registration_lock);
  G_OBJECT_CLASS (gst_kithara_element_parent_class)->finalize (object);
}

static void
gst_kithara_element_class_init (GstKitharaElementClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kithara_element_debug, "kitharaelement", 0,
      "Kithara element base class");

  gobject_class->set_property = gst_kithara_element_set_property;
  gobject_class->get_property = gst_kithara_element_get_property;
  gobject_class->constructed = gst_kithara_element_constructed;
  gobject_class->finalize = gst_kithara_element_finalize;
  element_class->set_context =
      GST_DEBUG_FUNCPTR (gst_kithara_element_set_context);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kithara_element_change_state);
  klass->tick = default_tick;
  klass->follow_service_class = default_follow_service_class;
  klass->get_inlet = default_get_inlet;

  g_object_class_install_property (gobject_class, PROP_CONTEXT,
      g_param_spec_string ("context", "Context",
          "Name of the worker context: elements naming the same context "
          "share one worker thread across the process (applies from NULL)",
          DEFAULT_CONTEXT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SERVICE_CLASS,
      g_param_spec_enum ("service-class", "Service class",
          "How urgently the worker serves this node: auto follows the class "
          "the exit downstream announces (warm until one does), the others "
          "hold for this node and the chain upstream of it; settable at any "
          "time from any thread, effective on the worker's next pass",
          KITHARA_TYPE_SERVICE_CLASS, DEFAULT_SERVICE_CLASS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BUFFERS,
      g_param_spec_uint ("max-size-buffers", "Max. size (buffers)",
          "High watermark of the inlet in buffers", 1, G_MAXUINT,
          DEFAULT_MAX_SIZE_BUFFERS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 ("max-size-time", "Max. size (ns)",
          "High watermark of the inlet in nanoseconds of audio (0 = no "
          "time limit)", 0, G_MAXUINT64, DEFAULT_MAX_SIZE_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LOW_WATERMARK,
      g_param_spec_uint ("low-watermark", "Low watermark",
          "Fill level, in percent of the high watermark, at which a "
          "backpressured producer is woken", 0, 100, DEFAULT_LOW_WATERMARK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SLOW_TICK_THRESHOLD,
      g_param_spec_uint64 ("slow-tick-threshold", "Slow tick threshold",
          "A tick longer than this (ns) is reported in the debug log and as "
          "a \"kithara-slow-tick\" element message (0 = never)", 0,
          G_MAXUINT64, DEFAULT_SLOW_TICK_THRESHOLD, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters of this node, its inlet and its worker "
          "(\"kithara-node-stats\" with a nested \"worker\" structure)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstKitharaElement::overrun:
   *
   * Emitted on the upstream streaming thread when it finds the inlet full
   * and is about to wait for the node to drain it (as queue's "overrun").
   * Never emitted on a worker, which does not wait.
   */
  signals[SIGNAL_OVERRUN] = g_signal_new ("overrun",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  gst_type_mark_as_plugin_api (GST_TYPE_KITHARA_ELEMENT, 0);
  gst_type_mark_as_plugin_api (KITHARA_TYPE_SERVICE_CLASS, 0);
}

GstPad *
gst_kithara_element_get_sink_pad (GstKitharaElement * self)
{
  return PRIV (self)->sinkpad;
}

GstPad *
gst_kithara_element_get_src_pad (GstKitharaElement * self)
{
  return PRIV (self)->srcpad;
}

KitharaNode *
gst_kithara_element_get_node (GstKitharaElement * self)
{
  return PRIV (self)->node;
}

const GstSegment *
gst_kithara_element_get_segment (GstKitharaElement * self)
{
  return &PRIV (self)->segment;
}
