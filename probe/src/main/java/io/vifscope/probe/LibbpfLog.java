package io.vifscope.probe;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibC;
import java.lang.System.Logger.Level;

/**
 * Routes libbpf's messages to {@link System.Logger} ("io.vifscope.probe.libbpf") and lets a caller capture
 * what libbpf says during one call on its thread (attached to the exception when the call fails).
 */
final class LibbpfLog {
  private static final System.Logger LOG = System.getLogger("io.vifscope.probe.libbpf");
  private static final int LINE_MAX = 64 * 1024;
  private static final ThreadLocal<Memory> LINE = ThreadLocal.withInitial(() -> new Memory(LINE_MAX));
  private static final ThreadLocal<StringBuilder> CAPTURE = new ThreadLocal<>();
  // Held for the life of the process: libbpf keeps the native function pointer.
  private static final LibBpf.PrintFn PRINT = LibbpfLog::print;

  static {
    LibBpf.libbpf_set_print(PRINT);
  }

  private LibbpfLog() {}

  /** Installs the callback (idempotent; the class initialiser does the work). */
  static void install() {}

  /**
   * Puts the callback back. libbcc sets libbpf's print function to its own (which writes to stderr) when it
   * compiles and loads; without this, libbpf's messages of every later call, the libbpf loader's included, would
   * bypass the logger and never reach an exception.
   */
  static void reinstall() {
    LibBpf.libbpf_set_print(PRINT);
  }

  /** Starts capturing libbpf's messages on this thread; {@link #endCapture()} returns them. */
  static void beginCapture() {
    CAPTURE.set(new StringBuilder());
  }

  /** Runs a native call whose libbpf messages are expected and only worth DEBUG. */
  static int quietly(java.util.function.IntSupplier call) {
    beginCapture();
    try {
      return call.getAsInt();
    } finally {
      endCapture();
    }
  }

  static String endCapture() {
    StringBuilder sb = CAPTURE.get();
    CAPTURE.remove();
    return sb == null ? "" : sb.toString();
  }

  private static int print(int level, Pointer format, Pointer args) {
    try {
      Memory buf = LINE.get();
      int n = LibC.vsnprintf(buf, LINE_MAX, format, args);
      if (n < 0) {
        return 0;
      }
      String msg = buf.getString(0);
      StringBuilder capture = CAPTURE.get();
      if (capture != null && level <= LibBpf.LIBBPF_INFO) {
        capture.append(msg);
      }
      // While a caller captures, what libbpf says belongs to that call: it travels with the exception if
      // the call fails, and is expected noise otherwise (e.g. a tc query on an interface without clsact).
      Level lvl = switch (level) {
        case LibBpf.LIBBPF_WARN -> capture != null ? Level.DEBUG : Level.WARNING;
        case LibBpf.LIBBPF_INFO -> Level.DEBUG;
        default -> Level.TRACE;
      };
      if (LOG.isLoggable(lvl)) {
        LOG.log(lvl, msg.stripTrailing());
      }
      return n;
    } catch (Throwable t) {
      // Never let an exception cross back into native code.
      return 0;
    }
  }
}
