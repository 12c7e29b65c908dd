package io.vifscope.probe;

import java.nio.file.Path;
import java.util.List;

/**
 * How the probe starts.
 *
 * @param include interface name globs to watch, on top of the defaults when {@code defaults} is true
 * @param exclude interface name globs never to watch (wins over include)
 * @param withDefaults also watch what {@link InterfaceSelector#defaults()} selects (vifs, taps, guest bridge ports, NICs)
 * @param flowEntries size of the flow map (LRU); 65,536 by default
 * @param tcMode how tc programs are hooked in
 * @param bpfStats turn on BPF run-time statistics so the probe can report its own ns per run
 * @param ledgerFile where clsact qdiscs we create are recorded for the crash sweep
 * @param loader how the programs get into the kernel
 * @param objectsDir where to read the built objects from instead of the classpath, or null (tests point it at a
 *     directory of broken objects to make {@link Loader#AUTO} fall back)
 * @param flowFullReadEvery read the whole flow map at least every this many polls; in between, only the flows the
 *     kernel journaled as changed (see {@link FlowJournal}). 1 reads the whole map every poll (no journal).
 */
public record ProbeOptions(
    List<String> include, List<String> exclude, boolean withDefaults, int flowEntries, TcMode tcMode, boolean bpfStats,
    Path ledgerFile, Loader loader, Path objectsDir, int flowFullReadEvery) {

  public static final int DEFAULT_FLOW_ENTRIES = 65_536;
  /**
   * A full read finds the flows the LRU evicted (and frees their rows in the agent's history); between full reads
   * the journal hands over every flow that had packets. 30 polls is 30 s at the agent's default poll interval.
   */
  public static final int DEFAULT_FLOW_FULL_READ_EVERY = 30;

  /** tc hook choice. */
  public enum TcMode {
    /** tcx links where the kernel has them, clsact filters otherwise. */
    AUTO,
    /** tcx links only. */
    TCX,
    /** clsact filters even where tcx exists (the path for old kernels, forced here to test it). */
    CLSACT
  }

  /** Which loader puts the programs into the kernel. */
  public enum Loader {
    /** The objects built at build time; BCC when they cannot be loaded (the reason is in {@link Features}). */
    AUTO,
    /** The objects built at build time, through libbpf, and nothing else. */
    LIBBPF,
    /** The same sources compiled on the host by BCC against its kernel headers. */
    BCC
  }

  /** The options of the constructor before the loader existed: the default loader, objects from the classpath. */
  public ProbeOptions(List<String> include, List<String> exclude, boolean withDefaults, int flowEntries, TcMode tcMode,
      boolean bpfStats, Path ledgerFile) {
    this(include, exclude, withDefaults, flowEntries, tcMode, bpfStats, ledgerFile, Loader.AUTO, null);
  }

  /** The options before the flow journal existed: full reads every {@link #DEFAULT_FLOW_FULL_READ_EVERY} polls. */
  public ProbeOptions(List<String> include, List<String> exclude, boolean withDefaults, int flowEntries, TcMode tcMode,
      boolean bpfStats, Path ledgerFile, Loader loader, Path objectsDir) {
    this(include, exclude, withDefaults, flowEntries, tcMode, bpfStats, ledgerFile, loader, objectsDir,
        DEFAULT_FLOW_FULL_READ_EVERY);
  }

  public ProbeOptions {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    java.util.Objects.requireNonNull(loader, "loader");
    if (flowEntries < 1) {
      throw new IllegalArgumentException("flowEntries must be positive: " + flowEntries);
    }
    if (flowFullReadEvery < 1) {
      throw new IllegalArgumentException("flowFullReadEvery must be positive: " + flowFullReadEvery);
    }
  }

  /** The defaults: watch what a Xen/KVM host operator expects, 65,536 flows, tcx when available. */
  public static ProbeOptions defaults() {
    return new ProbeOptions(List.of(), List.of(), true, DEFAULT_FLOW_ENTRIES, TcMode.AUTO, false, ClsactLedger.DEFAULT_FILE);
  }

  /** Watch only interfaces matching {@code include} (no defaults): what tests and the lab use. */
  public static ProbeOptions only(List<String> include) {
    return new ProbeOptions(include, List.of(), false, DEFAULT_FLOW_ENTRIES, TcMode.AUTO, false, ClsactLedger.DEFAULT_FILE);
  }

  public ProbeOptions withFlowEntries(int n) {
    return new ProbeOptions(include, exclude, withDefaults, n, tcMode, bpfStats, ledgerFile, loader, objectsDir,
        flowFullReadEvery);
  }

  public ProbeOptions withTcMode(TcMode mode) {
    return new ProbeOptions(include, exclude, withDefaults, flowEntries, mode, bpfStats, ledgerFile, loader, objectsDir,
        flowFullReadEvery);
  }

  public ProbeOptions withBpfStats(boolean on) {
    return new ProbeOptions(include, exclude, withDefaults, flowEntries, tcMode, on, ledgerFile, loader, objectsDir,
        flowFullReadEvery);
  }

  public ProbeOptions withLoader(Loader l) {
    return new ProbeOptions(include, exclude, withDefaults, flowEntries, tcMode, bpfStats, ledgerFile, l, objectsDir,
        flowFullReadEvery);
  }

  /** See {@code flowFullReadEvery}; 1 turns the journal off. */
  public ProbeOptions withFlowFullReadEvery(int polls) {
    return new ProbeOptions(include, exclude, withDefaults, flowEntries, tcMode, bpfStats, ledgerFile, loader, objectsDir,
        polls);
  }

  public ProbeOptions withObjectsDir(Path dir) {
    return new ProbeOptions(include, exclude, withDefaults, flowEntries, tcMode, bpfStats, ledgerFile, loader, dir,
        flowFullReadEvery);
  }
}
