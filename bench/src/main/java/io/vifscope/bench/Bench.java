package io.vifscope.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code make bench} / {@code make bench-quick}: runs the sections in the lab, writes BENCHMARKS.md and
 * bench/results/RESULTS.json.
 *
 * <p>Usage: {@code java -jar bench/target/vifscope-bench.jar [--quick] [--only id,id] [--repo DIR]}
 */
public final class Bench {
  private Bench() {}

  /** Every section, in report order. */
  static List<Section> sections() {
    return List.of(new PacketPathSection(), new KernelCostSection(), new MapReadSection(), new ServiceSection(),
        new AccuracySection(), new BccSection(), new JavaHotPathSection(), new MetricsSection(),
        new LoaderSection());
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Set<String> only = new TreeSet<>();
    Path repo = Path.of("").toAbsolutePath();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--only" -> only.addAll(List.of(args[++i].split(",")));
        case "--repo" -> repo = Path.of(args[++i]).toAbsolutePath();
        default -> {
          System.err.println("usage: vifscope-bench [--quick] [--only id,id,...] [--repo DIR]");
          System.exit(2);
        }
      }
    }
    if (!Files.isRegularFile(repo.resolve("lab/dom0"))) {
      System.err.println("bench: run from the source tree (lab/dom0 not found under " + repo + ")");
      System.exit(2);
    }
    Path scratch = Files.createTempDirectory("vifscope-bench");
    BenchContext ctx = new BenchContext(quick, repo, scratch, System.err, quick ? 5 : 7);
    Map<String, Object> machine = Machine.describe();
    List<SectionResult> results = new ArrayList<>();
    int failed = 0;
    for (Section s : sections()) {
      if (!only.isEmpty() && !only.contains(s.id())) {
        continue;
      }
      ctx.say("== %s ==", s.id());
      try {
        results.add(s.run(ctx));
      } catch (Exception | AssertionError e) {
        failed++;
        ctx.say("section %s failed: %s", s.id(), e);
        e.printStackTrace(ctx.log());
        SectionResult r = new SectionResult(s.id(), s.id() + " (failed)", "This section failed in this run: " + e);
        r.goal(Goal.of(s.id() + " ran", "completes", "failed", false, String.valueOf(e)));
        results.add(r);
      }
    }
    String stamp = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    // A run of some sections only never replaces BENCHMARKS.md, which holds a full run: its report and results
    // are named after the sections it ran.
    String part = only.isEmpty() ? "" : "-only-" + String.join("-", only);
    String rel = "bench/results/" + (quick ? "quick-" : "") + stamp + part + ".json";
    Report.writeJson(repo.resolve(rel), machine, results);
    Path md = repo.resolve(quick ? "bench/results/BENCHMARKS-quick" + part + ".md"
        : only.isEmpty() ? "BENCHMARKS.md" : "bench/results/BENCHMARKS" + part + ".md");
    Files.writeString(md, Report.markdown(machine, results, quick ? rel.replace("bench/results/", "") : rel, quick),
        StandardCharsets.UTF_8);
    ctx.say("wrote %s and %s", md, rel);
    if (failed == 0) {
      deleteTree(scratch);
    } else {
      ctx.say("kept %s (agent and tool logs) for the failed section%s", scratch, failed == 1 ? "" : "s");
    }
    System.exit(failed == 0 ? 0 : 1);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
