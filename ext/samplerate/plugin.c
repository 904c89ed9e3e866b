/* Kithara: plugin "kitharasamplerate", the resampler (built with
 * libsamplerate; GStreamer's own resampler is its second engine). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkithararesample.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (kithararesample, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kitharasamplerate,
    "Kithara resampler on libsamplerate or GStreamer's resampler, run on "
    "the shared kithara worker",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
