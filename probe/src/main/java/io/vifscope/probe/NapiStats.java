package io.vifscope.probe;

import java.nio.ByteBuffer;

/**
 * One CPU's NAPI counters for one device. Mirrors {@code struct vs_napi_stats}, the value of map
 * {@code napi_time} (per-CPU hash keyed by {@link NapiKey}). Inside a NET_RX softirq run, the time between
 * consecutive polls is charged to the device just polled; what remains goes to the empty name.
 *
 * @param polls napi_poll events
 * @param work packets processed by those polls
 * @param budgetExhausted polls that used their whole budget (the device had more work waiting)
 * @param timeNs NET_RX softirq time charged to this device
 * @param pollsOutsideSoftirq polls seen outside a NET_RX softirq (threaded NAPI, busy polling): no time
 */
public record NapiStats(long polls, long work, long budgetExhausted, long timeNs, long pollsOutsideSoftirq) {
  public static final int SIZE = 40;
  public static final Layout LAYOUT = Layout.of("vs_napi_stats", SIZE,
      "polls", 0, "work", 8, "budget_exhausted", 16, "time_ns", 24, "polls_outside_softirq", 32);

  public static NapiStats decode(ByteBuffer b, int off) {
    return new NapiStats(b.getLong(off), b.getLong(off + 8), b.getLong(off + 16), b.getLong(off + 24), b.getLong(off + 32));
  }
}
