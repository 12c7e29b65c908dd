package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.BccHeaders;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.SystemCounters;
import java.net.InetAddress;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same lab flood (the incident, a fixed number of frames) once with each loader. Each run's interface counters
 * equal the kernel's own statistics exactly, and the flood's per-source flows agree between the two loaders
 * exactly (they are the generator's counts, when the veth ring refused nothing). Softirq and NAPI times are timings
 * of two different runs, so they are compared with a stated tolerance: NET_RX time and NAPI time per frame of one
 * loader within a factor of 2 of the other's (the same programs do the same work; what varies is the host).
 */
class LoaderLabFloodIT {
  private static final int FRAMES = 20_000;
  private static final double TIME_TOLERANCE = 2.0;

  /** What one run measured. */
  private record Run(Map<String, long[]> perInterface, Map<InetAddress, Long> perSource, long sent, long lost,
      long netRxNs, long napiNs, long napiWork) {}

  private static Run flood(Lab lab, ProbeOptions.Loader loader) throws Exception {
    try (Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withLoader(loader))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      assertEquals(loader.name().toLowerCase(java.util.Locale.ROOT), probe.features().loader());
      SystemCounters sys0 = SystemCounters.read(Lab.INCLUDE);
      ProbeSnapshot s0 = probe.snapshot();
      JsonObject truth = lab.flood("incident", "--count", Integer.toString(FRAMES), "--rate", "40000");
      Thread.sleep(300);
      ProbeSnapshot s1 = probe.snapshot();
      SystemCounters sys1 = SystemCounters.read(Lab.INCLUDE);

      Map<String, long[]> perInterface = new HashMap<>();
      for (String ifname : Lab.INCLUDE) {
        int idx = Lab.ifindex(ifname);
        long rx = sys1.get(ifname, "rx_packets") - sys0.get(ifname, "rx_packets");
        long rxBytes = sys1.get(ifname, "rx_bytes") - sys0.get(ifname, "rx_bytes");
        long tx = sys1.get(ifname, "tx_packets") + sys1.get(ifname, "tx_dropped") - sys0.get(ifname, "tx_packets")
            - sys0.get(ifname, "tx_dropped");
        IfaceStats in = Probes.delta(s0, s1, idx, Direction.INGRESS);
        IfaceStats out = Probes.delta(s0, s1, idx, Direction.EGRESS);
        if (!ifname.equals(Lab.BRIDGE)) {
          // As in LabFloodIT: veth's rx_bytes leaves out the Ethernet header; tc egress also sees refused frames.
          assertEquals(rx, in.packets(), loader + " " + ifname + " ingress packets vs rx_packets");
          assertEquals(rxBytes + 14 * rx, in.bytes(), loader + " " + ifname + " ingress bytes vs rx_bytes");
          assertEquals(tx, out.packets(), loader + " " + ifname + " egress packets vs tx_packets + tx_dropped");
        }
        perInterface.put(ifname, new long[] {in.packets(), in.bytes(), out.packets(), out.bytes()});
      }

      int phys = Lab.ifindex(Lab.PHYS);
      Map<InetAddress, Long> perSource = new HashMap<>();
      for (Map.Entry<FlowKey, FlowStats> e : s1.flows().entrySet()) {
        FlowKey k = e.getKey();
        if (k.ifindex() == phys && k.direction() == Direction.INGRESS && k.protocol() == 17 && k.dport() == 514) {
          long before = s0.flows().getOrDefault(k, new FlowStats(0, 0)).packets();
          perSource.merge(k.sourceAddress(), e.getValue().packets() - before, Long::sum);
        }
      }
      long netRx = 0;
      for (int c = 0; c < s1.softirq().length; c++) {
        SoftirqStats a = s0.softirq()[c][3];
        SoftirqStats b = s1.softirq()[c][3];
        netRx += (b == null ? 0 : b.timeNs()) - (a == null ? 0 : a.timeNs());
      }
      long napiNs = 0;
      long napiWork = 0;
      for (Map.Entry<String, NapiStats> e : Probes.napiDelta(s0, s1).entrySet()) {
        if (!e.getKey().isEmpty()) { // "" is NET_RX time outside any poll
          napiNs += e.getValue().timeNs();
          napiWork += e.getValue().work();
        }
      }
      return new Run(perInterface, perSource, truth.get("packets").getAsLong(),
          sys1.upstreamTxDropped() - sys0.upstreamTxDropped(), netRx, napiNs, napiWork);
    }
  }

  @Test
  void theSameFloodCountsTheSameWithEitherLoader() throws Exception {
    Map<ProbeOptions.Loader, Run> runs = new EnumMap<>(ProbeOptions.Loader.class);
    try (BccHeaders headers = BccHeaders.ensure(); Lab lab = Lab.up()) {
      System.out.println("kernel headers for BCC: " + headers.describe());
      for (ProbeOptions.Loader l : List.of(ProbeOptions.Loader.LIBBPF, ProbeOptions.Loader.BCC)) {
        runs.put(l, flood(lab, l));
      }
    }
    Run a = runs.get(ProbeOptions.Loader.LIBBPF);
    Run b = runs.get(ProbeOptions.Loader.BCC);
    for (Run r : List.of(a, b)) {
      System.out.printf("sent %d lost %d; NET_RX %.1f ns/frame, NAPI %.1f ns/frame, NAPI work %d; sources %s%n",
          r.sent(), r.lost(), (double) r.netRxNs() / r.sent(), (double) r.napiNs() / r.sent(), r.napiWork(),
          r.perSource());
    }
    assertEquals(a.sent(), b.sent(), "the same flood");
    if (a.lost() == 0 && b.lost() == 0) {
      assertEquals(a.perSource(), b.perSource(), "per-source flows agree exactly");
      long sum = a.perSource().values().stream().mapToLong(Long::longValue).sum();
      assertEquals(a.sent(), sum, "and equal what the generator sent");
    }
    assertWithin("NET_RX time", a.netRxNs(), b.netRxNs());
    assertWithin("NAPI time", a.napiNs(), b.napiNs());
    assertTrue(a.napiWork() >= a.sent() - a.lost() && b.napiWork() >= b.sent() - b.lost(),
        "NAPI polls handed on at least every frame that arrived: " + a.napiWork() + " / " + b.napiWork());
  }

  private static void assertWithin(String what, long libbpf, long bcc) {
    assertTrue(libbpf > 0 && bcc > 0, what + " measured by both: libbpf " + libbpf + " ns, bcc " + bcc + " ns");
    double ratio = (double) bcc / libbpf;
    assertTrue(ratio >= 1 / TIME_TOLERANCE && ratio <= TIME_TOLERANCE,
        what + ": bcc/libbpf = " + ratio + " (libbpf " + libbpf + " ns, bcc " + bcc + " ns), tolerance x"
            + TIME_TOLERANCE);
  }
}
