/* Kithara: plugin "kitharasamplerate", the libsamplerate resampler. */
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
    "Kithara resampler on libsamplerate, run on the shared kithara worker",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
