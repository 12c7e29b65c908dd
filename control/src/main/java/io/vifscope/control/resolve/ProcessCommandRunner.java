package io.vifscope.control.resolve;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs host tools for the domain sources as plain processes: an argument vector (never a shell, so a name read
 * from a guest can never become a command), stdin from /dev/null, {@code LC_ALL=C} so error texts and formats do
 * not depend on the host's locale.
 *
 * <p>A source must never hang or eat memory because a tool misbehaves: the process and every descendant it
 * started are killed when it outlives its timeout or prints more than the caller's cap. Output is read
 * incrementally and never buffered past the cap; stderr is kept to {@value #STDERR_MAX} bytes and the rest
 * drained, so a chatty tool cannot block on a full pipe.
 *
 * <p>The executable is looked up on this runner's PATH (an optional prefix, then the JVM's PATH) by the runner
 * itself: Java would search the JVM's PATH only, and the prefix lets tests and the lab put
 * {@code lab/fixtures/bin} first without touching the JVM's environment. The child gets the same PATH.
 */
public final class ProcessCommandRunner implements CommandRunner {
  private static final System.Logger LOG = System.getLogger(ProcessCommandRunner.class.getName());
  /** stderr kept per run; only its first lines end up in messages. */
  static final int STDERR_MAX = 64 * 1024;
  /** How often a waiting run notes the process's descendants. */
  private static final long POLL_MS = 100;
  private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final File DEV_NULL = new File("/dev/null");
  /** Readers of the child's pipes; daemon threads so that a stuck grandchild never keeps the JVM alive. */
  private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "vifscope-command-reader");
    t.setDaemon(true);
    return t;
  });

  private final List<Path> searchPath;
  private final String pathVariable;
  private final Map<String, String> environment;

  /** A runner that finds commands on the JVM's PATH. */
  public ProcessCommandRunner() {
    this(List.of());
  }

  /** A runner that looks in {@code prefix} (in order) before the JVM's PATH. */
  public ProcessCommandRunner(List<Path> prefix) {
    this(prefix, Map.of());
  }

  /**
   * A runner that looks in {@code prefix} (in order) before the JVM's PATH and adds {@code environment} to the
   * children's environment (e.g. the lab's {@code VIFSCOPE_LAB_RUN}); PATH and LC_ALL stay the runner's.
   */
  public ProcessCommandRunner(List<Path> prefix, Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    String inherited = System.getenv("PATH");
    List<String> parts = new ArrayList<>();
    for (Path p : prefix) {
      parts.add(p.toAbsolutePath().toString());
    }
    parts.add(inherited == null || inherited.isEmpty() ? DEFAULT_PATH : inherited);
    this.pathVariable = String.join(File.pathSeparator, parts);
    List<Path> dirs = new ArrayList<>();
    for (String d : pathVariable.split(File.pathSeparator)) {
      if (d.isEmpty()) {
        continue; // an empty PATH entry means ".": never look up host tools in the working directory
      }
      try {
        dirs.add(Path.of(d));
      } catch (InvalidPathException e) {
        // not a directory we can search
      }
    }
    this.searchPath = List.copyOf(dirs);
  }

  @Override
  public boolean exists(String command) {
    return locate(command) != null;
  }

  @Override
  public Output run(List<String> argv, Duration timeout, int maxBytes) throws SourceException {
    Objects.requireNonNull(timeout);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty argv");
    }
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes < 0");
    }
    String what = describe(argv);
    Path exe = locate(argv.get(0));
    if (exe == null) {
      throw new SourceException(what + ": not found on PATH");
    }
    List<String> command = new ArrayList<>(argv);
    command.set(0, exe.toString());
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
        .redirectOutput(ProcessBuilder.Redirect.PIPE)
        .redirectError(ProcessBuilder.Redirect.PIPE);
    pb.environment().putAll(environment);
    pb.environment().put("LC_ALL", "C");
    pb.environment().put("PATH", pathVariable);

    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new SourceException(what + ": cannot start: " + Names.clean(e.getMessage()), e);
    }
    Set<ProcessHandle> seen = new HashSet<>();
    AtomicBoolean overflow = new AtomicBoolean();
    Future<byte[]> out = READERS.submit(() -> readCapped(p.getInputStream(), maxBytes, () -> {
      overflow.set(true);
      killTree(p, Set.of());
    }));
    Future<byte[]> err = READERS.submit(() -> readCapped(p.getErrorStream(), STDERR_MAX, null));
    try {
      if (!waitFor(p, deadline, seen)) {
        killTree(p, seen);
        throw new SourceException(what + ": timed out after " + human(timeout));
      }
      if (overflow.get()) {
        throw new SourceException(what + ": printed more than " + bytes(maxBytes));
      }
      // The process has exited; its pipes end unless a child it left behind still holds them open.
      byte[] stdout = out.get(remaining(deadline), TimeUnit.NANOSECONDS);
      if (overflow.get()) {
        throw new SourceException(what + ": printed more than " + bytes(maxBytes));
      }
      byte[] stderr = err.get(remaining(deadline), TimeUnit.NANOSECONDS);
      return new Output(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
          new String(stderr, StandardCharsets.UTF_8));
    } catch (TimeoutException e) {
      killTree(p, seen);
      throw new SourceException(what + ": timed out after " + human(timeout)
          + " (a child it left behind kept its output open)");
    } catch (InterruptedException e) {
      killTree(p, seen);
      Thread.currentThread().interrupt();
      throw new SourceException(what + ": interrupted", e);
    } catch (ExecutionException e) {
      killTree(p, seen);
      throw new SourceException(what + ": reading its output failed: " + Names.clean(String.valueOf(e.getCause())),
          e.getCause());
    } finally {
      out.cancel(true);
      err.cancel(true);
      if (p.isAlive()) {
        killTree(p, seen);
      }
    }
  }

  /**
   * Waits for {@code p} until {@code deadline}, noting its descendants every {@link #POLL_MS} ms: a child that
   * outlives its parent is re-parented and can no longer be found from it, but is still killed from this list.
   * The common case (a tool that answers within one slice) never scans the process table.
   */
  private static boolean waitFor(Process p, long deadline, Set<ProcessHandle> seen) throws InterruptedException {
    while (true) {
      long left = remaining(deadline);
      if (p.waitFor(Math.min(left, TimeUnit.MILLISECONDS.toNanos(POLL_MS)), TimeUnit.NANOSECONDS)) {
        return true;
      }
      if (remaining(deadline) == 0) {
        return false;
      }
      try {
        p.descendants().forEach(seen::add);
      } catch (RuntimeException e) {
        // the process table could not be read this time; the next slice tries again
      }
    }
  }

  /** The executable {@code command} names: itself when it holds a slash, else the first match on the PATH. */
  private Path locate(String command) {
    if (command == null || command.isEmpty() || command.indexOf('\0') >= 0) {
      return null;
    }
    try {
      if (command.indexOf('/') >= 0) {
        Path p = Path.of(command);
        return isExecutableFile(p) ? p : null;
      }
      for (Path dir : searchPath) {
        Path p = dir.resolve(command);
        if (isExecutableFile(p)) {
          return p.toAbsolutePath();
        }
      }
    } catch (InvalidPathException e) {
      return null;
    }
    return null;
  }

  private static boolean isExecutableFile(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }

  /**
   * Reads {@code in} to its end, keeping at most {@code cap} bytes. Past the cap, {@code onOverflow} runs (and the
   * read stops) or, when it is null, the rest is drained and dropped.
   */
  private static byte[] readCapped(InputStream in, int cap, Runnable onOverflow) throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream(Math.min(cap, 8192));
    byte[] buf = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buf)) != -1) {
        int room = cap - kept.size();
        if (n > room) {
          kept.write(buf, 0, Math.max(room, 0));
          if (onOverflow != null) {
            onOverflow.run();
            return kept.toByteArray();
          }
          continue; // drained, not kept
        }
        kept.write(buf, 0, n);
      }
    }
    return kept.toByteArray();
  }

  /**
   * Kills {@code p}, every descendant it has now and those {@code seen} earlier. The descendants are listed
   * before the parent dies, since an orphan is re-parented and no longer found from it. A {@link ProcessHandle}
   * carries the process's start time, so a pid reused meanwhile by another process is not killed.
   */
  private static void killTree(Process p, Set<ProcessHandle> seen) {
    Set<ProcessHandle> kids = new HashSet<>(seen);
    try {
      p.descendants().forEach(kids::add);
    } catch (RuntimeException e) {
      // kill what is known
    }
    p.destroyForcibly();
    for (ProcessHandle h : kids) {
      try {
        h.destroyForcibly();
      } catch (RuntimeException e) {
        LOG.log(Level.DEBUG, "could not kill " + h.pid(), e);
      }
    }
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /** The command as messages show it: its argv joined by spaces, control characters escaped, length capped. */
  static String describe(List<String> argv) {
    return Names.clean(String.join(" ", argv));
  }

  /** "2 s", "1500 ms". */
  static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }

  /** "4 MiB", "64 KiB", "1000 bytes". */
  static String bytes(int n) {
    if (n > 0 && n % (1024 * 1024) == 0) {
      return (n / (1024 * 1024)) + " MiB";
    }
    if (n > 0 && n % 1024 == 0) {
      return (n / 1024) + " KiB";
    }
    return n + " bytes";
  }
}
