package io.vifscope.bench;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.Lab;
import io.vifscope.proto.v1.GroupBy;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.Talker;
import io.vifscope.proto.v1.TalkerFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 5. Accuracy under load: per-source counts against the generator's ground truth at the highest rate this
 * machine sustains, and the heavy sources of a spoofed flood of a million distinct sources.
 */
final class AccuracySection implements Section {
  private static final int HEAVY = 10;

  @Override
  public String id() {
    return "accuracy";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int floodSeconds = ctx.quick() ? 4 : 8;
    int sources = 1_000_000;
    long spoofCount = ctx.quick() ? 2_400_000 : 4_000_000;
    SectionResult r = new SectionResult(id(), "Accuracy under load", String.format(Locale.ROOT, """
        `vifscope agent` (as shipped, 1 s polling) watches the lab. (a) %d rounds: the incident flood at the \
        generator's full speed for %d s; 3 s after it ends, `ListTopTalkers` over a 20 s window (by source, vif \
        `000a17-I`, UDP/514) gives each source's packets, compared with the generator's own count per source, \
        and `ListInterfaces` gives the vif's packets, compared with `/sys/class/net` over the same flood. \
        (b) A spoofed flood of %,d packets: half from %,d distinct random IPv6 sources, half from %d fixed heavy \
        sources; then the top %d sources over a window that holds that flood (its duration plus 4 s) are compared with the generator's heavy sources and \
        their counts.""", ctx.pairs(), floodSeconds, spoofCount, sources, HEAVY, HEAVY));
    List<Double> worstSourceError = new ArrayList<>();
    List<Double> ifaceError = new ArrayList<>();
    List<Double> pps = new ArrayList<>();
    Table heavyTable;
    double heavyWorst;
    int heavyFound;
    long distinct;
    try (Lab lab = Lab.up(); AgentProcess agent = AgentProcess.start(ctx, "accuracy", "--history", "2m")) {
      for (int round = 0; round < ctx.pairs(); round++) {
        long vif0 = Lab.stat(Lab.INCIDENT_VIF, "tx_packets");
        JsonObject truth = lab.flood("incident", "--seconds", Integer.toString(floodSeconds));
        long vifPackets = Lab.stat(Lab.INCIDENT_VIF, "tx_packets") - vif0;
        Thread.sleep(3_000);
        List<Talker> talkers = agent.stub().listTopTalkers(ListTopTalkersRequest.newBuilder().setWindow(Protos.seconds(20))
            .setGroupBy(GroupBy.GROUP_BY_SOURCE).setFilter(TalkerFilter.newBuilder().addInterfaces(Lab.INCIDENT_VIF)
                .addPorts(514)).setLimit(10).build()).getTalkersList();
        JsonObject truthSources = truth.getAsJsonObject("sources");
        double worst = 0;
        for (String src : truthSources.keySet()) {
          long expected = truthSources.getAsJsonObject(src).get("packets").getAsLong();
          long seen = talkers.stream().filter(t -> t.getSourceAddress().equals(src)).mapToLong(Talker::getPackets)
              .findFirst().orElse(0);
          worst = Math.max(worst, Math.abs(seen - expected) / (double) expected);
        }
        // Rate × the window the answer covers (shorter than 20 s while the agent's history is).
        ListInterfacesResponse ifs = agent.stub().listInterfaces(ListInterfacesRequest.newBuilder()
            .setWindow(Protos.seconds(20)).build());
        double covered = ifs.getMeta().getWindow().getSeconds() + ifs.getMeta().getWindow().getNanos() / 1e9;
        long ifaceSeen = ifs.getInterfacesList().stream().filter(i -> i.getInterface().getName().equals(Lab.INCIDENT_VIF))
            .mapToLong(i -> Math.round(i.getTxPacketsPerSecond() * covered)).findFirst().orElse(0);
        worstSourceError.add(worst);
        ifaceError.add(Math.abs(ifaceSeen - vifPackets) / (double) vifPackets);
        pps.add(truth.get("rate_pps").getAsDouble());
        ctx.say("round %d/%d: %.0f pkt/s, worst source error %.3f%%, vif error %.3f%%", round + 1, ctx.pairs(),
            pps.get(round), 100 * worst, 100 * ifaceError.get(round));
        Thread.sleep(18_000); // the next round's 20 s window starts quiet
      }

      JsonObject spoof = lab.flood("spoof", "--sources", Integer.toString(sources), "--heavy", Integer.toString(HEAVY),
          "--count", Long.toString(spoofCount));
      Thread.sleep(3_000);
      // A window that holds the spoofed flood and none of (a)'s floods, which ended at least 18 s before it.
      long window = (long) Math.ceil(spoof.get("duration_s").getAsDouble()) + 4;
      List<Talker> top = agent.stub().listTopTalkers(ListTopTalkersRequest.newBuilder().setWindow(Protos.seconds(window))
          .setGroupBy(GroupBy.GROUP_BY_SOURCE).setFilter(TalkerFilter.newBuilder().addInterfaces(Lab.INCIDENT_VIF))
          .setLimit(HEAVY).build()).getTalkersList();
      JsonObject heavy = spoof.getAsJsonObject("sources");
      distinct = spoof.getAsJsonObject("random_sources").get("distinct").getAsLong();
      heavyTable = new Table(String.format(Locale.ROOT, "The %d heavy sources among %,d distinct spoofed ones", HEAVY,
          distinct), "heavy source", "generator packets", "vifscope packets", "error", "rank");
      heavyWorst = 0;
      heavyFound = 0;
      Map<String, Object> heavyData = new LinkedHashMap<>();
      for (String src : heavy.keySet()) {
        long expected = heavy.getAsJsonObject(src).get("packets").getAsLong();
        int rank = -1;
        long seen = 0;
        for (int i = 0; i < top.size(); i++) {
          if (top.get(i).getSourceAddress().equals(src)) {
            rank = i + 1;
            seen = top.get(i).getPackets();
          }
        }
        double err = Math.abs(seen - expected) / (double) expected;
        if (rank > 0) {
          heavyFound++;
        }
        heavyWorst = Math.max(heavyWorst, err);
        heavyTable.row("`" + src + "`", expected, seen, String.format(Locale.ROOT, "%.3f%%", 100 * err),
            rank > 0 ? rank : "not in the top " + HEAVY);
        heavyData.put(src, Map.of("expected", expected, "seen", seen, "rank", rank));
      }
      r.data("spoof_heavy", heavyData);
      r.data("spoof_distinct_sources", distinct);
    }
    r.data("incident_worst_source_error", worstSourceError);
    r.data("incident_vif_error", ifaceError);
    r.data("incident_pps", pps);
    Stats src = Stats.of(worstSourceError);
    Stats vif = Stats.of(ifaceError);
    Stats rate = Stats.of(pps);
    r.table(new Table(String.format(Locale.ROOT, "(a) The incident flood at full speed, %d rounds", ctx.pairs()),
        "measure", "min / **median** / max"))
        .row("generator packets/s", String.format(Locale.ROOT, "%.0fk / **%.0fk** / %.0fk", rate.min() / 1e3,
            rate.median() / 1e3, rate.max() / 1e3))
        .row("worst per-source error vs the generator", pct(src))
        .row("vif packets error vs /sys/class/net", pct(vif));
    r.table(heavyTable);
    r.goal(Goal.of("Per-source counts at full speed vs ground truth", "within 2%", String.format(Locale.ROOT,
        "worst %.3f%%", 100 * src.max()), src.max() <= 0.02, "see table (a)"));
    r.goal(Goal.of(String.format(Locale.ROOT, "Spoofed flood (%,d distinct sources): the %d heavy sources", distinct,
        HEAVY), "all reported, within 1%", String.format(Locale.ROOT, "%d of %d, worst %.3f%%", heavyFound, HEAVY,
        100 * heavyWorst), heavyFound == HEAVY && heavyWorst <= 0.01 && distinct >= 1_000_000,
        distinct < 1_000_000 ? "this run's flood had fewer than 1M distinct sources" : "see the table"));
    return r;
  }

  private static String pct(Stats s) {
    return String.format(Locale.ROOT, "%.3f%% / **%.3f%%** / %.3f%%", 100 * s.min(), 100 * s.median(), 100 * s.max());
  }
}
