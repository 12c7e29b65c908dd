package io.vifscope.probe;

import com.sun.jna.Memory;
import io.vifscope.probe.libbpf.LibBpf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The user-space half of the kernel's change journal (netdev.bpf.c, {@code journal_advance}): one call per poll
 * turns the flows that had packets since the last poll into entries of a {@link FlowCounts.Builder}, with the
 * same counts a full read of the flow map gives for them, at a cost that follows the changed flows instead of the
 * whole map. It never finds evicted flows: the probe still reads the whole map every few polls (see
 * {@link Probe}), and whenever {@link Advance#overflow()} says changes were lost.
 *
 * <p>Needs the libbpf loader on kernel 5.19 or later (syscall programs, bpf_loop, bpf_map_lookup_percpu_elem).
 * Owns its native buffers; the program and maps belong to the object. Not thread-safe: one per poller.
 */
public final class FlowJournal implements AutoCloseable {
  /** Mirrors {@code VS_JOURNAL_SLOTS}: keys per CPU and half. */
  public static final int SLOTS = 16_384;

  public static final int POS_SIZE = 8;
  public static final Layout POS_LAYOUT = Layout.of("vs_journal_pos", POS_SIZE, "len", 0, "read", 4);

  public static final int RECORD_SIZE = 64;
  private static final int RECORD_PACKETS = 48;
  private static final int RECORD_BYTES = 56;
  public static final Layout RECORD_LAYOUT = Layout.of("vs_flow_record", RECORD_SIZE, "key", 0, "packets",
      RECORD_PACKETS, "bytes", RECORD_BYTES);

  public static final int RUN_SIZE = 32;
  private static final int RUN_NR_CPUS = 0;
  private static final int RUN_SKIP_READ = 4;
  private static final int RUN_GEN = 8;
  private static final int RUN_RECORDS = 12;
  private static final int RUN_OVERFLOW = 16;
  private static final int RUN_LATE = 20;
  private static final int RUN_ABSENT = 24;
  public static final Layout RUN_LAYOUT = Layout.of("vs_journal_run", RUN_SIZE, "nr_cpus", RUN_NR_CPUS,
      "skip_read", RUN_SKIP_READ, "gen", RUN_GEN, "records", RUN_RECORDS, "overflow", RUN_OVERFLOW, "late", RUN_LATE,
      "absent", RUN_ABSENT, "pad", 28);

  /**
   * What one advance did.
   *
   * @param generation the generation counting from now on
   * @param records flows handed over (a flow journaled on two CPUs comes twice, with the same counts)
   * @param overflow changes were lost (a CPU's half or the output was full): the caller must read the whole map
   * @param late records from appends that came after their half had been read
   * @param absent journaled flows already evicted again (a full read accounts for them)
   */
  public record Advance(long generation, int records, boolean overflow, int late, int absent) {}

  /** The capacity flow_changes needs so that it holds every poll's records: one half per CPU, and the late ones. */
  public static int changesCapacity(int cpus) {
    return (cpus + 1) * SLOTS;
  }

  private final BpfProgram program;
  private final BpfMap changes;
  private final int cpus;
  private final Memory ctx = new Memory(RUN_SIZE);
  private final Memory opts = BpfProgram.newTestRunOpts();
  private final Memory keys;
  private final Memory values;
  private final Memory outToken = new Memory(Integer.BYTES);
  private final ByteBuffer valueView;
  private final int[] count = new int[1];
  private boolean closed;

  /**
   * @param program the loaded {@code journal_advance}
   * @param changes the loaded {@code flow_changes}, sized with {@link #changesCapacity}
   * @param cpus possible CPUs
   */
  public FlowJournal(BpfProgram program, BpfMap changes, int cpus) {
    if (changes.valueSize() != RECORD_SIZE) {
      throw new IllegalArgumentException("flow_changes values are " + changes.valueSize() + " bytes, not " + RECORD_SIZE);
    }
    this.program = program;
    this.changes = changes;
    this.cpus = cpus;
    int capacity = changes.maxEntries();
    keys = new Memory((long) capacity * Integer.BYTES);
    values = new Memory((long) capacity * RECORD_SIZE);
    valueView = values.getByteBuffer(0, values.size()).order(ByteOrder.nativeOrder());
  }

  /**
   * Flips the generation and adds the flows journaled in the one that ended to {@code into} (not cleared). With
   * {@code skipRead} it only flips and marks the journal read: for a poll that reads the whole map right after.
   */
  public Advance advance(boolean skipRead, FlowCounts.Builder into) throws BpfException {
    if (closed) {
      throw new IllegalStateException("flow journal is closed");
    }
    ctx.clear();
    ctx.setInt(RUN_NR_CPUS, cpus);
    ctx.setInt(RUN_SKIP_READ, skipRead ? 1 : 0);
    int ret = program.runSyscall(ctx, opts);
    if (ret != 0) {
      throw BpfException.of("journal_advance (returned " + ret + ": no flow_gen entry)", Errno.ENOENT);
    }
    Advance a = new Advance(Integer.toUnsignedLong(ctx.getInt(RUN_GEN)), ctx.getInt(RUN_RECORDS),
        ctx.getInt(RUN_OVERFLOW) != 0, ctx.getInt(RUN_LATE), ctx.getInt(RUN_ABSENT));
    if (a.records() > 0) {
      readRecords(a.records(), into);
    }
    return a;
  }

  /** Reads entries [0, n) of flow_changes: one batched lookup. */
  private void readRecords(int n, FlowCounts.Builder into) throws BpfException {
    count[0] = n;
    int rc = LibBpf.bpf_map_lookup_batch(changes.fd(), null, outToken, keys, values, count, null);
    if (rc < 0 && -rc != Errno.ENOENT) { // ENOENT: the read reached the end of the map (n == capacity)
      throw BpfException.of("bpf_map_lookup_batch(flow_changes, " + n + " entries)", -rc);
    }
    if (count[0] != n) {
      throw new IllegalStateException("bpf_map_lookup_batch(flow_changes) returned " + count[0] + " of " + n + " entries");
    }
    for (int i = 0; i < n; i++) {
      int off = i * RECORD_SIZE;
      into.add(valueView, off, valueView.getLong(off + RECORD_PACKETS), valueView.getLong(off + RECORD_BYTES));
    }
  }

  /** Frees the buffers. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    keys.close();
    values.close();
    outToken.close();
    ctx.close();
    opts.close();
  }
}
