package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * BPF run-time statistics (BPF_ENABLE_STATS): while an instance is open the kernel times every BPF program
 * run, which lets the probe report its own cost in ns per run. It costs a little per run itself, so it is
 * off unless asked for. Closing the fd turns it off again (unless someone else holds it on).
 *
 * <p>BPF_ENABLE_STATS needs CAP_SYS_ADMIN (kernel/bpf/syscall.c, bpf_enable_stats), which an agent running with
 * only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN lacks. The administrator's switch, the sysctl
 * {@code kernel.bpf_stats_enabled=1}, turns on the same statistics for everyone: when it is on, the probe uses
 * it and holds no fd (and turns nothing off on close).
 */
public final class BpfStats implements AutoCloseable {
  static final Path SYSCTL = Path.of("/proc/sys/kernel/bpf_stats_enabled");

  private int fd;

  private BpfStats(int fd) {
    this.fd = fd;
  }

  /**
   * Turns the statistics on, or finds them on through the sysctl when this process may not.
   *
   * @throws BpfException neither: the message says what to grant or set
   */
  public static BpfStats enable() throws BpfException {
    int fd = LibBpf.bpf_enable_stats(LibBpf.BPF_STATS_RUN_TIME);
    if (fd >= 0) {
      return new BpfStats(fd);
    }
    int errno = -fd;
    if (errno == Errno.EPERM) {
      if (sysctlEnabled(SYSCTL)) {
        return new BpfStats(-1); // on for everyone by the administrator: nothing of ours to hold or close
      }
      throw BpfException.of("bpf_enable_stats(BPF_STATS_RUN_TIME)", errno).withHint(
          "BPF statistics need CAP_SYS_ADMIN, or have the administrator run 'sysctl kernel.bpf_stats_enabled=1'");
    }
    throw BpfException.of("bpf_enable_stats(BPF_STATS_RUN_TIME)", errno);
  }

  /** True when the administrator turned the statistics on for everyone ({@code kernel.bpf_stats_enabled=1}). */
  public static boolean enabledBySysctl() {
    return sysctlEnabled(SYSCTL);
  }

  /** True when {@code sysctl} (kernel.bpf_stats_enabled) reads 1; false when it is 0, missing or unreadable. */
  static boolean sysctlEnabled(Path sysctl) {
    try {
      return Files.readString(sysctl).strip().equals("1");
    } catch (IOException e) {
      return false;
    }
  }

  /** True when the statistics are on through the sysctl rather than an fd of ours. */
  public synchronized boolean viaSysctl() {
    return fd == -1;
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LibC.close(fd);
    }
    fd = -2;
  }
}
