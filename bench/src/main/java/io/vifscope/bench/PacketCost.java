package io.vifscope.bench;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.Lab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packet-path measurement shared by the overhead comparisons: a saturating syslog flood through the uplink
 * and the bridge into guest vif 000a17-I, with something (or nothing) watching, and what it cost the machine.
 */
final class PacketCost {
  static final String NS_PER_PACKET = "cpu_ns_per_packet";
  static final String PPS = "pps";

  private PacketCost() {}

  /** Something that runs beside the flood: started before it, stopped after. */
  interface Watcher extends AutoCloseable {
    @Override
    void close() throws Exception;
  }

  /** How to start a watcher for one run (null: nothing watches). */
  interface WatcherFactory {
    Watcher start() throws Exception;
  }

  /** A variant of the comparison: its name and what watches during it. */
  static Alternation.Variant variant(String name, Lab lab, int seconds, WatcherFactory watcher) {
    return new Alternation.Variant() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Map<String, Double> run() throws Exception {
        try (Watcher w = watcher == null ? () -> { } : watcher.start()) {
          return flood(lab, seconds);
        }
      }
    };
  }

  /**
   * One saturating flood: CPU ns per packet delivered to the vif (busy time of all CPUs over packets the vif
   * sent to the guest, /sys/class/net) and the packets per second achieved.
   */
  static Map<String, Double> flood(Lab lab, int seconds) throws IOException {
    long vif0 = Lab.stat(Lab.INCIDENT_VIF, "tx_packets");
    double busy0 = CpuTime.busySeconds();
    JsonObject truth = lab.flood("incident", "--seconds", Integer.toString(seconds));
    double busy1 = CpuTime.busySeconds();
    long packets = Lab.stat(Lab.INCIDENT_VIF, "tx_packets") - vif0;
    if (packets <= 0) {
      throw new IOException("no packet reached " + Lab.INCIDENT_VIF + " during the flood");
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(NS_PER_PACKET, (busy1 - busy0) * 1e9 / packets);
    m.put(PPS, packets / truth.get("duration_s").getAsDouble());
    return m;
  }

  /** A process started for one run; ready when a line containing {@code readyText} appears in its output. */
  static Watcher process(BenchContext ctx, String readyText, Path stdout, String... argv) throws Exception {
    Path log = ctx.scratch().resolve("watcher-" + System.nanoTime() + ".log");
    ProcessBuilder pb = new ProcessBuilder(argv).redirectError(log.toFile());
    pb.redirectOutput(stdout != null ? stdout.toFile() : log.toFile());
    if (stdout == null) {
      pb.redirectErrorStream(true);
    }
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
      if (text.contains(readyText)) {
        break;
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", argv) + " did not get ready: " + text.strip());
      }
      Thread.sleep(100);
    }
    return () -> {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      Files.deleteIfExists(log);
      if (stdout != null) {
        Files.deleteIfExists(stdout);
      }
    };
  }

  /** Median CPU ns per packet of each variant, and its ratio to the bare one. */
  static Table table(String title, Map<String, Map<String, List<Double>>> samples, String bare) {
    Table t = new Table(title, "variant", "CPU ns/packet (min / **median** / max)", "ratio to bare",
        "added CPU per packet", "packets/s achieved (min / **median** / max)");
    double base = Stats.of(samples.get(bare).get(NS_PER_PACKET)).median();
    for (Map.Entry<String, Map<String, List<Double>>> e : samples.entrySet()) {
      Stats ns = Stats.of(e.getValue().get(NS_PER_PACKET));
      Stats pps = Stats.of(e.getValue().get(PPS));
      t.row(e.getKey(), Report.mmm(ns), Report.ratio(ns.median() / base),
          Report.plusPercent(ns.median() / base - 1), kilo(pps));
    }
    return t;
  }

  private static String kilo(Stats s) {
    return String.format(java.util.Locale.ROOT, "%.0fk / **%.0fk** / %.0fk", s.min() / 1e3, s.median() / 1e3,
        s.max() / 1e3);
  }

  /** The median of one measurement of one variant. */
  static double median(Map<String, Map<String, List<Double>>> samples, String variant, String measure) {
    return Stats.of(samples.get(variant).get(measure)).median();
  }

  /** Plain lists for the JSON results. */
  static Map<String, Object> raw(Map<String, Map<String, List<Double>>> samples) {
    return new LinkedHashMap<>(samples);
  }
}
