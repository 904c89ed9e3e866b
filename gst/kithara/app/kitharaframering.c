/* Kithara: a single-producer, single-consumer ring of audio frames. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "kitharaframering.h"

struct _KitharaFrameRing
{
  guint8 *data;
  guint bpf;
  guint64 capacity;             /* frames */

  /* Written by one side each, read by both: release on store, acquire on
   * load, so the frames are in memory before the position says so. */
  guint64 write_pos;
  guint64 read_pos;
};

KitharaFrameRing *
kithara_frame_ring_new (guint bytes_per_frame, guint64 capacity)
{
  KitharaFrameRing *ring;

  g_return_val_if_fail (bytes_per_frame > 0 && capacity > 0, NULL);

  ring = g_new0 (KitharaFrameRing, 1);
  ring->bpf = bytes_per_frame;
  ring->capacity = capacity;
  ring->data = g_malloc0 (capacity * bytes_per_frame);
  return ring;
}

void
kithara_frame_ring_free (KitharaFrameRing * ring)
{
  g_free (ring->data);
  g_free (ring);
}

guint
kithara_frame_ring_get_bpf (const KitharaFrameRing * ring)
{
  return ring->bpf;
}

guint64
kithara_frame_ring_get_capacity (const KitharaFrameRing * ring)
{
  return ring->capacity;
}

guint64
kithara_frame_ring_read_position (const KitharaFrameRing * ring)
{
  return __atomic_load_n (&ring->read_pos, __ATOMIC_ACQUIRE);
}

guint64
kithara_frame_ring_write_position (const KitharaFrameRing * ring)
{
  return __atomic_load_n (&ring->write_pos, __ATOMIC_ACQUIRE);
}

guint64
kithara_frame_ring_fill (const KitharaFrameRing * ring)
{
  guint64 read = kithara_frame_ring_read_position (ring);

  return kithara_frame_ring_write_position (ring) - read;
}

guint64
kithara_frame_ring_space (const KitharaFrameRing * ring)
{
  return ring->capacity - kithara_frame_ring_fill (ring);
}

/* Copies @n frames between @frames and the ring starting at @pos,
 * in at most two pieces. */
static void
copy_wrapped (KitharaFrameRing * ring, guint64 pos, guint8 * frames,
    guint64 n, gboolean into_ring)
{
  guint64 start = pos % ring->capacity;
  guint64 first = MIN (n, ring->capacity - start);
  guint8 *a = ring->data + start * ring->bpf;

  if (into_ring) {
    memcpy (a, frames, first * ring->bpf);
    memcpy (ring->data, frames + first * ring->bpf, (n - first) * ring->bpf);
  } else {
    memcpy (frames, a, first * ring->bpf);
    memcpy (frames + first * ring->bpf, ring->data, (n - first) * ring->bpf);
  }
}

/**
 * kithara_frame_ring_write:
 *
 * Producer side.  Returns: how many of @n_frames fitted.
 */
guint64
kithara_frame_ring_write (KitharaFrameRing * ring, const guint8 * frames,
    guint64 n_frames)
{
  guint64 pos = __atomic_load_n (&ring->write_pos, __ATOMIC_RELAXED);
  guint64 n = MIN (n_frames, kithara_frame_ring_space (ring));

  copy_wrapped (ring, pos, (guint8 *) frames, n, TRUE);
  __atomic_store_n (&ring->write_pos, pos + n, __ATOMIC_RELEASE);
  return n;
}

/**
 * kithara_frame_ring_read:
 *
 * Consumer side.  Returns: how many of @n_frames were there.
 */
guint64
kithara_frame_ring_read (KitharaFrameRing * ring, guint8 * frames,
    guint64 n_frames)
{
  guint64 pos = __atomic_load_n (&ring->read_pos, __ATOMIC_RELAXED);
  guint64 n = MIN (n_frames, kithara_frame_ring_write_position (ring) - pos);

  copy_wrapped (ring, pos, frames, n, FALSE);
  __atomic_store_n (&ring->read_pos, pos + n, __ATOMIC_RELEASE);
  return n;
}

/**
 * kithara_frame_ring_reset:
 *
 * Empties the ring.  Only while neither side is using it.
 */
void
kithara_frame_ring_reset (KitharaFrameRing * ring)
{
  __atomic_store_n (&ring->read_pos, 0, __ATOMIC_RELEASE);
  __atomic_store_n (&ring->write_pos, 0, __ATOMIC_RELEASE);
}
