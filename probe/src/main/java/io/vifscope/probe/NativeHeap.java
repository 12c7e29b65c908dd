package io.vifscope.probe;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Gives the C heap's free memory back to the kernel. Loading the programs parses the kernel's BTF (several MB,
 * and BCC runs a whole compiler); libbpf and libbcc free that memory afterwards, but glibc keeps freed memory in
 * the process and it stays in the agent's RSS for its whole life. {@code malloc_trim(0)} returns it.
 */
public final class NativeHeap {
  private NativeHeap() {}

  /**
   * Calls glibc's {@code malloc_trim(0)}; returns false where the C library has none (musl), where there is
   * nothing to do.
   */
  public static boolean trim() {
    Function f;
    try {
      f = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("malloc_trim");
    } catch (UnsatisfiedLinkError e) {
      return false;
    }
    f.invokeInt(new Object[] {0L});
    return true;
  }
}
