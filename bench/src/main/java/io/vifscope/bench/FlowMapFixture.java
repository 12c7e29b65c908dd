package io.vifscope.bench;

import com.sun.jna.Memory;
import io.vifscope.probe.BpfException;
import io.vifscope.probe.BpfMap;
import io.vifscope.probe.BpfObject;
import io.vifscope.probe.BpfProgram;
import io.vifscope.probe.FlowJournal;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.libbpf.LibBpf;

/**
 * The agent's flow map, {@code flow_stats} of the built netdev.bpf.o, created with a given number of entries
 * and filled from user space with that many distinct IPv4 flows (the LRU keeps slightly fewer: it evicts
 * a little before it is full). No program of the object is loaded, so nothing runs or is attached: only the
 * maps exist, and they vanish on {@link #close()}.
 *
 * <p>Flow {@code i} has packets {@code 1 + cpu + i % 7} on each possible CPU and bytes 100 times that, so every
 * CPU's slot is non-zero and a reader that sums the slots can be checked against {@link #expectedPackets(int)}.
 */
final class FlowMapFixture implements AutoCloseable {
  private static final int IPPROTO_TCP = 6;
  /** Bytes of one CPU's value: per-CPU values come 8-byte aligned, one slot per possible CPU. */
  private static final int STRIDE = (FlowStats.SIZE + 7) & ~7;

  private final BpfObject object;
  private final BpfMap map;
  private final int cpus;
  private final double fillMs;

  private FlowMapFixture(BpfObject object, BpfMap map, int cpus, double fillMs) {
    this.object = object;
    this.map = map;
    this.cpus = cpus;
    this.fillMs = fillMs;
  }

  /** Opens netdev.bpf.o with {@code flow_stats} sized to {@code entries}, creates its maps and fills it. */
  static FlowMapFixture create(int entries) throws BpfException {
    return create(entries, false);
  }

  /**
   * Like {@link #create(int)}; with {@code journal}, the object's syscall program {@code journal_advance} is
   * loaded too (still nothing attached), so that {@link #journal()} can stand in for the tc programs' appends.
   */
  static FlowMapFixture create(int entries, boolean journal) throws BpfException {
    BpfObject object = BpfObject.open("netdev.bpf.o");
    try {
      for (BpfProgram p : object.programs().values()) {
        p.setAutoload(journal && p.name().equals("journal_advance"));
      }
      BpfMap map = object.map("flow_stats");
      map.setMaxEntries(entries);
      int cpus = LibBpf.libbpf_num_possible_cpus();
      if (cpus <= 0) {
        throw BpfException.of("libbpf_num_possible_cpus()", -cpus);
      }
      object.map("flow_changes").setMaxEntries(FlowJournal.changesCapacity(cpus));
      object.load();
      if (map.keySize() != FlowKey.SIZE || map.valueSize() != FlowStats.SIZE) {
        throw new IllegalStateException("flow_stats has key " + map.keySize() + " B, value " + map.valueSize()
            + " B; the benchmark writes vs_flow_key (" + FlowKey.SIZE + ") and vs_flow_stats (" + FlowStats.SIZE + ")");
      }
      long t0 = System.nanoTime();
      fill(map, entries, cpus);
      double fillMs = (System.nanoTime() - t0) / 1e6;
      return new FlowMapFixture(object, map, cpus, fillMs);
    } catch (BpfException | RuntimeException e) {
      object.close();
      throw e;
    }
  }

  /** Writes flows 0..entries-1, one bpf_map_update_elem each. */
  private static void fill(BpfMap map, int entries, int cpus) throws BpfException {
    int fd = map.fd();
    try (Memory key = new Memory(FlowKey.SIZE); Memory value = new Memory((long) STRIDE * cpus)) {
      for (int i = 0; i < entries; i++) {
        writeKey(key, i);
        for (int c = 0; c < cpus; c++) {
          long packets = 1 + c + i % 7;
          value.setLong((long) c * STRIDE, packets);
          value.setLong((long) c * STRIDE + 8, 100 * packets);
        }
        int rc = BenchBpf.bpf_map_update_elem(fd, key, value, BenchBpf.BPF_NOEXIST);
        if (rc < 0) {
          throw BpfException.of("bpf_map_update_elem(" + map.name() + ", flow " + i + " of " + entries + ")", -rc);
        }
      }
    }
  }

  /**
   * Flow {@code i}: a TCP flow from 10.x.y.z (the three low bytes of i) to 192.0.2.1:443 on one of 16
   * interfaces, in either direction. Distinct for i below 2^24.
   */
  static void writeKey(Memory key, int i) {
    key.clear();
    key.setInt(0, 10 + (i & 15)); // ifindex
    key.setByte(4, (byte) ((i >> 4) & 1)); // direction
    key.setByte(5, (byte) 4); // family
    key.setByte(6, (byte) IPPROTO_TCP);
    key.setShort(10, (short) (1024 + i % 60_000)); // sport
    key.setShort(12, (short) 443); // dport
    key.write(16, new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}, 0, 4); // saddr
    key.write(32, new byte[] {(byte) 192, 0, 2, 1}, 0, 4); // daddr
  }

  /**
   * Asks the kernel for CPU 0's value of flow 0 alone (BPF_F_CPU): 0 when it can copy one CPU's value, else
   * the negative errno (EINVAL on kernels that always copy every possible CPU's value).
   */
  int lookupOneCpu() {
    try (Memory key = new Memory(FlowKey.SIZE); Memory value = new Memory((long) STRIDE * cpus)) {
      writeKey(key, 0);
      return BenchBpf.bpf_map_lookup_elem_flags(map.fd(), key, value, BenchBpf.BPF_F_CPU); // CPU 0: upper bits 0
    }
  }

  BpfMap map() {
    return map;
  }

  /**
   * Writes the keys of flows 0..n-1 into CPU 0's slots of both journal halves, as the tc programs would append
   * them on that CPU (other CPUs' slots stay empty). {@link #pretendChanged} then makes a half hold them.
   */
  void journalFlows(int n) throws BpfException {
    if (n > FlowJournal.SLOTS) {
      throw new IllegalArgumentException(n + " flows do not fit a journal half of " + FlowJournal.SLOTS);
    }
    BpfMap journal = object.map("flow_journal");
    int stride = (FlowKey.SIZE + 7) & ~7;
    try (Memory key = new Memory(FlowKey.SIZE); Memory idx = new Memory(4);
        Memory values = new Memory((long) stride * cpus)) {
      for (int half = 0; half < 2; half++) {
        for (int i = 0; i < n; i++) {
          writeKey(key, i);
          values.clear();
          values.write(0, key.getByteArray(0, FlowKey.SIZE), 0, FlowKey.SIZE);
          idx.setInt(0, half * FlowJournal.SLOTS + i);
          int rc = BenchBpf.bpf_map_update_elem(journal.fd(), idx, values, 0);
          if (rc < 0) {
            throw BpfException.of("bpf_map_update_elem(flow_journal, " + idx.getInt(0) + ")", -rc);
          }
        }
      }
    }
  }

  /**
   * Sets CPU 0's length of journal half {@code half} to {@code n} (nothing read yet), as if flows 0..n-1 had
   * had packets on CPU 0 in the generation that half belongs to.
   */
  void pretendChanged(int half, int n) throws BpfException {
    BpfMap pos = object.map("journal_pos");
    int stride = (FlowJournal.POS_SIZE + 7) & ~7;
    try (Memory idx = new Memory(4); Memory values = new Memory((long) stride * cpus)) {
      values.clear();
      values.setInt(0, n); // CPU 0: len; read = 0
      idx.setInt(0, half);
      int rc = BenchBpf.bpf_map_update_elem(pos.fd(), idx, values, 0);
      if (rc < 0) {
        throw BpfException.of("bpf_map_update_elem(journal_pos, " + half + ")", -rc);
      }
    }
  }

  /** The loaded journal (only after {@code create(entries, true)}); the caller closes it. */
  FlowJournal journal() {
    return new FlowJournal(object.program("journal_advance"), object.map("flow_changes"), cpus);
  }

  /** Possible CPUs: the number of value slots the kernel copies out per entry. */
  int cpus() {
    return cpus;
  }

  /** Packets of flow {@code i} summed over all CPUs, as written. */
  long expectedPackets(int i) {
    long sum = 0;
    for (int c = 0; c < cpus; c++) {
      sum += 1 + c + i % 7;
    }
    return sum;
  }

  /** The {@code i} a key of {@link #writeKey} was written from (the low three bytes of its source address). */
  static int flowIndex(FlowKey key) {
    return (int) (key.saddrHi() >>> 32) & 0xff_ffff;
  }

  /** How long the fill took (one update syscall per flow). */
  double fillMs() {
    return fillMs;
  }

  /** Frees the maps. Idempotent. */
  @Override
  public void close() {
    object.close();
  }
}
