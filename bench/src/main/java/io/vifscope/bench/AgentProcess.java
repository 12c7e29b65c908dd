package io.vifscope.bench;

import io.vifscope.control.cli.Targets;
import io.vifscope.probe.testing.Lab;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code vifscope agent} as an operator runs it (the built jar, its own JVM), on the lab's interfaces only, with
 * a gRPC connection to it. Closing it sends SIGTERM and waits.
 */
final class AgentProcess implements AutoCloseable {
  private final Process process;
  private final Targets.Connection connection;
  private final Path log;

  private AgentProcess(Process process, Targets.Connection connection, Path log) {
    this.process = process;
    this.connection = connection;
    this.log = log;
  }

  /**
   * Starts the agent and waits until it answers with every lab interface attached.
   *
   * @param extra more agent flags (e.g. --bpf-stats, --history 2m)
   */
  static AgentProcess start(BenchContext ctx, String name, String... extra) throws Exception {
    Path socket = ctx.scratch().resolve(name + ".sock");
    Path log = ctx.scratch().resolve(name + ".log");
    Files.deleteIfExists(socket);
    // Through the launcher, as shipped: it picks the agent's JVM options.
    List<String> argv = new ArrayList<>(List.of(ctx.repo().resolve("vifscope").toString(), "agent", "--socket", socket.toString(), "--socket-group", "none",
        "--node-name", "bench", "--only-included", "--libvirt-uri", "test:///run/vifscope-lab/domains.xml",
        "--resolver-order", "libvirt,xenstore,xl"));
    for (String i : Lab.INCLUDE) {
      argv.add("--include");
      argv.add(i);
    }
    argv.addAll(List.of(extra));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Targets.Connection c = null;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IOException("the agent exited: " + Files.readString(log, StandardCharsets.UTF_8));
        }
        if (Files.exists(socket)) {
          if (c == null) {
            c = Targets.unixSocket(socket.toString());
          }
          try {
            int attached = ProbeServiceGrpc.newBlockingStub(c.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                .getAgentStatus(GetAgentStatusRequest.getDefaultInstance()).getAttachedCount();
            if (attached == Lab.INCLUDE.size()) {
              return new AgentProcess(p, c, log);
            }
          } catch (io.grpc.StatusRuntimeException e) {
            // not serving yet
          }
        }
        Thread.sleep(100);
      }
      throw new IOException("the agent did not attach within 30 s: " + Files.readString(log, StandardCharsets.UTF_8));
    } catch (Exception e) {
      if (c != null) {
        c.close();
      }
      p.destroy();
      p.waitFor(15, TimeUnit.SECONDS);
      throw e;
    }
  }

  ProbeServiceGrpc.ProbeServiceBlockingStub stub() {
    return ProbeServiceGrpc.newBlockingStub(connection.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** The agent's output (stdout and stderr). */
  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  /** User plus system CPU time of the agent's process so far, in seconds (from /proc/PID/stat). */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields after the command: state(3) ... utime is field 14, stime 15 (1-based, over the whole line).
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CpuTime.USER_HZ;
  }

  /** Resident set size in bytes (VmRSS). */
  long rssBytes() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for pid " + pid());
  }

  @Override
  public void close() throws InterruptedException {
    connection.close();
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  @Override
  public String toString() {
    return "agent pid " + pid() + " (log " + log + ")";
  }
}
