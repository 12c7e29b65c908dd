package io.vifscope.probe.bcc;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;

/**
 * Raw bindings to libbcc's C API (Debian's libbpfcc 0.26: {@code libbcc.so.0}), direct-mapped. Only declarations;
 * the signatures are those of bcc 0.26's {@code src/cc/bcc_common.h} and {@code src/cc/libbpf.h}. Conventions are
 * bcc's: pointer calls return NULL on failure (the reason goes to stderr), {@code int} calls return an fd or a
 * negative value with errno set (read it with {@link Native#getLastError()} right after the call).
 *
 * <p>libbcc links the system {@code libbpf.so.1}, the same library {@code LibBpf} binds, so both loaders share
 * one libbpf in the process.
 */
public final class LibBcc {
  /** The shared object bound here. */
  public static final String LIBRARY = "bcc";

  // enum bpf_prog_type (linux/bpf.h): the values are ABI.
  public static final int BPF_PROG_TYPE_SCHED_CLS = 3;
  public static final int BPF_PROG_TYPE_TRACEPOINT = 5;
  public static final int BPF_PROG_TYPE_RAW_TRACEPOINT = 17;

  static {
    Native.register(LibBcc.class, NativeLibrary.getInstance("libbcc.so.0"));
  }

  private LibBcc() {}

  /** A {@code void *} BPF module (bcc's ebpf::BPFModule). */
  public static final class BccModulePtr extends PointerType {
    public BccModulePtr() {}
  }

  /**
   * Compiles {@code text} (C) with bcc's clang into a module: maps are created here, programs are not loaded yet.
   * {@code cflags} ({@code const char *[]}, e.g. a JNA StringArray) are passed to clang as they are. NULL on
   * failure, with clang's diagnostics on stderr.
   */
  public static native BccModulePtr bpf_module_create_c_from_string(String text, int flags, Pointer cflags,
      int ncflags, boolean allowRlimit, String devName);

  public static native void bpf_module_destroy(BccModulePtr module);

  public static native String bpf_module_license(BccModulePtr module);

  public static native int bpf_module_kern_version(BccModulePtr module);

  /** The compiled instructions of function {@code name}, or NULL when the module has no such function. */
  public static native Pointer bpf_function_start(BccModulePtr module, String name);

  /** Size in bytes of the instructions of {@code name}. */
  public static native long bpf_function_size(BccModulePtr module, String name);

  /** The fd of map {@code name} of the module, or negative when there is none. */
  public static native int bpf_table_fd(BccModulePtr module, String name);

  /**
   * Loads one function of the module as a program (what bcc's Python {@code BPF.load_func} calls: it also passes
   * the module's BTF). {@code progLen} is in bytes; {@code attachType} -1 for none. Returns the program fd.
   */
  public static native int bcc_func_load(BccModulePtr module, int progType, String name, Pointer insns, long progLen,
      String license, int kernVersion, int logLevel, Pointer logBuf, int logBufSize, String devName, int attachType);

  /** Attaches a program to a classic tracepoint through a perf event; returns the perf event fd (close detaches). */
  public static native int bpf_attach_tracepoint(int progFd, String category, String name);

  /** BPF_RAW_TRACEPOINT_OPEN; returns the link fd (close detaches). */
  public static native int bpf_attach_raw_tracepoint(int progFd, String name);
}
