/* Kithara: a single-producer, single-consumer ring of audio frames.
 *
 * The producer is the worker, the consumer an application's real-time
 * audio callback: reading and writing take no lock and allocate nothing.
 * Positions count frames since the ring was made (or reset) and only grow,
 * so fill = write - read needs no wrap-around bookkeeping.  Not installed.
 */
#ifndef __KITHARA_FRAME_RING_H__
#define __KITHARA_FRAME_RING_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KitharaFrameRing KitharaFrameRing;

KitharaFrameRing *kithara_frame_ring_new (guint bytes_per_frame,
    guint64 capacity);
void kithara_frame_ring_free (KitharaFrameRing * ring);

guint kithara_frame_ring_get_bpf (const KitharaFrameRing * ring);
guint64 kithara_frame_ring_get_capacity (const KitharaFrameRing * ring);

guint64 kithara_frame_ring_fill (const KitharaFrameRing * ring);
guint64 kithara_frame_ring_space (const KitharaFrameRing * ring);
guint64 kithara_frame_ring_read_position (const KitharaFrameRing * ring);
guint64 kithara_frame_ring_write_position (const KitharaFrameRing * ring);

guint64 kithara_frame_ring_write (KitharaFrameRing * ring,
    const guint8 * frames, guint64 n_frames);
guint64 kithara_frame_ring_read (KitharaFrameRing * ring, guint8 * frames,
    guint64 n_frames);

void kithara_frame_ring_reset (KitharaFrameRing * ring);

G_END_DECLS

#endif /* __KITHARA_FRAME_RING_H__ */
