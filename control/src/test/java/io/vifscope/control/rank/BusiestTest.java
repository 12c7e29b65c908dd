package io.vifscope.control.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The busiest few against a full sort of the same items (distinct values, so the order is unique). */
class BusiestTest {
  @Test
  void agreesWithAFullSort() {
    Random rnd = new Random(42);
    for (int size : new int[] {0, 1, 5, 20, 1_000, 65_536}) {
      List<Long> items = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        items.add(rnd.nextLong());
      }
      List<Long> sorted = new ArrayList<>(items);
      sorted.sort(Comparator.reverseOrder());
      for (int n : new int[] {0, 1, 5, 20, 10_000}) {
        assertEquals(sorted.subList(0, Math.min(n, size)), Busiest.of(items, n, Comparator.<Long>naturalOrder()),
            size + " items, best " + n);
      }
    }
  }
}
