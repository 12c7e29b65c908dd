package io.vifscope.probe;

import java.nio.ByteBuffer;

/** Mirrors {@code struct vs_flow_stats}: packets and bytes of one flow on one CPU (summed over CPUs when read). */
public record FlowStats(long packets, long bytes) {
  public static final int SIZE = 16;
  public static final Layout LAYOUT = Layout.of("vs_flow_stats", SIZE, "packets", 0, "bytes", 8);

  /** Sums the per-CPU slots of one value. */
  public static FlowStats sum(ByteBuffer b, int off, int stride, int cpus) {
    long p = 0;
    long by = 0;
    for (int c = 0; c < cpus; c++) {
      p += b.getLong(off + c * stride);
      by += b.getLong(off + c * stride + 8);
    }
    return new FlowStats(p, by);
  }
}
