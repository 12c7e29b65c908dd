package io.vifscope.bench;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.vifscope.probe.libbpf.LibBpf;

/**
 * The few raw libbpf calls the benchmark needs and the agent does not: writing map entries from user space,
 * and a lookup with flags. Direct-mapped to the same system libbpf as the probe's {@link LibBpf}; the same
 * conventions apply (0 or a negative errno).
 */
final class BenchBpf {
  /** BPF_NOEXIST: an update fails with EEXIST when the key is already there. */
  static final long BPF_NOEXIST = 1;
  /**
   * BPF_F_CPU (linux/bpf.h, newer kernels than 6.18): a lookup of a per-CPU map copies only the value of
   * the CPU given in the upper 32 bits of the flags. Older kernels refuse it with EINVAL.
   */
  static final long BPF_F_CPU = 8;

  static {
    Native.register(BenchBpf.class, NativeLibrary.getInstance(LibBpf.LIBRARY));
  }

  private BenchBpf() {}

  static native int bpf_map_update_elem(int fd, Pointer key, Pointer value, long flags);

  static native int bpf_map_lookup_elem_flags(int fd, Pointer key, Pointer value, long flags);
}
