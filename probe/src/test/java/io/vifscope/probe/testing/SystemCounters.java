package io.vifscope.probe.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's own numbers, read independently of the probe: /sys/class/net statistics, /proc/softirqs,
 * /proc/stat. Tests compare the probe with these.
 */
public final class SystemCounters {
  private static final String[] STATS = {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped"};
  private final Map<String, Long> values = new HashMap<>();
  private long upstreamTxDropped;

  private SystemCounters() {}

  /** Statistics of the given root-namespace interfaces, plus the upstream sender's tx_dropped. */
  public static SystemCounters read(List<String> ifnames) throws IOException {
    SystemCounters c = new SystemCounters();
    for (String ifname : ifnames) {
      for (String s : STATS) {
        c.values.put(ifname + "/" + s, Lab.stat(ifname, s));
      }
    }
    String out = Sh.run("ip", "netns", "exec", "vsl-up", "cat", "/sys/class/net/eth0/statistics/tx_dropped");
    c.upstreamTxDropped = Long.parseLong(out.strip());
    return c;
  }

  public long get(String ifname, String stat) {
    Long v = values.get(ifname + "/" + stat);
    if (v == null) {
      throw new IllegalArgumentException("not read: " + ifname + "/" + stat);
    }
    return v;
  }

  /** Frames the upstream namespace's veth could not hand to the "physical" end (its ring was full). */
  public long upstreamTxDropped() {
    return upstreamTxDropped;
  }

  /** One row of /proc/softirqs (e.g. "NET_RX") per CPU. */
  public static Map<Integer, Long> procSoftirqs(String vector) throws IOException {
    Map<Integer, Long> out = new HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/softirqs"))) {
      String t = line.strip();
      if (t.startsWith(vector + ":")) {
        String[] f = t.substring(vector.length() + 1).strip().split("\\s+");
        for (int i = 0; i < f.length; i++) {
          out.put(i, Long.parseLong(f[i]));
        }
      }
    }
    return out;
  }

  /** Softirq time per CPU from /proc/stat ("cpuN" lines, 7th field, USER_HZ ticks) in ns. */
  public static Map<Integer, Long> procStatSoftirqNanos() throws IOException {
    long hz = 100; // USER_HZ is 100 on every Linux ABI that matters (sysconf(_SC_CLK_TCK))
    Map<Integer, Long> out = new HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
      if (line.startsWith("cpu") && Character.isDigit(line.charAt(3))) {
        String[] f = line.split("\\s+");
        out.put(Integer.parseInt(f[0].substring(3)), Long.parseLong(f[7]) * (1_000_000_000L / hz));
      }
    }
    return out;
  }

  /** True when the kernel clocks irq/softirq time (CONFIG_IRQ_TIME_ACCOUNTING), as far as /proc/config.gz says. */
  public static boolean kernelHasIrqTimeAccounting() {
    try (java.io.InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).contains("CONFIG_IRQ_TIME_ACCOUNTING=y");
    } catch (IOException e) {
      return false;
    }
  }
}
