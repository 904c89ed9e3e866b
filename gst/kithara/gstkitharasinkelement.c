/* Kithara: registers kitharasink, which lives in libkithara-app-1.0 so
 * that applications can link its real-time read API. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkitharasink.h"
#include "gstkitharaelements.h"

GST_ELEMENT_REGISTER_DEFINE (kitharasink, "kitharasink", GST_RANK_NONE,
    GST_TYPE_KITHARA_SINK);
