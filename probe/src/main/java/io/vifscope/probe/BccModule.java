package io.vifscope.probe;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import io.vifscope.probe.bcc.LibBcc;
import io.vifscope.probe.bcc.LibBcc.BccModulePtr;
import io.vifscope.probe.libbpf.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One of the kernel/ sources compiled on this host by BCC (libbcc, through JNA) and its programs loaded: the
 * compatibility loader, for kernels the objects built at build time cannot load on. The source is the very same
 * file (on the classpath under {@code /vifscope/bpf/src/}); compat.h maps its sections, maps and tunables to BCC's
 * forms. Owns its maps and programs: closing it unloads them. Links made from its programs belong to the caller,
 * who closes them first.
 */
public final class BccModule implements Programs {
  /** Where the kernel module's build puts the sources on the classpath. */
  public static final String SOURCE_DIR = BpfObject.RESOURCE_DIR + "src/";
  /** Long enough for clang on a slow dom0 (2-4 s here), short enough that a hang becomes an error. */
  public static final Duration DEFAULT_COMPILE_TIMEOUT = Duration.ofSeconds(60);
  /** Every file of kernel/ a source may include. */
  private static final List<String> HEADERS = List.of("compat.h", "vifscope.h");

  private final String name;
  private BccModulePtr module;
  private final Map<String, BccProgram> programs = new LinkedHashMap<>();

  private BccModule(String name, BccModulePtr module) {
    this.name = name;
    this.module = module;
  }

  /** True when libbcc can be bound here; otherwise {@link #unavailabilityCause()} says why. */
  public static boolean isAvailable() {
    return Availability.CAUSE == null;
  }

  /** Why libbcc cannot be used, or null. */
  public static Throwable unavailabilityCause() {
    return Availability.CAUSE;
  }

  private static final class Availability {
    static final Throwable CAUSE = check();

    private static Throwable check() {
      try {
        // Class initialisation binds libbcc.so.0 and every function declared (UnsatisfiedLinkError if not).
        Class.forName(LibBcc.class.getName(), true, BccModule.class.getClassLoader());
        return null;
      } catch (Throwable t) {
        return t;
      }
    }
  }

  /**
   * Compiles {@code fileName} (e.g. "netdev.bpf.c") from the classpath against this host's kernel headers, with
   * {@code defines} as -D flags (e.g. "VS_FLOW_ENTRIES=65536"). The headers are checked first ({@link
   * KernelHeaders}): a missing tree is an IOException that names it, not a compile error.
   */
  public static BccModule compileSource(String fileName, List<String> defines, Duration timeout) throws IOException {
    requireAvailable();
    KernelHeaders.locate();
    Path dir = Files.createTempDirectory("vifscope-bcc-");
    try {
      for (String h : HEADERS) {
        Files.writeString(dir.resolve(h), resource(h));
      }
      List<String> cflags = new ArrayList<>();
      cflags.add("-I" + dir);
      for (String d : defines) {
        cflags.add("-D" + d);
      }
      return compile(fileName, resource(fileName), cflags, timeout);
    } finally {
      // clang has read the headers once the compile returned (or given up on it).
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String resource(String file) throws IOException {
    try (InputStream in = BccModule.class.getResourceAsStream(SOURCE_DIR + file)) {
      if (in == null) {
        throw new IllegalStateException("BPF source " + SOURCE_DIR + file + " is not on the classpath (run make build)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void requireAvailable() throws IOException {
    if (Availability.CAUSE != null) {
      throw new IOException("libbcc (libbcc.so.0, Debian: libbpfcc) cannot be used: " + Availability.CAUSE,
          Availability.CAUSE);
    }
  }

  /**
   * Compiles C {@code text} with {@code cflags} on its own thread, and gives up after {@code timeout}: a hung
   * compile becomes an error, never a hang of the caller (the thread is left to finish; a module it creates after
   * the timeout is destroyed). A failed compile throws with clang's own diagnostics, file:line included, which
   * libbcc prints to stderr and which are captured here for the duration of the compile.
   *
   * @param name names the module in messages (the file name)
   */
  public static BccModule compile(String name, String text, List<String> cflags, Duration timeout) throws IOException {
    requireAvailable();
    String[] flags = cflags.toArray(new String[0]);
    Object abandonLock = new Object();
    boolean[] abandoned = {false};
    CompletableFuture<Compiled> result = new CompletableFuture<>();
    Thread worker = new Thread(() -> {
      try {
        Compiled c;
        try (StderrCapture cap = StderrCapture.start()) {
          BccModulePtr m;
          try (StringArray argv = new StringArray(flags.length == 0 ? new String[] {""} : flags)) {
            m = LibBcc.bpf_module_create_c_from_string(text, 0, argv, flags.length, true, null);
          } finally {
            LibbpfLog.reinstall();
          }
          cap.restore();
          c = new Compiled(m, cap.text());
        }
        synchronized (abandonLock) {
          if (abandoned[0]) {
            if (c.module != null) {
              LibBcc.bpf_module_destroy(c.module);
            }
            return;
          }
        }
        result.complete(c);
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "vifscope-bcc-compile-" + name);
    worker.setDaemon(true);
    worker.start();
    Compiled c;
    try {
      c = result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      synchronized (abandonLock) {
        abandoned[0] = true;
      }
      StderrCapture.abandon();
      throw new IOException("BCC compile of " + name + " did not finish within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while BCC compiled " + name, e);
    } catch (ExecutionException e) {
      throw new IOException("BCC compile of " + name + " failed: " + e.getCause(), e.getCause());
    }
    if (c.module == null) {
      String diag = c.diagnostics.strip();
      throw new IOException("bpf_module_create_c_from_string(" + name + ") failed"
          + (diag.isEmpty() ? " (libbcc printed nothing)" : ":\n" + diag));
    }
    return new BccModule(name, c.module);
  }

  private record Compiled(BccModulePtr module, String diagnostics) {}

  /**
   * Loads function {@code function} of the module as a program of {@code progType} (LibBcc.BPF_PROG_TYPE_*). A
   * rejection throws with the verifier's log, which libbcc prints to stderr and which is captured here.
   */
  public synchronized BccProgram load(String function, int progType) throws BpfException {
    ensureOpen();
    String call = "bcc_func_load(" + name + ", " + function + ")";
    Pointer insns = LibBcc.bpf_function_start(module, function);
    if (insns == null) {
      throw new IllegalArgumentException("no function " + function + " in " + name);
    }
    long size = LibBcc.bpf_function_size(module, function);
    int fd;
    int errno;
    String log;
    try (StderrCapture cap = StderrCapture.start()) {
      // libbpf's messages reach stderr through libbcc's print function, or our logger when ours is in place.
      LibbpfLog.beginCapture();
      try {
        fd = LibBcc.bcc_func_load(module, progType, function, insns, size, LibBcc.bpf_module_license(module),
            LibBcc.bpf_module_kern_version(module), 0, null, 0, null, -1);
        errno = Native.getLastError();
      } finally {
        String viaLogger = LibbpfLog.endCapture();
        LibbpfLog.reinstall();
        cap.restore();
        log = cap.text() + viaLogger;
      }
    } catch (IOException e) {
      throw BpfException.withLog(call + " (stderr not captured: " + e.getMessage() + ")", Errno.EINVAL, "");
    }
    if (fd < 0) {
      throw BpfException.withLog(call, fd < -1 ? -fd : errno, log);
    }
    BccProgram p = new BccProgram(this, function, fd);
    programs.put(function, p);
    return p;
  }

  /** The fd of map {@code mapName} (owned by the module). */
  public synchronized int mapFd(String mapName) {
    ensureOpen();
    int fd = LibBcc.bpf_table_fd(module, mapName);
    if (fd < 0) {
      throw new IllegalArgumentException("no map " + mapName + " in " + name);
    }
    return fd;
  }

  @Override
  public String name() {
    return name.endsWith(".bpf.c") ? name.substring(0, name.length() - ".bpf.c".length()) : name;
  }

  @Override
  public synchronized LoadedProgram loadedProgram(String function) {
    BccProgram p = programs.get(function);
    if (p == null) {
      throw new IllegalStateException("program " + function + " of " + name + " is not loaded");
    }
    return p;
  }

  @Override
  public synchronized List<LoadedProgram> loaded() {
    return List.copyOf(programs.values());
  }

  @Override
  public MapReader reader(String mapName) {
    try {
      return MapReader.ofFd(mapName, mapFd(mapName));
    } catch (BpfException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private void ensureOpen() {
    if (module == null) {
      throw new IllegalStateException("BCC module " + name + " is closed");
    }
  }

  /** Unloads the programs and frees the maps. Idempotent. */
  @Override
  public synchronized void close() {
    if (module == null) {
      return;
    }
    for (BccProgram p : programs.values()) {
      p.closeFd();
    }
    programs.clear();
    LibBcc.bpf_module_destroy(module); // closes the map fds
    module = null;
  }

  @Override
  public String toString() {
    return "BccModule[" + name + (module == null ? ", closed" : "") + "]";
  }

  /** A program loaded from a {@link BccModule}; the module owns its fd. */
  public static final class BccProgram implements LoadedProgram {
    private final BccModule owner;
    private final String name;
    private int fd;

    private BccProgram(BccModule owner, String name, int fd) {
      this.owner = owner;
      this.name = name;
      this.fd = fd;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public synchronized int fd() {
      if (fd < 0) {
        throw new IllegalStateException("program " + name + " of " + owner.name + " is closed");
      }
      return fd;
    }

    /** Attaches to a classic tracepoint through a perf event (needs tracefs for the event id). The caller owns it. */
    public BpfLink attachTracepoint(String category, String event) throws BpfException {
      String call = "bpf_attach_tracepoint(" + name + ", " + category + "/" + event + ")";
      int pfd = LibBcc.bpf_attach_tracepoint(fd(), category, event);
      int errno = Native.getLastError();
      if (pfd < 0) {
        throw BpfException.of(call, pfd < -1 ? -pfd : errno);
      }
      return BpfLink.ofFd(pfd, call);
    }

    /** Attaches to a raw tracepoint (no tracefs needed). The caller owns the link. */
    public BpfLink attachRawTracepoint(String event) throws BpfException {
      String call = "bpf_attach_raw_tracepoint(" + name + ", " + event + ")";
      int lfd = LibBcc.bpf_attach_raw_tracepoint(fd(), event);
      int errno = Native.getLastError();
      if (lfd < 0) {
        throw BpfException.of(call, lfd < -1 ? -lfd : errno);
      }
      return BpfLink.ofFd(lfd, call);
    }

    private synchronized void closeFd() {
      if (fd >= 0) {
        LibC.close(fd);
        fd = -1;
      }
    }

    @Override
    public String toString() {
      return "BccProgram[" + owner.name + "/" + name + "]";
    }
  }

  /**
   * Points fd 2 at a temporary file while libbcc works, because clang's diagnostics and the verifier log go
   * nowhere else. One capture at a time in the process; meanwhile anything else written to stderr (by any thread)
   * lands in the file too, and so in the error message if the call fails.
   */
  static final class StderrCapture implements AutoCloseable {
    private static final Semaphore ONE = new Semaphore(1);
    private static StderrCapture current;

    private final Path file;
    private final int fileFd;
    private final int saved;
    private boolean restored;

    private StderrCapture(Path file, int fileFd, int saved) {
      this.file = file;
      this.fileFd = fileFd;
      this.saved = saved;
    }

    static StderrCapture start() throws IOException {
      ONE.acquireUninterruptibly();
      try {
        Path file = Files.createTempFile("vifscope-bcc-", ".log");
        int fileFd = LibC.creat(file.toString(), 0600);
        if (fileFd < 0) {
          int errno = Native.getLastError();
          Files.deleteIfExists(file);
          throw new IOException(Errno.failed("creat(" + file + ")", errno));
        }
        System.err.flush();
        int saved = LibC.dup(2);
        if (saved < 0 || LibC.dup2(fileFd, 2) < 0) {
          int errno = Native.getLastError();
          LibC.close(fileFd);
          if (saved >= 0) {
            LibC.close(saved);
          }
          Files.deleteIfExists(file);
          throw new IOException(Errno.failed("dup2(stderr)", errno));
        }
        StderrCapture c = new StderrCapture(file, fileFd, saved);
        synchronized (StderrCapture.class) {
          current = c;
        }
        return c;
      } catch (IOException | RuntimeException e) {
        ONE.release();
        throw e;
      }
    }

    /** Puts stderr back; the first call of this or {@link #abandon()} does it. */
    void restore() {
      synchronized (StderrCapture.class) {
        if (restored) {
          return;
        }
        restored = true;
        LibC.dup2(saved, 2);
        LibC.close(saved);
        LibC.close(fileFd);
        if (current == this) {
          current = null;
        }
      }
      ONE.release();
    }

    /** After a timeout: gives stderr back to the process while the abandoned call may still run. */
    static void abandon() {
      StderrCapture c;
      synchronized (StderrCapture.class) {
        c = current;
      }
      if (c != null) {
        c.restore();
      }
    }

    /** What was written to stderr during the capture. */
    String text() {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(could not read captured stderr: " + e.getMessage() + ")";
      }
    }

    @Override
    public void close() {
      restore();
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }
}
