package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.SystemCounters;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A spoofed random-source flood with far more sources than the flow map holds, mixed with a few fixed
 * heavy sources: the heavy sources are still counted exactly (the generator's counts), and the loss
 * counters say that, and how much, was lost.
 */
class HeavyHitterIT {
  private static final int FLOW_ENTRIES = 2048;
  private static final int SOURCES = 200_000;
  /** Packets a heavy flow may lose while the admission filter holds its first one (see the assertion). */
  private static final int MAX_ADMISSION_LOSS = 3;

  @Test
  void heavySourcesAreCountedExactlyWhileTheMapOverflows() throws Exception {
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withFlowEntries(FLOW_ENTRIES))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      SystemCounters sys0 = SystemCounters.read(Lab.INCLUDE);
      ProbeSnapshot s0 = probe.snapshot();
      JsonObject truth = lab.flood("spoof", "--sources", Integer.toString(SOURCES), "--heavy", "5",
          "--heavy-share", "0.3", "--count", "400000", "--rate", "80000");
      Thread.sleep(300);
      ProbeSnapshot s1 = probe.snapshot();
      SystemCounters sys1 = SystemCounters.read(Lab.INCLUDE);
      long lost = sys1.upstreamTxDropped() - sys0.upstreamTxDropped();
      assertEquals(0, lost, "the veth ring dropped frames: lower the rate so that ground truth stays exact");

      int phys = Lab.ifindex(Lab.PHYS);
      Map<InetAddress, Long> seen = new HashMap<>();
      long attributed = 0;
      for (Map.Entry<FlowKey, FlowStats> e : s1.flows().entrySet()) {
        FlowKey k = e.getKey();
        if (k.ifindex() == phys && k.direction() == Direction.INGRESS) {
          long d = e.getValue().packets() - s0.flows().getOrDefault(k, new FlowStats(0, 0)).packets();
          seen.merge(k.sourceAddress(), d, Long::sum);
          attributed += d;
        }
      }
      JsonObject heavy = truth.getAsJsonObject("sources");
      assertEquals(5, heavy.size(), "five heavy sources: " + heavy);
      long heavyShort = 0;
      for (String src : heavy.keySet()) {
        long expected = heavy.getAsJsonObject(src).get("packets").getAsLong();
        long got = seen.getOrDefault(InetAddress.getByName(src), 0L);
        // Exact, but for the admission filter's documented cost (netdev.bpf.c, flow_admission): a heavy flow's
        // held first packet is lost when a spoofed packet takes its slot before the flow's second packet comes,
        // about a 1-in-500 chance per heavy flow here (16 random packets between two of one heavy source, 8,192
        // slots). A flow that loses it is admitted on its next pair, so at most a few packets, never a share.
        assertTrue(got <= expected && got >= expected - MAX_ADMISSION_LOSS, "heavy source " + src + ": " + got
            + " of " + expected + " (at most " + MAX_ADMISSION_LOSS + " held first packets may be lost)");
        heavyShort += expected - got;
      }
      long distinct = truth.getAsJsonObject("random_sources").get("distinct").getAsLong();
      assertTrue(distinct > 20L * FLOW_ENTRIES, "far more sources than entries: " + distinct);

      // The loss story: interface totals are exact; what no flow holds is accounted for by the counters:
      // one-packet flows held by the admission filter (deferred - credited) and flows evicted from the map.
      long received = Probes.delta(s0, s1, phys, Direction.INGRESS).packets();
      assertEquals(sys1.get(Lab.PHYS, "rx_packets") - sys0.get(Lab.PHYS, "rx_packets"), received);
      long unattributed = received - attributed;
      long oneShot = Probes.counterDelta(s0, s1, Counter.FLOW_DEFERRED) - Probes.counterDelta(s0, s1, Counter.FLOW_CREDITED);
      long inserts = Probes.counterDelta(s0, s1, Counter.FLOW_INSERTS);
      long evicted = inserts - (s1.flows().size() - s0.flows().size());
      System.out.printf("received %d attributed %d one-shot %d inserts %d evicted %d%n", received, attributed, oneShot,
          inserts, evicted);
      // deferred - credited counts every hook a one-packet flow passed (uplink ingress and vif egress).
      assertTrue(oneShot > 0, "the spoofed sources are held by the admission filter, not inserted: " + oneShot);
      assertTrue(evicted >= 0 && inserts < FLOW_ENTRIES, "spoofed flows never reached the LRU: " + inserts);
      assertTrue(unattributed > 0 && unattributed <= oneShot, "unattributed " + unattributed + " of " + received
          + " is what the one-packet flows hold (" + oneShot + " over both hooks)");
      assertTrue(heavyShort <= unattributed, "what a heavy source lost is in the unattributed traffic: " + heavyShort);
      assertTrue(s1.flows().size() <= FLOW_ENTRIES, "map never exceeds its size: " + s1.flows().size());
    }
  }
}
