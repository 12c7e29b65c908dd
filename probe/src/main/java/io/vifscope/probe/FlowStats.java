package io.vifscope.probe;

import java.nio.ByteBuffer;

/**
 * Mirrors {@code struct vs_flow_stats}: packets and bytes of one flow on one CPU (summed over CPUs when read). The
 * kernel's journal generation in the struct is the kernel's own bookkeeping and is not read.
 */
public record FlowStats(long packets, long bytes) {
  public static final int SIZE = 24;
  static final int PACKETS_OFFSET = 0;
  static final int BYTES_OFFSET = 8;
  public static final Layout LAYOUT = Layout.of("vs_flow_stats", SIZE, "packets", PACKETS_OFFSET, "bytes",
      BYTES_OFFSET, "gen", 16, "pad", 20);

  /** Sums the per-CPU slots of one value. */
  public static FlowStats sum(ByteBuffer b, int off, int stride, int cpus) {
    long p = 0;
    long by = 0;
    for (int c = 0; c < cpus; c++) {
      p += b.getLong(off + c * stride + PACKETS_OFFSET);
      by += b.getLong(off + c * stride + BYTES_OFFSET);
    }
    return new FlowStats(p, by);
  }
}
