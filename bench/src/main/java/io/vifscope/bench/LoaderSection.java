package io.vifscope.bench;

import io.vifscope.probe.Probe;
import io.vifscope.probe.ProbeOptions;
import io.vifscope.probe.ProgramInfo;
import io.vifscope.probe.testing.BccHeaders;
import io.vifscope.probe.testing.Lab;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 9. The two loaders side by side: how long each takes from start to every lab interface attached (BCC compiles
 * the sources first), and what the programs each loads cost per packet, on the same flood.
 */
final class LoaderSection implements Section {
  private static final List<ProbeOptions.Loader> LOADERS = List.of(ProbeOptions.Loader.LIBBPF,
      ProbeOptions.Loader.BCC);

  @Override
  public String id() {
    return "loaders";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int seconds = ctx.quick() ? 2 : 4;
    SectionResult r = new SectionResult(id(), "The two loaders: libbpf (built objects) and BCC", String.format(
        Locale.ROOT, """
        The probe started %d times with each loader, alternating (`Probe.start` with `--loader libbpf`, then \
        `bcc`, in the lab): start time is from the call to every lab interface attached (for BCC it includes \
        compiling both sources against Debian's 6.1 headers, linked for the run). Each start is followed by the \
        incident flood for %d s with BPF statistics on: ns per run of the tc programs, and the run time of all \
        of vifscope's programs (tc, softirq, NAPI) per frame the vif delivered. The same sources; BCC's clang \
        (LLVM 14, with BCC's rewriter) against the build's clang, and BCC's classic `napi:napi_poll` \
        tracepoint against the raw one.""", ctx.pairs(), seconds));
    Map<String, List<Double>> startMs = new LinkedHashMap<>();
    Map<String, Map<String, List<Double>>> nsPerRun = new LinkedHashMap<>();
    Map<String, List<Double>> nsPerFrame = new LinkedHashMap<>();
    try (BccHeaders headers = BccHeaders.ensure(); Lab lab = Lab.up()) {
      r.data("headers", headers.describe());
      for (int round = 0; round < ctx.pairs(); round++) {
        for (int i = 0; i < LOADERS.size(); i++) {
          ProbeOptions.Loader loader = LOADERS.get((i + round) % LOADERS.size());
          String name = loader.name().toLowerCase(Locale.ROOT);
          long t0 = System.nanoTime();
          try (Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withLoader(loader).withBpfStats(true))) {
            long deadline = t0 + 10_000_000_000L;
            while (probe.attachedInterfaces().size() < Lab.INCLUDE.size() && System.nanoTime() < deadline) {
              Thread.sleep(5);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            if (probe.attachedInterfaces().size() < Lab.INCLUDE.size()) {
              throw new IllegalStateException(name + ": only " + probe.attachedInterfaces() + " attached");
            }
            startMs.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(ms);
            Map<String, ProgramInfo> before = probe.programInfo();
            long vif0 = Lab.stat(Lab.INCIDENT_VIF, "tx_packets");
            lab.flood("incident", "--seconds", Integer.toString(seconds));
            long frames = Lab.stat(Lab.INCIDENT_VIF, "tx_packets") - vif0;
            Map<String, ProgramInfo> after = probe.programInfo();
            long allNs = 0;
            for (Map.Entry<String, ProgramInfo> e : after.entrySet()) {
              ProgramInfo b = before.get(e.getKey());
              long ns = e.getValue().runTimeNs() - b.runTimeNs();
              long runs = e.getValue().runCount() - b.runCount();
              allNs += ns;
              if (e.getKey().startsWith("tc_") && runs > 0) {
                nsPerRun.computeIfAbsent(name, k -> new LinkedHashMap<>())
                    .computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>()).add((double) ns / runs);
              }
            }
            nsPerFrame.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add((double) allNs / frames);
            ctx.say("round %d/%d %-6s start %.0f ms, %d frames, %.0f ns of programs per frame", round + 1,
                ctx.pairs(), name, ms, frames, (double) allNs / frames);
          }
        }
      }
    }
    r.data("start_ms", startMs);
    r.data("tc_ns_per_run", nsPerRun);
    r.data("program_ns_per_frame", nsPerFrame);
    Table t = r.table(new Table("Start and per-packet cost of each loader", "loader",
        "start to attached (ms, min / **median** / max)", "`tc_ingress` ns/run", "`tc_egress` ns/run",
        "all programs, ns per delivered frame"));
    for (String name : startMs.keySet()) {
      t.row(name, Report.mmm(Stats.of(startMs.get(name))),
          Report.mmm(Stats.of(nsPerRun.get(name).get("tc_ingress"))),
          Report.mmm(Stats.of(nsPerRun.get(name).get("tc_egress"))), Report.mmm(Stats.of(nsPerFrame.get(name))));
    }
    t.note("""
        A frame of the incident passes tc ingress on the physical end and tc egress on the vif (and the bridge's \
        hooks); the softirq and NAPI programs run once per softirq and poll, so their share per frame falls \
        with batching. BCC's start is dominated by the compile, which the agent does before it serves.""");
    return r;
  }
}
