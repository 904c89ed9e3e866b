/* Kithara runtime: counting underruns at an exit, one report per burst.
 *
 * Every exit (an element's streaming task, kitharamixer's output,
 * kitharasink's ring) counts the same way and reports with the same
 * element message, "kithara-underrun", at the start of each burst.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kitharaunderrun.h"

void
kithara_underrun_meter_reset (KitharaUnderrunMeter * meter)
{
  __atomic_store_n (&meter->count, 0, __ATOMIC_RELAXED);
  g_atomic_int_set (&meter->in_burst, 0);
}

/**
 * kithara_underrun_meter_count:
 *
 * Counts one underrun.  Takes no lock: callable from a real-time thread.
 *
 * Returns: %TRUE if it starts a burst, which the caller reports (with
 * kithara_underrun_post(), from a thread that may post messages).
 */
gboolean
kithara_underrun_meter_count (KitharaUnderrunMeter * meter)
{
  __atomic_add_fetch (&meter->count, 1, __ATOMIC_RELAXED);
  return !g_atomic_int_exchange (&meter->in_burst, 1);
}

/* Data came on time: the next underrun starts a new burst. */
void
kithara_underrun_meter_end_burst (KitharaUnderrunMeter * meter)
{
  if (g_atomic_int_get (&meter->in_burst))
    g_atomic_int_set (&meter->in_burst, 0);
}

guint64
kithara_underrun_meter_get (KitharaUnderrunMeter * meter)
{
  return __atomic_load_n (&meter->count, __ATOMIC_RELAXED);
}

/**
 * kithara_underrun_post:
 * @element: the exit
 * @underruns: the total so far
 * @first_field: more fields of the message, as for gst_structure_new()
 *
 * Posts the "kithara-underrun" element message on @element: `element`
 * (its name), `underruns`, then the given fields.
 */
void
kithara_underrun_post (GstElement * element, guint64 underruns,
    const gchar * first_field, ...)
{
  GstStructure *s = gst_structure_new ("kithara-underrun",
      "element", G_TYPE_STRING, GST_ELEMENT_NAME (element),
      "underruns", G_TYPE_UINT64, underruns, NULL);
  va_list args;

  if (first_field) {
    va_start (args, first_field);
    gst_structure_set_valist (s, first_field, args);
    va_end (args);
  }
  GST_INFO_OBJECT (element, "underrun: %" GST_PTR_FORMAT, s);
  gst_element_post_message (element, gst_message_new_element (GST_OBJECT
          (element), s));
}
