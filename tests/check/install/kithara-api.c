/* An application of the installed runtime library: built by the install
 * test against the installed headers (every one of them is force-included
 * on the command line) and library, found through pkg-config only. */
#include <gst/kithara/gstkitharaelement.h>
#include <gst/kithara/kitharaworker.h>

int
main (int argc, char **argv)
{
  KitharaWorker *worker;
  GEnumClass *service_class;
  GEnumValue *audible;
  gboolean ok;

  gst_init (&argc, &argv);
  worker = kithara_worker_get ("install-check");
  ok = g_str_equal (kithara_worker_get_context (worker), "install-check")
      && G_TYPE_IS_ABSTRACT (GST_TYPE_KITHARA_ELEMENT);
  kithara_worker_unref (worker);

  /* The generated enum GType: property strings such as
   * service-class=audible are its nicks. */
  service_class = g_type_class_ref (KITHARA_TYPE_SERVICE_CLASS);
  audible = g_enum_get_value_by_nick (service_class, "audible");
  ok = ok && audible && audible->value == KITHARA_SERVICE_CLASS_AUDIBLE;
  g_type_class_unref (service_class);
  return ok ? 0 : 1;
}
