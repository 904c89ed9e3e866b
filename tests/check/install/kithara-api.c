/* An application of the installed runtime library: built by the install
 * test against the installed headers (every one of them is force-included
 * on the command line) and library, found through pkg-config only. */
#include <gst/kithara/gstkitharaelement.h>
#include <gst/kithara/kitharaworker.h>

int
main (int argc, char **argv)
{
  KitharaWorker *worker;
  gboolean ok;

  gst_init (&argc, &argv);
  worker = kithara_worker_get ("install-check");
  ok = g_str_equal (kithara_worker_get_context (worker), "install-check")
      && G_TYPE_IS_ABSTRACT (GST_TYPE_KITHARA_ELEMENT);
  kithara_worker_unref (worker);
  return ok ? 0 : 1;
}
