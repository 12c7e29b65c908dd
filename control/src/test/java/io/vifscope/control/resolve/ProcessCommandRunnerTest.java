package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner against real processes. Where a test needs a process tree it starts one with {@code sh -c}: the
 * shell is only the test's way to spawn children, the runner itself never uses one.
 */
class ProcessCommandRunnerTest {
  private final ProcessCommandRunner runner = new ProcessCommandRunner();

  @TempDir
  Path tmp;

  @Test
  void runsAnArgumentVectorNotAShellLine() throws Exception {
    CommandRunner.Output out = runner.run(List.of("echo", "$(id)", "a;b", "`x`"), Duration.ofSeconds(5), 1024);
    assertEquals(0, out.exitCode());
    assertEquals("$(id) a;b `x`\n", out.stdout());
  }

  @Test
  void childGetsCLocaleAndAnEmptyStdin() throws Exception {
    CommandRunner.Output env = runner.run(List.of("env"), Duration.ofSeconds(5), 1 << 20);
    assertTrue(env.stdout().lines().anyMatch("LC_ALL=C"::equals), env.stdout());
    // cat reads stdin to its end: /dev/null ends at once, so this returns instead of hanging until the timeout
    CommandRunner.Output cat = runner.run(List.of("cat"), Duration.ofSeconds(5), 1024);
    assertEquals(new CommandRunner.Output(0, "", ""), cat);
  }

  @Test
  void aNonZeroExitIsReturnedWithItsStderr() throws Exception {
    CommandRunner.Output out = runner.run(List.of("sh", "-c", "echo oops >&2; echo partial; exit 3"),
        Duration.ofSeconds(5), 1024);
    assertEquals(new CommandRunner.Output(3, "partial\n", "oops\n"), out);
  }

  @Test
  void aHangingCommandIsKilledAtItsTimeoutWithItsChildren() throws Exception {
    Path pids = tmp.resolve("pids");
    String script = "echo $$ > " + pids + "; sleep 30 & echo $! >> " + pids + "; sleep 30 & echo $! >> " + pids
        + "; wait";
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("sh", "-c", script), Duration.ofSeconds(1), 1024));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.getMessage().endsWith(": timed out after 1 s"), e.getMessage());
    assertTrue(e.getMessage().startsWith("sh -c echo $$ > "), e.getMessage());
    assertTrue(ms < 3000, "took " + ms + " ms");
    List<Long> started = readPids(pids);
    assertEquals(3, started.size(), started.toString());
    for (long pid : started) {
      assertTrue(deadWithin(pid, Duration.ofSeconds(3)), "process " + pid + " still runs");
    }
  }

  @Test
  void aChildLeftHoldingTheOutputDoesNotHangTheRun() throws Exception {
    // sh exits at once, its background sleep keeps stdout open. Two endings are right, and which one happens
    // depends on thread timing: when sh exits before our reader has started its first read, the JDK drains what
    // is buffered and closes its end of the pipe (ProcessImpl's processExited), so the run returns "hi"; when the
    // reader is already blocked in read, the pipe stays open until the timeout. Either way it ends in time.
    long t0 = System.nanoTime();
    try {
      CommandRunner.Output o = runner.run(List.of("sh", "-c", "sleep 3 & echo hi"), Duration.ofSeconds(1), 1024);
      assertEquals("hi\n", o.stdout());
    } catch (SourceException e) {
      assertTrue(e.getMessage().contains("timed out after 1 s"), e.getMessage());
    }
    assertTrue(System.nanoTime() - t0 < 2_500_000_000L, "took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }

  @Test
  void sleepPastTheTimeoutIsReportedByName() {
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("sleep", "30"), Duration.ofSeconds(1), 1024));
    assertEquals("sleep 30: timed out after 1 s", e.getMessage());
    assertTrue(System.nanoTime() - t0 < 3_000_000_000L);
  }

  @Test
  void tenMegabytesOfOutputAreCutAtTheCap() {
    int cap = 4 * 1024 * 1024;
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("head", "-c", "10000000", "/dev/zero"), Duration.ofSeconds(30), cap));
    assertEquals("head -c 10000000 /dev/zero: printed more than 4 MiB", e.getMessage());
    assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the cap, not the timeout, must end it");
  }

  @Test
  void endlessOutputIsKilledAtTheCapNotAtTheTimeout() {
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("yes"), Duration.ofSeconds(30), 1024 * 1024));
    assertEquals("yes: printed more than 1 MiB", e.getMessage());
    assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the cap, not the timeout, must end it");
  }

  @Test
  void outputOfExactlyTheCapIsKept() throws Exception {
    CommandRunner.Output out = runner.run(List.of("head", "-c", "1024", "/dev/zero"), Duration.ofSeconds(5), 1024);
    assertEquals(1024, out.stdout().length());
  }

  @Test
  void stderrIsCappedAndDrainedSoTheCommandFinishes() throws Exception {
    CommandRunner.Output out = runner.run(List.of("sh", "-c", "head -c 1000000 /dev/zero >&2; echo done"),
        Duration.ofSeconds(10), 1024);
    assertEquals("done\n", out.stdout());
    assertEquals(ProcessCommandRunner.STDERR_MAX, out.stderr().length());
  }

  @Test
  void aMissingCommandIsNamed() {
    assertFalse(runner.exists("vifscope-no-such-tool"));
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("vifscope-no-such-tool", "-f", "/x"), Duration.ofSeconds(1), 1024));
    assertEquals("vifscope-no-such-tool -f /x: not found on PATH", e.getMessage());
  }

  @Test
  void thePathPrefixComesFirstForLookupAndForTheChild() throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("vifscope-test-tool"), "#!/bin/sh\necho \"fixture $1\"\necho \"$PATH\" >&2\n");
    Files.writeString(bin.resolve("vifscope-not-executable"), "#!/bin/sh\necho no\n");
    ProcessCommandRunner prefixed = new ProcessCommandRunner(List.of(bin));
    assertTrue(prefixed.exists("vifscope-test-tool"));
    assertFalse(runner.exists("vifscope-test-tool"), "the JVM's own PATH is left alone");
    assertFalse(prefixed.exists("vifscope-not-executable"));
    CommandRunner.Output out = prefixed.run(List.of("vifscope-test-tool", "x"), Duration.ofSeconds(5), 1024);
    assertEquals("fixture x\n", out.stdout());
    assertTrue(out.stderr().startsWith(bin.toAbsolutePath() + ":"), out.stderr());
    assertTrue(prefixed.exists("sh"), "the rest of PATH is still searched");
  }

  @Test
  void extraEnvironmentReachesTheChildButPathAndLocaleStayTheRunners() throws Exception {
    ProcessCommandRunner withEnv = new ProcessCommandRunner(List.of(),
        Map.of("VIFSCOPE_LAB_RUN", "/tmp/state", "LC_ALL", "de_DE.UTF-8"));
    String env = withEnv.run(List.of("env"), Duration.ofSeconds(5), 1 << 20).stdout();
    assertTrue(env.lines().anyMatch("VIFSCOPE_LAB_RUN=/tmp/state"::equals), env);
    assertTrue(env.lines().anyMatch("LC_ALL=C"::equals), env);
  }

  @Test
  void messagesShowTheCommandWithControlCharactersEscaped() {
    SourceException e = assertThrows(SourceException.class,
        () -> runner.run(List.of("no-such\u001b[31m", "x\ny"), Duration.ofSeconds(1), 1024));
    assertEquals("no-such\\x1b[31m x\\x0ay: not found on PATH", e.getMessage());
  }

  private static void script(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static List<Long> readPids(Path pids) throws IOException {
    List<Long> out = new ArrayList<>();
    for (String line : Files.readAllLines(pids, StandardCharsets.US_ASCII)) {
      if (!line.isBlank()) {
        out.add(Long.parseLong(line.strip()));
      }
    }
    return out;
  }

  /**
   * Whether {@code pid} is gone (or a zombie: killed, waiting for a parent that may not reap it in a container)
   * within {@code limit}. Read from /proc, independent of the runner's own bookkeeping.
   */
  private static boolean deadWithin(long pid, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      Path stat = Path.of("/proc", Long.toString(pid), "stat");
      String s;
      try {
        s = Files.readString(stat);
      } catch (IOException e) {
        return true;
      }
      char state = s.charAt(s.lastIndexOf(')') + 2);
      if (state == 'Z' || state == 'X') {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }
}
