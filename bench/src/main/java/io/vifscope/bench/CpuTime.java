package io.vifscope.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Busy CPU time of the whole machine, all CPUs, from /proc/stat: user, nice, system, irq, softirq and steal
 * (guest time is already inside user). The fair measure of a packet's cost here: the sender and the receive
 * softirq share the CPUs, and this kernel samples softirq time by tick.
 */
final class CpuTime {
  /** /proc/stat counts in USER_HZ, 100 on Linux/x86. */
  static final int USER_HZ = 100;

  private CpuTime() {}

  /** Busy seconds since boot, summed over CPUs. */
  static double busySeconds() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/stat"))) {
      if (l.startsWith("cpu ")) {
        String[] f = l.trim().split("\\s+");
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long irq = Long.parseLong(f[6]);
        long softirq = Long.parseLong(f[7]);
        long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
        return (user + nice + system + irq + softirq + steal) / (double) USER_HZ;
      }
    }
    throw new IOException("no cpu line in /proc/stat");
  }
}
