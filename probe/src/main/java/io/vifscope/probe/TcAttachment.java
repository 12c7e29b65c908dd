package io.vifscope.probe;

import com.sun.jna.Memory;
import io.vifscope.probe.libbpf.LibBpf;

/**
 * The ingress and egress programs attached to one interface, as tcx links or as clsact direct-action
 * filters. Closing detaches both; on the clsact path the clsact qdisc is removed only when this attachment
 * created it. tcx links die with the process; clsact filters outlive it, which is why {@link TcSweeper}
 * exists and why our filters carry a fixed handle and priority that mark them as ours.
 */
public final class TcAttachment implements AutoCloseable {
  /** How programs are hooked into tc. */
  public enum Mode {
    /** bpf_link_create with BPF_TCX_INGRESS/EGRESS (kernel 6.6+): owned by an fd, gone on exit. */
    TCX,
    /** A clsact qdisc with cls_bpf direct-action filters (any kernel with clsact): outlives the process. */
    CLSACT
  }

  /** Filter handle of every clsact filter vifscope creates ("vs" in ASCII); with {@link #PRIORITY}, our mark. */
  public static final int HANDLE = 0x7673;
  /** Filter priority of every clsact filter vifscope creates. */
  public static final int PRIORITY = 0x7673;

  static final int TC_HOOK_SIZE = 24; // sizeof(struct bpf_tc_hook)
  static final int TC_OPTS_SIZE = 32; // sizeof(struct bpf_tc_opts)

  private final int ifindex;
  private final String ifname;
  private final Mode mode;
  private final ClsactLedger ledger;
  private BpfLink ingressLink;
  private BpfLink egressLink;
  private boolean createdQdisc;
  private boolean attachedIngress;
  private boolean attachedEgress;
  private boolean closed;

  private TcAttachment(int ifindex, String ifname, Mode mode, ClsactLedger ledger) {
    this.ifindex = ifindex;
    this.ifname = ifname;
    this.mode = mode;
    this.ledger = ledger;
  }

  /**
   * Attaches {@code ingress} and {@code egress} to the interface. On failure nothing stays attached.
   *
   * @param qdiscLedger records clsact qdiscs this process creates, so that a sweep after a crash can remove them
   */
  public static TcAttachment attach(int ifindex, String ifname, LoadedProgram ingress, LoadedProgram egress, Mode mode,
      ClsactLedger qdiscLedger) throws BpfException {
    TcAttachment a = new TcAttachment(ifindex, ifname, mode, qdiscLedger);
    try {
      if (mode == Mode.TCX) {
        a.ingressLink = tcxLink(ingress, ifindex, ifname, LibBpf.BPF_TCX_INGRESS, "BPF_TCX_INGRESS");
        a.egressLink = tcxLink(egress, ifindex, ifname, LibBpf.BPF_TCX_EGRESS, "BPF_TCX_EGRESS");
      } else {
        a.attachClsact(ingress, egress);
      }
      return a;
    } catch (BpfException | RuntimeException e) {
      a.close();
      throw e;
    }
  }

  private static BpfLink tcxLink(LoadedProgram prog, int ifindex, String ifname, int attachType, String typeName)
      throws BpfException {
    int fd = LibBpf.bpf_link_create(prog.fd(), ifindex, attachType, null);
    String call = "bpf_link_create(" + prog.name() + ", ifindex=" + ifindex + " " + ifname + ", " + typeName + ")";
    if (fd < 0) {
      throw BpfException.of(call, -fd);
    }
    return BpfLink.ofFd(fd, call);
  }

  private void attachClsact(LoadedProgram ingress, LoadedProgram egress) throws BpfException {
    try (Memory hook = hook(ifindex, LibBpf.BPF_TC_INGRESS | LibBpf.BPF_TC_EGRESS)) {
      int rc = LibbpfLog.quietly(() -> LibBpf.bpf_tc_hook_create(hook));
      if (rc == 0) {
        createdQdisc = true;
        if (ledger != null) {
          ledger.created(ifindex, ifname);
        }
      } else if (-rc != Errno.EEXIST) {
        throw BpfException.of("bpf_tc_hook_create(ifindex=" + ifindex + " " + ifname + ")", -rc);
      }
    }
    attachFilter(ingress, LibBpf.BPF_TC_INGRESS, "ingress");
    attachedIngress = true;
    attachFilter(egress, LibBpf.BPF_TC_EGRESS, "egress");
    attachedEgress = true;
  }

  private void attachFilter(LoadedProgram prog, int point, String pointName) throws BpfException {
    try (Memory hook = hook(ifindex, point); Memory opts = opts(prog.fd())) {
      LibbpfLog.beginCapture();
      int rc = LibBpf.bpf_tc_attach(hook, opts);
      String messages = LibbpfLog.endCapture();
      if (rc < 0) {
        throw BpfException.withLog("bpf_tc_attach(" + prog.name() + ", ifindex=" + ifindex + " " + ifname + " " + pointName + ")", -rc, messages);
      }
    }
  }

  static Memory hook(int ifindex, int attachPoint) {
    Memory hook = new Memory(TC_HOOK_SIZE);
    hook.clear();
    hook.setLong(0, TC_HOOK_SIZE);
    hook.setInt(8, ifindex);
    hook.setInt(12, attachPoint);
    return hook;
  }

  /** bpf_tc_opts naming our handle and priority; prog_fd 0 for query and detach. */
  static Memory opts(int progFd) {
    Memory opts = new Memory(TC_OPTS_SIZE);
    opts.clear();
    opts.setLong(0, TC_OPTS_SIZE);
    opts.setInt(8, progFd);
    opts.setInt(20, HANDLE);
    opts.setInt(24, PRIORITY);
    return opts;
  }

  public int ifindex() {
    return ifindex;
  }

  public String ifname() {
    return ifname;
  }

  public Mode mode() {
    return mode;
  }

  /** True when this attachment created the interface's clsact qdisc (and so removes it on close). */
  public boolean createdQdisc() {
    return createdQdisc;
  }

  /**
   * Detaches. Errors are swallowed on purpose: the interface may be gone already (then the kernel removed
   * everything with it), and a close must never fail half-way. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (ingressLink != null) {
      ingressLink.close();
    }
    if (egressLink != null) {
      egressLink.close();
    }
    if (mode == Mode.CLSACT) {
      detach(LibBpf.BPF_TC_INGRESS, attachedIngress);
      detach(LibBpf.BPF_TC_EGRESS, attachedEgress);
      if (createdQdisc) {
        try (Memory hook = hook(ifindex, LibBpf.BPF_TC_INGRESS | LibBpf.BPF_TC_EGRESS)) {
          int rc = LibbpfLog.quietly(() -> LibBpf.bpf_tc_hook_destroy(hook));
          if ((rc == 0 || -rc == Errno.ENOENT || -rc == Errno.ENODEV) && ledger != null) {
            ledger.forget(ifindex, ifname);
          }
        }
      }
    }
  }

  private void detach(int point, boolean attached) {
    if (!attached) {
      return;
    }
    try (Memory hook = hook(ifindex, point); Memory opts = opts(0)) {
      LibbpfLog.quietly(() -> LibBpf.bpf_tc_detach(hook, opts));
    }
  }

  @Override
  public String toString() {
    return "TcAttachment[" + ifname + " (" + ifindex + "), " + mode + (closed ? ", closed" : "") + "]";
  }
}
