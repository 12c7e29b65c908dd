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
  void matchesAPlainGroupAndSortOnRandomTraffic() {
    // Reference: group the flows by domain, hook and talker with maps, sort each group, keep the top. Both hooks,
    // IPv4 and IPv6, a non-guest interface, many source ports per talker; the aggregator is reused across windows.
    TalkerSeries.Aggregator reused = new TalkerSeries.Aggregator();
    java.util.Random rnd = new java.util.Random(5);
    for (int round = 0; round < 20; round++) {
      FixtureSource src = new FixtureSource(6);
      for (int i = 0, n = 200 + rnd.nextInt(3000); i < n; i++) {
        int guest = rnd.nextInt(6);
        int ifindex = rnd.nextInt(10) == 0 ? FixtureSource.UPLINK : FixtureSource.vif(guest);
        Direction hook = rnd.nextBoolean() ? Direction.EGRESS : Direction.INGRESS;
        boolean v6 = rnd.nextInt(4) == 0;
        long source = rnd.nextInt(40);
        FlowKey k = v6
            ? new FlowKey(ifindex, hook, 6, 17, 0, 0, rnd.nextInt(65_536), 53, 0x2001_0db8L << 32, source, 0x2001_0db8L << 32, 1)
            : new FlowKey(ifindex, hook, 4, rnd.nextBoolean() ? 6 : 17, 0, 0, rnd.nextInt(65_536), 1 + rnd.nextInt(3),
                (0xC612_0000L | source) << 32, 0, 0xC612_0101L << 32, 0);
        long packets = 1 + rnd.nextInt(1_000_000);
        src.windowFlows.merge(k, new long[] {packets, packets * 100}, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
      int top = 1 + rnd.nextInt(6);
      int cap = round % 2 == 0 ? 1000 : 5 + rnd.nextInt(30);
      reused.start(src::resolve);
      src.window(null).flowWindow().visit(reused);
      List<TalkerSeries.Row> rows = reused.rows(top, cap);
      assertEquals(reference(src, top, cap), rows, "round " + round + ", top " + top + ", cap " + cap);
      assertEquals(TalkerSeries.rows(src.window(null), src::resolve, top, cap), rows);
    }
  }

  /** The rows by plain maps and sorts (ties do not occur: packets are random up to a million per flow). */
  private static List<TalkerSeries.Row> reference(FixtureSource src, int top, int cap) {
    record Talker(String domainKey, Direction hook, int family, String source, String destination, int protocol,
        int port) {}
    java.util.Map<Talker, long[]> talkers = new java.util.HashMap<>();
    java.util.Map<String, io.vifscope.control.resolve.Domain> domains = new java.util.HashMap<>();
    src.windowFlows.forEach((k, v) -> {
      io.vifscope.control.resolve.Resolution r = src.resolve(k.ifindex());
      if (r.nic() == null) {
        return;
      }
      io.vifscope.control.resolve.Domain d = r.nic().domain();
      domains.put(d.key(), d);
      Talker t = new Talker(d.key(), k.direction(), k.family(),
          io.vifscope.control.rank.Addresses.text(k.sourceAddress()),
          io.vifscope.control.rank.Addresses.text(k.destinationAddress()), k.protocol(), k.dport());
      long[] sum = talkers.computeIfAbsent(t, x -> new long[2]);
      sum[0] += v[0];
      sum[1] += v[1];
    });
    java.util.Map<String, Long> load = new java.util.HashMap<>();
    talkers.forEach((t, v) -> load.merge(t.domainKey(), v[0], Long::sum));
    record Group(String domainKey, Direction hook) {}
    java.util.Map<Group, List<java.util.Map.Entry<Talker, long[]>>> groups = new java.util.TreeMap<>(
        java.util.Comparator.comparingLong((Group g) -> load.get(g.domainKey())).reversed()
            .thenComparing(Group::domainKey).thenComparing(Group::hook));
    talkers.entrySet().forEach(e -> groups.computeIfAbsent(new Group(e.getKey().domainKey(), e.getKey().hook()),
        x -> new java.util.ArrayList<>()).add(e));
    List<TalkerSeries.Row> out = new java.util.ArrayList<>();
    long restP = 0;
    long restB = 0;
    boolean folding = false;
    for (var g : groups.entrySet()) {
      List<java.util.Map.Entry<Talker, long[]>> list = g.getValue();
      list.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
      long p = list.stream().mapToLong(e -> e.getValue()[0]).sum();
      long b = list.stream().mapToLong(e -> e.getValue()[1]).sum();
      int own = Math.min(top, list.size());
      if (!folding && out.size() + own + (list.size() > own ? 1 : 0) > cap - 1) {
        folding = true;
      }
      if (folding) {
        restP += p;
        restB += b;
        continue;
      }
      io.vifscope.control.resolve.Domain d = domains.get(g.getKey().domainKey());
      String dir = g.getKey().hook() == Direction.EGRESS ? "to_guest" : "from_guest";
      for (int i = 0; i < own; i++) {
        Talker t = list.get(i).getKey();
        long[] v = list.get(i).getValue();
        out.add(new TalkerSeries.Row(d, dir, t.source(), t.destination(),
            io.vifscope.control.rank.Services.protocolName(t.protocol()), Integer.toString(t.port()), v[0], v[1]));
        p -= v[0];
        b -= v[1];
      }
      if (list.size() > own) {
        out.add(new TalkerSeries.Row(d, dir, TalkerSeries.OTHER, TalkerSeries.OTHER, TalkerSeries.OTHER,
            TalkerSeries.OTHER, p, b));
      }
    }
    if (folding) {
      out.add(new TalkerSeries.Row(null, TalkerSeries.OTHER, TalkerSeries.OTHER, TalkerSeries.OTHER,
          TalkerSeries.OTHER, TalkerSeries.OTHER, restP, restB));
    }
    return out;
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
