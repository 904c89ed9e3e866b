/* kitharadecode gapless tests: a continuous 997 Hz sine split at a frame
 * that no codec's packet size divides, each part encoded on its own, and
 * played as track 1 then track 2 on one deck (next-uri).
 *
 * Codecs: WAV, FLAC, Ogg Vorbis, Ogg Opus, MP3 (lamemp3enc ! xingmux,
 * with the LAME tag written in by the test, and as xingmux leaves it),
 * AAC in MP4 (avenc_aac ! mp4mux; voaacenc ! mp4mux measured alone only,
 * see codecs[]).  Each part is first decoded alone, by kitharadecode and
 * by decodebin (the same samples from both), and measured:
 *
 *  - the length error (frames decoded minus frames encoded) and where
 *    the sine sits in the output (the offset that fits best: the codec's
 *    delay, where nothing trims it), held to what the codec's and the
 *    container's documentation give for GStreamer 1.22 (codecs[]);
 *  - the error bound: the largest |decoded - encoded| sample, each at its
 *    place (after the documented delay), in the first and the last
 *    JOINT_WINDOW frames and in between; and the largest steps there.
 *
 * These are printed (g_print).  The joint's bounds below are checked on
 * the two files decoded alone, one after the other (what a deck that
 * adds nothing at the joint plays): they can be met.
 *
 * Then both parts on one deck, "filesrc location=part1 ! kitharadecode
 * next-uri=file:///.../part2 ! appsink", as the element's gapless API has
 * it:
 *
 *  - one kithara-track-changed message, from the deck, for part 2's URI
 *    (track 1), whose joint is where track 1's output ends and track 2's
 *    begins; next-uri reads the URI set, and NULL once the deck has moved
 *    on;
 *  - downstream sees a second stream-start; timestamps and running time
 *    go on without a gap or an overlap (each buffer starts where the one
 *    before it ended, within 1 ns), from 0;
 *  - the total length is the original's: exactly for WAV and FLAC (every
 *    sample the one encoded, in its place), otherwise within the length
 *    errors of the parts alone;
 *  - no step across the joint larger than the ideal sine's largest step
 *    plus the error bounds of part 1's end and part 2's start, and no
 *    step within JOINT_WINDOW frames of it larger than that or than the
 *    files alone have there (check_joint ()).
 *
 * Where the files carry no trimming GStreamer 1.22 reads (MP3 without a
 * LAME tag, AAC in MP4 from mp4mux), part 1's padding and part 2's delay
 * meet at the joint: a gap of silence no deck can remove, printed as how
 * late the sine goes on.  The bounds then say that the deck adds nothing.
 *
 * A track change from 44.1 to 48 kHz (WAV and FLAC) through
 * "kithararesample ! appsink" at 48 kHz: the same output as the
 * resampler gives the two parts pushed into concat (which works without
 * next-uri; the transition, the resampler's own, is measured and
 * printed), all of track 1 before track 2's stream-start, and no larger
 * step or error at the joint than the resampler's there.
 *
 * Every input is generated here (appsrc) and encoded with GStreamer's
 * encoders; a codec whose encoder or muxer is not installed is skipped,
 * saying so.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "../kitharacheck.h"

#define FREQ 997.0
#define AMPLITUDE 0.5           /* of full scale */

/* Where the sine is split: 1.3 s and 37 frames (57367 at 44.1 kHz, 62437
 * at 48 kHz), an odd number, so no codec's packet (1152 frames for MP3,
 * 1024 for AAC, 960 for Opus, 256 and 2048 for Vorbis, 4608 for flacenc)
 * ends there.  Part 2 lasts 1.1 s and 11 frames.  The encoders run at
 * their defaults. */
#define SPLIT(rate) ((rate) * 13 / 10 + 37)
#define SECOND_PART(rate) ((rate) * 11 / 10 + 11)

/* The frames on each side of a joint whose steps are checked, and the
 * edges of a file alone whose error bounds the steps there: longer than
 * any codec's frame and filter. */
#define JOINT_WINDOW 2048

/* The furthest a codec's untrimmed delay is looked for. */
#define MAX_OFFSET 4096

/* Each wait for the bus: generous for a loaded machine (a pipeline here
 * decodes a few seconds of audio). */
#define WAIT_SECONDS 60

static gchar *tmp_dir = NULL;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharagapless-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

/* ------------------------------------------------------------------ */
/* codecs */

typedef struct _Part Part;

typedef struct
{
  const gchar *name;
  const gchar *file;            /* name of part 1; part 2 adds "2" */
  const gchar *encode;          /* gst-launch syntax */
  const gchar *elements[3];     /* that it needs installed */
  gint rate;
  gboolean exact;
  /* Documented, for these files as GStreamer 1.22 decodes them: where
   * the sine starts in the decoded samples (the delay no one trims), and
   * how many frames more (or fewer) than encoded come out. */
  gint delay;
  gint length_min, length_max;
  /* The encoder loses the end of its input: the files end inside the
   * waveform, and no player can join them without a step. */
  gboolean loses_end;
  /* Run on each file once encoded (or NULL). */
  void (*finish) (const gchar * path, const Part * part);
} Codec;

enum
{
  WAV, FLAC, VORBIS, OPUS, MP3_LAME_TAG, MP3_XINGMUX, AAC_AVENC,
  AAC_VOAACENC
};

static void add_lame_tag (const gchar * path, const Part * part);

/* MPEG-1 layer III: 1152 frames a packet, LAME's encoder delay of 576
 * frames, and the decoder's delay of 529 (as mpegaudioparse counts it). */
#define MP3_PACKET 1152
#define MP3_DELAY (576 + 529)
#define AAC_PACKET 1024

static const Codec codecs[] = {
  /* PCM, and lossless: exact. */
  {"wav", "a.wav", "wavenc", {"wavenc"}, 44100, TRUE, 0, 0, 0, FALSE, NULL},
  {"flac", "a.flac", "flacenc", {"flacenc"}, 44100, TRUE, 0, 0, 0, FALSE,
      NULL},
  /* Ogg Vorbis: the end granule of the last page cuts the last packet,
   * and the first packets start at granule 0 (Vorbis I specification,
   * A.2): exact. */
  {"vorbis", "a.ogg", "vorbisenc ! oggmux", {"vorbisenc", "oggmux"},
      44100, FALSE, 0, 0, 0, FALSE, NULL},
  /* Ogg Opus: the pre-skip of the header (the encoder's delay) and the
   * end granule (RFC 7845, 4.2 and 4.5): exact.  Opus runs at 48 kHz. */
  {"opus", "a.opus", "opusenc ! oggmux", {"opusenc", "oggmux"}, 48000,
      FALSE, 0, 0, 0, FALSE, NULL},
  /* MP3 with a LAME tag in its first (Xing) frame, as LAME writes it: the
   * encoder's delay and padding, 12 bits each, which mpegaudioparse trims
   * (with the decoder's delay) and the decoder clips: exact.  xingmux
   * writes no LAME tag: the test adds it (add_lame_tag). */
  {"mp3 (LAME tag)", "a.mp3", "lamemp3enc ! xingmux", {"lamemp3enc",
          "xingmux"}, 44100, FALSE, 0, 0, 0, FALSE, add_lame_tag},
  /* The same as xingmux leaves it: a Xing header (frames, bytes, seek
   * table) without a LAME tag, so nothing is trimmed.  The sine comes
   * MP3_DELAY frames late, and the last packet is whole: MP3_DELAY
   * frames more, and the padding to a whole packet. */
  {"mp3 (xingmux)", "b.mp3", "lamemp3enc ! xingmux", {"lamemp3enc",
          "xingmux"}, 44100, FALSE, MP3_DELAY, MP3_DELAY,
      MP3_DELAY + MP3_PACKET - 1, FALSE, NULL},
  /* AAC in MP4: the edit list says where the priming ends and how long
   * the track is (ISO/IEC 14496-12, 8.6.6), but mp4mux 1.22's starts at
   * media time 0: the sine comes avenc_aac's priming (a packet, 1024
   * frames) late, and the last packet is whole.  (The decoded buffers'
   * timestamps end before their last samples: by 22.9 ms for part 1.) */
  {"aac (avenc_aac)", "a.m4a", "avenc_aac ! mp4mux", {"avenc_aac",
          "mp4mux"}, 44100, FALSE, AAC_PACKET, AAC_PACKET,
      2 * AAC_PACKET - 1, FALSE, NULL},
  /* voaacenc: 1600 frames of delay, none trimmed; it encodes whole
   * packets of input only and does not drain its delay at the end, so
   * the output has the input's whole packets (up to 1023 frames fewer),
   * and the sine's last 1600 frames and more are lost: each file ends
   * inside the waveform.  Measured alone only (no gapless test): the
   * files alone, one after the other, step at the joint. */
  {"aac (voaacenc)", "b.m4a", "voaacenc ! mp4mux", {"voaacenc", "mp4mux"},
      44100, FALSE, 1600, -(AAC_PACKET - 1), 0, TRUE, NULL},
};

/* Whether the elements named are installed; the missing ones are named,
 * for the case that needs them is skipped. */
static gboolean
have_elements (const gchar * const *names, guint n)
{
  gboolean all = TRUE;
  guint i;

  for (i = 0; i < n && names[i]; i++) {
    GstElementFactory *factory = gst_element_factory_find (names[i]);

    if (factory == NULL) {
      g_print ("%s is not installed: case skipped\n", names[i]);
      all = FALSE;
    }
    gst_clear_object (&factory);
  }
  return all;
}

static gboolean
have_codec (const Codec * codec)
{
  return have_elements (codec->elements, G_N_ELEMENTS (codec->elements));
}

/* ------------------------------------------------------------------ */
/* the sine */

/* One part of the sine: @frames frames at @rate, frame j at time
 * @t0 + (@first + j) / @rate.  Split at one rate, part 2 has @first =
 * part 1's frames (the same expression as the whole sine's); at another
 * rate, @t0 = part 1's duration. */
struct _Part
{
  gint rate;
  guint64 first;
  guint64 frames;
  gdouble t0;
  gint16 *s16;                  /* encoded */
  gdouble *ideal;               /* the same, as decoded to float */
};

static void
part_init (Part * part, gint rate, gdouble t0, guint64 first, guint64 frames)
{
  guint64 j;

  part->rate = rate;
  part->t0 = t0;
  part->first = first;
  part->frames = frames;
  part->s16 = g_new (gint16, frames);
  part->ideal = g_new (gdouble, frames);
  for (j = 0; j < frames; j++) {
    gdouble t = t0 + (gdouble) (first + j) / rate;

    part->s16[j] = (gint16) lrint (AMPLITUDE * 32767.0 *
        sin (2.0 * G_PI * FREQ * t));
    /* audioconvert's S16 to F32: x / 32768, exact */
    part->ideal[j] = part->s16[j] / 32768.0;
  }
}

static void
part_clear (Part * part)
{
  g_free (part->s16);
  g_free (part->ideal);
}

/* The sine as encoded at frame @k, silence outside the part. */
static gdouble
part_ideal (const Part * part, gint64 k)
{
  return k < 0 || k >= (gint64) part->frames ? 0.0 : part->ideal[k];
}

/* The largest step from one sample to the next of @x[@from..@to). */
static gdouble
largest_step (const gdouble * x, gsize from, gsize to)
{
  gdouble step = 0.0;
  gsize k;

  for (k = from; k + 1 < to; k++)
    step = MAX (step, fabs (x[k + 1] - x[k]));
  return step;
}

/* The ideal sine's largest step at @rate, over a second. */
static gdouble
ideal_step (gint rate)
{
  Part one;
  gdouble step;

  part_init (&one, rate, 0.0, 0, rate);
  step = largest_step (one.ideal, 0, one.frames);
  part_clear (&one);
  return step;
}

/* ------------------------------------------------------------------ */
/* encoding */

/* Waits for EOS, failing on an error or after WAIT_SECONDS; element
 * messages named kithara-track-changed go to @changes (if not NULL). */
static void
wait_eos (GstElement * p, GPtrArray * changes)
{
  GstBus *bus = gst_element_get_bus (p);
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg = NULL;

    if (left > 0)
      msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
          GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL, "no EOS within %d s", WAIT_SECONDS);
    kc_fail_on_error (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (changes && gst_structure_has_name (gst_message_get_structure (msg),
            "kithara-track-changed"))
      g_ptr_array_add (changes, gst_message_ref (msg));
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

/* Pushes @frames frames of @samples (@format, mono, @rate) into @src,
 * timestamped from @pts0, in buffers of @chunk frames. */
static void
push_samples (GstElement * src, const gchar * format, gint rate,
    gconstpointer samples, guint64 frames, GstClockTime pts0, guint chunk)
{
  gsize bpf = g_str_equal (format, "F32LE") ? 4 : 2;
  guint64 j;

  for (j = 0; j < frames; j += chunk) {
    guint64 n = MIN (chunk, frames - j);
    GstBuffer *buf = gst_buffer_new_memdup ((const guint8 *) samples +
        j * bpf, n * bpf);

    GST_BUFFER_PTS (buf) = pts0 + gst_util_uint64_scale_int (j, GST_SECOND,
        rate);
    GST_BUFFER_DURATION (buf) = pts0 + gst_util_uint64_scale_int (j + n,
        GST_SECOND, rate) - GST_BUFFER_PTS (buf);
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), buf),
        GST_FLOW_OK);
  }
}

static GstCaps *
mono_caps (const gchar * format, gint rate)
{
  return gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, format,
      "layout", G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, rate,
      "channels", G_TYPE_INT, 1, NULL);
}

/* Encodes @part (S16 mono) with @codec into @name in the test's
 * directory; returns the path. */
static gchar *
encode_part (const Codec * codec, const Part * part, const gchar * name)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "audioconvert ! %s ! filesink location=\"%s\"", codec->encode, path);
  GstElement *p = kc_parse (desc);
  GstElement *src = kc_child (p, "src");
  GstCaps *caps = mono_caps ("S16LE", part->rate);

  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  gst_caps_unref (caps);
  push_samples (src, "S16LE", part->rate, part->s16, part->frames, 0, 4096);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  wait_eos (p, NULL);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  if (codec->finish)
    codec->finish (path, part);
  return path;
}

/* The size of the MPEG-1 layer III frame whose header is at @h, 0 if
 * there is none. */
static gsize
mp3_frame_size (const guint8 * h)
{
  static const guint kbps[16] = { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 256, 320, 0
  };
  static const guint rates[4] = { 44100, 48000, 32000, 0 };
  guint bitrate = kbps[h[2] >> 4], rate = rates[(h[2] >> 2) & 3];

  /* sync, MPEG-1, layer III (protected or not) */
  if (h[0] != 0xff || (h[1] & 0xfe) != 0xfa || bitrate == 0 || rate == 0)
    return 0;
  return 144 * bitrate * 1000 / rate + ((h[2] >> 1) & 1);
}

/* Writes the LAME tag into the MP3 at @path as LAME writes it in the
 * first frame (the Xing or Info frame, which decodes to nothing): after
 * the Xing header (flags, frame count, byte count, seek table, quality),
 * the encoder's name (9 bytes), 12 bytes of other information, then the
 * encoder delay and the padding at the end, 12 bits each.  The padding
 * is what the last packet holds after the sine: packets x 1152 - frames
 * - 576.  xingmux writes the Xing header only, in a frame too short for
 * the tag, and counts that frame too: the frame is written anew at 64
 * kbit/s (208 bytes), with LAME's counts (the packets of audio, the
 * bytes of the file).  Mono MPEG-1: the Xing header follows 17 bytes of
 * side information. */
static void
add_lame_tag (const gchar * path, const Part * part)
{
  const gsize xing = 4 + 17;
  guint8 frame[208] = { 0 }, *tag = frame + xing + 120;
  gchar *contents;
  gsize size, pos, first;
  guint64 packets = 0, padding;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  first = size > xing + 120 ? mp3_frame_size ((guint8 *) contents) : 0;
  fail_unless (first > xing + 120, "%s: no MPEG-1 layer III frame", path);
  fail_unless_equals_int ((guint8) contents[3] >> 6, 3);        /* mono */
  fail_unless (memcmp (contents + xing, "Xing", 4) == 0,
      "%s: no Xing header", path);
  fail_unless (GST_READ_UINT32_BE (contents + xing + 4) & 0x4, "no seek "
      "table");
  for (pos = first; pos + 4 <= size; packets++) {
    gsize n = mp3_frame_size ((guint8 *) contents + pos);

    fail_unless (n > 0, "%s: no frame at byte %" G_GSIZE_FORMAT, path, pos);
    pos += n;
  }
  fail_unless_equals_uint64 (pos, size);
  fail_unless (packets * MP3_PACKET >= part->frames + 576);
  padding = packets * MP3_PACKET - part->frames - 576;
  fail_unless (padding < 0x1000);

  memcpy (frame, contents, 4);
  /* 64 kbit/s, the same rate, no padding slot */
  frame[2] = (5 << 4) | (frame[2] & 0x0c);
  fail_unless_equals_int (mp3_frame_size (frame), sizeof (frame));
  memcpy (frame + xing, "Xing", 4);
  GST_WRITE_UINT32_BE (frame + xing + 4, 0xf);
  GST_WRITE_UINT32_BE (frame + xing + 8, packets);
  GST_WRITE_UINT32_BE (frame + xing + 12, sizeof (frame) + size - first);
  memcpy (frame + xing + 16, contents + xing + 16, 100);
  GST_WRITE_UINT32_BE (frame + xing + 116, 100);
  memcpy (tag, "LAME3.100", 9);
  GST_WRITE_UINT24_BE (tag + 21, (576 << 12) | padding);

  {
    GByteArray *file = g_byte_array_sized_new (sizeof (frame) + size - first);

    g_byte_array_append (file, frame, sizeof (frame));
    g_byte_array_append (file, (guint8 *) contents + first, size - first);
    fail_unless (g_file_set_contents (path, (gchar *) file->data, file->len,
            NULL));
    g_byte_array_unref (file);
  }
  g_free (contents);
}

/* ------------------------------------------------------------------ */
/* what reaches the appsink */

#define MAX_TRACKS 4

/* Everything that reaches an appsink's pad, in order, collected by a pad
 * probe on the streaming thread: the samples (the first channel, as
 * float), and where each track (each STREAM_START) starts.  What goes
 * wrong there is noted in @problem and failed on afterwards. */
typedef struct
{
  GArray *samples;              /* gdouble */
  GstAudioInfo info;
  gboolean have_info;
  GstSegment segment;
  guint n_caps, n_segments;
  guint n_tracks;
  guint64 track_start[MAX_TRACKS];      /* its first sample */
  GstClockTime track_first_pts[MAX_TRACKS];
  GstClockTime track_end[MAX_TRACKS];   /* last pts + duration */
  gint track_rate[MAX_TRACKS];
  /* Continuity: the largest |pts - (previous pts + duration)| and the
   * same in running time, inside tracks and at each track's start. */
  gboolean have_buffer, track_has_buffer;
  GstClockTime next_pts;
  gint64 next_rt;
  GstClockTimeDiff pts_jump, rt_jump;
  GstClockTimeDiff joint_pts_jump[MAX_TRACKS], joint_rt_jump[MAX_TRACKS];
  gchar *problem;
} Capture;

static void
capture_problem (Capture * c, const gchar * what)
{
  if (c->problem == NULL)
    c->problem = g_strdup (what);
}

static void
capture_buffer (Capture * c, GstBuffer * buf)
{
  guint t = c->n_tracks ? c->n_tracks - 1 : 0;
  GstClockTime pts = GST_BUFFER_PTS (buf), duration;
  guint64 abs_rt = 0;
  gint64 rt;
  GstMapInfo map;
  gsize frames, k;
  gint bpf, rate;

  if (!c->have_info) {
    capture_problem (c, "a buffer before caps");
    return;
  }
  if (c->n_tracks == 0)
    capture_problem (c, "a buffer before stream-start");
  bpf = GST_AUDIO_INFO_BPF (&c->info);
  rate = GST_AUDIO_INFO_RATE (&c->info);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  frames = map.size / bpf;
  for (k = 0; k < frames; k++) {
    gdouble v;

    if (GST_AUDIO_INFO_FORMAT (&c->info) == GST_AUDIO_FORMAT_F32LE)
      v = GST_READ_FLOAT_LE (map.data + k * bpf);
    else
      v = (gint16) GST_READ_UINT16_LE (map.data + k * bpf) / 32768.0;
    g_array_append_val (c->samples, v);
  }
  gst_buffer_unmap (buf, &map);
  if (frames == 0)
    return;

  if (!GST_CLOCK_TIME_IS_VALID (pts)) {
    capture_problem (c, "a buffer without timestamp");
    return;
  }
  duration = GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) :
      gst_util_uint64_scale_int (frames, GST_SECOND, rate);
  switch (gst_segment_to_running_time_full (&c->segment, GST_FORMAT_TIME,
          pts, &abs_rt)) {
    case 1:
      rt = (gint64) abs_rt;
      break;
    case -1:
      rt = -(gint64) abs_rt;
      break;
    default:
      capture_problem (c, "a buffer outside its segment");
      return;
  }

  if (c->have_buffer) {
    GstClockTimeDiff dp = GST_CLOCK_DIFF (c->next_pts, pts);
    GstClockTimeDiff dr = rt - c->next_rt;

    if (!c->track_has_buffer) {
      c->joint_pts_jump[t] = dp;
      c->joint_rt_jump[t] = dr;
    } else {
      if (ABS (dp) > ABS (c->pts_jump))
        c->pts_jump = dp;
      if (ABS (dr) > ABS (c->rt_jump))
        c->rt_jump = dr;
    }
  }
  if (!c->track_has_buffer)
    c->track_first_pts[t] = pts;
  c->have_buffer = c->track_has_buffer = TRUE;
  c->next_pts = pts + duration;
  c->next_rt = rt + (gint64) duration;
  c->track_end[t] = c->next_pts;
}

static gboolean
capture_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  capture_buffer (user_data, *buf);
  return TRUE;
}

static void
capture_event (Capture * c, GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      if (c->n_tracks >= MAX_TRACKS) {
        capture_problem (c, "too many stream-starts");
        break;
      }
      c->track_start[c->n_tracks] = c->samples->len;
      c->track_first_pts[c->n_tracks] = GST_CLOCK_TIME_NONE;
      c->track_end[c->n_tracks] = GST_CLOCK_TIME_NONE;
      /* (the caps stay if the next track has the same) */
      c->track_rate[c->n_tracks] = c->have_info ?
          GST_AUDIO_INFO_RATE (&c->info) : 0;
      c->n_tracks++;
      c->track_has_buffer = FALSE;
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      if (!gst_audio_info_from_caps (&c->info, caps) ||
          (GST_AUDIO_INFO_FORMAT (&c->info) != GST_AUDIO_FORMAT_F32LE &&
              GST_AUDIO_INFO_FORMAT (&c->info) != GST_AUDIO_FORMAT_S16LE)) {
        capture_problem (c, "caps not F32LE or S16LE audio");
        break;
      }
      c->have_info = TRUE;
      c->n_caps++;
      if (c->n_tracks)
        c->track_rate[c->n_tracks - 1] = GST_AUDIO_INFO_RATE (&c->info);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &c->segment);
      if (c->segment.format != GST_FORMAT_TIME)
        capture_problem (c, "a segment not in time");
      c->n_segments++;
      break;
    default:
      break;
  }
}

static GstPadProbeReturn
capture_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Capture *c = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    capture_buffer (c, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        capture_list_item, c);
  else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    capture_event (c, GST_PAD_PROBE_INFO_EVENT (info));
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
discard_sample (GstAppSink * sink, gpointer user_data)
{
  gst_sample_unref (gst_app_sink_pull_sample (sink));
  return GST_FLOW_OK;
}

/* Captures what reaches @sink (an appsink) while @p plays to EOS. */
static void
capture_run (GstElement * p, GstElement * sink, Capture * c,
    GPtrArray * changes)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, discard_sample };
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  memset (c, 0, sizeof (*c));
  c->samples = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gst_segment_init (&c->segment, GST_FORMAT_TIME);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      capture_probe, c, NULL);
  gst_object_unref (pad);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, NULL, NULL);
  g_object_set (sink, "sync", FALSE, NULL);

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  wait_eos (p, changes);
  gst_element_set_state (p, GST_STATE_NULL);
  fail_unless (c->problem == NULL, "%s", c->problem);
  fail_unless (c->n_tracks >= 1, "no stream-start");
}

static void
capture_clear (Capture * c)
{
  g_array_unref (c->samples);
  g_free (c->problem);
}

#define SAMPLES(c) ((const gdouble *) (c)->samples->data)
#define N_SAMPLES(c) ((gsize) (c)->samples->len)

/* ------------------------------------------------------------------ */
/* one file alone */

/* "filesrc ! kitharadecode ! audioconvert ! appsink": the samples, in
 * F32, converted as decodebin's are below. */
static void
decode_alone (const gchar * path, Capture * c)
{
  GstElement *p = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *dec = gst_element_factory_make ("kitharadecode", NULL);
  GstElement *convert = gst_element_factory_make ("audioconvert", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GstCaps *caps = gst_caps_from_string ("audio/x-raw,format=F32LE");

  fail_unless (src && dec && convert && sink);
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_bin_add_many (GST_BIN (p), src, dec, convert, sink, NULL);
  fail_unless (gst_element_link_many (src, dec, convert, sink, NULL));
  capture_run (p, sink, c, NULL);
  gst_object_unref (p);
}

/* The same with decodebin, for comparison. */
static void
decode_alone_decodebin (const gchar * path, Capture * c)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "audioconvert ! appsink name=sink caps=audio/x-raw,format=F32LE", path);
  GstElement *p = kc_parse (desc);

  capture_run (p, kc_child (p, "sink"), c, NULL);
  gst_object_unref (p);
  g_free (desc);
}

/* The largest |@x[k] - the part's sample k - @offset| for k in
 * [@from, @to). */
static gdouble
max_error (const gdouble * x, const Part * part, gint64 offset, gsize from,
    gsize to)
{
  gdouble err = 0.0;
  gsize k;

  for (k = from; k < to; k++)
    err = MAX (err, fabs (x[k] - part_ideal (part, (gint64) k - offset)));
  return err;
}

/* The offset d at which the part's sine, d frames late (silence around
 * it), fits @x best: least squares over @x, d in [-MAX_OFFSET,
 * MAX_OFFSET].  The sum of the squares of x[k] - sine[k - d] over x is
 * the sum of x^2 (the same for every d), minus twice their correlation,
 * plus the sine's energy where it overlaps x: prefix sums of x[k] sin wk,
 * x[k] cos wk and of the sine's square give both for each offset at
 * once. */
static gint64
best_offset (const gdouble * x, gsize n, const Part * part)
{
  const gdouble a = AMPLITUDE * 32767.0 / 32768.0;
  const gdouble w = 2.0 * G_PI * FREQ / part->rate;
  const gdouble phi = 2.0 * G_PI * FREQ * (part->t0 +
      (gdouble) part->first / part->rate);
  gdouble *ps = g_new (gdouble, n + 1), *pc = g_new (gdouble, n + 1);
  gdouble *pe = g_new (gdouble, part->frames + 1);
  gdouble best = G_MAXDOUBLE;
  gint64 d, best_d = 0;
  gsize k;

  ps[0] = pc[0] = pe[0] = 0.0;
  for (k = 0; k < n; k++) {
    ps[k + 1] = ps[k] + x[k] * sin (w * k);
    pc[k + 1] = pc[k] + x[k] * cos (w * k);
  }
  for (k = 0; k < part->frames; k++) {
    gdouble v = a * sin (w * k + phi);

    pe[k + 1] = pe[k] + v * v;
  }
  for (d = -MAX_OFFSET; d <= MAX_OFFSET; d++) {
    /* x overlaps sine[k - d] for k in [from, to) */
    gint64 from = CLAMP (d, 0, (gint64) n);
    gint64 to = CLAMP (d + (gint64) part->frames, 0, (gint64) n);
    gdouble s = ps[to] - ps[from], co = pc[to] - pc[from];
    /* sum of x[k] a sin (w (k - d) + phi) */
    gdouble corr = a * (cos (phi - w * d) * s + sin (phi - w * d) * co);
    gdouble energy = to > from ? pe[to - d] - pe[from - d] : 0.0;
    gdouble cost = energy - 2.0 * corr;

    if (cost < best) {
      best = cost;
      best_d = d;
    }
  }
  g_free (ps);
  g_free (pc);
  g_free (pe);
  return best_d;
}

typedef struct
{
  guint64 frames;               /* decoded */
  gint64 length_error;          /* decoded - encoded */
  GstClockTime first_pts;
  /* where the last buffer ends (pts + duration), minus the frames' time */
  GstClockTimeDiff end_error;
  /* the largest jump from one buffer's end to the next one's start */
  GstClockTimeDiff pts_jump;
  gint64 offset;                /* where the sine fits best */
  /* The error bound: max |decoded - encoded| of each sample at its place
   * (the encoded sample the codec's documented delay earlier), in the
   * first and last JOINT_WINDOW frames and in between. */
  gdouble error_head, error_middle, error_tail;
  /* The largest steps in the same places. */
  gdouble step_head, step_middle, step_tail;
} Figures;

static void
measure (const Codec * codec, const Capture * c, const Part * part, Figures * f)
{
  const gdouble *x = SAMPLES (c);
  gsize n = N_SAMPLES (c);
  gsize edge = MIN (JOINT_WINDOW, n / 2);

  f->frames = n;
  f->length_error = (gint64) n - (gint64) part->frames;
  f->first_pts = c->track_first_pts[0];
  f->end_error = GST_CLOCK_DIFF (gst_util_uint64_scale_int (n, GST_SECOND,
          part->rate), c->track_end[0]);
  f->pts_jump = c->pts_jump;
  f->offset = best_offset (x, n, part);
  f->error_head = max_error (x, part, codec->delay, 0, edge);
  f->error_middle = max_error (x, part, codec->delay, edge, n - edge);
  f->error_tail = max_error (x, part, codec->delay, n - edge, n);
  f->step_head = largest_step (x, 0, edge);
  f->step_middle = largest_step (x, edge, n - edge);
  f->step_tail = largest_step (x, n - edge, n);
}

static void
print_figures (const Codec * codec, const gchar * what, const Part * part,
    const Figures * f)
{
  g_print ("%s, %s: %" G_GUINT64_FORMAT " frames at %d Hz encoded, %"
      G_GUINT64_FORMAT " decoded (length error %+" G_GINT64_FORMAT
      "), first pts %" GST_TIME_FORMAT ", largest timestamp jump %+"
      G_GINT64_FORMAT " ns, last buffer ends %+" G_GINT64_FORMAT
      " ns from the frames' time, sine at offset %+"
      G_GINT64_FORMAT "; max |error| head %.6f, middle %.6f, tail %.6f; "
      "largest step head %.6f, middle %.6f, tail %.6f\n", codec->name,
      what, part->frames, part->rate, f->frames, f->length_error,
      GST_TIME_ARGS (f->first_pts), (gint64) f->pts_jump,
      (gint64) f->end_error, f->offset,
      f->error_head, f->error_middle, f->error_tail, f->step_head,
      f->step_middle, f->step_tail);
}

/* Decodes the file of @part alone, by kitharadecode and by decodebin,
 * prints the figures and checks them: the same samples from both, the
 * length and the delay the codec's documentation gives, and for an exact
 * codec the samples encoded.  Returns kitharadecode's samples. */
static GArray *
check_alone (const Codec * codec, const gchar * path, const Part * part,
    const gchar * what, Figures * f)
{
  GArray *samples;
  Capture ours, theirs;
  Figures ref;
  gchar *label = g_strdup_printf ("%s, kitharadecode", what);
  gchar *ref_label = g_strdup_printf ("%s, decodebin", what);

  decode_alone (path, &ours);
  decode_alone_decodebin (path, &theirs);
  measure (codec, &ours, part, f);
  measure (codec, &theirs, part, &ref);
  print_figures (codec, label, part, f);
  print_figures (codec, ref_label, part, &ref);

  fail_unless_equals_int (ours.n_tracks, 1);
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&ours.info), part->rate);
  /* kitharadecode decodes what decodebin decodes: exactly, but for a
   * decoder of several output formats, which under kitharadecode takes
   * the one downstream prefers (F32 here) while decodebin, whose pad is
   * not linked yet when the decoder negotiates, gets its default
   * (mpg123audiodec: S16, where gstreamer1.0-libav's float decoder is not
   * installed): within one 16-bit step then. */
  fail_unless_equals_uint64 (f->frames, ref.frames);
  if (codec->exact) {
    fail_unless (memcmp (SAMPLES (&ours), SAMPLES (&theirs),
            N_SAMPLES (&ours) * sizeof (gdouble)) == 0,
        "%s: %s: kitharadecode's samples differ from decodebin's",
        codec->name, what);
  } else {
    gdouble worst = 0;
    gsize k;

    for (k = 0; k < N_SAMPLES (&ours); k++)
      worst = MAX (worst, fabs (SAMPLES (&ours)[k] - SAMPLES (&theirs)[k]));
    fail_unless (worst <= 1.0 / 32768, "%s: %s: kitharadecode's samples "
        "differ from decodebin's by up to %g", codec->name, what, worst);
  }

  fail_unless_equals_uint64 (f->first_pts, 0);
  fail_unless (f->length_error >= codec->length_min &&
      f->length_error <= codec->length_max, "%s: %s: length error %+"
      G_GINT64_FORMAT ", documented %+d to %+d", codec->name, what,
      f->length_error, codec->length_min, codec->length_max);
  fail_unless (f->offset == codec->delay, "%s: %s: the sine starts at %+"
      G_GINT64_FORMAT ", documented %+d", codec->name, what, f->offset,
      codec->delay);
  /* Where a codec's delay is trimmed, the timestamps count the frames
   * (within half a frame: the parser's and decoder's rounding). */
  if (codec->delay == 0)
    fail_unless (ABS (f->end_error) <= (GstClockTimeDiff) (GST_SECOND /
            part->rate / 2),
        "%s: %s: the last buffer ends %+" G_GINT64_FORMAT " ns from "
        "the time of the frames", codec->name, what, (gint64) f->end_error);
  if (codec->exact)
    fail_unless (f->error_head == 0.0 && f->error_middle == 0.0 &&
        f->error_tail == 0.0, "%s: %s: not the samples encoded",
        codec->name, what);
  samples = g_array_ref (ours.samples);
  capture_clear (&ours);
  capture_clear (&theirs);
  g_free (label);
  g_free (ref_label);
  return samples;
}

/* The two parts of the split sine for @codec, encoded, and decoded
 * alone. */
typedef struct
{
  Part part[2];
  gchar *path[2];
  Figures alone[2];
  GArray *decoded[2];
} Split;

static void
split_init (Split * s, const Codec * codec)
{
  gchar *second = g_strdup_printf ("2%s", codec->file);
  gint rate = codec->rate;

  part_init (&s->part[0], rate, 0.0, 0, SPLIT (rate));
  part_init (&s->part[1], rate, 0.0, SPLIT (rate), SECOND_PART (rate));
  s->path[0] = encode_part (codec, &s->part[0], codec->file);
  s->path[1] = encode_part (codec, &s->part[1], second);
  s->decoded[0] = check_alone (codec, s->path[0], &s->part[0], "part 1",
      &s->alone[0]);
  s->decoded[1] = check_alone (codec, s->path[1], &s->part[1], "part 2",
      &s->alone[1]);
  g_free (second);
}

static void
split_clear (Split * s)
{
  guint i;

  for (i = 0; i < 2; i++) {
    part_clear (&s->part[i]);
    g_free (s->path[i]);
    g_array_unref (s->decoded[i]);
  }
}

/* The joint in @x (@total frames, track 2 from frame @n1 on), played
 * from the parts of @s; @what says what played them.
 *
 * The length is the original's, within the length errors of the parts
 * alone.  The step bound near the joint: a step inside either track is
 * one the file alone has there (the same samples); the step across the
 * joint is at most the sine's own largest step plus the errors of the
 * last sample of part 1 and of the first of part 2, each at most the
 * error bound of its file alone near that edge.  For a codec whose delay
 * is not trimmed, the padding of part 1 and the delay of part 2 meet at
 * the joint: a gap of silence (printed: where the sine goes on), and the
 * step across is between two near-silent samples.  For a codec that
 * loses the end of its input, the figures are printed only. */
static void
check_joint (const Codec * codec, const Split * s, const gdouble * x,
    guint64 total, guint64 n1, const gchar * what)
{
  const Figures *a1 = &s->alone[0], *a2 = &s->alone[1];
  guint64 expected = s->part[0].frames + s->part[1].frames;
  gint64 length_error = (gint64) total - (gint64) expected;
  gint64 allowed = ABS (a1->length_error) + ABS (a2->length_error);
  gdouble ideal = ideal_step (codec->rate);
  gdouble across_bound = ideal + a1->error_tail + a2->error_head;
  gdouble bound = MAX (across_bound, MAX (a1->step_tail, a2->step_head));
  gdouble step, across;

  fail_unless (n1 > JOINT_WINDOW && total > n1 + JOINT_WINDOW,
      "%s: %s: tracks of %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT
      " frames", codec->name, what, n1, total - n1);
  step = largest_step (x, n1 - JOINT_WINDOW, n1 + JOINT_WINDOW);
  across = fabs (x[n1] - x[n1 - 1]);

  g_print ("%s, %s: %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT
      " frames encoded, %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT
      " played (length error %+" G_GINT64_FORMAT ", allowed %"
      G_GINT64_FORMAT "); the sine goes on %" G_GINT64_FORMAT " frames "
      "late after the joint; step across it %.6f (bound %.6f = ideal %.6f "
      "+ %.6f + %.6f), largest step near it %.6f (bound %.6f)\n",
      codec->name, what, s->part[0].frames, s->part[1].frames, n1,
      total - n1, length_error, allowed,
      (gint64) n1 - (gint64) s->part[0].frames, across, across_bound, ideal,
      a1->error_tail, a2->error_head, step, bound);

  if (codec->loses_end)
    return;
  fail_unless (ABS (length_error) <= allowed, "%s: %s: %" G_GUINT64_FORMAT
      " frames played, %" G_GUINT64_FORMAT " encoded", codec->name, what,
      total, expected);
  fail_unless ((guint64) ABS ((gint64) n1 - (gint64) s->part[0].frames) <=
      (guint64) ABS (a1->length_error), "%s: %s: track 1 has %"
      G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " encoded",
      codec->name, what, n1, s->part[0].frames);
  fail_unless (across <= across_bound + 1e-9, "%s: %s: a step of %.6f "
      "across the joint, more than %.6f", codec->name, what, across,
      across_bound);
  fail_unless (step <= bound + 1e-9, "%s: %s: a step of %.6f near the "
      "joint, more than %.6f", codec->name, what, step, bound);
  if (codec->exact) {
    /* Every sample the one encoded, in its place. */
    fail_unless_equals_uint64 (n1, s->part[0].frames);
    fail_unless_equals_uint64 (total, expected);
    fail_unless (max_error (x, &s->part[0], 0, 0, n1) == 0.0,
        "%s: %s: track 1 is not the samples encoded", codec->name, what);
    fail_unless (max_error (x + n1, &s->part[1], 0, 0, total - n1) == 0.0,
        "%s: %s: track 2 is not the samples encoded", codec->name, what);
  }
}

/* The parts alone, measured; and the bounds of check_joint () met by the
 * two files decoded alone, one after the other (what a deck that adds
 * nothing at the joint plays). */
static void
check_codec_alone (guint index)
{
  const Codec *codec = &codecs[index];
  GArray *both;
  Split s;

  if (!have_codec (codec))
    return;
  split_init (&s, codec);
  g_print ("%s: ideal largest step %.6f\n", codec->name,
      ideal_step (codec->rate));
  both = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_array_append_vals (both, s.decoded[0]->data, s.decoded[0]->len);
  g_array_append_vals (both, s.decoded[1]->data, s.decoded[1]->len);
  check_joint (codec, &s, (const gdouble *) both->data, both->len,
      s.decoded[0]->len, "alone, one after the other");
  g_array_unref (both);
  split_clear (&s);
}

GST_START_TEST (test_alone_wav)
{
  check_codec_alone (WAV);
}

GST_END_TEST;

GST_START_TEST (test_alone_flac)
{
  check_codec_alone (FLAC);
}

GST_END_TEST;

GST_START_TEST (test_alone_vorbis)
{
  check_codec_alone (VORBIS);
}

GST_END_TEST;

GST_START_TEST (test_alone_opus)
{
  check_codec_alone (OPUS);
}

GST_END_TEST;

GST_START_TEST (test_alone_mp3_lame_tag)
{
  check_codec_alone (MP3_LAME_TAG);
}

GST_END_TEST;

GST_START_TEST (test_alone_mp3_xingmux)
{
  check_codec_alone (MP3_XINGMUX);
}

GST_END_TEST;

GST_START_TEST (test_alone_aac_avenc)
{
  check_codec_alone (AAC_AVENC);
}

GST_END_TEST;

GST_START_TEST (test_alone_aac_voaacenc)
{
  check_codec_alone (AAC_VOAACENC);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* the deck: part 1, then part 2 from next-uri */

/* The gapless tests need kitharadecode's next-uri property. */
static void
require_next_uri (void)
{
  GstElement *dec = gst_element_factory_make ("kitharadecode", NULL);
  gboolean have;

  fail_unless (dec != NULL);
  have = g_object_class_find_property (G_OBJECT_GET_CLASS (dec),
      "next-uri") != NULL;
  gst_object_unref (dec);
  fail_unless (have, "kitharadecode has no next-uri property: gapless "
      "playback is not implemented");
}

/* "filesrc location=@path1 ! kitharadecode next-uri=@path2's URI !
 * [kithararesample !] appsink caps=@sink_caps", played to EOS.  Checks
 * the property on the way: it reads back as set, and NULL once the deck
 * has moved on; and the one kithara-track-changed message (left in
 * @changes).  Without @path2, the deck plays @path1 alone: no message. */
static void
play_deck (const gchar * path1, const gchar * path2, gboolean resample,
    const gchar * sink_caps, Capture * c, GPtrArray * changes)
{
  GstElement *p = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *dec = gst_element_factory_make ("kitharadecode", "deck");
  GstElement *convert = gst_element_factory_make ("audioconvert", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GstCaps *caps = gst_caps_from_string (sink_caps);
  gchar *uri = path2 ? gst_filename_to_uri (path2, NULL) : NULL;
  gchar *now = NULL;

  fail_unless (src && dec && convert && sink);
  g_object_set (src, "location", path1, NULL);
  if (uri) {
    g_object_set (dec, "next-uri", uri, NULL);
    g_object_get (dec, "next-uri", &now, NULL);
    fail_unless_equals_string (now, uri);
    g_free (now);
  }
  g_object_set (sink, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_bin_add_many (GST_BIN (p), src, dec, sink, NULL);
  if (resample) {
    GstElement *rs = gst_element_factory_make ("kithararesample", NULL);

    /* The resampler makes F32 itself, as resample_pushed () has it. */
    fail_unless (rs != NULL, "kithararesample is not built");
    gst_bin_add (GST_BIN (p), rs);
    fail_unless (gst_element_link_many (src, dec, rs, sink, NULL));
    gst_object_unref (gst_object_ref_sink (convert));
  } else {
    /* audioconvert: as in decode_alone () */
    gst_bin_add (GST_BIN (p), convert);
    fail_unless (gst_element_link_many (src, dec, convert, sink, NULL));
  }
  capture_run (p, sink, c, changes);

  if (uri == NULL) {
    fail_unless_equals_int (changes->len, 0);
    gst_object_unref (p);
    return;
  }

  /* The deck moved on to it: no next track any more. */
  now = NULL;
  g_object_get (dec, "next-uri", &now, NULL);
  fail_unless (now == NULL, "next-uri still reads %s after the change", now);

  /* One track change, from the deck, to the file given. */
  fail_unless_equals_int (changes->len, 1);
  {
    GstMessage *msg = g_ptr_array_index (changes, 0);
    const GstStructure *s = gst_message_get_structure (msg);
    guint track = 0;
    guint64 joint = 0;

    fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (dec),
        "kithara-track-changed from %s", GST_MESSAGE_SRC_NAME (msg));
    fail_unless_equals_string (gst_structure_get_string (s, "uri"), uri);
    fail_unless (gst_structure_get_uint (s, "track", &track));
    fail_unless_equals_int (track, 1);
    fail_unless (gst_structure_get_uint64 (s, "joint", &joint));
  }
  gst_object_unref (p);
  g_free (uri);
}

static guint64
message_joint (GPtrArray * changes)
{
  guint64 joint = 0;

  gst_structure_get_uint64 (gst_message_get_structure (g_ptr_array_index
          (changes, 0)), "joint", &joint);
  return joint;
}

/* Continuity of the timeline: every buffer starts where the one before it
 * ended, within 1 ns (timestamps rounded to the ns), in timestamps and in
 * running time, except at the joint, which may be off by @joint_slack
 * (a resampler's output ends on its own frame grid). */
static void
check_timeline (const Capture * c, GstClockTime joint_slack)
{
  guint t;

  fail_unless (ABS (c->pts_jump) <= 1, "timestamps jump by %"
      G_GINT64_FORMAT " ns inside a track", (gint64) c->pts_jump);
  fail_unless (ABS (c->rt_jump) <= 1, "running time jumps by %"
      G_GINT64_FORMAT " ns inside a track", (gint64) c->rt_jump);
  for (t = 1; t < c->n_tracks; t++) {
    fail_unless ((GstClockTime) ABS (c->joint_pts_jump[t]) <= joint_slack
        + 1, "timestamps jump by %" G_GINT64_FORMAT " ns at the start of "
        "track %u", (gint64) c->joint_pts_jump[t], t);
    fail_unless ((GstClockTime) ABS (c->joint_rt_jump[t]) <= joint_slack
        + 1, "running time jumps by %" G_GINT64_FORMAT " ns at the start "
        "of track %u", (gint64) c->joint_rt_jump[t], t);
  }
}

static gboolean
same_samples (const gdouble * x, gsize n, GArray * samples)
{
  return n == samples->len &&
      memcmp (x, samples->data, n * sizeof (gdouble)) == 0;
}

/* Part 1, then part 2 on one deck: see the top of the file. */
static void
check_gapless (guint index)
{
  const Codec *codec = &codecs[index];
  GPtrArray *changes;
  Capture c;
  Split s;
  guint64 joint, n1;
  gboolean as_alone[2];

  if (!have_codec (codec))
    return;
  split_init (&s, codec);
  require_next_uri ();

  changes = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  play_deck (s.path[0], s.path[1], FALSE, "audio/x-raw,format=F32LE", &c,
      changes);
  joint = message_joint (changes);

  /* Two tracks downstream, the second where the message says. */
  fail_unless_equals_int (c.n_tracks, 2);
  fail_unless_equals_int (c.track_rate[0], codec->rate);
  fail_unless_equals_int (c.track_rate[1], codec->rate);
  check_timeline (&c, 0);
  fail_unless_equals_uint64 (c.track_first_pts[0], 0);
  fail_unless (ABS (GST_CLOCK_DIFF (c.track_end[0], joint)) <= 1,
      "joint %" GST_TIME_FORMAT ", track 1 ended at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (joint), GST_TIME_ARGS (c.track_end[0]));
  fail_unless (ABS (GST_CLOCK_DIFF (c.track_first_pts[1], joint)) <= 1,
      "joint %" GST_TIME_FORMAT ", track 2 started at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (joint), GST_TIME_ARGS (c.track_first_pts[1]));
  /* The joint is track 1's frames, in time, as alone (see
   * check_alone ()). */
  n1 = c.track_start[1];
  if (codec->delay == 0)
    fail_unless (ABS (GST_CLOCK_DIFF (gst_util_uint64_scale_int (n1,
                    GST_SECOND, codec->rate), joint)) <=
        (GstClockTimeDiff) (GST_SECOND / codec->rate / 2),
        "joint %" GST_TIME_FORMAT " after %" G_GUINT64_FORMAT " frames",
        GST_TIME_ARGS (joint), n1);
  as_alone[0] = same_samples (SAMPLES (&c), n1, s.decoded[0]);
  as_alone[1] = same_samples (SAMPLES (&c) + n1, N_SAMPLES (&c) - n1,
      s.decoded[1]);
  g_print ("%s, on one deck: joint %" GST_TIME_FORMAT "; track 1 the "
      "samples of part 1 alone: %s, track 2 of part 2 alone: %s\n",
      codec->name, GST_TIME_ARGS (joint), as_alone[0] ? "yes" : "no",
      as_alone[1] ? "yes" : "no");

  check_joint (codec, &s, SAMPLES (&c), N_SAMPLES (&c), n1, "on one deck");

  g_ptr_array_unref (changes);
  capture_clear (&c);
  split_clear (&s);
}

GST_START_TEST (test_gapless_wav)
{
  check_gapless (WAV);
}

GST_END_TEST;

GST_START_TEST (test_gapless_flac)
{
  check_gapless (FLAC);
}

GST_END_TEST;

GST_START_TEST (test_gapless_vorbis)
{
  check_gapless (VORBIS);
}

GST_END_TEST;

GST_START_TEST (test_gapless_opus)
{
  check_gapless (OPUS);
}

GST_END_TEST;

GST_START_TEST (test_gapless_mp3_lame_tag)
{
  check_gapless (MP3_LAME_TAG);
}

GST_END_TEST;

GST_START_TEST (test_gapless_mp3_xingmux)
{
  check_gapless (MP3_XINGMUX);
}

GST_END_TEST;

GST_START_TEST (test_gapless_aac_avenc)
{
  check_gapless (AAC_AVENC);
}

GST_END_TEST;


/* ------------------------------------------------------------------ */
/* 44.1 kHz, then 48 kHz, through kithararesample */

#define RATE_1 44100
#define RATE_2 48000

/* The sine split at 44.1 kHz, part 2 going on at 48 kHz. */
static void
rate_change_parts (Part part[2])
{
  guint64 n1 = SPLIT (RATE_1);

  part_init (&part[0], RATE_1, 0.0, 0, n1);
  part_init (&part[1], RATE_2, (gdouble) n1 / RATE_1, 0, SECOND_PART (RATE_2));
}

/* The whole sine at the output (48 kHz) rate, where track 1 ends on the
 * resampler's frame grid (@n1 frames) and track 2 starts on its own. */
static gdouble
rate_change_ideal (const Part part[2], guint64 n1, guint64 k)
{
  gdouble t = k < n1 ? (gdouble) k / RATE_2 : part[1].t0 +
      (gdouble) (k - n1) / RATE_2;

  return AMPLITUDE * 32767.0 / 32768.0 * sin (2.0 * G_PI * FREQ * t);
}

typedef struct
{
  guint64 frames, n1;           /* output, of them track 1 */
  gdouble step;                 /* the largest near the joint */
  gdouble error;                /* max |output - ideal| near the joint */
  gdouble error_middle;         /* the same away from the joint */
  GArray *samples;              /* the output */
} Transition;

static void
measure_transition (const Capture * c, const Part part[2], guint64 n1,
    Transition * tr)
{
  const gdouble *x = SAMPLES (c);
  gsize n = N_SAMPLES (c), k;
  gsize from = n1 > JOINT_WINDOW ? n1 - JOINT_WINDOW : 0;
  gsize to = MIN (n1 + JOINT_WINDOW, n);

  tr->frames = n;
  tr->n1 = n1;
  tr->samples = g_array_ref (c->samples);
  tr->step = largest_step (x, from, to);
  tr->error = tr->error_middle = 0.0;
  for (k = 0; k < n; k++) {
    gdouble e = fabs (x[k] - rate_change_ideal (part, n1, k));

    /* (the converter's start, from silence, is not the joint's) */
    if (k >= from && k < to)
      tr->error = MAX (tr->error, e);
    else if (k >= JOINT_WINDOW && k + JOINT_WINDOW < n)
      tr->error_middle = MAX (tr->error_middle, e);
  }
}

/* The parts pushed by two appsrcs into concat, in F32 as the deck
 * decodes WAV and FLAC, in buffers of @chunk frames, through
 * "kithararesample ! appsink caps=F32LE at 48 kHz": what the resampler
 * does at a track change from 44.1 to 48 kHz, with no deck.  concat
 * gives downstream what the deck gives at a joint (a stream-start, new
 * caps, a segment whose running time goes on), except that part 2's
 * timestamps start again from 0 (its segment's base moves instead). */
static void
resample_pushed (const Part part[2], guint chunk, Capture * c)
{
  GstElement *p = kc_parse ("concat name=cat ! kithararesample ! appsink "
      "name=sink caps=audio/x-raw,format=F32LE,rate=48000 "
      "appsrc name=src0 format=time ! cat. "
      "appsrc name=src1 format=time ! cat.");
  guint i;
  guint64 j;

  for (i = 0; i < 2; i++) {
    gchar *name = g_strdup_printf ("src%u", i);
    GstElement *src = kc_child (p, name);
    GstCaps *caps = mono_caps ("F32LE", part[i].rate);
    gfloat *f = g_new (gfloat, part[i].frames);

    for (j = 0; j < part[i].frames; j++)
      f[j] = (gfloat) part[i].ideal[j];
    gst_app_src_set_caps (GST_APP_SRC (src), caps);
    push_samples (src, "F32LE", part[i].rate, f, part[i].frames, 0, chunk);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    gst_caps_unref (caps);
    g_free (f);
    g_free (name);
  }
  capture_run (p, kc_child (p, "sink"), c, NULL);
  fail_unless_equals_int (c->n_tracks, 2);
  gst_object_unref (p);
}

/* The resampler's output for the two parts pushed, measured: N1 frames
 * at 44.1 kHz give round (N1 x 48000 / 44100) frames, then part 2 passes
 * through.  The same in buffers of another size: the transition does not
 * depend on them.
 *
 * At the caps change the resampler drains its converter with silence:
 * the last output frames of track 1 are the band-limited sine cut off
 * after its last input frame (the converter's ringing), and track 2 passes
 * through from its first frame.  That transition is the resampler's own;
 * it is measured here (largest step and error near the joint), and held
 * to a tenth of the amplitude: a gap or an overlap of even one input
 * frame would be far more.
 *
 * Also printed: how many frames of track 1 come out after track 2's
 * stream-start.  kithararesample passes a stream-start on at once and
 * drains at the caps that follow it, so the converter's tail of track 1
 * follows track 2's stream-start; the deck's test holds it to none. */
static void
measure_resampled_joint (const Part part[2], Transition * tr)
{
  guint64 n1 = gst_util_uint64_scale_int_round (part[0].frames, RATE_2,
      RATE_1);
  Capture c, other;
  Transition tr_other;

  resample_pushed (part, 4096, &c);
  resample_pushed (part, 1001, &other);
  measure_transition (&c, part, n1, tr);
  measure_transition (&other, part, n1, &tr_other);
  g_print ("44.1 -> 48 kHz through kithararesample, pushed: %"
      G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " frames in, %"
      G_GUINT64_FORMAT " out (%" G_GUINT64_FORMAT " of track 1, %"
      G_GINT64_FORMAT " of them after track 2's stream-start); near the "
      "joint largest step %.6f (ideal %.6f), max |error| %.6f (elsewhere "
      "%.6f); in buffers of 1001 frames: step %.6f, error %.6f\n",
      part[0].frames, part[1].frames, tr->frames, n1,
      (gint64) n1 - (gint64) c.track_start[1], tr->step,
      ideal_step (RATE_2), tr->error, tr->error_middle, tr_other.step,
      tr_other.error);

  fail_unless_equals_uint64 (tr->frames, n1 + part[1].frames);
  fail_unless_equals_uint64 (tr_other.frames, tr->frames);
  fail_unless (fabs (tr->step - tr_other.step) < 1e-6 &&
      fabs (tr->error - tr_other.error) < 1e-6,
      "the transition depends on the buffer size: %.6f, %.6f", tr->step,
      tr_other.step);
  fail_unless (tr->error_middle < 1e-3);
  fail_unless (tr->error < 0.1 * AMPLITUDE, "error %.6f at the joint",
      tr->error);
  g_array_unref (tr_other.samples);
  capture_clear (&c);
  capture_clear (&other);
}

GST_START_TEST (test_resampled_track_change_pushed)
{
  Part part[2];
  Transition tr;

  rate_change_parts (part);
  measure_resampled_joint (part, &tr);
  g_array_unref (tr.samples);
  part_clear (&part[0]);
  part_clear (&part[1]);
}

GST_END_TEST;

/* Part 1 at 44.1 kHz, then part 2 at 48 kHz, on one deck through
 * "kithararesample ! appsink caps=F32LE at 48 kHz".  First part 1 alone
 * on the deck, through the same chain (works without next-uri): the
 * output is the pushed part 1's, sample for sample. */
static void
check_gapless_rate_change (guint index)
{
  static const gchar *const resampler[] = { "kithararesample" };
  static const gchar *const caps = "audio/x-raw,format=F32LE,rate=48000";
  const Codec *codec = &codecs[index];
  GPtrArray *changes;
  Part part[2];
  gchar *path[2];
  Transition pushed, tr;
  Capture c;
  guint64 joint, n1;
  GstClockTime frame = gst_util_uint64_scale_int (1, GST_SECOND, RATE_2);
  guint i;

  if (!have_codec (codec) || !have_elements (resampler, 1))
    return;
  rate_change_parts (part);
  for (i = 0; i < 2; i++) {
    gchar *name = g_strdup_printf ("%s%s", i ? "2" : "", codec->file);

    path[i] = encode_part (codec, &part[i], name);
    g_free (name);
  }
  measure_resampled_joint (part, &pushed);
  changes = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);

  play_deck (path[0], NULL, TRUE, caps, &c, changes);
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&c.info),
      GST_AUDIO_FORMAT_F32LE);
  fail_unless_equals_uint64 (N_SAMPLES (&c), pushed.n1);
  fail_unless (memcmp (SAMPLES (&c), pushed.samples->data,
          pushed.n1 * sizeof (gdouble)) == 0,
      "%s: part 1 on the deck is not part 1 pushed", codec->name);
  capture_clear (&c);

  require_next_uri ();
  play_deck (path[0], path[1], TRUE, caps, &c, changes);
  joint = message_joint (changes);
  fail_unless_equals_int (c.n_tracks, 2);
  n1 = c.track_start[1];
  measure_transition (&c, part, pushed.n1, &tr);
  g_print ("%s, 44.1 -> 48 kHz on the deck through kithararesample: %"
      G_GUINT64_FORMAT " frames out (%" G_GUINT64_FORMAT " of track 1), "
      "joint %" GST_TIME_FORMAT "; near the joint largest step %.6f, max "
      "|error| %.6f (pushed: %.6f, %.6f); the pushed samples: %s\n",
      codec->name, tr.frames, n1, GST_TIME_ARGS (joint), tr.step, tr.error,
      pushed.step, pushed.error, tr.frames == pushed.frames &&
      memcmp (SAMPLES (&c), pushed.samples->data,
          tr.frames * sizeof (gdouble)) == 0 ? "yes" : "no");

  /* All of track 1 before track 2's stream-start (see
   * measure_resampled_joint ()). */
  fail_unless (n1 == pushed.n1, "%s: %" G_GINT64_FORMAT " frames of "
      "track 1 after track 2's stream-start", codec->name,
      (gint64) pushed.n1 - (gint64) n1);
  /* Where track 1 ends: part 1's duration, within the nanosecond its
   * parser rounds a buffer's timestamp and duration to; downstream of the
   * resampler, on its 48 kHz grid (within half a frame), and track 2
   * starts there. */
  fail_unless (ABS (GST_CLOCK_DIFF (gst_util_uint64_scale_int
              (part[0].frames, GST_SECOND, RATE_1), joint)) <= 1,
      "joint %" GST_TIME_FORMAT, GST_TIME_ARGS (joint));
  fail_unless (ABS (GST_CLOCK_DIFF (c.track_first_pts[1], joint)) <= 1,
      "joint %" GST_TIME_FORMAT ", track 2 started at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (joint), GST_TIME_ARGS (c.track_first_pts[1]));
  fail_unless ((GstClockTime) ABS (GST_CLOCK_DIFF (c.track_end[0], joint))
      <= frame / 2 + 1, "joint %" GST_TIME_FORMAT ", track 1 ended at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (joint), GST_TIME_ARGS (c.track_end[0]));
  check_timeline (&c, frame / 2);
  fail_unless_equals_uint64 (c.track_first_pts[0], 0);

  /* The length and the joint are the resampler's on the parts pushed:
   * the deck adds no gap, no overlap and no step of its own. */
  fail_unless_equals_uint64 (tr.frames, pushed.frames);
  fail_unless (tr.step <= pushed.step + 1e-6, "%s: a step of %.6f at the "
      "joint, the resampler's own is %.6f", codec->name, tr.step, pushed.step);
  fail_unless (tr.error <= pushed.error + 1e-6, "%s: error %.6f at the "
      "joint, the resampler's own is %.6f", codec->name, tr.error,
      pushed.error);

  g_ptr_array_unref (changes);
  g_array_unref (tr.samples);
  g_array_unref (pushed.samples);
  capture_clear (&c);
  for (i = 0; i < 2; i++) {
    part_clear (&part[i]);
    g_free (path[i]);
  }
}

GST_START_TEST (test_gapless_rate_change_wav)
{
  check_gapless_rate_change (WAV);
}

GST_END_TEST;

GST_START_TEST (test_gapless_rate_change_flac)
{
  check_gapless_rate_change (FLAC);
}

GST_END_TEST;

/* Both tracks at 44.1 kHz through "kithararesample ! 48 kHz": the
 * resampler goes on across the joint (no drain, no fresh filter), so the
 * output is sample for sample what it makes of the whole sine in one
 * file.  A converter restarted at the joint would fade out and in there
 * over its filter length. */
static void
check_gapless_same_rate_resampled (guint index)
{
  static const gchar *const resampler[] = { "kithararesample" };
  static const gchar *const caps = "audio/x-raw,format=F32LE,rate=48000";
  const Codec *codec = &codecs[index];
  guint64 n1 = SPLIT (RATE_1), n2 = SECOND_PART (RATE_1);
  GPtrArray *changes;
  Part part[2], whole;
  gchar *path[2], *whole_path;
  Capture joined, alone;
  guint i;

  if (!have_codec (codec) || !have_elements (resampler, 1))
    return;
  part_init (&part[0], RATE_1, 0.0, 0, n1);
  part_init (&part[1], RATE_1, 0.0, n1, n2);
  part_init (&whole, RATE_1, 0.0, 0, n1 + n2);
  for (i = 0; i < 2; i++) {
    gchar *name = g_strdup_printf ("%s%s", i ? "2" : "", codec->file);

    path[i] = encode_part (codec, &part[i], name);
    g_free (name);
  }
  {
    gchar *name = g_strdup_printf ("whole-%s", codec->file);

    whole_path = encode_part (codec, &whole, name);
    g_free (name);
  }
  changes = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  play_deck (whole_path, NULL, TRUE, caps, &alone, changes);
  play_deck (path[0], path[1], TRUE, caps, &joined, changes);

  g_print ("%s, 44.1 -> 48 kHz, both tracks at 44.1 kHz: %u frames out, "
      "the whole file's %u\n", codec->name, joined.samples->len,
      alone.samples->len);
  fail_unless_equals_int (joined.samples->len, alone.samples->len);
  fail_unless (memcmp (joined.samples->data, alone.samples->data,
          alone.samples->len * sizeof (gdouble)) == 0,
      "%s: the joined tracks resample otherwise than the whole file",
      codec->name);

  capture_clear (&joined);
  capture_clear (&alone);
  g_ptr_array_unref (changes);
  for (i = 0; i < 2; i++) {
    g_free (path[i]);
    part_clear (&part[i]);
  }
  g_free (whole_path);
  part_clear (&whole);
}

GST_START_TEST (test_gapless_same_rate_resampled_wav)
{
  check_gapless_same_rate_resampled (WAV);
}

GST_END_TEST;

GST_START_TEST (test_gapless_same_rate_resampled_flac)
{
  check_gapless_same_rate_resampled (FLAC);
}

GST_END_TEST;

static Suite *
kitharagapless_suite (void)
{
  Suite *s = suite_create ("kitharagapless");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  /* the parts alone: pass without next-uri */
  tcase_add_test (tc, test_alone_wav);
  tcase_add_test (tc, test_alone_flac);
  tcase_add_test (tc, test_alone_vorbis);
  tcase_add_test (tc, test_alone_opus);
  tcase_add_test (tc, test_alone_mp3_lame_tag);
  tcase_add_test (tc, test_alone_mp3_xingmux);
  tcase_add_test (tc, test_alone_aac_avenc);
  tcase_add_test (tc, test_alone_aac_voaacenc);
  tcase_add_test (tc, test_resampled_track_change_pushed);
  /* on one deck: need next-uri */
  tcase_add_test (tc, test_gapless_wav);
  tcase_add_test (tc, test_gapless_flac);
  tcase_add_test (tc, test_gapless_vorbis);
  tcase_add_test (tc, test_gapless_opus);
  tcase_add_test (tc, test_gapless_mp3_lame_tag);
  tcase_add_test (tc, test_gapless_mp3_xingmux);
  tcase_add_test (tc, test_gapless_aac_avenc);
  tcase_add_test (tc, test_gapless_rate_change_wav);
  tcase_add_test (tc, test_gapless_rate_change_flac);
  tcase_add_test (tc, test_gapless_same_rate_resampled_wav);
  tcase_add_test (tc, test_gapless_same_rate_resampled_flac);
  return s;
}

KITHARA_CHECK_MAIN (kitharagapless);
