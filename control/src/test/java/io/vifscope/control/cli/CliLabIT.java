package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.protobuf.util.JsonFormat;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.LoadedPrograms;
import io.vifscope.probe.testing.Sh;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.Talker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end in the lab, as an operator runs it: the built jar against agents started from the same jar.
 *
 * <ul>
 *   <li>{@code diagnose --json} names the flooded guest's domain, its vif and the generator's sources; its exit
 *       code is 1 under the flood and 0 when the lab is quiet.
 *   <li>A fleet of two agents, each watching different interfaces: {@code top --once} merges their rows labelled
 *       with each agent's node, and still answers when one agent is down.
 *   <li>Embedded mode: with no agent at all, {@code diagnose} run as root watches from its own process.
 * </ul>
 */
class CliLabIT {
  private static final String URI = "test:///run/vifscope-lab/domains.xml";
  private static final List<String> AGENT_A = List.of(Lab.PHYS, Lab.INCIDENT_VIF);
  private static final List<String> AGENT_B = List.of("vif12.0", "vif13.0", "vnet9");

  @TempDir
  Path tmp;

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String jar() {
    return Lab.repo().resolve("control/target/vifscope.jar").toString();
  }

  /** Runs the CLI; the lab's fixture commands (xenstore, xl) come first on PATH, as `lab/dom0 env` sets it. */
  private static Sh.Result cli(String... args) {
    List<String> argv = new ArrayList<>(List.of("env", "PATH=" + Lab.repo().resolve("lab/fixtures/bin") + ":"
        + System.getenv("PATH"), java(), "-jar", jar()));
    argv.addAll(List.of(args));
    return Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
  }

  private Process agent(String node, Path socket, List<String> interfaces) throws IOException {
    List<String> argv = new ArrayList<>(List.of(java(), "-jar", jar(), "agent", "--socket", socket.toString(),
        "--node-name", node, "--libvirt-uri", URI, "--resolver-order", "libvirt,xenstore,xl", "--poll-interval", "500ms",
        "--history", "1m", "--only-included", "--socket-group", "none"));
    for (String i : interfaces) {
      argv.add("--include");
      argv.add(i);
    }
    return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(tmp.resolve(node + ".log").toFile())
        .start();
  }

  private void awaitAgent(Process p, Path socket, String node) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.exists(socket) && cli("status", "--socket", socket.toString()).exitCode() == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(node + " did not start: " + Files.readString(tmp.resolve(node + ".log")));
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  private static DiagnoseResponse diagnosis(String json) throws IOException {
    DiagnoseResponse.Builder b = DiagnoseResponse.newBuilder();
    JsonFormat.parser().merge(json, b);
    return b.build();
  }

  private static CompletableFuture<JsonObject> flood(Lab lab, String kind, String... args) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return lab.floodOn(0, kind, args);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void diagnoseExitCodesFleetMergeAndEmbeddedMode() throws Exception {
    try (Lab lab = Lab.up()) {
      Path sockA = tmp.resolve("a.sock");
      Path sockB = tmp.resolve("b.sock");
      Process a = agent("hv-a", sockA, AGENT_A);
      Process b = agent("hv-b", sockB, AGENT_B);
      try {
        awaitAgent(a, sockA, "hv-a");
        awaitAgent(b, sockB, "hv-b");

        // Quiet: only light background traffic (500 pkt/s per guest) crosses no threshold: exit 0.
        CompletableFuture<JsonObject> quiet = flood(lab, "background", "--seconds", "4");
        Thread.sleep(3_000);
        Sh.Result calm = cli("diagnose", "--json", "--window", "2s", "--socket", sockA.toString());
        quiet.get(60, TimeUnit.SECONDS);
        assertEquals(0, calm.exitCode(), "quiet lab: " + calm.describe());

        // The incident: exit 1, and the JSON names the guest, its vif and the generator's sources.
        CompletableFuture<JsonObject> incident = flood(lab, "incident", "--seconds", "10", "--rate", "60000");
        CompletableFuture<JsonObject> background = flood(lab, "background", "--seconds", "10");
        Thread.sleep(6_000);
        Sh.Result d = cli("diagnose", "--json", "--window", "4s", "--socket", sockA.toString());
        Sh.Result merged = cli("top", "--once", "--json", "--group", "interface", "--limit", "50", "--socket",
            sockA.toString(), "--socket", sockB.toString());
        Sh.Result text = cli("top", "--once", "--group", "interface", "--socket", sockA.toString(), "--socket",
            sockB.toString());
        JsonObject truth = incident.get(60, TimeUnit.SECONDS);
        background.get(60, TimeUnit.SECONDS);

        assertEquals(DiagnoseCommand.FINDINGS, d.exitCode(), "under the flood: " + d.describe());
        DiagnoseResponse r = diagnosis(d.stdout());
        assertEquals(Lab.INCIDENT_VIF, r.getGuestInterfaces(0).getInterface().getName(), r.getSummary());
        assertEquals("syslog01", r.getGuestInterfaces(0).getDomain().getName(), r.getSummary());
        assertEquals(Integer.parseInt(Sh.run("virsh", "-c", URI, "domid", "syslog01").strip()),
            r.getGuestInterfaces(0).getDomain().getId());
        Set<String> senders = new TreeSet<>(truth.getAsJsonObject("sources").keySet());
        Set<String> reported = r.getTopSourcesList().stream().map(Talker::getSourceAddress)
            .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(senders, reported, "the sources are the generator's");
        assertTrue(r.getFindingsList().stream().anyMatch(f -> f.getKind().equals("busy_guest_interface")
            && f.getMessage().contains(Lab.INCIDENT_VIF)), r.getFindingsList().toString());

        // The fleet: each interface once, labelled with the agent that watches it; ranked over both.
        assertEquals(0, merged.exitCode(), merged.describe());
        ListTopTalkersResponse.Builder m = ListTopTalkersResponse.newBuilder();
        JsonFormat.parser().merge(merged.stdout().strip(), m);
        for (Talker t : m.getTalkersList()) {
          String name = t.getInterface().getName();
          assertEquals(AGENT_A.contains(name) ? "hv-a" : AGENT_B.contains(name) ? "hv-b" : "?", t.getNode(),
              name + " labelled with the wrong node");
        }
        Set<String> seen = m.getTalkersList().stream().map(t -> t.getInterface().getName())
            .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(seen.containsAll(List.of(Lab.PHYS, Lab.INCIDENT_VIF, "vif12.0", "vif13.0", "vnet9")), seen.toString());
        for (int i = 1; i < m.getTalkersCount(); i++) {
          assertTrue(m.getTalkers(i - 1).getPacketsPerSecond() >= m.getTalkers(i).getPacketsPerSecond(),
              "merged ranking out of order at " + i);
        }
        assertEquals("hv-a", m.getTalkers(0).getNode(), "the flood's interfaces rank first");
        assertEquals(0, text.exitCode(), text.describe());
        assertTrue(text.stdout().matches("(?s).*\\nNODE\\s+INTERFACE.*\\nhv-a\\s+000a17-I\\s+vif\\s+to guest\\s+syslog01.*"),
            text.stdout());
        assertTrue(text.stdout().matches("(?s).*\\nhv-b\\s+vif12\\.0\\s+vif.*web01.*"), text.stdout());

        // One agent down: the other still answers, the missing one is named, the exit code is 0.
        stop(b);
        Sh.Result half = cli("top", "--once", "--group", "interface", "--socket", sockA.toString(), "--socket",
            sockB.toString());
        assertEquals(0, half.exitCode(), half.describe());
        assertTrue(half.stdout().contains("hv-a") && !half.stdout().contains("hv-b  "), half.stdout());
        assertTrue(half.stdout().contains("no agent answers on " + sockB), half.stdout());

        // The flood is over: after a quiet window, exit 0 again.
        Thread.sleep(3_000);
        Sh.Result after = cli("diagnose", "--window", "2s", "--socket", sockA.toString());
        assertEquals(0, after.exitCode(), "after the flood: " + after.describe());
      } finally {
        stop(a);
        stop(b);
      }

      // Embedded: no agent anywhere; as root, diagnose watches from its own process and names the guest.
      CompletableFuture<JsonObject> again = flood(lab, "incident", "--seconds", "9", "--rate", "60000");
      Thread.sleep(1_000);
      List<String> argv = new ArrayList<>(List.of("env", "VIFSCOPE_SOCKET=" + tmp.resolve("none.sock"), "PATH="
          + Lab.repo().resolve("lab/fixtures/bin") + ":" + System.getenv("PATH"), java(), "-jar", jar(), "diagnose",
          "--json", "--sample", "4s", "--only-included"));
      for (String i : Lab.INCLUDE) {
        argv.add("--include");
        argv.add(i);
      }
      Sh.Result embedded = Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
      again.get(60, TimeUnit.SECONDS);
      assertEquals(DiagnoseCommand.FINDINGS, embedded.exitCode(), embedded.describe());
      assertTrue(embedded.stderr().contains("embedded mode"), embedded.stderr());
      DiagnoseResponse e = diagnosis(embedded.stdout());
      assertEquals(Lab.INCIDENT_VIF, e.getGuestInterfaces(0).getInterface().getName(), e.getSummary());
      assertEquals("syslog01", e.getGuestInterfaces(0).getDomain().getName(), e.getSummary());
    }
    LoadedPrograms.assertNoneNamed("left attached", "tc_ingress", "napi_poll");
  }
}
