/* kithara-player: one deck through a player's whole lifecycle.
 *
 *   kithara-player [--mixer] [--loops N] [--beats B] [--bpm T] OUT.pcm
 *       TRACK NEXT
 *
 * load TRACK (paused) -> ready -> queue NEXT, seek to the loop -> ready
 * -> play: the first B beats of TRACK N times, TRACK on to its end, NEXT
 * with no gap -> end.  With --mixer the deck plays through kitharamixer.
 * What plays is written to OUT.pcm as raw 48 kHz 16-bit stereo PCM, as
 * fast as it decodes (aplay -t raw -f S16_LE -r 48000 -c 2 OUT.pcm).
 *
 * It shows:
 *  - the "kithara-deck-ready" message of a preload;
 *  - next-uri, the gapless next track, and "kithara-track-changed";
 *  - a seamless loop: a segment seek, then on each SEGMENT_DONE a
 *    non-flushing segment seek, then a plain non-flushing seek to go on.
 */
#include <gst/gst.h>
#include <stdlib.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline, *deck;
  gchar *next_uri;
  GstClockTime loop_end;        /* the loop is [0, loop_end) */
  guint loops_left;
  gboolean playing;
  gboolean ok;
} Player;

/* Plays [0, loop_end) of the track, again: a segment seek, flushing only
 * the first time (a non-flushing one follows on from what is playing).
 * Sent to the pipeline, it reaches the deck through whatever is
 * downstream of it, kitharamixer included. */
static void
seek_loop (Player * p, GstSeekFlags flush)
{
  gst_element_seek (p->pipeline, 1.0, GST_FORMAT_TIME,
      flush | GST_SEEK_FLAG_ACCURATE | GST_SEEK_FLAG_SEGMENT,
      GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, p->loop_end);
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Player *p = user_data;
  const GstStructure *s = gst_message_get_structure (msg);
  GError *err = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "kithara-deck-ready") && p->next_uri) {
        /* Loaded: queue the next track, go to the loop. */
        g_print ("ready\n");
        g_object_set (p->deck, "next-uri", p->next_uri, NULL);
        g_clear_pointer (&p->next_uri, g_free);
        seek_loop (p, GST_SEEK_FLAG_FLUSH);
      } else if (gst_structure_has_name (s, "kithara-deck-ready") &&
          !p->playing) {
        /* Ready again, at the loop (a flushing seek re-arms it): play. */
        p->playing = TRUE;
        gst_element_set_state (p->pipeline, GST_STATE_PLAYING);
      } else if (gst_structure_has_name (s, "kithara-track-changed")) {
        g_print ("next track: %s\n", gst_structure_get_string (s, "uri"));
      }
      break;
    case GST_MESSAGE_SEGMENT_DONE:
      if (p->loops_left > 1) {
        p->loops_left--;
        seek_loop (p, GST_SEEK_FLAG_NONE);
      } else {
        /* Out of the loop: on to the end of the track, and the next. */
        gst_element_seek (p->pipeline, 1.0, GST_FORMAT_TIME,
            GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET, p->loop_end,
            GST_SEEK_TYPE_SET, GST_CLOCK_TIME_NONE);
      }
      break;
    case GST_MESSAGE_EOS:
      p->ok = TRUE;
      g_main_loop_quit (p->loop);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      g_main_loop_quit (p->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint loops = 3, beats = 4;
  gdouble bpm = 120.0;
  gboolean mixer = FALSE;
  GOptionEntry entries[] = {
    {"mixer", 'm', 0, G_OPTION_ARG_NONE, &mixer,
        "Play the deck through kitharamixer", NULL},
    {"loops", 'n', 0, G_OPTION_ARG_INT, &loops, "Times the loop plays", "N"},
    {"beats", 'b', 0, G_OPTION_ARG_INT, &beats, "Beats in the loop", "B"},
    {"bpm", 't', 0, G_OPTION_ARG_DOUBLE, &bpm, "Tempo", "T"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("OUT.pcm TRACK NEXT");
  Player p = { NULL };
  GstElement *src, *out;
  GstBus *bus;
  GError *err = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 4 ||
      loops < 1 || beats < 1 || bpm <= 0) {
    g_printerr ("%s\n", err ? err->message : "usage: kithara-player "
        "[--mixer] [--loops N] [--beats B] [--bpm T] OUT.pcm TRACK NEXT");
    return 2;
  }
  g_option_context_free (ctx);

  /* No dither: what plays is the files' own samples (the mixer mixes in
   * floating point). */
  p.pipeline = gst_parse_launch (mixer ?
      "filesrc name=src ! kitharadecode name=deck ! kithararesample ! "
      "kitharamixer ! audio/x-raw,rate=48000 ! audioconvert dithering=none ! "
      "audio/x-raw,format=S16LE,channels=2 ! filesink name=out" :
      "filesrc name=src ! kitharadecode name=deck ! kithararesample ! "
      "audio/x-raw,rate=48000 ! audioconvert dithering=none ! "
      "audio/x-raw,format=S16LE,channels=2 ! filesink name=out", &err);
  if (p.pipeline == NULL || err) {
    g_printerr ("%s (are the kithara plugins on GST_PLUGIN_PATH?)\n",
        err->message);
    return 1;
  }
  src = gst_bin_get_by_name (GST_BIN (p.pipeline), "src");
  out = gst_bin_get_by_name (GST_BIN (p.pipeline), "out");
  p.deck = gst_bin_get_by_name (GST_BIN (p.pipeline), "deck");
  g_object_set (out, "location", argv[1], NULL);
  g_object_set (src, "location", argv[2], NULL);
  p.next_uri = gst_filename_to_uri (argv[3], NULL);
  p.loop_end = (GstClockTime) (beats * 60.0 * GST_SECOND / bpm);
  p.loops_left = loops;
  p.loop = g_main_loop_new (NULL, FALSE);

  bus = gst_element_get_bus (p.pipeline);
  gst_bus_add_watch (bus, on_message, &p);
  gst_element_set_state (p.pipeline, GST_STATE_PAUSED);  /* the preload */
  g_main_loop_run (p.loop);
  gst_element_set_state (p.pipeline, GST_STATE_NULL);

  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (out);
  gst_object_unref (p.deck);
  gst_object_unref (p.pipeline);
  g_main_loop_unref (p.loop);
  g_free (p.next_uri);
  gst_deinit ();
  return p.ok ? 0 : 1;
}
