package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibC;

/**
 * BPF run-time statistics (BPF_ENABLE_STATS): while an instance is open the kernel times every BPF program
 * run, which lets the probe report its own cost in ns per run. It costs a little per run itself, so it is
 * off unless asked for. Closing the fd turns it off again (unless someone else holds it on).
 */
public final class BpfStats implements AutoCloseable {
  private int fd;

  private BpfStats(int fd) {
    this.fd = fd;
  }

  public static BpfStats enable() throws BpfException {
    int fd = LibBpf.bpf_enable_stats(LibBpf.BPF_STATS_RUN_TIME);
    if (fd < 0) {
      throw BpfException.of("bpf_enable_stats(BPF_STATS_RUN_TIME)", -fd);
    }
    return new BpfStats(fd);
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LibC.close(fd);
      fd = -1;
    }
  }
}
