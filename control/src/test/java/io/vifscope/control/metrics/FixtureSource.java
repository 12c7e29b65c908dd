package io.vifscope.control.metrics;

import io.vifscope.control.rank.FlowWindow;
import io.vifscope.control.rank.WindowStats;
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
import io.vifscope.probe.ProgramInfo;
import io.vifscope.probe.SoftirqStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A metrics source made of fixtures: an uplink (ifindex 2), a guest vif per domain (ifindex 100 + n), and a
 * window of flows the test fills. Domain 0 has a name that needs escaping in the exposition format.
 */
final class FixtureSource implements MetricsSource {
  /** A quote and a backslash, as the resolver keeps them (it escapes the backslash itself). */
  static final String RAW_NAME = "we\"ird\\guest name";
  static final String NASTY = new Domain(0, RAW_NAME, "").name();
  static final int UPLINK = 2;

  final Map<Integer, Resolution> resolutions = new HashMap<>();
  final Map<FlowKey, long[]> windowFlows = new HashMap<>();
  final Map<IfaceKey, IfaceStats> interfaces = new HashMap<>();
  final Map<Counter, Long> counters = new HashMap<>();
  final Map<String, ProgramInfo> programs = new HashMap<>();
  final List<DomainCounters.Total> domains = new ArrayList<>();
  double windowSeconds = 10;

  FixtureSource(int guests) {
    resolutions.put(UPLINK, new Resolution("eth0", Role.PHYSICAL, null, "", false));
    interfaces.put(new IfaceKey(UPLINK, Direction.INGRESS), new IfaceStats(1_000_000, 190_000_000, 12));
    interfaces.put(new IfaceKey(UPLINK, Direction.EGRESS), new IfaceStats(5, 500, 0));
    for (int n = 0; n < guests; n++) {
      Domain d = domain(n);
      resolutions.put(vif(n), new Resolution(n == 0 ? "000a17-I" : "vif" + d.id() + ".0", Role.GUEST_VIF,
          new GuestNic(d, 0, "00:16:3e:00:00:" + String.format("%02x", n % 256), false), "xenstore", false));
      interfaces.put(new IfaceKey(vif(n), Direction.EGRESS), new IfaceStats(900_000 - n, 171_000_000, 0));
      interfaces.put(new IfaceKey(vif(n), Direction.INGRESS), new IfaceStats(10 + n, 1_000, 0));
      domains.add(new DomainCounters.Total(d, 900_000 - n, 171_000_000, 10 + n, 1_000));
    }
    counters.put(Counter.FLOW_INSERTS, 70_000L);
    counters.put(Counter.UNPARSED_NON_IP, 12L);
    programs.put("tc_ingress", new ProgramInfo(1, 3, "tc_ingress", "00", 104_000_000L, 1_000_000L));
  }

  static Domain domain(int n) {
    return new Domain(74 + n, n == 0 ? RAW_NAME : "guest" + n, "");
  }

  static int vif(int n) {
    return 100 + n;
  }

  /** Adds a flow of {@code packets} 190-byte packets to guest {@code n} from {@code source} (an IPv4 number). */
  void flowTo(int n, long source, int sport, int dport, long packets) {
    long dst = (198L << 24 | 18 << 16 | 1 << 8 | (n % 250)) << 32;
    windowFlows.merge(new FlowKey(vif(n), Direction.EGRESS, 4, 17, 0, 0, sport, dport, source << 32, 0, dst, 0),
        new long[] {packets, packets * 190}, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
  }

  static long ipv4(int a, int b, int c, int d) {
    return (long) a << 24 | b << 16 | c << 8 | d;
  }

  @Override
  public String node() {
    return "dom0-test";
  }

  @Override
  public ProbeSnapshot latest() {
    SoftirqStats[][] softirq = new SoftirqStats[2][SoftirqStats.VECTORS];
    for (int cpu = 0; cpu < 2; cpu++) {
      for (int v = 0; v < SoftirqStats.VECTORS; v++) {
        softirq[cpu][v] = new SoftirqStats(100 * (v + 1), 1_500_000_000L * cpu + v, 10, 750_000_000L * cpu);
      }
    }
    List<Map<String, NapiStats>> napi = List.of(
        Map.of("eth0", new NapiStats(1000, 64_000, 900, 2_000_000_000L, 0), "", new NapiStats(0, 0, 0, 5_000, 0)),
        Map.of("eth0", new NapiStats(10, 100, 0, 1_000_000L, 0)));
    Map<FlowKey, FlowStats> flows = new HashMap<>();
    windowFlows.keySet().stream().limit(65_536).forEach(k -> flows.put(k, new FlowStats(1, 1)));
    Map<Integer, String> names = new HashMap<>();
    resolutions.forEach((i, r) -> names.put(i, r.ifname()));
    return new ProbeSnapshot(1, softirq, napi, interfaces, flows, counters, 65_536, names);
  }

  @Override
  public Resolution resolve(int ifindex) {
    return resolutions.getOrDefault(ifindex, new Resolution("if" + ifindex, Role.OTHER, null, "", false));
  }

  @Override
  public WindowStats window(Duration window) {
    return new WindowStats(windowSeconds, 1, windowFlows, Map.of(), Map.of(), List.of(), List.of(), Map.of(),
        Map.of(), Map.of());
  }

  @Override
  public WindowStats window(Duration window, FlowWindow.Visitor flows) {
    WindowStats w = window(window);
    w.flowWindow().visit(flows);
    return w;
  }

  @Override
  public long flowEvictions(Duration window) {
    return 0;
  }

  @Override
  public java.util.Collection<Integer> attached() {
    return resolutions.keySet();
  }

  @Override
  public List<DomainCounters.Total> domainTotals() {
    return domains;
  }

  @Override
  public Map<String, ProgramInfo> programCosts() {
    return programs;
  }

  @Override
  public Self self() {
    return new Self(42, 1, 0.012, 3_000_000_000L, 200L << 20, 1.7e9, interfaces.size() / 2, 1 << 20, 3, 1);
  }
}
