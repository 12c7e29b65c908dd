package io.vifscope.control.cli;

import io.vifscope.control.resolve.LibvirtSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vifscope demo}: the incident of a Xen dom0 reproduced in the lab and answered, in about a minute. It
 * brings the lab up, starts {@code vifscope agent} the way an operator would, floods the custom-named guest vif
 * with syslog from a few upstream sources while the other guests talk quietly, prints what {@code diagnose}
 * says and a few {@code top --once} tables, and tears everything down, also on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Reproduces the incident in a lab (network namespaces, veth, a bridge; nothing leaves the "
        + "machine) and shows what vifscope says about it. Needs root; takes about a minute; leaves nothing "
        + "behind, also when interrupted."},
    footerHeading = "%nExamples:%n",
    footer = {"  sudo vifscope demo", "  sudo make demo", "  sudo vifscope demo --rate 50000 --seconds 10"})
public final class DemoCommand implements Callable<Integer> {
  /** Where the demo keeps its socket and logs while it runs. */
  static final Path RUN_DIR = Path.of("/run/vifscope-demo");

  @Option(names = "--rate", paramLabel = "PPS",
      description = "Syslog flood rate, packets/s (default: ${DEFAULT-VALUE}, as in the incident).")
  int rate = 150_000;

  @Option(names = "--seconds", paramLabel = "S",
      description = "How long the flood runs before the diagnosis (default: ${DEFAULT-VALUE}).")
  int seconds = 12;

  @Option(names = "--snapshots", paramLabel = "N", description = "top --once tables after the diagnosis "
      + "(default: ${DEFAULT-VALUE}).")
  int snapshots = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private Path repo;
  private PrintWriter out;
  private Process agent;
  private final List<Process> floods = new ArrayList<>();
  private boolean cleaned;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (rate < 1 || seconds < 3 || seconds > 600 || snapshots < 0 || snapshots > 20) {
      err.println("vifscope demo: --rate must be positive, --seconds 3..600, --snapshots 0..20");
      err.flush();
      return CommandLine.ExitCode.USAGE;
    }
    if (LibvirtSource.effectiveUid() != 0) {
      err.println("vifscope demo: the lab builds network namespaces and the agent loads BPF programs: run it as "
          + "root (sudo vifscope demo, or sudo make demo)");
      err.flush();
      return CommandLine.ExitCode.USAGE;
    }
    try {
      repo = repo();
    } catch (IOException e) {
      err.println("vifscope demo: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    }
    Thread hook = new Thread(this::cleanUp, "vifscope-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return run();
    } catch (IOException e) {
      err.println("vifscope demo: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    } finally {
      cleanUp();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook finds everything cleaned
      }
    }
  }

  private int run() throws Exception {
    Files.createDirectories(RUN_DIR);
    Path socket = RUN_DIR.resolve("agent.sock");
    Files.deleteIfExists(socket);

    step("1/4", "Building the lab: a simulated Xen dom0 made of network namespaces, a bridge and veth pairs");
    sh(RUN_DIR.resolve("lab.log"), 120, lab(), "up");
    List<String[]> names = new ArrayList<>();
    for (String line : capture(lab(), "names").split("\n")) {
      if (!line.isBlank()) {
        names.add(line.trim().split("\\s+"));
      }
    }
    for (String[] n : names) {
      out.printf("      %-9s %-9s %s%n", n[0], n[1], n[1].equals("guest") ? "domain " + n[3] + (n[2].equals("-") ? ""
          : " (id " + n[2] + ")") : "");
    }

    step("2/4", "Starting `vifscope agent` on the lab's interfaces (domains from xenstore, xl and libvirt)");
    StringBuilder includes = new StringBuilder();
    for (String[] n : names) {
      includes.append(" --include ").append(shellQuote(n[0]));
    }
    Path agentLog = RUN_DIR.resolve("agent.log");
    agent = new ProcessBuilder("bash", "-c", "eval \"$(" + shellQuote(lab().toString()) + " env)\"; exec "
        + shellQuote(javaBinary()) + " -jar " + shellQuote(jar().toString()) + " agent --socket "
        + shellQuote(socket.toString()) + " --only-included" + includes + " --resolver-order xenstore,xl,libvirt"
        + " --libvirt-uri \"$VIFSCOPE_LAB_LIBVIRT_URI\" --poll-interval 500ms --history 2m")
        .redirectErrorStream(true).redirectOutput(agentLog.toFile()).start();
    waitForAgent(socket, agentLog);
    out.println("      serving on " + socket);

    step("3/4", String.format("Reproducing the incident: UDP/514 syslog at %,d packets/s from three upstream "
        + "sources, through the uplink and the bridge, into guest vif 000a17-I; the other guests talk quietly", rate));
    floods.add(new ProcessBuilder(lab().toString(), "flood", "background", "--seconds", Integer.toString(seconds
        + 30 + 6 * snapshots), "--json").redirectErrorStream(true).redirectOutput(RUN_DIR.resolve("background.log")
        .toFile()).start());
    floods.add(new ProcessBuilder(lab().toString(), "flood", "incident", "--rate", Integer.toString(rate), "--seconds",
        Integer.toString(seconds + 30 + 6 * snapshots), "--json").redirectErrorStream(true)
        .redirectOutput(RUN_DIR.resolve("incident.log").toFile()).start());
    out.printf("      waiting %d s for the 10 s window to fill ...%n", seconds);
    out.flush();
    Thread.sleep(seconds * 1000L);

    step("4/4", "What vifscope says");
    out.println("$ vifscope diagnose");
    StringWriter diagnosis = new StringWriter();
    int rc = cli(diagnosis, "diagnose", "--socket", socket.toString());
    out.print(diagnosis);
    out.println("(exit code " + rc + ": " + (rc == DiagnoseCommand.FINDINGS ? "a finding crossed its threshold)"
        : "no finding)"));
    String[] groupings = {"source", "domain", "flow", "interface", "port"};
    for (int i = 0; i < snapshots; i++) {
      Thread.sleep(i == 0 ? 0 : 2000);
      String g = groupings[i % groupings.length];
      out.println();
      out.println("$ vifscope top --once --group " + g + " --limit 8");
      cli(null, "top", "--once", "--group", g, "--limit", "8", "--socket", socket.toString());
    }
    out.println();
    boolean named = rc == DiagnoseCommand.FINDINGS && diagnosis.toString().contains("000a17-I")
        && diagnosis.toString().contains("syslog01");
    out.println(named ? "The diagnosis names the guest (syslog01, vif 000a17-I), the softirq load and the sources: "
        + "what took four tools in the incident." : "The diagnosis did not name the flooded guest: see "
        + RUN_DIR + "/*.log, and the README's troubleshooting section.");
    out.println("Tearing the lab down ...");
    out.flush();
    return named ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
  }

  /** Runs a vifscope command in this process, as a gRPC client of the demo's agent. */
  private int cli(StringWriter capture, String... args) {
    CommandLine cmd = Main.newCommandLine();
    PrintWriter w = capture != null ? new PrintWriter(capture) : out;
    cmd.setOut(w);
    cmd.setErr(w);
    int rc = cmd.execute(args);
    w.flush();
    return rc;
  }

  private void waitForAgent(Path socket, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!agent.isAlive()) {
        throw new IOException("the agent exited (" + agent.exitValue() + "): " + tail(log));
      }
      if (Files.exists(socket) && cli(new StringWriter(), "status", "--socket", socket.toString()) == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("the agent did not answer within 30 s: " + tail(log));
  }

  /** Stops the floods and the agent, and takes the lab down; idempotent, also from the shutdown hook. */
  private synchronized void cleanUp() {
    if (cleaned || repo == null) {
      return;
    }
    cleaned = true;
    floods.forEach(Process::destroy);
    if (agent != null) {
      agent.destroy(); // SIGTERM: the agent detaches and exits within its stop budget
      try {
        if (!agent.waitFor(AgentCommand.STOP_BUDGET.toSeconds() + 2, TimeUnit.SECONDS)) {
          agent.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      sh(RUN_DIR.resolve("lab-down.log"), 120, lab(), "down");
      try (var files = Files.list(RUN_DIR)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(RUN_DIR);
    } catch (IOException e) {
      System.err.println("vifscope demo: cleaning up: " + e.getMessage() + " (run: sudo " + lab() + " down)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void step(String n, String text) {
    out.println();
    out.println("==> [" + n + "] " + text);
    out.flush();
  }

  private Path lab() {
    return repo.resolve("lab/dom0");
  }

  /** Runs a command with its output in {@code log}; fails with the log's end. */
  private static void sh(Path log, int timeoutSeconds, Path cmd, String... args) throws IOException,
      InterruptedException {
    List<String> argv = new ArrayList<>(List.of(cmd.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", argv) + " did not finish within " + timeoutSeconds + " s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", argv) + " failed (" + p.exitValue() + "): " + tail(log));
    }
  }

  private static String capture(Path cmd, String arg) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd.toString(), arg).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(cmd + " " + arg + " failed: " + text.strip());
    }
    return text;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The jar this command runs from: the agent is started from the same one. */
  private static Path jar() throws IOException {
    try {
      Path p = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isRegularFile(p)) {
        throw new IOException("the demo runs from the built jar (./vifscope demo), not from " + p);
      }
      return p;
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the running jar: " + e.getMessage());
    }
  }

  /** The source tree the jar was built in ({@code control/target/vifscope.jar}), or VIFSCOPE_HOME. */
  private static Path repo() throws IOException {
    String home = System.getenv("VIFSCOPE_HOME");
    Path candidate = home != null ? Path.of(home) : jar().getParent().getParent().getParent();
    if (!Files.isExecutable(candidate.resolve("lab/dom0"))) {
      throw new IOException("the demo needs the lab of the source tree (lab/dom0), not found under " + candidate
          + "; run it from a checkout: sudo make demo");
    }
    return candidate;
  }
}
