package io.vifscope.probe;

import java.nio.ByteBuffer;

/**
 * Mirrors {@code struct vs_iface_stats}: one CPU's counters for an interface × direction.
 *
 * @param packets packets (skbs) seen at the tc hook
 * @param bytes their length (skb->len, the Ethernet frame without FCS)
 * @param unparsed the packets among them the parser could not classify into a flow
 */
public record IfaceStats(long packets, long bytes, long unparsed) {
  public static final int SIZE = 24;
  public static final Layout LAYOUT = Layout.of("vs_iface_stats", SIZE, "packets", 0, "bytes", 8, "unparsed", 16);

  public static IfaceStats decode(ByteBuffer b, int off) {
    return new IfaceStats(b.getLong(off), b.getLong(off + 8), b.getLong(off + 16));
  }

  /** Sums the per-CPU slots of one value. */
  public static IfaceStats sum(ByteBuffer b, int off, int stride, int cpus) {
    long p = 0;
    long by = 0;
    long u = 0;
    for (int c = 0; c < cpus; c++) {
      int o = off + c * stride;
      p += b.getLong(o);
      by += b.getLong(o + 8);
      u += b.getLong(o + 16);
    }
    return new IfaceStats(p, by, u);
  }
}
