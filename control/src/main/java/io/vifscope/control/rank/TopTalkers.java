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
    Map<Object, Row> rows = new HashMap<>();
    Map<Integer, Resolution> resolved = new HashMap<>();
    IntFunction<Resolution> cached = i -> resolved.computeIfAbsent(i, resolve::apply);

    if (q.grouping() == TalkerQuery.Grouping.INTERFACE && !q.filtersFlows()) {
      // Interface totals include what no flow holds (unparsed, evicted): the true load of each interface.
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

    FlowWindow flows = w.flowWindow();
    for (int i = 0; i < flows.size(); i++) {
      FlowKey k = flows.key(i);
      long packets = flows.packets(i);
      long bytes = flows.bytes(i);
      if (packets == 0 && bytes == 0) {
        continue;
      }
      Resolution r = cached.apply(k.ifindex());
      TrafficDirection d = TrafficDirection.of(r.role(), k.direction());
      if (!keepInterface(q, r, d) || !keepFlow(q, k)) {
        continue;
      }
      long ifPackets = w.interfacePackets(k.ifindex(), k.direction());
      switch (q.grouping()) {
        case FLOW -> merge(rows, k, new Row(k.sourceAddress(), k.destinationAddress(), k.protocol(), k.sport(),
            k.dport(), k.vlan(), k.ifindex(), r, domainOf(r), d, packets, bytes, ifPackets));
        case SOURCE -> merge(rows, List.of(k.ifindex(), k.direction(), k.family(), k.saddrHi(), k.saddrLo()),
            new Row(k.sourceAddress(), null, 0, 0, 0, 0, k.ifindex(), r, domainOf(r), d, packets, bytes, ifPackets));
        case DESTINATION_PORT -> merge(rows, List.of(k.ifindex(), k.direction(), k.protocol(), k.dport()),
            new Row(null, null, k.protocol(), 0, k.dport(), 0, k.ifindex(), r, domainOf(r), d, packets, bytes,
                ifPackets));
        case INTERFACE -> merge(rows, new IfaceKey(k.ifindex(), k.direction()),
            new Row(null, null, 0, 0, 0, 0, k.ifindex(), r, domainOf(r), d, packets, bytes, ifPackets));
        case DOMAIN -> {
          Domain dom = domainOf(r);
          if (dom != null) {
            merge(rows, List.of(dom.key(), d),
                new Row(null, null, 0, 0, 0, 0, 0, null, dom, d, packets, bytes, 0));
          }
        }
        default -> throw new IllegalStateException(q.grouping().toString());
      }
    }
    return sortAndLimit(rows, q);
  }

  private static Domain domainOf(Resolution r) {
    return r != null && r.nic() != null ? r.nic().domain() : null;
  }

  private static void merge(Map<Object, Row> rows, Object key, Row add) {
    rows.merge(key, add, (a, b) -> new Row(a.source(), a.destination(), a.protocol(), a.sport(), a.dport(), a.vlan(),
        a.ifindex(), a.resolution(), a.domain(), a.direction(), a.packets() + b.packets(), a.bytes() + b.bytes(),
        a.interfacePackets()));
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
