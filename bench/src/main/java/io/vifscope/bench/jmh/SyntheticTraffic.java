package io.vifscope.bench.jmh;

import io.vifscope.control.rank.History;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.GuestNic;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
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
import java.util.SplittableRandom;

/**
 * Deterministic traffic for the JMH benchmarks: a fixed set of flows on a dom0 with one uplink, one bridge and
 * six guest vifs, counted the way the kernel counts them (monotonic counters, summed over CPUs when read).
 *
 * <p>The shape: 16 flows per source address (different ports and protocols), each source on one interface and
 * direction; a quarter of the sources are IPv6. Flow rates are heavy-tailed (a few big talkers, many small
 * ones). Each poll, one flow in {@link #CHANGE_EVERY} sends (a different tenth of the flows each poll), the rest
 * are unchanged: in a 10 s window every flow has traffic. No flow comes or goes after the first poll.
 *
 * <p>The same seed always gives the same flows, so every fork of a benchmark sees the same data.
 */
public final class SyntheticTraffic {
  /** CPUs whose per-CPU slots each value carries (a small dom0; {@link #encodeValues()} writes two). */
  public static final int CPUS = 2;
  /** Each poll, flow i sends when {@code i % CHANGE_EVERY == poll % CHANGE_EVERY}. */
  public static final int CHANGE_EVERY = 10;
  /** Flows sharing one source address (and so one row when ranking by source). */
  public static final int FLOWS_PER_SOURCE = 16;
  /** One CPU's share of a per-CPU flow value as the kernel lays it out: 8-byte aligned. */
  public static final int VALUE_STRIDE = (FlowStats.SIZE + 7) & ~7;
  /** Poll interval of the synthetic clock, and of the histories built from it. */
  public static final Duration POLL = Duration.ofSeconds(1);

  /** ifindex 2 is the uplink, 3 the bridge, 4..9 guest vifs. */
  private static final int UPLINK = 2;
  private static final int BRIDGE = 3;
  private static final int INTERFACES = 8;
  private static final int[] DESTINATION_PORTS = {443, 80, 53, 514, 22, 8080, 3306, 123};
  private static final long SEED = 0x5eed_f10fL;
  /** nanoTime has an arbitrary origin; start somewhere that is not zero. */
  private static final long T0 = 1_000 * POLL.toNanos();

  private final FlowKey[] keys;
  /** Packets a flow sends each time it sends, and their size. */
  private final long[] rate;
  private final int[] packetSize;
  private final long[] packets;
  private final long[] bytes;
  /** The flow map of the newest poll, updated in place by {@link #nextPoll()}. */
  private final Map<FlowKey, FlowStats> flowMap;
  /** Interface totals: packets and bytes per interface and direction. */
  private final Map<IfaceKey, long[]> ifaceTotals = new HashMap<>();
  private long polls;

  /** {@code flows} flows with their first counts (as present in the map at the first poll). */
  public SyntheticTraffic(int flows) {
    if (flows <= 0) {
      throw new IllegalArgumentException("flows must be positive, got " + flows);
    }
    keys = new FlowKey[flows];
    rate = new long[flows];
    packetSize = new int[flows];
    packets = new long[flows];
    bytes = new long[flows];
    flowMap = new HashMap<>(flows * 2);
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < flows; i++) {
      keys[i] = key(i);
      // Harmonic-like: rank r sends about 100,000 / r packets at a time.
      rate[i] = 1 + 100_000L / (1 + random.nextInt(flows));
      packetSize[i] = 64 + random.nextInt(1500 - 64 + 1);
      send(i);
    }
  }

  /** The key of flow {@code i}: its source decides interface, direction and address family. */
  static FlowKey key(int i) {
    int source = i / FLOWS_PER_SOURCE;
    int port = i % FLOWS_PER_SOURCE;
    int ifindex = UPLINK + source % INTERFACES;
    Direction direction = (source / INTERFACES) % 2 == 0 ? Direction.INGRESS : Direction.EGRESS;
    int protocol = port % 3 == 0 ? 17 : 6;
    int sport = 1024 + (i * 7) % 60_000;
    int dport = DESTINATION_PORTS[port % DESTINATION_PORTS.length];
    if (source % 4 == 3) {
      // 2001:db8::<source> to 2001:db8:1::<port>
      return new FlowKey(ifindex, direction, 6, protocol, 0, 0, sport, dport,
          0x20010db8_00000000L, source, 0x20010db8_00010000L, port);
    }
    long saddr = 0x0a000000L | (source & 0xffffff); // 10.x.y.z
    long daddr = 0xc0a80000L | ((source * 17 + port) & 0xffff); // 192.168.x.y
    return new FlowKey(ifindex, direction, 4, protocol, 0, 0, sport, dport, saddr << 32, 0, daddr << 32, 0);
  }

  /** Number of flows. */
  public int flows() {
    return keys.length;
  }

  /** The key of flow {@code i}, for checks. */
  public FlowKey flowKey(int i) {
    return keys[i];
  }

  /** The current (monotonic) counts of flow {@code i}. */
  public FlowStats flowStats(int i) {
    return new FlowStats(packets[i], bytes[i]);
  }

  private void send(int i) {
    long p = rate[i];
    long b = p * packetSize[i];
    packets[i] += p;
    bytes[i] += b;
    flowMap.put(keys[i], new FlowStats(packets[i], bytes[i]));
    long[] total = ifaceTotals.computeIfAbsent(new IfaceKey(keys[i].ifindex(), keys[i].direction()), k -> new long[2]);
    total[0] += p;
    total[1] += b;
  }

  /**
   * The next poll as {@code Probe.snapshot()} would return it, {@link #POLL} after the previous one. Before it
   * (except for the first poll) a tenth of the flows send. The snapshot's flow map is this object's live map:
   * the following call changes it, as a history never keeps it.
   */
  public ProbeSnapshot nextPoll() {
    if (polls > 0) {
      int phase = (int) (polls % CHANGE_EVERY);
      for (int i = phase; i < keys.length; i += CHANGE_EVERY) {
        send(i);
      }
    }
    long nanos = T0 + polls * POLL.toNanos();
    long n = ++polls;

    Map<IfaceKey, IfaceStats> ifaces = new HashMap<>();
    ifaceTotals.forEach((k, v) -> ifaces.put(k, new IfaceStats(v[0], v[1], 0)));
    SoftirqStats[][] softirq = new SoftirqStats[CPUS][SoftirqStats.VECTORS];
    List<Map<String, NapiStats>> napi = new ArrayList<>();
    for (int cpu = 0; cpu < CPUS; cpu++) {
      for (int vector = 0; vector < SoftirqStats.VECTORS; vector++) {
        softirq[cpu][vector] = new SoftirqStats(n * 100, n * 1_000_000, n * 10, n * 100_000);
      }
      Map<String, NapiStats> devices = new HashMap<>();
      devices.put("eth0", new NapiStats(n * 1000, n * 20_000, n, n * 5_000_000, 0));
      devices.put("", new NapiStats(0, 0, 0, n * 1_000_000, 0));
      napi.add(devices);
    }
    Map<Counter, Long> counters = new EnumMap<>(Counter.class);
    for (Counter c : Counter.values()) {
      counters.put(c, 0L);
    }
    counters.put(Counter.FLOW_INSERTS, (long) keys.length);
    return new ProbeSnapshot(nanos, softirq, napi, ifaces, flowMap, counters, Math.max(65_536, keys.length),
        interfaceNames());
  }

  /**
   * A history (5 minutes at {@link #POLL}, the agent's defaults) that has taken the next {@code polls} polls of
   * this traffic.
   */
  public History history(int polls) {
    History h = new History(Duration.ofMinutes(5), POLL);
    for (int p = 0; p < polls; p++) {
      h.add(nextPoll());
    }
    return h;
  }

  /** Interface names by ifindex. */
  public static Map<Integer, String> interfaceNames() {
    Map<Integer, String> names = new HashMap<>();
    for (Map.Entry<Integer, Resolution> e : resolutions().entrySet()) {
      names.put(e.getKey(), e.getValue().ifname());
    }
    return names;
  }

  /** What each interface is: the uplink, the bridge, and six guest vifs of domains 1..6. */
  public static Map<Integer, Resolution> resolutions() {
    Map<Integer, Resolution> r = new HashMap<>();
    r.put(UPLINK, new Resolution("eth0", Role.PHYSICAL, null, "", false));
    r.put(BRIDGE, new Resolution("xenbr0", Role.BRIDGE, null, "", false));
    for (int ifindex = BRIDGE + 1; ifindex < UPLINK + INTERFACES; ifindex++) {
      int domid = ifindex - BRIDGE;
      Domain d = new Domain(domid, "guest" + domid, String.format("00000000-0000-4000-8000-%012d", domid));
      r.put(ifindex, new Resolution("vif" + domid + ".0", Role.GUEST_VIF,
          new GuestNic(d, 0, String.format("00:16:3e:00:00:%02x", domid), false), "xenstore", false));
    }
    return r;
  }

  /**
   * The flow map's keys as {@code BPF_MAP_LOOKUP_BATCH} returns them: {@code struct vs_flow_key} back to back,
   * in a direct buffer in native byte order (what MapReader hands its visitor).
   */
  public ByteBuffer encodeKeys() {
    ByteBuffer b = ByteBuffer.allocateDirect(keys.length * FlowKey.SIZE).order(ByteOrder.nativeOrder());
    for (int i = 0; i < keys.length; i++) {
      FlowKey k = keys[i];
      int o = i * FlowKey.SIZE;
      b.putInt(o, k.ifindex());
      b.put(o + 4, (byte) k.direction().ordinal()); // enum vs_direction: INGRESS 0, EGRESS 1
      b.put(o + 5, (byte) k.family());
      b.put(o + 6, (byte) k.protocol());
      b.put(o + 7, (byte) k.flags());
      b.putShort(o + 8, (short) k.vlan());
      b.putShort(o + 10, (short) k.sport());
      b.putShort(o + 12, (short) k.dport());
      b.putShort(o + 14, (short) 0); // pad
      putBigEndian(b, o + 16, k.saddrHi());
      putBigEndian(b, o + 24, k.saddrLo());
      putBigEndian(b, o + 32, k.daddrHi());
      putBigEndian(b, o + 40, k.daddrLo());
    }
    return b;
  }

  /**
   * The flow map's per-CPU values as the kernel lays them out: for each entry, {@link #CPUS} slots of
   * {@code struct vs_flow_stats}, {@link #VALUE_STRIDE} bytes apart. The first CPU holds about 60% of the counts.
   */
  public ByteBuffer encodeValues() {
    int entry = VALUE_STRIDE * CPUS;
    ByteBuffer b = ByteBuffer.allocateDirect(keys.length * entry).order(ByteOrder.nativeOrder());
    for (int i = 0; i < keys.length; i++) {
      int cpu0 = i * entry;
      int cpu1 = cpu0 + VALUE_STRIDE;
      long firstPackets = packets[i] * 3 / 5;
      long firstBytes = bytes[i] * 3 / 5;
      b.putLong(cpu0, firstPackets);
      b.putLong(cpu0 + 8, firstBytes);
      b.putLong(cpu1, packets[i] - firstPackets);
      b.putLong(cpu1 + 8, bytes[i] - firstBytes);
    }
    return b;
  }

  private static void putBigEndian(ByteBuffer b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b.put(off + i, (byte) (v >>> (56 - 8 * i)));
    }
  }
}
