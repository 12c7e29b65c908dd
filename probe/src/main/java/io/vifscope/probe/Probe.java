package io.vifscope.probe;

import io.vifscope.probe.bcc.LibBcc;
import io.vifscope.probe.libbpf.LibBpf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel side of vifscope, as Java values: loads the BPF objects from the classpath (or has BCC compile the
 * same sources on the host, see {@link ProbeOptions.Loader}), attaches the
 * softirq and NAPI programs, keeps the tc programs on the selected interfaces as they come and go, and
 * reads every map as monotonic counters. It knows nothing of domains, time windows or gRPC.
 *
 * <p>Closing detaches everything (links, filters, the clsact qdiscs it created) and unloads the programs.
 * After a crash, tcx links vanish with the process; the next start sweeps leftover clsact filters.
 */
public final class Probe implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Probe.class.getName());

  /** Our tc program names: how the sweep recognises filters of ours. */
  public static final Set<String> TC_PROGRAMS = Set.of("tc_ingress", "tc_egress");

  private static final Throwable UNAVAILABILITY = checkAvailability();

  private final ProbeOptions options;
  private final Features.Builder features;
  private final List<BpfLink> links = new ArrayList<>();
  private Programs softirq;
  private Programs netdev;
  private InterfaceTracker tracker;
  private LinkMonitor monitor;
  private BpfStats stats;
  private MapReader softirqReader;
  private MapReader napiReader;
  private MapReader ifaceReader;
  private MapReader flowReader;
  /** Entries of the previous read: sizes the next one's arrays. */
  private int lastFlowEntries;
  /** The kernel's change journal; null when the whole flow map is read every poll. */
  private FlowJournal journal;
  private boolean polledOnce;
  private int pollsSinceFullRead;
  private int entriesAtFullRead;
  private long insertsAtFullRead;
  private long lastInserts;
  private long fullReads;
  private long journalOverflows;
  private MapReader counterReader;
  private MapReader softirqCounterReader;
  private boolean closed;

  private Probe(ProbeOptions options) {
    this.options = options;
    this.features = new Features.Builder();
  }

  private static Throwable checkAvailability() {
    try {
      LibBpf.libbpf_num_possible_cpus();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** True when the system libbpf could be bound; says nothing about privileges (a start tells). */
  public static boolean isAvailable() {
    return UNAVAILABILITY == null;
  }

  /** Why the probe cannot work on this host, or null when {@link #isAvailable()}. */
  public static Throwable unavailabilityCause() {
    return UNAVAILABILITY;
  }

  /** Loads, attaches and starts following interfaces. On failure nothing stays attached. */
  public static Probe start(ProbeOptions options) throws BpfException, IOException {
    return start(options, true);
  }

  /**
   * Like {@link #start(ProbeOptions)}; {@code allowCoRe} false takes the path of kernels without BTF (classic
   * napi:napi_poll through tracefs) even here, so that tests cover it.
   */
  static Probe start(ProbeOptions options, boolean allowCoRe) throws BpfException, IOException {
    // Both loaders need libbpf: BCC links it too, and the maps are read through it.
    if (UNAVAILABILITY != null) {
      throw new IOException("libbpf (" + LibBpf.LIBRARY + ") cannot be used: " + UNAVAILABILITY, UNAVAILABILITY);
    }
    switch (options.loader()) {
      case LIBBPF:
        return startWith(options, allowCoRe, false, null);
      case BCC:
        return startWith(options, allowCoRe, true, "not used: loader bcc chosen by option");
      default:
        break;
    }
    try {
      return startWith(options, allowCoRe, false, null);
    } catch (IOException | RuntimeException e) {
      // Missing privileges are no reason to try another loader: BCC would be refused the same way.
      if (e instanceof BpfException b && b.errno() == Errno.EPERM) {
        throw e;
      }
      String reason = "the built objects could not be loaded: " + firstLine(e) + failedProgram(e);
      LOG.log(Level.WARNING, reason + "; falling back to BCC (the same sources, compiled against this host's "
          + "kernel headers)");
      try {
        return startWith(options, allowCoRe, true, reason + "; BCC loaded the same sources instead");
      } catch (IOException | RuntimeException bcc) {
        IOException both = new IOException("no loader could load the programs; libbpf: " + firstLine(e) + "; BCC: "
            + bcc.getMessage(), bcc);
        both.addSuppressed(e);
        throw both;
      }
    }
  }

  /** The program libbpf's log names in a failed load ("libbpf: prog 'napi_poll_raw': failed to load: ..."). */
  private static String failedProgram(Throwable e) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("prog '([^']+)'").matcher(String.valueOf(e.getMessage()));
    return m.find() ? " (program " + m.group(1) + ")" : "";
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }

  /**
   * One start with one loader; on failure nothing stays attached or loaded.
   *
   * @param libbpfNote why the built objects are not in use (with {@code bcc}), reported as feature "libbpf_objects"
   */
  private static Probe startWith(ProbeOptions options, boolean allowCoRe, boolean bcc, String libbpfNote)
      throws BpfException, IOException {
    Probe p = new Probe(options);
    p.features.loader = bcc ? "bcc" : "libbpf";
    if (libbpfNote != null) {
      p.features.degraded.put("libbpf_objects", libbpfNote);
    }
    try {
      if (bcc) {
        p.startSoftirqBcc();
      } else {
        p.startSoftirq(allowCoRe);
      }
      p.startNetdev(bcc);
      LOG.log(Level.INFO, bcc ? "programs compiled on this host and loaded by BCC"
          : "programs loaded by libbpf from the built objects");
      return p;
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /**
   * The BCC path: softirq.bpf.c compiled here, without its CO-RE program (BCC has no CO-RE relocations), so
   * napi:napi_poll is always the classic tracepoint (tracefs); softirq entry/exit are raw tracepoints where the
   * kernel has them (4.17+), classic otherwise.
   */
  private void startSoftirqBcc() throws BpfException, IOException {
    BccModule m = BccModule.compileSource("softirq.bpf.c", List.of(), BccModule.DEFAULT_COMPILE_TIMEOUT);
    softirq = m;
    try {
      links.add(m.load("softirq_entry_raw", LibBcc.BPF_PROG_TYPE_RAW_TRACEPOINT).attachRawTracepoint("softirq_entry"));
      links.add(m.load("softirq_exit_raw", LibBcc.BPF_PROG_TYPE_RAW_TRACEPOINT).attachRawTracepoint("softirq_exit"));
      features.rawTracepoints = true;
    } catch (BpfException e) {
      if (e.errno() == Errno.EPERM) {
        throw e;
      }
      closeLinks();
      features.degraded.put("raw_tracepoints", firstLine(e) + "; using classic tracepoints");
      Mounts.ensureTracefs();
      links.add(m.load("softirq_entry", LibBcc.BPF_PROG_TYPE_TRACEPOINT).attachTracepoint("irq", "softirq_entry"));
      links.add(m.load("softirq_exit", LibBcc.BPF_PROG_TYPE_TRACEPOINT).attachTracepoint("irq", "softirq_exit"));
    }
    features.degraded.put("napi_raw_tracepoint", "BCC loader (no CO-RE); napi:napi_poll attached as a classic "
        + "tracepoint, which needs tracefs (root)");
    Mounts.ensureTracefs();
    links.add(m.load("napi_poll", LibBcc.BPF_PROG_TYPE_TRACEPOINT).attachTracepoint("napi", "napi_poll"));
    softirqReader = m.reader("softirq_time");
    napiReader = m.reader("napi_time");
    softirqCounterReader = m.reader("counters");
  }

  /** A built object from the classpath, or from {@link ProbeOptions#objectsDir()} when set. */
  private BpfObject openObject(String file) throws BpfException {
    Path dir = options.objectsDir();
    if (dir == null) {
      return BpfObject.open(file);
    }
    Path path = dir.resolve(file);
    byte[] elf;
    try {
      elf = Files.readAllBytes(path);
    } catch (java.nio.file.NoSuchFileException e) {
      throw BpfException.of("read(" + path + ")", Errno.ENOENT);
    } catch (IOException e) {
      throw BpfException.of("read(" + path + "): " + e.getMessage(), Errno.EINVAL);
    }
    return BpfObject.open(file, elf);
  }

  private void startSoftirq(boolean allowCoRe) throws BpfException, IOException {
    // Least privilege first: with kernel BTF every softirq and NAPI program is a raw tracepoint, and none needs
    // tracefs (root's alone) for an event id. See napi_poll_raw in softirq.bpf.c.
    String coReMissing = !allowCoRe ? "not tried (forced off)" : !features.btf ? "no kernel BTF" : null;
    if (coReMissing == null) {
      try {
        BpfObject o = loadSoftirq("softirq.bpf.o", SoftirqPath.RAW_CORE);
        softirq = o;
        attachAll(o, SoftirqPath.RAW_CORE);
        features.rawTracepoints = true;
      } catch (BpfException e) {
        closeLinks();
        if (softirq != null) {
          softirq.close();
          softirq = null;
        }
        // EPERM: missing privileges (CAP_BPF, CAP_PERFMON), not a missing kernel feature; the classic path would
        // fail the same way, after a tracefs mount that would hide the real cause. (Not EACCES: the verifier
        // rejects programs with it, and such a rejection is what the classic path is for.)
        if (e.errno() == Errno.EPERM) {
          throw e;
        }
        coReMissing = e.getMessage().lines().findFirst().orElse("");
      }
    }
    if (coReMissing != null) {
      features.degraded.put("napi_raw_tracepoint", coReMissing
          + "; napi:napi_poll attached as a classic tracepoint, which needs tracefs (root)");
      startSoftirqClassicNapi();
    }
    softirqReader = softirq.reader("softirq_time");
    napiReader = softirq.reader("napi_time");
    softirqCounterReader = softirq.reader("counters");
  }

  /**
   * The paths for kernels without BTF: the classic napi:napi_poll tracepoint, from the object built without
   * CO-RE (libbpf would refuse the other one there), with raw softirq tracepoints where the kernel has them.
   * Classic tracepoints need tracefs for their event ids: mounted here when missing (CAP_SYS_ADMIN), and
   * readable by root only.
   */
  private void startSoftirqClassicNapi() throws BpfException, IOException {
    Mounts.ensureTracefs();
    BpfException rawFailure = null;
    try {
      BpfObject o = loadSoftirq("softirq_nocore.bpf.o", SoftirqPath.RAW_SOFTIRQ);
      softirq = o;
      attachAll(o, SoftirqPath.RAW_SOFTIRQ);
      features.rawTracepoints = true;
    } catch (BpfException e) {
      rawFailure = e;
      closeLinks();
      if (softirq != null) {
        softirq.close();
        softirq = null;
      }
    }
    if (rawFailure != null) {
      features.degraded.put("raw_tracepoints", rawFailure.getMessage().lines().findFirst().orElse("")
          + "; using classic tracepoints");
      BpfObject o = loadSoftirq("softirq_nocore.bpf.o", SoftirqPath.CLASSIC);
      softirq = o;
      attachAll(o, SoftirqPath.CLASSIC);
    }
  }

  /** Which flavour of each softirq and NAPI program is loaded. */
  private enum SoftirqPath {
    /** Raw tracepoints for all three; napi_poll_raw reads the device name through CO-RE (needs kernel BTF). */
    RAW_CORE,
    /** Raw softirq entry/exit, classic napi:napi_poll. */
    RAW_SOFTIRQ,
    /** Classic tracepoints for all three. */
    CLASSIC
  }

  private BpfObject loadSoftirq(String file, SoftirqPath path) throws BpfException {
    boolean rawSoftirq = path != SoftirqPath.CLASSIC;
    BpfObject o = openObject(file);
    try {
      o.program("softirq_entry_raw").setAutoload(rawSoftirq);
      o.program("softirq_exit_raw").setAutoload(rawSoftirq);
      o.program("softirq_entry").setAutoload(!rawSoftirq);
      o.program("softirq_exit").setAutoload(!rawSoftirq);
      o.program("napi_poll").setAutoload(path != SoftirqPath.RAW_CORE);
      if (path == SoftirqPath.RAW_CORE) {
        o.program("napi_poll_raw").setAutoload(true);
      }
      o.load();
      return o;
    } catch (BpfException | RuntimeException e) {
      o.close();
      throw e;
    }
  }

  private void attachAll(BpfObject softirq, SoftirqPath path) throws BpfException {
    if (path == SoftirqPath.CLASSIC) {
      links.add(softirq.program("softirq_entry").attachTracepoint("irq", "softirq_entry"));
      links.add(softirq.program("softirq_exit").attachTracepoint("irq", "softirq_exit"));
    } else {
      links.add(softirq.program("softirq_entry_raw").attachRawTracepoint("softirq_entry"));
      links.add(softirq.program("softirq_exit_raw").attachRawTracepoint("softirq_exit"));
    }
    if (path == SoftirqPath.RAW_CORE) {
      links.add(softirq.program("napi_poll_raw").attachRawTracepoint("napi_poll"));
    } else {
      links.add(softirq.program("napi_poll").attachTracepoint("napi", "napi_poll"));
    }
  }

  private void startNetdev(boolean bcc) throws BpfException, IOException {
    if (bcc) {
      // BCC has no global data and sizes its maps at compile time: the flow map's size is a -D macro.
      BccModule m = BccModule.compileSource("netdev.bpf.c", List.of("VS_FLOW_ENTRIES=" + options.flowEntries()),
          BccModule.DEFAULT_COMPILE_TIMEOUT);
      netdev = m;
      m.load("tc_ingress", LibBcc.BPF_PROG_TYPE_SCHED_CLS);
      m.load("tc_egress", LibBcc.BPF_PROG_TYPE_SCHED_CLS);
    } else {
      BpfObject o = null;
      BpfException journalFailure = null;
      if (options.flowFullReadEvery() > 1) {
        try {
          o = loadNetdev(true);
        } catch (BpfException e) {
          journalFailure = e;
        }
      }
      if (o == null) {
        o = loadNetdev(false); // a failure here is not the journal's: it goes up to the loader choice
        if (journalFailure != null) {
          features.degraded.put("flow_journal", journalFailure.getMessage().lines().findFirst().orElse("")
              + " (journal_advance needs kernel 5.19+); reading the whole flow map every poll");
        }
      }
      netdev = o;
      if (o.mapNames().contains("flow_changes") && o.program("journal_advance").isLoaded()) {
        journal = new FlowJournal(o.program("journal_advance"), o.map("flow_changes"), PossibleCpus.count());
      }
    }
    ifaceReader = netdev.reader("iface_stats");
    flowReader = netdev.reader("flow_stats");
    counterReader = netdev.reader("counters");
    if (options.bpfStats()) {
      setStatsEnabled(true);
    } else {
      probeStatsSupport();
    }
    ClsactLedger ledger = new ClsactLedger(options.ledgerFile());
    TcSweeper.Result swept = TcSweeper.sweep(TC_PROGRAMS, ledger);
    if (swept.filtersRemoved() > 0 || swept.qdiscsRemoved() > 0) {
      LOG.log(Level.INFO, "swept " + swept.filtersRemoved() + " filter(s) and " + swept.qdiscsRemoved()
          + " qdisc(s) left by an earlier run");
    }
    InterfaceSelector selector = InterfaceSelector.of(options.include(), options.exclude(), options.withDefaults());
    tracker = new InterfaceTracker(selector, netdev.loadedProgram("tc_ingress"), netdev.loadedProgram("tc_egress"),
        options.tcMode(), ledger, features);
    monitor = LinkMonitor.start(tracker);
    tracker.setMonitor(monitor);
    tracker.reconcile();
  }

  /**
   * Opens and loads netdev.bpf.o. With {@code journal}, the change journal too (kernel 5.19+: a syscall program,
   * bpf_loop, bpf_map_lookup_percpu_elem); without, its program is not loaded, its maps shrink to one entry and the
   * tc programs' journal code is pruned by the verifier.
   */
  private BpfObject loadNetdev(boolean journal) throws BpfException {
    BpfObject o = openObject("netdev.bpf.o");
    try {
      o.map("flow_stats").setMaxEntries(options.flowEntries());
      boolean built = o.mapNames().contains("flow_changes"); // tests hand the probe objects without it
      if (built && journal) {
        o.map("flow_changes").setMaxEntries(FlowJournal.changesCapacity(PossibleCpus.count()));
      } else if (built) {
        o.program("journal_advance").setAutoload(false);
        o.setRodata("vs_flow_journal", (byte) 0);
        o.map("flow_journal").setMaxEntries(1);
        o.map("flow_changes").setMaxEntries(1);
      }
      o.load();
      return o;
    } catch (BpfException | RuntimeException e) {
      o.close();
      throw e;
    }
  }

  private void probeStatsSupport() {
    try {
      BpfStats.enable().close();
      features.bpfStats = true;
    } catch (BpfException e) {
      features.bpfStats = false;
      features.degraded.put("bpf_stats", e.getMessage());
    }
  }

  /** Turns BPF run-time statistics on or off (see {@link BpfStats}). */
  public synchronized void setStatsEnabled(boolean on) throws BpfException {
    if (on && stats == null) {
      stats = BpfStats.enable();
      features.bpfStats = true;
    } else if (!on && stats != null) {
      stats.close();
      stats = null;
    }
  }

  /** What the kernel offered and what is degraded, as it stands now. */
  public synchronized Features features() {
    features.batchOps = flowReader == null || flowReader.usesBatch();
    if (!features.batchOps) {
      features.degraded.put("batch_ops", "BPF_MAP_LOOKUP_BATCH refused; reading maps key by key");
    }
    return features.build();
  }

  /** Interfaces our tc programs are attached to now. */
  public List<AttachedInterface> attachedInterfaces() {
    return tracker.attached();
  }

  /** Every link of this network namespace as netlink reported it last (kernel facts, no domains). */
  public Map<Integer, LinkInfo> links() {
    return monitor.links();
  }

  /** One link as netlink reported it last, or null when it is gone (no copy of the table). */
  public LinkInfo link(int ifindex) {
    return monitor.link(ifindex);
  }

  /** Interfaces that are selected but could not be attached, with the error. */
  public Map<Integer, String> attachFailures() {
    return tracker.failures();
  }

  /** Kernel statistics of each loaded program (run counts and times are non-zero only with stats on). */
  public synchronized Map<String, ProgramInfo> programInfo() throws BpfException {
    Map<String, ProgramInfo> out = new LinkedHashMap<>();
    for (Programs o : new Programs[] {softirq, netdev}) {
      for (LoadedProgram p : o.loaded()) {
        out.put(p.name(), p.info());
      }
    }
    return out;
  }

  /**
   * Reads every map now, the whole flow map included (a {@linkplain ProbeSnapshot#flowsComplete() complete}
   * snapshot: two of them give per-flow deltas). Never resets a counter; one batched call per map and batch.
   */
  public ProbeSnapshot snapshot() throws BpfException {
    int expected;
    synchronized (this) {
      expected = lastFlowEntries + lastFlowEntries / 16;
    }
    return read(new FlowCounts.Builder(expected), false);
  }

  /**
   * A poller's read: like {@link #snapshot()}, except that the flows may be only those the kernel journaled as
   * changed since the previous poll (see {@link ProbeOptions#flowFullReadEvery()} and
   * {@link ProbeSnapshot#flowsComplete()}), read into {@code flowsInto} (cleared first) instead of new arrays: the
   * snapshot's flows are then valid only until that builder is used again. For a poller that hands each snapshot's
   * flows to a history that applies partial polls and keeps none of them, so that a poll allocates no flow arrays.
   */
  public ProbeSnapshot poll(FlowCounts.Builder flowsInto) throws BpfException {
    return read(flowsInto, true);
  }

  private synchronized ProbeSnapshot read(FlowCounts.Builder flowsInto, boolean partialAllowed) throws BpfException {
    if (closed) {
      throw new IllegalStateException("probe is closed");
    }
    long now = System.nanoTime();
    int cpus = PossibleCpus.count();

    SoftirqStats[][] soft = new SoftirqStats[cpus][SoftirqStats.VECTORS];
    softirqReader.read((k, ko, v, vo, stride, n) -> {
      int vector = k.getInt(ko);
      if (vector >= 0 && vector < SoftirqStats.VECTORS) {
        for (int c = 0; c < n; c++) {
          soft[c][vector] = SoftirqStats.decode(v, vo + c * stride);
        }
      }
    });

    List<Map<String, NapiStats>> napi = new ArrayList<>(cpus);
    for (int c = 0; c < cpus; c++) {
      napi.add(new HashMap<>());
    }
    napiReader.read((k, ko, v, vo, stride, n) -> {
      String dev = NapiKey.decode(k, ko);
      for (int c = 0; c < n; c++) {
        NapiStats s = NapiStats.decode(v, vo + c * stride);
        if (s.polls() != 0 || s.timeNs() != 0) {
          napi.get(c).put(dev, s);
        }
      }
    });

    Map<IfaceKey, IfaceStats> ifaces = new HashMap<>();
    ifaceReader.read((k, ko, v, vo, stride, n) -> ifaces.put(IfaceKey.decode(k, ko), IfaceStats.sum(v, vo, stride, n)));

    // Primitive arrays, no object per flow: this runs every poll over up to the whole flow map.
    FlowCounts.Builder flowBuilder = flowsInto;
    flowBuilder.clear();
    boolean complete = readFlows(flowBuilder, partialAllowed);
    FlowCounts flows = flowBuilder.build();

    // Each object has its own counters map with the same enum; the totals are their sum.
    Map<Counter, Long> counters = new EnumMap<>(Counter.class);
    MapReader.Visitor addCounter = (k, ko, v, vo, stride, n) -> {
      Counter c = Counter.of(k.getInt(ko));
      if (c != null) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
          sum += v.getLong(vo + i * stride);
        }
        counters.merge(c, sum, Long::sum);
      }
    };
    counterReader.read(addCounter);
    softirqCounterReader.read(addCounter);

    long inserts = counters.getOrDefault(Counter.FLOW_INSERTS, 0L);
    int entries;
    if (complete) {
      entries = flows.size();
      lastFlowEntries = entries;
      if (partialAllowed) {
        entriesAtFullRead = entries;
        insertsAtFullRead = inserts;
      }
    } else {
      entries = (int) Math.min(options.flowEntries(), entriesAtFullRead + Math.max(0, inserts - insertsAtFullRead));
    }
    if (partialAllowed) {
      lastInserts = inserts;
    }

    Map<Integer, String> names = new HashMap<>();
    monitor.links().forEach((idx, link) -> names.put(idx, link.name()));
    return new ProbeSnapshot(now, soft, napi, ifaces, flows, counters, options.flowEntries(), names, entries, complete);
  }

  /**
   * Reads the flows into {@code into}: the whole map, or only the flows the journal handed over. The whole map for
   * a {@link #snapshot()}, on the first poll, every {@code flowFullReadEvery} polls, when the journal lost changes, and when more flows were
   * inserted since the last full read than an eighth of the map (the LRU may be evicting: a full read finds what
   * it evicted, so the history does not keep rows for gone flows). Returns whether the read was full.
   */
  private boolean readFlows(FlowCounts.Builder into, boolean partialAllowed) throws BpfException {
    if (!partialAllowed) {
      // A one-off complete read leaves the journal and the poller's schedule alone: the poller's next partial
      // read still hands over everything that changed since its own previous read.
      flowReader.read(into::addEntry);
      return true;
    }
    boolean full = journal == null || pollsSinceFullRead + 1 >= options.flowFullReadEvery() || !polledOnce
        || lastInserts - insertsAtFullRead > options.flowEntries() / 8;
    if (journal != null) {
      FlowJournal.Advance a = journal.advance(full, into);
      if (!full && a.overflow()) {
        into.clear();
        full = true;
        journalOverflows++;
      }
    }
    polledOnce = true;
    if (full) {
      flowReader.read(into::addEntry);
      pollsSinceFullRead = 0;
      fullReads++;
    } else {
      pollsSinceFullRead++;
    }
    return full;
  }

  /** Whole-map reads of the flow map so far, and the polls the journal's overflow turned into one. */
  public synchronized FlowReads flowReads() {
    return new FlowReads(journal != null, fullReads, journalOverflows);
  }

  /**
   * How the flow map has been read.
   *
   * @param journal whether the kernel's change journal is in use (else every read is a full one)
   * @param fullReads reads of the whole map
   * @param overflows polls on which the journal had lost changes, read fully instead
   */
  public record FlowReads(boolean journal, long fullReads, long overflows) {}

  private void closeLinks() {
    for (BpfLink l : links) {
      l.close();
    }
    links.clear();
  }

  /** Detaches everything and unloads. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (monitor != null) {
      monitor.close();
    }
    if (tracker != null) {
      tracker.close();
    }
    closeLinks();
    if (journal != null) {
      journal.close();
    }
    for (MapReader r : new MapReader[] {softirqReader, napiReader, softirqCounterReader, ifaceReader, flowReader, counterReader}) {
      if (r != null) {
        r.close();
      }
    }
    if (stats != null) {
      stats.close();
    }
    if (softirq != null) {
      softirq.close();
    }
    if (netdev != null) {
      netdev.close();
    }
  }
}
