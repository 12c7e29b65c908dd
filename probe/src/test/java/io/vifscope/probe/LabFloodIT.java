package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.SystemCounters;
import java.io.IOException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The incident in the lab: a syslog flood of known size from three known sources, through the "physical"
 * NIC and the bridge to the custom-named vif. Every number the probe reports is compared with an
 * independent truth: /sys/class/net statistics, the generator's counts, /proc/softirqs and /proc/stat.
 */
class LabFloodIT {
  private static Lab lab;
  private static Probe probe;

  @BeforeAll
  static void start() throws Exception {
    lab = Lab.up();
    probe = Probe.start(ProbeOptions.only(Lab.INCLUDE));
    Probes.awaitAttached(probe, Lab.INCLUDE.size());
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (probe != null) {
        probe.close();
      }
    } finally {
      if (lab != null) {
        lab.close();
      }
    }
  }

  /** One flood with everything measured around it. */
  private record Run(JsonObject truth, ProbeSnapshot before, ProbeSnapshot after, SystemCounters sysBefore,
      SystemCounters sysAfter) {}

  private static Run flood(String kind, String... args) throws Exception {
    SystemCounters sys0 = SystemCounters.read(Lab.INCLUDE);
    ProbeSnapshot s0 = probe.snapshot();
    JsonObject truth = lab.flood(kind, args);
    Thread.sleep(300); // let the last frames leave the queues
    ProbeSnapshot s1 = probe.snapshot();
    SystemCounters sys1 = SystemCounters.read(Lab.INCLUDE);
    return new Run(truth, s0, s1, sys0, sys1);
  }

  @Test
  void interfaceCountersEqualKernelStatistics() throws Exception {
    Run r = flood("incident", "--seconds", "2", "--rate", "60000");
    for (String ifname : Lab.INCLUDE) {
      int idx = Lab.ifindex(ifname);
      long rx = r.sysAfter.get(ifname, "rx_packets") - r.sysBefore.get(ifname, "rx_packets");
      long rxBytes = r.sysAfter.get(ifname, "rx_bytes") - r.sysBefore.get(ifname, "rx_bytes");
      long tx = r.sysAfter.get(ifname, "tx_packets") - r.sysBefore.get(ifname, "tx_packets");
      long txDropped = r.sysAfter.get(ifname, "tx_dropped") - r.sysBefore.get(ifname, "tx_dropped");
      IfaceStats in = Probes.delta(r.before, r.after, idx, Direction.INGRESS);
      IfaceStats out = Probes.delta(r.before, r.after, idx, Direction.EGRESS);
      if (!ifname.equals(Lab.BRIDGE)) {
        // veth counts a received frame when its NAPI poll hands it on, just before tc ingress sees it.
        assertEquals(rx, in.packets(), ifname + " ingress packets vs rx_packets");
        // veth's rx_bytes leaves out the Ethernet header (counted after eth_type_trans); tc sees the whole frame.
        assertEquals(rxBytes + 14 * rx, in.bytes(), ifname + " ingress bytes vs rx_bytes + 14 per frame");
        // veth counts a transmitted frame only when the peer took it; tc egress saw the dropped ones too.
        assertEquals(tx + txDropped, out.packets(), ifname + " egress packets vs tx_packets + tx_dropped");
      }
    }
    long sent = r.truth.get("packets").getAsLong();
    long toGuest = Probes.delta(r.before, r.after, Lab.ifindex(Lab.INCIDENT_VIF), Direction.EGRESS).packets();
    assertTrue(toGuest >= sent * 99 / 100 && toGuest <= sent, "vif egress " + toGuest + " vs sent " + sent);
  }

  @Test
  void perSourceFlowCountersEqualTheGeneratorsCounts() throws Exception {
    Run r = flood("incident", "--seconds", "2", "--rate", "60000");
    long lost = r.sysAfter.upstreamTxDropped() - r.sysBefore.upstreamTxDropped(); // refused by the veth ring: never reached tc
    int phys = Lab.ifindex(Lab.PHYS);
    Map<InetAddress, long[]> bySource = new HashMap<>();
    for (Map.Entry<FlowKey, FlowStats> e : r.after.flows().entrySet()) {
      FlowKey k = e.getKey();
      if (k.ifindex() == phys && k.direction() == Direction.INGRESS && k.protocol() == 17 && k.dport() == 514) {
        FlowStats before = r.before.flows().getOrDefault(k, new FlowStats(0, 0));
        long[] acc = bySource.computeIfAbsent(k.sourceAddress(), a -> new long[2]);
        acc[0] += e.getValue().packets() - before.packets();
        acc[1] += e.getValue().bytes() - before.bytes();
      }
    }
    JsonObject sources = r.truth.getAsJsonObject("sources");
    assertEquals(3, sources.size(), "the incident has three senders: " + sources);
    for (String src : sources.keySet()) {
      long packets = sources.getAsJsonObject(src).get("packets").getAsLong();
      long bytes = sources.getAsJsonObject(src).get("bytes").getAsLong();
      long[] seen = bySource.getOrDefault(InetAddress.getByName(src), new long[2]);
      if (lost == 0) {
        assertEquals(packets, seen[0], "packets from " + src);
        assertEquals(bytes, seen[1], "bytes from " + src);
      } else {
        assertTrue(seen[0] <= packets && seen[0] >= packets - lost, "packets from " + src + " with " + lost + " lost");
      }
    }
  }

  /** Packets per outer VLAN id of the UDP/514 flows received on the physical end during a run. */
  private static Map<Integer, Long> receivedByVlan(Run r, int family) throws IOException {
    int phys = Lab.ifindex(Lab.PHYS);
    Map<Integer, Long> byVlan = new HashMap<>();
    r.after.flows().forEach((k, v) -> {
      if (k.ifindex() == phys && k.direction() == Direction.INGRESS && k.family() == family && k.dport() == 514) {
        long before = r.before.flows().getOrDefault(k, new FlowStats(0, 0)).packets();
        byVlan.merge(k.vlan(), v.packets() - before, Long::sum);
      }
    });
    byVlan.values().removeIf(n -> n == 0);
    return byVlan;
  }

  @Test
  void vlanTagsMovedIntoMetadataAndQinQAreKeyedByTheOuterTag() throws Exception {
    // The receive path strips the 802.1Q tag into skb metadata before tc ingress sees the frame.
    Run tagged = flood("vlan", "--vlan", "503", "--seconds", "1", "--rate", "50000");
    long lost = tagged.sysAfter.upstreamTxDropped() - tagged.sysBefore.upstreamTxDropped();
    long sent = tagged.truth.get("packets").getAsLong();
    Map<Integer, Long> byVlan = receivedByVlan(tagged, 4);
    assertEquals(1, byVlan.size(), "one VLAN: " + byVlan);
    long got = byVlan.getOrDefault(503, 0L);
    assertTrue(got <= sent && got >= sent - lost, "VLAN 503: " + got + " of " + sent + " (" + lost + " lost)");

    Run qinq = flood("vlan", "--qinq", "--outer", "1000", "--vlan", "503", "--seconds", "1", "--rate", "50000");
    lost = qinq.sysAfter.upstreamTxDropped() - qinq.sysBefore.upstreamTxDropped();
    sent = qinq.truth.get("packets").getAsLong();
    byVlan = receivedByVlan(qinq, 4);
    assertEquals(1, byVlan.size(), "one outer VLAN: " + byVlan);
    got = byVlan.getOrDefault(1000, 0L);
    assertTrue(got <= sent && got >= sent - lost, "outer VLAN 1000: " + got + " of " + sent + " (" + lost + " lost)");
  }

  @Test
  void ipv6FloodIsCountedPerFlow() throws Exception {
    Run r = flood("ipv6", "--seconds", "1", "--rate", "50000");
    long lost = r.sysAfter.upstreamTxDropped() - r.sysBefore.upstreamTxDropped();
    long sent = r.truth.get("packets").getAsLong();
    long got = receivedByVlan(r, 6).getOrDefault(0, 0L);
    assertTrue(sent > 10_000, "the generator sent " + sent);
    assertTrue(got <= sent && got >= sent - lost, "IPv6 UDP/514: " + got + " of " + sent + " (" + lost + " lost)");
  }

  @Test
  void napiTimeIsChargedToTheDeviceThatReceivedTheFlood() throws Exception {
    Run r = flood("incident", "--seconds", "2", "--rate", "60000");
    Map<String, NapiStats> napi = Probes.napiDelta(r.before, r.after);
    NapiStats phys = napi.getOrDefault(Lab.PHYS, new NapiStats(0, 0, 0, 0, 0));
    long rx = r.sysAfter.get(Lab.PHYS, "rx_packets") - r.sysBefore.get(Lab.PHYS, "rx_packets");
    assertEquals(rx, phys.work(), "packets handed on by vsleth0's polls vs its rx_packets");
    for (Map.Entry<String, NapiStats> e : napi.entrySet()) {
      if (!e.getKey().equals(Lab.PHYS) && !e.getKey().equals(NapiKey.NOT_A_POLL)) {
        assertTrue(phys.timeNs() > e.getValue().timeNs(),
            "toward a guest the NAPI time belongs to the physical end, not " + e.getKey() + ": " + napi);
      }
    }

    Run out = flood("guest-out", "--seconds", "2", "--rate", "30000");
    Map<String, NapiStats> napiOut = Probes.napiDelta(out.before, out.after);
    NapiStats vif = napiOut.getOrDefault(Lab.INCIDENT_VIF, new NapiStats(0, 0, 0, 0, 0));
    long vifRx = out.sysAfter.get(Lab.INCIDENT_VIF, "rx_packets") - out.sysBefore.get(Lab.INCIDENT_VIF, "rx_packets");
    assertEquals(vifRx, vif.work(), "traffic from the guest is polled under the vif's own name");
    assertTrue(vif.timeNs() > 0, "NAPI time charged to " + Lab.INCIDENT_VIF + ": " + napiOut);
  }

  @Test
  void softirqCountsAgreeWithProcSoftirqsAndProcStat() throws Exception {
    Map<Integer, Long> procRx0 = SystemCounters.procSoftirqs("NET_RX");
    Map<Integer, Long> stat0 = SystemCounters.procStatSoftirqNanos();
    ProbeSnapshot s0 = probe.snapshot();
    lab.flood("incident", "--seconds", "3");
    ProbeSnapshot s1 = probe.snapshot();
    Map<Integer, Long> procRx1 = SystemCounters.procSoftirqs("NET_RX");
    Map<Integer, Long> stat1 = SystemCounters.procStatSoftirqNanos();
    final int netRx = 3;
    long ours = 0;
    long theirs = 0;
    for (int cpu : procRx1.keySet()) {
      long mine = s1.softirq()[cpu][netRx].runs() - (s0.softirq()[cpu][netRx] == null ? 0 : s0.softirq()[cpu][netRx].runs());
      long proc = procRx1.get(cpu) - procRx0.get(cpu);
      ours += mine;
      theirs += proc;
      // Reads of the two sources are microseconds apart; softirqs keep running in between.
      assertTrue(Math.abs(mine - proc) <= Math.max(50, proc / 50), "CPU" + cpu + " NET_RX runs: probe " + mine + ", /proc/softirqs " + proc);
    }
    assertTrue(theirs > 1000, "the flood raised NET_RX softirqs: " + theirs);
    long ourTime = 0;
    long statTime = 0;
    for (int cpu : stat1.keySet()) {
      for (int v = 0; v < SoftirqStats.VECTORS; v++) {
        SoftirqStats a = s1.softirq()[cpu][v];
        SoftirqStats b = s0.softirq()[cpu][v];
        ourTime += (a == null ? 0 : a.timeNs()) - (b == null ? 0 : b.timeNs());
      }
      statTime += stat1.get(cpu) - stat0.get(cpu);
    }
    // Without CONFIG_IRQ_TIME_ACCOUNTING (this kernel, and most distribution kernels) /proc/stat's softirq time is
    // sampled at the tick: only the ticks that land inside a softirq count. Measured here over 4 s floods at
    // 100k pkt/s it read from 0.05x to 2.5x the clocked time, so it can only bound the probe from one side:
    // the kernel never saw more than 4x what the probe clocked (+100 ms). The run counts above are the tight
    // check. With IRQ_TIME_ACCOUNTING both are clocks: within 25%.
    boolean precise = SystemCounters.kernelHasIrqTimeAccounting();
    double ratio = (double) ourTime / Math.max(1, statTime);
    if (precise) {
      assertTrue(Math.abs(ratio - 1) <= 0.25, "softirq time: probe " + ourTime / 1_000_000 + " ms, /proc/stat "
          + statTime / 1_000_000 + " ms");
    } else {
      assertTrue(statTime <= 4 * ourTime + 100_000_000L, "softirq time: probe " + ourTime / 1_000_000
          + " ms, /proc/stat (tick-sampled) " + statTime / 1_000_000 + " ms");
    }
    assertTrue(ours > 0);
  }
}
