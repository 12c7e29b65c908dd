package io.vifscope.control.rank;

import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.IfaceKey;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Ranks what a window saw into talkers: grouped, filtered, sorted, cut to a limit. Rows keep their interface
 * and direction (except by domain), so a bridged packet shows once on the uplink and once on the guest's
 * vif, never twice in one row. By domain, only guest interfaces count, where every packet to or from a guest
 * crosses exactly one.
 */
public final class TopTalkers {

  /**
   * One ranked row. Fields the grouping does not determine are null or 0.
   *
   * @param ifindex interface, 0 when grouped by domain
   * @param resolution what the interface is and whose (null when grouped by domain)
   * @param domain the domain (guest rows)
   * @param interfacePackets packets of the row's interface in its direction, for the share; 0 by domain
   */
  public record Row(InetAddress source, InetAddress destination, int protocol, int sport, int dport, int vlan,
      int ifindex, Resolution resolution, Domain domain, TrafficDirection direction, long packets, long bytes,
      long interfacePackets) {

    /** This row's share of its interface's packets in its direction, 0..1. */
    public double interfaceShare() {
      return interfacePackets == 0 ? 0 : Math.min(1.0, (double) packets / interfacePackets);
    }
  }

  private TopTalkers() {}

  /**
   * @param resolve what each ifindex is, as known when the window ended
   */
  public static List<Row> rank(WindowStats w, TalkerQuery q, IntFunction<Resolution> resolve) {
    Map<Integer, Resolution> resolved = new HashMap<>();
    IntFunction<Resolution> cached = i -> resolved.computeIfAbsent(i, resolve::apply);

    if (q.grouping() == TalkerQuery.Grouping.INTERFACE && !q.filtersFlows()) {
      // Interface totals include what no flow holds (unparsed, evicted): the true load of each interface.
      Map<Object, Row> rows = new HashMap<>();
      w.interfaces().forEach((k, v) -> {
        Resolution r = cached.apply(k.ifindex());
        TrafficDirection d = TrafficDirection.of(r.role(), k.direction());
        if (keepInterface(q, r, d)) {
          rows.put(k, new Row(null, null, 0, 0, 0, 0, k.ifindex(), r, domainOf(r), d, v[WindowStats.PACKETS],
              v[WindowStats.BYTES], v[WindowStats.PACKETS]));
        }
      });
      return sortAndLimit(rows, q);
    }

    // One accumulator per group, and Rows (with their addresses) only for the rows returned: a window of a
    // spoofed flood has a group per flow.
    Map<Object, Acc> groups = new HashMap<>();
    FlowWindow flows = w.flowWindow();
    for (int i = 0; i < flows.size(); i++) {
      FlowKey k = flows.key(i);
      long packets = flows.packets(i);
      long bytes = flows.bytes(i);
      Resolution r = cached.apply(k.ifindex());
      TrafficDirection d = TrafficDirection.of(r.role(), k.direction());
      if (!keepInterface(q, r, d) || !keepFlow(q, k)) {
        continue;
      }
      int dir = k.direction().ordinal();
      Object key = switch (q.grouping()) {
        case FLOW -> k;
        case SOURCE -> new SourceKey(k.ifindex(), dir, k.family(), k.saddrHi(), k.saddrLo());
        case DESTINATION_PORT -> new PortKey(k.ifindex(), dir, k.protocol(), k.dport());
        case INTERFACE -> new IfaceKey(k.ifindex(), k.direction());
        case DOMAIN -> {
          Domain dom = domainOf(r);
          yield dom == null ? null : new DomainKey(dom.key(), d);
        }
      };
      if (key == null) {
        continue; // by domain: not a guest's interface
      }
      Acc a = groups.get(key);
      if (a == null) {
        a = new Acc(k, r, d, w.interfacePackets(k.ifindex(), k.direction()));
        groups.put(key, a);
      }
      a.packets += packets;
      a.bytes += bytes;
    }
    List<Row> out = new ArrayList<>();
    Comparator<Acc> order = q.byBytes()
        ? Comparator.<Acc>comparingLong(a -> a.bytes).thenComparingLong(a -> a.packets)
        : Comparator.<Acc>comparingLong(a -> a.packets).thenComparingLong(a -> a.bytes);
    for (Acc a : Busiest.of(groups.values(), q.limit(), order)) {
      out.add(a.row(q.grouping()));
    }
    return out;
  }

  private record SourceKey(int ifindex, int direction, int family, long saddrHi, long saddrLo) {}

  private record PortKey(int ifindex, int direction, int protocol, int dport) {}

  private record DomainKey(String domainKey, TrafficDirection direction) {}

  /** One group's sums, with the first flow that fell into it for the row's identity fields. */
  private static final class Acc {
    final FlowKey first;
    final Resolution resolution;
    final TrafficDirection direction;
    final long interfacePackets;
    long packets;
    long bytes;

    Acc(FlowKey first, Resolution resolution, TrafficDirection direction, long interfacePackets) {
      this.first = first;
      this.resolution = resolution;
      this.direction = direction;
      this.interfacePackets = interfacePackets;
    }

    Row row(TalkerQuery.Grouping grouping) {
      FlowKey k = first;
      Resolution r = resolution;
      return switch (grouping) {
        case FLOW -> new Row(k.sourceAddress(), k.destinationAddress(), k.protocol(), k.sport(), k.dport(), k.vlan(),
            k.ifindex(), r, domainOf(r), direction, packets, bytes, interfacePackets);
        case SOURCE -> new Row(k.sourceAddress(), null, 0, 0, 0, 0, k.ifindex(), r, domainOf(r), direction, packets,
            bytes, interfacePackets);
        case DESTINATION_PORT -> new Row(null, null, k.protocol(), 0, k.dport(), 0, k.ifindex(), r, domainOf(r),
            direction, packets, bytes, interfacePackets);
        case INTERFACE -> new Row(null, null, 0, 0, 0, 0, k.ifindex(), r, domainOf(r), direction, packets, bytes,
            interfacePackets);
        case DOMAIN -> new Row(null, null, 0, 0, 0, 0, 0, null, domainOf(r), direction, packets, bytes, 0);
      };
    }
  }

  private static Domain domainOf(Resolution r) {
    return r != null && r.nic() != null ? r.nic().domain() : null;
  }

  private static boolean keepInterface(TalkerQuery q, Resolution r, TrafficDirection d) {
    if (q.direction() != null && q.direction() != d) {
      return false;
    }
    if (!q.interfaces().isEmpty() && !q.interfaces().contains(r.ifname())) {
      return false;
    }
    if (!q.domains().isEmpty()) {
      Domain dom = domainOf(r);
      return dom != null && (q.domains().contains(dom.name()) || q.domains().contains(dom.uuid())
          || q.domains().contains(Integer.toString(dom.id())));
    }
    return true;
  }

  private static boolean keepFlow(TalkerQuery q, FlowKey k) {
    if (!q.protocols().isEmpty() && !q.protocols().contains(k.protocol())) {
      return false;
    }
    return q.ports().isEmpty() || q.ports().contains(k.sport()) || q.ports().contains(k.dport());
  }

  private static List<Row> sortAndLimit(Map<Object, Row> rows, TalkerQuery q) {
    Comparator<Row> order = q.byBytes()
        ? Comparator.comparingLong(Row::bytes).thenComparingLong(Row::packets)
        : Comparator.comparingLong(Row::packets).thenComparingLong(Row::bytes);
    List<Row> out = new ArrayList<>(rows.values());
    out.sort(order.reversed());
    return out.size() > q.limit() ? new ArrayList<>(out.subList(0, q.limit())) : out;
  }
}
