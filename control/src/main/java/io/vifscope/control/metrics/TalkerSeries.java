package io.vifscope.control.metrics;

import io.vifscope.control.rank.Addresses;
import io.vifscope.control.rank.Busiest;
import io.vifscope.control.rank.Services;
import io.vifscope.control.rank.FlowWindow;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The top talkers as a bounded set of series: per domain and direction, the {@code top} busiest
 * (source, destination, protocol, destination port) rows of a window, and one {@code other} row that sums the
 * rest. Only guest interfaces count, where every packet to or from a guest crosses exactly one.
 *
 * <p>The number of rows never exceeds {@code maxRows}, whatever the traffic: a spoofed-source flood makes one
 * domain's {@code other} row large, not the set longer. Domains are taken busiest first while their rows fit;
 * when the next one does not, it and every quieter domain are summed into a single row whose labels are all
 * {@code other}. One row is always kept for that, so the rows add up to all guest traffic of the window.
 */
public final class TalkerSeries {
  /** Label value of the rows that sum what has no row of its own. */
  public static final String OTHER = "other";

  /**
   * One exported row; {@code domain} is null for the row that sums quieter domains.
   *
   * @param direction {@code to_guest}, {@code from_guest}, or {@code other}
   */
  public record Row(Domain domain, String direction, String source, String destination, String protocol,
      String port, long packets, long bytes) {}

  private record Group(String domainKey, Direction hook) {}

  private record Talker(FlowKey representative, long[] counts) {}

  /** A talker's identity: the flow key without interface, direction and source port (primitives: cheap to hash). */
  private record TalkerKey(int family, long saddrHi, long saddrLo, long daddrHi, long daddrLo, int protocol,
      int dport) {}

  /** Packets, then bytes. */
  private static final Comparator<Talker> BUSIER = Comparator.<Talker>comparingLong(t -> t.counts()[0])
      .thenComparingLong(t -> t.counts()[1]);

  private TalkerSeries() {}

  /**
   * @param top rows per domain and direction before the rest goes under {@code other} (at least 1)
   * @param maxRows the most rows returned (at least 1)
   */
  public static List<Row> rows(WindowStats w, IntFunction<Resolution> resolve, int top, int maxRows) {
    if (top < 1 || maxRows < 1) {
      throw new IllegalArgumentException("top and maxRows must be positive, got " + top + ", " + maxRows);
    }
    Map<Group, Map<TalkerKey, Talker>> groups = new HashMap<>();
    Map<Group, Domain> domainOf = new HashMap<>();
    // Per interface, its two hooks' talker maps (none: not a guest's): resolved once, not once per flow.
    Map<Integer, List<Map<TalkerKey, Talker>>> hooksOf = new HashMap<>();
    FlowWindow flows = w.flowWindow();
    for (int i = 0; i < flows.size(); i++) {
      FlowKey k = flows.key(i);
      long packets = flows.packets(i);
      long bytes = flows.bytes(i);
      List<Map<TalkerKey, Talker>> hooks = hooksOf.computeIfAbsent(k.ifindex(), ifindex -> {
        Resolution r = resolve.apply(ifindex);
        if (r == null || r.nic() == null) {
          return List.of();
        }
        Domain d = r.nic().domain();
        List<Map<TalkerKey, Talker>> maps = new ArrayList<>(2);
        for (Direction hook : Direction.values()) {
          Group g = new Group(d.key(), hook);
          domainOf.putIfAbsent(g, d);
          maps.add(groups.computeIfAbsent(g, x -> new HashMap<>()));
        }
        return maps;
      });
      if (hooks.isEmpty()) {
        continue;
      }
      // The source port is left out: a flood from random ports is one talker, not thousands.
      TalkerKey talker = new TalkerKey(k.family(), k.saddrHi(), k.saddrLo(), k.daddrHi(), k.daddrLo(), k.protocol(),
          k.dport());
      Map<TalkerKey, Talker> talkers = hooks.get(k.direction().ordinal());
      Talker t = talkers.get(talker);
      if (t == null) {
        t = new Talker(k, new long[2]);
        talkers.put(talker, t);
      }
      t.counts()[0] += packets;
      t.counts()[1] += bytes;
    }
    groups.values().removeIf(Map::isEmpty); // a guest's hook without traffic has no rows

    // Busiest domain first, so that the cap, when it bites, folds the quietest ones.
    Map<String, long[]> domainLoad = new HashMap<>();
    groups.forEach((g, talkers) -> {
      long[] load = domainLoad.computeIfAbsent(g.domainKey(), x -> new long[1]);
      talkers.values().forEach(t -> load[0] += t.counts()[0]);
    });
    List<Group> order = new ArrayList<>(groups.keySet());
    order.sort(Comparator.comparingLong((Group g) -> domainLoad.get(g.domainKey())[0]).reversed()
        .thenComparing(Group::domainKey).thenComparing(Group::hook));

    List<Row> out = new ArrayList<>();
    long restPackets = 0;
    long restBytes = 0;
    boolean folding = false;
    for (Group g : order) {
      Map<TalkerKey, Talker> talkers = groups.get(g);
      int own = Math.min(top, talkers.size());
      int needed = own + (talkers.size() > own ? 1 : 0);
      if (!folding && out.size() + needed > maxRows - 1) {
        folding = true; // this group and every quieter one: one row for all of them
      }
      long groupPackets = 0;
      long groupBytes = 0;
      for (Talker t : talkers.values()) {
        groupPackets += t.counts()[0];
        groupBytes += t.counts()[1];
      }
      if (folding) {
        restPackets += groupPackets;
        restBytes += groupBytes;
        continue;
      }
      Domain d = domainOf.get(g);
      String direction = g.hook() == Direction.EGRESS ? "to_guest" : "from_guest";
      long p = groupPackets;
      long b = groupBytes;
      for (Talker t : Busiest.of(talkers.values(), own, BUSIER)) {
        FlowKey k = t.representative();
        out.add(new Row(d, direction, Addresses.text(k.sourceAddress()), Addresses.text(k.destinationAddress()),
            Services.protocolName(k.protocol()), Integer.toString(k.dport()), t.counts()[0], t.counts()[1]));
        p -= t.counts()[0];
        b -= t.counts()[1];
      }
      if (talkers.size() > own) {
        out.add(new Row(d, direction, OTHER, OTHER, OTHER, OTHER, p, b));
      }
    }
    if (folding) {
      out.add(new Row(null, OTHER, OTHER, OTHER, OTHER, OTHER, restPackets, restBytes));
    }
    return out;
  }
}
