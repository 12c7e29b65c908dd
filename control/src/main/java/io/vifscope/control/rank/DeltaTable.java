package io.vifscope.control.rank;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A small keyed table of counters in the two tiers of {@link Tiers}: interfaces, softirq vectors, NAPI devices,
 * kernel counters. Each row is a key with {@code width} longs per slot; the first {@code counted} of them come
 * from monotonic counters (their deltas are written each poll), the rest are added directly (the traffic of
 * flows that left the kernel map, for interfaces).
 *
 * <p>These tables hold tens to thousands of rows, so they use plain maps and long cells; the flow table, which
 * holds up to the flow map's size, is {@link FlowTable}. A row whose key is gone from the snapshot keeps its
 * past until no held slot has data for it (and no flow refers to it); then the row goes and is reused.
 */
final class DeltaTable<K> {
  private static final int INITIAL_ROWS = 8;

  private final Tiers tiers;
  private final int width;
  private final int counted;
  private final Map<K, Integer> index = new HashMap<>();

  private int capacity = INITIAL_ROWS;
  private int highWater;
  private int[] freeRows = new int[INITIAL_ROWS];
  private int freeCount;
  private Object[] keys = new Object[INITIAL_ROWS];
  /** Counter values at the poll the row was last seen. */
  private long[] last;
  /** The poll the row was last seen in a snapshot, -1 if never. */
  private long[] seenPoll = new long[INITIAL_ROWS];
  /** The newest interval any slot of the row has non-zero data for. */
  private long[] lastData = new long[INITIAL_ROWS];
  /** Flows pointing at the row (interfaces only): it stays while they exist. */
  private int[] refs = new int[INITIAL_ROWS];
  private final long[][] fine;
  private final long[][] coarse;

  DeltaTable(Tiers tiers, int width, int counted) {
    this.tiers = tiers;
    this.width = width;
    this.counted = counted;
    last = new long[INITIAL_ROWS * Math.max(1, counted)];
    fine = new long[tiers.fineSlots][INITIAL_ROWS * width];
    coarse = new long[tiers.coarseColumns()][INITIAL_ROWS * width];
  }

  /** The row of a key, or -1. */
  int find(K key) {
    Integer r = index.get(key);
    return r == null ? -1 : r;
  }

  /** The row of a key, created (never seen, no data) when missing. */
  int row(K key) {
    Integer r = index.get(key);
    if (r != null) {
      return r;
    }
    int row;
    if (freeCount > 0) {
      row = freeRows[--freeCount];
    } else {
      if (highWater == capacity) {
        grow();
      }
      row = highWater++;
    }
    keys[row] = key;
    seenPoll[row] = -1;
    lastData[row] = 0;
    refs[row] = 0;
    index.put(key, row);
    return row;
  }

  private void grow() {
    int n = capacity * 2;
    freeRows = Arrays.copyOf(freeRows, n);
    keys = Arrays.copyOf(keys, n);
    last = Arrays.copyOf(last, n * Math.max(1, counted));
    seenPoll = Arrays.copyOf(seenPoll, n);
    lastData = Arrays.copyOf(lastData, n);
    refs = Arrays.copyOf(refs, n);
    for (int c = 0; c < fine.length; c++) {
      fine[c] = Arrays.copyOf(fine[c], n * width);
    }
    for (int c = 0; c < coarse.length; c++) {
      coarse[c] = Arrays.copyOf(coarse[c], n * width);
    }
    capacity = n;
  }

  @SuppressWarnings("unchecked")
  K key(int row) {
    return (K) keys[row];
  }

  /** Rows ever used: every row in use is below this. */
  int highWater() {
    return highWater;
  }

  boolean inUse(int row) {
    return keys[row] != null;
  }

  /** True when the newest snapshot had this row's key. */
  boolean seenNow(int row) {
    return seenPoll[row] == tiers.latest();
  }

  /** Zeroes a fine column before the poll that fills it. */
  void openFine(int col) {
    Arrays.fill(fine[col], 0, highWater * width, 0);
  }

  /** Zeroes a coarse column before the slot that fills it. */
  void openCoarse(int col) {
    Arrays.fill(coarse[col], 0, highWater * width, 0);
  }

  /**
   * Records the newest poll's values of a key's counters ({@code counted} of them). The delta is the increase
   * since the previous poll; a key new since then, or a counter that went down (the entry was deleted and
   * created again, or the probe restarted), counts its whole current value. The first poll is only a baseline.
   */
  void observe(K key, long[] current) {
    int r = row(key);
    long poll = tiers.latest();
    boolean continuous = seenPoll[r] == poll - 1;
    int base = r * counted;
    for (int f = 0; f < counted; f++) {
      if (current[f] < last[base + f]) {
        continuous = false;
      }
    }
    if (poll > 0) {
      long[] fc = fine[tiers.fineCol(poll)];
      long[] cc = coarse[tiers.coarseCol(tiers.completed())];
      boolean any = false;
      for (int f = 0; f < counted; f++) {
        long d = continuous ? current[f] - last[base + f] : current[f];
        fc[r * width + f] = d;
        cc[r * width + f] += d;
        any |= d != 0;
      }
      if (any) {
        lastData[r] = poll;
      }
    }
    System.arraycopy(current, 0, last, base, counted);
    seenPoll[r] = poll;
  }

  /** Adds to one field of a fine slot (a flow's past moving to its interface's evicted traffic). */
  void addFine(int col, int row, int field, long v, long interval) {
    fine[col][row * width + field] += v;
    lastData[row] = Math.max(lastData[row], interval);
  }

  /** Adds to one field of a coarse slot; {@code lastInterval} is the slot's last interval. */
  void addCoarse(int col, int row, int field, long v, long lastInterval) {
    coarse[col][row * width + field] += v;
    lastData[row] = Math.max(lastData[row], lastInterval);
  }

  void retain(int row) {
    refs[row]++;
  }

  void release(int row) {
    refs[row]--;
  }

  /** Drops rows that are gone from the snapshot, referenced by no flow, and whose data has aged out. */
  void expire() {
    long oldest = tiers.oldestHeldInterval();
    long poll = tiers.latest();
    for (int r = 0; r < highWater; r++) {
      if (keys[r] != null && seenPoll[r] != poll && refs[r] == 0 && lastData[r] < oldest) {
        // Every held slot of the row is zero already: they were opened after its last data.
        index.remove(keys[r]);
        keys[r] = null;
        freeRows[freeCount++] = r;
      }
    }
  }

  /** The row's fields summed over a window. */
  long[] sum(int row, Tiers.Span span) {
    long[] s = new long[width];
    int base = row * width;
    for (int c : span.fineCols()) {
      for (int f = 0; f < width; f++) {
        s[f] += fine[c][base + f];
      }
    }
    for (int c : span.coarseCols()) {
      for (int f = 0; f < width; f++) {
        s[f] += coarse[c][base + f];
      }
    }
    return s;
  }

  /** Heap held, roughly. */
  long bytes() {
    long b = 64 + Sizes.ints(capacity) * 2 + Sizes.refs(capacity) + Sizes.longs(last.length)
        + Sizes.longs(capacity) * 2 + (long) index.size() * Sizes.MAP_ENTRY;
    b += (long) (fine.length + coarse.length) * Sizes.longs(capacity * width);
    return b;
  }
}
