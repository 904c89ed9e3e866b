/* Kithara: the sink pads of kitharamixer and the stream each one carries. */
#ifndef __GST_KITHARA_MIXER_PAD_H__
#define __GST_KITHARA_MIXER_PAD_H__

#include <gst/gst.h>
#include <gst/base/gstadapter.h>
#include <gst/audio/audio.h>
#include "gstkitharaelement.h"

G_BEGIN_DECLS

#define GST_TYPE_KITHARA_MIXER_PAD (gst_kithara_mixer_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstKitharaMixerPad, gst_kithara_mixer_pad, GST,
    KITHARA_MIXER_PAD, GstPad)

/**
 * GstKitharaMixerPad:
 *
 * One input of the mixer.  Its stream is converted to the mixer's output
 * format and kept in an adapter whose first frame lands at output frame
 * @next_frame: frames behind the mixer's position are dropped (they came
 * too late), frames ahead of it wait.
 */
struct _GstKitharaMixerPad
{
  GstPad parent;

  /* Properties, under the object lock. */
  gdouble volume;
  gboolean mute;
  KitharaServiceClass class_setting;

  /* Set up by the mixer.  The pad owns a reference to its inlet until it
   * is finalized; after release the inlet only refuses data. */
  KitharaInlet *inlet;
  gint upstream_is_kithara;     /* atomic */
  gint announced_class;         /* atomic: last class sent upstream */

  /* Stream state: on the worker, or under the mixer's tick lock. */
  GstAudioInfo in_info;
  gboolean has_format;
  GstCaps *caps;                /* input caps last processed */
  GstAudioConverter *converter; /* NULL when the input is the output format */
  GstSegment segment;
  GstAdapter *adapter;          /* output-format frames */
  guint out_bpf;
  guint64 next_frame;           /* output frame of the adapter's first frame */
  gboolean joined;              /* next_frame is anchored to the output */
  gboolean placed;              /* data placed since the last flush: a new
                                 * segment goes on from where it ended */
  gboolean resync;              /* after a DISCONT: placed by timestamp */
  gboolean segment_done;        /* no more data in this segment */
  gboolean eos;
  gboolean failed;
  gfloat gain;                  /* reached at the end of the last block,
                                 * < 0 before the first */

  /* Counters, written on the worker, read by stats on any thread:
   * relaxed atomics. */
  guint64 late_frames;          /* dropped: arrived after they were due */
  guint64 missed_blocks;        /* mixed without this pad (it was late) */
};

gboolean gst_kithara_mixer_pad_set_format (GstKitharaMixerPad * pad,
    GstCaps * caps, const GstAudioInfo * out);
void gst_kithara_mixer_pad_add_buffer (GstKitharaMixerPad * pad,
    GstBuffer * buf, const GstAudioInfo * out, guint64 out_frame);
void gst_kithara_mixer_pad_add_gap (GstKitharaMixerPad * pad,
    GstClockTime timestamp, GstClockTime duration, const GstAudioInfo * out,
    guint64 out_frame);
guint64 gst_kithara_mixer_pad_end_frame (GstKitharaMixerPad * pad);
void gst_kithara_mixer_pad_mix (GstKitharaMixerPad * pad, gfloat * out,
    guint64 block_start, guint frames, guint channels, gfloat target_gain);
void gst_kithara_mixer_pad_reset (GstKitharaMixerPad * pad);

gfloat gst_kithara_mixer_pad_get_target_gain (GstKitharaMixerPad * pad);
KitharaServiceClass gst_kithara_mixer_pad_get_class (GstKitharaMixerPad * pad,
    gboolean heard);

G_END_DECLS

#endif /* __GST_KITHARA_MIXER_PAD_H__ */
