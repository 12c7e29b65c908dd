package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibBpf.BpfMapPtr;

/** A map inside a {@link BpfObject}; the object owns its fd. Read it with a {@link MapReader}. */
public final class BpfMap {
  // enum bpf_map_type values (linux/bpf.h UAPI) of the per-CPU kinds: their values come one per possible CPU.
  private static final int PERCPU_HASH = 5;
  private static final int PERCPU_ARRAY = 6;
  private static final int LRU_PERCPU_HASH = 10;
  /** BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: keys are 0..max-1 and always present. */
  private static final int ARRAY = 2;

  private final BpfObject owner;
  private final BpfMapPtr handle;
  private final String name;

  BpfMap(BpfObject owner, BpfMapPtr handle, String name) {
    this.owner = owner;
    this.handle = handle;
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** Sets the number of entries; only before the object is loaded. */
  public void setMaxEntries(int maxEntries) throws BpfException {
    owner.ensureOpen();
    BpfException.check(LibBpf.bpf_map__set_max_entries(handle, maxEntries),
        "bpf_map__set_max_entries(" + name + ", " + maxEntries + ")");
  }

  public int maxEntries() {
    owner.ensureOpen();
    return LibBpf.bpf_map__max_entries(handle);
  }

  public int keySize() {
    owner.ensureOpen();
    return LibBpf.bpf_map__key_size(handle);
  }

  /** Size of one value as the program sees it (one CPU's share for per-CPU maps). */
  public int valueSize() {
    owner.ensureOpen();
    return LibBpf.bpf_map__value_size(handle);
  }

  /** enum bpf_map_type. */
  public int type() {
    owner.ensureOpen();
    return LibBpf.bpf_map__type(handle);
  }

  /** True when each key holds one value per possible CPU. */
  public boolean isPerCpu() {
    int t = type();
    return t == PERCPU_HASH || t == PERCPU_ARRAY || t == LRU_PERCPU_HASH;
  }

  /** True for array maps, whose keys are the indexes 0..maxEntries-1. */
  public boolean isArray() {
    int t = type();
    return t == ARRAY || t == PERCPU_ARRAY;
  }

  /** The map's fd once loaded (owned by the object: do not close it). */
  public int fd() {
    owner.ensureOpen();
    int fd = LibBpf.bpf_map__fd(handle);
    if (fd < 0) {
      throw new IllegalStateException("map " + name + " is not created (object not loaded)");
    }
    return fd;
  }

  BpfMapPtr handle() {
    return handle;
  }

  String objectName() {
    return owner.name();
  }

  @Override
  public String toString() {
    return "BpfMap[" + owner.name() + "/" + name + "]";
  }
}
