package io.vifscope.probe;

import java.io.IOException;

/**
 * A failed kernel or libbpf call. The message names the call, its subject and the errno, e.g.
 * {@code bpf_tc_attach(ifindex=7 vif3.0) failed: EEXIST (17)}; a failed load also carries the verifier log.
 */
public final class BpfException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int errno;
  private final String log;

  private BpfException(String message, int errno, String log) {
    super(message);
    this.errno = errno;
    this.log = log == null ? "" : log;
  }

  /** A call that failed with {@code errno} (positive); {@code call} includes its arguments, e.g. "bpf_object__load(netdev)". */
  public static BpfException of(String call, int errno) {
    return new BpfException(Errno.failed(call, errno), errno, "");
  }

  /** Like {@link #of} with the kernel's verifier log or libbpf's messages attached. */
  public static BpfException withLog(String call, int errno, String log) {
    String msg = Errno.failed(call, errno);
    if (log != null && !log.isBlank()) {
      msg += "\n" + log.strip();
    }
    return new BpfException(msg, errno, log);
  }

  /** The same failure with what to do about it appended: {@code <message>: <hint>}. */
  public BpfException withHint(String hint) {
    return new BpfException(getMessage() + ": " + hint, errno, log);
  }

  /** Turns a libbpf {@code int} result (0 or -errno) into an exception. */
  public static void check(int result, String call) throws BpfException {
    if (result < 0) {
      throw of(call, -result);
    }
  }

  /** The positive errno of the failed call. */
  public int errno() {
    return errno;
  }

  /** The verifier log or libbpf messages captured during the call; empty when there were none. */
  public String log() {
    return log;
  }
}
