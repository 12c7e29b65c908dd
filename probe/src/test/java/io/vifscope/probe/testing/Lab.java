package io.vifscope.probe.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated dom0 (lab/dom0) from Java tests: {@link #up()} builds it, {@link #close()} tears it down
 * (use try-with-resources, so it goes also when a test fails), {@link #flood} sends traffic and returns the
 * generator's ground truth.
 */
public final class Lab implements AutoCloseable {
  /** Names the lab gives its root-namespace interfaces (see lab/topology.conf). */
  public static final String PHYS = "vsleth0";
  public static final String BRIDGE = "vslbr0";
  public static final String INCIDENT_VIF = "000a17-I";
  public static final List<String> GUEST_VIFS = List.of("000a17-I", "vif12.0", "vif13.0", "vnet9");
  /** Include globs that select exactly the lab's interfaces (never the host's own). */
  public static final List<String> INCLUDE = List.of("vsleth0", "vslbr0", "000a17-I", "vif12.0", "vif13.0", "vnet9");

  private final Path dom0;
  private boolean closed;

  private Lab(Path dom0) {
    this.dom0 = dom0;
  }

  /** The repository's top folder (failsafe passes it; else found upward from the working directory). */
  public static Path repo() {
    String p = System.getProperty("vifscope.repo");
    if (p != null && Files.isRegularFile(Path.of(p, "lab", "dom0"))) {
      return Path.of(p);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("lab/dom0"))) {
        return d;
      }
    }
    throw new IllegalStateException("cannot find lab/dom0 above " + Path.of("").toAbsolutePath());
  }

  /** Brings the lab up (idempotent) and returns a handle whose close tears it down. */
  public static Lab up() throws IOException {
    Lab lab = new Lab(repo().resolve("lab/dom0"));
    try {
      lab.run(120, "up");
    } catch (IOException | RuntimeException e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  /** Runs {@code lab/dom0 flood KIND --json ARGS...} and returns the ground truth it printed. */
  public JsonObject flood(String kind, String... args) throws IOException {
    return floodOn(-1, kind, args);
  }

  /** Like {@link #flood}, with the sender pinned to {@code cpu} (taskset) when it is 0 or more. */
  public JsonObject floodOn(int cpu, String kind, String... args) throws IOException {
    List<String> argv = new ArrayList<>();
    if (cpu >= 0) {
      argv.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
    }
    argv.add(dom0.toString());
    argv.addAll(List.of("flood", kind, "--json"));
    argv.addAll(List.of(args));
    String out = run(300, argv);
    String json = out.strip();
    int brace = json.lastIndexOf("\n{");
    if (brace >= 0) {
      json = json.substring(brace + 1);
    }
    return JsonParser.parseString(json).getAsJsonObject();
  }

  /** Runs any lab/dom0 subcommand and returns its stdout; fails with its stderr on a non-zero exit. */
  public String run(int timeoutSeconds, String... args) throws IOException {
    List<String> argv = new ArrayList<>();
    argv.add(dom0.toString());
    argv.addAll(List.of(args));
    return run(timeoutSeconds, argv);
  }

  /** A counter from /sys/class/net/IF/statistics (rx_packets, tx_bytes, ...). */
  public static long stat(String ifname, String counter) throws IOException {
    return Long.parseLong(Files.readString(Path.of("/sys/class/net", ifname, "statistics", counter), StandardCharsets.UTF_8).strip());
  }

  /** The kernel ifindex of a root-namespace interface. */
  public static int ifindex(String ifname) throws IOException {
    return Integer.parseInt(Files.readString(Path.of("/sys/class/net", ifname, "ifindex")).strip());
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    run(120, List.of(dom0.toString(), "down"));
  }

  private static String run(int timeoutSeconds, List<String> argv) throws IOException {
    Sh.Result r = Sh.tryRun(Duration.ofSeconds(timeoutSeconds), argv.toArray(String[]::new));
    if (!r.ok()) {
      throw new IOException(r.describe());
    }
    return r.stdout();
  }
}
