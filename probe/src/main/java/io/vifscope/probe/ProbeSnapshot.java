package io.vifscope.probe;

import java.util.List;
import java.util.Map;

/**
 * Everything the kernel side has counted, read at one moment. Every number is a monotonic counter since the
 * probe started (deltas and rates are the consumer's job); the maps are read without resetting anything.
 *
 * @param monotonicNanos {@link System#nanoTime()} when the read began
 * @param softirq per CPU (outer index) and vector (inner index)
 * @param napi per CPU, then device name ({@link NapiKey#NOT_A_POLL} for NET_RX time outside polls)
 * @param interfaces per interface × direction, summed over CPUs
 * @param flowCounts per flow (interface × direction × flow key), summed over CPUs; only flows present in the map
 *     now, in primitive arrays ({@link #flows()} is the map view)
 * @param counters the kernel's loss and parser counters, summed over CPUs
 * @param flowCapacity the flow map's size
 * @param names interface names by ifindex as the probe knows them now (kernel facts, no domains)
 * @param flowEntries flow entries present when the map was read (also after {@link #withoutFlows()}); when
 *     {@code flowsComplete} is false, those of the last full read plus the flows inserted since (evictions since then
 *     are not known yet)
 * @param flowsComplete true when {@code flowCounts} holds every flow in the map; false when it holds the flows that
 *     had packets since the previous snapshot (the kernel's change journal): a flow missing from it is unchanged, not
 *     gone. A flow may then appear twice, with the same counts.
 */
public record ProbeSnapshot(
    long monotonicNanos,
    SoftirqStats[][] softirq,
    List<Map<String, NapiStats>> napi,
    Map<IfaceKey, IfaceStats> interfaces,
    FlowCounts flowCounts,
    Map<Counter, Long> counters,
    int flowCapacity,
    Map<Integer, String> names,
    int flowEntries,
    boolean flowsComplete) {

  /** A snapshot with every flow of the map. */
  public ProbeSnapshot(long monotonicNanos, SoftirqStats[][] softirq, List<Map<String, NapiStats>> napi,
      Map<IfaceKey, IfaceStats> interfaces, FlowCounts flowCounts, Map<Counter, Long> counters, int flowCapacity,
      Map<Integer, String> names, int flowEntries) {
    this(monotonicNanos, softirq, napi, interfaces, flowCounts, counters, flowCapacity, names, flowEntries, true);
  }

  /** A snapshot with its flows. */
  public ProbeSnapshot(long monotonicNanos, SoftirqStats[][] softirq, List<Map<String, NapiStats>> napi,
      Map<IfaceKey, IfaceStats> interfaces, FlowCounts flowCounts, Map<Counter, Long> counters, int flowCapacity,
      Map<Integer, String> names) {
    this(monotonicNanos, softirq, napi, interfaces, flowCounts, counters, flowCapacity, names,
        flowCounts == null ? 0 : flowCounts.size());
  }

  /** The same with the flows given as a map (tests, recordings). */
  public ProbeSnapshot(long monotonicNanos, SoftirqStats[][] softirq, List<Map<String, NapiStats>> napi,
      Map<IfaceKey, IfaceStats> interfaces, Map<FlowKey, FlowStats> flows, Map<Counter, Long> counters,
      int flowCapacity, Map<Integer, String> names) {
    this(monotonicNanos, softirq, napi, interfaces, flows == null ? null : FlowCounts.of(flows), counters,
        flowCapacity, names);
  }

  /**
   * The flows as a map, built on first use: for tests and one-off readers. The agent's hot paths use
   * {@link #flowCounts()}.
   */
  public Map<FlowKey, FlowStats> flows() {
    return flowCounts == null ? null : flowCounts.asMap();
  }

  /**
   * The same snapshot without its per-flow entries (their count stays): what a holder keeps once the flows have
   * gone into a history, so that a poll's flow arrays (megabytes at 65k flows) die young.
   */
  public ProbeSnapshot withoutFlows() {
    return new ProbeSnapshot(monotonicNanos, softirq, napi, interfaces, FlowCounts.EMPTY, counters, flowCapacity,
        names, flowEntries, flowsComplete);
  }
}
