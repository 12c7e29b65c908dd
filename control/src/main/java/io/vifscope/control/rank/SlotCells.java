package io.vifscope.control.rank;

import java.util.Arrays;

/**
 * One slot's int cells in a {@link FlowTable}: the packets and bytes each row counted in that slot.
 *
 * <p>Most flows are idle in most slots: a flood of short flows touches each one for a second or two of the
 * table's minutes, and even steady talkers pause. So a column starts <em>sparse</em>, three parallel arrays of
 * row, packets and bytes with an entry per row that had traffic (12 bytes each). When more than two thirds of
 * the table's rows have traffic in one slot, 12 bytes an entry would cost more than a cell for every row, and
 * the column turns <em>dense</em>: packets and bytes indexed by row, 8 bytes per row of the table. A dense
 * column stays dense while its tier keeps ending slots with most rows in them, and then reuses its arrays.
 *
 * <p>A column is written only while its slot is open. Its writer lends it an index from row to entry (one per
 * tier, entry + 1, 0 for none), so each row has at most one entry; {@link #close} takes the column's rows out
 * of the index and trims a sparse column to its entries. A row that leaves the table has its entry zeroed, not
 * removed: the entry costs its 12 bytes until the slot is reused, and in an open column the row's next flow
 * counts into it.
 *
 * <p>A cell never exceeds {@link Integer#MAX_VALUE}; the table moves a row that would to its wide store first.
 */
final class SlotCells {
  private static final int[] NONE = {};
  private static final int MIN_ENTRIES = 16;

  /** The row of each sparse entry; null when dense. */
  private int[] rows = NONE;
  /** Packets per sparse entry, or per row when dense. */
  private int[] packets = NONE;
  /** Bytes per sparse entry, or per row when dense. */
  private int[] bytes = NONE;
  /** Sparse entries in use. */
  private int n;

  boolean dense() {
    return rows == null;
  }

  /** Sparse entries, 0 when dense. */
  int entries() {
    return n;
  }

  /**
   * Empties the column for a new slot.
   *
   * @param dense whether to start dense (the tier's previous slot ended dense): a dense column's own arrays are
   *     zeroed and reused
   * @param expected sparse entries to make room for (the previous slot's count)
   * @param capacity the table's rows
   * @param highWater rows ever used: a dense column's cells past it are zero already
   */
  void open(boolean dense, int expected, int capacity, int highWater) {
    n = 0;
    if (dense) {
      if (rows == null && packets.length == capacity) {
        Arrays.fill(packets, 0, highWater, 0);
        Arrays.fill(bytes, 0, highWater, 0);
      } else {
        packets = new int[capacity];
        bytes = new int[capacity];
        rows = null;
      }
    } else {
      int room = Math.max(MIN_ENTRIES, expected);
      rows = new int[room];
      packets = new int[room];
      bytes = new int[room];
    }
  }

  /** Row {@code r}'s packets in an open column ({@code index}: the tier's). */
  long packetsOf(int r, int[] index) {
    if (rows == null) {
      return packets[r];
    }
    int e = index[r] - 1;
    return e < 0 ? 0 : packets[e];
  }

  /** Row {@code r}'s bytes in an open column. */
  long bytesOf(int r, int[] index) {
    if (rows == null) {
      return bytes[r];
    }
    int e = index[r] - 1;
    return e < 0 ? 0 : bytes[e];
  }

  /**
   * Adds to row {@code r}'s cell in an open column. The caller has checked that the sums fit in an int.
   *
   * @param capacity the table's rows: past two thirds of it in entries, the column turns dense
   */
  void add(int r, int dp, int db, int[] index, int capacity) {
    if (rows == null) {
      packets[r] += dp;
      bytes[r] += db;
      return;
    }
    int e = index[r] - 1;
    if (e >= 0) {
      packets[e] += dp;
      bytes[e] += db;
      return;
    }
    if ((n + 1) * 3L > capacity * 2L) {
      densify(index, capacity);
      packets[r] += dp;
      bytes[r] += db;
      return;
    }
    if (n == rows.length) {
      int room = Math.max(MIN_ENTRIES, n + (n >> 1));
      rows = Arrays.copyOf(rows, room);
      packets = Arrays.copyOf(packets, room);
      bytes = Arrays.copyOf(bytes, room);
    }
    rows[n] = r;
    packets[n] = dp;
    bytes[n] = db;
    index[r] = ++n;
  }

  private void densify(int[] index, int capacity) {
    int[] p = new int[capacity];
    int[] b = new int[capacity];
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      p[r] = packets[i];
      b[r] = bytes[i];
      index[r] = 0;
    }
    rows = null;
    packets = p;
    bytes = b;
    n = 0;
  }

  /**
   * Ends the slot's writes: the column's rows leave the tier's index, and a sparse column keeps only its entries.
   * A dense column in which fewer than half the rows had traffic turns sparse again (turning dense takes two
   * thirds, so a tier near the line does not switch every slot).
   *
   * @param highWater rows ever used
   */
  void close(int[] index, int highWater) {
    if (rows == null) {
      int used = 0;
      for (int r = 0; r < highWater; r++) {
        if (packets[r] != 0 || bytes[r] != 0) {
          used++;
        }
      }
      if (used * 2L < packets.length) {
        sparsify(used, highWater);
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      index[rows[i]] = 0;
    }
    if (rows.length != n) {
      rows = Arrays.copyOf(rows, n);
      packets = Arrays.copyOf(packets, n);
      bytes = Arrays.copyOf(bytes, n);
    }
  }

  private void sparsify(int used, int highWater) {
    int[] rs = new int[used];
    int[] p = new int[used];
    int[] b = new int[used];
    int e = 0;
    for (int r = 0; r < highWater; r++) {
      if (packets[r] != 0 || bytes[r] != 0) {
        rs[e] = r;
        p[e] = packets[r];
        b[e] = bytes[r];
        e++;
      }
    }
    rows = rs;
    packets = p;
    bytes = b;
    n = used;
  }

  /** The table grew to {@code capacity} rows. */
  void grow(int capacity) {
    if (rows == null && packets.length < capacity) {
      packets = Arrays.copyOf(packets, capacity);
      bytes = Arrays.copyOf(bytes, capacity);
    }
  }

  /** Adds every cell into per-row sums. */
  void addTo(long[] sumP, long[] sumB, int highWater) {
    if (rows == null) {
      int[] p = packets;
      int[] b = bytes;
      for (int r = 0; r < highWater; r++) {
        sumP[r] += p[r];
        sumB[r] += b[r];
      }
    } else {
      for (int i = 0; i < n; i++) {
        int r = rows[i];
        sumP[r] += packets[i];
        sumB[r] += bytes[i];
      }
    }
  }

  /**
   * Moves row {@code r}'s cell out, into {@code wideP[w]} and {@code wideB[w]} (0 if it has none), and zeroes it.
   * A sparse column is scanned for the row: for a flow promoted to long cells, rare, not per packet.
   */
  void moveRow(int r, long[] wideP, long[] wideB, int w) {
    int at = r;
    if (rows != null) {
      at = -1;
      for (int i = 0; i < n && at < 0; i++) {
        if (rows[i] == r) {
          at = i;
        }
      }
    }
    wideP[w] = at < 0 ? 0 : packets[at];
    wideB[w] = at < 0 ? 0 : bytes[at];
    if (at >= 0) {
      packets[at] = 0;
      bytes[at] = 0;
    }
  }

  /** Receives the cells of rows that leave the table. */
  interface Sink {
    void cell(int row, int packets, int bytes);
  }

  /** Hands each non-zero cell of a row marked in {@code gone} to {@code sink}, and zeroes it. */
  void takeRows(boolean[] gone, int highWater, Sink sink) {
    if (rows == null) {
      for (int r = 0; r < highWater; r++) {
        if (gone[r] && (packets[r] != 0 || bytes[r] != 0)) {
          sink.cell(r, packets[r], bytes[r]);
          packets[r] = 0;
          bytes[r] = 0;
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        if (gone[rows[i]] && (packets[i] != 0 || bytes[i] != 0)) {
          sink.cell(rows[i], packets[i], bytes[i]);
          packets[i] = 0;
          bytes[i] = 0;
        }
      }
    }
  }

  /** Heap held. */
  long heapBytes() {
    return 32 + (rows == null ? 0 : Sizes.ints(rows.length)) + Sizes.ints(packets.length) + Sizes.ints(bytes.length);
  }
}
