package io.vifscope.probe;

import java.nio.ByteBuffer;

/**
 * One CPU's counters for one softirq vector. Mirrors {@code struct vs_softirq_stats} (kernel/vifscope.h),
 * the value of map {@code softirq_time} (per-CPU array indexed by vector).
 *
 * @param runs softirq runs of this vector
 * @param timeNs time spent in them
 * @param ksoftirqdRuns the part of {@code runs} that ran inside a ksoftirqd thread
 * @param ksoftirqdTimeNs the part of {@code timeNs} spent inside a ksoftirqd thread
 */
public record SoftirqStats(long runs, long timeNs, long ksoftirqdRuns, long ksoftirqdTimeNs) {
  public static final int SIZE = 32;
  public static final Layout LAYOUT =
      Layout.of("vs_softirq_stats", SIZE, "runs", 0, "time_ns", 8, "ksoftirqd_runs", 16, "ksoftirqd_time_ns", 24);

  /** Number of softirq vectors (NR_SOFTIRQS, stable since 2.6.x), VS_NR_SOFTIRQS in the header. */
  public static final int VECTORS = 10;

  /** Names as /proc/softirqs prints them, indexed by vector. */
  private static final String[] NAMES = {
    "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"
  };

  /** The /proc/softirqs name of a vector number. */
  public static String vectorName(int vector) {
    return vector >= 0 && vector < NAMES.length ? NAMES[vector] : "VEC" + vector;
  }

  public static SoftirqStats decode(ByteBuffer b, int off) {
    return new SoftirqStats(b.getLong(off), b.getLong(off + 8), b.getLong(off + 16), b.getLong(off + 24));
  }
}
