package io.vifscope.control.metrics;

import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.Direction;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.ProbeSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Packets and bytes to and from each domain since the agent started, as counters that only grow.
 *
 * <p>Summing the interface counters of a domain's current interfaces would not do: when a guest reboots, its vif
 * goes and a new one starts from zero, and the sum would fall. So each poll adds what every guest interface
 * counted since the previous poll to the domain that interface belongs to now, the same attribution
 * {@code ListDomains} makes (dom0 transmits toward the guest, receives from it).
 *
 * <p>A domain that has had no guest interface for {@code forgetNanos} is dropped, so that the series of
 * destroyed guests do not pile up. Thread safety: synchronized; the poller adds, the metrics endpoint reads.
 */
public final class DomainCounters {
  /**
   * One domain's totals.
   *
   * @param domain as its interface resolved at the newest poll that saw it
   */
  public record Total(Domain domain, long toGuestPackets, long toGuestBytes, long fromGuestPackets,
      long fromGuestBytes) {}

  private static final int TO_PACKETS = 0;
  private static final int TO_BYTES = 1;
  private static final int FROM_PACKETS = 2;
  private static final int FROM_BYTES = 3;

  private final long forgetNanos;
  private Map<IfaceKey, IfaceStats> previous = new HashMap<>();
  private final Map<String, long[]> totals = new LinkedHashMap<>();
  private final Map<String, Domain> domains = new HashMap<>();
  private final Map<String, Long> lastSeen = new HashMap<>();

  /** @param forgetNanos how long a domain without interfaces keeps its series */
  public DomainCounters(long forgetNanos) {
    this.forgetNanos = forgetNanos;
  }

  /** Adds one poll: the growth of every guest interface's counters since the previous poll. */
  public synchronized void add(ProbeSnapshot s, IntFunction<Resolution> resolve) {
    Map<IfaceKey, IfaceStats> now = s.interfaces() == null ? Map.of() : s.interfaces();
    Map<Integer, Resolution> resolved = new HashMap<>();
    for (Map.Entry<IfaceKey, IfaceStats> e : now.entrySet()) {
      IfaceKey k = e.getKey();
      Resolution r = resolved.computeIfAbsent(k.ifindex(), resolve::apply);
      if (r == null || r.nic() == null) {
        continue; // not a guest's interface
      }
      IfaceStats cur = e.getValue();
      IfaceStats before = previous.get(k);
      // New interface, or counters that went back (the probe re-attached it): all of cur is new traffic.
      boolean fresh = before == null || cur.packets() < before.packets() || cur.bytes() < before.bytes();
      long packets = fresh ? cur.packets() : cur.packets() - before.packets();
      long bytes = fresh ? cur.bytes() : cur.bytes() - before.bytes();
      Domain d = r.nic().domain();
      String key = d.key();
      long[] t = totals.computeIfAbsent(key, x -> new long[4]);
      domains.put(key, d);
      lastSeen.put(key, s.monotonicNanos());
      if (k.direction() == Direction.EGRESS) {
        t[TO_PACKETS] += packets;
        t[TO_BYTES] += bytes;
      } else {
        t[FROM_PACKETS] += packets;
        t[FROM_BYTES] += bytes;
      }
    }
    previous = new HashMap<>(now);
    lastSeen.entrySet().removeIf(e -> {
      boolean gone = s.monotonicNanos() - e.getValue() > forgetNanos;
      if (gone) {
        totals.remove(e.getKey());
        domains.remove(e.getKey());
      }
      return gone;
    });
  }

  /** Every domain's totals, in the order they were first seen. */
  public synchronized List<Total> totals() {
    List<Total> out = new ArrayList<>(totals.size());
    totals.forEach((k, t) -> out.add(new Total(domains.get(k), t[TO_PACKETS], t[TO_BYTES], t[FROM_PACKETS],
        t[FROM_BYTES])));
    return out;
  }
}
