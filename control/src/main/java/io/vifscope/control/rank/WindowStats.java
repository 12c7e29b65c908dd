package io.vifscope.control.rank;

import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.IfaceKey;
import java.util.List;
import java.util.Map;

/**
 * What happened in a window: every counter of the probe as a delta between two polls, with the exact time
 * the window covers. Rates are deltas divided by {@link #seconds()}.
 *
 * @param seconds time between the window's first and last poll (0 when there is only one poll yet)
 * @param endMonotonicNanos when the last poll was taken ({@link System#nanoTime()})
 * @param flowWindow packets and bytes per flow in the window (flows still tracked); {@link #flows()} is its map
 *     view
 * @param evicted per interface and direction, traffic of flows that left the kernel map in the window,
 *     counted up to their last read; it stays in totals but no longer has a flow of its own
 * @param interfaces packets, bytes and unparsed packets per interface and direction
 * @param softirq per CPU, per vector: runs, time, ksoftirqd runs and time in the window
 * @param napi per CPU, per polled device name: polls, work, budget exhausted, time, polls outside softirq
 * @param counters kernel counters (unparsed reasons, inserts, failures) in the window
 * @param unattributedPackets per interface and direction: packets the interface totals count but no flow
 *     (tracked or evicted) accounts for, i.e. counts lost with evicted entries since their last read,
 *     failed inserts and unparsed packets
 * @param names interface names by ifindex at the end of the window
 */
public record WindowStats(
    double seconds,
    long endMonotonicNanos,
    FlowWindow flowWindow,
    Map<IfaceKey, long[]> evicted,
    Map<IfaceKey, long[]> interfaces,
    List<long[][]> softirq,
    List<Map<String, long[]>> napi,
    Map<Counter, Long> counters,
    Map<IfaceKey, Long> unattributedPackets,
    Map<Integer, String> names) {

  /** Index of packets in a flow/interface/evicted value array. */
  public static final int PACKETS = 0;
  /** Index of bytes. */
  public static final int BYTES = 1;
  /** Index of unparsed packets (interfaces only). */
  public static final int UNPARSED = 2;

  /** The same with the flows as a map of {packets, bytes} (tests, fixtures). */
  public WindowStats(double seconds, long endMonotonicNanos, Map<FlowKey, long[]> flows,
      Map<IfaceKey, long[]> evicted, Map<IfaceKey, long[]> interfaces, List<long[][]> softirq,
      List<Map<String, long[]>> napi, Map<Counter, Long> counters, Map<IfaceKey, Long> unattributedPackets,
      Map<Integer, String> names) {
    this(seconds, endMonotonicNanos, FlowWindow.of(flows), evicted, interfaces, softirq, napi, counters,
        unattributedPackets, names);
  }

  /** The flows as a map, built on first use (the ranking reads {@link #flowWindow()}). */
  public Map<FlowKey, long[]> flows() {
    return flowWindow.asMap();
  }

  /** Sum of one direction's interface packets (helper for shares). */
  public long interfacePackets(int ifindex, Direction d) {
    long[] v = interfaces.get(new IfaceKey(ifindex, d));
    return v == null ? 0 : v[PACKETS];
  }
}
