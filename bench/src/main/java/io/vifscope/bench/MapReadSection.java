package io.vifscope.bench;

import io.vifscope.probe.Errno;
import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.FlowJournal;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.MapReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Section 3, map reads: how long one read of the whole flow map takes, as the agent reads it every poll, at
 * 4k to 262k entries. It compares BPF_MAP_LOOKUP_BATCH with key iteration (the agent's fallback on kernels
 * without batch ops), decoding every CPU's value with decoding CPU 0's alone, and separates the syscalls
 * from the decode into FlowCounts. Needs root (it creates BPF maps) but neither the lab nor any interface.
 */
final class MapReadSection implements Section {
  /** Map sizes of the issue: 4k, 16k, 65k and 262k entries. */
  static final int[] SIZES = {4_096, 16_384, 65_536, 262_144};
  private static final int GOAL_ENTRIES = 65_536;
  private static final double GOAL_MS = 10;
  /**
   * Entries one sample reads: it is the mean of as many consecutive whole-map reads (at least two), so that
   * young collections, which the decoded reads trigger every few reads, weigh on each sample about as they
   * weigh on an agent that polls, rather than by the luck of where one falls.
   */
  private static final int SAMPLE_ENTRIES = 524_288;

  private static final String BATCH_ALL = "batch, all CPUs";
  private static final String BATCH_CPU0 = "batch, CPU 0 only";
  private static final String ITER_ALL = "iteration, all CPUs";
  private static final String BATCH_RAW = "batch, no decode";
  /** Flows changed since the last poll, for the change-journal reads at 65k entries (one CPU's half at most). */
  private static final int[] JOURNAL_CHANGED = {1_024, 4_096, FlowJournal.SLOTS};
  private static final String ITER_RAW = "iteration, no decode";

  /** What a read does with each entry. */
  private enum Decode {
    /** What the agent does: raw keys plus packets and bytes summed over every CPU's slot, into FlowCounts. */
    ALL_CPUS,
    /** The same with only CPU 0's slot read. */
    CPU0,
    /** Nothing: the syscalls and the copy out of the kernel alone. */
    NONE
  }

  @Override
  public String id() {
    return "map-reads";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int rounds = ctx.pairs();
    Map<Integer, Map<String, Map<String, List<Double>>>> samples = new LinkedHashMap<>();
    Map<Integer, Double> fillMs = new LinkedHashMap<>();
    Map<Integer, Integer> presentByMax = new LinkedHashMap<>();
    Map<Integer, Integer> readsPerSample = new LinkedHashMap<>();
    int cpus = 0;
    Integer oneCpuLookup = null;
    for (int entries : SIZES) {
      ctx.say("flow_stats with %,d entries: creating and filling", entries);
      boolean withJournal = entries == GOAL_ENTRIES;
      try (FlowMapFixture fx = FlowMapFixture.create(entries, withJournal);
          MapReader batched = new MapReader(fx.map());
          MapReader iterating = new MapReader(fx.map(), MapReader.DEFAULT_BATCH, false);
          FlowJournal journal = withJournal ? fx.journal() : null) {
        cpus = fx.cpus();
        fillMs.put(entries, fx.fillMs());
        if (oneCpuLookup == null) {
          oneCpuLookup = fx.lookupOneCpu();
        }
        int present = check(fx, batched, entries);
        presentByMax.put(entries, present);
        ctx.say("flow_stats with max_entries %,d holds %,d flows after the fill", entries, present);
        int reads = Math.max(2, SAMPLE_ENTRIES / entries);
        readsPerSample.put(entries, reads);
        List<Alternation.Variant> variants = new ArrayList<>(List.of(
            new ReadVariant(BATCH_ALL, batched, Decode.ALL_CPUS, present, reads),
            new ReadVariant(BATCH_CPU0, batched, Decode.CPU0, present, reads),
            new ReadVariant(ITER_ALL, iterating, Decode.ALL_CPUS, present, reads),
            new ReadVariant(BATCH_RAW, batched, Decode.NONE, present, reads),
            new ReadVariant(ITER_RAW, iterating, Decode.NONE, present, reads)));
        if (journal != null) {
          fx.journalFlows(JOURNAL_CHANGED[JOURNAL_CHANGED.length - 1]);
          JournalState state = new JournalState(journal, fx);
          for (int changed : JOURNAL_CHANGED) {
            variants.add(new JournalVariant(journalName(changed), state, changed, reads));
          }
        }
        for (Alternation.Variant v : variants) {
          v.run(); // warm-up, not recorded: the JIT compiles the decode
        }
        samples.put(entries, Alternation.run(variants, rounds, ctx));
        if (!batched.usesBatch()) {
          throw new IllegalStateException("the kernel refused BPF_MAP_LOOKUP_BATCH on flow_stats: the batched "
              + "variants measured key iteration");
        }
      }
    }

    boolean kernelCopiesAll = oneCpuLookup != 0;
    SectionResult r = new SectionResult(id(), "Map reads", method(cpus, rounds, kernelCopiesAll, oneCpuLookup));
    Table times = r.table(new Table("Time per read of the whole map",
        "entries", "variant", "ms per read (min / **median** / max)", "µs per 1k entries (median)",
        "of which GC pauses, ms (median)"));
    Table ratios = r.table(new Table("Ratios (medians over medians)",
        "entries", "iteration / batch", "iteration / batch, no decode", "all CPUs / CPU 0 only",
        "decode share of the batched read"));
    Map<Integer, Map<String, Stats>> stats = new LinkedHashMap<>();
    for (var bySize : samples.entrySet()) {
      int entries = bySize.getKey();
      Map<String, Stats> ms = new LinkedHashMap<>();
      Map<String, Double> withoutGc = new LinkedHashMap<>(); // medians
      for (var byVariant : bySize.getValue().entrySet()) {
        Stats s = Stats.of(byVariant.getValue().get("ms"));
        ms.put(byVariant.getKey(), s);
        withoutGc.put(byVariant.getKey(), Stats.of(byVariant.getValue().get("ms_without_gc")).median());
        times.row(label(entries, presentByMax.get(entries)), byVariant.getKey(), Report.mmm(s),
            Report.num(Stats.of(byVariant.getValue().get("us_per_1k")).median()),
            Report.num(Stats.of(byVariant.getValue().get("gc_ms")).median()));
      }
      stats.put(entries, ms);
      double batch = ms.get(BATCH_ALL).median();
      ratios.row(label(entries, presentByMax.get(entries)),
          Report.ratio(withoutGc.get(ITER_ALL) / withoutGc.get(BATCH_ALL)),
          Report.ratio(ms.get(ITER_RAW).median() / ms.get(BATCH_RAW).median()),
          Report.ratio(withoutGc.get(BATCH_ALL) / withoutGc.get(BATCH_CPU0)),
          String.format(Locale.ROOT, "%.0f%%", 100 * (1 - ms.get(BATCH_RAW).median() / batch)));
    }
    int largest = SIZES[SIZES.length - 1];
    times.note("The agent reads with \"" + BATCH_ALL + "\". " + rounds + " rounds per size"
        + (ctx.quick() ? " (quick run: fewer rounds than a full run)" : "") + "; all four sizes in either mode. "
        + "A non-zero GC column means young collections fell within the samples; at " + count(largest)
        + " entries a sample is only " + readsPerSample.get(largest) + " reads, so they fall unevenly between the "
        + "variants that allocate.");
    ratios.note("Iteration / batch: how many times longer key iteration takes than BPF_MAP_LOOKUP_BATCH for the "
        + "same read. All CPUs / CPU 0 only: the cost of summing " + cpus + " CPUs' slots rather than one, in user "
        + "space only (" + (kernelCopiesAll ? "the kernel copies all of them either way" : "see the method")
        + "). These two compare variants that allocate the same objects, so they leave GC pauses out: where a "
        + "collection falls between them is luck. Decode share: the part of the agent's read spent decoding into "
        + "FlowCounts (raw keys, per-CPU sums), GC pauses included, 1 − (batch, no decode) / (batch, all CPUs).");

    double goalMs = stats.get(GOAL_ENTRIES).get(BATCH_ALL).median();
    double goalRawMs = stats.get(GOAL_ENTRIES).get(BATCH_RAW).median();
    boolean met = goalMs <= GOAL_MS;
    Table journalTable = r.table(new Table("The change journal at " + count(GOAL_ENTRIES) + " entries",
        "flows changed since the last poll", "journal read, ms (median)", "whole-map read, ms (median)",
        "whole map / journal"));
    for (int changed : JOURNAL_CHANGED) {
      double j = stats.get(GOAL_ENTRIES).get(journalName(changed)).median();
      journalTable.row(count(changed), Report.num(j), Report.num(goalMs), Report.ratio(goalMs / j));
    }
    journalTable.note("What a poll between full reads costs the agent (netdev.bpf.c journal_advance, one "
        + "BPF_PROG_TEST_RUN, then one batched read of its records, decoded), against the whole-map read (\""
        + BATCH_ALL + "\") in the same alternation. Each journal read is timed alone; the one syscall before it that "
        + "makes the journal hold the changed flows (as the tc programs would) is not. The changed flows were "
        + "journaled on one CPU; each journaled flow costs one lookup per possible CPU.");
    r.goal(Goal.of("Read 65k flows", "≤ 10 ms",
        Report.num(goalMs) + " ms median (" + count(presentByMax.get(GOAL_ENTRIES)) + " flows, batched, decoded, "
            + cpus + " CPUs)", met,
        "the batched syscalls alone take " + Report.num(goalRawMs) + " ms (median) and the decode into FlowCounts "
            + "the remaining " + Report.num(goalMs - goalRawMs) + " ms"));

    r.data("possible_cpus", cpus);
    r.data("kernel", System.getProperty("os.version"));
    r.data("rounds", rounds);
    r.data("batch_entries", MapReader.DEFAULT_BATCH);
    r.data("bpf_f_cpu_lookup", oneCpuLookup == 0 ? "accepted" : "refused: " + Errno.describe(oneCpuLookup));
    r.data("flows_present", presentByMax);
    r.data("reads_per_sample", readsPerSample);
    r.data("fill_ms", fillMs);
    r.data("stats_ms", stats);
    r.data("samples", samples);
    return r;
  }

  /**
   * Reads once with the agent's decode and checks every flow's packets and bytes summed over the CPUs against
   * what the fill wrote; returns the number of flows present. The LRU map can evict a little before it is full
   * (free entries move to per-CPU lists in blocks, so the CPU filling may find none while another CPU still
   * holds some), so fewer than {@code written} flows may remain; a map that kept less than 90% would not be the
   * full map this section means to read.
   */
  private static int check(FlowMapFixture fx, MapReader reader, int written) throws Exception {
    FlowCounts.Builder read = new FlowCounts.Builder(written);
    int n = reader.read(visitor(Decode.ALL_CPUS, read));
    Map<FlowKey, FlowStats> flows = read.build().asMap();
    if (n != flows.size()) {
      throw new IllegalStateException("flow_stats: " + n + " entries read but " + flows.size() + " distinct");
    }
    for (var e : flows.entrySet()) {
      long expected = fx.expectedPackets(FlowMapFixture.flowIndex(e.getKey()));
      if (e.getValue().packets() != expected || e.getValue().bytes() != 100 * expected) {
        throw new IllegalStateException("flow_stats: " + e + " read back; the fill wrote " + expected + " packets");
      }
    }
    if (n < written * 0.9) {
      throw new IllegalStateException("flow_stats kept " + n + " of the " + written + " flows written");
    }
    return n;
  }

  /** The agent's decode (Probe.snapshot: raw keys and per-CPU sums into FlowCounts), or the variants'. */
  private static MapReader.Visitor visitor(Decode decode, FlowCounts.Builder flows) {
    return switch (decode) {
      case ALL_CPUS -> flows::addEntry;
      case CPU0 -> (k, ko, v, vo, stride, cpus) -> flows.addEntry(k, ko, v, vo, stride, 1);
      case NONE -> (k, ko, v, vo, stride, cpus) -> { };
    };
  }

  /**
   * One way of reading the whole map. Each run is one sample: {@code reads} consecutive whole-map reads, decode
   * included, reported per read, with the GC pause time that fell within them.
   */
  private record ReadVariant(String name, MapReader reader, Decode decode, int entries, int reads)
      implements Alternation.Variant {
    @Override
    public Map<String, Double> run() throws Exception {
      long gcBefore = gcPauseMillis();
      long t0 = System.nanoTime();
      for (int i = 0; i < reads; i++) {
        FlowCounts.Builder read = new FlowCounts.Builder(entries);
        int n = reader.read(visitor(decode, read));
        FlowCounts flows = read.build();
        if (n != entries || (decode != Decode.NONE && flows.size() != entries)) {
          throw new IllegalStateException(name + ": read " + n + " entries, decoded " + flows.size()
              + "; the map holds " + entries);
        }
      }
      return sample((System.nanoTime() - t0) / 1e6 / reads, entries, (gcPauseMillis() - gcBefore) / (double) reads);
    }
  }

  /** One sample's values: ms per read, µs per 1k entries read, and the GC pause time that fell within it. */
  private static Map<String, Double> sample(double msPerRead, int entriesPerRead, double gcPerRead) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("ms", msPerRead);
    m.put("us_per_1k", msPerRead * 1e3 / (entriesPerRead / 1000.0));
    m.put("gc_ms", gcPerRead);
    m.put("ms_without_gc", msPerRead - gcPerRead);
    return m;
  }

  private static String journalName(int changed) {
    return "journal, " + count(changed) + " changed";
  }

  /** The journal the variants share, and the generation it is at (each advance moves it on). */
  private static final class JournalState {
    final FlowJournal journal;
    final FlowMapFixture fx;
    long generation;

    JournalState(FlowJournal journal, FlowMapFixture fx) {
      this.journal = journal;
      this.fx = fx;
    }
  }

  /**
   * The agent's read between full reads: {@code journal_advance} (one BPF_PROG_TEST_RUN that looks up each
   * journaled flow's per-CPU values) and one batched read of its records, decoded into FlowCounts. Before each
   * timed advance (untimed, one syscall) the half it reads is made to hold flows 0..changed-1 of CPU 0.
   */
  private record JournalVariant(String name, JournalState state, int changed, int reads)
      implements Alternation.Variant {
    @Override
    public Map<String, Double> run() throws Exception {
      long gcBefore = gcPauseMillis();
      long timed = 0;
      for (int i = 0; i < reads; i++) {
        state.fx.pretendChanged((int) (state.generation & 1), changed);
        FlowCounts.Builder read = new FlowCounts.Builder(changed);
        long t0 = System.nanoTime();
        FlowJournal.Advance a = state.journal.advance(false, read);
        FlowCounts flows = read.build();
        timed += System.nanoTime() - t0;
        state.generation = a.generation();
        if (a.records() != changed || a.overflow() || flows.size() != changed) {
          throw new IllegalStateException(name + ": " + a + ", decoded " + flows.size() + "; expected " + changed);
        }
      }
      return sample(timed / 1e6 / reads, changed, (gcPauseMillis() - gcBefore) / (double) reads);
    }
  }

  /** Milliseconds the JVM's collectors have spent so far (G1's young and full collections; no concurrent work). */
  private static long gcPauseMillis() {
    long sum = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (!gc.getName().contains("Concurrent")) {
        sum += Math.max(0, gc.getCollectionTime());
      }
    }
    return sum;
  }

  private static String method(int cpus, int rounds, boolean kernelCopiesAll, int oneCpuLookup) {
    String sizes = String.join(", ", Arrays.stream(SIZES).mapToObj(MapReadSection::count).toList());
    return "The agent's flow map `flow_stats` from the built netdev.bpf.o (BPF_MAP_TYPE_LRU_PERCPU_HASH, "
        + FlowKey.SIZE + "-byte key, " + FlowStats.SIZE + "-byte value per CPU) is created with max_entries " + sizes
        + " in turn, without loading or attaching any program, and filled from user space (one bpf_map_update_elem "
        + "per flow) with that many distinct IPv4 flows, non-zero packets and bytes on each of the " + cpus
        + " possible CPUs (the LRU may evict a few before it is full when the filling thread moves between CPUs; "
        + "the tables then say how many are present, and µs per 1k counts those). "
        + "Each read takes the whole map with the agent's MapReader, either BPF_MAP_LOOKUP_BATCH in "
        + "batches of " + count(MapReader.DEFAULT_BATCH) + " or key iteration (bpf_map_get_next_key + "
        + "bpf_map_lookup_elem per key), timed including the decode as "
        + "Probe.snapshot does it (raw keys and the CPUs' sums into the primitive arrays of FlowCounts); the \"no decode\" variants time the same syscalls and copies with an empty visitor. "
        + (kernelCopiesAll
            ? "Kernel " + System.getProperty("os.version") + " refuses a lookup of one CPU's value (BPF_F_CPU: "
                + Errno.describe(oneCpuLookup) + "), so every read copies all " + cpus + " CPUs' values; \"CPU 0 only\" "
                + "reads exactly the same and decodes only CPU 0's slot, which is the whole difference user space can make. "
            : "This kernel accepts BPF_F_CPU lookups, but MapReader does not use them, so \"CPU 0 only\" still copies "
                + "every CPU's value and decodes only CPU 0's slot. ")
        + "At each size the five variants alternate for " + rounds + " rounds, rotating which goes first, after one "
        + "untimed warm-up sample each; a sample is the mean of consecutive reads covering " + count(SAMPLE_ENTRIES)
        + " entries (at least two reads), so that the young collections the decode triggers are spread as in a "
        + "polling agent (the JVM's defaults, as the agent runs), and their pause time is shown apart.";
  }

  /** "65,536", or "65,536 (65,408 present)" when the LRU evicted some of the flows written. */
  private static String label(int maxEntries, int present) {
    return present == maxEntries ? count(maxEntries) : count(maxEntries) + " (" + count(present) + " present)";
  }

  /** 65,536. */
  private static String count(int n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
