package io.vifscope.control.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.NapiStats;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.SoftirqStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Windows over snapshots from a fake kernel: the test sends traffic into monotonic counters the way the tc
 * programs do, reads them at timestamps it controls, and compares every window with what it sent.
 */
class HistoryTest {
  static final long SECOND = 1_000_000_000L;
  /** nanoTime has an arbitrary origin, negative included. */
  static final long T0 = -7_000 * SECOND;

  /** Counters as the kernel keeps them: interface totals, flow entries (LRU: entries can vanish), CPUs. */
  static final class FakeKernel {
    final Map<FlowKey, long[]> flows = new HashMap<>();
    final Map<IfaceKey, long[]> ifaces = new HashMap<>();
    final long[][][] softirq = new long[2][SoftirqStats.VECTORS][4];
    final List<Map<String, long[]>> napi = List.of(new HashMap<>(), new HashMap<>());
    final Map<Counter, Long> counters = new EnumMap<>(Counter.class);
    final Map<Integer, String> names = new HashMap<>();
    int capacity = 65_536;
    /** Flows with packets since the last read: what the kernel's change journal hands over. */
    final java.util.Set<FlowKey> changed = new java.util.LinkedHashSet<>();

    FakeKernel() {
      for (Counter c : Counter.values()) {
        counters.put(c, 0L);
      }
    }

    /** A packet burst seen at the tc hook and counted in its flow entry (created if missing). */
    void send(FlowKey k, long packets, long bytes) {
      count(new IfaceKey(k.ifindex(), k.direction()), packets, bytes, 0);
      long[] f = flows.get(k);
      if (f == null) {
        f = new long[2];
        flows.put(k, f);
        counters.merge(Counter.FLOW_INSERTS, 1L, Long::sum);
      }
      f[0] += packets;
      f[1] += bytes;
      changed.add(k);
    }

    /** Packets the parser could not classify: interface totals only. */
    void unparsed(IfaceKey k, long packets, long bytes) {
      count(k, packets, bytes, packets);
      counters.merge(Counter.UNPARSED_NON_IP, packets, Long::sum);
    }

    void count(IfaceKey k, long packets, long bytes, long unparsed) {
      long[] v = ifaces.computeIfAbsent(k, x -> new long[3]);
      v[0] += packets;
      v[1] += bytes;
      v[2] += unparsed;
    }

    void evict(FlowKey k) {
      flows.remove(k);
    }

    ProbeSnapshot read(long nanos) {
      SoftirqStats[][] si = new SoftirqStats[softirq.length][SoftirqStats.VECTORS];
      for (int cpu = 0; cpu < si.length; cpu++) {
        for (int v = 0; v < SoftirqStats.VECTORS; v++) {
          long[] s = softirq[cpu][v];
          si[cpu][v] = new SoftirqStats(s[0], s[1], s[2], s[3]);
        }
      }
      List<Map<String, NapiStats>> nx = new ArrayList<>();
      for (Map<String, long[]> m : napi) {
        Map<String, NapiStats> c = new HashMap<>();
        m.forEach((d, s) -> c.put(d, new NapiStats(s[0], s[1], s[2], s[3], s[4])));
        nx.add(c);
      }
      Map<IfaceKey, IfaceStats> is = new HashMap<>();
      ifaces.forEach((k, v) -> is.put(k, new IfaceStats(v[0], v[1], v[2])));
      Map<FlowKey, FlowStats> fs = new HashMap<>();
      // Fresh key objects, as the probe decodes them on every read.
      flows.forEach((k, v) -> fs.put(copy(k), new FlowStats(v[0], v[1])));
      changed.clear();
      return new ProbeSnapshot(nanos, si, nx, is, fs, new EnumMap<>(counters), capacity, new HashMap<>(names));
    }

    /**
     * Reads the map (like {@link #read}) and returns it twice: whole, and as the kernel's change journal hands
     * it over: only the flows that had packets since the last read (the first of them twice, as when two CPUs
     * journaled it), with the counts a full read gives.
     */
    ProbeSnapshot[] readWholeAndChanged(long nanos) {
      List<FlowKey> journaled = new ArrayList<>(changed);
      ProbeSnapshot full = read(nanos);
      FlowCounts.Builder b = new FlowCounts.Builder(16);
      ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
      boolean first = true;
      for (FlowKey key : journaled) {
        FlowStats v = full.flows().get(key);
        if (v == null) {
          continue; // evicted since: the journal skips keys no longer in the map
        }
        key.encode(raw, 0);
        b.add(raw, 0, v.packets(), v.bytes());
        if (first) {
          b.add(raw, 0, v.packets(), v.bytes());
          first = false;
        }
      }
      ProbeSnapshot partial = new ProbeSnapshot(nanos, full.softirq(), full.napi(), full.interfaces(), b.build(),
          full.counters(), capacity, full.names(), full.flowEntries(), false);
      return new ProbeSnapshot[] {full, partial};
    }
  }

  static FlowKey flow(int ifindex, Direction d, int source, int dport) {
    long saddr = (0x0a000000L | source) << 32; // 10.x.y.z in the top 4 bytes
    return new FlowKey(ifindex, d, 4, 17, 0, 0, 40_000 + (source & 0x3fff), dport, saddr, 0, 0xc0a80a05L << 32, 0);
  }

  static FlowKey copy(FlowKey k) {
    return new FlowKey(k.ifindex(), k.direction(), k.family(), k.protocol(), k.flags(), k.vlan(), k.sport(),
        k.dport(), k.saddrHi(), k.saddrLo(), k.daddrHi(), k.daddrLo());
  }

  static IfaceKey iface(FlowKey k) {
    return new IfaceKey(k.ifindex(), k.direction());
  }

  static long packets(Map<? extends Object, long[]> m, Object k) {
    long[] v = m.get(k);
    return v == null ? 0 : v[WindowStats.PACKETS];
  }

  static long bytes(Map<? extends Object, long[]> m, Object k) {
    long[] v = m.get(k);
    return v == null ? 0 : v[WindowStats.BYTES];
  }

  static Duration s(double seconds) {
    return Duration.ofNanos(Math.round(seconds * 1e9));
  }

  static History fiveMinutes() {
    return new History(Duration.ofMinutes(5), Duration.ofSeconds(1));
  }

  // ---- steady rates and window lengths ---------------------------------------------------------------------

  @Test
  void steadyRatesAreExactOverEveryWindowTheCliUses() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.EGRESS, 1, 514);
    FlowKey b = flow(7, Direction.EGRESS, 2, 514);
    for (int p = 0; p <= 400; p++) {
      if (p > 0) {
        k.send(a, 1000, 300_000);
        k.send(b, 10, 1000);
      }
      h.add(k.read(T0 + p * SECOND));
    }
    for (int w : new int[] {1, 2, 10, 40, 60, 300}) {
      WindowStats ws = h.window(Duration.ofSeconds(w));
      assertEquals(w, ws.seconds(), 1e-9, "window " + w);
      assertEquals(1000.0, packets(ws.flows(), a) / ws.seconds(), 1e-9, "flow a packets/s over " + w);
      assertEquals(300_000.0, bytes(ws.flows(), a) / ws.seconds(), 1e-9, "flow a bytes/s over " + w);
      assertEquals(10.0, packets(ws.flows(), b) / ws.seconds(), 1e-9, "flow b packets/s over " + w);
      IfaceKey i = iface(a);
      assertEquals(1010L * w, packets(ws.interfaces(), i));
      assertEquals(301_000L * w, bytes(ws.interfaces(), i));
      assertEquals(0L, ws.unattributedPackets().get(i));
      assertTrue(ws.evicted().isEmpty());
      assertEquals(T0 + 400 * SECOND, ws.endMonotonicNanos());
    }
    assertEquals(Duration.ofSeconds(300), h.retained());
    assertEquals(2, h.trackedFlows());
  }

  @Test
  void longWindowsStartAtTheNearestCoarseBoundaryAndSayHowLongTheyAre() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.EGRESS, 1, 514);
    for (int p = 0; p <= 405; p++) {
      if (p > 0) {
        k.send(a, 1000, 300_000);
      }
      h.add(k.read(T0 + p * SECOND));
    }
    // Polls 345..404 are in the fine tier; before that only every 10th poll is a boundary.
    double[][] askedAndGot = {{60, 60}, {61, 60}, {63, 65}, {67, 65}, {120, 115}, {300, 295}, {301, 305}, {900, 305}};
    for (double[] c : askedAndGot) {
      WindowStats ws = h.window(s(c[0]));
      assertEquals(c[1], ws.seconds(), 1e-9, "asked " + c[0] + " s");
      assertEquals(Math.round(c[1] * 1000), packets(ws.flows(), a), "asked " + c[0] + " s");
      assertEquals(1000.0, packets(ws.flows(), a) / ws.seconds(), 1e-9);
    }
    assertEquals(Duration.ofSeconds(305), h.retained());
  }

  @Test
  void otherPollIntervalsAndRetentionsKeepRatesExact() {
    // {retention s, poll ms}: all in the fine tier; fast polls (fine tier shorter than 60 s); a long history.
    long[][] configs = {{30, 1000}, {300, 250}, {3600, 1000}, {600, 2000}};
    for (long[] c : configs) {
      Duration retention = Duration.ofSeconds(c[0]);
      Duration poll = Duration.ofMillis(c[1]);
      History h = new History(retention, poll);
      FakeKernel k = new FakeKernel();
      FlowKey a = flow(7, Direction.EGRESS, 1, 514);
      long polls = retention.toMillis() / c[1] + 37;
      for (long p = 0; p <= polls; p++) {
        if (p > 0) {
          k.send(a, c[1], c[1] * 100); // 1000 packets/s
        }
        h.add(k.read(T0 + p * poll.toNanos()));
      }
      String what = retention + " at " + poll;
      assertTrue(h.retained().compareTo(retention) >= 0, what + ": retained " + h.retained());
      for (Duration w : new Duration[] {poll, Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(40),
          retention}) {
        WindowStats ws = h.window(w);
        assertEquals(1000.0, packets(ws.flows(), a) / ws.seconds(), 1e-6, what + ", window " + w);
        // At most half a coarse slot from what was asked (a 10 s slot, or 1 min for an hour of history).
        double slack = c[0] >= 3600 ? 30 : 5;
        assertEquals(w.toMillis() / 1e3, ws.seconds(), slack, what + ", window " + w);
      }
      assertEquals(poll.toMillis() / 1e3, h.window(poll).seconds(), 1e-9, what);
    }
  }

  @Test
  void aWindowLargerThanTheHistoryIsClampedAndShortOnesAreOnePoll() {
    History h = fiveMinutes();
    WindowStats empty = h.window(Duration.ofSeconds(10));
    assertEquals(0, empty.seconds());
    assertTrue(empty.flows().isEmpty());
    assertEquals(Duration.ZERO, h.retained());

    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.INGRESS, 1, 53);
    k.send(a, 5_000, 500_000); // before the agent started: the baseline, not traffic of any window
    h.add(k.read(T0));
    WindowStats one = h.window(Duration.ofSeconds(10));
    assertEquals(0, one.seconds());
    assertTrue(one.flows().isEmpty());
    assertEquals(T0, one.endMonotonicNanos());

    for (int p = 1; p < 20; p++) {
      k.send(a, 3, 300);
      h.add(k.read(T0 + p * SECOND));
    }
    assertEquals(Duration.ofSeconds(19), h.retained());
    assertEquals(19, h.window(Duration.ofMinutes(5)).seconds(), 1e-9);
    assertEquals(57, packets(h.window(Duration.ofMinutes(5)).flows(), a));
    assertEquals(19, h.window(Duration.ofDays(365 * 1_000_000L)).seconds(), 1e-9);
    assertEquals(1, h.window(Duration.ZERO).seconds(), 1e-9);
    assertEquals(1, h.window(Duration.ofMillis(300)).seconds(), 1e-9);
    assertEquals(1, h.window(Duration.ofSeconds(-5)).seconds(), 1e-9);
    assertEquals(3, packets(h.window(Duration.ofMillis(300)).flows(), a));
  }

  @Test
  void snapshotsMustMoveForward() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    h.add(k.read(T0));
    assertThrows(IllegalArgumentException.class, () -> h.add(k.read(T0)));
    assertThrows(IllegalArgumentException.class, () -> new History(Duration.ofSeconds(1), Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new History(Duration.ofMillis(10), Duration.ofSeconds(1)));
  }

  @Test
  void jitteredPollsGiveExactRatesFromTheRealTimestamps() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(3, Direction.EGRESS, 9, 514);
    java.util.Random rnd = new java.util.Random(42);
    List<Long> times = new ArrayList<>();
    long t = T0;
    for (int p = 0; p <= 400; p++) {
      if (p > 0) {
        long micros = 900_000 + rnd.nextInt(400_001); // 0.9 .. 1.3 s
        t += micros * 1000;
        k.send(a, micros, micros * 200); // one packet per microsecond: 1,000,000 packets/s whatever the interval
      }
      times.add(t);
      h.add(k.read(t));
    }
    int latest = times.size() - 1;
    for (int w : new int[] {1, 2, 10, 40, 60, 120, 300}) {
      WindowStats ws = h.window(Duration.ofSeconds(w));
      assertEquals(1e6, packets(ws.flows(), a) / ws.seconds(), 1e-3, "packets/s over " + w + " s");
      assertEquals(2e8, bytes(ws.flows(), a) / ws.seconds(), 1e-1, "bytes/s over " + w + " s");
      // The start is the poll (or, beyond the fine tier, the 10-poll boundary) nearest to "newest minus w".
      long target = times.get(latest) - w * SECOND;
      int best = latest - 1;
      for (int p = latest - 1; p >= 0; p--) {
        boolean candidate = p >= latest - 60 || (p % 10 == 0 && p >= (latest / 10 - 30) * 10);
        if (candidate && Math.abs(times.get(p) - target) < Math.abs(times.get(best) - target)) {
          best = p;
        }
      }
      assertEquals((times.get(latest) - times.get(best)) / 1e9, ws.seconds(), 1e-9, "window " + w);
    }
  }

  // ---- eviction -------------------------------------------------------------------------------------------

  @Test
  void aFlowEvictedAndReinsertedCountsItsNewEntryAndTheLossIsUnattributed() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.EGRESS, 1, 514);
    k.send(a, 1000, 100_000);
    h.add(k.read(T0));
    k.send(a, 100, 10_000);
    h.add(k.read(T0 + SECOND));
    k.send(a, 50, 5_000); // counted in the entry, then the entry is evicted before the next read
    k.evict(a);
    k.send(a, 30, 3_000); // a new entry, lower than the old count
    h.add(k.read(T0 + 2 * SECOND));

    WindowStats one = h.window(Duration.ofSeconds(1));
    assertEquals(30, packets(one.flows(), a));
    assertEquals(3_000, bytes(one.flows(), a));
    assertEquals(80, packets(one.interfaces(), iface(a)));
    assertEquals(50L, one.unattributedPackets().get(iface(a)));
    assertTrue(one.evicted().isEmpty(), "the flow never left the map at a read");
    WindowStats two = h.window(Duration.ofSeconds(2));
    assertEquals(130, packets(two.flows(), a));
    assertEquals(50L, two.unattributedPackets().get(iface(a)));
    assertEquals(1, h.flowEvictions(Duration.ofSeconds(2)), "one insert, no more entries than before");
  }

  @Test
  void aFlowGoneFromTheMapMovesToEvictedAndTotalsStayRight() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.EGRESS, 1, 514);
    FlowKey b = flow(7, Direction.EGRESS, 2, 514);
    FlowKey c = flow(8, Direction.INGRESS, 3, 80);
    h.add(k.read(T0));
    for (int p = 1; p <= 12; p++) {
      if (p <= 10) {
        k.send(a, 100, 10_000);
      }
      if (p == 11) {
        k.send(a, 40, 4_000); // after a's last read: lost with its entry
        k.evict(a);
      }
      k.send(b, 10, 1_000);
      k.send(c, 1, 60);
      h.add(k.read(T0 + p * SECOND));
    }
    assertEquals(2, h.trackedFlows());
    WindowStats ten = h.window(Duration.ofSeconds(10)); // intervals 3..12
    assertFalse(ten.flows().containsKey(a));
    assertEquals(100, packets(ten.flows(), b));
    assertEquals(800, packets(ten.evicted(), iface(a)));
    assertEquals(80_000, bytes(ten.evicted(), iface(a)));
    assertEquals(800 + 40 + 100, packets(ten.interfaces(), iface(a)));
    assertEquals(40L, ten.unattributedPackets().get(iface(a)));
    assertEquals(0L, ten.unattributedPackets().get(iface(c)));
    assertFalse(ten.evicted().containsKey(iface(c)));

    WindowStats two = h.window(Duration.ofSeconds(2)); // intervals 11..12: a had only lost traffic
    assertFalse(two.evicted().containsKey(iface(a)));
    assertEquals(40L, two.unattributedPackets().get(iface(a)));
    assertEquals(1, h.flowEvictions(Duration.ofSeconds(10)), "no insert, one entry fewer");

    // Its past ages out with the history, then nothing of it remains.
    for (int p = 13; p <= 330; p++) {
      k.send(b, 10, 1_000);
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats all = h.window(Duration.ofMinutes(5));
    assertTrue(all.evicted().isEmpty());
    assertEquals(0L, all.unattributedPackets().get(iface(a)));
    assertEquals(0, packets(all.interfaces(), iface(c)));
  }

  @Test
  void aLongLivedFlowLeavesItsWholePastInEvicted() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey a = flow(7, Direction.EGRESS, 1, 514);
    FlowKey b = flow(7, Direction.EGRESS, 2, 514);
    h.add(k.read(T0));
    for (int p = 1; p <= 200; p++) {
      if (p <= 150) {
        k.send(a, 7, 700);
      }
      k.send(b, 1, 100);
      if (p == 150) {
        h.add(k.read(T0 + p * SECOND));
        k.evict(a);
        continue;
      }
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats all = h.window(Duration.ofMinutes(5));
    assertEquals(200, all.seconds(), 1e-9);
    assertEquals(150 * 7, packets(all.evicted(), iface(a)));
    assertEquals(150 * 700, bytes(all.evicted(), iface(a)));
    assertEquals(0L, all.unattributedPackets().get(iface(a)));
    WindowStats ninety = h.window(Duration.ofSeconds(90)); // intervals 111..200, from coarse slots
    assertEquals(90, ninety.seconds(), 1e-9);
    assertEquals(40 * 7, packets(ninety.evicted(), iface(a)));
    assertEquals(90, packets(ninety.flows(), b));
  }

  @Test
  void anInterfaceThatVanishesKeepsItsPastUntilItAgesOutAndComesBackFresh() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey d = flow(9, Direction.EGRESS, 4, 514);
    FlowKey other = flow(2, Direction.INGRESS, 5, 22);
    k.names.put(9, "000a17-I");
    k.names.put(2, "eth0");
    h.add(k.read(T0));
    for (int p = 1; p <= 15; p++) {
      if (p <= 10) {
        k.send(d, 20, 2_000);
      }
      if (p == 11) { // the vif is gone: its interface entries and flows with it
        k.ifaces.remove(iface(d));
        k.evict(d);
        k.names.remove(9);
      }
      k.send(other, 1, 100);
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats ten = h.window(Duration.ofSeconds(10)); // intervals 6..15
    assertEquals(100, packets(ten.interfaces(), iface(d)));
    assertEquals(100, packets(ten.evicted(), iface(d)));
    assertEquals(0L, ten.unattributedPackets().get(iface(d)));
    assertNull(ten.names().get(9));
    assertEquals("eth0", ten.names().get(2));

    for (int p = 16; p <= 330; p++) {
      k.send(other, 1, 100);
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats all = h.window(Duration.ofMinutes(5));
    assertFalse(all.interfaces().containsKey(iface(d)));
    assertFalse(all.evicted().containsKey(iface(d)));

    // Same ifindex, new interface: its counters start again and count from there.
    k.send(d, 7, 700);
    h.add(k.read(T0 + 331 * SECOND));
    assertEquals(7, packets(h.window(Duration.ofSeconds(1)).interfaces(), iface(d)));
    assertEquals(7, packets(h.window(Duration.ofSeconds(1)).flows(), d));
  }

  @Test
  void anInterfaceEntryGoneWhileItsFlowsStayIsNoError() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey e = flow(4, Direction.INGRESS, 6, 443);
    h.add(k.read(T0));
    for (int p = 1; p <= 400; p++) {
      k.send(e, 2, 200);
      if (p > 5) {
        k.ifaces.remove(iface(e)); // interface map full or cleared: only the flow counts
      }
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats ws = h.window(Duration.ofSeconds(10));
    assertEquals(20, packets(ws.flows(), e));
    assertFalse(ws.interfaces().containsKey(iface(e)));
  }

  // ---- softirq, NAPI, counters ----------------------------------------------------------------------------

  @Test
  void softirqNapiAndCountersAreWindowDeltas() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    int netRx = 3;
    int timer = 1;
    k.softirq[0][netRx] = new long[] {1_000_000, 9_000_000_000L, 5, 6}; // since boot: baseline only
    k.napi.get(0).put("eth0", new long[] {77, 88, 99, 11, 0});
    k.counters.put(Counter.ERR_FLOW_UPDATE_ENOMEM, 100L);
    h.add(k.read(T0));
    for (int p = 1; p <= 20; p++) {
      add(k.softirq[0][netRx], 100, 500_000_000, 80, 400_000_000);
      add(k.softirq[1][timer], 10, 1_000_000, 0, 0);
      add(k.napi.get(0).get("eth0"), 50, 3_200, 10, 400_000_000, 0);
      if (p == 15) {
        k.napi.get(1).put("vif3.0", new long[] {5, 64, 0, 1_000_000, 2}); // a device new on CPU 1
      } else if (p > 15) {
        add(k.napi.get(1).get("vif3.0"), 5, 64, 0, 1_000_000, 2);
      }
      k.counters.merge(Counter.UNPARSED_NON_IP, 3L, Long::sum);
      if (p == 18) {
        k.counters.put(Counter.ERR_FLOW_UPDATE_ENOMEM, 7L); // went down: a restarted probe
      }
      h.add(k.read(T0 + p * SECOND));
    }
    WindowStats ws = h.window(Duration.ofSeconds(10));
    assertEquals(2, ws.softirq().size());
    assertArrayEquals(new long[] {1_000, 5_000_000_000L, 800, 4_000_000_000L}, ws.softirq().get(0)[netRx]);
    assertArrayEquals(new long[] {100, 10_000_000, 0, 0}, ws.softirq().get(1)[timer]);
    assertArrayEquals(new long[] {0, 0, 0, 0}, ws.softirq().get(1)[netRx]);
    assertEquals(SoftirqStats.VECTORS, ws.softirq().get(0).length);
    assertArrayEquals(new long[] {500, 32_000, 100, 4_000_000_000L, 0}, ws.napi().get(0).get("eth0"));
    assertArrayEquals(new long[] {30, 384, 0, 6_000_000, 12}, ws.napi().get(1).get("vif3.0"));
    assertEquals(30L, ws.counters().get(Counter.UNPARSED_NON_IP));
    assertEquals(7L, ws.counters().get(Counter.ERR_FLOW_UPDATE_ENOMEM));
    assertEquals(0L, ws.counters().get(Counter.FLOW_INSERTS));
    // 0.5 s of NET_RX per 1 s poll on CPU 0, 80 % of it in ksoftirqd.
    assertEquals(0.5, ws.softirq().get(0)[netRx][1] / (ws.seconds() * 1e9), 1e-12);
  }

  private static void add(long[] v, long... d) {
    for (int i = 0; i < d.length; i++) {
      v[i] += d[i];
    }
  }

  private static void assertArrayEquals(long[] expected, long[] actual) {
    assertNotNull(actual);
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
  }

  // ---- big numbers ----------------------------------------------------------------------------------------

  @Test
  void aHundredGigabitFlowDoesNotOverflow() {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    FlowKey big = flow(2, Direction.INGRESS, 1, 4791); // 100 Gbit/s: 12.5 GB per second
    FlowKey mid = flow(2, Direction.INGRESS, 2, 4791); // 300 MB/s: fits an int per second, not per 10 s
    long bigBytes = 12_500_000_000L;
    long bigPackets = 148_809_523L; // line rate in minimum-size frames
    h.add(k.read(T0));
    for (int p = 1; p <= 400; p++) {
      k.send(big, bigPackets, bigBytes);
      k.send(mid, 200_000, 300_000_000L);
      h.add(k.read(T0 + p * SECOND));
    }
    for (int w : new int[] {1, 10, 40, 300}) {
      WindowStats ws = h.window(Duration.ofSeconds(w));
      assertEquals(bigBytes * w, bytes(ws.flows(), big), "bytes over " + w);
      assertEquals(bigPackets * w, packets(ws.flows(), big), "packets over " + w);
      assertEquals(300_000_000L * w, bytes(ws.flows(), mid), "bytes over " + w);
      assertEquals(0L, ws.unattributedPackets().get(iface(big)));
    }
    k.evict(big);
    k.send(mid, 200_000, 300_000_000L);
    h.add(k.read(T0 + 401 * SECOND));
    WindowStats ws = h.window(Duration.ofMinutes(5)); // intervals 101..401: big had 300 of them
    assertEquals(301, ws.seconds(), 1e-9);
    assertEquals(bigBytes * 300, bytes(ws.evicted(), iface(big)));
    assertEquals(bigPackets * 300, packets(ws.evicted(), iface(big)));
    assertEquals(300_000_000L * 301, bytes(ws.flows(), mid));
  }

  // ---- churn against ground truth -------------------------------------------------------------------------

  /** One thing the generator did in one interval. */
  private record Sent(int interval, FlowKey flow, IfaceKey iface, long packets, long bytes, Kind kind) {}

  private enum Kind { FLOW, LOST, UNPARSED }

  @Test
  void randomChurnMatchesWhatWasSent() {
    churn(7, i -> 3, List.of(5, 59, 61, 99, 137, 300, 301, 455, 600), 8, Integer.MAX_VALUE, 50);
  }

  /**
   * Flows talk in phases: all of them, one in twenty, none, all again, and bursts of all among one in twenty. The
   * table's columns hold only the rows with traffic while few talk and a cell per row while most do (the table's
   * first 1,024 rows here, for about 900 flows), so each phase turns them from one form to the other, inside a slot too; windows
   * across the changes must still match what was sent.
   */
  @Test
  void flowsTalkingInPhasesMatchWhatWasSent() {
    // Quarters of the flows that talk in an interval: 4 all, 3 most, 0 none, -1 one in twenty.
    java.util.function.IntUnaryOperator phase = i -> i > 600 ? 3 : i > 500 ? (i % 23 == 0 ? 4 : -1)
        : i > 350 ? 4 : i > 280 ? 0 : i > 200 ? -1 : 4;
    churn(13, phase, List.of(60, 150, 199, 205, 211, 230, 281, 290, 351, 352, 355, 361, 420, 501, 506, 621, 690), 24, 900, 5_000);
  }

  /**
   * Random flows come (up to {@code arrivals} - 1 an interval), talk and leave; windows are checked against what
   * was sent at the polls in {@code checkAt}. One burst in {@code hugeOneIn} is 100,000 times larger than a
   * wire could carry in a slot, so that its flow moves to the wide cells.
   */
  private void churn(long seed, java.util.function.IntUnaryOperator quarters, List<Integer> checkAt, int arrivals,
      int maxLive, int hugeOneIn) {
    History h = fiveMinutes();
    FakeKernel k = new FakeKernel();
    java.util.Random rnd = new java.util.Random(seed);
    IfaceKey[] ifaces = {new IfaceKey(7, Direction.EGRESS), new IfaceKey(7, Direction.INGRESS),
        new IfaceKey(8, Direction.EGRESS)};
    List<Sent> log = new ArrayList<>();
    List<FlowKey> live = new ArrayList<>();
    int next = 1;
    h.add(k.read(T0));
    int last = checkAt.get(checkAt.size() - 1);
    for (int i = 1; i <= last; i++) {
      int q = quarters.applyAsInt(i);
      for (int n = rnd.nextInt(arrivals); n > 0; n--) {
        IfaceKey at = ifaces[rnd.nextInt(ifaces.length)];
        live.add(flow(at.ifindex(), at.direction(), next++, 1 + rnd.nextInt(1024)));
      }
      for (FlowKey f : live) {
        if (q < 0 ? rnd.nextInt(20) == 0 : rnd.nextInt(4) < q) {
          long packets = 1 + rnd.nextInt(2000);
          long bytes = packets * (64 + rnd.nextInt(1437)) * (rnd.nextInt(hugeOneIn) == 0 ? 100_000 : 1);
          k.send(f, packets, bytes);
          log.add(new Sent(i, f, iface(f), packets, bytes, Kind.FLOW));
        }
      }
      for (int n = rnd.nextInt(5) + Math.max(0, live.size() - maxLive); n > 0 && !live.isEmpty(); n--) {
        FlowKey f = live.remove(rnd.nextInt(live.size()));
        // What it counted since its last read goes with the entry.
        for (int j = log.size() - 1; j >= 0 && log.get(j).interval() == i; j--) {
          Sent e = log.get(j);
          if (f.equals(e.flow())) {
            log.set(j, new Sent(i, f, e.iface(), e.packets(), e.bytes(), Kind.LOST));
          }
        }
        if (rnd.nextBoolean()) {
          k.send(f, 9, 900); // counted after its last read, gone with the entry
          log.add(new Sent(i, f, iface(f), 9, 900, Kind.LOST));
        }
        k.evict(f);
      }
      if (rnd.nextInt(3) == 0) {
        IfaceKey at = ifaces[rnd.nextInt(ifaces.length)];
        k.unparsed(at, 5, 300);
        log.add(new Sent(i, null, at, 5, 300, Kind.UNPARSED));
      }
      h.add(k.read(T0 + i * SECOND));
      if (checkAt.contains(i)) {
        for (int w : new int[] {1, 2, 5, 10, 40, 60, 61, 65, 90, 120, 299, 300, 400}) {
          checkWindow(h.window(Duration.ofSeconds(w)), i, w, log, live, ifaces);
        }
        assertEquals(k.flows.size(), h.trackedFlows());
      }
    }
  }

  private static void checkWindow(WindowStats ws, int latest, int asked, List<Sent> log, List<FlowKey> live,
      IfaceKey[] ifaces) {
    // Expected start: the nearest poll in the fine tier (last 60), or else the nearest held 10-poll boundary.
    int target = latest - asked;
    int start = latest - 1;
    for (int p = latest - 1; p >= 0; p--) {
      boolean candidate = p >= latest - 60 || (p % 10 == 0 && p >= (latest / 10 - 30) * 10);
      if (candidate && Math.abs(p - target) < Math.abs(start - target)) {
        start = p;
      }
    }
    String what = "poll " + latest + ", window " + asked;
    assertEquals(latest - start, ws.seconds(), 1e-9, what);
    Map<FlowKey, long[]> flows = new HashMap<>();
    Map<IfaceKey, long[]> evicted = new HashMap<>();
    Map<IfaceKey, long[]> totals = new HashMap<>();
    Map<IfaceKey, Long> lost = new HashMap<>();
    java.util.Set<FlowKey> present = new java.util.HashSet<>(live);
    for (Sent e : log) {
      if (e.interval() <= start || e.interval() > latest) {
        continue;
      }
      long[] t = totals.computeIfAbsent(e.iface(), x -> new long[3]);
      t[0] += e.packets();
      t[1] += e.bytes();
      if (e.kind() == Kind.UNPARSED) {
        t[2] += e.packets();
      }
      if (e.kind() == Kind.FLOW) {
        long[] v = (present.contains(e.flow()) ? flows.computeIfAbsent(e.flow(), x -> new long[2])
            : evicted.computeIfAbsent(e.iface(), x -> new long[2]));
        v[0] += e.packets();
        v[1] += e.bytes();
      } else {
        lost.merge(e.iface(), e.packets(), Long::sum);
      }
    }
    assertEquals(flows.keySet(), ws.flows().keySet(), what);
    flows.forEach((f, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(v, ws.flows().get(f), what));
    assertEquals(evicted.keySet(), ws.evicted().keySet(), what);
    evicted.forEach((i, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(v, ws.evicted().get(i), what));
    for (IfaceKey i : ifaces) {
      long[] t = totals.getOrDefault(i, new long[3]);
      long[] got = ws.interfaces().get(i);
      if (got != null) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(t, got, what + " " + i);
        assertEquals(lost.getOrDefault(i, 0L), ws.unattributedPackets().get(i), what + " " + i);
      } else {
        assertEquals(0, t[0], what + " " + i);
      }
    }
  }

  @Test
  void aKeyReadTwiceInOnePollCountsOnce() {
    History h = new History(Duration.ofMinutes(5), Duration.ofSeconds(1));
    FlowKey a = flow(3, Direction.INGRESS, 1, 514);
    h.add(flowsOnly(0, Map.of(), 1024));
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    a.encode(raw, 0);
    FlowCounts.Builder twice = new FlowCounts.Builder(2);
    twice.add(raw, 0, 10, 1_000);
    twice.add(raw, 0, 10, 1_000);
    h.add(new ProbeSnapshot(1_000_000_000L, new SoftirqStats[0][], List.of(), Map.of(), twice.build(), Map.of(), 1024,
        Map.of()));
    assertEquals(1, h.trackedFlows());
    assertEquals(10, h.window(Duration.ofSeconds(1)).flows().get(a)[WindowStats.PACKETS]);
  }

  @Test
  void partialPollsGiveTheSameWindowsAsCompleteOnes() {
    // Two histories over one kernel: one reads the whole map every poll, the other only the changed flows with a
    // complete read every 7 polls. Flows appear, idle, come back and are evicted at random.
    History whole = fiveMinutes();
    History journal = fiveMinutes();
    FakeKernel k = new FakeKernel();
    java.util.Random rnd = new java.util.Random(11);
    List<FlowKey> live = new ArrayList<>();
    int next = 1;
    ProbeSnapshot[] first = k.readWholeAndChanged(T0);
    whole.add(first[0]);
    journal.add(first[0]);
    for (int i = 1; i <= 400; i++) {
      for (int n = rnd.nextInt(6); n > 0; n--) {
        live.add(flow(7, rnd.nextBoolean() ? Direction.EGRESS : Direction.INGRESS, next++, 1 + rnd.nextInt(1024)));
      }
      for (FlowKey f : live) {
        if (rnd.nextInt(5) == 0) { // most flows idle in most polls
          k.send(f, 1 + rnd.nextInt(500), 64 + rnd.nextInt(100_000));
        }
      }
      if (rnd.nextInt(4) == 0 && !live.isEmpty()) {
        k.evict(live.remove(rnd.nextInt(live.size())));
      }
      ProbeSnapshot[] s = k.readWholeAndChanged(T0 + i * SECOND);
      whole.add(s[0]);
      journal.add(i % 7 == 0 ? s[0] : s[1]);
      for (int w : new int[] {1, 3, 10, 60, 300}) {
        WindowStats a = whole.window(Duration.ofSeconds(w));
        WindowStats b = journal.window(Duration.ofSeconds(w));
        // A flow evicted between complete reads keeps its row (and its past in the flows) until the next one;
        // the whole-map history has moved that past to the interface's evicted traffic already.
        Map<IfaceKey, Long> wholeByIface = new HashMap<>();
        Map<IfaceKey, Long> journalByIface = new HashMap<>();
        a.flows().forEach((f, v) -> wholeByIface.merge(iface(f), v[WindowStats.PACKETS], Long::sum));
        a.evicted().forEach((f, v) -> wholeByIface.merge(f, v[WindowStats.PACKETS], Long::sum));
        b.flows().forEach((f, v) -> journalByIface.merge(iface(f), v[WindowStats.PACKETS], Long::sum));
        b.evicted().forEach((f, v) -> journalByIface.merge(f, v[WindowStats.PACKETS], Long::sum));
        wholeByIface.values().removeIf(v -> v == 0);
        journalByIface.values().removeIf(v -> v == 0);
        assertEquals(wholeByIface, journalByIface, "poll " + i + ", " + w + " s window: flows + evicted per interface");
        for (Map.Entry<FlowKey, long[]> e : a.flows().entrySet()) {
          long[] v = b.flows().get(e.getKey());
          assertNotNull(v, "poll " + i + ", " + w + " s: flow " + e.getKey());
          assertEquals(e.getValue()[WindowStats.PACKETS], v[WindowStats.PACKETS], "poll " + i + ": " + e.getKey());
          assertEquals(e.getValue()[WindowStats.BYTES], v[WindowStats.BYTES], "poll " + i + ": " + e.getKey());
        }
      }
      if (i % 7 == 0) {
        assertEquals(whole.trackedFlows(), journal.trackedFlows(), "a complete read drops the evicted rows");
      } else {
        assertTrue(journal.trackedFlows() >= whole.trackedFlows());
      }
    }
  }

  /** A snapshot of nothing but a flow map, for tests that only care about flows. */
  static ProbeSnapshot flowsOnly(long nanos, Map<FlowKey, FlowStats> flows, int capacity) {
    return new ProbeSnapshot(nanos, new SoftirqStats[0][], List.of(), Map.of(), flows, Map.of(), capacity, Map.of());
  }
}
