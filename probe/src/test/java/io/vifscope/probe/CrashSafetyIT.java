package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.LoadedPrograms;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.ProbeMain;
import io.vifscope.probe.testing.Sh;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL a probe in the middle of a flood, on the tcx and on the clsact path: after the next start and
 * stop nothing of ours is left (programs, links, filters, qdiscs we created), and another tool's filter and
 * qdisc on the same interface are untouched. Checked with tc and bpftool, not with the probe's own view.
 */
class CrashSafetyIT {
  /** The "other tool": its own clsact qdisc and a classic-BPF filter on this guest vif, made before us. */
  private static final String FOREIGN_IF = "vif12.0";
  private static final String OUR_PREF = "pref " + TcAttachment.PRIORITY;
  private static Lab lab;

  @BeforeAll
  static void up() throws IOException {
    lab = Lab.up();
    sh("tc", "qdisc", "add", "dev", FOREIGN_IF, "clsact");
    sh("tc", "filter", "add", "dev", FOREIGN_IF, "ingress", "pref", "7", "protocol", "all",
        "bpf", "bytecode", "1,6 0 0 0,");
  }

  @AfterAll
  static void down() throws IOException {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void killedOnTheTcxPathLeavesNothingBehind() throws Exception {
    killDuringFlood("tcx");
    // tcx links died with the process: nothing to sweep even before the next start.
    assertNoProgramsOfOurs();
    restartAndStop();
    assertClean();
  }

  @Test
  void killedOnTheClsactPathIsSweptOnTheNextStart() throws Exception {
    killDuringFlood("clsact");
    // clsact filters outlive the process: they are there now, which is what the sweep is for.
    assertTrue(tcFilters(Lab.PHYS, "ingress").contains(OUR_PREF), "the killed run's filter should still be there");
    restartAndStop();
    assertClean();
  }

  private static void killDuringFlood(String mode) throws Exception {
    List<String> argv = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ProbeMain.class.getName(), mode));
    argv.addAll(Lab.INCLUDE);
    Process child = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String ready = out.readLine();
      assertEquals("ready " + Lab.INCLUDE.size(), ready, "child probe did not attach to every lab interface");
      Thread flood = new Thread(() -> {
        try {
          lab.flood("incident", "--seconds", "3");
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      flood.start();
      Thread.sleep(1000);
      Sh.run("kill", "-KILL", Long.toString(child.pid()));
      assertTrue(child.waitFor(10, TimeUnit.SECONDS), "child did not die");
      flood.join();
    } finally {
      child.destroyForcibly();
    }
  }

  private static void restartAndStop() throws Exception {
    try (Probe p = Probe.start(ProbeOptions.only(Lab.INCLUDE).withTcMode(ProbeOptions.TcMode.CLSACT))) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (p.attachedInterfaces().size() < Lab.INCLUDE.size() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(Lab.INCLUDE.size(), p.attachedInterfaces().size(), "restart attaches to every lab interface");
    }
  }

  private static void assertClean() throws Exception {
    for (String ifname : Lab.INCLUDE) {
      for (String side : new String[] {"ingress", "egress"}) {
        assertFalse(tcFilters(ifname, side).contains(OUR_PREF), "our filter left on " + ifname + " " + side);
      }
      String qdiscs = sh("tc", "qdisc", "show", "dev", ifname);
      if (ifname.equals(FOREIGN_IF)) {
        assertTrue(qdiscs.contains("clsact"), "the other tool's clsact qdisc was removed from " + ifname);
      } else {
        assertFalse(qdiscs.contains("clsact"), "our clsact qdisc left on " + ifname + ": " + qdiscs);
      }
    }
    String foreign = tcFilters(FOREIGN_IF, "ingress");
    assertTrue(foreign.contains("pref 7 "), "the other tool's filter was removed: " + foreign);
    assertNoProgramsOfOurs();
  }

  private static void assertNoProgramsOfOurs() throws Exception {
    LoadedPrograms.assertNoneNamed("programs of ours still loaded", "tc_ingress", "tc_egress");
  }

  private static String tcFilters(String ifname, String side) throws IOException {
    return sh("tc", "filter", "show", "dev", ifname, side);
  }

  private static String sh(String... argv) throws IOException {
    return Sh.run(argv);
  }
}
