/* Kithara: plugin "kithara", the elements that need only GStreamer. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkitharaelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (kitharaeq, plugin);
  ret |= GST_ELEMENT_REGISTER (kitharadecode, plugin);
  ret |= GST_ELEMENT_REGISTER (kitharasink, plugin);
  ret |= GST_ELEMENT_REGISTER (kitharamixer, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kithara,
    "Audio elements run as prioritized nodes on one shared worker thread",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
