package io.vifscope.control.resolve;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Resolves host interfaces to guest domains from several sources (xenstore, xl, libvirt), in a configured
 * order: the first source that knows an interface decides, and a source that disagrees is reported as a
 * conflict. What no source knows is classified by kernel facts (bridge, physical NIC) or, as a last resort and
 * marked as a guess, by Xen's naming rules.
 *
 * <p>Every refresh replaces each source's snapshot whole, so a destroyed domain whose id is reused maps to the
 * new domain after one refresh; nothing is remembered across refreshes. A source that fails answers nothing
 * (never stale data) and produces one rate-limited warning; the others still answer. Lookups read an immutable
 * table and never wait for a refresh.
 */
public final class DomainResolver implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(DomainResolver.class.getName());

  /** Kernel facts about an interface the resolver classifies (from the probe's link table). */
  public record HostInterface(String name, boolean bridge, boolean physical) {}

  private record Table(Map<String, Resolution> resolved, List<Conflict> conflicts, Map<Integer, Domain> domains,
      Map<Integer, Domain> xenDomains) {
    static final Table EMPTY = new Table(Map.of(), List.of(), Map.of(), Map.of());
  }

  private final List<DomainSource> sources;
  private final Duration timeout;
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);
  private final Map<String, SourceStatus> status = new LinkedHashMap<>();
  private volatile Table table = Table.EMPTY;
  private final AtomicBoolean refreshRequested = new AtomicBoolean();
  private final Object refreshLock = new Object(); // sources are read by one refresh at a time
  private ScheduledExecutorService scheduler;

  /** {@code sources} in order of trust; {@code timeout} bounds each source's read. */
  public DomainResolver(List<DomainSource> sources, Duration timeout) {
    this.sources = List.copyOf(sources);
    this.timeout = Objects.requireNonNull(timeout);
    for (DomainSource s : sources) {
      status.put(s.name(), new SourceStatus(s.name(), false, false, "not read yet", 0, 0));
    }
  }

  /** Reads every source now (one after the other, each bounded by the timeout) and swaps the table. */
  public void refresh() {
    synchronized (refreshLock) {
      refreshSources();
    }
  }

  private void refreshSources() {
    Map<DomainSource, SourceSnapshot> snaps = new LinkedHashMap<>();
    for (DomainSource s : sources) {
      long t0 = System.nanoTime();
      boolean detected;
      try {
        detected = s.detect();
      } catch (RuntimeException e) {
        detected = false;
      }
      if (!detected) {
        synchronized (status) {
          status.put(s.name(), new SourceStatus(s.name(), false, false, "", 0, System.nanoTime() - t0));
        }
        continue;
      }
      try {
        SourceSnapshot snap = s.read(timeout);
        snaps.put(s, snap);
        synchronized (status) {
          status.put(s.name(), new SourceStatus(s.name(), true, true, "", snap.byIfname().size(), System.nanoTime() - t0));
        }
      } catch (SourceException | RuntimeException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        synchronized (status) {
          status.put(s.name(), new SourceStatus(s.name(), true, false, Names.clean(why), 0, System.nanoTime() - t0));
        }
        warnings.warn(s.name(), "domain source " + s.name() + " failed, the others still answer: " + Names.clean(why));
      }
    }
    table = build(snaps);
  }

  /** {@code snaps} in the configured order, only sources that answered. */
  private static Table build(Map<DomainSource, SourceSnapshot> snaps) {
    Map<String, Resolution> resolved = new HashMap<>();
    List<Conflict> conflicts = new ArrayList<>();
    Map<String, String> winnerSource = new HashMap<>();
    Map<Integer, Domain> domains = new HashMap<>();
    Map<Integer, Domain> xenDomains = new HashMap<>();
    for (Map.Entry<DomainSource, SourceSnapshot> sourceSnap : snaps.entrySet()) {
      String name = sourceSnap.getKey().name();
      SourceSnapshot snap = sourceSnap.getValue();
      snap.domains().forEach(domains::putIfAbsent);
      if (sourceSnap.getKey().xenDomainIds()) {
        snap.domains().forEach(xenDomains::putIfAbsent);
      }
      for (Map.Entry<String, GuestNic> e : snap.byIfname().entrySet()) {
        String ifname = e.getKey();
        GuestNic nic = e.getValue();
        Resolution first = resolved.get(ifname);
        if (first == null) {
          resolved.put(ifname, new Resolution(ifname, nic.tap() ? Role.TAP : Role.GUEST_VIF, nic, name, false));
          winnerSource.put(ifname, name);
        } else if (!sameDomain(first.nic().domain(), nic.domain())) {
          conflicts.add(new Conflict(ifname, winnerSource.get(ifname), first.nic(), name, nic));
        }
      }
    }
    return new Table(Map.copyOf(resolved), List.copyOf(conflicts), Map.copyOf(domains), Map.copyOf(xenDomains));
  }

  /**
   * The same domain as far as two sources can tell: by UUID when both have one, else by name when both have
   * one, else by id. Ids alone are weak (libvirt's test driver and some toolstacks number domains their own way).
   */
  static boolean sameDomain(Domain a, Domain b) {
    if (!a.uuid().isEmpty() && !b.uuid().isEmpty()) {
      return a.uuid().equals(b.uuid());
    }
    if (!a.name().isEmpty() && !b.name().isEmpty()) {
      return a.name().equals(b.name());
    }
    return a.id() == b.id();
  }

  /** What {@code link} is and whose. Never blocks on a source. */
  public Resolution resolve(HostInterface link) {
    Table t = table;
    String name = Names.clean(link.name()); // as the sources' names were cleaned
    Resolution r = t.resolved.get(name);
    if (r != null) {
      return r;
    }
    if (link.bridge()) {
      return new Resolution(name, Role.BRIDGE, null, "", false);
    }
    if (link.physical()) {
      return new Resolution(name, Role.PHYSICAL, null, "", false);
    }
    return NamingRules.guess(name, t.xenDomains);
  }

  /** Disagreements between sources found at the last refresh. */
  public List<Conflict> conflicts() {
    return table.conflicts;
  }

  /** How each source did at the last refresh, in the configured order. */
  public List<SourceStatus> status() {
    synchronized (status) {
      return List.copyOf(status.values());
    }
  }

  /** Every domain the sources listed at the last refresh, by id (first source in order wins). */
  public Map<Integer, Domain> domains() {
    return table.domains;
  }

  /**
   * Refreshes every {@code period} on a daemon thread, and soon after {@link #requestRefresh()} (interfaces
   * changed). Lookups keep answering from the previous table meanwhile.
   */
  public synchronized void startAutoRefresh(Duration period) {
    if (scheduler != null) {
      return;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vifscope-resolver");
      t.setDaemon(true);
      return t;
    });
    scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks for a refresh soon (coalesced): call it when interfaces appear or vanish. */
  public void requestRefresh() {
    ScheduledExecutorService s;
    synchronized (this) {
      s = scheduler;
    }
    if (s != null && refreshRequested.compareAndSet(false, true)) {
      s.schedule(() -> {
        refreshRequested.set(false);
        refreshQuietly();
      }, 100, TimeUnit.MILLISECONDS);
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "domain refresh failed", e);
    }
  }

  /** Stops refreshing and closes the sources that hold resources (libvirt connections). */
  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
    for (DomainSource s : sources) {
      if (s instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.log(Level.DEBUG, "closing " + s.name() + ": " + e.getMessage());
        }
      }
    }
  }
}
