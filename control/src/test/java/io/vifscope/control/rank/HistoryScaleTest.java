package io.vifscope.control.rank;

import static io.vifscope.control.rank.HistoryTest.SECOND;
import static io.vifscope.control.rank.HistoryTest.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.SoftirqStats;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The design point: 65,536 flows present, 5 minutes of history at 1 s polls. Memory must not grow with time,
 * and a flood of one-shot flows must cost what the map holds, no more. add() and window() times are printed,
 * not asserted (speed goals live in the benchmark); the memory bounds are generous.
 */
class HistoryScaleTest {
  static final int FLOWS = 65_536;
  static final long MB = 1 << 20;
  /** Interfaces the flows spread over, both directions. */
  static final int IFACES = 8;

  static FlowKey key(int i, int generation) {
    long saddr = ((long) (0x0a000000 | (generation << 17) | i)) << 32;
    return new FlowKey(3 + i % IFACES, (i & 8) == 0 ? Direction.INGRESS : Direction.EGRESS, 4, 17, 0, 0,
        1024 + i % 50_000, 514, saddr, 0, 0xc0a80a05L << 32, 0);
  }

  static ProbeSnapshot snapshot(long nanos, Map<FlowKey, FlowStats> flows, Map<IfaceKey, IfaceStats> ifaces) {
    return new ProbeSnapshot(nanos, new SoftirqStats[0][], List.of(), ifaces, flows, Map.of(), FLOWS, Map.of());
  }

  static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }

  @Test
  void sixtyFiveThousandFlowsUseTheSameMemoryAfterTenMinutesAsAfterFive() {
    FlowKey[] keys = new FlowKey[FLOWS];
    for (int i = 0; i < FLOWS; i++) {
      keys[i] = key(i, 0);
    }
    Map<FlowKey, FlowStats> flows = new HashMap<>(FLOWS * 2);
    long before = usedHeap();
    History h = new History(Duration.ofMinutes(5), Duration.ofSeconds(1));
    long[] addNanos = new long[300];
    long heapAt300 = 0;
    long approxAt300 = 0;
    for (int p = 0; p <= 600; p++) {
      for (int i = 0; i < FLOWS; i++) {
        long packets = (long) p * (1 + i % 100);
        flows.put(keys[i], new FlowStats(packets, packets * 200));
      }
      ProbeSnapshot s = snapshot(T0 + p * SECOND, flows, Map.of());
      long t = System.nanoTime();
      h.add(s);
      t = System.nanoTime() - t;
      if (p > 300) {
        addNanos[p - 301] = t;
      }
      if (p == 300) {
        heapAt300 = usedHeap() - before;
        approxAt300 = h.approximateBytes();
      }
    }
    long heapAt600 = usedHeap() - before;
    long approxAt600 = h.approximateBytes();
    Reference.reachabilityFence(flows); // measured with the test's flow map at both points

    long[][] windowNanos = new long[4][21];
    int[] seconds = {2, 10, 40, 300};
    for (int run = 0; run < 21; run++) {
      for (int w = 0; w < seconds.length; w++) {
        long t = System.nanoTime();
        WindowStats ws = h.window(Duration.ofSeconds(seconds[w]));
        windowNanos[w][run] = System.nanoTime() - t;
        assertEquals(FLOWS, ws.flows().size());
        assertEquals((long) seconds[w] * 17, ws.flows().get(keys[16])[WindowStats.PACKETS]);
      }
    }
    System.out.printf("History with %,d flows, 5 min at 1 s: add() median %.2f ms (max %.2f ms); window() median"
            + " 2 s %.2f ms, 10 s %.2f ms, 40 s %.2f ms, 300 s %.2f ms%n", FLOWS, median(addNanos),
        Arrays.stream(addNanos).max().getAsLong() / 1e6, median(windowNanos[0]), median(windowNanos[1]),
        median(windowNanos[2]), median(windowNanos[3]));
    System.out.printf("History memory: approximateBytes %.1f MB after 300 polls, %.1f MB after 600; heap growth"
        + " measured (MemoryMXBean; without the keys, which the test holds, with the test's own flow map, about 5 MB)"
        + " %.1f MB after 300, %.1f MB after 600%n", approxAt300 / 1e6,
        approxAt600 / 1e6, heapAt300 / 1e6, heapAt600 / 1e6);

    assertEquals(FLOWS, h.trackedFlows());
    assertEquals(approxAt300, approxAt600, "the estimate does not move once the slots are allocated");
    assertTrue(approxAt600 < 100 * MB, "estimate " + approxAt600);
    assertTrue(heapAt600 < 100 * MB, "measured " + heapAt600);
    assertTrue(heapAt600 - heapAt300 < 2 * MB, "grew from " + heapAt300 + " to " + heapAt600);
    // The estimate and the measurement agree to within the keys (the test holds them) and the JVM's slack.
    assertTrue(Math.abs(approxAt600 - heapAt600) < 16 * MB, approxAt600 + " vs " + heapAt600);
  }

  @Test
  void aSpoofedFloodOfOneShotFlowsCostsWhatTheMapHolds() {
    // 30 s of history: by poll 31 every slot has been written once, so the table's memory must stay put after.
    History h = new History(Duration.ofSeconds(30), Duration.ofSeconds(1));
    Map<IfaceKey, long[]> ifaceCounts = new HashMap<>();
    long[] addNanos = new long[40];
    long approxAt32 = 0;
    for (int p = 0; p < 40; p++) {
      // Every poll the map holds 65,536 flows never seen before, one packet each: the LRU map evicted the rest.
      Map<FlowKey, FlowStats> flows = new HashMap<>(FLOWS * 2);
      for (int i = 0; i < FLOWS; i++) {
        FlowKey k = key(i, p);
        flows.put(k, new FlowStats(1, 60));
        long[] c = ifaceCounts.computeIfAbsent(new IfaceKey(k.ifindex(), k.direction()), x -> new long[2]);
        c[0] += 1;
        c[1] += 60;
      }
      Map<IfaceKey, IfaceStats> ifaces = new HashMap<>();
      ifaceCounts.forEach((k, v) -> ifaces.put(k, new IfaceStats(v[0], v[1], 0)));
      ProbeSnapshot s = snapshot(T0 + p * SECOND, flows, ifaces);
      long t = System.nanoTime();
      h.add(s);
      addNanos[p] = System.nanoTime() - t;
      if (p == 32) {
        approxAt32 = h.approximateBytes();
      }
    }
    assertEquals(FLOWS, h.trackedFlows());
    assertEquals(approxAt32, h.approximateBytes(), "no growth: rows of gone flows are reused");
    WindowStats ws = h.window(Duration.ofSeconds(10));
    long tracked = 0;
    for (long[] v : ws.flows().values()) {
      tracked += v[WindowStats.PACKETS];
    }
    long evicted = 0;
    for (long[] v : ws.evicted().values()) {
      evicted += v[WindowStats.PACKETS];
    }
    long total = 0;
    for (long[] v : ws.interfaces().values()) {
      total += v[WindowStats.PACKETS];
    }
    assertEquals(FLOWS, tracked);
    assertEquals(9L * FLOWS, evicted);
    assertEquals(10L * FLOWS, total);
    for (long u : ws.unattributedPackets().values()) {
      assertEquals(0, u);
    }
    System.out.printf("History under a one-shot flood (%,d new flows per poll): add() median %.2f ms, %.1f MB%n",
        FLOWS, median(Arrays.copyOfRange(addNanos, 5, 40)), h.approximateBytes() / 1e6);
  }
}
