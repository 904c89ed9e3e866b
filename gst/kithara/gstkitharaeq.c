/* placeholder: replaced by the parametric EQ */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <gst/audio/audio.h>
#include "gstkitharaelement.h"
#include "gstkitharaelements.h"

#define GST_TYPE_KITHARA_EQ (gst_kithara_eq_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaEq, gst_kithara_eq, GST, KITHARA_EQ, GstKitharaElement)
struct _GstKitharaEq { GstKitharaElement parent; };
G_DEFINE_TYPE (GstKitharaEq, gst_kithara_eq, GST_TYPE_KITHARA_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (kitharaeq, "kitharaeq", GST_RANK_NONE, GST_TYPE_KITHARA_EQ);

#define CAPS GST_AUDIO_CAPS_MAKE ("{ F32LE, F64LE }") ", layout = interleaved"
static GstStaticPadTemplate sink_t = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));
static GstStaticPadTemplate src_t = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS));

static gboolean set_caps (GstKitharaElement * e, GstCaps * caps) { GstAudioInfo i; return gst_audio_info_from_caps (&i, caps); }
static GstFlowReturn handle_buffer (GstKitharaElement * e, GstBuffer * b) { return gst_kithara_element_push (e, b); }
static void gst_kithara_eq_init (GstKitharaEq * self) { }
static void gst_kithara_eq_class_init (GstKitharaEqClass * klass)
{
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);
  GstKitharaElementClass *kc = GST_KITHARA_ELEMENT_CLASS (klass);
  gst_element_class_add_static_pad_template (ec, &sink_t);
  gst_element_class_add_static_pad_template (ec, &src_t);
  gst_element_class_set_static_metadata (ec, "Kithara EQ", "Filter/Effect/Audio", "EQ", "Kithara");
  kc->set_caps = set_caps; kc->handle_buffer = handle_buffer;
}
