/* Kithara: the private decoding chain of kitharadecode, one per track. */
#ifndef __KITHARA_DECODE_CHAIN_H__
#define __KITHARA_DECODE_CHAIN_H__

#include "gstkitharaelement.h"
#include "kitharatickpool.h"

G_BEGIN_DECLS

typedef struct _KitharaDecodeChain KitharaDecodeChain;

/* A flush came out of the chain (transfer full): the owner passes it on
 * or drops it. */
typedef void (*KitharaDecodeChainFlushFunc) (KitharaDecodeChain * chain,
    GstEvent * event, gpointer user_data);

/* Touched by the owner's tick, or by a thread holding its tick lock. */
struct _KitharaDecodeChain
{
  GstKitharaElement *owner;     /* not owned: the owner owns the chain */
  gchar *uri;                   /* NULL: fed through the owner's sink pad */

  /* [feed_pad | source] ! parsebin ! [decoder] ! [audioconvert] !
   * capture_pad.  The bin's parent is the owner; its messages reach the
   * bus through the owner. */
  GstElement *bin;
  GstElement *source;
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

  gboolean pull_mode;
  gboolean ready;               /* the chain's elements are active */
  gboolean linked_once;         /* an audio stream was found */
  gboolean input_done;          /* EOS fed into the chain */
  gboolean failed;              /* an error was posted */
  gboolean internal_flush;      /* a flush of the input, not passed on */
  guint audio_pads_seen;

  GQueue out;                   /* decoded buffers and events, in order */
  GstClockTime out_time;        /* the duration of the buffers in out */

  KitharaDecodeChainFlushFunc flush_func;
  gpointer flush_data;
};

KitharaDecodeChain *kithara_decode_chain_new (GstKitharaElement * owner,
    const gchar * uri);
void kithara_decode_chain_free (KitharaDecodeChain * chain);
void kithara_decode_chain_set_flush_func (KitharaDecodeChain * chain,
    KitharaDecodeChainFlushFunc func, gpointer user_data);
void kithara_decode_chain_start (KitharaDecodeChain * chain,
    gboolean pull_mode);
void kithara_decode_chain_reset (KitharaDecodeChain * chain);
GstFlowReturn kithara_decode_chain_step (KitharaDecodeChain * chain,
    gboolean * progress);
GstMiniObject *kithara_decode_chain_pop (KitharaDecodeChain * chain);
void kithara_decode_chain_clear_out (KitharaDecodeChain * chain,
    gboolean keep_sticky);
void kithara_decode_chain_flush_input (KitharaDecodeChain * chain);
gboolean kithara_decode_chain_send_event (KitharaDecodeChain * chain,
    GstEvent * event);
gboolean kithara_decode_chain_query (KitharaDecodeChain * chain,
    GstQuery * query);

G_END_DECLS

#endif /* __KITHARA_DECODE_CHAIN_H__ */
