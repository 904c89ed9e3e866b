/* Kithara runtime: counting underruns at an exit, one report per burst. */
#ifndef __KITHARA_UNDERRUN_H__
#define __KITHARA_UNDERRUN_H__

#include <gst/gst.h>
#include "kitharaexport.h"

G_BEGIN_DECLS

/**
 * KitharaUnderrunMeter:
 *
 * Counts the underruns of one exit (data missing or late where the
 * consumer needed it).  Lock-free: a real-time reader may count.  The
 * first underrun of a burst asks for a report; the burst ends when data
 * arrives on time again.
 */
typedef struct
{
  guint64 count;                /* atomic */
  gint in_burst;                /* atomic */
} KitharaUnderrunMeter;

KITHARA_API
void kithara_underrun_meter_reset (KitharaUnderrunMeter * meter);

KITHARA_API
gboolean kithara_underrun_meter_count (KitharaUnderrunMeter * meter);

KITHARA_API
void kithara_underrun_meter_end_burst (KitharaUnderrunMeter * meter);

KITHARA_API
guint64 kithara_underrun_meter_get (KitharaUnderrunMeter * meter);

KITHARA_API
void kithara_underrun_post (GstElement * element, guint64 underruns,
    const gchar * first_field, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS

#endif /* __KITHARA_UNDERRUN_H__ */
