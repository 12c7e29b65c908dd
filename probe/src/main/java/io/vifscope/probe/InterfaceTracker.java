package io.vifscope.probe;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the tc programs attached to exactly the selected interfaces as links come and go. Every netlink
 * link event triggers a reconcile over all links, because selection depends on neighbours too (a guest
 * joining a bridge makes the bridge's other ports interesting). Attach failures are remembered per
 * interface and logged once per 30 s per interface, never thrown at the netlink thread.
 */
final class InterfaceTracker implements LinkMonitor.Listener {
  private static final System.Logger LOG = System.getLogger(InterfaceTracker.class.getName());
  private static final long WARN_EVERY_NANOS = 30_000_000_000L;

  private final InterfaceSelector selector;
  private final LoadedProgram ingress;
  private final LoadedProgram egress;
  private final ClsactLedger ledger;
  private final Features.Builder features;
  private TcAttachment.Mode mode;
  private final boolean modeFixed;
  private final Map<Integer, TcAttachment> attached = new HashMap<>();
  private final Map<Integer, String> failures = new HashMap<>();
  private final Map<Integer, Long> lastWarn = new HashMap<>();
  private LinkMonitor monitor;
  private boolean closed;

  InterfaceTracker(InterfaceSelector selector, LoadedProgram ingress, LoadedProgram egress, ProbeOptions.TcMode tcMode,
      ClsactLedger ledger, Features.Builder features) {
    this.selector = selector;
    this.ingress = ingress;
    this.egress = egress;
    this.ledger = ledger;
    this.features = features;
    this.mode = tcMode == ProbeOptions.TcMode.CLSACT ? TcAttachment.Mode.CLSACT : TcAttachment.Mode.TCX;
    this.modeFixed = tcMode != ProbeOptions.TcMode.AUTO;
    features.tcx = mode == TcAttachment.Mode.TCX;
    if (tcMode == ProbeOptions.TcMode.CLSACT) {
      features.degraded.put("tcx", "clsact filters forced by option");
    }
  }

  void setMonitor(LinkMonitor monitor) {
    this.monitor = monitor;
  }

  @Override
  public void linkUp(LinkInfo link) {
    reconcile();
  }

  @Override
  public void linkGone(LinkInfo last) {
    synchronized (this) {
      TcAttachment a = attached.remove(last.ifindex());
      if (a != null) {
        a.close(); // the kernel already removed the hooks with the device; this frees our fds quietly
      }
      failures.remove(last.ifindex());
      lastWarn.remove(last.ifindex());
    }
    reconcile();
  }

  /** Attaches to newly selected links and detaches from links no longer selected. */
  synchronized void reconcile() {
    if (closed || monitor == null) {
      return;
    }
    Map<Integer, LinkInfo> links = monitor.links();
    java.util.Set<Integer> wanted = selector.selected(links);
    for (LinkInfo link : links.values()) {
      boolean want = wanted.contains(link.ifindex());
      TcAttachment a = attached.get(link.ifindex());
      if (want && a == null) {
        attach(link);
      } else if (!want && a != null) {
        attached.remove(link.ifindex()).close();
      }
    }
    attached.keySet().removeIf(ifindex -> {
      if (!links.containsKey(ifindex)) {
        attached.get(ifindex).close();
        return true;
      }
      return false;
    });
  }

  private void attach(LinkInfo link) {
    try {
      attached.put(link.ifindex(), TcAttachment.attach(link.ifindex(), link.name(), ingress, egress, mode, ledger));
      failures.remove(link.ifindex());
    } catch (BpfException e) {
      boolean tcxRefused = mode == TcAttachment.Mode.TCX
          && (e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOTSUPP);
      if (tcxRefused && !modeFixed) {
        // The kernel has no tcx (before 6.6): everything goes through clsact from here on.
        mode = TcAttachment.Mode.CLSACT;
        features.tcx = false;
        features.degraded.put("tcx", e.getMessage() + "; using clsact filters");
        LOG.log(Level.INFO, "tcx unavailable (" + e.getMessage() + "), using clsact filters");
        attach(link);
        return;
      }
      failures.put(link.ifindex(), e.getMessage());
      long now = System.nanoTime();
      Long last = lastWarn.get(link.ifindex());
      if (last == null || now - last > WARN_EVERY_NANOS) {
        lastWarn.put(link.ifindex(), now);
        LOG.log(Level.WARNING, "cannot watch " + link.name() + ": " + e.getMessage());
      }
    }
  }

  synchronized List<AttachedInterface> attached() {
    List<AttachedInterface> out = new ArrayList<>();
    for (TcAttachment a : attached.values()) {
      out.add(new AttachedInterface(a.ifindex(), a.ifname(), a.mode()));
    }
    return out;
  }

  /** Interfaces selected but not attached, with the reason. */
  synchronized Map<Integer, String> failures() {
    return Map.copyOf(failures);
  }

  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (TcAttachment a : attached.values()) {
      a.close();
    }
    attached.clear();
  }
}
