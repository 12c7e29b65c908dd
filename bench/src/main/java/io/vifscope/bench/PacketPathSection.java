package io.vifscope.bench;

import io.vifscope.probe.testing.Lab;
import java.util.List;
import java.util.Map;

/**
 * 1. Overhead on the packet path: the same saturating flood into a guest vif with nothing attached, with the
 * vifscope agent running, with {@code tcpdump -w /dev/null} on the vif, and with {@code tcpdump -nn} printing to
 * a file on the vif, as the incident's operator did.
 */
final class PacketPathSection implements Section {
  static final String BARE = "nothing attached";
  static final String AGENT = "vifscope agent";
  static final String TCPDUMP_W = "tcpdump -w /dev/null";
  static final String TCPDUMP_NN = "tcpdump -nn > file";

  @Override
  public String id() {
    return "packet-path";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int seconds = ctx.quick() ? 2 : 4;
    SectionResult r = new SectionResult(id(), "Overhead on the packet path", String.format("""
        The lab's incident flood (UDP/514, 190–370-byte payloads, three sources, as fast as the generator goes) \
        runs for %d s from the upstream namespace through `vsleth0` and the bridge into guest vif `000a17-I`. \
        Cost per packet = busy time of all CPUs from `/proc/stat` (user, nice, system, irq, softirq, steal) over \
        the flood, divided by the packets the vif delivered to the guest (`/sys/class/net/000a17-I/statistics/\
        tx_packets`). The sender shares the CPUs with the receive path, so this is the whole machine's cost per \
        packet, the fair measure on a 2-CPU VM. Variants run in %d rounds, rotating which goes first: nothing \
        attached; `vifscope agent` (started before the flood with its defaults: 1 s polling, 65,536 flows, on the \
        lab's six interfaces); `tcpdump -i 000a17-I -w /dev/null`; `tcpdump -nn -i 000a17-I` writing its text to a \
        file. Each watcher is started and ready before the flood and stopped after it.""", seconds, ctx.pairs()));
    try (Lab lab = Lab.up()) {
      List<Alternation.Variant> variants = List.of(
          PacketCost.variant(BARE, lab, seconds, null),
          PacketCost.variant(AGENT, lab, seconds, () -> {
            AgentProcess a = AgentProcess.start(ctx, "packet-path");
            return a::close;
          }),
          PacketCost.variant(TCPDUMP_W, lab, seconds, () -> PacketCost.process(ctx, "listening on", null,
              "tcpdump", "-i", Lab.INCIDENT_VIF, "-w", "/dev/null")),
          PacketCost.variant(TCPDUMP_NN, lab, seconds, () -> PacketCost.process(ctx, "listening on",
              ctx.scratch().resolve("tcpdump-nn.txt"), "tcpdump", "-nn", "-i", Lab.INCIDENT_VIF)));
      Map<String, Map<String, List<Double>>> samples = Alternation.run(variants, ctx.pairs(), ctx);
      r.data("samples", PacketCost.raw(samples));
      r.table(PacketCost.table("", samples, BARE));

      double bare = PacketCost.median(samples, BARE, PacketCost.NS_PER_PACKET);
      double agent = PacketCost.median(samples, AGENT, PacketCost.NS_PER_PACKET) - bare;
      double dumpW = PacketCost.median(samples, TCPDUMP_W, PacketCost.NS_PER_PACKET) - bare;
      double dumpNn = PacketCost.median(samples, TCPDUMP_NN, PacketCost.NS_PER_PACKET) - bare;
      String why = "in this lab every hook fires once per packet (the generator's every send runs the receive "
          + "softirq with one packet queued, section 2): both tc programs, softirq entry and exit, and napi_poll "
          + "twice, whose classic tracepoint also builds its trace record; tcpdump pays one copy per packet. On a "
          + "loaded host NAPI polls carry up to 64 packets, and only the tc programs stay per packet";
      r.goal(Goal.of("vifscope's added CPU per packet", "≤ 3%", Report.plusPercent(agent / bare),
          agent / bare <= 0.03, why));
      r.goal(Goal.of("vifscope's added cost vs tcpdump -w", "≤ 1/3", ratioText(agent, dumpW),
          agent <= dumpW / 3, why));
      r.goal(Goal.of("vifscope's added cost vs tcpdump -nn", "≤ 1/20", ratioText(agent, dumpNn),
          agent <= dumpNn / 20, why));
      r.tables.get(0).note(String.format(java.util.Locale.ROOT, "Added CPU per packet over the bare run (medians): "
          + "vifscope %+.0f ns, tcpdump -w %+.0f ns, tcpdump -nn %+.0f ns. A negative number means the "
          + "difference is below the noise of this machine.", agent, dumpW, dumpNn));
    }
    return r;
  }

  static String ratioText(double ours, double theirs) {
    if (theirs <= 0) {
      return "n/a (theirs ≤ 0)";
    }
    return String.format(java.util.Locale.ROOT, "%.3f (%+.0f ns vs %+.0f ns)", ours / theirs, ours, theirs);
  }
}
