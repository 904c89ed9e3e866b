/* kitharadecode tests: output equal to decodebin's (WAV, FLAC, MP3, Ogg
 * Vorbis and Opus), chained Ogg, streams beside the decoded one, no
 * upstream thread, seeking and where a seek lands (the
 * kithara-seek-landed message, position queries), bad input, Opus
 * pre-skip; decoders chosen
 * as decodebin chooses them (MP3 behind ID3v2 and ID3v1 tags, in
 * Matroska, behind a queue: with gstreamer1.0-libav, whose MP3 decoders
 * rank as high as mpg123's; the next decoder tried when one cannot start
 * or refuses the caps), the messages of the private chain relayed from
 * their source, audio-stream picking the N-th of two streams, and the
 * property refused while running.
 *
 * Every input file is made by the test itself with GStreamer's encoders
 * (wavenc, flacenc, lamemp3enc, vorbisenc, opusenc, theoraenc, oggmux,
 * id3v2mux, matroskamux); a case whose encoder or muxer is not
 * installed says so and is skipped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <gst/pbutils/pbutils.h>
#include <glib/gstdio.h>
#include <string.h>

#include "../kitharacheck.h"

static gchar *tmp_dir = NULL;

static void
setup (void)
{
  tmp_dir = kc_tmp_dir_new ("kitharadecode-XXXXXX");
}

static void
teardown (void)
{
  kc_tmp_dir_remove (g_steal_pointer (&tmp_dir));
}

static void
run_pipeline (const gchar * description)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (description, &err);
  GstMessage *msg;

  fail_unless (p != NULL, "%s: %s", description, err ? err->message : "");
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

/* Encodes @n_buffers of 1024 samples of a chirp-like tone. */
static gchar *
make_file (const gchar * name, const gchar * caps, const gchar * encode,
    guint n_buffers)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u wave=sine "
      "freq=523 volume=0.6 ! %s ! audioconvert ! %s ! filesink "
      "location=\"%s\"", n_buffers,
      caps, encode, path);

  run_pipeline (desc);
  g_free (desc);
  return path;
}

static gchar *
write_file (const gchar * name, const guint8 * data, gsize size)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);

  fail_unless (g_file_set_contents (path, (const gchar *) data, size, NULL));
  return path;
}

#define MAX_PARTS 4

typedef struct
{
  GByteArray *data;
  GstAudioInfo info;
  guint caps_changes;
  GstClockTime first_pts;
  /* Where each format's samples start in @data, and the format. */
  guint part_offset[MAX_PARTS];
  GstAudioInfo part_info[MAX_PARTS];
} Decoded;

static void
decoded_clear (Decoded * d)
{
  g_byte_array_unref (d->data);
}

/* Collects every sample on the streaming thread. */
static GstFlowReturn
collect_sample (GstAppSink * sink, gpointer user_data)
{
  Decoded *out = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  GstAudioInfo info;
  GstMapInfo map;

  fail_unless (gst_audio_info_from_caps (&info, caps));
  if (out->caps_changes == 0 || !gst_audio_info_is_equal (&info, &out->info)) {
    if (out->caps_changes < MAX_PARTS) {
      out->part_offset[out->caps_changes] = out->data->len;
      out->part_info[out->caps_changes] = info;
    }
    out->caps_changes++;
    out->info = info;
  }
  if (!GST_CLOCK_TIME_IS_VALID (out->first_pts))
    out->first_pts = GST_BUFFER_PTS (buf);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (out->data, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* Plays @p (its appsink is "sink") to EOS or error, collecting
 * everything. */
static gboolean
run_to_end (GstElement * p, Decoded * out, GError ** error)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  GstAppSinkCallbacks callbacks = { NULL, NULL, collect_sample };
  GstMessage *msg;
  gboolean ok = TRUE;

  memset (out, 0, sizeof (*out));
  out->data = g_byte_array_new ();
  out->first_pts = GST_CLOCK_TIME_NONE;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, out, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, error, NULL);
    ok = FALSE;
  }
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  return ok;
}

/* "filesrc ! @decoder ! appsink": the decoder can pull. */
static gboolean
decode_file (const gchar * path, const gchar * decoder, Decoded * out,
    GError ** error)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! "
      "appsink name=sink sync=false", path, decoder);
  GstElement *p = gst_parse_launch (desc, NULL);

  g_free (desc);
  return run_to_end (p, out, error);
}

/* "appsrc ! @decoder ! appsink", the file pushed in 4 KiB buffers as by
 * a live network source (no size, no seeking, no pull mode). */
static gboolean
decode_pushed (const gchar * path, const gchar * decoder, Decoded * out,
    GError ** error)
{
  gchar *desc = g_strdup_printf ("appsrc name=src max-bytes=0 ! %s ! "
      "appsink name=sink sync=false", decoder);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  gchar *contents;
  gsize size, pos;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  for (pos = 0; pos < size; pos += 4096) {
    gsize n = MIN (4096, size - pos);

    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src),
            gst_buffer_new_memdup (contents + pos, n)), GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  g_free (contents);
  g_free (desc);
  return run_to_end (p, out, error);
}

/* @path decoded by @ours ("kitharadecode", "queue ! kitharadecode") is
 * what decodebin decodes of it, sample for sample. */
static void
check_decodes_as_decodebin (const gchar * path, const gchar * ours)
{
  Decoded mine, theirs;
  GError *err = NULL;

  fail_unless (decode_file (path, ours, &mine, &err), "%s: %s: %s", path,
      ours, err ? err->message : "");
  fail_unless (decode_file (path, "decodebin", &theirs, NULL));
  GST_INFO ("%s: %u bytes (%s) vs %u (decodebin)", path, mine.data->len,
      ours, theirs.data->len);
  fail_unless (mine.data->len > 0, "%s: %s decoded nothing", path, ours);
  fail_unless (gst_audio_info_is_equal (&mine.info, &theirs.info),
      "%s: formats differ", path);
  fail_unless_equals_int (mine.data->len, theirs.data->len);
  fail_unless (memcmp (mine.data->data, theirs.data->data,
          mine.data->len) == 0, "%s: samples differ", path);
  decoded_clear (&mine);
  decoded_clear (&theirs);
}

static void
check_same_as_decodebin (const gchar * name, const gchar * caps,
    const gchar * encode)
{
  gchar *path = make_file (name, caps, encode, 200);

  check_decodes_as_decodebin (path, "kitharadecode");
  g_free (path);
}

/* Whether the elements named (up to NULL) are installed; the missing
 * ones are named, for the case that needs them is skipped. */
static gboolean
have_elements (const gchar * first, ...)
{
  const gchar *name;
  gboolean all = TRUE;
  va_list args;

  va_start (args, first);
  for (name = first; name; name = va_arg (args, const gchar *)) {
    GstElementFactory *factory = gst_element_factory_find (name);

    if (factory == NULL) {
      g_print ("%s is not installed: case skipped\n", name);
      all = FALSE;
    }
    gst_clear_object (&factory);
  }
  va_end (args);
  return all;
}

#define S16_STEREO "audio/x-raw,format=S16LE,rate=44100,channels=2"

GST_START_TEST (test_wav_bit_exact)
{
  gchar *path = make_file ("a.wav", S16_STEREO, "wavenc", 200);
  Decoded ours;

  check_same_as_decodebin ("b.wav", S16_STEREO, "wavenc");
  /* And equal to what was encoded: 200 buffers of 1024 stereo frames. */
  fail_unless (decode_file (path, "kitharadecode", &ours, NULL));
  fail_unless_equals_int (ours.data->len, 200 * 1024 * 4);
  fail_unless_equals_uint64 (ours.first_pts, 0);
  decoded_clear (&ours);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_flac_bit_exact)
{
  check_same_as_decodebin ("a.flac", S16_STEREO, "flacenc");
}

GST_END_TEST;

GST_START_TEST (test_mp3_same_as_decodebin)
{
  check_same_as_decodebin ("a.mp3", S16_STEREO, "lamemp3enc");
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* MP3 as most files have it.  Behind a tag or in a container, the
 * parser's pad is exposed before it has read a frame: its caps still span
 * layers 1 to 3, and every libav MPEG audio decoder ranks marginal as
 * mpg123's does, avdec_mp1float first by name.  The decoder must be
 * chosen from the fixed caps, as decodebin does. */

#define MP3_TAGGED "lamemp3enc ! taginject tags=\"title=kithara\""

static gchar *
make_id3v2_mp3 (void)
{
  return make_file ("v2.mp3", S16_STEREO, MP3_TAGGED " ! id3v2mux", 200);
}

GST_START_TEST (test_mp3_id3v2_same_as_decodebin)
{
  gchar *path, *contents;
  gsize size;

  if (!have_elements ("lamemp3enc", "taginject", "id3v2mux", NULL))
    return;
  path = make_id3v2_mp3 ();
  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  fail_unless (size > 10 && memcmp (contents, "ID3", 3) == 0);
  check_decodes_as_decodebin (path, "kitharadecode");
  g_free (contents);
  g_free (path);
}

GST_END_TEST;

/* The tag at the end of the file only: ID3v1 is 128 bytes after the
 * last frame, "TAG", then title, artist and album (30 bytes each), year
 * (4), comment (30) and genre (1); written here, as a tagger would. */
GST_START_TEST (test_mp3_id3v1_same_as_decodebin)
{
  gchar *plain, *path, *contents;
  guint8 tag[128] = { 'T', 'A', 'G' };
  GByteArray *file;
  gsize size;

  if (!have_elements ("lamemp3enc", NULL))
    return;
  plain = make_file ("plain.mp3", S16_STEREO, "lamemp3enc", 200);
  fail_unless (g_file_get_contents (plain, &contents, &size, NULL));
  memcpy (tag + 3, "kithara", 7);
  memcpy (tag + 93, "2026", 4);
  tag[127] = 12;                /* "Other" */
  file = g_byte_array_new_take ((guint8 *) contents, size);
  g_byte_array_append (file, tag, sizeof (tag));
  path = write_file ("v1.mp3", file->data, file->len);
  check_decodes_as_decodebin (path, "kitharadecode");
  g_byte_array_unref (file);
  g_free (path);
  g_free (plain);
}

GST_END_TEST;

GST_START_TEST (test_mp3_in_matroska_same_as_decodebin)
{
  if (!have_elements ("lamemp3enc", "mpegaudioparse", "matroskamux", NULL))
    return;
  check_same_as_decodebin ("a.mkv", S16_STEREO,
      "lamemp3enc ! mpegaudioparse ! matroskamux");
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Decoders that fail to plug, ranked above every real decoder of MPEG
 * audio: one cannot start (posting an error, as a decoder whose library
 * fails to initialise), the other refuses the stream's caps.  Each is
 * tried and passed over for the next, as decodebin does, the error held
 * back. */

static GstStaticPadTemplate fake_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/mpeg"));
static GstStaticPadTemplate fake_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw"));

static void
fake_decoder_add_pads (GstElement * element, GstPadEventFunction sink_event)
{
  GstPad *sink = gst_pad_new_from_static_template (&fake_sink_template,
      "sink");

  if (sink_event)
    gst_pad_set_event_function (sink, sink_event);
  gst_element_add_pad (element, sink);
  gst_element_add_pad (element,
      gst_pad_new_from_static_template (&fake_src_template, "src"));
}

static void
fake_decoder_class_setup (GstElementClass * klass, const gchar * name)
{
  gst_element_class_add_static_pad_template (klass, &fake_sink_template);
  gst_element_class_add_static_pad_template (klass, &fake_src_template);
  gst_element_class_set_static_metadata (klass, name, "Codec/Decoder/Audio",
      "Fails to plug (kitharadecode test)", "Kithara developers");
}

typedef GstElement BrokenDecoder;
typedef GstElementClass BrokenDecoderClass;
GType broken_decoder_get_type (void);
G_DEFINE_TYPE (BrokenDecoder, broken_decoder, GST_TYPE_ELEMENT);

static GstStateChangeReturn
broken_decoder_change_state (GstElement * element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    GST_ELEMENT_ERROR (element, LIBRARY, INIT, ("Test decoder cannot start."),
        (NULL));
    return GST_STATE_CHANGE_FAILURE;
  }
  return GST_ELEMENT_CLASS (broken_decoder_parent_class)->change_state
      (element, transition);
}

static void
broken_decoder_init (BrokenDecoder * self)
{
  fake_decoder_add_pads (self, NULL);
}

static void
broken_decoder_class_init (BrokenDecoderClass * klass)
{
  fake_decoder_class_setup (klass, "Broken test decoder");
  klass->change_state = broken_decoder_change_state;
}

typedef GstElement RefusingDecoder;
typedef GstElementClass RefusingDecoderClass;
GType refusing_decoder_get_type (void);
G_DEFINE_TYPE (RefusingDecoder, refusing_decoder, GST_TYPE_ELEMENT);

static gboolean
refusing_decoder_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static void
refusing_decoder_init (RefusingDecoder * self)
{
  fake_decoder_add_pads (self, refusing_decoder_event);
}

static void
refusing_decoder_class_init (RefusingDecoderClass * klass)
{
  fake_decoder_class_setup (klass, "Refusing test decoder");
}

static void
rank_fake_decoder (const gchar * name, GType type, guint rank)
{
  GstPluginFeature *feature;

  fail_unless (gst_element_register (NULL, name, rank, type));
  /* (registering again keeps the first rank) */
  feature = gst_registry_lookup_feature (gst_registry_get (), name);
  gst_plugin_feature_set_rank (feature, rank);
  gst_object_unref (feature);
}

/* Ranked first, or out of the way again (a test run without fork keeps
 * them registered). */
static void
rank_fake_decoders (guint rank)
{
  rank_fake_decoder ("kitharatestbroken", broken_decoder_get_type (), rank);
  rank_fake_decoder ("kitharatestrefusing", refusing_decoder_get_type (),
      rank ? rank + 1 : rank);
}

GST_START_TEST (test_next_decoder_after_failures)
{
  gchar *path = make_file ("f.mp3", S16_STEREO, "lamemp3enc", 100);
  Decoded converted, theirs;
  GError *err = NULL;

  rank_fake_decoders (GST_RANK_PRIMARY + 100);
  check_decodes_as_decodebin (path, "kitharadecode");

  /* Through audioconvert (downstream asks for mono S16): what the
   * refusing candidate passed on before it failed (the stream-start) is
   * not passed on again, and still goes downstream before the data. */
  fail_unless (decode_file (path, "kitharadecode ! "
          "audio/x-raw,format=S16LE,channels=1", &converted, &err), "%s",
      err ? err->message : "");
  fail_unless (decode_file (path, "decodebin", &theirs, NULL));
  fail_unless_equals_int (converted.data->len /
      GST_AUDIO_INFO_BPF (&converted.info),
      theirs.data->len / GST_AUDIO_INFO_BPF (&theirs.info));

  rank_fake_decoders (GST_RANK_NONE);
  decoded_clear (&converted);
  decoded_clear (&theirs);
  g_free (path);
}

GST_END_TEST;

/* Pushed through a queue (no pull mode): all of it, as decodebin pulls
 * it. */
GST_START_TEST (test_mp3_id3v2_behind_queue)
{
  gchar *path;

  if (!have_elements ("lamemp3enc", "taginject", "id3v2mux", NULL))
    return;
  path = make_id3v2_mp3 ();
  check_decodes_as_decodebin (path, "queue ! kitharadecode");
  g_free (path);
}

GST_END_TEST;

/* Ogg: the last packet is trimmed to the end granule, as decodebin does. */
GST_START_TEST (test_vorbis_same_as_decodebin)
{
  check_same_as_decodebin ("a.ogg", S16_STEREO, "vorbisenc ! oggmux");
}

GST_END_TEST;

GST_START_TEST (test_opus_same_as_decodebin)
{
  check_same_as_decodebin ("a.opus", "audio/x-raw,format=S16LE,rate=48000,"
      "channels=2", "opusenc ! oggmux");
}

GST_END_TEST;

typedef gboolean (*DecodeFunc) (const gchar * path, const gchar * decoder,
    Decoded * out, GError ** error);

/* The samples of one part of a chained decode are those of the part
 * decoded alone (by decodebin, fed the same way), and all of them;
 * @trimmed: the last packet is cut to the end granule (pull mode). */
static void
check_part (Decoded * chained, guint part, Decoded * alone, guint frames,
    gboolean trimmed)
{
  guint start = chained->part_offset[part];
  guint end = part + 1 < chained->caps_changes ?
      chained->part_offset[part + 1] : chained->data->len;
  guint bpf = GST_AUDIO_INFO_BPF (&alone->info);

  fail_unless (gst_audio_info_is_equal (&chained->part_info[part],
          &alone->info), "part %u: formats differ", part);
  /* Nothing is lost.  Trimmed, the end is the last granule (or one
   * sample more: the decoder clips by time); untrimmed, the last packet's
   * padding (at most a long Vorbis block) is kept. */
  fail_unless (alone->data->len / bpf >= frames &&
      alone->data->len / bpf <= frames + (trimmed ? 1 : 2048),
      "part %u: %u frames encoded, %u decoded alone", part, frames,
      alone->data->len / bpf);
  fail_unless_equals_int (end - start, alone->data->len);
  fail_unless (memcmp (chained->data->data + start, alone->data->data,
          alone->data->len) == 0, "part %u: samples differ", part);
}

/* Two logical Ogg streams one after the other (a chained file, as an
 * Internet radio serves them), the second at another rate: both are
 * decoded completely, each equal to the part decoded alone by decodebin,
 * and downstream sees the format change between them. */
static void
check_chained_ogg (DecodeFunc decode, gboolean trimmed)
{
  gchar *first = make_file ("c1.ogg", S16_STEREO, "vorbisenc ! oggmux", 120);
  gchar *second = make_file ("c2.ogg",
      "audio/x-raw,format=S16LE,rate=48000,channels=2", "vorbisenc ! oggmux",
      90);
  gchar *a, *b, *path;
  gsize a_size, b_size;
  GByteArray *both = g_byte_array_new ();
  Decoded ours, ref1, ref2;

  fail_unless (g_file_get_contents (first, &a, &a_size, NULL));
  fail_unless (g_file_get_contents (second, &b, &b_size, NULL));
  g_byte_array_append (both, (guint8 *) a, a_size);
  g_byte_array_append (both, (guint8 *) b, b_size);
  path = write_file ("chained.ogg", both->data, both->len);

  fail_unless (decode (first, "decodebin", &ref1, NULL));
  fail_unless (decode (second, "decodebin", &ref2, NULL));
  fail_unless (decode (path, "kitharadecode", &ours, NULL));

  fail_unless_equals_int (ours.caps_changes, 2);
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&ours.part_info[0]), 44100);
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&ours.part_info[1]), 48000);
  check_part (&ours, 0, &ref1, 120 * 1024, trimmed);
  check_part (&ours, 1, &ref2, 90 * 1024, trimmed);

  decoded_clear (&ours);
  decoded_clear (&ref1);
  decoded_clear (&ref2);
  g_byte_array_unref (both);
  g_free (a);
  g_free (b);
  g_free (path);
  g_free (first);
  g_free (second);
}

GST_START_TEST (test_chained_ogg)
{
  check_chained_ogg (decode_file, TRUE);
}

GST_END_TEST;

/* The same pushed (no pull mode, no seeking): parts end where the stream
 * says, each part's last packet untrimmed as under decodebin. */
GST_START_TEST (test_chained_ogg_pushed)
{
  check_chained_ogg (decode_pushed, FALSE);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static guint
threads_while_running (const gchar * path, const gchar * chain, guint n)
{
  GstElement **p = g_new0 (GstElement *, n);
  guint i, threads;

  for (i = 0; i < n; i++) {
    gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! "
        "fakesink sync=false async=false", path, chain);

    p[i] = gst_parse_launch (desc, NULL);
    fail_unless (p[i] != NULL);
    g_free (desc);
  }
  for (i = 0; i < n; i++)
    gst_element_set_state (p[i], GST_STATE_PLAYING);
  threads = count_threads ();
  for (i = 0; i < n; i++) {
    GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p[i]),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
    gst_message_unref (msg);
    threads = MAX (threads, count_threads ());
  }
  for (i = 0; i < n; i++) {
    gst_element_set_state (p[i], GST_STATE_NULL);
    gst_object_unref (p[i]);
  }
  g_free (p);
  return threads;
}

#define N_PIPELINES 64

GST_START_TEST (test_threads_independent_of_streams)
{
  gchar *path = make_file ("t.flac", S16_STEREO, "flacenc", 100);
  guint base = count_threads (), ours, stock;

  ours = threads_while_running (path, "kitharadecode ! kitharaeq",
      N_PIPELINES);
  stock = threads_while_running (path, "decodebin ! audioconvert ! "
      "equalizer-nbands", N_PIPELINES);
  g_print ("%u pipelines of filesrc ! decode ! eq ! fakesink: kithara %u "
      "threads, stock %u threads (process had %u before)\n", N_PIPELINES,
      ours, stock, base);

  /* The worker and one exit per chain (the thread that pushes into the
   * stock sink), plus at most 3 others (GLib's helpers): no thread for
   * reading, parsing or decoding. */
  fail_unless (ours <= base + 1 + N_PIPELINES + 3,
      "kithara ran on %u threads", ours);
  fail_unless (stock >= base + N_PIPELINES);
  g_free (path);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

static void
check_seek (const gchar * name, const gchar * encode)
{
  gchar *path = make_file (name, S16_STEREO, encode, 400);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "appsink name=sink sync=false", path);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  const GstClockTime target = 3 * GST_SECOND + 123456789;
  const guint64 frame = gst_util_uint64_scale_round (target, 44100,
      GST_SECOND);
  Decoded whole;
  GstSample *sample;
  GstBuffer *buf;
  GstMapInfo map;
  GstClockTimeDiff diff;
  GByteArray *after = g_byte_array_new ();
  guint bpf;

  fail_unless (decode_file (path, "kitharadecode", &whole, NULL));

  gst_element_set_state (p, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, target));
  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (p, GST_STATE_PLAYING);

  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  fail_unless (sample != NULL);
  buf = gst_sample_get_buffer (sample);
  diff = GST_CLOCK_DIFF (target, GST_BUFFER_PTS (buf));
  GST_INFO ("%s: seek to %" GST_TIME_FORMAT ", first pts %" GST_TIME_FORMAT,
      name, GST_TIME_ARGS (target), GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  fail_unless (ABS (diff) <= GST_SECOND / 44100 + 1,
      "%s: first timestamp %" GST_STIME_FORMAT " off", name,
      GST_STIME_ARGS (diff));

  /* The samples there are the file's samples at the target. */
  bpf = GST_AUDIO_INFO_BPF (&whole.info);
  while (sample && after->len < 4096 * bpf) {
    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    g_byte_array_append (after, map.data, map.size);
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
    sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  }
  if (sample)
    gst_sample_unref (sample);
  fail_unless (after->len >= 4096 * bpf);
  fail_unless (memcmp (after->data, whole.data->data + frame * bpf,
          4096 * bpf) == 0, "%s: samples after the seek differ from the "
      "file's", name);
  g_byte_array_unref (after);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  decoded_clear (&whole);
  g_free (desc);
  g_free (path);
}

GST_START_TEST (test_seek_wav)
{
  check_seek ("s.wav", "wavenc");
}

GST_END_TEST;

GST_START_TEST (test_seek_flac)
{
  check_seek ("s.flac", "flacenc");
}

GST_END_TEST;

/* oggdemux seeks by pulling, from the seeking thread, while its task
 * (which runs only in the node's ticks) is paused. */
GST_START_TEST (test_seek_vorbis)
{
  check_seek ("s.ogg", "vorbisenc ! oggmux");
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Seek landing: after a seek, kitharadecode posts where the first sample
 * really is, and answers position queries with it until playback moves
 * on. */

#define LANDING_RATE 44100
#define LANDING_FRAMES (130 * 1024)     /* about 3 s */

typedef struct
{
  GstClockTime requested, landed;
  guint64 requested_sample, landed_sample;
  guint seqnum;
} Landing;

/* "filesrc ! kitharadecode ! appsink" on a 3 s tone, prerolled. */
static GstElement *
landing_pipeline (const gchar * path)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "name=dec ! appsink name=sink sync=false", path);
  GstElement *p = kc_parse (desc);

  kc_set_state_sync (p, GST_STATE_PAUSED);
  g_free (desc);
  return p;
}

/* A flushing TIME seek of the pipeline; returns its seqnum. */
static guint32
send_seek (GstElement * p, GstSeekFlags flags, GstClockTime target)
{
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH | flags, GST_SEEK_TYPE_SET, target,
      GST_SEEK_TYPE_NONE, -1);
  guint32 seqnum = gst_event_get_seqnum (seek);

  fail_unless (gst_element_send_event (p, seek));
  return seqnum;
}

static gboolean
parse_landing (GstMessage * msg, Landing * l)
{
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT ||
      !gst_structure_has_name (s, "kithara-seek-landed"))
    return FALSE;
  fail_unless (gst_structure_get (s, "requested", G_TYPE_UINT64,
          &l->requested, "landed", G_TYPE_UINT64, &l->landed,
          "requested-sample", G_TYPE_UINT64, &l->requested_sample,
          "landed-sample", G_TYPE_UINT64, &l->landed_sample,
          "seqnum", G_TYPE_UINT, &l->seqnum, NULL));
  /* The message carries the seek's seqnum too, as GStreamer's do. */
  fail_unless_equals_int (gst_message_get_seqnum (msg), l->seqnum);
  fail_unless (g_str_equal (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "dec"));
  return TRUE;
}

/* Waits for the next landing message (other messages are dropped). */
static void
wait_landing (GstElement * p, Landing * l)
{
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    gboolean found;

    kc_fail_on_error (msg);
    found = parse_landing (msg, l);
    gst_message_unref (msg);
    if (found)
      return;
  }
}

static GstFlowReturn
discard_sample (GstAppSink * sink, gpointer user_data)
{
  gst_sample_unref (gst_app_sink_pull_sample (sink));
  return GST_FLOW_OK;
}

/* Plays to the end; returns how many landing messages came meanwhile.
 * (appsink posts EOS once everything has been pulled.) */
static guint
landings_until_eos (GstElement * p)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, discard_sample };
  GstMessage *msg;
  guint n = 0;
  Landing l;

  gst_app_sink_set_callbacks (GST_APP_SINK (kc_child (p, "sink")),
      &callbacks, NULL, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (;;) {
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
        GST_CLOCK_TIME_NONE, GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS |
        GST_MESSAGE_ERROR);
    kc_fail_on_error (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      break;
    if (parse_landing (msg, &l))
      n++;
    gst_message_unref (msg);
  }
  gst_message_unref (msg);
  return n;
}

/* The decoder's position (its element query goes to its src pad) is
 * the landing, in time and in samples. */
static void
check_position_is_landing (GstElement * dec, const Landing * l)
{
  gint64 pos = -1;

  fail_unless (gst_element_query_position (dec, GST_FORMAT_TIME, &pos));
  fail_unless_equals_int64 (pos, l->landed);
  fail_unless (gst_element_query_position (dec, GST_FORMAT_DEFAULT, &pos));
  fail_unless_equals_int64 (pos, l->landed_sample);
}

/* The first buffer after the seek, waiting for the sink's preroll on it
 * (transfer full). */
static GstSample *
prerolled_sample (GstElement * p)
{
  GstElement *sink = kc_child (p, "sink");
  GstSample *sample;

  fail_unless_equals_int (gst_element_get_state (p, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);
  sample = gst_app_sink_pull_preroll (GST_APP_SINK (sink));
  fail_unless (sample != NULL);
  return sample;
}

/* Where @sample's buffer starts, in stream time (it may start a fraction
 * of a sample before its segment: a parser's buffer is not clipped). */
static GstClockTime
sample_stream_time (GstSample * sample)
{
  guint64 time = 0;

  fail_unless_equals_int (gst_segment_to_stream_time_full
      (gst_sample_get_segment (sample), GST_FORMAT_TIME,
          GST_BUFFER_PTS (gst_sample_get_buffer (sample)), &time), 1);
  return time;
}

/* @sample's samples are the file's from @frame on. */
static void
check_samples_at (GstSample * sample, Decoded * whole, guint64 frame)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  guint bpf = GST_AUDIO_INFO_BPF (&whole->info);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless (map.size >= 64 * bpf);
  fail_unless ((frame * bpf) + map.size <= whole->data->len);
  fail_unless (memcmp (map.data, whole->data->data + frame * bpf,
          map.size) == 0, "the first buffer is not the file at sample %"
      G_GUINT64_FORMAT, frame);
  gst_buffer_unmap (buf, &map);
}

/* An accurate seek to @target, between two samples, lands on sample
 * @frame, the one playing at @target: the message says so, the first
 * buffer is stamped there (within the sample) and holds the file's
 * samples from there on, and the decoder's position is the landing. */
static void
check_accurate_seek (GstElement * p, Decoded * whole, GstClockTime target,
    guint64 frame)
{
  GstElement *dec = kc_child (p, "dec");
  GstSample *head;
  GstClockTimeDiff diff;
  guint32 seqnum;
  Landing l;

  seqnum = send_seek (p, GST_SEEK_FLAG_ACCURATE, target);
  wait_landing (p, &l);
  GST_INFO ("requested %" GST_TIME_FORMAT " (%" G_GUINT64_FORMAT
      "), landed %" GST_TIME_FORMAT " (%" G_GUINT64_FORMAT ")",
      GST_TIME_ARGS (l.requested), l.requested_sample,
      GST_TIME_ARGS (l.landed), l.landed_sample);
  fail_unless_equals_int (l.seqnum, seqnum);
  fail_unless_equals_uint64 (l.requested, target);
  fail_unless_equals_uint64 (l.requested_sample, frame);
  fail_unless_equals_uint64 (l.landed_sample, frame);
  check_position_is_landing (dec, &l);

  head = prerolled_sample (p);
  fail_unless_equals_uint64 (sample_stream_time (head), l.landed);
  diff = GST_CLOCK_DIFF (target, GST_BUFFER_PTS (gst_sample_get_buffer
          (head)));
  fail_unless (ABS (diff) < GST_SECOND / LANDING_RATE, "first buffer %"
      GST_STIME_FORMAT " from the target", GST_STIME_ARGS (diff));
  check_samples_at (head, whole, l.landed_sample);
  gst_sample_unref (head);
  check_position_is_landing (dec, &l);
}

/* Two accurate seeks: to 1.2345 s (sample 54441.45) and to 0.61725 s
 * (sample 27220.725: the one playing then is 27220, not the nearest).
 * Then the position is the landing until the next buffer has gone. */
static void
check_accurate_landing (const gchar * name, const gchar * encoder)
{
  gchar *path = kc_encode_tone (tmp_dir, name, encoder, 440, LANDING_RATE,
      LANDING_FRAMES);
  GstElement *p = landing_pipeline (path), *dec = kc_child (p, "dec");
  GstElement *sink = kc_child (p, "sink");
  GstSample *next;
  Decoded whole;
  gint64 pos = -1, landed = -1;

  fail_unless (decode_file (path, "kitharadecode", &whole, NULL));
  check_accurate_seek (p, &whole, 1234500000, gst_util_uint64_scale_round
      (1234500000, LANDING_RATE, GST_SECOND));
  check_accurate_seek (p, &whole, 617250000, 27220);
  fail_unless (gst_element_query_position (dec, GST_FORMAT_TIME, &landed));

  /* Playing: the landing buffer, then the next one has gone downstream;
   * the position is the chain's again. */
  gst_element_set_state (p, GST_STATE_PLAYING);
  gst_sample_unref (gst_app_sink_pull_sample (GST_APP_SINK (sink)));
  next = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  fail_unless (next != NULL);
  gst_sample_unref (next);
  fail_unless (!gst_element_query_position (dec, GST_FORMAT_TIME, &pos) ||
      pos != landed, "%s: still at the landing", name);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  decoded_clear (&whole);
  g_free (path);
}

GST_START_TEST (test_seek_landing_wav)
{
  if (have_elements ("wavenc", NULL))
    check_accurate_landing ("l.wav", "wavenc");
}

GST_END_TEST;

GST_START_TEST (test_seek_landing_flac)
{
  if (have_elements ("flacenc", NULL))
    check_accurate_landing ("l.flac", "flacenc");
}

GST_END_TEST;

/* One key-unit seek: the landing is where the first buffer starts, and
 * the decoder's position says so at once and while the sink holds that
 * buffer. */
static void
check_key_unit_seek (GstElement * p, GstClockTime target)
{
  GstElement *dec = kc_child (p, "dec");
  GstSample *head;
  guint32 seqnum;
  Landing l;

  seqnum = send_seek (p, GST_SEEK_FLAG_KEY_UNIT, target);
  wait_landing (p, &l);
  GST_INFO ("requested %" GST_TIME_FORMAT ", landed %" GST_TIME_FORMAT,
      GST_TIME_ARGS (l.requested), GST_TIME_ARGS (l.landed));
  fail_unless_equals_int (l.seqnum, seqnum);
  fail_unless_equals_uint64 (l.requested, target);
  fail_unless_equals_uint64 (l.requested_sample,
      gst_util_uint64_scale (target, LANDING_RATE, GST_SECOND));
  fail_unless (l.landed <= target);
  fail_unless (ABS (GST_CLOCK_DIFF (gst_util_uint64_scale (l.landed_sample,
                  GST_SECOND, LANDING_RATE), l.landed)) <
      GST_SECOND / LANDING_RATE);
  check_position_is_landing (dec, &l);

  head = prerolled_sample (p);
  fail_unless_equals_uint64 (sample_stream_time (head), l.landed);
  gst_sample_unref (head);
  check_position_is_landing (dec, &l);
}

/* Two key-unit seeks, two messages with their seqnums, and no other
 * until the end. */
static void
check_key_unit_landing (const gchar * name, const gchar * encoder)
{
  gchar *path = kc_encode_tone (tmp_dir, name, encoder, 440, LANDING_RATE,
      LANDING_FRAMES);
  GstElement *p = landing_pipeline (path);

  check_key_unit_seek (p, 1300 * GST_MSECOND);
  check_key_unit_seek (p, 600 * GST_MSECOND);
  fail_unless_equals_int (landings_until_eos (p), 0);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (path);
}

GST_START_TEST (test_seek_landing_vorbis)
{
  if (have_elements ("vorbisenc", "oggmux", NULL))
    check_key_unit_landing ("l.ogg", "vorbisenc ! oggmux");
}

GST_END_TEST;

GST_START_TEST (test_seek_landing_mp3)
{
  if (have_elements ("lamemp3enc", NULL))
    check_key_unit_landing ("l.mp3", "lamemp3enc");
}

GST_END_TEST;

/* An accurate seek lands once: nothing more is posted to the end. */
GST_START_TEST (test_seek_landing_once)
{
  gchar *path;
  GstElement *p;
  Landing l;

  if (!have_elements ("flacenc", NULL))
    return;
  path = kc_encode_tone (tmp_dir, "o.flac", "flacenc", 440, LANDING_RATE,
      LANDING_FRAMES);
  p = landing_pipeline (path);
  send_seek (p, GST_SEEK_FLAG_ACCURATE, 2 * GST_SECOND);
  wait_landing (p, &l);
  fail_unless_equals_uint64 (l.landed_sample, 2 * LANDING_RATE);
  fail_unless_equals_int (landings_until_eos (p), 0);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (path);
}

GST_END_TEST;

/* Without a flush, what was decoded before the seek still goes out
 * first: the landing is the first buffer of the seek's segment. */
GST_START_TEST (test_seek_landing_not_flushing)
{
  const GstClockTime target = 1234500000;
  gchar *path, *desc;
  GstElement *p, *sink;
  GstSample *sample;
  GstEvent *seek;
  guint32 seqnum;
  Landing l;
  guint i;

  if (!have_elements ("flacenc", NULL))
    return;
  path = kc_encode_tone (tmp_dir, "n.flac", "flacenc", 440, LANDING_RATE,
      LANDING_FRAMES);
  /* A short appsink queue, so that the decoder is held back. */
  desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode name=dec "
      "! appsink name=sink sync=false max-buffers=2", path);
  p = kc_parse (desc);
  sink = kc_child (p, "sink");
  kc_set_state_sync (p, GST_STATE_PLAYING);
  for (i = 0; i < 3; i++)
    gst_sample_unref (gst_app_sink_pull_sample (GST_APP_SINK (sink)));

  seek = gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_ACCURATE,
      GST_SEEK_TYPE_SET, target, GST_SEEK_TYPE_NONE, -1);
  seqnum = gst_event_get_seqnum (seek);
  fail_unless (gst_element_send_event (p, seek));
  for (i = 0; (sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))); i++) {
    if (gst_sample_get_segment (sample)->start == target)
      break;
    gst_sample_unref (sample);
  }
  fail_unless (sample != NULL);
  GST_INFO ("landed after %u buffers decoded before the seek", i);

  wait_landing (p, &l);
  fail_unless_equals_int (l.seqnum, seqnum);
  fail_unless_equals_uint64 (l.landed, sample_stream_time (sample));
  fail_unless_equals_uint64 (l.landed_sample,
      gst_util_uint64_scale_round (target, LANDING_RATE, GST_SECOND));
  gst_sample_unref (sample);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

GST_START_TEST (test_garbage_beside_good_stream)
{
  gchar *good_path = make_file ("g.flac", S16_STEREO, "flacenc", 300);
  guint8 junk[65536];
  gchar *bad_path, *bad_desc, *good_desc;
  GstElement *bad, *good, *sink;
  GstMessage *msg;
  GError *err = NULL;
  GByteArray *data = g_byte_array_new ();
  GstSample *sample;
  Decoded reference;
  GRand *rand = g_rand_new_with_seed (7);
  guint i;

  for (i = 0; i < sizeof (junk); i++)
    junk[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  bad_path = write_file ("junk.bin", junk, sizeof (junk));
  fail_unless (decode_file (good_path, "decodebin", &reference, NULL));

  bad_desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "name=bad ! fakesink", bad_path);
  good_desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode ! "
      "appsink name=sink sync=false", good_path);
  bad = gst_parse_launch (bad_desc, NULL);
  good = gst_parse_launch (good_desc, NULL);
  sink = gst_bin_get_by_name (GST_BIN (good), "sink");

  gst_element_set_state (bad, GST_STATE_PLAYING);
  gst_element_set_state (good, GST_STATE_PLAYING);

  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (bad), GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  /* From the element, or from its typefinder, relayed as it was posted. */
  fail_unless (gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
          GST_OBJECT (kc_child (bad, "bad"))), "error from %s",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
  gst_message_parse_error (msg, &err, NULL);
  /* Random bytes are no type, or, if some typefinder of the installed
   * plugins claims them, a stream with no audio. */
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_TYPE_NOT_FOUND) || g_error_matches (err,
          GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE), "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstMapInfo map;

    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    g_byte_array_append (data, map.data, map.size);
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  fail_unless_equals_int (data->len, reference.data->len);
  fail_unless (memcmp (data->data, reference.data->data, data->len) == 0);

  gst_element_set_state (bad, GST_STATE_NULL);
  gst_element_set_state (good, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bad);
  gst_object_unref (good);
  g_byte_array_unref (data);
  decoded_clear (&reference);
  g_free (bad_desc);
  g_free (good_desc);
  g_free (bad_path);
  g_free (good_path);
}

GST_END_TEST;

/* Ogg with a video stream and two audio streams (as oggmux writes them,
 * interleaved): the audio stream chosen is decoded, equal to what
 * decodebin gives for it, the others are dropped without stalling
 * anything. */
#define TONE_A "audiotestsrc num-buffers=100 wave=sine freq=523 volume=0.6 ! " \
  S16_STEREO " ! audioconvert ! vorbisenc"
#define TONE_B "audiotestsrc num-buffers=80 wave=sine freq=880 volume=0.5 ! " \
  "audio/x-raw,format=S16LE,rate=48000,channels=1 ! audioconvert ! vorbisenc"
#define VIDEO "videotestsrc num-buffers=40 ! video/x-raw,width=64,height=48," \
  "framerate=25/1 ! theoraenc"

static gchar *
make_ogg (const gchar * name, const gchar * branches)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  gchar *desc = g_strdup_printf ("oggmux name=mux ! filesink "
      "location=\"%s\" %s", path, branches);

  run_pipeline (desc);
  g_free (desc);
  return path;
}

typedef struct
{
  gint rate, channels;
  GstElement *sink;
} Pick;

/* decodebin's pad-added: links the audio stream of the wanted format. */
static void
pick_stream (GstElement * decodebin, GstPad * pad, Pick * pick)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstPad *sinkpad = gst_element_get_static_pad (pick->sink, "sink");
  GstAudioInfo info;

  if (caps && gst_audio_info_from_caps (&info, caps) &&
      GST_AUDIO_INFO_RATE (&info) == pick->rate &&
      GST_AUDIO_INFO_CHANNELS (&info) == pick->channels)
    fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_clear_caps (&caps);
  gst_object_unref (sinkpad);
}

/* What decodebin decodes of the audio stream of @path that has @rate
 * and @channels. */
static void
decode_stream (const gchar * path, gint rate, gint channels, Decoded * out)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin "
      "name=dec  appsink name=sink sync=false", path);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *dec = gst_bin_get_by_name (GST_BIN (p), "dec");
  Pick pick = { rate, channels, gst_bin_get_by_name (GST_BIN (p), "sink") };

  g_signal_connect (dec, "pad-added", G_CALLBACK (pick_stream), &pick);
  fail_unless (run_to_end (p, out, NULL));
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&out->info), rate);
  gst_object_unref (pick.sink);
  gst_object_unref (dec);
  g_free (desc);
}

static void
check_equal (Decoded * a, Decoded * b)
{
  fail_unless (gst_audio_info_is_equal (&a->info, &b->info));
  fail_unless_equals_int (a->data->len, b->data->len);
  fail_unless (memcmp (a->data->data, b->data->data, a->data->len) == 0);
}

GST_START_TEST (test_audio_beside_video)
{
  gchar *mixed = make_ogg ("mixed.ogg", VIDEO " ! mux. " TONE_A " ! mux. "
      TONE_B " ! mux.");
  Decoded first, second, ref_a, ref_b;

  decode_stream (mixed, 44100, 2, &ref_a);
  decode_stream (mixed, 48000, 1, &ref_b);
  fail_unless (decode_file (mixed, "kitharadecode", &first, NULL));
  fail_unless (decode_file (mixed, "kitharadecode audio-stream=1", &second,
          NULL));

  /* One of the tones each (in the order the file has them). */
  if (GST_AUDIO_INFO_RATE (&first.info) == 44100) {
    check_equal (&first, &ref_a);
    check_equal (&second, &ref_b);
  } else {
    check_equal (&first, &ref_b);
    check_equal (&second, &ref_a);
  }

  decoded_clear (&first);
  decoded_clear (&second);
  decoded_clear (&ref_a);
  decoded_clear (&ref_b);
  g_free (mixed);
}

GST_END_TEST;

#define TRACK(freq) "audiotestsrc num-buffers=100 wave=sine freq=" #freq \
  " volume=0.6 ! audio/x-raw,rate=44100,channels=1 ! lamemp3enc ! " \
  "mpegaudioparse"

/* Two MP3 tracks in Matroska, a tone each: audio-stream=1 decodes the
 * second track, and asking for a third says how many there are. */
static gchar *
make_two_track_mkv (void)
{
  gchar *path = g_build_filename (tmp_dir, "two.mkv", NULL);
  gchar *desc = g_strdup_printf ("matroskamux name=mux ! filesink "
      "location=\"%s\" " TRACK (440) " ! mux. " TRACK (1000) " ! mux.", path);

  run_pipeline (desc);
  g_free (desc);
  return path;
}

/* The frequency of the tone of @path's audio stream @index, from the
 * zero crossings of its samples. */
static gdouble
tone_of_stream (const gchar * path, gint index)
{
  gchar *desc = g_strdup_printf ("kitharadecode audio-stream=%d ! "
      "audioconvert ! audio/x-raw,format=S16LE,channels=1", index);
  const gint16 *samples;
  Decoded out;
  GError *err = NULL;
  guint n, i, crossings = 0;
  gdouble freq;

  fail_unless (decode_file (path, desc, &out, &err), "%s: %s", desc,
      err ? err->message : "");
  samples = (const gint16 *) out.data->data;
  n = out.data->len / sizeof (gint16);
  fail_unless (n > 0);
  for (i = 1; i < n; i++)
    crossings += (samples[i - 1] < 0) != (samples[i] < 0);
  freq = crossings / 2.0 / ((gdouble) n / GST_AUDIO_INFO_RATE (&out.info));
  GST_INFO ("stream %d: %.1f Hz", index, freq);
  decoded_clear (&out);
  g_free (desc);
  return freq;
}

GST_START_TEST (test_audio_stream_of_two)
{
  gchar *path;
  Decoded out;
  GError *err = NULL;
  gdouble first, second;

  if (!have_elements ("lamemp3enc", "mpegaudioparse", "matroskamux", NULL))
    return;
  path = make_two_track_mkv ();
  first = tone_of_stream (path, 0);
  second = tone_of_stream (path, 1);
  /* (the encoder's delay and padding add a few crossings) */
  fail_unless (first > 400 && first < 500, "stream 0: %.1f Hz", first);
  fail_unless (second > 900 && second < 1100, "stream 1: %.1f Hz", second);

  fail_if (decode_file (path, "kitharadecode audio-stream=2", &out, &err));
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_WRONG_TYPE), "%s", err->message);
  fail_unless (strstr (err->message, "2 audio streams") != NULL, "%s",
      err->message);
  fail_unless_equals_int (out.data->len, 0);
  g_clear_error (&err);
  decoded_clear (&out);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_no_audio_stream)
{
  gchar *path = make_ogg ("video.ogg", VIDEO " ! mux.");
  Decoded out;
  GError *err = NULL;

  fail_if (decode_file (path, "kitharadecode", &out, &err));
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_WRONG_TYPE), "%s", err->message);
  fail_unless_equals_int (out.data->len, 0);
  g_clear_error (&err);
  decoded_clear (&out);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_empty_file)
{
  gchar *path = write_file ("empty.bin", (const guint8 *) "", 0);
  Decoded out;
  GError *err = NULL;

  fail_if (decode_file (path, "kitharadecode", &out, &err));
  fail_unless (err != NULL && err->domain == GST_STREAM_ERROR,
      "unexpected error");
  fail_unless_equals_int (out.data->len, 0);
  g_clear_error (&err);
  decoded_clear (&out);
  g_free (path);
}

GST_END_TEST;

/* A WAV header announcing a codec nothing here decodes (WMA v2). */
GST_START_TEST (test_missing_decoder)
{
  static const guint8 header[] = {
    'R', 'I', 'F', 'F', 0x24, 0x10, 0, 0, 'W', 'A', 'V', 'E',
    'f', 'm', 't', ' ', 18, 0, 0, 0,
    0x61, 0x01,                 /* WAVE_FORMAT_WMAUDIO2 */
    2, 0, 0x44, 0xac, 0, 0, 0x10, 0xb1, 2, 0, 4, 0, 16, 0, 0, 0,
    'd', 'a', 't', 'a', 0, 0x10, 0, 0
  };
  guint8 file[sizeof (header) + 4096] = { 0 };
  gchar *path, *desc;
  GstElement *p;
  GstMessage *msg;
  gboolean saw_missing = FALSE, saw_error = FALSE;

  /* The test needs a codec nothing here decodes (no gst-libav). */
  {
    GList *all = gst_element_factory_list_get_elements
        (GST_ELEMENT_FACTORY_TYPE_DECODER, GST_RANK_NONE);
    GstCaps *wma = gst_caps_from_string ("audio/x-wma, wmaversion=2");
    GList *usable = gst_element_factory_list_filter (all, wma, GST_PAD_SINK,
        FALSE);
    gboolean have_decoder = usable != NULL;

    gst_plugin_feature_list_free (usable);
    gst_plugin_feature_list_free (all);
    gst_caps_unref (wma);
    if (have_decoder) {
      GST_WARNING ("a WMA decoder is installed: nothing is missing here");
      return;
    }
  }

  memcpy (file, header, sizeof (header));
  path = write_file ("wma.wav", file, sizeof (file));
  desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode name=dec "
      "! fakesink", path);
  p = gst_parse_launch (desc, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  while (!saw_error && (msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
              GST_CLOCK_TIME_NONE, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR |
              GST_MESSAGE_EOS))) {
    if (gst_is_missing_plugin_message (msg))
      saw_missing = TRUE;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      fail_unless (g_error_matches (err, GST_CORE_ERROR,
              GST_CORE_ERROR_MISSING_PLUGIN), "%s", err->message);
      fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          "dec");
      g_clear_error (&err);
      saw_error = TRUE;
    }
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
        "silence presented as success");
    gst_message_unref (msg);
  }
  fail_unless (saw_missing);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

/* Whether @msg comes from inside @element: relayed from its source. */
static gboolean
from_inside (GstMessage * msg, GstElement * element)
{
  GstObject *src = GST_MESSAGE_SRC (msg);

  return src != GST_OBJECT (element) &&
      gst_object_has_as_ancestor (src, GST_OBJECT (element));
}

/* What the private chain posts reaches the bus as a bin would pass it up:
 * the stream collection of parsebin, the duration found by the parser,
 * the decoder's latency, each from the element that posted it. */
GST_START_TEST (test_chain_messages_relayed)
{
  gchar *path = make_file ("r.flac", S16_STEREO, "flacenc", 100);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "name=dec ! fakesink sync=false", path);
  GstElement *p = kc_parse (desc);
  GstElement *dec = kc_child (p, "dec");
  gboolean collection = FALSE, duration = FALSE, latency = FALSE;
  GstMessage *msg;

  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p),
              GST_CLOCK_TIME_NONE, GST_MESSAGE_STREAM_COLLECTION |
              GST_MESSAGE_DURATION_CHANGED | GST_MESSAGE_LATENCY |
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    fail_if (type == GST_MESSAGE_ERROR, "error from %s",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
    if (type == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    GST_INFO ("%s from %s", GST_MESSAGE_TYPE_NAME (msg),
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
    if (type == GST_MESSAGE_STREAM_COLLECTION && from_inside (msg, dec))
      collection = TRUE;
    if (type == GST_MESSAGE_DURATION_CHANGED && from_inside (msg, dec))
      duration = TRUE;
    if (type == GST_MESSAGE_LATENCY && from_inside (msg, dec))
      latency = TRUE;
    gst_message_unref (msg);
  }
  fail_unless (collection, "no stream collection from inside");
  fail_unless (duration, "no duration-changed from inside");
  fail_unless (latency, "no latency from inside");

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* audio-stream applies from READY: in PAUSED or PLAYING a new value is
 * refused with a warning and the old one stays. */
static void
check_refused (GstElement * dec, gint value)
{
  gint now = -1;

  ASSERT_WARNING (g_object_set (dec, "audio-stream", value, NULL));
  g_object_get (dec, "audio-stream", &now, NULL);
  fail_unless_equals_int (now, 0);
}

GST_START_TEST (test_ready_only_property_refused)
{
  gchar *path = make_file ("q.flac", S16_STEREO, "flacenc", 100);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! kitharadecode "
      "name=dec ! fakesink sync=false", path);
  GstElement *p = kc_parse (desc);
  GstElement *dec = kc_child (p, "dec");
  gint now = -1;

  kc_set_state_sync (p, GST_STATE_PAUSED);
  check_refused (dec, 1);
  kc_set_state_sync (p, GST_STATE_PLAYING);
  check_refused (dec, 2);
  kc_wait_eos (p);
  check_refused (dec, 1);

  /* Back in READY it is taken. */
  kc_set_state_sync (p, GST_STATE_READY);
  g_object_set (dec, "audio-stream", 1, NULL);
  g_object_get (dec, "audio-stream", &now, NULL);
  fail_unless_equals_int (now, 1);

  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_truncated_flac)
{
  gchar *path = make_file ("full.flac", S16_STEREO, "flacenc", 300), *cut;
  gchar *contents;
  gsize size;
  Decoded whole, part;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  cut = write_file ("cut.flac", (guint8 *) contents, size / 2 + 17);
  fail_unless (decode_file (path, "kitharadecode", &whole, NULL));
  fail_unless (decode_file (cut, "kitharadecode", &part, NULL));

  /* What is there is decoded, and it is the start of the stream. */
  fail_unless (part.data->len > whole.data->len / 3);
  fail_unless (part.data->len < whole.data->len);
  fail_unless (memcmp (part.data->data, whole.data->data,
          part.data->len) == 0);
  decoded_clear (&whole);
  decoded_clear (&part);
  g_free (contents);
  g_free (cut);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_frame_mp3)
{
  gchar *path = make_file ("c.mp3", S16_STEREO, "lamemp3enc", 300), *bad;
  gchar *contents;
  gsize size, i;
  Decoded whole, damaged;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  for (i = size / 2; i < size / 2 + 300; i++)
    contents[i] = (gchar) 0xA5;
  bad = write_file ("bad.mp3", (guint8 *) contents, size);
  fail_unless (decode_file (path, "kitharadecode", &whole, NULL));
  fail_unless (decode_file (bad, "kitharadecode", &damaged, NULL));

  /* Decoding went on past the damage: at most a few frames are lost. */
  fail_unless (damaged.data->len > whole.data->len * 9 / 10,
      "%u of %u bytes", damaged.data->len, whole.data->len);
  decoded_clear (&whole);
  decoded_clear (&damaged);
  g_free (contents);
  g_free (bad);
  g_free (path);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */

GST_START_TEST (test_opus_preskip_trimmed)
{
  /* 150 buffers of 1024 frames at 48 kHz: 153600 frames encoded. */
  gchar *path = make_file ("p.opus",
      "audio/x-raw,format=S16LE,rate=48000,channels=1", "opusenc ! oggmux",
      150);
  Decoded out;

  fail_unless (decode_file (path, "kitharadecode", &out, NULL));
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&out.info), 48000);
  fail_unless_equals_int (out.data->len / GST_AUDIO_INFO_BPF (&out.info),
      150 * 1024);
  fail_unless_equals_uint64 (out.first_pts, 0);
  decoded_clear (&out);
  g_free (path);
}

GST_END_TEST;

static Suite *
kitharadecode_suite (void)
{
  Suite *s = suite_create ("kitharadecode");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_wav_bit_exact);
  tcase_add_test (tc, test_flac_bit_exact);
  tcase_add_test (tc, test_mp3_same_as_decodebin);
  tcase_add_test (tc, test_mp3_id3v2_same_as_decodebin);
  tcase_add_test (tc, test_mp3_id3v1_same_as_decodebin);
  tcase_add_test (tc, test_mp3_in_matroska_same_as_decodebin);
  tcase_add_test (tc, test_mp3_id3v2_behind_queue);
  tcase_add_test (tc, test_next_decoder_after_failures);
  tcase_add_test (tc, test_vorbis_same_as_decodebin);
  tcase_add_test (tc, test_opus_same_as_decodebin);
  tcase_add_test (tc, test_chained_ogg);
  tcase_add_test (tc, test_chained_ogg_pushed);
  tcase_add_test (tc, test_threads_independent_of_streams);
  tcase_add_test (tc, test_seek_wav);
  tcase_add_test (tc, test_seek_flac);
  tcase_add_test (tc, test_seek_vorbis);
  tcase_add_test (tc, test_seek_landing_wav);
  tcase_add_test (tc, test_seek_landing_flac);
  tcase_add_test (tc, test_seek_landing_vorbis);
  tcase_add_test (tc, test_seek_landing_mp3);
  tcase_add_test (tc, test_seek_landing_once);
  tcase_add_test (tc, test_seek_landing_not_flushing);
  tcase_add_test (tc, test_garbage_beside_good_stream);
  tcase_add_test (tc, test_audio_beside_video);
  tcase_add_test (tc, test_audio_stream_of_two);
  tcase_add_test (tc, test_no_audio_stream);
  tcase_add_test (tc, test_empty_file);
  tcase_add_test (tc, test_missing_decoder);
  tcase_add_test (tc, test_chain_messages_relayed);
  tcase_add_test (tc, test_ready_only_property_refused);
  tcase_add_test (tc, test_truncated_flac);
  tcase_add_test (tc, test_corrupt_frame_mp3);
  tcase_add_test (tc, test_opus_preskip_trimmed);
  return s;
}

KITHARA_CHECK_MAIN (kitharadecode);
