/* Kithara: one band of kitharaeq, a child object ("band0", "band1", ...). */
#ifndef __GST_KITHARA_EQ_BAND_H__
#define __GST_KITHARA_EQ_BAND_H__

#include <gst/gst.h>
#include "kitharabiquad.h"

G_BEGIN_DECLS

/**
 * GstKitharaEqBandType:
 * @GST_KITHARA_EQ_BAND_LOW_SHELF: boost or cut below the frequency
 * @GST_KITHARA_EQ_BAND_PEAKING: boost or cut around the frequency
 * @GST_KITHARA_EQ_BAND_HIGH_SHELF: boost or cut above the frequency
 * @GST_KITHARA_EQ_BAND_LOW_PASS: remove what is above the frequency
 * @GST_KITHARA_EQ_BAND_HIGH_PASS: remove what is below the frequency
 */
typedef enum
{
  GST_KITHARA_EQ_BAND_LOW_SHELF = KITHARA_BIQUAD_LOW_SHELF,
  GST_KITHARA_EQ_BAND_PEAKING = KITHARA_BIQUAD_PEAKING,
  GST_KITHARA_EQ_BAND_HIGH_SHELF = KITHARA_BIQUAD_HIGH_SHELF,
  GST_KITHARA_EQ_BAND_LOW_PASS = KITHARA_BIQUAD_LOW_PASS,
  GST_KITHARA_EQ_BAND_HIGH_PASS = KITHARA_BIQUAD_HIGH_PASS,
} GstKitharaEqBandType;

#define GST_TYPE_KITHARA_EQ_BAND_TYPE (gst_kithara_eq_band_type_get_type ())
GType gst_kithara_eq_band_type_get_type (void);

#define GST_TYPE_KITHARA_EQ_BAND (gst_kithara_eq_band_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaEqBand, gst_kithara_eq_band, GST,
    KITHARA_EQ_BAND, GstObject)

GstKitharaEqBand *gst_kithara_eq_band_new (guint index,
    GstKitharaEqBandType type, gdouble freq, gdouble q);
void gst_kithara_eq_band_get_params (GstKitharaEqBand * band,
    KitharaBiquadParams * params);

G_END_DECLS

#endif /* __GST_KITHARA_EQ_BAND_H__ */
