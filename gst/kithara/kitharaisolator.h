/* Kithara: three-band DJ isolator (kill EQ) on Linkwitz-Riley crossovers.
 * No GStreamer types: this is plain DSP. */
#ifndef __KITHARA_ISOLATOR_H__
#define __KITHARA_ISOLATOR_H__

#include <glib.h>

G_BEGIN_DECLS

#define KITHARA_ISOLATOR_BANDS 3
/* A band gain at or below this is a kill: the band is multiplied by 0. */
#define KITHARA_ISOLATOR_KILL_DB (-24.0)

typedef struct _KitharaIsolator KitharaIsolator;

KitharaIsolator *kithara_isolator_new (guint channels, double rate);
void kithara_isolator_free (KitharaIsolator * iso);
void kithara_isolator_set_band (KitharaIsolator * iso, guint band,
    double freq, double gain_db);
void kithara_isolator_reset (KitharaIsolator * iso);
gboolean kithara_isolator_is_bypassed (KitharaIsolator * iso);
void kithara_isolator_process_f32 (KitharaIsolator * iso, float *data,
    guint frames);
void kithara_isolator_process_f64 (KitharaIsolator * iso, double *data,
    guint frames);

G_END_DECLS

#endif /* __KITHARA_ISOLATOR_H__ */
