package io.vifscope.probe.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command for a test: an argument vector (never a shell, so names are never re-parsed), stdout and
 * stderr captured apart, {@code LC_ALL=C} for stable output, a timeout. Tests use it for {@code ip},
 * {@code tc} and the lab scripts; cleanup code uses {@link #tryRun} so that one failure does not stop the
 * rest of the cleanup.
 */
public final class Sh {
  /** What a command did. */
  public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** The command line and what it said, for assertion messages. */
    public String describe() {
      return String.join(" ", argv) + " exited " + exitCode
          + (stderr.isBlank() ? "" : ": " + stderr.strip())
          + (stdout.isBlank() ? "" : "\nstdout: " + stdout.strip());
    }
  }

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private Sh() {}

  /** Runs {@code argv} and returns its stdout; fails the test (AssertionError) on a non-zero exit, with stderr. */
  public static String run(String... argv) {
    Result r = tryRun(DEFAULT_TIMEOUT, argv);
    if (!r.ok()) {
      throw new AssertionError(r.describe());
    }
    return r.stdout();
  }

  /** Runs {@code argv} and returns what happened, whatever the exit code. */
  public static Result tryRun(String... argv) {
    return tryRun(DEFAULT_TIMEOUT, argv);
  }

  /**
   * Same with a timeout; a command that outlives it is killed and reported with exit code -1. A command that
   * cannot be started at all (not installed) is reported with exit code 127 and the reason in stderr.
   */
  public static Result tryRun(Duration timeout, String... argv) {
    List<String> cmd = List.of(argv);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("LC_ALL", "C");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result(cmd, 127, "", "cannot start: " + e.getMessage());
    }
    StreamReader out = new StreamReader(p.getInputStream(), "sh-stdout");
    StreamReader err = new StreamReader(p.getErrorStream(), "sh-stderr");
    out.start();
    err.start();
    try {
      boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!exited) {
        p.destroyForcibly().waitFor();
      }
      out.join(5_000); // a grandchild holding the pipe open must not hang the test
      err.join(5_000);
      int code = exited ? p.exitValue() : -1;
      String stderr = err.text() + (exited ? "" : "\n(killed after " + timeout + ")");
      return new Result(cmd, code, out.text(), stderr);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + String.join(" ", cmd), e);
    }
  }

  /** Drains one pipe, so that neither fills and blocks the child. */
  private static final class StreamReader extends Thread {
    private final InputStream in;
    private volatile String text = "";

    StreamReader(InputStream in, String name) {
      super(name);
      setDaemon(true);
      this.in = in;
    }

    @Override
    public void run() {
      try {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        text = "(unreadable: " + e.getMessage() + ")";
      }
    }

    String text() {
      return text;
    }
  }
}
