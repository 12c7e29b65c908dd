package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.GuestNic;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Direction;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.ProbeSnapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DomainCountersTest {
  private static final Domain WEB = new Domain(12, "web01", "");

  private static ProbeSnapshot poll(long nanos, Map<IfaceKey, IfaceStats> interfaces) {
    return new ProbeSnapshot(nanos, null, null, interfaces, Map.of(), Map.of(), 1, Map.of());
  }

  private static Resolution vif(String name) {
    return new Resolution(name, Role.GUEST_VIF, new GuestNic(WEB, 0, "00:16:3e:00:00:01", false), "xl", false);
  }

  @Test
  void aRebootedGuestsNewVifKeepsItsDomainCountingUp() {
    DomainCounters c = new DomainCounters(60_000_000_000L);
    Map<Integer, Resolution> r = new HashMap<>();
    r.put(7, vif("vif12.0"));
    r.put(2, new Resolution("eth0", Role.PHYSICAL, null, "", false));
    c.add(poll(1, Map.of(new IfaceKey(7, Direction.EGRESS), new IfaceStats(100, 10_000, 0),
        new IfaceKey(7, Direction.INGRESS), new IfaceStats(5, 500, 0),
        new IfaceKey(2, Direction.INGRESS), new IfaceStats(9999, 9999, 0))), r::get);
    c.add(poll(2, Map.of(new IfaceKey(7, Direction.EGRESS), new IfaceStats(150, 15_000, 0),
        new IfaceKey(7, Direction.INGRESS), new IfaceStats(5, 500, 0))), r::get);
    // The guest reboots: vif12.0 is gone, its successor (new ifindex) starts from zero.
    r.put(9, vif("vif12.0"));
    c.add(poll(3, Map.of(new IfaceKey(9, Direction.EGRESS), new IfaceStats(20, 2_000, 0))), r::get);

    List<DomainCounters.Total> t = c.totals();
    assertEquals(1, t.size(), "the uplink belongs to no domain");
    assertEquals(new DomainCounters.Total(WEB, 170, 17_000, 5, 500), t.get(0));
  }

  @Test
  void countersThatGoBackAreNewTrafficAndQuietDomainsAreForgotten() {
    DomainCounters c = new DomainCounters(10);
    Map<Integer, Resolution> r = Map.of(7, vif("vif12.0"));
    c.add(poll(1, Map.of(new IfaceKey(7, Direction.EGRESS), new IfaceStats(100, 100, 0))), r::get);
    c.add(poll(2, Map.of(new IfaceKey(7, Direction.EGRESS), new IfaceStats(30, 30, 0))), r::get); // re-attached
    assertEquals(130, c.totals().get(0).toGuestPackets());
    c.add(poll(100, Map.of()), r::get);
    assertTrue(c.totals().isEmpty(), "no interface for longer than the history: dropped");
  }
}
