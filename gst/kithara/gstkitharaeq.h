/* Kithara: kitharaeq, parametric EQ and DJ isolator on the shared worker. */
#ifndef __GST_KITHARA_EQ_H__
#define __GST_KITHARA_EQ_H__

#include <gst/gst.h>
#include "gstkitharaelement.h"

G_BEGIN_DECLS

#define GST_KITHARA_EQ_MAX_BANDS 64

/**
 * GstKitharaEqMode:
 * @GST_KITHARA_EQ_MODE_PARAMETRIC: num-bands RBJ biquads in series
 * @GST_KITHARA_EQ_MODE_ISOLATOR: 3-band DJ kill EQ on Linkwitz-Riley
 *   crossovers
 */
typedef enum
{
  GST_KITHARA_EQ_MODE_PARAMETRIC,
  GST_KITHARA_EQ_MODE_ISOLATOR,
} GstKitharaEqMode;

#define GST_TYPE_KITHARA_EQ_MODE (gst_kithara_eq_mode_get_type ())
GType gst_kithara_eq_mode_get_type (void);

#define GST_TYPE_KITHARA_EQ (gst_kithara_eq_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaEq, gst_kithara_eq, GST, KITHARA_EQ,
    GstKitharaElement)

G_END_DECLS

#endif /* __GST_KITHARA_EQ_H__ */
