package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import java.util.List;
import org.junit.jupiter.api.Test;

class TalkerSeriesTest {

  private static long sum(List<TalkerSeries.Row> rows) {
    return rows.stream().mapToLong(TalkerSeries.Row::packets).sum();
  }

  @Test
  void topPerDomainThenOtherSumsTheRest() {
    FixtureSource src = new FixtureSource(1);
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 201), 40000, 514, 5000);
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 201), 40001, 514, 1000); // same talker: the sport is left out
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 202), 40000, 514, 3000);
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 203), 40000, 514, 2000);
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 204), 40000, 53, 10);
    List<TalkerSeries.Row> rows = TalkerSeries.rows(src.window(null), src::resolve, 2, 1000);

    assertEquals(3, rows.size(), rows.toString());
    assertEquals("198.18.0.201", rows.get(0).source());
    assertEquals(6000, rows.get(0).packets());
    assertEquals("514", rows.get(0).port());
    assertEquals("udp", rows.get(0).protocol());
    assertEquals("to_guest", rows.get(0).direction());
    assertEquals("198.18.0.202", rows.get(1).source());
    assertEquals(TalkerSeries.OTHER, rows.get(2).source());
    assertEquals(2010, rows.get(2).packets(), "the rest of the domain");
    assertEquals(FixtureSource.NASTY, rows.get(2).domain().name());
    assertEquals(11_010, sum(rows), "nothing lost, nothing counted twice");
  }

  @Test
  void spoofedFloodAndManyDomainsStayUnderTheCapAndAddUp() {
    FixtureSource src = new FixtureSource(400);
    long total = 0;
    // 60,000 spoofed sources into the incident guest: one domain's 'other' grows, the row count does not.
    for (int i = 0; i < 60_000; i++) {
      src.flowTo(0, FixtureSource.ipv4(198, 19, i >> 8, i & 0xff), 1024 + (i % 50_000), 514, 3);
      total += 3;
    }
    for (int n = 1; n < 400; n++) {
      for (int t = 0; t < 4; t++) {
        src.flowTo(n, FixtureSource.ipv4(198, 18, 2, t + 1), 40000, 443, 2 + t);
        total += 2 + t;
      }
    }
    int cap = 200;
    List<TalkerSeries.Row> rows = TalkerSeries.rows(src.window(null), src::resolve, 5, cap);

    assertTrue(rows.size() <= cap, rows.size() + " rows");
    assertEquals(total, sum(rows), "the rows still add up to all guest traffic");
    assertEquals(FixtureSource.NASTY, rows.get(0).domain().name(), "the busiest domain keeps its rows");
    TalkerSeries.Row last = rows.get(rows.size() - 1);
    assertNull(last.domain(), "quieter domains folded into one row");
    assertEquals(TalkerSeries.OTHER, last.direction());
    assertTrue(last.packets() > 0);
  }

  @Test
  void onlyGuestInterfacesCount() {
    FixtureSource src = new FixtureSource(1);
    src.windowFlows.put(new FlowKey(FixtureSource.UPLINK, Direction.INGRESS, 4, 17, 0, 0, 1, 514, 1L << 32, 0, 2L << 32,
        0), new long[] {1000, 190_000});
    assertEquals(List.of(), TalkerSeries.rows(src.window(null), src::resolve, 5, 100));
  }

  @Test
  void refusesNonsenseLimits() {
    FixtureSource src = new FixtureSource(1);
    assertThrows(IllegalArgumentException.class, () -> TalkerSeries.rows(src.window(null), src::resolve, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> TalkerSeries.rows(src.window(null), src::resolve, 1, 0));
  }
}
