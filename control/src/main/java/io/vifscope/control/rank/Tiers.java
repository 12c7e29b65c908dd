package io.vifscope.control.rank;

import java.time.Duration;

/**
 * The shape of the history's two resolutions and the clock that fills them; shared by every table of
 * {@link History} so they all agree on which slot holds which time.
 *
 * <p>Polls are numbered from 0. Poll 0 only sets the baseline; <em>interval</em> i is the time between poll
 * i-1 and poll i. The <em>fine</em> tier keeps one slot per interval for the last {@link #fineSlots} intervals:
 * short windows (the CLI's 2 s, 10 s, 40 s) are answered exactly at poll resolution. The <em>coarse</em> tier
 * keeps one slot per {@link #coarseFactor} intervals: slot j sums intervals jK+1 .. (j+1)K, slot boundaries are
 * fixed to poll numbers (not to the window asked). It holds {@link #coarseSlots} completed slots, which cover
 * at least the retention, plus the slot being filled now, so a long window needs no fine slot at all.
 *
 * <p>A window is chosen by time, not by counting polls, because polls jitter and can be late on a busy host:
 * its start is the poll whose timestamp is nearest to "newest poll minus the window", among every poll of the
 * fine tier and, further back, every coarse slot boundary (ties go to the shorter window). The window always
 * ends at the newest poll, covers at least one interval and at most what is held, and {@link Span} carries the
 * two boundary timestamps so the caller reports the exact time covered.
 */
final class Tiers {
  /** How far back poll resolution reaches, time-wise (capped by {@link #MAX_FINE_SLOTS}). */
  static final Duration FINE_SPAN = Duration.ofSeconds(60);
  /** Nominal width of a coarse slot (wider when the retention would need more than {@link #MAX_COARSE_SLOTS}). */
  static final Duration COARSE_WIDTH = Duration.ofSeconds(10);
  /** Memory per flow grows with the number of slots, so both tiers have a ceiling whatever the configuration. */
  static final int MAX_FINE_SLOTS = 120;
  static final int MAX_COARSE_SLOTS = 60;

  /** Fine slots: one per interval. */
  final int fineSlots;
  /** Intervals per coarse slot. */
  final int coarseFactor;
  /** Completed coarse slots kept; the ring has one more column, for the slot being filled. */
  final int coarseSlots;

  /** Timestamp and flows present of each poll still reachable from the fine tier, by poll number. */
  private final long[] pollNanos;
  private final long[] pollFlows;
  /** Timestamp and flows present of the poll each coarse slot starts after, by slot number. */
  private final long[] slotStartNanos;
  private final long[] slotStartFlows;

  private long latest = -1;
  private long completed;

  Tiers(Duration retention, Duration pollInterval) {
    long poll = pollInterval.toNanos();
    long intervals = Math.max(1, divRound(retention.toNanos(), poll));
    coarseFactor = (int) Math.max(Math.max(1, divRound(COARSE_WIDTH.toNanos(), poll)),
        ceilDiv(intervals, MAX_COARSE_SLOTS));
    coarseSlots = (int) ceilDiv(intervals, coarseFactor);
    fineSlots = (int) Math.max(1, Math.min(Math.min(intervals, divRound(FINE_SPAN.toNanos(), poll)), MAX_FINE_SLOTS));
    pollNanos = new long[fineSlots + 1];
    pollFlows = new long[fineSlots + 1];
    slotStartNanos = new long[coarseSlots + 1];
    slotStartFlows = new long[coarseSlots + 1];
  }

  private static long divRound(long a, long b) {
    return (a + b / 2) / b;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** Starts poll {@code latest() + 1}, taken at {@code nanos} with {@code flows} flow entries present. */
  void advance(long nanos, long flows) {
    latest++;
    int p = (int) (latest % pollNanos.length);
    pollNanos[p] = nanos;
    pollFlows[p] = flows;
    if (latest == 0) {
      slotStartNanos[0] = nanos;
      slotStartFlows[0] = flows;
    }
  }

  /**
   * Closes the coarse slot being filled if the newest poll ends it, and starts the next one.
   *
   * @return true when a new coarse column was started (every table must zero it)
   */
  boolean closeSlotIfDue() {
    if (latest < 1 || latest % coarseFactor != 0) {
      return false;
    }
    completed++;
    int c = coarseCol(completed);
    slotStartNanos[c] = latestNanos();
    slotStartFlows[c] = pollFlows[(int) (latest % pollFlows.length)];
    return true;
  }

  /** The newest poll's number, -1 before the first. */
  long latest() {
    return latest;
  }

  long latestNanos() {
    return pollNanos[(int) (latest % pollNanos.length)];
  }

  /** Completed coarse slots so far; also the number of the slot being filled. */
  long completed() {
    return completed;
  }

  /** The fine column of interval i. */
  int fineCol(long interval) {
    return (int) (interval % fineSlots);
  }

  /** The coarse column of slot j. */
  int coarseCol(long slot) {
    return (int) (slot % (coarseSlots + 1));
  }

  /** Number of coarse columns (completed slots kept, plus the one being filled). */
  int coarseColumns() {
    return coarseSlots + 1;
  }

  /** The first interval whose data some column still holds: rows with no data since then hold nothing. */
  long oldestHeldInterval() {
    long fine = latest - fineSlots + 1;
    long coarse = (completed - coarseSlots) * coarseFactor + 1;
    return Math.max(1, Math.min(fine, coarse));
  }

  /** The oldest poll a window can start at. */
  private long oldestStartPoll() {
    long fineOldest = Math.max(0, latest - fineSlots);
    long coarseOldest = Math.max(0, completed - coarseSlots) * coarseFactor;
    return Math.min(fineOldest, coarseOldest);
  }

  /** Time covered by the history now: from the oldest poll a window can start at to the newest. */
  long retainedNanos() {
    if (latest < 1) {
      return 0;
    }
    long p = oldestStartPoll();
    return latestNanos() - startNanos(p);
  }

  /** Timestamp of a poll that starts a window: one the fine tier reaches, or a coarse slot boundary. */
  private long startNanos(long poll) {
    if (poll >= latest - fineSlots) {
      return pollNanos[(int) (poll % pollNanos.length)];
    }
    return slotStartNanos[coarseCol(poll / coarseFactor)];
  }

  /**
   * Which slots answer a window, and the exact time they cover.
   *
   * @param startNanos timestamp of the poll the window starts after
   * @param endNanos timestamp of the newest poll
   * @param startFlows flow entries present at the start poll
   * @param endFlows flow entries present at the newest poll
   * @param fineCols fine columns to sum (intervals after the start poll), when the window is in the fine tier
   * @param coarseCols coarse columns to sum otherwise (completed slots from the start, plus the current one)
   */
  record Span(long startNanos, long endNanos, long startFlows, long endFlows, int[] fineCols, int[] coarseCols) {
    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }

  /** The window of about {@code windowNanos} ending at the newest poll; null until there are two polls. */
  Span span(long windowNanos) {
    if (latest < 1) {
      return null;
    }
    long end = latestNanos();
    // Asking for more than is held means all of it; clamping first keeps the arithmetic from overflowing.
    long target = end - Math.min(Math.max(0, windowNanos), retainedNanos());
    long fineOldest = Math.max(0, latest - fineSlots);
    long best = latest - 1;
    long bestDistance = distance(startNanos(best), target);
    for (long p = latest - 2; p >= fineOldest; p--) {
      long d = distance(startNanos(p), target);
      if (d < bestDistance) {
        best = p;
        bestDistance = d;
      }
    }
    if (fineOldest > 0) {
      long oldestSlot = Math.max(0, completed - coarseSlots);
      for (long j = Math.min(completed, (fineOldest - 1) / coarseFactor); j >= oldestSlot; j--) {
        long d = distance(startNanos(j * coarseFactor), target);
        if (d < bestDistance) {
          best = j * coarseFactor;
          bestDistance = d;
        }
      }
    }
    long endFlows = pollFlows[(int) (latest % pollFlows.length)];
    if (best >= fineOldest) {
      int[] fine = new int[(int) (latest - best)];
      for (int i = 0; i < fine.length; i++) {
        fine[i] = fineCol(best + 1 + i);
      }
      return new Span(startNanos(best), end, pollFlows[(int) (best % pollFlows.length)], endFlows, fine, new int[0]);
    }
    long first = best / coarseFactor;
    // The slot being filled holds intervals after the last boundary; it is empty right after a boundary.
    long last = completed * coarseFactor < latest ? completed : completed - 1;
    int[] coarse = new int[(int) (last - first + 1)];
    for (int i = 0; i < coarse.length; i++) {
      coarse[i] = coarseCol(first + i);
    }
    return new Span(startNanos(best), end, slotStartFlows[coarseCol(first)], endFlows, new int[0], coarse);
  }

  private static long distance(long a, long b) {
    return Math.abs(a - b);
  }

  /** Heap held by this object, roughly. */
  long bytes() {
    return 64 + 2 * Sizes.longs(pollNanos.length) + 2 * Sizes.longs(slotStartNanos.length);
  }
}
