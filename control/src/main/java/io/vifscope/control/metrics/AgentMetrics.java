package io.vifscope.control.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.NapiStats;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.ProgramInfo;
import io.vifscope.probe.SoftirqStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything the agent exports to Prometheus, built fresh for each scrape from the agent's state.
 *
 * <p>Counters are the probe's own monotonic counters (since the probe attached), read from the newest poll: a
 * scrape never triggers a map read, and two scrapes between polls see the same values. Domain counters come
 * from {@link DomainCounters}, so a guest's reboot does not make them fall. Top talkers are gauges (packets and
 * bytes per second over {@link #TALKER_WINDOW}): which rows exist changes with the traffic, and a counter that
 * appears and disappears would make {@code rate()} lie.
 *
 * <p>Cardinality: the talker series are the only ones traffic can multiply, and they are capped at
 * {@code maxTalkerSeries} (see {@link TalkerSeries}) whatever arrives, a spoofed-source flood included. Every
 * other series follows the host's shape: per watched interface 7 (3 counters × 2 directions and an info),
 * per guest domain 4, per CPU 30 (3 × 10 softirq vectors), per NAPI device 4, per loaded program 2 with
 * --bpf-stats, and about 40 for the agent and the coverage. A dom0 with 2 CPUs, a NIC, a bridge and 4 guests
 * exports about 160 of them.
 *
 * <p>Label values are whatever the host names things (a guest can be called anything); the exposition writer
 * escapes them.
 */
public final class AgentMetrics {
  /** The window the talker gauges and the coverage gauge describe: the gRPC answers' default window. */
  public static final Duration TALKER_WINDOW = Duration.ofSeconds(10);
  /** Label value for NET_RX time outside any NAPI poll, as the gRPC answers name it. */
  static final String NOT_A_POLL = "(not a poll)";

  private final MetricsSource source;
  /** Sums the talker window of each scrape in arrays kept from one scrape to the next. */
  private final TalkerSeries.Aggregator talkers = new TalkerSeries.Aggregator();
  private final String version;
  private final int topPerDomain;
  private final int maxTalkerSeries;

  public AgentMetrics(MetricsSource source, String version, int topPerDomain, int maxTalkerSeries) {
    this.source = source;
    this.version = version;
    this.topPerDomain = topPerDomain;
    this.maxTalkerSeries = maxTalkerSeries;
  }

  /** One scrape's worth of metrics. */
  public MetricSnapshots collect() {
    List<MetricSnapshot> out = new ArrayList<>();
    ProbeSnapshot s = source.latest();
    agent(out, s);
    if (s != null) {
      interfaces(out, s);
      domains(out);
      softirq(out, s);
      napi(out, s);
      coverage(out, s);
      programs(out);
    }
    int talkerRows = Math.max(1, maxTalkerSeries / 2); // two series per row
    List<TalkerSeries.Row> rows = s == null ? List.of() : talkers(out, talkerRows);
    out.add(gauge("vifscope_metrics_talker_rows", "Talker rows in this scrape (each is two series).",
        Labels.EMPTY, rows.size()));
    out.add(gauge("vifscope_metrics_talker_rows_limit",
        "The most talker rows a scrape may hold (--metrics-max-talker-series / 2).",
        Labels.EMPTY, talkerRows));
    return new MetricSnapshots(out);
  }

  /** Data points in these snapshots: the number of series they expose. */
  public static int countSeries(List<MetricSnapshot> snapshots) {
    int n = 0;
    for (MetricSnapshot m : snapshots) {
      n += m.getDataPoints().size();
    }
    return n;
  }

  // ---- the agent itself -------------------------------------------------------------------------------------

  private void agent(List<MetricSnapshot> out, ProbeSnapshot s) {
    MetricsSource.Self self = source.self();
    out.add(InfoSnapshot.builder().name("vifscope_build").help("The agent's version and node name.")
        .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
            .labels(Labels.of("version", version, "node", source.node())).build())
        .build());
    out.add(counter("process_cpu_seconds", "CPU time of the agent process (user and system).", Labels.EMPTY,
        self.cpuNanos() / 1e9));
    out.add(gauge("process_resident_memory_bytes", "Resident memory of the agent process.", Labels.EMPTY,
        self.rssBytes()));
    out.add(gauge("process_start_time_seconds", "When the agent process started, in seconds since the epoch.",
        Labels.EMPTY, self.startEpochSeconds()));
    out.add(counter("vifscope_agent_polls", "Polls of the probe's maps since the agent started.", Labels.EMPTY,
        self.polls()));
    out.add(counter("vifscope_agent_poll_failures", "Polls that failed (the log says why).", Labels.EMPTY,
        self.pollFailures()));
    out.add(gauge("vifscope_agent_poll_duration_seconds", "How long the newest poll took.", Labels.EMPTY,
        self.lastPollSeconds()));
    out.add(gauge("vifscope_agent_attached_interfaces", "Interfaces the probe is attached to.", Labels.EMPTY,
        self.attachedInterfaces()));
    out.add(gauge("vifscope_agent_history_bytes", "Estimated heap held by the agent's history.", Labels.EMPTY,
        self.historyBytes()));
    out.add(counter("vifscope_agent_flow_full_reads", "Polls that read the whole flow map (the others read only "
        + "the flows the kernel journaled as changed).", Labels.EMPTY, self.flowFullReads()));
    out.add(counter("vifscope_agent_flow_journal_overflows", "Polls whose flow changes overflowed the kernel's "
        + "journal and were read from the whole map instead.", Labels.EMPTY, self.flowJournalOverflows()));
    if (s != null) {
      out.add(gauge("vifscope_flow_entries", "Flows in the kernel's flow map at the newest poll.", Labels.EMPTY,
          s.flowEntries()));
      out.add(gauge("vifscope_flow_capacity", "Size of the kernel's flow map.", Labels.EMPTY, s.flowCapacity()));
    }
  }

  // ---- interfaces and domains -------------------------------------------------------------------------------

  private void interfaces(List<MetricSnapshot> out, ProbeSnapshot s) {
    // By name and direction; two ifindexes with one name (a vif destroyed and recreated between polls) add up.
    Map<List<String>, long[]> byName = new TreeMap<>(AgentMetrics::compareLists);
    Map<String, Resolution> info = new TreeMap<>();
    // The kernel makes an interface's entry at its first packet; an attached interface is exported from the
    // start, at 0, so that rate() sees its first packets too.
    for (int ifindex : source.attached()) {
      Resolution r = source.resolve(ifindex);
      byName.putIfAbsent(List.of(r.ifname(), "rx"), new long[3]);
      byName.putIfAbsent(List.of(r.ifname(), "tx"), new long[3]);
      info.put(r.ifname(), r);
    }
    for (Map.Entry<IfaceKey, IfaceStats> e : s.interfaces().entrySet()) {
      Resolution r = source.resolve(e.getKey().ifindex());
      String name = r.ifname();
      String dir = e.getKey().direction() == Direction.INGRESS ? "rx" : "tx";
      long[] v = byName.computeIfAbsent(List.of(name, dir), k -> new long[3]);
      v[0] += e.getValue().packets();
      v[1] += e.getValue().bytes();
      v[2] += e.getValue().unparsed();
      info.put(name, r);
    }
    CounterSnapshot.Builder packets = CounterSnapshot.builder().name("vifscope_interface_packets")
        .help("Packets seen by the probe on an interface since it attached; rx is what dom0 receives (tc ingress).");
    CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("vifscope_interface_bytes")
        .help("Bytes seen by the probe on an interface since it attached (as the packets counter).");
    CounterSnapshot.Builder unparsed = CounterSnapshot.builder().name("vifscope_interface_unparsed_packets")
        .help("Packets of the interface the parser could not put into a flow (counted in the packets too).");
    byName.forEach((k, v) -> {
      Labels l = Labels.of("interface", k.get(0), "direction", k.get(1));
      packets.dataPoint(point(l, v[0]));
      bytes.dataPoint(point(l, v[1]));
      unparsed.dataPoint(point(l, v[2]));
    });
    out.add(packets.build());
    out.add(bytes.build());
    out.add(unparsed.build());
    InfoSnapshot.Builder ib = InfoSnapshot.builder().name("vifscope_interface")
        .help("What an interface is and whose guest it belongs to, for joins (domain labels empty for dom0's own).");
    info.forEach((name, r) -> {
      Domain d = r.nic() == null ? null : r.nic().domain();
      ib.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of(
          "interface", name,
          "role", r.role().name().toLowerCase(Locale.ROOT),
          "domain", d == null ? "" : d.name(),
          "domain_id", d == null || d.id() < 0 ? "" : Integer.toString(d.id()),
          "domain_source", r.source())).build());
    });
    out.add(ib.build());
  }

  private void domains(List<MetricSnapshot> out) {
    CounterSnapshot.Builder packets = CounterSnapshot.builder().name("vifscope_domain_packets")
        .help("Packets to and from a guest domain through its interfaces since the agent started.");
    CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("vifscope_domain_bytes")
        .help("Bytes to and from a guest domain through its interfaces since the agent started.");
    List<DomainCounters.Total> totals = new ArrayList<>(source.domainTotals());
    java.util.Set<String> known = new java.util.HashSet<>();
    totals.forEach(t -> known.add(t.domain().key()));
    for (int ifindex : source.attached()) { // guests attached but silent so far: at 0
      Resolution r = source.resolve(ifindex);
      if (r.nic() != null && known.add(r.nic().domain().key())) {
        totals.add(new DomainCounters.Total(r.nic().domain(), 0, 0, 0, 0));
      }
    }
    // Two domains can share a name and id (a guest re-created with a new UUID while the old one's counts are
    // still kept): one label set may appear once only, so theirs add up.
    Map<Labels, long[]> byLabels = new java.util.LinkedHashMap<>();
    for (DomainCounters.Total t : totals) {
      add(byLabels, domainLabels(t.domain()).add("direction", "to_guest"), t.toGuestPackets(), t.toGuestBytes());
      add(byLabels, domainLabels(t.domain()).add("direction", "from_guest"), t.fromGuestPackets(),
          t.fromGuestBytes());
    }
    byLabels.forEach((l, v) -> {
      packets.dataPoint(point(l, v[0]));
      bytes.dataPoint(point(l, v[1]));
    });
    out.add(packets.build());
    out.add(bytes.build());
  }

  private static Labels domainLabels(Domain d) {
    return Labels.of("domain", d.name(), "domain_id", d.id() < 0 ? "" : Integer.toString(d.id()));
  }

  // ---- softirq and NAPI -------------------------------------------------------------------------------------

  private void softirq(List<MetricSnapshot> out, ProbeSnapshot s) {
    CounterSnapshot.Builder seconds = CounterSnapshot.builder().name("vifscope_softirq_seconds")
        .help("Time spent in each softirq vector on each CPU since the probe attached.");
    CounterSnapshot.Builder ksoftirqd = CounterSnapshot.builder().name("vifscope_softirq_ksoftirqd_seconds")
        .help("Of that time, what ran in ksoftirqd (deferred, competing with tasks); divide the rates for the share.");
    CounterSnapshot.Builder runs = CounterSnapshot.builder().name("vifscope_softirq_runs")
        .help("Runs of each softirq vector on each CPU since the probe attached.");
    SoftirqStats[][] si = s.softirq() == null ? new SoftirqStats[0][] : s.softirq();
    for (int cpu = 0; cpu < si.length; cpu++) {
      if (si[cpu] == null) {
        continue;
      }
      for (int vec = 0; vec < si[cpu].length; vec++) {
        SoftirqStats v = si[cpu][vec];
        if (v == null) {
          continue;
        }
        Labels l = Labels.of("cpu", Integer.toString(cpu), "vector", SoftirqStats.vectorName(vec));
        seconds.dataPoint(point(l, v.timeNs() / 1e9));
        ksoftirqd.dataPoint(point(l, v.ksoftirqdTimeNs() / 1e9));
        runs.dataPoint(point(l, v.runs()));
      }
    }
    out.add(seconds.build());
    out.add(ksoftirqd.build());
    out.add(runs.build());
  }

  private void napi(List<MetricSnapshot> out, ProbeSnapshot s) {
    Map<String, long[]> byDevice = new TreeMap<>();
    for (Map<String, NapiStats> cpu : s.napi() == null ? List.<Map<String, NapiStats>>of() : s.napi()) {
      if (cpu == null) {
        continue;
      }
      cpu.forEach((dev, v) -> {
        long[] t = byDevice.computeIfAbsent(dev.isEmpty() ? NOT_A_POLL : dev, k -> new long[4]);
        t[0] += v.timeNs();
        t[1] += v.polls();
        t[2] += v.work();
        t[3] += v.budgetExhausted();
      });
    }
    CounterSnapshot.Builder seconds = CounterSnapshot.builder().name("vifscope_napi_poll_seconds")
        .help("NET_RX time in the NAPI polls of each device, all CPUs; '" + NOT_A_POLL
            + "' is NET_RX time outside polls.");
    CounterSnapshot.Builder polls = CounterSnapshot.builder().name("vifscope_napi_polls")
        .help("NAPI polls of each device, all CPUs.");
    CounterSnapshot.Builder work = CounterSnapshot.builder().name("vifscope_napi_packets")
        .help("Packets the NAPI polls of each device processed (their work), all CPUs.");
    CounterSnapshot.Builder exhausted = CounterSnapshot.builder().name("vifscope_napi_budget_exhausted")
        .help("Polls of each device that used their whole budget (the device had more to give).");
    byDevice.forEach((dev, t) -> {
      Labels l = Labels.of("device", dev);
      seconds.dataPoint(point(l, t[0] / 1e9));
      polls.dataPoint(point(l, t[1]));
      work.dataPoint(point(l, t[2]));
      exhausted.dataPoint(point(l, t[3]));
    });
    out.add(seconds.build());
    out.add(polls.build());
    out.add(work.build());
    out.add(exhausted.build());
  }

  // ---- coverage and cost ------------------------------------------------------------------------------------

  private void coverage(List<MetricSnapshot> out, ProbeSnapshot s) {
    CounterSnapshot.Builder unparsed = CounterSnapshot.builder().name("vifscope_unparsed_packets")
        .help("Packets the parser could not put into a flow, by reason (still in the interface counters).");
    CounterSnapshot.Builder failures = CounterSnapshot.builder().name("vifscope_update_failures")
        .help("Kernel map updates that failed, by reason: something went uncounted.");
    long inserts = 0;
    for (Counter c : Counter.values()) {
      long v = s.counters() == null ? 0 : s.counters().getOrDefault(c, 0L);
      String reason = c.name().toLowerCase(Locale.ROOT);
      switch (c.kind()) {
        case UNPARSED -> unparsed.dataPoint(point(Labels.of("reason", reason.substring("unparsed_".length())), v));
        case ERROR -> failures.dataPoint(point(Labels.of("reason", reason.substring("err_".length())), v));
        case PRESSURE -> {
          if (c == Counter.FLOW_INSERTS) {
            inserts = v;
          }
          out.add(counter("vifscope_" + reason, c.description() + ".", Labels.EMPTY, v));
        }
        default -> throw new IllegalStateException(c.toString());
      }
    }
    out.add(unparsed.build());
    out.add(failures.build());
    int present = s.flowEntries();
    out.add(counter("vifscope_flow_evictions", "Flow entries the kernel evicted to make room: inserts minus "
        + "entries present. Their traffic stays in the interface counters but leaves the talker rows.",
        Labels.EMPTY, Math.max(0, inserts - present)));
  }

  private void programs(List<MetricSnapshot> out) {
    Map<String, ProgramInfo> costs = source.programCosts();
    if (costs.isEmpty()) {
      return; // statistics off: no series rather than zeros that look like free programs
    }
    CounterSnapshot.Builder runs = CounterSnapshot.builder().name("vifscope_program_runs")
        .help("Runs of each BPF program while BPF statistics were on (--bpf-stats).");
    CounterSnapshot.Builder seconds = CounterSnapshot.builder().name("vifscope_program_run_seconds")
        .help("Time in each BPF program while BPF statistics were on; per run = rate(seconds) / rate(runs).");
    new TreeMap<>(costs).forEach((name, info) -> {
      Labels l = Labels.of("program", name);
      runs.dataPoint(point(l, info.runCount()));
      seconds.dataPoint(point(l, info.runTimeNs() / 1e9));
    });
    out.add(runs.build());
    out.add(seconds.build());
  }

  // ---- talkers -----------------------------------------------------------------------------------------------

  private List<TalkerSeries.Row> talkers(List<MetricSnapshot> out, int maxRows) {
    List<TalkerSeries.Row> rows;
    WindowStats w;
    synchronized (talkers) { // scrapes may overlap; the aggregator's arrays serve one at a time
      talkers.start(source::resolve);
      w = source.window(TALKER_WINDOW, talkers);
      rows = talkers.rows(topPerDomain, maxRows);
    }
    double seconds = w.seconds();
    GaugeSnapshot.Builder packets = GaugeSnapshot.builder().name("vifscope_talker_packets_per_second")
        .help("Packets per second over the last " + TALKER_WINDOW.toSeconds() + " s of the busiest talkers of each "
            + "guest domain and direction; the rest of a domain under source=\"other\", quieter domains under "
            + "domain=\"other\".");
    GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("vifscope_talker_bytes_per_second")
        .help("Bytes per second of the same talker rows.");
    Map<Labels, long[]> byLabels = new java.util.LinkedHashMap<>(); // as for domains: equal labels add up
    for (TalkerSeries.Row r : rows) {
      add(byLabels, Labels.of(
          "domain", r.domain() == null ? TalkerSeries.OTHER : r.domain().name(),
          "domain_id", r.domain() == null || r.domain().id() < 0 ? "" : Integer.toString(r.domain().id()),
          "direction", r.direction(),
          "source", r.source(),
          "destination", r.destination(),
          "protocol", r.protocol(),
          "port", r.port()), r.packets(), r.bytes());
    }
    byLabels.forEach((l, v) -> {
      packets.dataPoint(gaugePoint(l, seconds > 0 ? v[0] / seconds : 0));
      bytes.dataPoint(gaugePoint(l, seconds > 0 ? v[1] / seconds : 0));
    });
    out.add(packets.build());
    out.add(bytes.build());
    out.add(gauge("vifscope_talker_window_seconds", "The time the talker rates cover: " + TALKER_WINDOW.toSeconds()
        + " s once the agent holds that much history, less just after it starts.", Labels.EMPTY, seconds));

    // Whether the window's numbers are whole, as ResponseMeta.coverage.partial says it for the gRPC answers.
    long lost = source.flowEvictions(TALKER_WINDOW);
    for (Map.Entry<Counter, Long> e : w.counters().entrySet()) {
      if (e.getKey().kind() == Counter.Kind.UNPARSED || e.getKey().kind() == Counter.Kind.ERROR) {
        lost += e.getValue();
      }
    }
    for (long v : w.unattributedPackets().values()) {
      lost += v;
    }
    out.add(gauge("vifscope_coverage_partial", "1 when the talker window lost something (evictions, failed "
        + "updates, unparsed or unattributed packets): its talker rows are then a lower bound.", Labels.EMPTY,
        lost > 0 ? 1 : 0));
    return rows;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  private static void add(Map<Labels, long[]> byLabels, Labels l, long packets, long bytes) {
    long[] v = byLabels.computeIfAbsent(l, k -> new long[2]);
    v[0] += packets;
    v[1] += bytes;
  }

  private static CounterDataPointSnapshot point(Labels l, double v) {
    return CounterDataPointSnapshot.builder().labels(l).value(v).build();
  }

  private static GaugeDataPointSnapshot gaugePoint(Labels l, double v) {
    return GaugeDataPointSnapshot.builder().labels(l).value(v).build();
  }

  private static CounterSnapshot counter(String name, String help, Labels l, double v) {
    return CounterSnapshot.builder().name(name).help(help).dataPoint(point(l, v)).build();
  }

  private static GaugeSnapshot gauge(String name, String help, Labels l, double v) {
    return GaugeSnapshot.builder().name(name).help(help).dataPoint(gaugePoint(l, v)).build();
  }

  private static int compareLists(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
