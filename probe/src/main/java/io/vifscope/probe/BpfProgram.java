package io.vifscope.probe;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibBpf.BpfLinkPtr;
import io.vifscope.probe.libbpf.LibBpf.BpfProgramPtr;

/** A program inside a {@link BpfObject}; the object owns its fd. */
public final class BpfProgram implements LoadedProgram {
  private static final int TEST_RUN_OPTS_SIZE = 80; // sizeof(struct bpf_test_run_opts), libbpf 1.1

  private final BpfObject owner;
  private final BpfProgramPtr handle;
  private final String name;

  BpfProgram(BpfObject owner, BpfProgramPtr handle, String name) {
    this.owner = owner;
    this.handle = handle;
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  /** Whether {@link BpfObject#load()} loads this program; call before loading. */
  public void setAutoload(boolean autoload) throws BpfException {
    owner.ensureOpen();
    BpfException.check(LibBpf.bpf_program__set_autoload(handle, autoload), "bpf_program__set_autoload(" + name + ")");
  }

  /** True when the object is loaded and this program was part of the load (autoload on). */
  public boolean isLoaded() {
    owner.ensureOpen();
    return LibBpf.bpf_program__fd(handle) >= 0;
  }

  /** The program's fd once loaded (owned by the object: do not close it). */
  @Override
  public int fd() {
    owner.ensureOpen();
    int fd = LibBpf.bpf_program__fd(handle);
    if (fd < 0) {
      throw new IllegalStateException("program " + name + " is not loaded");
    }
    return fd;
  }

  /** Attaches to a classic tracepoint (needs tracefs for the event id). The caller owns the link. */
  public BpfLink attachTracepoint(String category, String event) throws BpfException {
    String call = "bpf_program__attach_tracepoint(" + name + ", " + category + "/" + event + ")";
    LibbpfLog.beginCapture();
    BpfLinkPtr link = LibBpf.bpf_program__attach_tracepoint(handle, category, event);
    int errno = Native.getLastError();
    String messages = LibbpfLog.endCapture();
    if (link == null) {
      throw BpfException.withLog(call, errno, messages);
    }
    return BpfLink.ofLibbpf(link, call);
  }

  /** Attaches to a raw tracepoint (no tracefs needed). The caller owns the link. */
  public BpfLink attachRawTracepoint(String event) throws BpfException {
    String call = "bpf_program__attach_raw_tracepoint(" + name + ", " + event + ")";
    LibbpfLog.beginCapture();
    BpfLinkPtr link = LibBpf.bpf_program__attach_raw_tracepoint(handle, event);
    int errno = Native.getLastError();
    String messages = LibbpfLog.endCapture();
    if (link == null) {
      throw BpfException.withLog(call, errno, messages);
    }
    return BpfLink.ofLibbpf(link, call);
  }

  /** The result of one {@link #testRun} of a packet program. */
  public record TestRunResult(int retval, int durationNs) {}

  /**
   * BPF_PROG_TEST_RUN: runs the program once on {@code packet} (an Ethernet frame) with the kernel's
   * test harness, and returns what it returned.
   */
  public TestRunResult testRun(byte[] packet) throws BpfException {
    try (Memory data = new Memory(Math.max(packet.length, 1));
        Memory out = new Memory(Math.max(packet.length, 1) + 256L);
        Memory opts = new Memory(TEST_RUN_OPTS_SIZE)) {
      data.write(0, packet, 0, packet.length);
      opts.clear();
      opts.setLong(0, TEST_RUN_OPTS_SIZE);
      opts.setPointer(8, data);
      opts.setPointer(16, out);
      opts.setInt(24, packet.length);
      opts.setInt(28, (int) out.size());
      opts.setInt(60, 1); // repeat
      int rc = LibBpf.bpf_prog_test_run_opts(fd(), opts);
      BpfException.check(rc, "bpf_prog_test_run_opts(" + name + ", " + packet.length + " bytes)");
      return new TestRunResult(opts.getInt(56), opts.getInt(64));
    }
  }

  /**
   * BPF_PROG_TEST_RUN of a syscall program (BPF_PROG_TYPE_SYSCALL): runs it once with {@code ctx} as its context;
   * the kernel copies the context back into {@code ctx} afterwards. Returns what the program returned.
   */
  public int runSyscall(Memory ctx, Memory opts) throws BpfException {
    if (opts.size() < TEST_RUN_OPTS_SIZE) {
      throw new IllegalArgumentException("opts must hold " + TEST_RUN_OPTS_SIZE + " bytes");
    }
    opts.clear(TEST_RUN_OPTS_SIZE);
    opts.setLong(0, TEST_RUN_OPTS_SIZE);
    opts.setPointer(32, ctx); // ctx_in (and out: a syscall program's context is copied back there)
    opts.setInt(48, (int) ctx.size());
    int rc = LibBpf.bpf_prog_test_run_opts(fd(), opts);
    BpfException.check(rc, "bpf_prog_test_run_opts(" + name + ")");
    return opts.getInt(56);
  }

  /** Options memory for {@link #runSyscall}, allocated once by a caller that runs a program every poll. */
  public static Memory newTestRunOpts() {
    return new Memory(TEST_RUN_OPTS_SIZE);
  }

  @Override
  public String toString() {
    return "BpfProgram[" + owner.name() + "/" + name + "]";
  }
}
