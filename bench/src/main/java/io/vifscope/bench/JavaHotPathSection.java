package io.vifscope.bench;

import io.vifscope.bench.jmh.DecodeBench;
import io.vifscope.bench.jmh.DeltaBench;
import io.vifscope.bench.jmh.RankBench;
import io.vifscope.bench.jmh.SyntheticTraffic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Section 7: what the agent's Java code costs per poll and per query, measured with JMH in a forked JVM (the
 * current classpath, so the shaded bench jar): decoding the flow map's raw bytes ({@link DecodeBench}), turning
 * snapshots into deltas and windows ({@link DeltaBench}), and ranking top talkers ({@link RankBench}). Needs no
 * lab and no privileges.
 */
final class JavaHotPathSection implements Section {
  /** The benchmark classes this section runs, in report order. */
  static final List<Class<?>> BENCHMARKS = List.of(DecodeBench.class, DeltaBench.class, RankBench.class);
  static final String HEAP = "-Xmx2g";
  /** The agent's default poll interval: the budget every per-poll step shares. */
  static final double POLL_INTERVAL_NANOS = 1e9;

  /** What each benchmark method does, for the table. */
  private static final Map<String, String> DOES = Map.of(
      "DecodeBench.decodeIntoFlowCounts", "flow map bytes → FlowCounts arrays (as Probe.snapshot)",
      "DecodeBench.decodeIntoMap", "flow map bytes → HashMap<FlowKey, FlowStats> (the decode before FlowCounts)",
      "DecodeBench.decodeOnly", "flow map bytes → FlowKey + FlowStats objects, no map",
      "DeltaBench.add", "History.add of one poll (1 in 10 flows changed)",
      "DeltaBench.window10s", "History.window(10 s): 10 fine slots",
      "DeltaBench.window300s", "History.window(300 s): 30 coarse slots",
      "RankBench.bySource", "TopTalkers.rank by source, limit 20, 10 s window",
      "RankBench.byFlow", "TopTalkers.rank by flow, limit 20, 10 s window");

  /**
   * One benchmark × parameters result, taken out of JMH's RunResult.
   *
   * @param benchmark class simple name and method, e.g. {@code DeltaBench.add}
   * @param params JMH parameters by name, e.g. flows=65536
   * @param score average time per operation, in {@code unit}
   * @param error half-width of JMH's 99.9% confidence interval (NaN with fewer than two iterations)
   * @param unit e.g. us/op
   * @param iterations the score of each measurement iteration, in {@code unit}
   * @param allocBytes bytes allocated per operation (JMH's GC profiler, gc.alloc.rate.norm), NaN if not measured
   * @param gcMillis time spent in GC during the measurement iterations (gc.time), NaN if not measured
   */
  record Score(String benchmark, Map<String, String> params, double score, double error, String unit,
      List<Double> iterations, double allocBytes, double gcMillis) {

    static Score of(RunResult r) {
      String full = r.getParams().getBenchmark();
      String[] parts = full.split("\\.");
      if (parts.length < 2) {
        throw new IllegalArgumentException("unexpected JMH benchmark name " + full);
      }
      Map<String, String> params = new TreeMap<>();
      for (String key : r.getParams().getParamsKeys()) {
        params.put(key, r.getParams().getParam(key));
      }
      List<Double> iterations = new ArrayList<>();
      for (BenchmarkResult b : r.getBenchmarkResults()) {
        for (IterationResult it : b.getIterationResults()) {
          iterations.add(it.getPrimaryResult().getScore());
        }
      }
      var primary = r.getPrimaryResult();
      return new Score(parts[parts.length - 2] + "." + parts[parts.length - 1], params, primary.getScore(),
          primary.getScoreError(), primary.getScoreUnit(), iterations, secondary(r, "gc.alloc.rate.norm"),
          secondary(r, "gc.time"));
    }

    private static double secondary(RunResult r, String label) {
      var result = r.getSecondaryResults().get(label);
      return result == null ? Double.NaN : result.getScore();
    }

    /** The flows the operation covers (parameter {@code flows}), or 0 when it has none. */
    int flows() {
      String f = params.get("flows");
      return f == null ? 0 : Integer.parseInt(f);
    }

    /** The median of the measurement iterations, in nanoseconds per operation (robust to one slow iteration). */
    double medianNanos() {
      return Stats.of(iterations).median() * nanosPerUnit(unit);
    }

    /** Nanoseconds per flow: the median spread over the flows it covered (NaN without a flows parameter). */
    double nanosPerFlow() {
      return flows() == 0 ? Double.NaN : medianNanos() / flows();
    }

    /** "flows=65536" (every parameter, by name). */
    String paramsText() {
      List<String> parts = new ArrayList<>();
      params.forEach((k, v) -> parts.add(k + "=" + v));
      return String.join(", ", parts);
    }
  }

  /** Nanoseconds in one unit of an AverageTime score such as "us/op". */
  static double nanosPerUnit(String unit) {
    String time = unit.endsWith("/op") ? unit.substring(0, unit.length() - 3) : unit;
    return switch (time) {
      case "ns" -> 1;
      case "us", "µs" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      default -> throw new IllegalArgumentException("not an average-time unit: " + unit);
    };
  }

  /** Report order: benchmark class as in {@link #BENCHMARKS}, then method, then flows ascending. */
  static final Comparator<Score> ORDER = Comparator
      .comparingInt((Score s) -> classRank(s.benchmark()))
      .thenComparing(Score::benchmark)
      .thenComparingInt(Score::flows);

  private static int classRank(String benchmark) {
    String cls = benchmark.substring(0, benchmark.indexOf('.'));
    for (int i = 0; i < BENCHMARKS.size(); i++) {
      if (BENCHMARKS.get(i).getSimpleName().equals(cls)) {
        return i;
      }
    }
    return BENCHMARKS.size();
  }

  @Override
  public String id() {
    return "java";
  }

  static Options options(boolean quick) {
    ChainedOptionsBuilder b = new OptionsBuilder();
    for (Class<?> c : BENCHMARKS) {
      b.include("^" + Pattern.quote(c.getName() + "."));
    }
    return b.forks(1)
        .mode(Mode.AverageTime)
        .timeUnit(TimeUnit.MICROSECONDS)
        .warmupIterations(quick ? 2 : 3)
        .warmupTime(TimeValue.seconds(quick ? 1 : 2))
        .measurementIterations(quick ? 3 : 5)
        .measurementTime(TimeValue.seconds(quick ? 1 : 2))
        .jvmArgs(HEAP)
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .build();
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    Options opts = options(ctx.quick());
    ctx.say("java: running JMH (%s) in a forked JVM with %s: %s", ctx.quick() ? "quick" : "full", HEAP,
        settingsText(opts));
    Collection<RunResult> results =
        new Runner(opts, OutputFormatFactory.createFormatInstance(ctx.log(), VerboseMode.NORMAL)).run();
    if (results.isEmpty()) {
      throw new IllegalStateException("JMH ran no benchmark: is META-INF/BenchmarkList in the jar?");
    }
    List<Score> scores = new ArrayList<>();
    for (RunResult r : results) {
      scores.add(Score.of(r));
    }
    scores.sort(ORDER);
    return result(scores, opts);
  }

  private static String settingsText(Options o) {
    return String.format(Locale.ROOT, "1 fork, warmup %d × %s, measurement %d × %s, average time",
        o.getWarmupIterations().get(), o.getWarmupTime().get(), o.getMeasurementIterations().get(),
        o.getMeasurementTime().get());
  }

  /** The section's table, data and method text from the scores. */
  static SectionResult result(List<Score> scores, Options opts) {
    List<String> sizes = scores.stream().map(Score::flows).filter(f -> f > 0).distinct().sorted()
        .map(f -> String.format(Locale.ROOT, "%,d", f)).toList();
    String method = "JMH in one forked JVM (" + HEAP + ", " + settingsText(opts) + ", GC profiler) over "
        + "deterministic synthetic traffic of " + String.join(" and ", sizes) + " flows (" + SyntheticTraffic.FLOWS_PER_SOURCE + " flows per source, "
        + "a quarter IPv6, heavy-tailed rates, " + SyntheticTraffic.CPUS + " CPUs of per-CPU values). "
        + "Decoding: the flow map's raw keys and per-CPU values, laid out as BPF_MAP_LOOKUP_BATCH returns them, "
        + "into Java objects by Probe.snapshot()'s own visitor, with and without its HashMap (no syscall). "
        + "Deltas: History.add of one poll in which one flow in ten changed, into a full history (5 min at 1 s "
        + "polls), and History.window over 10 s and 300 s of it. "
        + "Ranking: TopTalkers.rank over a 10 s window in which every flow has traffic, by source and by flow, "
        + "limit 20.";
    SectionResult r = new SectionResult("java", "Java hot paths (decoding, deltas, ranking) with JMH", method);

    Table t = r.table(new Table("", "benchmark", "does", "parameters", "score ± error", "iterations min / median / "
        + "max", "unit", "per flow", "allocated per op", "GC share of time"));
    double measuredMillis = opts.getMeasurementTime().get().convertTo(TimeUnit.MILLISECONDS);
    List<Map<String, Object>> raw = new ArrayList<>();
    for (Score s : scores) {
      double gcShare = s.gcMillis() / (measuredMillis * s.iterations().size());
      t.row("`" + s.benchmark() + "`", DOES.getOrDefault(s.benchmark(), ""), s.paramsText(),
          Report.num(s.score()) + " ± " + Report.num(s.error()), Report.mmm(Stats.of(s.iterations())), s.unit(),
          nanosText(s.nanosPerFlow()),
          bytesText(s.allocBytes()), percentText(gcShare));
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("benchmark", s.benchmark());
      one.put("params", s.params());
      one.put("score", s.score());
      one.put("error", s.error());
      one.put("unit", s.unit());
      one.put("iterations", s.iterations());
      one.put("nsPerFlow", s.nanosPerFlow());
      one.put("allocBytesPerOp", s.allocBytes());
      one.put("gcMillis", s.gcMillis());
      raw.add(one);
    }
    t.note("Score: JMH's average time per operation (one operation covers the whole map, poll, window or "
        + "ranking), ± the half-width of its 99.9% confidence interval over the measurement iterations of the one "
        + "fork; with few iterations that interval is wide, and one slow iteration (a GC storm, a neighbour's job) pulls "
        + "the mean. Per flow = median iteration / flows. Allocated per op and GC "
        + "share (GC time over the measurement iterations' time) come from JMH's GC profiler. A HashMap of "
        + "65,536 entries has a table over 512 KB, which G1 allocates as a humongous object at " + HEAP
        + " (1 MB regions); what it points to then survives young collections until a concurrent cycle, so "
        + "operations that build such a map, run back to back, spend much of their time in GC. The agent builds "
        + "one per poll or query, not hundreds a second: how much of that GC cost it pays is not measured here. "
        + pollBudget(scores));
    r.data("jmh", raw);
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("forks", 1);
    settings.put("warmupIterations", opts.getWarmupIterations().get());
    settings.put("warmupTime", opts.getWarmupTime().get().toString());
    settings.put("measurementIterations", opts.getMeasurementIterations().get());
    settings.put("measurementTime", opts.getMeasurementTime().get().toString());
    settings.put("mode", "AverageTime");
    settings.put("jvmArgs", List.of(HEAP));
    settings.put("profilers", List.of("gc"));
    r.data("settings", settings);
    return r;
  }

  /**
   * The per-poll work at 65,536 flows (decode into FlowCounts, then History.add) as a share of the 1 s poll
   * interval, when both were measured; otherwise "".
   */
  static String pollBudget(List<Score> scores) {
    Score decode = find(scores, "DecodeBench.decodeIntoFlowCounts", 65_536);
    Score add = find(scores, "DeltaBench.add", 65_536);
    if (decode == null || add == null) {
      return "";
    }
    double total = decode.medianNanos() + add.medianNanos();
    return String.format(Locale.ROOT, "At 65,536 flows, one poll's Java work measured here (decode into FlowCounts, "
        + "then History.add) takes %s ms + %s ms (medians) = %.1f%% of the 1 s poll interval (the map read's own "
        + "syscalls are measured in the map-read section).", Report.num(decode.medianNanos() / 1e6),
        Report.num(add.medianNanos() / 1e6), 100 * total / POLL_INTERVAL_NANOS);
  }

  private static Score find(List<Score> scores, String benchmark, int flows) {
    for (Score s : scores) {
      if (s.benchmark().equals(benchmark) && s.flows() == flows) {
        return s;
      }
    }
    return null;
  }

  private static String nanosText(double ns) {
    return Double.isNaN(ns) ? "–" : Report.num(ns) + " ns";
  }

  private static String percentText(double share) {
    return Double.isNaN(share) ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
  }

  /** 10.5 MB, 480 KB, 96 B. */
  static String bytesText(double bytes) {
    if (Double.isNaN(bytes)) {
      return "–";
    }
    if (bytes >= 1e6) {
      return Report.num(bytes / 1e6) + " MB";
    }
    return bytes >= 1e3 ? Report.num(bytes / 1e3) + " KB" : Report.num(bytes) + " B";
  }
}
