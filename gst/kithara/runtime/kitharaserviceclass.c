/* Kithara runtime: service classes that follow the stream. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharaserviceclass.h"

#define EVENT_NAME "kithara-service-class"

/**
 * kithara_service_class_event_new:
 * @service_class: audible, warm or idle
 *
 * Returns: (transfer full): a custom upstream event announcing that the
 * chain it travels up feeds an output of @service_class.
 */
GstEvent *
kithara_service_class_event_new (KitharaServiceClass service_class)
{
  g_return_val_if_fail (service_class < KITHARA_N_SERVICE_CLASSES, NULL);

  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new (EVENT_NAME, "service-class",
          KITHARA_TYPE_SERVICE_CLASS, service_class, NULL));
}

/**
 * kithara_service_class_event_parse:
 *
 * Returns: whether @event is a service-class announcement; if so
 * @service_class is set.
 */
gboolean
kithara_service_class_event_parse (GstEvent * event,
    KitharaServiceClass * service_class)
{
  const GstStructure *s;
  gint value;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return FALSE;
  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, EVENT_NAME) ||
      !gst_structure_get_enum (s, "service-class", KITHARA_TYPE_SERVICE_CLASS,
          &value) || value < 0 || value >= KITHARA_N_SERVICE_CLASSES)
    return FALSE;
  *service_class = value;
  return TRUE;
}
