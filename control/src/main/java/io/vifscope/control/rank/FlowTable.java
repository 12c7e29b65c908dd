package io.vifscope.control.rank;

import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.IfaceKey;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Per-flow packets and bytes in the two tiers of {@link Tiers}, for exactly the flows present in the kernel's
 * map: the table that decides the agent's memory (65,536 flows is the design point).
 *
 * <p>Layout, chosen for memory and for summing a window fast:
 * <ul>
 *   <li>A flow is a <em>row</em>; every per-flow value is a primitive array indexed by row. Rows are reused
 *       through a free list, and a key-to-row hash index (open addressing, linear probing, backward-shift
 *       deletion) over the kernel's raw key words is kept across polls, so a poll allocates nothing per known
 *       flow: a known flow is found by hashing and comparing six longs, and only a new flow's key is decoded.
 *   <li>Cells are column-major, a {@link SlotCells} per slot: a poll writes one fine column and the open
 *       coarse one, a window adds whole columns into a scratch sum. A column holds only the rows with traffic
 *       in its slot (12 bytes each) until most rows have some, then a cell for every row (8 bytes each): a
 *       flow costs its slots' cells only while it talks, and the table never costs more than a cell per row
 *       and slot. A flood of 65,536 flows that each talk a few seconds a minute costs a few MB of cells,
 *       not the 40 MB that a cell per row and slot would (73 slots with 2 minutes of history).
 *   <li>A cell is an {@code int}, for packets and for bytes. A flow whose packets or bytes in one slot (a coarse
 *       slot is 10 s) do not fit is promoted, for the rest of its life in the map, to a row of {@code long}
 *       cells in a separate <em>wide</em> store (a flow at 100 Gbit/s moves 12.5 GB a second). Wide rows are
 *       few: the wire bounds how many flows can each carry 2 GiB per slot.
 * </ul>
 *
 * <p>Invariant: every cell of a row outside its flow's lifetime is zero. A column is zeroed when its slot
 * starts; when a flow leaves the map, its cells are moved into its interface's evicted traffic and zeroed.
 */
final class FlowTable {
  private static final int INITIAL_ROWS = 1024;
  /** Rows are added in multiples of this. */
  static final int GROWTH_STEP = 4096;
  private static final int INITIAL_WIDE = 4;

  private final Tiers tiers;
  /** Interface table: flows count their interface's row, and leave their past there when evicted. */
  private final DeltaTable<IfaceKey> ifaces;

  private int capacity;
  private int highWater;
  private int size;
  private int[] freeRows;
  private int freeCount;

  /** True for rows that hold a flow. */
  private boolean[] live;
  /**
   * The raw key of each row, {@link FlowCounts#KEY_WORDS} longs per row: the flow's identity. A window decodes
   * the keys it returns; holding a decoded key per row would cost 80 more bytes per flow for as long as it lives.
   */
  private long[] keyWords;
  /** Decodes raw keys (the table is used under its history's lock). */
  private final ByteBuffer keyScratch = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
  private int[] hashes;
  private int[] ifaceRow;
  private long[] lastPackets;
  private long[] lastBytes;
  /** First interval the row may have data for. */
  private long[] firstInterval;
  private long[] seenPoll;
  /** 0: the row's cells are the int ones; else 1 + its index in the wide store. */
  private int[] wideOf;

  /** Hash index: row + 1, 0 for empty; length a power of two, at least twice the capacity. */
  private int[] slots;

  private final SlotCells[] fine;
  private final SlotCells[] coarse;
  /** Row to entry + 1 in the open fine column, and in the open coarse one (see {@link SlotCells}). */
  private int[] fineIndex;
  private int[] coarseIndex;
  /** The coarse column being filled: closed when the next one opens. */
  private int openCoarse;
  /** Rows leaving in this poll, marked for one pass over the columns. */
  private boolean[] gone;
  private int[] goneRows = new int[64];
  private int goneCount;

  private int wideCapacity = INITIAL_WIDE;
  private int wideHighWater;
  private int[] wideFree = new int[INITIAL_WIDE];
  private int wideFreeCount;
  private int[] wideRow = new int[INITIAL_WIDE];
  private final long[][] wFineP;
  private final long[][] wFineB;
  private final long[][] wCoarseP;
  private final long[][] wCoarseB;

  /** Window sums, reused. */
  private long[] sumP;
  private long[] sumB;
  /** Entries of the poll being added that are new flows, kept until vanished rows are freed. Reused. */
  private int[] pending = new int[64];
  private int pendingCount;

  FlowTable(Tiers tiers, DeltaTable<IfaceKey> ifaces) {
    this.tiers = tiers;
    this.ifaces = ifaces;
    fine = new SlotCells[tiers.fineSlots];
    for (int c = 0; c < fine.length; c++) {
      fine[c] = new SlotCells();
    }
    coarse = new SlotCells[tiers.coarseColumns()];
    for (int c = 0; c < coarse.length; c++) {
      coarse[c] = new SlotCells();
    }
    openCoarse = tiers.coarseCol(0);
    wFineP = new long[tiers.fineSlots][INITIAL_WIDE];
    wFineB = new long[tiers.fineSlots][INITIAL_WIDE];
    wCoarseP = new long[tiers.coarseColumns()][INITIAL_WIDE];
    wCoarseB = new long[tiers.coarseColumns()][INITIAL_WIDE];
    resize(INITIAL_ROWS);
  }

  /** Flows present in the newest snapshot. */
  int size() {
    return size;
  }

  /** Zeroes a fine column before the poll that fills it. */
  void openFine(int col) {
    // The previous poll's column, closed: its form and entries start this one.
    SlotCells last = fine[(col + fine.length - 1) % fine.length];
    fine[col].open(last.dense(), last.entries(), capacity, highWater);
    Arrays.fill(wFineP[col], 0, wideHighWater, 0);
    Arrays.fill(wFineB[col], 0, wideHighWater, 0);
  }

  /** Zeroes a coarse column before the slot that fills it. */
  void openCoarse(int col) {
    SlotCells last = coarse[openCoarse];
    last.close(coarseIndex, highWater);
    coarse[col].open(last.dense(), last.entries(), capacity, highWater);
    openCoarse = col;
    Arrays.fill(wCoarseP[col], 0, wideHighWater, 0);
    Arrays.fill(wCoarseB[col], 0, wideHighWater, 0);
  }

  /**
   * Takes the newest poll's flow map. A known flow adds its increase; a flow whose count went down was evicted
   * and inserted again since the last read and adds its whole new count (what it had counted before the
   * eviction since the last read is lost: the interface totals still have it, as unattributed). A new flow
   * adds its whole count: its entry was created since the last read. A flow gone from the map leaves its past
   * to its interface's evicted traffic and its row is freed, before new flows take rows, so the table never
   * holds more rows than the map has entries.
   *
   * <p>A partial poll ({@code complete} false: the kernel's change journal) holds only flows that had packets; a
   * flow missing from it is unchanged, not gone, and keeps its row until a complete poll does not have it. Between
   * complete polls the table may then hold rows of flows the map has evicted.
   *
   * @param mapCapacity the kernel map's size: the table grows toward it, not past it
   * @param complete whether {@code flows} is the whole map
   */
  void update(FlowCounts flows, int mapCapacity, boolean complete) {
    long poll = tiers.latest();
    boolean baseline = poll == 0;
    int fc = tiers.fineCol(poll);
    int cc = tiers.coarseCol(tiers.completed());
    long[] words = flows.keyWords();
    pendingCount = 0;
    for (int i = 0, n = flows.size(); i < n; i++) {
      int off = i * FlowCounts.KEY_WORDS;
      int h = hash(words, off);
      int r = find(words, off, h);
      if (r < 0) {
        if (pendingCount == pending.length) {
          pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = i;
        continue;
      }
      long packets = flows.packets(i);
      long bytes = flows.bytes(i);
      long dp;
      long db;
      if (packets < lastPackets[r] || bytes < lastBytes[r]) {
        dp = packets;
        db = bytes;
      } else {
        dp = packets - lastPackets[r];
        db = bytes - lastBytes[r];
      }
      lastPackets[r] = packets;
      lastBytes[r] = bytes;
      seenPoll[r] = poll;
      if (!baseline && (dp != 0 || db != 0)) {
        record(r, fc, cc, dp, db);
      }
    }
    if (complete) {
      for (int r = 0; r < highWater; r++) {
        if (live[r] && seenPoll[r] != poll) {
          if (goneCount == goneRows.length) {
            goneRows = Arrays.copyOf(goneRows, goneCount * 2);
          }
          goneRows[goneCount++] = r;
          gone[r] = true;
        }
      }
      if (goneCount > 0) {
        vanishGone();
      }
    }
    int needed = size + pendingCount;
    if (needed > capacity) {
      resize(grownCapacity(needed, mapCapacity));
    }
    for (int j = 0; j < pendingCount; j++) {
      int i = pending[j];
      int off = i * FlowCounts.KEY_WORDS;
      int h = hash(words, off);
      if (find(words, off, h) >= 0) {
        continue; // the same entry read twice in one poll (the map holds each key once): counted once
      }
      int r = allocate(words, off, h);
      lastPackets[r] = flows.packets(i);
      lastBytes[r] = flows.bytes(i);
      seenPoll[r] = poll;
      firstInterval[r] = Math.max(1, poll);
      if (!baseline) {
        record(r, fc, cc, flows.packets(i), flows.bytes(i));
      }
    }
    pendingCount = 0;
    fine[fc].close(fineIndex, highWater);
  }

  /**
   * The capacity to grow to for {@code needed} rows: an eighth more, in steps of {@link #GROWTH_STEP} rows,
   * never past the kernel map's size when that holds them. Every row costs about 130 bytes, and 8 more in each
   * dense column (up to 91 at the defaults), so doubling would leave up to half of the table's memory unused.
   */
  static int grownCapacity(int needed, int mapCapacity) {
    long target = (long) needed + needed / 8;
    target = (target + GROWTH_STEP - 1) / GROWTH_STEP * GROWTH_STEP;
    if (mapCapacity >= needed) {
      target = Math.min(target, mapCapacity);
    }
    return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, target));
  }

  /** Writes a flow's delta for the newest interval: its fine cell, and into the coarse slot being filled. */
  private void record(int r, int fc, int cc, long dp, long db) {
    int w = wideOf[r];
    if (w == 0) {
      SlotCells c = coarse[cc];
      long cp = c.packetsOf(r, coarseIndex) + dp;
      long cb = c.bytesOf(r, coarseIndex) + db;
      // Deltas are never negative and the coarse cell holds at least the fine one: checking it suffices.
      if (cp <= Integer.MAX_VALUE && cb <= Integer.MAX_VALUE) {
        fine[fc].add(r, (int) dp, (int) db, fineIndex, capacity);
        c.add(r, (int) dp, (int) db, coarseIndex, capacity);
        return;
      }
      w = promote(r);
    }
    wFineP[fc][w - 1] += dp;
    wFineB[fc][w - 1] += db;
    wCoarseP[cc][w - 1] += dp;
    wCoarseB[cc][w - 1] += db;
  }

  /** Moves a row's cells to long ones; returns 1 + its wide index. */
  private int promote(int r) {
    int w;
    if (wideFreeCount > 0) {
      w = wideFree[--wideFreeCount];
    } else {
      if (wideHighWater == wideCapacity) {
        growWide();
      }
      w = wideHighWater++;
    }
    moveToWide(r, fine, w, wFineP, wFineB);
    moveToWide(r, coarse, w, wCoarseP, wCoarseB);
    wideRow[w] = r;
    wideOf[r] = w + 1;
    return w + 1;
  }

  /** Moves row {@code r}'s int cell in each of a tier's columns to its wide cells {@code w}. */
  private static void moveToWide(int r, SlotCells[] cols, int w, long[][] wideP, long[][] wideB) {
    for (int c = 0; c < cols.length; c++) {
      cols[c].moveRow(r, wideP[c], wideB[c], w);
    }
  }

  private void growWide() {
    int n = wideCapacity * 2;
    wideFree = Arrays.copyOf(wideFree, n);
    wideRow = Arrays.copyOf(wideRow, n);
    for (int c = 0; c < wFineP.length; c++) {
      wFineP[c] = Arrays.copyOf(wFineP[c], n);
      wFineB[c] = Arrays.copyOf(wFineB[c], n);
    }
    for (int c = 0; c < wCoarseP.length; c++) {
      wCoarseP[c] = Arrays.copyOf(wCoarseP[c], n);
      wCoarseB[c] = Arrays.copyOf(wCoarseB[c], n);
    }
    wideCapacity = n;
  }

  /**
   * The flows of the rows in {@code goneRows} left the map: what each counted up to its last read stays in every
   * held slot, as evicted traffic of its interface and direction; its own row goes. One pass over each column
   * serves them all, where a search per row would scan a sparse column once for each.
   */
  private void vanishGone() {
    long poll = tiers.latest();
    for (long i = Math.max(1, poll - tiers.fineSlots + 1); i < poll; i++) {
      long interval = i;
      int c = tiers.fineCol(i);
      fine[c].takeRows(gone, highWater, (r, p, b) -> {
        ifaces.addFine(c, ifaceRow[r], History.IF_EVICTED_PACKETS, p, interval);
        ifaces.addFine(c, ifaceRow[r], History.IF_EVICTED_BYTES, b, interval);
      });
    }
    long k = tiers.coarseFactor;
    for (long j = Math.max(0, tiers.completed() - tiers.coarseSlots); j <= tiers.completed(); j++) {
      long end = (j + 1) * k;
      int c = tiers.coarseCol(j);
      coarse[c].takeRows(gone, highWater, (r, p, b) -> {
        ifaces.addCoarse(c, ifaceRow[r], History.IF_EVICTED_PACKETS, p, end);
        ifaces.addCoarse(c, ifaceRow[r], History.IF_EVICTED_BYTES, b, end);
      });
    }
    for (int g = 0; g < goneCount; g++) {
      int r = goneRows[g];
      gone[r] = false;
      if (wideOf[r] != 0) {
        vanishWide(r, wideOf[r] - 1);
      }
      ifaces.release(ifaceRow[r]);
      unlink(r);
      live[r] = false;
      size--;
      freeRows[freeCount++] = r;
    }
    goneCount = 0;
  }

  /** A wide row's part of {@link #vanishGone}: its long cells, into evicted traffic. */
  private void vanishWide(int r, int w) {
    long poll = tiers.latest();
    int ir = ifaceRow[r];
    for (long i = Math.max(firstInterval[r], poll - tiers.fineSlots + 1); i < poll; i++) {
      int c = tiers.fineCol(i);
      long p = wFineP[c][w];
      long b = wFineB[c][w];
      wFineP[c][w] = 0;
      wFineB[c][w] = 0;
      if (p != 0 || b != 0) {
        ifaces.addFine(c, ir, History.IF_EVICTED_PACKETS, p, i);
        ifaces.addFine(c, ir, History.IF_EVICTED_BYTES, b, i);
      }
    }
    long k = tiers.coarseFactor;
    for (long j = Math.max((firstInterval[r] - 1) / k, tiers.completed() - tiers.coarseSlots);
        j <= tiers.completed(); j++) {
      int c = tiers.coarseCol(j);
      long p = wCoarseP[c][w];
      long b = wCoarseB[c][w];
      wCoarseP[c][w] = 0;
      wCoarseB[c][w] = 0;
      if (p != 0 || b != 0) {
        ifaces.addCoarse(c, ir, History.IF_EVICTED_PACKETS, p, (j + 1) * k);
        ifaces.addCoarse(c, ir, History.IF_EVICTED_BYTES, b, (j + 1) * k);
      }
    }
    wideFree[wideFreeCount++] = w;
    wideOf[r] = 0;
  }

  private int allocate(long[] words, int off, int h) {
    int r = freeCount > 0 ? freeRows[--freeCount] : highWater++;
    live[r] = true;
    System.arraycopy(words, off, keyWords, r * FlowCounts.KEY_WORDS, FlowCounts.KEY_WORDS);
    hashes[r] = h;
    link(r);
    size++;
    FlowKey k = FlowCounts.decode(words, off, keyScratch);
    int ir = ifaces.row(new IfaceKey(k.ifindex(), k.direction()));
    ifaces.retain(ir);
    ifaceRow[r] = ir;
    wideOf[r] = 0;
    return r;
  }

  private void resize(int n) {
    freeRows = freeRows == null ? new int[n] : Arrays.copyOf(freeRows, n);
    live = live == null ? new boolean[n] : Arrays.copyOf(live, n);
    keyWords = keyWords == null ? new long[n * FlowCounts.KEY_WORDS] : Arrays.copyOf(keyWords, n * FlowCounts.KEY_WORDS);
    hashes = hashes == null ? new int[n] : Arrays.copyOf(hashes, n);
    ifaceRow = ifaceRow == null ? new int[n] : Arrays.copyOf(ifaceRow, n);
    lastPackets = lastPackets == null ? new long[n] : Arrays.copyOf(lastPackets, n);
    lastBytes = lastBytes == null ? new long[n] : Arrays.copyOf(lastBytes, n);
    firstInterval = firstInterval == null ? new long[n] : Arrays.copyOf(firstInterval, n);
    seenPoll = seenPoll == null ? new long[n] : Arrays.copyOf(seenPoll, n);
    wideOf = wideOf == null ? new int[n] : Arrays.copyOf(wideOf, n);
    gone = gone == null ? new boolean[n] : Arrays.copyOf(gone, n);
    fineIndex = fineIndex == null ? new int[n] : Arrays.copyOf(fineIndex, n);
    coarseIndex = coarseIndex == null ? new int[n] : Arrays.copyOf(coarseIndex, n);
    for (SlotCells c : fine) {
      c.grow(n);
    }
    for (SlotCells c : coarse) {
      c.grow(n);
    }
    sumP = new long[n];
    sumB = new long[n];
    capacity = n;
    slots = new int[Integer.highestOneBit(Math.max(2, n - 1)) << 2];
    for (int r = 0; r < highWater; r++) {
      if (live[r]) {
        link(r);
      }
    }
  }

  // ---- the key index ---------------------------------------------------------------------------------------

  /** A hash of a raw key's six words (all of them: the padding is zero). */
  private static int hash(long[] w, int off) {
    final long m = 0x9E3779B97F4A7C15L;
    long h = w[off];
    h = h * m + w[off + 1];
    h = h * m + w[off + 2];
    h = h * m + w[off + 3];
    h = h * m + w[off + 4];
    h = h * m + w[off + 5];
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  private int find(long[] w, int off, int h) {
    int mask = slots.length - 1;
    long[] kw = keyWords;
    for (int i = h & mask; ; i = (i + 1) & mask) {
      int s = slots[i];
      if (s == 0) {
        return -1;
      }
      int r = s - 1;
      int b = r * FlowCounts.KEY_WORDS;
      if (hashes[r] == h && kw[b] == w[off] && kw[b + 1] == w[off + 1] && kw[b + 2] == w[off + 2]
          && kw[b + 3] == w[off + 3] && kw[b + 4] == w[off + 4] && kw[b + 5] == w[off + 5]) {
        return r;
      }
    }
  }

  private void link(int r) {
    int mask = slots.length - 1;
    int i = hashes[r] & mask;
    while (slots[i] != 0) {
      i = (i + 1) & mask;
    }
    slots[i] = r + 1;
  }

  /** Removes a row from the index, pulling later entries of its probe run back so no lookup stops early. */
  private void unlink(int r) {
    int mask = slots.length - 1;
    int hole = hashes[r] & mask;
    while (slots[hole] != r + 1) {
      hole = (hole + 1) & mask;
    }
    for (int j = (hole + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
      int home = hashes[slots[j] - 1] & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      boolean homeAfterHole = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!homeAfterHole) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = 0;
  }

  // ---- windows ---------------------------------------------------------------------------------------------

  /**
   * Packets and bytes per flow over a window, for flows with traffic in it.
   *
   * @param packetsByIface filled with the packets of those flows per interface row (for unattributed)
   */
  FlowWindow window(Tiers.Span span, long[] packetsByIface) {
    sumWindow(span);
    int n = 0;
    for (int r = 0; r < highWater; r++) {
      if (live[r] && (sumP[r] != 0 || sumB[r] != 0)) {
        n++;
      }
    }
    FlowKey[] k = new FlowKey[n];
    long[] p = new long[n];
    long[] b = new long[n];
    int i = 0;
    for (int r = 0; r < highWater; r++) {
      if (live[r] && (sumP[r] != 0 || sumB[r] != 0)) {
        k[i] = FlowCounts.decode(keyWords, r * FlowCounts.KEY_WORDS, keyScratch);
        p[i] = sumP[r];
        b[i] = sumB[r];
        packetsByIface[ifaceRow[r]] += sumP[r];
        i++;
      }
    }
    return new FlowWindow(n, k, p, b);
  }

  /** Like {@link #window}, handing each flow with traffic to {@code v} with its raw key: nothing allocated per flow. */
  void visit(Tiers.Span span, long[] packetsByIface, FlowWindow.Visitor v) {
    sumWindow(span);
    for (int r = 0; r < highWater; r++) {
      if (live[r] && (sumP[r] != 0 || sumB[r] != 0)) {
        packetsByIface[ifaceRow[r]] += sumP[r];
        v.flow(keyWords, r * FlowCounts.KEY_WORDS, sumP[r], sumB[r]);
      }
    }
  }

  /** Sums each row's cells over the span into sumP / sumB. */
  private void sumWindow(Tiers.Span span) {
    Arrays.fill(sumP, 0, highWater, 0);
    Arrays.fill(sumB, 0, highWater, 0);
    for (int c : span.fineCols()) {
      fine[c].addTo(sumP, sumB, highWater);
    }
    for (int c : span.coarseCols()) {
      coarse[c].addTo(sumP, sumB, highWater);
    }
    // Wide rows have zero int cells, so they got nothing above.
    for (int w = 0; w < wideHighWater; w++) {
      int r = wideRow[w];
      if (wideOf[r] != w + 1) {
        continue; // free wide index
      }
      for (int c : span.fineCols()) {
        sumP[r] += wFineP[c][w];
        sumB[r] += wFineB[c][w];
      }
      for (int c : span.coarseCols()) {
        sumP[r] += wCoarseP[c][w];
        sumB[r] += wCoarseB[c][w];
      }
    }
  }

  /** Heap held, roughly. */
  long bytes() {
    long perRow = Sizes.ints(capacity) * 6 + 2L * capacity + Sizes.longs(capacity) * (6 + FlowCounts.KEY_WORDS);
    long cells = 0;
    for (SlotCells c : fine) {
      cells += c.heapBytes();
    }
    for (SlotCells c : coarse) {
      cells += c.heapBytes();
    }
    long wide = (long) (wFineP.length + wCoarseP.length) * 2 * Sizes.longs(wideCapacity) + Sizes.ints(wideCapacity) * 2;
    return 256 + perRow + cells + wide + Sizes.ints(slots.length);
  }
}
