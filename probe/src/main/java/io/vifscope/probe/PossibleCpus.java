package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibBpf;

/** The number of possible CPUs, which sizes every per-CPU map value (not the online count). */
final class PossibleCpus {
  private static volatile int cached;

  private PossibleCpus() {}

  static int count() {
    int n = cached;
    if (n == 0) {
      n = LibBpf.libbpf_num_possible_cpus();
      if (n <= 0) {
        throw new IllegalStateException(Errno.failed("libbpf_num_possible_cpus()", -n));
      }
      cached = n;
    }
    return n;
  }
}
