/* Kithara: kitharasink, the exit for applications.
 *
 * The application reads interleaved PCM from a ring that the worker fills:
 * gst_kithara_sink_read() takes no lock and allocates nothing, so it can be
 * called from a real-time audio callback.
 */
#ifndef __GST_KITHARA_SINK_H__
#define __GST_KITHARA_SINK_H__

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include "gstkitharaelement.h"
#include "kitharaexport.h"

G_BEGIN_DECLS

#define GST_TYPE_KITHARA_SINK (gst_kithara_sink_get_type ())
KITHARA_API
G_DECLARE_FINAL_TYPE (GstKitharaSink, gst_kithara_sink, GST, KITHARA_SINK,
    GstKitharaElement)

KITHARA_API
gsize gst_kithara_sink_read (GstKitharaSink * sink, gpointer data,
    gsize frames);

KITHARA_API
gboolean gst_kithara_sink_get_audio_info (GstKitharaSink * sink,
    GstAudioInfo * info);

KITHARA_API
guint64 gst_kithara_sink_get_underruns (GstKitharaSink * sink);

G_END_DECLS

#endif /* __GST_KITHARA_SINK_H__ */
