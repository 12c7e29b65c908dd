package io.vifscope.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.control.rank.History;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.ProbeSnapshot;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The benchmarks' data is what it claims to be: bytes that decode back to the flows, and the poll shape. */
class SyntheticTrafficTest {

  @Test
  void encodedMapDecodesBackToTheSameFlowsWithTheProbesCodecs() {
    SyntheticTraffic t = new SyntheticTraffic(200);
    ByteBuffer keys = t.encodeKeys();
    ByteBuffer values = t.encodeValues();
    int valueSize = SyntheticTraffic.VALUE_STRIDE * SyntheticTraffic.CPUS;
    for (int i = 0; i < t.flows(); i++) {
      assertEquals(t.flowKey(i), FlowKey.decode(keys, i * FlowKey.SIZE), "key of flow " + i);
      assertEquals(t.flowStats(i), FlowStats.sum(values, i * valueSize, SyntheticTraffic.VALUE_STRIDE,
          SyntheticTraffic.CPUS), "value of flow " + i);
    }
  }

  @Test
  void keysAreDistinctAndIncludeBothFamiliesAndDirections() {
    SyntheticTraffic t = new SyntheticTraffic(4096);
    Set<FlowKey> keys = new HashSet<>();
    Set<Integer> families = new HashSet<>();
    for (int i = 0; i < t.flows(); i++) {
      keys.add(t.flowKey(i));
      families.add(t.flowKey(i).family());
      assertTrue(SyntheticTraffic.resolutions().containsKey(t.flowKey(i).ifindex()), "resolvable " + t.flowKey(i));
    }
    assertEquals(t.flows(), keys.size());
    assertEquals(Set.of(4, 6), families);
  }

  @Test
  void eachPollATenthOfTheFlowsChangeAndTenSecondsHoldThemAll() {
    SyntheticTraffic t = new SyntheticTraffic(1000);
    ProbeSnapshot first = t.nextPoll();
    Map<FlowKey, FlowStats> before = new HashMap<>(first.flows()); // the snapshot's map is live
    ProbeSnapshot second = t.nextPoll();
    assertEquals(Duration.ofSeconds(1).toNanos(), second.monotonicNanos() - first.monotonicNanos());
    assertEquals(1000, second.flows().size());
    for (int i = 0; i < t.flows(); i++) {
      FlowStats was = before.get(t.flowKey(i));
      FlowStats now = second.flows().get(t.flowKey(i));
      if (i % SyntheticTraffic.CHANGE_EVERY == 1) {
        assertTrue(now.packets() > was.packets() && now.bytes() > was.bytes(), "flow " + i + " sent at poll 1");
      } else {
        assertEquals(was, now, "flow " + i + " did not send at poll 1");
      }
    }

    History h = new SyntheticTraffic(1000).history(11);
    WindowStats w = h.window(Duration.ofSeconds(10));
    assertEquals(10.0, w.seconds(), 1e-9);
    assertEquals(1000, w.flows().size());
  }
}
