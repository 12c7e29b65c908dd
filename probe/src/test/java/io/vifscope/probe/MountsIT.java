package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tracefs and bpffs are there after the calls, are left mounted, and a second call mounts nothing more. The
 * truth is {@code /proc/self/mounts} counted here, the file system magic as {@code stat -f} reports it,
 * and what each file system holds.
 */
class MountsIT {
  @BeforeAll
  static void requireRoot() {
    assertEquals("0", Sh.run("id", "-u").strip(), "MountsIT mounts file systems: run it as root (mvn verify)");
  }

  @Test
  void tracefsIsMountedAndStaysMounted() throws IOException {
    Path p = Mounts.ensureTracefs();
    assertEquals(Path.of("/sys/kernel/tracing"), p);
    assertEquals("tracefs", Sh.run("stat", "-f", "-c", "%T", p.toString()).strip());
    assertTrue(Files.isDirectory(p.resolve("events/napi/napi_poll")), "tracefs lists napi:napi_poll");
    int mounts = count("tracefs", p);
    assertEquals(p, Mounts.ensureTracefs());
    assertEquals(mounts, count("tracefs", p), "a second call mounted again");
  }

  @Test
  void bpffsIsMountedAndStaysMounted() throws IOException {
    Path p = Mounts.ensureBpffs();
    assertEquals(Path.of("/sys/fs/bpf"), p);
    assertEquals("bpf_fs", Sh.run("stat", "-f", "-c", "%T", p.toString()).strip());
    int mounts = count("bpf", p);
    assertTrue(mounts >= 1);
    assertEquals(p, Mounts.ensureBpffs());
    assertEquals(mounts, count("bpf", p), "a second call mounted again");
    assertEquals("bpf", Mounts.mountedType(p));
  }

  @Test
  void mountTableParsing() {
    List<String> lines = List.of(
        "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
        "tmpfs /sys/kernel/tracing tmpfs rw 0 0",
        "nodev /sys/kernel/tracing tracefs rw,relatime 0 0",
        "bpf /mnt/with\\040space bpf rw 0 0");
    assertEquals("tracefs", Mounts.mountedType(lines, Path.of("/sys/kernel/tracing")), "the topmost mount counts");
    assertEquals("bpf", Mounts.mountedType(lines, Path.of("/mnt/with space")));
    assertNull(Mounts.mountedType(lines, Path.of("/sys/fs/bpf")));
    assertNull(Mounts.mountedType(lines, Path.of("/sys/kernel")));
  }

  private static int count(String fstype, Path at) throws IOException {
    int n = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length >= 3 && f[1].equals(at.toString()) && f[2].equals(fstype)) {
        n++;
      }
    }
    return n;
  }
}
