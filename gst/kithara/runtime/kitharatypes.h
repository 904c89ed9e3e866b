/* Kithara runtime: shared vocabulary of the worker, nodes and inlets.
 *
 * The runtime knows nothing about audio: it schedules nodes that report
 * one of four tick outcomes, orders them by service class and maps
 * backpressure onto GStreamer flow returns.
 */
#ifndef __KITHARA_TYPES_H__
#define __KITHARA_TYPES_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * KitharaServiceClass:
 * @KITHARA_SERVICE_CLASS_AUDIBLE: heard now; served first, never starved first
 * @KITHARA_SERVICE_CLASS_WARM: will be heard soon (preloaded, silent deck)
 * @KITHARA_SERVICE_CLASS_IDLE: background work (analysis, previews)
 * @KITHARA_SERVICE_CLASS_AUTO: only as a setting: follow the stream, i.e.
 *   take the class the exit downstream announces (see
 *   kithara_service_class_event_new()); a node itself is never "auto"
 *
 * Lower values are served first.
 */
typedef enum
{
  KITHARA_SERVICE_CLASS_AUDIBLE = 0,
  KITHARA_SERVICE_CLASS_WARM = 1,
  KITHARA_SERVICE_CLASS_IDLE = 2,
  KITHARA_SERVICE_CLASS_AUTO = 3,
} KitharaServiceClass;

#define KITHARA_N_SERVICE_CLASSES 3

/**
 * KitharaTickResult:
 * @KITHARA_TICK_PROGRESS: did work; tick again on the next pass
 * @KITHARA_TICK_WAITING: nothing to do until something arrives
 * @KITHARA_TICK_BACKPRESSURED: downstream is full; sleep until it drains
 * @KITHARA_TICK_DONE: end of stream or fatal error; sleep until revived
 *   by a flush
 */
typedef enum
{
  KITHARA_TICK_PROGRESS,
  KITHARA_TICK_WAITING,
  KITHARA_TICK_BACKPRESSURED,
  KITHARA_TICK_DONE,
} KitharaTickResult;

/**
 * KITHARA_FLOW_FULL:
 *
 * Kithara-private success returned by a kithara sink pad to a kithara
 * peer: the data was accepted, but the inlet is at or above its high
 * watermark.  The pusher treats it as progress now and backpressure
 * until the inlet drains below its low watermark and wakes it.  Never
 * returned to a non-kithara peer.
 */
#define KITHARA_FLOW_FULL GST_FLOW_CUSTOM_SUCCESS

typedef struct _KitharaWorker KitharaWorker;
typedef struct _KitharaNode KitharaNode;
typedef struct _KitharaInlet KitharaInlet;

G_END_DECLS

#endif /* __KITHARA_TYPES_H__ */
