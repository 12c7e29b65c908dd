package io.vifscope.control.rank;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The busiest few of many: a heap of the best {@code n} seen so far, so that ranking a flood's 65k groups to
 * return twenty costs a pass, not a sort. Used by the talker ranking and the talker series.
 */
public final class Busiest {
  private Busiest() {}

  /**
   * The {@code n} greatest items by {@code order} (greatest = busiest), busiest first; ties in any order.
   */
  public static <T> List<T> of(Iterable<T> items, int n, Comparator<? super T> order) {
    if (n <= 0) {
      return List.of();
    }
    PriorityQueue<T> best = new PriorityQueue<>(Math.min(n, 1024), order);
    for (T t : items) {
      if (best.size() < n) {
        best.add(t);
      } else if (order.compare(t, best.peek()) > 0) {
        best.poll();
        best.add(t);
      }
    }
    List<T> out = new ArrayList<>(best);
    out.sort(order.reversed());
    return out;
  }
}
