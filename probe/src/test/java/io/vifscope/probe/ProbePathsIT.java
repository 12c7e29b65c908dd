package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import io.vifscope.probe.testing.SystemCounters;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The probe's alternative paths and its self-report: the forced clsact path counts exactly like tcx, the
 * feature report says what is in use, BPF statistics give ns per run, and a jumbo frame is counted whole.
 */
class ProbePathsIT {

  @Test
  void clsactPathCountsLikeTheKernel() throws Exception {
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withTcMode(ProbeOptions.TcMode.CLSACT))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      assertTrue(probe.attachedInterfaces().stream().allMatch(a -> a.mode() == TcAttachment.Mode.CLSACT));
      Features f = probe.features();
      assertFalse(f.tcx());
      assertTrue(f.degraded().containsKey("tcx"), "forced clsact is reported: " + f.degraded());
      SystemCounters sys0 = SystemCounters.read(Lab.INCLUDE);
      ProbeSnapshot s0 = probe.snapshot();
      JsonObject truth = lab.flood("incident", "--seconds", "1", "--rate", "50000");
      Thread.sleep(300);
      ProbeSnapshot s1 = probe.snapshot();
      SystemCounters sys1 = SystemCounters.read(Lab.INCLUDE);
      long rx = sys1.get(Lab.PHYS, "rx_packets") - sys0.get(Lab.PHYS, "rx_packets");
      assertEquals(rx, Probes.delta(s0, s1, Lab.ifindex(Lab.PHYS), Direction.INGRESS).packets());
      long tx = sys1.get(Lab.INCIDENT_VIF, "tx_packets") + sys1.get(Lab.INCIDENT_VIF, "tx_dropped")
          - sys0.get(Lab.INCIDENT_VIF, "tx_packets") - sys0.get(Lab.INCIDENT_VIF, "tx_dropped");
      assertEquals(tx, Probes.delta(s0, s1, Lab.ifindex(Lab.INCIDENT_VIF), Direction.EGRESS).packets());
      assertTrue(rx > 0 && rx <= truth.get("packets").getAsLong());
    }
  }

  @Test
  void featureReportAndOwnCost() throws Exception {
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withBpfStats(true))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      Features f = probe.features();
      // This machine (6.18) has everything; the report must say so and list nothing as degraded.
      assertTrue(f.tcx() && f.batchOps() && f.rawTracepoints() && f.bpfStats() && f.btf(), f.toString());
      assertTrue(f.degraded().isEmpty(), f.degraded().toString());
      Map<String, ProgramInfo> before = probe.programInfo();
      lab.flood("incident", "--count", "20000", "--rate", "40000");
      Map<String, ProgramInfo> after = probe.programInfo();
      for (String prog : List.of("tc_ingress", "tc_egress", "softirq_entry_raw", "softirq_exit_raw", "napi_poll_raw")) {
        long runs = after.get(prog).runCount() - before.get(prog).runCount();
        long ns = after.get(prog).runTimeNs() - before.get(prog).runTimeNs();
        assertTrue(runs > 0 && ns > 0, prog + ": " + runs + " runs, " + ns + " ns with statistics on");
        System.out.printf("cost %s: %.0f ns per run over %d runs%n", prog, (double) ns / runs, runs);
      }
      // Each frame of the flood passes tc ingress on the physical end and tc egress on the vif.
      long ingressRuns = after.get("tc_ingress").runCount() - before.get("tc_ingress").runCount();
      assertTrue(ingressRuns >= 20_000, "tc_ingress ran for every frame: " + ingressRuns);
    }
  }

  @Test
  void jumboFrameIsCountedWhole() throws Exception {
    String ns = "vsp-jumbo";
    String root = "vsp-jumbo0";
    try {
      sh("ip", "netns", "add", ns);
      // No IPv6 in the namespace: its end would send router solicitations and MLD reports of its own.
      sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1",
          "net.ipv6.conf.all.disable_ipv6=1");
      sh("ip", "link", "add", root, "mtu", "9100", "type", "veth", "peer", "name", "vsp-jumbo1", "mtu", "9100",
          "netns", ns);
      sh("sysctl", "-q", "-w", "net.ipv6.conf." + root + ".disable_ipv6=1");
      sh("ip", "link", "set", root, "up");
      sh("ip", "-n", ns, "link", "set", "vsp-jumbo1", "up");
      String mac = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", root, "address")).strip();
      try (Probe probe = Probe.start(ProbeOptions.only(List.of(root)))) {
        Probes.awaitAttached(probe, 1);
        ProbeSnapshot s0 = probe.snapshot();
        String out = sh(Lab.repo().resolve("lab/bin/vifgen").toString(), "-n", ns, "-i", "vsp-jumbo1",
            "--dst-mac", mac, "-s", "198.18.99.1", "-d", "198.18.99.2", "--size", "8958", "-c", "10");
        JsonObject truth = com.google.gson.JsonParser.parseString(out.strip()).getAsJsonObject();
        assertEquals(10, truth.get("packets").getAsLong());
        assertEquals(90_000, truth.get("bytes").getAsLong(), "ten 9000-byte frames");
        Thread.sleep(200);
        ProbeSnapshot s1 = probe.snapshot();
        IfaceStats in = Probes.delta(s0, s1, Lab.ifindex(root), Direction.INGRESS);
        assertEquals(10, in.packets());
        assertEquals(90_000, in.bytes());
        assertEquals(10, Lab.stat(root, "rx_packets"), "what the kernel says it received");
        assertEquals(0, in.unparsed());
      }
    } finally {
      Sh.tryRun("ip", "link", "del", root); // also removes the peer
      Sh.tryRun("ip", "netns", "del", ns);
    }
  }

  private static String sh(String... argv) throws IOException {
    return Sh.run(argv);
  }
}
