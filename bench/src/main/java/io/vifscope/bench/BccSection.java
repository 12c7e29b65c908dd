package io.vifscope.bench;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.BccHeaders;
import io.vifscope.probe.testing.Lab;
import io.vifscope.proto.v1.CpuSoftirq;
import io.vifscope.proto.v1.GetSoftirqStatsRequest;
import io.vifscope.proto.v1.GetSoftirqStatsResponse;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.SoftirqVector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 6. Against the bcc tools doing the same job on the same load: {@code softirqs} for softirq time and
 * {@code netqtop} for per-interface rates. Agreement of the numbers, and each tool's overhead.
 */
final class BccSection implements Section {
  static final String SOFTIRQS = "/usr/sbin/softirqs-bpfcc";
  static final String NETQTOP = "/usr/sbin/netqtop-bpfcc";
  /** The bcc tools import the bcc module of the system Python. */
  static final String PYTHON = "/usr/bin/python3";
  private static final int INTERVAL = 5;
  private static final Pattern NET_RX = Pattern.compile("(?m)^net_rx\\s+(\\d+)\\s*$");

  @Override
  public String id() {
    return "bcc";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int seconds = ctx.quick() ? 2 : 4;
    int agreeRounds = ctx.quick() ? 3 : 5;
    SectionResult r = new SectionResult(id(), "Against the bcc tools", String.format(Locale.ROOT, """
        Debian's bcc tools (`softirqs-bpfcc`, `netqtop-bpfcc`), run as shipped with the system Python. BCC compiles \
        them at start against kernel headers; this kernel (6.18) has none packaged, so `/lib/modules/$(uname -r)/\
        build` points at Debian's 6.1 headers (MACHINE_NOTES.md; the section creates the links when missing and \
        removes what it created). Agreement, %d rounds under the incident flood at 150k packets/s: `softirqs %d 1` \
        (NET_RX time over %d s) against vifscope's `GetSoftirqStats` over the same %d s, summed over CPUs; and \
        `netqtop -n 000a17-I -i %d -t` against vifscope's `ListInterfaces` for the vif. Overhead: the packet-path \
        comparison of section 1 (CPU per packet under a saturating flood, %d rounds of %d s, rotating) with each \
        tool running instead of vifscope.""", agreeRounds, INTERVAL, INTERVAL, INTERVAL, INTERVAL, ctx.pairs(),
        seconds));
    try (BccHeaders headers = BccHeaders.ensure(); Lab lab = Lab.up()) {
      if (headers.linked()) {
        ctx.say("linked %s for BCC (removed after the section)", headers.describe());
      }
      r.data("headers", headers.describe());
      List<Double> bccUs = new ArrayList<>();
      List<Double> oursUs = new ArrayList<>();
      List<Double> netqPps = new ArrayList<>();
      List<Double> oursPps = new ArrayList<>();
      try (AgentProcess agent = AgentProcess.start(ctx, "bcc")) {
        for (int round = 0; round < agreeRounds; round++) {
          // Long enough for both tools: each compiles for a few seconds, then measures INTERVAL s.
          CompletableFuture<JsonObject> flood = CompletableFuture.supplyAsync(() -> flood(lab, 4 * INTERVAL + 14));
          Thread.sleep(1_000);
          String out = runTool(ctx, 60, SOFTIRQS, Integer.toString(INTERVAL), "1");
          GetSoftirqStatsResponse si = agent.stub().getSoftirqStats(GetSoftirqStatsRequest.newBuilder()
              .setWindow(Protos.seconds(INTERVAL)).build());
          Matcher m = NET_RX.matcher(out);
          if (!m.find()) {
            throw new IOException("softirqs printed no net_rx line: " + out.strip());
          }
          bccUs.add(Double.parseDouble(m.group(1)));
          oursUs.add(netRxMicros(si));

          String nq = runTool(ctx, 60, "timeout", "--signal=INT", Integer.toString(INTERVAL + 12), PYTHON, NETQTOP,
              "-n", Lab.INCIDENT_VIF, "-i", Integer.toString(INTERVAL), "-t");
          ListInterfacesResponse ifs = agent.stub().listInterfaces(ListInterfacesRequest.newBuilder()
              .setWindow(Protos.seconds(INTERVAL)).build());
          netqPps.add(netqtopTxPps(nq));
          oursPps.add(ifs.getInterfacesList().stream().filter(i -> i.getInterface().getName().equals(Lab.INCIDENT_VIF))
              .mapToDouble(i -> i.getTxPacketsPerSecond()).findFirst().orElse(Double.NaN));
          ctx.say("round %d/%d: NET_RX µs softirqs %.0f vifscope %.0f; vif tx pkt/s netqtop %.0f vifscope %.0f",
              round + 1, agreeRounds, bccUs.get(round), oursUs.get(round), netqPps.get(round), oursPps.get(round));
          flood.get(120, TimeUnit.SECONDS);
        }
      }
      r.data("softirqs_net_rx_us", bccUs);
      r.data("vifscope_net_rx_us", oursUs);
      r.data("netqtop_tx_pps", netqPps);
      r.data("vifscope_tx_pps", oursPps);
      Table agree = r.table(new Table("Agreement on the same load", "measure", "bcc tool (min / **median** / max)",
          "vifscope (min / **median** / max)", "vifscope / tool (median)"));
      agree.row(String.format(Locale.ROOT, "NET_RX time over %d s, all CPUs (µs)", INTERVAL), Report.mmm(Stats.of(bccUs)),
          Report.mmm(Stats.of(oursUs)), ratio(Stats.of(oursUs).median(), Stats.of(bccUs).median()));
      agree.row("vif `000a17-I` transmitted packets/s", Report.mmm(Stats.of(netqPps)), Report.mmm(Stats.of(oursPps)),
          ratio(Stats.of(oursPps).median(), Stats.of(netqPps).median()));
      agree.note("""
          `softirqs` and vifscope time the same events (`irq:softirq_entry`/`exit`), so their NET_RX totals should \
          agree up to the two windows' alignment (vifscope's ends at its last 1 s poll). `netqtop` reads \
          `skb->dev->name` and the queue through `struct sk_buff` and `struct net_device` as laid out by the headers \
          BCC compiled it against. It reported no packet for the vif here, most likely because the 6.1 headers' \
          layout is not this 6.18 kernel's: the portability problem of tools that read kernel structs, which \
          vifscope's programs avoid (they read only tracepoint formats and `__sk_buff`). Its overhead below is \
          still what its per-packet probes cost.""");

      List<Alternation.Variant> variants = List.of(
          PacketCost.variant("nothing attached", lab, seconds, null),
          PacketCost.variant("vifscope agent", lab, seconds, () -> {
            AgentProcess a = AgentProcess.start(ctx, "bcc-overhead");
            return a::close;
          }),
          PacketCost.variant("softirqs-bpfcc", lab, seconds, () -> PacketCost.process(ctx, "Tracing soft irq", null,
              PYTHON, SOFTIRQS, "1")),
          PacketCost.variant("netqtop-bpfcc", lab, seconds, () -> PacketCost.process(ctx, "TX", null, PYTHON, NETQTOP,
              "-n", Lab.INCIDENT_VIF, "-i", "1", "-t")));
      Map<String, Map<String, List<Double>>> samples = Alternation.run(variants, ctx.pairs(), ctx);
      r.data("overhead_samples", PacketCost.raw(samples));
      r.table(PacketCost.table("Overhead on the packet path (as section 1)", samples, "nothing attached"));
    }
    return r;
  }

  private static String ratio(double ours, double theirs) {
    return theirs == 0 ? "n/a (the tool saw 0)" : String.format(Locale.ROOT, "%.3f", ours / theirs);
  }

  private static JsonObject flood(Lab lab, int seconds) {
    try {
      return lab.flood("incident", "--rate", "150000", "--seconds", Integer.toString(seconds));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** NET_RX time of INTERVAL s at the answer's rate, summed over CPUs, in µs. */
  static double netRxMicros(GetSoftirqStatsResponse si) {
    double share = 0;
    for (CpuSoftirq c : si.getCpusList()) {
      for (SoftirqVector v : c.getVectorsList()) {
        if (v.getName().equals("NET_RX")) {
          share += v.getCpuShare();
        }
      }
    }
    return share * INTERVAL * 1e6;
  }

  /** The TX section's Total PPS of netqtop -t (its last report). */
  static double netqtopTxPps(String out) {
    double last = Double.NaN;
    boolean tx = false;
    for (String line : out.split("\n")) {
      String l = line.strip();
      if (l.equals("TX")) {
        tx = true;
      } else if (l.equals("RX")) {
        tx = false;
      } else if (tx && l.startsWith("Total")) {
        String[] f = l.split("\\s+");
        last = parseSuffixed(f[f.length - 1]);
      }
    }
    return last;
  }

  /** netqtop's numbers: 12.3K, 4.5M, 0.0. */
  static double parseSuffixed(String s) {
    double mult = 1;
    char c = s.charAt(s.length() - 1);
    if (c == 'K' || c == 'M' || c == 'G') {
      mult = c == 'K' ? 1e3 : c == 'M' ? 1e6 : 1e9;
      s = s.substring(0, s.length() - 1);
    }
    return Double.parseDouble(s) * mult;
  }

  /** Runs a tool to completion and returns what it printed; fails with its output on a non-zero exit. */
  private static String runTool(BenchContext ctx, int timeoutSeconds, String... argv) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (argv[0].startsWith("/usr/sbin/")) {
      cmd.add(PYTHON);
    }
    cmd.addAll(List.of(argv));
    Path out = ctx.scratch().resolve("tool-" + System.nanoTime() + ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    Files.deleteIfExists(out);
    // timeout --signal=INT exits 124 when it had to stop the tool: that is how netqtop ends.
    if (p.exitValue() != 0 && p.exitValue() != 124) {
      throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + text.strip());
    }
    return text;
  }
}
