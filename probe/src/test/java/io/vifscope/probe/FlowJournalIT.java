package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Lab;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kernel's change journal against the flow map itself: a partial read (only the flows the journal handed
 * over) must hold exactly the flows whose counts changed since the previous read, each with the counts a full read
 * of the map gives right after, and nothing lost when a poll's changes overflow the journal.
 */
class FlowJournalIT {
  /** Distinct UDP destination ports of the test's floods: their flows are the test's, nothing else in the lab. */
  private static final int PORT_A = 31001;
  private static final int PORT_B = 31002;

  @Test
  void aPartialReadHoldsExactlyTheChangedFlowsWithTheirFullCounts() throws Exception {
    // Every other poll reads the whole map: poll 0 full, 1 partial, 2 full, 3 partial, 4 full.
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withFlowFullReadEvery(2))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      assertTrue(probe.flowReads().journal(), "the journal is loaded on this kernel: " + probe.features().degraded());
      ProbeSnapshot s0 = probe.poll(new FlowCounts.Builder(0));
      assertTrue(s0.flowsComplete(), "the first read is full");

      // 500 sources, each three times (the admission filter itemizes a flow from its second packet).
      spoof(lab, PORT_A, 500, 1500);
      Thread.sleep(200);
      ProbeSnapshot s1 = probe.poll(new FlowCounts.Builder(0));
      ProbeSnapshot s2 = probe.poll(new FlowCounts.Builder(0));
      assertFalse(s1.flowsComplete(), "poll 1 reads the journal");
      assertTrue(s2.flowsComplete(), "poll 2 reads the whole map");
      int changed = assertPartialMatchesFull(s0, s1, s2, PORT_A);
      assertTrue(changed >= 500, "the flood's flows (a source is a flow on the uplink and on the vif): " + changed);

      // Only some of the flows again (the first 100 sources on another port: new flows), the others idle.
      spoof(lab, PORT_B, 100, 300);
      Thread.sleep(200);
      ProbeSnapshot s3 = probe.poll(new FlowCounts.Builder(0));
      ProbeSnapshot s4 = probe.poll(new FlowCounts.Builder(0));
      assertFalse(s3.flowsComplete());
      assertTrue(s4.flowsComplete());
      assertEquals(0, countPort(s3, PORT_A), "idle flows are not handed over again");
      int changedB = assertPartialMatchesFull(s2, s3, s4, PORT_B);
      assertTrue(changedB >= 100, "port B flows: " + changedB);

      // The journal goes on after partial reads: port A again, counts now above the first read's.
      spoof(lab, PORT_A, 500, 1000);
      Thread.sleep(200);
      ProbeSnapshot s5 = probe.poll(new FlowCounts.Builder(0));
      ProbeSnapshot s6 = probe.poll(new FlowCounts.Builder(0));
      assertFalse(s5.flowsComplete());
      assertTrue(assertPartialMatchesFull(s4, s5, s6, PORT_A) >= 500);

      // A one-off complete read between two polls leaves the journal to the poller.
      spoof(lab, PORT_B, 100, 300);
      Thread.sleep(200);
      ProbeSnapshot oneOff = probe.snapshot();
      assertTrue(oneOff.flowsComplete());
      ProbeSnapshot s7 = probe.poll(new FlowCounts.Builder(0));
      assertFalse(s7.flowsComplete());
      assertTrue(assertPartialMatchesFull(s6, s7, oneOff, PORT_B) >= 100);
      assertEquals(0, probe.flowReads().overflows(), "nothing overflowed");
    }
  }

  @Test
  void changesBeyondTheJournalEndInAFullRead() throws Exception {
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withFlowFullReadEvery(1000))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      probe.poll(new FlowCounts.Builder(0));
      ProbeSnapshot before = probe.poll(new FlowCounts.Builder(0));
      assertFalse(before.flowsComplete(), "the second read is partial");
      // One CPU journals more flows than a half holds: 6 floods of 3,000 sources, each source a flow on two hooks.
      for (int i = 0; i < 6; i++) {
        lab.floodOn(0, "spoof", "--ipv4", "--sources", "3000", "--heavy", "0", "--dport",
            Integer.toString(PORT_A + 10 + i), "--count", "9000");
      }
      Thread.sleep(200);
      ProbeSnapshot after = probe.poll(new FlowCounts.Builder(0));
      long flows = 0;
      for (FlowKey k : after.flows().keySet()) {
        if (k.dport() >= PORT_A + 10 && k.dport() < PORT_A + 16) {
          flows++;
        }
      }
      assertTrue(flows > FlowJournal.SLOTS, "more flood flows than one CPU's half holds: " + flows);
      assertEquals(1, probe.flowReads().overflows(), "the overflow was seen");
      assertTrue(after.flowsComplete(), "and answered with a full read");
      assertEquals(after.flowEntries(), after.flowCounts().size());
      // Once: emptying the overflowed half before its reuse does not report the same lost appends again.
      ProbeSnapshot next = probe.poll(new FlowCounts.Builder(0));
      assertFalse(next.flowsComplete(), "back to partial reads");
      assertEquals(1, probe.flowReads().overflows(), "the overflow was reported once");
    }
  }

  @Test
  void oneFullReadPerPollLoadsNoJournal() throws Exception {
    try (Lab lab = Lab.up();
        Probe probe = Probe.start(ProbeOptions.only(Lab.INCLUDE).withFlowFullReadEvery(1))) {
      Probes.awaitAttached(probe, Lab.INCLUDE.size());
      assertFalse(probe.flowReads().journal());
      assertFalse(probe.programInfo().containsKey("journal_advance"), "not loaded: " + probe.programInfo().keySet());
      for (int i = 0; i < 3; i++) {
        spoof(lab, PORT_A, 50, 150);
        assertTrue(probe.poll(new FlowCounts.Builder(0)).flowsComplete());
      }
      assertEquals(3, probe.flowReads().fullReads());
    }
  }

  private static void spoof(Lab lab, int port, int sources, int count) throws Exception {
    lab.flood("spoof", "--ipv4", "--sources", Integer.toString(sources), "--heavy", "0", "--dport",
        Integer.toString(port), "--count", Integer.toString(count));
  }

  private static int countPort(ProbeSnapshot s, int port) {
    int n = 0;
    for (FlowKey k : s.flows().keySet()) {
      if (k.dport() == port) {
        n++;
      }
    }
    return n;
  }

  /**
   * For the flows to {@code port}: every flow in {@code partial} has the counts of {@code full} (no packets in
   * between: the lab is quiet), and every flow whose counts differ between {@code before} and {@code full} is in
   * {@code partial}. Returns how many flows changed.
   */
  private static int assertPartialMatchesFull(ProbeSnapshot before, ProbeSnapshot partial, ProbeSnapshot full,
      int port) {
    Map<FlowKey, FlowStats> handed = new HashMap<>();
    for (int i = 0; i < partial.flowCounts().size(); i++) {
      FlowKey k = partial.flowCounts().key(i);
      FlowStats v = new FlowStats(partial.flowCounts().packets(i), partial.flowCounts().bytes(i));
      FlowStats earlier = handed.put(k, v);
      if (earlier != null) {
        assertEquals(earlier, v, "a flow handed over twice has the same counts both times: " + k);
      }
    }
    int changed = 0;
    for (Map.Entry<FlowKey, FlowStats> e : full.flows().entrySet()) {
      FlowKey k = e.getKey();
      if (k.dport() != port) {
        continue;
      }
      FlowStats old = before.flowsComplete() ? before.flows().get(k) : null;
      if (e.getValue().equals(old)) {
        continue;
      }
      changed++;
      assertEquals(e.getValue(), handed.get(k), "changed flow " + k + " (was " + old + ")");
    }
    for (Map.Entry<FlowKey, FlowStats> e : handed.entrySet()) {
      if (e.getKey().dport() == port) {
        assertEquals(full.flows().get(e.getKey()), e.getValue(), "handed-over flow " + e.getKey());
        assertNotEquals(e.getValue(), before.flows().get(e.getKey()), "handed over but unchanged: " + e.getKey());
      }
    }
    return changed;
  }
}
