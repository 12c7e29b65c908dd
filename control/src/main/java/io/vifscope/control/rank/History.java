package io.vifscope.control.rank;

import io.vifscope.probe.Counter;
import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.NapiStats;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.SoftirqStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's bounded memory of what the probe counted: turns the probe's monotonic snapshots into per-poll
 * deltas and answers "what happened in the last N seconds" with a {@link WindowStats}.
 *
 * <p><b>Deltas.</b> Every probe number is a counter since the probe started; a poll's delta is its increase
 * since the previous poll. The first snapshot is only a baseline. An entry new since the previous poll counts
 * its whole value (it was created since). A flow whose count went down was evicted from the kernel's LRU map
 * and inserted again: it counts its new value, and what it had counted since the last read is lost with the
 * old entry; the interface totals still have it, so it shows as unattributed. The same rule covers any counter
 * that goes down (a probe restart).
 *
 * <p><b>Flows and interfaces that go.</b> A flow gone from the map keeps its past in every window, moved into
 * its interface and direction's evicted traffic, and its own record is dropped: memory follows the flows present
 * in the map, not time × map size, and a one-shot flow (a spoofed flood) costs nothing once it is gone. An
 * interface (or NAPI device, or softirq vector) gone from the snapshot keeps its past until that ages out of the
 * history, then its record goes; if it comes back it starts as a new entry.
 *
 * <p><b>Resolution.</b> Two tiers (see {@link Tiers}): with the default 1 s poll and 5 min history, one slot per
 * poll for the last 60 s, and 10 s slots over the whole history. A window of up to 60 s starts at the poll whose
 * timestamp is nearest to "newest poll minus the window" and is exact at poll resolution. A longer window starts
 * at the nearest 10 s slot boundary (so it may cover up to 5 s more or less than asked). Every window ends at
 * the newest poll, covers at least one poll interval and at most what is held, and {@link WindowStats#seconds()}
 * is the exact time between its two boundary polls from their timestamps, so rates are exact for the time
 * covered even when polls jitter.
 *
 * <p><b>Memory.</b> Per flow present: about 130 bytes of bookkeeping, its raw 48-byte key included (keys are
 * decoded only for the windows that return them), plus its cells: 12 bytes for each slot in which it had traffic
 * (int packets and bytes and its row; a flow that overflows an int in some slot moves to long cells, so 100
 * Gbit/s per flow is counted exactly). A slot in which most rows had traffic holds 8 bytes for every row instead
 * (see {@link SlotCells}), so the worst case, every flow talking in every slot, is 8 bytes per flow and slot, 91
 * slots by default: about 56 MB for 65,536 flows in a map of that size (65,536 rows; in a larger map rows grow
 * by an eighth, in steps of 4,096: about 63 MB at 73,728 rows), the same after an hour as after five minutes. Flows that talk a few seconds a minute cost a few MB. Small tables
 * (interfaces, CPUs, devices, counters) use long cells.
 *
 * <p>Thread safety: all methods synchronize on the history; the poller adds while the service reads.
 */
public final class History {
  /** Fields of the interface table: the probe's three counters, then the evicted flows' traffic. */
  static final int IF_PACKETS = 0;
  static final int IF_BYTES = 1;
  static final int IF_UNPARSED = 2;
  static final int IF_EVICTED_PACKETS = 3;
  static final int IF_EVICTED_BYTES = 4;

  /** Softirq counters of one CPU and vector. */
  private record CpuVector(int cpu, int vector) {}

  /** NAPI counters of one CPU and polled device. */
  private record CpuDevice(int cpu, String device) {}

  private final Tiers tiers;
  private final DeltaTable<IfaceKey> interfaces;
  private final FlowTable flows;
  private final DeltaTable<CpuVector> softirq;
  private final DeltaTable<CpuDevice> napi;
  private final DeltaTable<Counter> counters;
  private final long[] scratch = new long[5];

  /** Shape of the newest snapshot's softirq array: vectors per CPU. */
  private int[] softirqShape = new int[0];
  private int napiCpus;
  private Map<Integer, String> names = Map.of();

  /**
   * @param retention how far back windows reach (the agent's history, default 5 minutes)
   * @param pollInterval how often the agent adds a snapshot (default 1 s); sizes the slots
   */
  public History(Duration retention, Duration pollInterval) {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll interval must be positive, got " + pollInterval);
    }
    if (retention.compareTo(pollInterval) < 0) {
      throw new IllegalArgumentException("retention " + retention + " is shorter than the poll interval " + pollInterval);
    }
    tiers = new Tiers(retention, pollInterval);
    interfaces = new DeltaTable<>(tiers, 5, 3);
    flows = new FlowTable(tiers, interfaces);
    softirq = new DeltaTable<>(tiers, 4, 4);
    napi = new DeltaTable<>(tiers, 5, 5);
    counters = new DeltaTable<>(tiers, 1, 1);
  }

  /**
   * Adds the newest poll.
   *
   * @throws IllegalArgumentException if it is not newer than the previous one
   */
  public synchronized void add(ProbeSnapshot s) {
    if (tiers.latest() >= 0 && s.monotonicNanos() <= tiers.latestNanos()) {
      throw new IllegalArgumentException("snapshot at " + s.monotonicNanos() + " ns is not after the previous one at "
          + tiers.latestNanos() + " ns");
    }
    FlowCounts flowCounts = s.flowCounts() == null ? FlowCounts.EMPTY : s.flowCounts();
    tiers.advance(s.monotonicNanos(), flowCounts.size());
    long poll = tiers.latest();
    if (poll > 0) {
      int fc = tiers.fineCol(poll);
      flows.openFine(fc);
      interfaces.openFine(fc);
      softirq.openFine(fc);
      napi.openFine(fc);
      counters.openFine(fc);
    }

    flows.update(flowCounts, s.flowCapacity(), s.flowsComplete());
    if (s.interfaces() != null) {
      for (Map.Entry<IfaceKey, IfaceStats> e : s.interfaces().entrySet()) {
        IfaceStats v = e.getValue();
        scratch[0] = v.packets();
        scratch[1] = v.bytes();
        scratch[2] = v.unparsed();
        interfaces.observe(e.getKey(), scratch);
      }
    }
    SoftirqStats[][] si = s.softirq() == null ? new SoftirqStats[0][] : s.softirq();
    softirqShape = new int[si.length];
    for (int cpu = 0; cpu < si.length; cpu++) {
      softirqShape[cpu] = si[cpu] == null ? 0 : si[cpu].length;
      for (int vec = 0; vec < softirqShape[cpu]; vec++) {
        SoftirqStats v = si[cpu][vec];
        if (v != null) {
          scratch[0] = v.runs();
          scratch[1] = v.timeNs();
          scratch[2] = v.ksoftirqdRuns();
          scratch[3] = v.ksoftirqdTimeNs();
          softirq.observe(new CpuVector(cpu, vec), scratch);
        }
      }
    }
    List<Map<String, NapiStats>> nx = s.napi() == null ? List.of() : s.napi();
    napiCpus = nx.size();
    for (int cpu = 0; cpu < nx.size(); cpu++) {
      if (nx.get(cpu) == null) {
        continue;
      }
      for (Map.Entry<String, NapiStats> e : nx.get(cpu).entrySet()) {
        NapiStats v = e.getValue();
        scratch[0] = v.polls();
        scratch[1] = v.work();
        scratch[2] = v.budgetExhausted();
        scratch[3] = v.timeNs();
        scratch[4] = v.pollsOutsideSoftirq();
        napi.observe(new CpuDevice(cpu, e.getKey()), scratch);
      }
    }
    if (s.counters() != null) {
      for (Map.Entry<Counter, Long> e : s.counters().entrySet()) {
        scratch[0] = e.getValue();
        counters.observe(e.getKey(), scratch);
      }
    }

    if (tiers.closeSlotIfDue()) {
      int cc = tiers.coarseCol(tiers.completed());
      flows.openCoarse(cc);
      interfaces.openCoarse(cc);
      softirq.openCoarse(cc);
      napi.openCoarse(cc);
      counters.openCoarse(cc);
    }
    interfaces.expire();
    softirq.expire();
    napi.expire();
    counters.expire();
    names = s.names() == null ? Map.of() : Map.copyOf(s.names());
  }

  /**
   * Everything counted in about the last {@code window}, ending at the newest poll: rounded to whole polls (to
   * whole coarse slots beyond the fine tier), at least one poll interval, at most what is held. {@link
   * WindowStats#seconds()} says exactly how long it is; it is 0, with no data, until two polls have been added.
   */
  public synchronized WindowStats window(Duration window) {
    return window(window, null);
  }

  /**
   * The same window with its flows handed to {@code flowVisitor} (under this history's lock, raw keys, nothing
   * allocated per flow) instead of listed: the returned stats have no flows ({@link WindowStats#flowWindow()} is
   * empty), the rest is as {@link #window(Duration)} gives it. For the metrics endpoint, which aggregates the flows
   * of every scrape and keeps none. With a null visitor, exactly {@link #window(Duration)}.
   */
  public synchronized WindowStats window(Duration window, FlowWindow.Visitor flowVisitor) {
    Tiers.Span span = tiers.span(saturatedNanos(window));
    if (span == null) {
      return new WindowStats(0, tiers.latest() < 0 ? 0 : tiers.latestNanos(), FlowWindow.EMPTY, Map.of(), Map.of(),
          List.of(), List.of(), Map.of(), Map.of(), names);
    }
    long[] flowPacketsByIface = new long[interfaces.highWater()];
    FlowWindow flowWindow;
    if (flowVisitor == null) {
      flowWindow = flows.window(span, flowPacketsByIface);
    } else {
      flows.visit(span, flowPacketsByIface, flowVisitor);
      flowWindow = FlowWindow.EMPTY;
    }

    Map<IfaceKey, long[]> ifaceWindow = new HashMap<>();
    Map<IfaceKey, long[]> evicted = new HashMap<>();
    Map<IfaceKey, Long> unattributed = new HashMap<>();
    for (int r = 0; r < interfaces.highWater(); r++) {
      if (!interfaces.inUse(r)) {
        continue;
      }
      long[] v = interfaces.sum(r, span);
      IfaceKey k = interfaces.key(r);
      if (v[IF_EVICTED_PACKETS] != 0 || v[IF_EVICTED_BYTES] != 0) {
        evicted.put(k, new long[] {v[IF_EVICTED_PACKETS], v[IF_EVICTED_BYTES]});
      }
      if (interfaces.seenNow(r) || v[IF_PACKETS] != 0 || v[IF_BYTES] != 0 || v[IF_UNPARSED] != 0) {
        ifaceWindow.put(k, new long[] {v[IF_PACKETS], v[IF_BYTES], v[IF_UNPARSED]});
        // Summed over the window before clamping: interface and flow maps are read microseconds apart.
        long rest = v[IF_PACKETS] - flowPacketsByIface[r] - v[IF_EVICTED_PACKETS];
        unattributed.put(k, Math.max(0, rest));
      }
    }

    List<long[][]> softirqWindow = new ArrayList<>(softirqShape.length);
    for (int cpu = 0; cpu < softirqShape.length; cpu++) {
      long[][] perVector = new long[softirqShape[cpu]][];
      for (int vec = 0; vec < perVector.length; vec++) {
        int r = softirq.find(new CpuVector(cpu, vec));
        perVector[vec] = r < 0 ? null : softirq.sum(r, span);
      }
      softirqWindow.add(perVector);
    }

    List<Map<String, long[]>> napiWindow = new ArrayList<>();
    for (int r = 0; r < napi.highWater(); r++) {
      if (!napi.inUse(r)) {
        continue;
      }
      long[] v = napi.sum(r, span);
      if (napi.seenNow(r) || !allZero(v)) {
        CpuDevice k = napi.key(r);
        while (napiWindow.size() <= k.cpu()) {
          napiWindow.add(new HashMap<>());
        }
        napiWindow.get(k.cpu()).put(k.device(), v);
      }
    }
    while (napiWindow.size() < napiCpus) {
      napiWindow.add(new HashMap<>());
    }

    Map<Counter, Long> counterWindow = new EnumMap<>(Counter.class);
    for (int r = 0; r < counters.highWater(); r++) {
      if (counters.inUse(r)) {
        long v = counters.sum(r, span)[0];
        if (counters.seenNow(r) || v != 0) {
          counterWindow.put(counters.key(r), v);
        }
      }
    }

    return new WindowStats(span.seconds(), span.endNanos(), flowWindow, evicted, ifaceWindow,
        Collections.unmodifiableList(softirqWindow), Collections.unmodifiableList(napiWindow),
        counterWindow, unattributed, names);
  }

  /**
   * Flow entries the kernel evicted in the window (same window as {@link #window}): entries inserted minus the
   * growth of the entries present. It counts evictions no read could see (a flow inserted and evicted between
   * two polls) and re-inserted flows alike; 0 if the probe reports no insert counter.
   */
  public synchronized long flowEvictions(Duration window) {
    Tiers.Span span = tiers.span(saturatedNanos(window));
    int r = counters.find(Counter.FLOW_INSERTS);
    if (span == null || r < 0) {
      return 0;
    }
    long inserts = counters.sum(r, span)[0];
    return Math.max(0, inserts - (span.endFlows() - span.startFlows()));
  }

  /** Time the history covers now: the longest window it can answer (shorter than the retention after start). */
  public synchronized Duration retained() {
    return Duration.ofNanos(tiers.retainedNanos());
  }

  /** Flows present in the newest snapshot, each holding a record. */
  public synchronized int trackedFlows() {
    return flows.size();
  }

  /**
   * A cheap estimate of the heap this history holds (arrays by their length, keys and map entries by typical
   * sizes), for the status rpc. It includes the flow keys the history keeps alive.
   */
  public synchronized long approximateBytes() {
    return 64 + tiers.bytes() + flows.bytes() + interfaces.bytes() + softirq.bytes() + napi.bytes()
        + counters.bytes() + (long) names.size() * Sizes.MAP_ENTRY;
  }

  private static long saturatedNanos(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  private static boolean allZero(long[] v) {
    for (long x : v) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
