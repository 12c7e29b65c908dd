package io.vifscope.control.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** A slot's cells: which form it takes, what it costs, and that every form sums the same. */
class SlotCellsTest {
  static final int CAPACITY = 3_000;

  @Test
  void fewRowsCostTheirEntriesAndMostRowsACellEach() {
    int[] index = new int[CAPACITY];
    SlotCells c = new SlotCells();
    c.open(false, 0, CAPACITY, CAPACITY);
    for (int r = 0; r < 100; r++) {
      c.add(r * 7, 1, 64, index, CAPACITY);
    }
    c.close(index, CAPACITY);
    assertFalse(c.dense());
    assertEquals(100, c.entries());
    assertTrue(c.heapBytes() < 100 * 12 + 100, "trimmed to its entries: " + c.heapBytes());
    assertArrayEquals(new int[CAPACITY], index, "the index is left empty for the next slot");

    c.open(false, 100, CAPACITY, CAPACITY);
    for (int r = 0; r < 2 * CAPACITY / 3; r++) {
      c.add(r, 1, 64, index, CAPACITY);
    }
    assertFalse(c.dense(), "two thirds of the rows: still sparse");
    c.add(2 * CAPACITY / 3, 1, 64, index, CAPACITY);
    assertTrue(c.dense(), "past two thirds: a cell per row");
    c.close(index, CAPACITY);
    assertTrue(c.dense());
    assertTrue(c.heapBytes() <= 8L * CAPACITY + 100, "never more than a cell per row: " + c.heapBytes());

    // Starting dense, with traffic in a third of the rows: sparse again when the slot closes.
    c.open(true, 0, CAPACITY, CAPACITY);
    for (int r = 0; r < CAPACITY / 3; r++) {
      c.add(r * 3, 2, 128, index, CAPACITY);
    }
    c.close(index, CAPACITY);
    assertFalse(c.dense());
    assertEquals(CAPACITY / 3, c.entries());
  }

  @Test
  void everyFormSumsWhatWasAdded() {
    Random rnd = new Random(5);
    for (int round = 0; round < 200; round++) {
      int[] index = new int[CAPACITY];
      SlotCells c = new SlotCells();
      int rows = 1 + rnd.nextInt(CAPACITY);
      c.open(rnd.nextBoolean(), rnd.nextInt(64), CAPACITY, CAPACITY);
      long[] wantP = new long[CAPACITY];
      long[] wantB = new long[CAPACITY];
      for (int i = rnd.nextInt(2 * rows); i > 0; i--) {
        int r = rnd.nextInt(rows);
        int p = 1 + rnd.nextInt(100);
        c.add(r, p, 60 * p, index, CAPACITY);
        wantP[r] += p;
        wantB[r] += 60 * p;
        assertEquals(wantP[r], c.packetsOf(r, index));
      }
      if (rnd.nextBoolean()) {
        c.close(index, CAPACITY);
      }
      long[] sumP = new long[CAPACITY];
      long[] sumB = new long[CAPACITY];
      c.addTo(sumP, sumB, CAPACITY);
      assertArrayEquals(wantP, sumP, "round " + round);
      assertArrayEquals(wantB, sumB, "round " + round);

      // Rows that leave hand over exactly their cells, which are then zero.
      boolean[] gone = new boolean[CAPACITY];
      for (int r = 0; r < rows; r += 1 + rnd.nextInt(5)) {
        gone[r] = true;
      }
      long[] takenP = new long[CAPACITY];
      c.takeRows(gone, CAPACITY, (r, p, b) -> {
        assertTrue(gone[r]);
        takenP[r] += p;
      });
      long[] afterP = new long[CAPACITY];
      long[] afterB = new long[CAPACITY];
      c.addTo(afterP, afterB, CAPACITY);
      for (int r = 0; r < CAPACITY; r++) {
        assertEquals(gone[r] ? wantP[r] : 0, takenP[r], "round " + round + ", row " + r);
        assertEquals(gone[r] ? 0 : wantP[r], afterP[r], "round " + round + ", row " + r);
      }
    }
  }
}
