package io.vifscope.control.server;

import io.grpc.BindableService;
import io.vifscope.control.cli.Main;
import io.vifscope.control.metrics.DomainCounters;
import io.vifscope.control.metrics.MetricsSource;
import io.vifscope.control.rank.FlowWindow;
import io.vifscope.control.rank.History;
import io.vifscope.control.rank.Services;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.DomainResolver;
import io.vifscope.control.resolve.DomainSources;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.ProcessCommandRunner;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.control.resolve.SourceStatus;
import io.vifscope.probe.AttachedInterface;
import io.vifscope.probe.BpfException;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Features;
import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.LinkInfo;
import io.vifscope.probe.NativeHeap;
import io.vifscope.probe.Probe;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.ProgramInfo;
import io.vifscope.proto.v1.AttachedInterface.Builder;
import io.vifscope.proto.v1.DomainSourceStatus;
import io.vifscope.proto.v1.Feature;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import io.vifscope.proto.v1.ProgramCost;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running agent: the probe, polled every interval into a bounded history; the domain resolver, refreshed
 * periodically and when interfaces change; and the state the gRPC service answers from. It never serves
 * anything itself ({@link AgentServer} does) and closing it detaches everything.
 */
public final class Agent implements AutoCloseable, AgentState, MetricsSource {
  private static final System.Logger LOG = System.getLogger(Agent.class.getName());
  private static final Duration RESOLVER_PERIOD = Duration.ofSeconds(30);
  private static final Duration SOURCE_TIMEOUT = Duration.ofSeconds(5);
  /** Distinct window lengths kept between two polls (top asks three, diagnose one, tools a few more). */
  private static final int MAX_CACHED_WINDOWS = 8;
  /** Polls between two returns of unused memory to the kernel ({@link #returnMemory()}). */
  private static final int TRIM_EVERY_POLLS = 60;
  /** Garbage the old generation may hold before {@link #returnMemory()} collects it (below, not worth a pause). */
  private static final long OLD_GARBAGE_BYTES = 8L << 20;
  private static final String[] KERNEL_STATS = {"rx_dropped", "tx_dropped", "rx_errors", "tx_errors"};

  /** One poll's kernel drop and error counters (/sys/class/net), for ListInterfaces. */
  private record Sample(long nanos, Map<String, long[]> kernel) {}

  private final AgentConfig config;
  private final Probe probe;
  private final DomainResolver resolver;
  private final History history;
  private final ScheduledExecutorService poller;
  private final ScheduledExecutorService watchTimer;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private final String node;
  private volatile ProbeSnapshot last;
  /** The poller's flow arrays, reused by every poll (only the poller thread touches it). */
  private final FlowCounts.Builder flowBuffer = new FlowCounts.Builder(0);
  /**
   * What each interface was when last seen, kept while its traffic can still be in a window: a destroyed
   * guest's vif keeps its domain for the counters already attributed to it, even after the domain id is
   * reused (a new guest gets a new interface, so a new ifindex).
   */
  private final Map<Integer, Resolution> lastResolution = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<Integer, Long> lastSeen = new java.util.concurrent.ConcurrentHashMap<>();
  private Set<Integer> knownLinks = Set.of();
  /**
   * Windows computed since the last poll, by length: until the next poll every query of a length asks the same
   * history, so the merge of its polls is done once, not once per call (guarded by this).
   */
  private final Map<Duration, WindowStats> windows = new HashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  /** Traffic per domain since start, for the metrics endpoint. */
  private final DomainCounters domainCounters;
  private final java.util.concurrent.atomic.AtomicLong polls = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong pollFailures = new java.util.concurrent.atomic.AtomicLong();
  private volatile long lastPollNanos;

  private Agent(AgentConfig config, Probe probe, DomainResolver resolver) {
    this.config = config;
    this.probe = probe;
    this.resolver = resolver;
    this.history = new History(config.history(), config.pollInterval());
    this.node = config.nodeName().orElseGet(Agent::readNodeName);
    this.poller = Executors.newSingleThreadScheduledExecutor(daemon("vifscope-poll"));
    this.watchTimer = Executors.newSingleThreadScheduledExecutor(daemon("vifscope-watch"));
    this.domainCounters = new DomainCounters(config.history().toNanos());
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Loads and attaches the probe, starts the resolver and the polling. */
  public static Agent start(AgentConfig config) throws IOException {
    Probe probe = Probe.start(config.probeOptions());
    DomainResolver resolver = null;
    try {
      resolver = new DomainResolver(DomainSources.create(config.resolverOrder(), new ProcessCommandRunner(),
          config.libvirtUri().orElse(null)), SOURCE_TIMEOUT);
      Agent agent = new Agent(config, probe, resolver);
      agent.pollOnce();
      // Loading parsed the kernel's BTF (and BCC ran a compiler): hand what the C heap freed back to the kernel.
      NativeHeap.trim();
      resolver.startAutoRefresh(RESOLVER_PERIOD);
      long period = config.pollInterval().toNanos();
      agent.poller.scheduleAtFixedRate(agent::pollQuietly, period, period, TimeUnit.NANOSECONDS);
      return agent;
    } catch (IOException | RuntimeException e) {
      if (resolver != null) {
        resolver.close();
      }
      probe.close();
      throw e;
    }
  }

  /** The gRPC services this agent answers with. */
  public List<BindableService> services() {
    return List.of(new ProbeServiceImpl(this, Services.system(), watchTimer));
  }

  private void pollQuietly() {
    try {
      pollOnce();
    } catch (BpfException | RuntimeException e) {
      pollFailures.incrementAndGet();
      LOG.log(Level.WARNING, "poll failed: " + e.getMessage());
    }
  }

  private void pollOnce() throws BpfException {
    long started = System.nanoTime();
    // The flows go into the history below and nothing keeps them: one set of arrays serves every poll.
    ProbeSnapshot s = probe.poll(flowBuffer);
    Map<String, long[]> kernel = new HashMap<>();
    for (AttachedInterface a : probe.attachedInterfaces()) {
      long[] v = new long[KERNEL_STATS.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = readStat(a.name(), KERNEL_STATS[i]);
      }
      kernel.put(a.name(), v);
    }
    synchronized (this) {
      history.add(s);
      windows.clear();
      last = s.withoutFlows(); // the history has the flows now
      samples.addLast(new Sample(s.monotonicNanos(), kernel));
      long oldest = s.monotonicNanos() - config.history().toNanos() - config.pollInterval().toNanos();
      while (samples.size() > 2 && samples.peekFirst().nanos() < oldest) {
        samples.removeFirst();
      }
    }
    for (AttachedInterface a : probe.attachedInterfaces()) {
      resolve(a.ifindex()); // refreshes lastResolution while the interface exists
      lastSeen.put(a.ifindex(), s.monotonicNanos());
    }
    long forget = s.monotonicNanos() - config.history().toNanos() - 2 * config.pollInterval().toNanos();
    lastSeen.entrySet().removeIf(e -> {
      boolean old = e.getValue() < forget;
      if (old) {
        lastResolution.remove(e.getKey());
      }
      return old;
    });
    Set<Integer> links = s.names().keySet();
    if (!links.equals(knownLinks)) {
      knownLinks = new HashSet<>(links);
      resolver.requestRefresh(); // interfaces appeared or vanished
    }
    domainCounters.add(s, this::resolve);
    if (polls.incrementAndGet() % TRIM_EVERY_POLLS == 0) {
      returnMemory();
    }
    lastPollNanos = System.nanoTime() - started;
  }

  /**
   * Gives memory the agent no longer uses back to the kernel, once a minute. The serial collector (the launcher's
   * choice) collects the old generation only when it is full and shrinks it only after a full collection, so the
   * tables of a query or scrape that a young collection happened to promote stay in the RSS until then. When the
   * old generation holds more than {@link #OLD_GARBAGE_BYTES} beyond what its last collection left, one full
   * collection (tens of ms at 65k flows, in the poller's thread) compacts it and the heap free ratios shrink it;
   * G1's periodic collections do the same for G1. Then malloc_trim returns the C heap's free memory (libvirt's XML,
   * JNA, libbpf), which glibc keeps until asked.
   */
  private static void returnMemory() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage afterLast = pool.getCollectionUsage();
      if (pool.getType() != MemoryType.HEAP || afterLast == null
          || !(pool.getName().contains("Old") || pool.getName().contains("Tenured"))) {
        continue;
      }
      if (pool.getUsage().getUsed() - afterLast.getUsed() > OLD_GARBAGE_BYTES) {
        System.gc();
      }
      break;
    }
    NativeHeap.trim();
  }

  private static long readStat(String ifname, String stat) {
    try {
      return Long.parseLong(Files.readString(Path.of("/sys/class/net", ifname, "statistics", stat)).strip());
    } catch (IOException | NumberFormatException e) {
      return 0; // vanished between the poll and this read
    }
  }

  private static String readNodeName() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  // ---- AgentState ------------------------------------------------------------------------------------------

  @Override
  public String node() {
    return node;
  }

  @Override
  public Duration pollInterval() {
    return config.pollInterval();
  }

  @Override
  public Duration retention() {
    return config.history();
  }

  @Override
  public synchronized Duration retained() {
    return history.retained();
  }

  @Override
  public synchronized WindowStats window(Duration window) {
    WindowStats w = windows.get(window);
    if (w == null) {
      w = history.window(window);
      if (windows.size() < MAX_CACHED_WINDOWS) {
        windows.put(window, w);
      }
    }
    return w;
  }

  @Override
  public synchronized WindowStats window(Duration window, FlowWindow.Visitor flows) {
    WindowStats cached = windows.get(window);
    if (cached != null) { // a query built it since the last poll: its flows are listed already
      cached.flowWindow().visit(flows);
      return cached;
    }
    return history.window(window, flows);
  }

  // ---- MetricsSource ----------------------------------------------------------------------------------------

  @Override
  public ProbeSnapshot latest() {
    return last;
  }

  @Override
  public Collection<Integer> attached() {
    List<Integer> out = new java.util.ArrayList<>();
    for (AttachedInterface a : probe.attachedInterfaces()) {
      out.add(a.ifindex());
    }
    return out;
  }

  @Override
  public List<DomainCounters.Total> domainTotals() {
    return domainCounters.totals();
  }

  @Override
  public Map<String, ProgramInfo> programCosts() {
    if (!config.bpfStats()) {
      return Map.of();
    }
    try {
      return probe.programInfo();
    } catch (BpfException e) {
      LOG.log(Level.DEBUG, "program statistics: " + e.getMessage());
      return Map.of();
    }
  }

  @Override
  public MetricsSource.Self self() {
    long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    long history;
    synchronized (this) {
      history = this.history.approximateBytes();
    }
    Probe.FlowReads reads = probe.flowReads();
    return new MetricsSource.Self(polls.get(), pollFailures.get(), lastPollNanos / 1e9, Math.max(0, cpuNanos),
        rssBytes(), ManagementFactory.getRuntimeMXBean().getStartTime() / 1e3, probe.attachedInterfaces().size(),
        history, reads.fullReads(), reads.overflows());
  }

  @Override
  public Resolution resolve(int ifindex) {
    LinkInfo link = probe.link(ifindex); // called per interface per poll and per query: no table copy
    if (link == null) {
      Resolution before = lastResolution.get(ifindex);
      if (before != null) {
        return before; // gone: answer as it was while its traffic was counted
      }
      ProbeSnapshot s = last;
      String name = s == null ? null : s.names().get(ifindex);
      return new Resolution(name == null ? "ifindex" + ifindex : name, Role.OTHER, null, "", false);
    }
    Resolution now = resolver.resolve(new DomainResolver.HostInterface(link.name(), link.isBridge(), link.physical()));
    lastResolution.put(ifindex, now);
    return now;
  }

  @Override
  public Collection<Domain> domains() {
    return resolver.domains().values();
  }

  /** The newest sample and the one at or before the window's start. */
  private synchronized Sample[] bounds(Duration window) {
    if (samples.isEmpty()) {
      return null;
    }
    Sample newest = samples.peekLast();
    long start = newest.nanos() - window.toNanos();
    Sample first = samples.peekFirst();
    for (Iterator<Sample> it = samples.iterator(); it.hasNext(); ) {
      Sample x = it.next();
      if (x.nanos() <= start + config.pollInterval().toNanos() / 2) {
        first = x;
      } else {
        break;
      }
    }
    return new Sample[] {first, newest};
  }

  @Override
  public Map<String, long[]> kernelDrops(Duration window) {
    Sample[] b = bounds(window);
    Map<String, long[]> out = new HashMap<>();
    if (b == null) {
      return out;
    }
    b[1].kernel().forEach((name, now) -> {
      long[] then = b[0].kernel().getOrDefault(name, now);
      long[] d = new long[now.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = Math.max(0, now[i] - then[i]);
      }
      out.put(name, d);
    });
    return out;
  }

  @Override
  public synchronized long flowEvictions(Duration window) {
    return history.flowEvictions(window); // the same window as window(): consistent answers
  }

  @Override
  public GetAgentStatusResponse.Builder status() {
    GetAgentStatusResponse.Builder b = GetAgentStatusResponse.newBuilder().setVersion(Main.Version.version());
    Features f = probe.features();
    addFeature(b, "btf", f.btf(), f.degraded());
    addFeature(b, "tcx", f.tcx(), f.degraded());
    addFeature(b, "batch_ops", f.batchOps(), f.degraded());
    addFeature(b, "raw_tracepoints", f.rawTracepoints(), f.degraded());
    addFeature(b, "bpf_stats", f.bpfStats(), f.degraded());
    // Which loader is in use, and when it is BCC, why the built objects are not (auto's fallback or the option).
    addFeature(b, "libbpf_objects", f.loader().equals("libbpf"), f.degraded());
    b.setLoader(f.loader());
    for (AttachedInterface a : probe.attachedInterfaces()) {
      Builder ai = io.vifscope.proto.v1.AttachedInterface.newBuilder()
          .setInterface(ProbeServiceImpl.interfaceRef(a.ifindex(), resolve(a.ifindex())))
          .setHook(a.mode().name().toLowerCase(java.util.Locale.ROOT));
      b.addAttached(ai);
    }
    b.setPollInterval(protoDuration(config.pollInterval())).setHistory(protoDuration(config.history()));
    ProbeSnapshot s = last;
    if (s != null) {
      b.setFlowEntries(s.flowEntries()).setFlowCapacity(s.flowCapacity());
      s.counters().forEach((c, v) -> {
        if (c.kind() == Counter.Kind.UNPARSED && v > 0) {
          b.putUnparsedByReason(c.name().substring("UNPARSED_".length()).toLowerCase(java.util.Locale.ROOT), v);
        }
      });
    }
    if (config.bpfStats()) {
      try {
        for (Map.Entry<String, ProgramInfo> e : probe.programInfo().entrySet()) {
          b.addProgramCosts(ProgramCost.newBuilder().setProgram(e.getKey()).setRuns(e.getValue().runCount())
              .setNsPerRun(e.getValue().nsPerRun()));
        }
      } catch (BpfException e) {
        LOG.log(Level.DEBUG, "program statistics: " + e.getMessage());
      }
    }
    long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    b.setAgentCpuTime(protoDuration(Duration.ofNanos(Math.max(0, cpuNanos)))).setAgentRssBytes(rssBytes());
    for (SourceStatus st : resolver.status()) {
      b.addDomainSources(DomainSourceStatus.newBuilder().setName(st.name()).setDetected(st.detected()).setOk(st.ok())
          .setError(st.error()));
    }
    return b;
  }

  private static void addFeature(GetAgentStatusResponse.Builder b, String name, boolean on, Map<String, String> degraded) {
    b.addFeatures(Feature.newBuilder().setName(name).setAvailable(on).setReason(degraded.getOrDefault(name, "")));
  }

  private static com.google.protobuf.Duration protoDuration(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  private static long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux /proc: report nothing
    }
    return 0;
  }

  /** Stops polling, the resolver and the probe (which detaches everything). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    poller.shutdownNow();
    watchTimer.shutdownNow();
    try {
      poller.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    resolver.close();
    probe.close();
  }
}
