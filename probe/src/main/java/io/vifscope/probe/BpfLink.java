package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibBpf.BpfLinkPtr;
import io.vifscope.probe.libbpf.LibC;

/**
 * An attachment held by a link: a libbpf {@code struct bpf_link} (tracepoints) or a raw link fd (tcx).
 * Closing it detaches the program; the kernel also detaches when the process dies. Idempotent close.
 */
public final class BpfLink implements AutoCloseable {
  private final String description;
  private BpfLinkPtr libbpfLink;
  private int fd;

  private BpfLink(String description, BpfLinkPtr libbpfLink, int fd) {
    this.description = description;
    this.libbpfLink = libbpfLink;
    this.fd = fd;
  }

  static BpfLink ofLibbpf(BpfLinkPtr link, String description) {
    return new BpfLink(description, link, LibBpf.bpf_link__fd(link));
  }

  /** Takes ownership of a link fd from {@code bpf_link_create}. */
  static BpfLink ofFd(int fd, String description) {
    return new BpfLink(description, null, fd);
  }

  /** The link's fd, or -1 once closed. */
  public synchronized int fd() {
    return fd;
  }

  public synchronized boolean isOpen() {
    return fd >= 0;
  }

  @Override
  public synchronized void close() {
    if (fd < 0) {
      return;
    }
    if (libbpfLink != null) {
      LibBpf.bpf_link__destroy(libbpfLink);
      libbpfLink = null;
    } else {
      LibC.close(fd);
    }
    fd = -1;
  }

  @Override
  public String toString() {
    return "BpfLink[" + description + (fd < 0 ? ", closed" : ", fd=" + fd) + "]";
  }
}
