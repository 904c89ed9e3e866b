/* What the ports of GStreamer's own element tests share.
 *
 * Each file in this directory restates, scenario by scenario and number
 * by number, one of GStreamer 1.22's gst-check files for the stock element
 * a kithara element replaces; its header lists every change.  Each file is
 * built twice: against the kithara element, and with PEER_STOCK against
 * the stock one (the control build: it must pass the same scenarios, which
 * shows that the port asks what the original asked).
 *
 * A scenario that cannot apply by design (a format the kithara element
 * does not take, a property it does not have) is skipped in the kithara
 * build with its reason, listed in the file's skip table; the test then
 * checks what the element does instead (typically: it refuses the format
 * with not-negotiated rather than crashing).  The control build runs it as
 * written.  Each program ends with one summary line.
 */
#ifndef __KITHARA_PEER_H__
#define __KITHARA_PEER_H__

#include "../kitharacheck.h"

#ifdef PEER_STOCK
#define PEER_ELEMENT(kithara, stock) stock
#define PEER_BUILD "stock"
#else
#define PEER_ELEMENT(kithara, stock) kithara
#define PEER_BUILD "kithara"
#endif

typedef struct
{
  const gchar *test;
  const gchar *reason;
} PeerSkip;

/* TRUE (after saying why) when @test is in @skips and this is the
 * kithara build: the caller then checks what the element does instead
 * and returns. */
static inline gboolean
peer_skipped (const PeerSkip * skips, const gchar * test)
{
#ifndef PEER_STOCK
  for (; skips->test; skips++) {
    if (strcmp (skips->test, test) == 0) {
      g_print ("SKIP %s: %s\n", test, skips->reason);
      return TRUE;
    }
  }
#endif
  return FALSE;
}

#define PEER_SKIP_HERE(skips) peer_skipped ((skips), __func__)

/* Runs the suite and prints "peer NAME (BUILD): T scenarios, P passed,
 * S skipped by design, F failed". */
static inline int
peer_run (Suite * suite, const gchar * name, const PeerSkip * skips)
{
  SRunner *sr = srunner_create (suite);
  gint total, failed, skipped = 0;

  srunner_run_all (sr, CK_NORMAL);
  total = srunner_ntests_run (sr);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  if (g_getenv ("GST_CHECKS")) {
    /* A selection: which of the skips ran is not known here. */
    g_print ("peer %s (%s): %d scenarios selected, %d failed\n", name,
        PEER_BUILD, total, failed);
    return kc_exit_status (failed);
  }
#ifndef PEER_STOCK
  for (; skips->test; skips++)
    skipped++;
#endif
  g_print ("peer %s (%s): %d scenarios, %d passed, %d skipped by design, "
      "%d failed\n", name, PEER_BUILD, total, total - skipped - failed,
      skipped, failed);
  return kc_exit_status (failed);
}

#define PEER_CHECK_MAIN(name, skips)                    \
int                                                     \
main (int argc, char **argv)                            \
{                                                       \
  gst_check_init (&argc, &argv);                        \
  return peer_run (name ## _suite (), #name, skips);    \
}

#endif /* __KITHARA_PEER_H__ */
