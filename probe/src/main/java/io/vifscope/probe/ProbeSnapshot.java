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
 * @param flows per flow (interface × direction × flow key), summed over CPUs; only flows present in the map now
 * @param counters the kernel's loss and parser counters, summed over CPUs
 * @param flowCapacity the flow map's size
 * @param names interface names by ifindex as the probe knows them now (kernel facts, no domains)
 */
public record ProbeSnapshot(
    long monotonicNanos,
    SoftirqStats[][] softirq,
    List<Map<String, NapiStats>> napi,
    Map<IfaceKey, IfaceStats> interfaces,
    Map<FlowKey, FlowStats> flows,
    Map<Counter, Long> counters,
    int flowCapacity,
    Map<Integer, String> names) {}
