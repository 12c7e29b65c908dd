package io.vifscope.probe;

import com.sun.jna.Memory;
import io.vifscope.probe.libbpf.LibBpf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a whole map with BPF_MAP_LOOKUP_BATCH into native buffers allocated once and reused: one JNA call
 * per batch, never a syscall per key (key iteration is the fallback for kernels without batch support).
 * A read takes no lock the kernel side waits on and never resets a counter. Not thread-safe: one reader
 * per polling thread.
 */
public final class MapReader implements AutoCloseable {
  /** Entries per batch call; 16k flow entries are about 1.3 MB of buffer on two CPUs. */
  public static final int DEFAULT_BATCH = 16_384;


  /** Receives each entry. Values of a per-CPU map come as {@code cpus} slots {@code valueStride} bytes apart. */
  @FunctionalInterface
  public interface Visitor {
    void entry(ByteBuffer keys, int keyOffset, ByteBuffer values, int valueOffset, int valueStride, int cpus);
  }

  // enum bpf_map_type values (linux/bpf.h UAPI) of the per-CPU kinds, for maps known by fd only.
  private static final int PERCPU_HASH = 5;
  private static final int PERCPU_ARRAY = 6;
  private static final int LRU_PERCPU_HASH = 10;
  private static final int MAP_INFO_SIZE = 88; // sizeof(struct bpf_map_info) up to map_extra, kernel 5.16+

  private final String name;
  private final java.util.function.IntSupplier fd;
  private final int keySize;
  private final int valueStride;
  private final int cpus;
  private final int batch;
  private final Memory keys;
  private final Memory values;
  private final Memory inToken;
  private final Memory outToken;
  private final ByteBuffer keyView;
  private final ByteBuffer valueView;
  private final int[] count = new int[1];
  private boolean batchSupported;
  private boolean closed;

  /** A reader for {@code map} with the default batch size. */
  public MapReader(BpfMap map) {
    this(map, DEFAULT_BATCH);
  }

  public MapReader(BpfMap map, int batchEntries) {
    this(map, batchEntries, true);
  }

  /**
   * {@code useBatch} false forces key iteration, the path for kernels without batch ops (the tests check it
   * reads what batching reads; the benchmark compares the two).
   */
  public MapReader(BpfMap map, int batchEntries, boolean useBatch) {
    this(map.name(), map::fd, map.keySize(), map.valueSize(), map.maxEntries(), map.isPerCpu(), batchEntries, useBatch);
  }

  /**
   * A reader of the map behind {@code fd} (not owned: the caller keeps it open while the reader is used), its sizes
   * and kind taken from the kernel (BPF_OBJ_GET_INFO_BY_FD): for maps that no libbpf object describes, such as
   * BCC's tables.
   */
  public static MapReader ofFd(String name, int fd) throws BpfException {
    try (Memory info = new Memory(MAP_INFO_SIZE)) {
      info.clear();
      int[] len = {MAP_INFO_SIZE};
      BpfException.check(LibBpf.bpf_obj_get_info_by_fd(fd, info, len), "bpf_obj_get_info_by_fd(map " + name + ")");
      int type = info.getInt(0);
      boolean perCpu = type == PERCPU_HASH || type == PERCPU_ARRAY || type == LRU_PERCPU_HASH;
      return new MapReader(name, () -> fd, info.getInt(8), info.getInt(12), info.getInt(16), perCpu, DEFAULT_BATCH,
          true);
    }
  }

  private MapReader(String name, java.util.function.IntSupplier fd, int keySize, int valueSize, int maxEntries,
      boolean perCpu, int batchEntries, boolean useBatch) {
    this.batchSupported = useBatch;
    this.name = name;
    this.fd = fd;
    this.keySize = keySize;
    this.cpus = perCpu ? PossibleCpus.count() : 1;
    // Per-CPU values are laid out 8-byte aligned per CPU by the kernel.
    this.valueStride = perCpu ? (valueSize + 7) & ~7 : valueSize;
    this.batch = Math.max(1, Math.min(batchEntries, maxEntries));
    this.keys = new Memory((long) batch * keySize);
    this.values = new Memory((long) batch * valueStride * cpus);
    this.inToken = new Memory(Math.max(8, keySize));
    this.outToken = new Memory(Math.max(8, keySize));
    this.keyView = keys.getByteBuffer(0, keys.size()).order(ByteOrder.nativeOrder());
    this.valueView = values.getByteBuffer(0, values.size()).order(ByteOrder.nativeOrder());
  }

  /** Number of CPU slots per value (1 for maps that are not per-CPU). */
  public int cpus() {
    return cpus;
  }

  /** False once the kernel refused batch lookups and the reader fell back to key iteration. */
  public boolean usesBatch() {
    return batchSupported;
  }

  /** Reads every entry present now and hands it to {@code visitor}; returns the number of entries. */
  public int read(Visitor visitor) throws BpfException {
    if (closed) {
      throw new IllegalStateException("reader of map " + name + " is closed");
    }
    if (batchSupported) {
      try {
        return readBatched(visitor);
      } catch (BpfException e) {
        if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOTSUPP && e.errno() != Errno.EOPNOTSUPP) {
          throw e;
        }
        // Kernels before 5.6 (and some map types) have no batch ops.
        batchSupported = false;
      }
    }
    return readIterating(visitor);
  }

  private int readBatched(Visitor visitor) throws BpfException {
    int fd = this.fd.getAsInt();
    int total = 0;
    boolean first = true;
    while (true) {
      count[0] = batch;
      int rc = LibBpf.bpf_map_lookup_batch(fd, first ? null : inToken, outToken, keys, values, count, null);
      int err = rc < 0 ? -rc : 0;
      if (err != 0 && err != Errno.ENOENT) {
        if (first) {
          throw BpfException.of("bpf_map_lookup_batch(" + name + ")", err);
        }
        throw BpfException.of("bpf_map_lookup_batch(" + name + ", after " + total + " entries)", err);
      }
      int n = count[0];
      for (int i = 0; i < n; i++) {
        visitor.entry(keyView, i * keySize, valueView, i * valueStride * cpus, valueStride, cpus);
      }
      total += n;
      if (err == Errno.ENOENT) {
        return total;
      }
      inToken.write(0, outToken.getByteArray(0, (int) outToken.size()), 0, (int) outToken.size());
      first = false;
    }
  }

  private int readIterating(Visitor visitor) throws BpfException {
    int fd = this.fd.getAsInt();
    int total = 0;
    // One key and one value slot at the start of the batch buffers.
    boolean first = true;
    while (true) {
      int rc = LibBpf.bpf_map_get_next_key(fd, first ? null : inToken, outToken);
      if (rc < 0) {
        if (-rc == Errno.ENOENT) {
          return total;
        }
        throw BpfException.of("bpf_map_get_next_key(" + name + ")", -rc);
      }
      first = false;
      byte[] k = outToken.getByteArray(0, keySize);
      inToken.write(0, k, 0, keySize);
      keys.write(0, k, 0, keySize);
      rc = LibBpf.bpf_map_lookup_elem(fd, keys, values);
      if (rc < 0) {
        if (-rc == Errno.ENOENT) {
          continue; // deleted (evicted) between the two calls
        }
        throw BpfException.of("bpf_map_lookup_elem(" + name + ")", -rc);
      }
      visitor.entry(keyView, 0, valueView, 0, valueStride, cpus);
      total++;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    keys.close();
    values.close();
    inToken.close();
    outToken.close();
  }
}
