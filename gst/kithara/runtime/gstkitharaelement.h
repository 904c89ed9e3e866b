/* Kithara: base class of the elements whose processing runs as a node on
 * a shared worker. */
#ifndef __GST_KITHARA_ELEMENT_H__
#define __GST_KITHARA_ELEMENT_H__

#include <gst/gst.h>
#include "kitharatypes.h"
#include "kitharanode.h"
#include "kitharainlet.h"
#include "kitharaoutlet.h"
#include "kitharaworker.h"
#include "kitharaserviceclass.h"
#include "kitharastream.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

#define GST_TYPE_KITHARA_ELEMENT (gst_kithara_element_get_type ())
KITHARA_API
G_DECLARE_DERIVABLE_TYPE (GstKitharaElement, gst_kithara_element, GST,
    KITHARA_ELEMENT, GstElement)

/**
 * GstKitharaElementClass:
 * @set_caps: new input caps, in stream order, on the worker; configure
 *   processing (draining what the old caps left, if anything) and return
 *   %FALSE if they cannot be handled.
 * @output_caps: the caps to push downstream for the given input caps
 *   (transfer full); the default is the input caps.
 * @handle_buffer: process one buffer (transfer full) on the worker and
 *   push the result with gst_kithara_element_push(); return that flow.
 * @handle_event: a serialized event other than caps/EOS in stream order
 *   on the worker; the default pushes it downstream.
 * @flush: forget stream state (filter memories); called on flush-stop and
 *   when the element stops, never concurrently with a tick.
 * @tick: replaces the default tick (pop one item from the inlet and
 *   handle it) for nodes that produce on their own.
 * @drain: push out what is held back (e.g. a filter tail) before EOS;
 *   on the worker.
 * @transform_caps: for elements whose output caps differ from their
 *   input caps: the caps on the other side of the element for @caps seen
 *   on the pad of @direction.  Without it the element proxies caps.
 * @get_latency: the element's own processing delay, added to the
 *   minimum and maximum of latency queries.
 * @src_event: an upstream event on the src pad (any thread); the default
 *   forwards it upstream.
 * @src_query: a query on the src pad (any thread); return %TRUE if
 *   answered, %FALSE to let the base class answer it.
 * @follow_service_class: an exit downstream announced the class of this
 *   chain (any thread); the default follows it when the element's
 *   service-class is "auto" and passes the element's class on upstream.
 * @extend_stats: add the subclass's own counters to the "stats" structure.
 * @get_inlet: the inlet behind one of the element's sink pads (transfer
 *   full), so that a kithara producer upstream can see it is full before
 *   doing any work.
 *
 * Subclasses provide "sink" and/or "src" pad templates; the base class
 * makes those pads.  An element without a "sink" template (a mixer) makes
 * its own sink pads and inlets (gst_kithara_element_new_inlet()).
 */
struct _GstKitharaElementClass
{
  GstElementClass parent_class;

  gboolean (*set_caps) (GstKitharaElement * self, GstCaps * caps);
  GstCaps *(*output_caps) (GstKitharaElement * self, GstCaps * caps);
  GstFlowReturn (*handle_buffer) (GstKitharaElement * self, GstBuffer * buf);
  gboolean (*handle_event) (GstKitharaElement * self, GstEvent * event);
  void (*flush) (GstKitharaElement * self);
  KitharaTickResult (*tick) (GstKitharaElement * self);
  GstFlowReturn (*drain) (GstKitharaElement * self);
  GstCaps *(*transform_caps) (GstKitharaElement * self,
      GstPadDirection direction, GstCaps * caps);
  GstClockTime (*get_latency) (GstKitharaElement * self);
  gboolean (*src_event) (GstKitharaElement * self, GstEvent * event);
  gboolean (*src_query) (GstKitharaElement * self, GstQuery * query);
  void (*follow_service_class) (GstKitharaElement * self,
      KitharaServiceClass service_class);
  void (*extend_stats) (GstKitharaElement * self, GstStructure * stats);
  KitharaInlet *(*get_inlet) (GstKitharaElement * self, GstPad * sinkpad);

  gpointer _gst_reserved[GST_PADDING];
};

KITHARA_API
GstPad *gst_kithara_element_get_sink_pad (GstKitharaElement * self);

KITHARA_API
GstPad *gst_kithara_element_get_src_pad (GstKitharaElement * self);

KITHARA_API
KitharaNode *gst_kithara_element_get_node (GstKitharaElement * self);

KITHARA_API
const GstSegment *gst_kithara_element_get_segment (GstKitharaElement * self);

KITHARA_API
GstFlowReturn gst_kithara_element_push (GstKitharaElement * self,
    GstBuffer * buf);

KITHARA_API
gboolean gst_kithara_element_push_event (GstKitharaElement * self,
    GstEvent * event);

KITHARA_API
void gst_kithara_element_push_query (GstKitharaElement * self,
    GstQuery * query);

KITHARA_API
gboolean gst_kithara_element_downstream_full (GstKitharaElement * self);

KITHARA_API
GstMiniObject *gst_kithara_element_pop (GstKitharaElement * self);

KITHARA_API
KitharaTickResult gst_kithara_element_close (GstKitharaElement * self,
    GstFlowReturn reason);

KITHARA_API
KitharaTickResult gst_kithara_element_tick_result (GstKitharaElement * self,
    GstFlowReturn ret);

KITHARA_API
gboolean gst_kithara_element_query_downstream (GstKitharaElement * self,
    GstQuery * query);

KITHARA_API
void gst_kithara_element_control (GstKitharaElement * self,
    KitharaControlFunc func);

KITHARA_API
KitharaInlet *gst_kithara_element_new_inlet (GstKitharaElement * self);

KITHARA_API
gboolean gst_kithara_element_owns_pad (GstPad * pad);

KITHARA_API
void gst_kithara_element_release_inlet (GstKitharaElement * self,
    KitharaInlet * inlet);

KITHARA_API
void gst_kithara_element_set_always_exit (GstKitharaElement * self);

KITHARA_API
KitharaOutlet *gst_kithara_element_get_outlet (GstKitharaElement * self);

KITHARA_API
void gst_kithara_element_set_followed_class (GstKitharaElement * self,
    KitharaServiceClass service_class);

KITHARA_API
KitharaServiceClass gst_kithara_element_get_service_class (GstKitharaElement *
    self);

KITHARA_API
gboolean gst_kithara_element_refuse_while_running (GstElement * element,
    GParamSpec * pspec, const GValue * value);

G_END_DECLS

#endif /* __GST_KITHARA_ELEMENT_H__ */
