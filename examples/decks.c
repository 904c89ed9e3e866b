/* kithara-decks: plays tracks one after another through kitharamixer,
 * crossfading from each to the next, and changes a deck's EQ and speed
 * while it plays.
 *
 *   kithara-decks [--output out.wav] [FILE[+FILE...]...]
 *
 * Each deck is `filesrc ! kitharadecode ! kitharaeq ! kithararesample`
 * (a generated tone when no FILE is given, so that it runs anywhere).
 * A deck given a.flac+b.flac plays b.flac right after a.flac with no gap
 * (kitharadecode's next-uri, set again at each track change).
 * All decks feed one kitharamixer, which plays on the sound card
 * (autoaudiosink) or, with --output, writes a 16-bit WAV file.  Every
 * kithara element runs on the same shared worker thread.
 *
 * It shows:
 *  - decks that enter the mix at a time of their own (a pad offset);
 *  - a deck's queue of tracks, played with no gap between them;
 *  - crossfades scheduled with GstController on the mixer pads' volume;
 *  - a speed-up (varispeed) scheduled on kithararesample's playback-rate;
 *  - a live EQ change through the child proxy (`band1::gain`);
 *  - the elements' stats and the mixer's underrun messages.
 */
#include <gst/gst.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/pbutils/pbutils.h>
#include <stdlib.h>

#define CROSSFADE (2 * GST_SECOND)
#define TONE_SECONDS 8
#define FAST_RATE 1.25          /* the last deck's speed-up */
#define EQ_CUT -60.0            /* dB; -24 or less kills an isolator band */

/* The tones played when no file is given (44.1 kHz, mixed at 48 kHz). */
static const gdouble tones[] = { 440.0, 660.0, 880.0 };

typedef struct
{
  gchar *name;                  /* the files, or a description of the tone */
  gchar **tracks;               /* the files, NULL for a tone */
  guint next_track;             /* the next one to queue */
  GstClockTime duration;        /* of its tracks, one after the other */
  GstClockTime start;           /* where it enters the mix */
  GstElement *decoder;          /* its kitharadecode, if it plays files */
  GstElement *eq, *rate;        /* its kitharaeq and kithararesample */
  GstPad *pad;                  /* its input of the mixer */
} Deck;

/* A live change, made when the mix reaches @time. */
typedef struct
{
  GstClockTime time;
  Deck *deck;
} Cue;

static GstClockTime
track_duration (const gchar * file)
{
  GstDiscoverer *discoverer = gst_discoverer_new (10 * GST_SECOND, NULL);
  gchar *uri = gst_filename_to_uri (file, NULL);
  GstDiscovererInfo *info;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GError *err = NULL;

  info = gst_discoverer_discover_uri (discoverer, uri, &err);
  if (info && !err)
    duration = gst_discoverer_info_get_duration (info);
  else
    g_printerr ("%s: %s\n", file, err ? err->message : "cannot read it");
  g_clear_error (&err);
  g_clear_object (&info);
  g_free (uri);
  g_object_unref (discoverer);
  return duration;
}

/* Binds @property of @object to a new linear control source: values set
 * on it at stream times are interpolated between them.  The binding
 * keeps the control source, which is returned. */
static GstTimedValueControlSource *
control (gpointer object, const gchar * property)
{
  GstControlSource *cs = gst_interpolation_control_source_new ();

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_object_add_control_binding (GST_OBJECT (object),
      gst_direct_control_binding_new_absolute (GST_OBJECT (object), property,
          cs));
  gst_object_unref (cs);
  return GST_TIMED_VALUE_CONTROL_SOURCE (cs);
}

/* Runs on the mixer's streaming thread for every block it outputs.  Any
 * property of a kithara element can be set at any time from any thread,
 * as a user interface would; here it is set when the mix reaches the
 * cue, so that the change is heard at that point even when rendering to
 * a file faster than real time. */
static GstPadProbeReturn
on_mix_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Cue *cue = user_data;

  if (GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)) < cue->time)
    return GST_PAD_PROBE_OK;
  gst_child_proxy_set (GST_CHILD_PROXY (cue->deck->eq), "band1::gain",
      EQ_CUT, NULL);
  g_print ("  %6.2f s  %s: mids killed (band1::gain = %.0f dB)\n",
      cue->time / 1e9, cue->deck->name, EQ_CUT);
  return GST_PAD_PROBE_REMOVE;
}

static void
print_node (const gchar * what, GstElement * element)
{
  GstStructure *s = NULL;
  guint64 ticks = 0, busy = 0;

  g_object_get (element, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "ticks", &ticks);
  gst_structure_get_uint64 (s, "busy-ns", &busy);
  g_print ("  %-22s %6" G_GUINT64_FORMAT " ticks %8.2f ms busy\n", what,
      ticks, busy / 1e6);
  gst_structure_free (s);
}

/* What the worker and each node did, read from the elements' stats. */
static void
print_stats (GstElement * mix, Deck * decks, guint n)
{
  GstStructure *s = NULL, *worker = NULL;
  guint64 underruns = 0, forced = 0, passes = 0, ticks = 0, busy = 0;
  guint64 parks = 0;
  guint i;

  g_object_get (mix, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "underruns", &underruns);
  gst_structure_get_uint64 (s, "forced-blocks", &forced);
  gst_structure_get (s, "worker", GST_TYPE_STRUCTURE, &worker, NULL);
  gst_structure_get_uint64 (worker, "passes", &passes);
  gst_structure_get_uint64 (worker, "ticks", &ticks);
  gst_structure_get_uint64 (worker, "busy-ns", &busy);
  gst_structure_get_uint64 (worker, "parks", &parks);

  g_print ("\nWorker \"%s\" (one thread): %" G_GUINT64_FORMAT " passes, %"
      G_GUINT64_FORMAT " ticks, %.1f ms busy, parked %" G_GUINT64_FORMAT
      " times\n", gst_structure_get_string (worker, "context"), passes,
      ticks, busy / 1e6, parks);
  for (i = 0; i < n; i++) {
    gchar *what = g_strdup_printf ("deck %u kitharaeq", i);

    print_node (what, decks[i].eq);
    g_free (what);
    what = g_strdup_printf ("deck %u kithararesample", i);
    print_node (what, decks[i].rate);
    g_free (what);
  }
  print_node ("kitharamixer", mix);
  g_print ("Mixer: %" G_GUINT64_FORMAT " underruns, %" G_GUINT64_FORMAT
      " blocks mixed without a late deck\n", underruns, forced);
  gst_structure_free (worker);
  gst_structure_free (s);
}

/* Queues the deck's next track, if it has one more: it plays with no gap
 * once the current one ends. */
static void
queue_next_track (Deck * deck)
{
  gchar *uri;

  if (deck->tracks == NULL || deck->tracks[deck->next_track] == NULL)
    return;
  uri = gst_filename_to_uri (deck->tracks[deck->next_track++], NULL);
  g_object_set (deck->decoder, "next-uri", uri, NULL);
  g_free (uri);
}

/* A deck moved on to its next track: the one after it is queued. */
static void
on_track_changed (GstMessage * msg, Deck * decks, guint n)
{
  const GstStructure *s = gst_message_get_structure (msg);
  guint64 joint = 0;
  guint i;

  gst_structure_get_uint64 (s, "joint", &joint);
  for (i = 0; i < n; i++) {
    if (GST_MESSAGE_SRC (msg) != GST_OBJECT (decks[i].decoder))
      continue;
    g_print ("  deck %u: next track %s, at %.4f s of the deck\n", i,
        gst_structure_get_string (s, "uri"), joint / 1e9);
    queue_next_track (&decks[i]);
  }
}

/* Waits for the end, printing the mixer's and the decks' messages
 * meanwhile. */
static gboolean
wait_for_eos (GstElement * pipeline, Deck * decks, guint n)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean ok = FALSE;

  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    const GstStructure *s = gst_message_get_structure (msg);
    GError *err = NULL;
    gboolean done = TRUE;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      ok = TRUE;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("Error from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
    } else {
      /* The first late block of a burst (a deck could not keep up). */
      if (gst_structure_has_name (s, "kithara-underrun"))
        g_print ("  underrun in %s\n", gst_structure_get_string (s, "element"));
      else if (gst_structure_has_name (s, "kithara-track-changed"))
        on_track_changed (msg, decks, n);
      done = FALSE;
    }
    gst_message_unref (msg);
    if (done)
      break;
  }
  gst_object_unref (bus);
  return ok;
}

/* The decks, and where each enters the mix: when the previous one
 * starts to fade out.  Tones when no file is given. */
static Deck *
plan_decks (gchar ** files, guint n)
{
  Deck *decks = g_new0 (Deck, n);
  guint i;

  for (i = 0; i < n; i++) {
    Deck *d = &decks[i];

    if (files) {
      guint t;

      d->name = g_strdup (files[i]);
      d->tracks = g_strsplit (files[i], "+", -1);
      for (t = 0; d->tracks[t]; t++) {
        GstClockTime duration = track_duration (d->tracks[t]);

        if (!GST_CLOCK_TIME_IS_VALID (duration))
          exit (1);
        d->duration += duration;
      }
      d->next_track = 1;
    } else {
      d->name = g_strdup_printf ("%.0f Hz tone", tones[i]);
      d->duration = TONE_SECONDS * GST_SECOND;
    }
    if (i > 0) {
      Deck *prev = &decks[i - 1];
      GstClockTime fade = MIN (CROSSFADE, MIN (d->duration,
              prev->duration) / 2);

      d->start = prev->start + prev->duration - fade;
    }
    g_print ("Deck %u: %s (%.2f s), enters the mix at %.2f s\n", i, d->name,
        d->duration / 1e9, d->start / 1e9);
  }
  return decks;
}

/* The element named <prefix><i>, e.g. "eq0". */
static GstElement *
deck_element (GstElement * pipeline, const gchar * prefix, guint i)
{
  gchar *name = g_strdup_printf ("%s%u", prefix, i);
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_free (name);
  return e;
}

/* kitharamixer ! <output>, and per deck:
 * <source> ! kitharaeq ! kithararesample ! mixer */
/* gst_parse_launch() drops elements it does not know (with a recoverable
 * error): look them up first, to say what is missing. */
static void
require_elements (void)
{
  const gchar *needed[] = { "kitharamixer", "kitharadecode", "kitharaeq",
    "kithararesample"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    if (f == NULL) {
      g_printerr ("No element \"%s\": put the kithara plugins on "
          "GST_PLUGIN_PATH, e.g.\n  export GST_PLUGIN_PATH=$PWD/build/gst/"
          "kithara:$PWD/build/ext/samplerate\n", needed[i]);
      exit (1);
    }
    gst_object_unref (f);
  }
}

static GstElement *
build_pipeline (Deck * decks, guint n, gchar ** files, const gchar * output)
{
  GString *desc = g_string_new ("kitharamixer name=mix ! "
      "audio/x-raw,rate=48000,channels=2 ! ");
  GstElement *pipeline, *mix;
  GError *err = NULL;
  guint i;

  require_elements ();
  /* The mix: 48 kHz stereo to the sound card or a 16-bit WAV file. */
  g_string_append (desc, output ? "audioconvert ! audio/x-raw,format=S16LE "
      "! wavenc ! filesink name=out" : "autoaudiosink");
  for (i = 0; i < n; i++) {
    if (files)
      g_string_append_printf (desc, " filesrc name=src%u ! kitharadecode "
          "name=decoder%u", i, i);
    else
      g_string_append_printf (desc, " audiotestsrc freq=%g volume=0.5 "
          "samplesperbuffer=441 num-buffers=%u ! "
          "audio/x-raw,rate=44100,channels=2", tones[i], TONE_SECONDS * 100);
    /* The isolator is the three-band EQ of a DJ mixer: low, mid, high. */
    g_string_append_printf (desc, " ! kitharaeq name=eq%u mode=isolator "
        "! kithararesample name=rate%u ! mix.sink_%u", i, i, i);
  }
  pipeline = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (!pipeline || err) {
    g_printerr ("%s\n", err->message);
    exit (1);
  }

  /* File names are set as properties: no quoting in the description. */
  if (output) {
    GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");

    g_object_set (out, "location", output, NULL);
    gst_object_unref (out);
  }
  mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  for (i = 0; i < n; i++) {
    Deck *d = &decks[i];
    gchar *pad_name = g_strdup_printf ("sink_%u", i);

    if (files) {
      GstElement *src = deck_element (pipeline, "src", i);

      g_object_set (src, "location", d->tracks[0], NULL);
      gst_object_unref (src);
      d->decoder = deck_element (pipeline, "decoder", i);
      queue_next_track (d);
    }
    d->eq = deck_element (pipeline, "eq", i);
    d->rate = deck_element (pipeline, "rate", i);
    d->pad = gst_element_get_static_pad (mix, pad_name);
    g_free (pad_name);

    /* The deck's running time is shifted by its start: its first sample
     * lands there in the mix.  Until then it is silent and, at volume 0,
     * "warm": the worker prepares a few buffers ahead (its queues fill)
     * and serves the audible decks first. */
    gst_pad_set_offset (d->pad, d->start);
  }
  gst_object_unref (mix);
  return pipeline;
}

/* Each deck fades in while the previous one fades out.  The mixer
 * samples its pads' controlled volume at the end of every block, in the
 * stream time of the mix, and glides there. */
static void
schedule_crossfades (Deck * decks, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    Deck *d = &decks[i];
    GstTimedValueControlSource *volume = control (d->pad, "volume");

    if (i > 0) {
      Deck *prev = &decks[i - 1];

      g_object_set (d->pad, "volume", 0.0, NULL);
      gst_timed_value_control_source_set (volume, d->start, 0.0);
      gst_timed_value_control_source_set (volume,
          prev->start + prev->duration, 1.0);
    }
    if (i + 1 < n) {
      GstClockTime from = decks[i + 1].start, to = d->start + d->duration;

      gst_timed_value_control_source_set (volume, from, 1.0);
      gst_timed_value_control_source_set (volume, to, 0.0);
      g_print ("Crossfade deck %u -> deck %u: %.2f s to %.2f s\n", i, i + 1,
          from / 1e9, to / 1e9);
    }
  }
}

/* The deck speeds up (and goes up in pitch, as a turntable does) over
 * one second from the middle of its track, in the stream time of the
 * track (kithararesample's input). */
static void
schedule_speed_up (Deck * deck)
{
  GstTimedValueControlSource *rate = control (deck->rate, "playback-rate");
  GstClockTime from = deck->duration / 2, to = from + GST_SECOND;

  gst_timed_value_control_source_set (rate, from, 1.0);
  gst_timed_value_control_source_set (rate, to, FAST_RATE);
  g_print ("%s: playback rate 1.00 -> %.2f from %.2f s to %.2f s of the "
      "track\n", deck->name, FAST_RATE, from / 1e9, to / 1e9);
}

int
main (int argc, char **argv)
{
  gchar *output = NULL, **files = NULL;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Write a WAV file instead of playing on the sound card", "FILE"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL,
        "[FILE[+FILE...]...]"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- crossfade tracks with "
      "kitharamixer");
  GError *err = NULL;
  GstElement *pipeline, *mix;
  GstPad *mix_src;
  Deck *decks;
  Cue cue;
  guint i, n;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  n = files ? g_strv_length (files) : G_N_ELEMENTS (tones);
  decks = plan_decks (files, n);
  pipeline = build_pipeline (decks, n, files, output);
  schedule_crossfades (decks, n);
  schedule_speed_up (&decks[n - 1]);

  /* A live EQ change on the first deck, in the middle of its track. */
  cue.deck = &decks[0];
  cue.time = decks[0].duration / 2;
  mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  mix_src = gst_element_get_static_pad (mix, "src");
  gst_pad_add_probe (mix_src, GST_PAD_PROBE_TYPE_BUFFER, on_mix_buffer, &cue,
      NULL);
  gst_object_unref (mix_src);

  if (output)
    g_print ("Rendering to %s (nothing syncs to a clock: faster than real "
        "time)\n", output);
  else
    g_print ("Playing\n");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  ok = wait_for_eos (pipeline, decks, n);
  if (ok) {
    gint64 end = 0;

    gst_element_query_position (pipeline, GST_FORMAT_TIME, &end);
    g_print ("End of the mix at %.2f s\n", end / 1e9);
    /* Still PLAYING: the counters are those of the whole run. */
    print_stats (mix, decks, n);
    if (output)
      g_print ("Wrote %s\n", output);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (i = 0; i < n; i++) {
    gst_object_unref (decks[i].eq);
    gst_object_unref (decks[i].rate);
    gst_object_unref (decks[i].pad);
    g_clear_object (&decks[i].decoder);
    g_strfreev (decks[i].tracks);
    g_free (decks[i].name);
  }
  g_free (decks);
  gst_object_unref (mix);
  gst_object_unref (pipeline);
  g_strfreev (files);
  g_free (output);
  /* Lets leak checkers (GST_TRACERS=leaks) see a clean exit. */
  gst_deinit ();
  return ok ? 0 : 1;
}
