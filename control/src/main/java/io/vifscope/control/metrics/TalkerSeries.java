package io.vifscope.control.metrics;

import io.vifscope.control.rank.Addresses;
import io.vifscope.control.rank.Services;
import io.vifscope.control.rank.FlowWindow;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowCounts;
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

  private TalkerSeries() {}

  /**
   * @param top rows per domain and direction before the rest goes under {@code other} (at least 1)
   * @param maxRows the most rows returned (at least 1)
   */
  public static List<Row> rows(WindowStats w, IntFunction<Resolution> resolve, int top, int maxRows) {
    Aggregator a = new Aggregator();
    a.start(resolve);
    w.flowWindow().visit(a);
    return a.rows(top, maxRows);
  }

  /**
   * Sums a window's flows into talkers as they are handed over ({@link FlowWindow.Visitor}), in primitive arrays
   * reused from one window to the next: a scrape over 65k flows allocates nothing per flow. {@link #start}, then
   * the flows, then {@link #rows}. Not thread-safe.
   *
   * <p>A talker is a flow key without interface, direction and source port (a flood from random ports is one
   * talker, not thousands) within one group: a guest domain and the hook (to or from the guest). Only flows on a
   * guest's interface count.
   */
  public static final class Aggregator implements FlowWindow.Visitor {
    /** Key longs per talker: group, family, protocol and port packed in one; then the two addresses' raw words. */
    private static final int K = 5;
    private static final int NOT_RESOLVED = 0;
    private static final int NOT_A_GUEST = -1;

    private IntFunction<Resolution> resolve;
    /** ifindex → 1 + its domain's index, or NOT_RESOLVED / NOT_A_GUEST. */
    private int[] domainOfIfindex = new int[1024];
    private final List<Domain> domains = new ArrayList<>();
    private final Map<String, Integer> domainIndex = new HashMap<>();

    private int capacity;
    private int size;
    private long[] keys;
    private long[] packets;
    private long[] bytes;
    /** Open addressing over talker indices: index + 1, 0 for empty; a power of two, at least twice the talkers. */
    private int[] slots;

    public Aggregator() {
      allocate(1024);
    }

    /** Empties the aggregator for a new window; interfaces are resolved again, once each, through {@code resolve}. */
    public void start(IntFunction<Resolution> resolve) {
      this.resolve = resolve;
      java.util.Arrays.fill(domainOfIfindex, NOT_RESOLVED);
      domains.clear();
      domainIndex.clear();
      java.util.Arrays.fill(slots, 0);
      size = 0;
    }

    @Override
    public void flow(long[] words, int off, long p, long b) {
      int domain = domainOf(FlowCounts.ifindex(words, off));
      if (domain == NOT_A_GUEST) {
        return;
      }
      int group = 2 * (domain - 1) + FlowCounts.direction(words, off);
      long k0 = ((long) group << 32) | ((long) FlowCounts.family(words, off) << 24)
          | ((long) FlowCounts.protocol(words, off) << 16) | FlowCounts.dport(words, off);
      long s0 = words[off + FlowCounts.SADDR_WORD];
      long s1 = words[off + FlowCounts.SADDR_WORD + 1];
      long d0 = words[off + FlowCounts.DADDR_WORD];
      long d1 = words[off + FlowCounts.DADDR_WORD + 1];
      int t = findOrAdd(k0, s0, s1, d0, d1);
      packets[t] += p;
      bytes[t] += b;
    }

    /**
     * The rows of the window handed over since {@link #start}: per group, busiest domain first, its {@code top}
     * busiest talkers and an {@code other} row for the rest, within {@code maxRows} (see the class comment).
     */
    public List<Row> rows(int top, int maxRows) {
      if (top < 1 || maxRows < 1) {
        throw new IllegalArgumentException("top and maxRows must be positive, got " + top + ", " + maxRows);
      }
      int groups = 2 * domains.size();
      int[] count = new int[groups];
      long[] groupPackets = new long[groups];
      long[] groupBytes = new long[groups];
      long[] domainLoad = new long[domains.size()];
      // Per group its busiest talkers so far, busiest first (top is small: an insertion into a short array).
      int[][] best = new int[groups][];
      for (int t = 0; t < size; t++) {
        int g = group(t);
        count[g]++;
        groupPackets[g] += packets[t];
        groupBytes[g] += bytes[t];
        domainLoad[g / 2] += packets[t];
        if (best[g] == null) {
          best[g] = new int[Math.min(top, 64)];
        }
        offer(best, g, t, count[g], top);
      }

      // Busiest domain first, so that the cap, when it bites, folds the quietest ones.
      List<Integer> order = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        if (count[g] > 0) { // a guest's hook without traffic has no rows
          order.add(g);
        }
      }
      order.sort(Comparator.comparingLong((Integer g) -> domainLoad[g / 2]).reversed()
          .thenComparing(g -> domains.get(g / 2).key()).thenComparing(g -> Direction.values()[g % 2]));

      List<Row> out = new ArrayList<>();
      long restPackets = 0;
      long restBytes = 0;
      boolean folding = false;
      for (int g : order) {
        int own = Math.min(top, count[g]);
        int needed = own + (count[g] > own ? 1 : 0);
        if (!folding && out.size() + needed > maxRows - 1) {
          folding = true; // this group and every quieter one: one row for all of them
        }
        if (folding) {
          restPackets += groupPackets[g];
          restBytes += groupBytes[g];
          continue;
        }
        Domain d = domains.get(g / 2);
        String direction = g % 2 == Direction.EGRESS.ordinal() ? "to_guest" : "from_guest";
        long p = groupPackets[g];
        long b = groupBytes[g];
        for (int i = 0; i < own; i++) {
          int t = best[g][i];
          int family = (int) (keys[t * K] >>> 24) & 0xff;
          out.add(new Row(d, direction,
              Addresses.text(FlowCounts.address(family, keys[t * K + 1], keys[t * K + 2])),
              Addresses.text(FlowCounts.address(family, keys[t * K + 3], keys[t * K + 4])),
              Services.protocolName((int) (keys[t * K] >>> 16) & 0xff),
              Integer.toString((int) keys[t * K] & 0xffff), packets[t], bytes[t]));
          p -= packets[t];
          b -= bytes[t];
        }
        if (count[g] > own) {
          out.add(new Row(d, direction, OTHER, OTHER, OTHER, OTHER, p, b));
        }
      }
      if (folding) {
        out.add(new Row(null, OTHER, OTHER, OTHER, OTHER, OTHER, restPackets, restBytes));
      }
      return out;
    }

    private int group(int t) {
      return (int) (keys[t * K] >>> 32);
    }

    /** Packets, then bytes. */
    private boolean busier(int a, int b) {
      return packets[a] != packets[b] ? packets[a] > packets[b] : bytes[a] > bytes[b];
    }

    /** Offers talker t, the {@code seen}-th of group g, to the group's best {@code top}. */
    private void offer(int[][] best, int g, int t, int seen, int top) {
      int[] list = best[g];
      int held = Math.min(seen - 1, top);
      if (held == top && !busier(t, list[top - 1])) {
        return;
      }
      if (held == list.length && held < top) {
        list = java.util.Arrays.copyOf(list, Math.min(top, list.length * 2));
        best[g] = list;
      }
      int i = Math.min(held, top - 1); // the slot to fill: a free one, or the quietest one's
      while (i > 0 && busier(t, list[i - 1])) {
        list[i] = list[i - 1];
        i--;
      }
      list[i] = t;
    }

    /** 1 + the domain index of a guest's interface, NOT_A_GUEST otherwise; resolved once per interface. */
    private int domainOf(int ifindex) {
      if (ifindex < 0) {
        return NOT_A_GUEST;
      }
      if (ifindex >= domainOfIfindex.length) {
        domainOfIfindex = java.util.Arrays.copyOf(domainOfIfindex, Math.max(ifindex + 1, domainOfIfindex.length * 2));
      }
      int d = domainOfIfindex[ifindex];
      if (d == NOT_RESOLVED) {
        Resolution r = resolve.apply(ifindex);
        if (r == null || r.nic() == null) {
          d = NOT_A_GUEST;
        } else {
          Domain domain = r.nic().domain();
          Integer idx = domainIndex.get(domain.key());
          if (idx == null) {
            idx = domains.size();
            domains.add(domain);
            domainIndex.put(domain.key(), idx);
          }
          d = idx + 1;
        }
        domainOfIfindex[ifindex] = d;
      }
      return d;
    }

    private int findOrAdd(long k0, long s0, long s1, long d0, long d1) {
      int mask = slots.length - 1;
      for (int i = hash(k0, s0, s1, d0, d1) & mask; ; i = (i + 1) & mask) {
        int s = slots[i];
        if (s == 0) {
          if (size == capacity) {
            allocate(capacity * 2);
            return findOrAdd(k0, s0, s1, d0, d1);
          }
          int t = size++;
          keys[t * K] = k0;
          keys[t * K + 1] = s0;
          keys[t * K + 2] = s1;
          keys[t * K + 3] = d0;
          keys[t * K + 4] = d1;
          packets[t] = 0;
          bytes[t] = 0;
          slots[i] = t + 1;
          return t;
        }
        int t = s - 1;
        int b = t * K;
        if (keys[b] == k0 && keys[b + 1] == s0 && keys[b + 2] == s1 && keys[b + 3] == d0 && keys[b + 4] == d1) {
          return t;
        }
      }
    }

    private static int hash(long k0, long s0, long s1, long d0, long d1) {
      final long m = 0x9E3779B97F4A7C15L;
      long h = ((((k0 * m + s0) * m + s1) * m + d0) * m) + d1;
      h ^= h >>> 31;
      h *= 0xBF58476D1CE4E5B9L;
      return (int) (h ^ (h >>> 32));
    }

    /** Grows to {@code n} talkers, keeping the ones held. */
    private void allocate(int n) {
      keys = keys == null ? new long[n * K] : java.util.Arrays.copyOf(keys, n * K);
      packets = packets == null ? new long[n] : java.util.Arrays.copyOf(packets, n);
      bytes = bytes == null ? new long[n] : java.util.Arrays.copyOf(bytes, n);
      capacity = n;
      slots = new int[Integer.highestOneBit(n) << 1]; // at most half full
      int mask = slots.length - 1;
      for (int t = 0; t < size; t++) {
        int b = t * K;
        int i = hash(keys[b], keys[b + 1], keys[b + 2], keys[b + 3], keys[b + 4]) & mask;
        while (slots[i] != 0) {
          i = (i + 1) & mask;
        }
        slots[i] = t + 1;
      }
    }
  }
}
