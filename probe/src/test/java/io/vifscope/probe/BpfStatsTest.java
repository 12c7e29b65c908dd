package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sysctl fallback of BPF statistics, over files standing in for /proc/sys/kernel/bpf_stats_enabled. */
class BpfStatsTest {
  @TempDir Path dir;

  @Test
  void onlyOneMeansOn() throws IOException {
    Path sysctl = dir.resolve("bpf_stats_enabled");
    Files.writeString(sysctl, "1\n");
    assertTrue(BpfStats.sysctlEnabled(sysctl));
    Files.writeString(sysctl, "0\n");
    assertFalse(BpfStats.sysctlEnabled(sysctl));
    assertFalse(BpfStats.sysctlEnabled(dir.resolve("missing")), "a kernel without the sysctl");
  }
}
