package io.vifscope.control.resolve;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.sun.jna.Pointer;
import org.libvirt.Connect;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.libvirt.jna.virError;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Domains and their NICs as libvirt knows them, for Xen (libxl driver) and KVM (qemu driver) hosts alike: the
 * running domains' ids, names and UUIDs, and from each one's live XML every {@code <interface>}'s host device
 * ({@code <target dev>}) and MAC. This is the only source that can name the owner of a KVM {@code vnetN} or
 * {@code macvtapN}, whose names say nothing about their guest.
 *
 * <p><b>Connection.</b> Read-only, through libvirt's own client library (the org.libvirt JNA bindings). An
 * explicit URI ({@code --libvirt-uri}, e.g. {@code test:///path/domains.xml} for the lab) is used as given. Without
 * one, the source does what {@code virsh} with no {@code -c} does for the same user: libvirt resolves the URI
 * itself ({@code LIBVIRT_DEFAULT_URI}, then {@code uri_default} in {@code /etc/libvirt/libvirt.conf}, then it
 * probes the system daemons' sockets, Xen's first, then QEMU's, then the monolithic libvirtd), so an operator's
 * own setting wins and a Xen dom0 gets {@code xen:///system}, a KVM host {@code qemu:///system}. That is done only
 * as root (or when {@code LIBVIRT_DEFAULT_URI} is set): a non-root caller with no URI would make libvirt spawn a
 * per-user session daemon whose guests are not the host's, so a non-root vifscope tries {@code xen:///system}
 * then {@code qemu:///system} (the read-only sockets accept anyone by default) and never spawns anything.
 *
 * <p><b>Threads and time.</b> A libvirt connection is not for concurrent use, and a call on it can block for as
 * long as the daemon does. So every libvirt call runs on one daemon thread that owns the connection; callers wait
 * for it with their own timeout. When a call outlives it, the caller gets a {@link SourceException} at once and
 * the thread is abandoned with its connection (closed when, if ever, the call returns); the next call starts a new
 * thread and connection. At most {@value #MAX_HUNG} abandoned threads may hang at once; past that, reads fail fast
 * instead of piling up threads. A failed call on a reused connection (the daemon restarted) is retried once on a
 * fresh one.
 *
 * <p><b>Input.</b> Names, MACs and UUIDs are data: cleaned by {@link Names}, never used in a command. Domain XML is
 * parsed by {@link SafeXml}. A domain whose XML does not parse is left out with a rate-limited warning (its NICs are
 * then unknown, never misattributed); an interface name that two domains claim is left out too.
 */
public final class LibvirtSource implements DomainSource, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LibvirtSource.class.getName());

  /** This source's name in answers and logs. */
  public static final String NAME = "libvirt";
  /** How long {@link #detect()} waits for a connection. */
  static final Duration DETECT_TIMEOUT = Duration.ofSeconds(2);
  /** Abandoned (hung) libvirt threads allowed at once before reads fail fast. */
  static final int MAX_HUNG = 4;
  /** Tried in this order by a non-root caller without a URI (libvirt's own probe order). */
  static final List<String> SYSTEM_URIS = List.of("xen:///system", "qemu:///system");

  /**
   * Interface types whose {@code <target dev>}, if any, is not a host network interface carrying the guest's
   * traffic: user-mode networking, PCI passthrough, vhost-user and vDPA (no kernel netdev), socket backends.
   */
  private static final Set<String> NO_HOST_NETDEV =
      Set.of("user", "hostdev", "vhostuser", "vdpa", "null", "mcast", "server", "client", "udp", "vds");
  /** libxl's default vif name, {@code vif<domid>.<devid>}, and the {@code -emu} tap of an HVM guest's NIC. */
  private static final Pattern XEN_DEFAULT = Pattern.compile("vif(\\d{1,9})\\.(\\d{1,4})(-emu)?");
  private static final String EMU = "-emu";
  /** IFNAMSIZ - 1: the kernel's longest interface name, in bytes. */
  private static final int IFNAME_MAX_BYTES = 15;

  /** One running domain as libvirt reported it: its API-level identity and its live XML. */
  record RawDomain(int id, String name, String uuid, String xml) {}

  /** One open read-only connection. Used only on the thread of the worker that opened it. */
  interface Client {
    /** The URI the connection ended up on (libvirt's probe result for a null URI). */
    String uri();

    /** Lists the running domains and describes each; stops early once {@code abandoned} turns true. */
    List<RawDomain> runningDomains(BooleanSupplier abandoned) throws Exception;

    void close();
  }

  /** Opens a {@link Client} for a URI (null: libvirt's default). The seam that lets tests make libvirt hang. */
  @FunctionalInterface
  interface Opener {
    Client open(String uri) throws Exception;
  }

  /** One interface name a domain's XML gives, before names claimed by two domains are set aside. */
  record Claim(String ifname, GuestNic nic, boolean derived) {}

  private enum Kind { OK, BUSY, HUNG, NO_LIBRARY, FAILED }

  private record Outcome<T>(Kind kind, T value, SourceException error) {}

  @FunctionalInterface
  private interface Task<T> {
    T run(Worker w) throws Exception;
  }

  private final String configuredUri;
  private final List<String> candidates;
  private final Opener opener;
  private final Duration detectTimeout;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicInteger hung = new AtomicInteger();
  private final AtomicInteger threads = new AtomicInteger();
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);
  private volatile String connectedUri = "";
  private Worker worker; // guarded by lock

  /**
   * A source reading {@code uri} read-only, or, for a null or blank {@code uri}, the local system URI of whichever
   * daemon answers (see the class comment).
   */
  public LibvirtSource(String uri) {
    this(uri, JnaClient::open, DETECT_TIMEOUT,
        uriCandidates(uri, effectiveUid() == 0, System.getenv("LIBVIRT_DEFAULT_URI")));
  }

  /** For tests: any opener, any detect timeout; a null {@code uri} means libvirt's default. */
  LibvirtSource(String uri, Opener opener, Duration detectTimeout) {
    this(uri, opener, detectTimeout, uriCandidates(uri, true, null));
  }

  private LibvirtSource(String uri, Opener opener, Duration detectTimeout, List<String> candidates) {
    this.configuredUri = isBlank(uri) ? null : uri;
    this.opener = opener;
    this.detectTimeout = detectTimeout;
    this.candidates = candidates;
  }

  /**
   * The URIs to try, in order: the configured one; else null (libvirt's own default resolution) for root or when
   * {@code LIBVIRT_DEFAULT_URI} is set; else the system URIs, so that no session daemon is spawned.
   */
  static List<String> uriCandidates(String configured, boolean root, String envDefaultUri) {
    if (!isBlank(configured)) {
      return List.of(configured);
    }
    if (root || !isBlank(envDefaultUri)) {
      return Collections.singletonList(null);
    }
    return SYSTEM_URIS;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Whether libvirt is here: a connection opens within the detect timeout (it is kept for the next read). A
   * connection that hangs means a daemon is there but stuck, and an explicitly configured URI is wanted by the
   * operator: both count as present, so that {@link #read} reports why they fail instead of the source quietly
   * counting as absent. Absent means: no client library, or (without a configured URI) no daemon answers.
   */
  @Override
  public boolean detect() {
    Outcome<Boolean> o = run(detectTimeout, w -> {
      w.client();
      return Boolean.TRUE;
    });
    return switch (o.kind()) {
      case OK, BUSY, HUNG -> true;
      case NO_LIBRARY -> false;
      case FAILED -> configuredUri != null;
    };
  }

  @Override
  public SourceSnapshot read(Duration timeout) throws SourceException {
    Outcome<SourceSnapshot> o = run(timeout, Worker::read);
    if (o.kind() != Kind.OK) {
      throw o.error();
    }
    return o.value();
  }

  /** Closes the connection and ends its thread (after a call in flight, if one hangs). Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      Worker w = worker;
      worker = null;
      if (w != null) {
        w.abandoned = true;
        w.exec.execute(w::closeClient);
        w.exec.shutdown();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Abandoned threads whose libvirt call has not returned yet (for tests and status). */
  int hungThreads() {
    return hung.get();
  }

  /** Worker threads started so far (for tests: one per connection generation). */
  int threadsStarted() {
    return threads.get();
  }

  private String where() {
    if (configuredUri != null) {
      return configuredUri;
    }
    String c = connectedUri;
    return c.isEmpty() ? "default system URI" : c;
  }

  /** Runs {@code task} on the worker thread and waits at most {@code timeout} for it, abandoning a hung worker. */
  private <T> Outcome<T> run(Duration timeout, Task<T> task) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return fail(Kind.BUSY, "libvirt (" + where() + ") is still busy with another read");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(Kind.FAILED, "interrupted while waiting for libvirt");
    }
    try {
      Worker w = worker;
      if (w == null) {
        int n = hung.get();
        if (n >= MAX_HUNG) {
          return fail(Kind.HUNG, n + " earlier libvirt calls (" + where()
              + ") are still hung; no new connection until one returns");
        }
        w = new Worker();
        worker = w;
      }
      Worker target = w;
      Future<T> f;
      try {
        f = w.exec.submit(() -> task.run(target));
      } catch (RejectedExecutionException e) {
        worker = null;
        return fail(Kind.FAILED, "libvirt worker thread is gone; a new one starts at the next call");
      }
      try {
        return new Outcome<>(Kind.OK, f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), null);
      } catch (TimeoutException e) {
        f.cancel(true); // a native call ignores the interrupt; the abandoned flag stops the rest
        abandon(w);
        return fail(Kind.HUNG, "libvirt (" + where() + ") did not answer within " + timeout.toMillis()
            + " ms; its connection is abandoned and a new one opens at the next read");
      } catch (InterruptedException e) {
        abandon(w); // the call's state is unknown: do not reuse its connection
        Thread.currentThread().interrupt();
        return fail(Kind.FAILED, "interrupted while waiting for libvirt");
      } catch (ExecutionException e) {
        return failure(e.getCause());
      }
    } finally {
      lock.unlock();
    }
  }

  private <T> Outcome<T> failure(Throwable cause) {
    if (cause instanceof LinkageError) {
      return fail(Kind.NO_LIBRARY, "the libvirt client library (libvirt.so.0) cannot be loaded: "
          + Names.clean(String.valueOf(cause.getMessage())));
    }
    if (cause instanceof SourceException s) {
      return new Outcome<>(Kind.FAILED, null, s);
    }
    if (cause instanceof LibvirtException l) {
      return fail(Kind.FAILED, "libvirt (" + where() + "): " + Names.clean(l.getMessage()));
    }
    return fail(Kind.FAILED, "libvirt (" + where() + ") failed: " + cause.getClass().getSimpleName() + ": "
        + Names.clean(String.valueOf(cause.getMessage())));
  }

  private static <T> Outcome<T> fail(Kind kind, String message) {
    return new Outcome<>(kind, null, new SourceException(message));
  }

  /** Gives up on {@code w}: its thread closes the connection once the hung call returns, then ends. */
  private void abandon(Worker w) {
    worker = null;
    w.abandoned = true;
    hung.incrementAndGet();
    try {
      w.exec.execute(() -> {
        w.closeClient();
        hung.decrementAndGet();
      });
    } catch (RejectedExecutionException e) {
      hung.decrementAndGet();
    }
    w.exec.shutdown();
    LOG.log(Level.DEBUG, () -> "abandoned a hung libvirt thread; " + hung.get() + " still hung");
  }

  /** A daemon thread that owns one connection. Everything but the flag is touched on that thread only. */
  private final class Worker {
    final ExecutorService exec;
    volatile boolean abandoned;
    private Client client;

    Worker() {
      int n = threads.incrementAndGet();
      exec = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vifscope-libvirt-" + n);
        t.setDaemon(true);
        return t;
      });
    }

    Client client() throws Exception {
      if (client == null) {
        client = open();
        connectedUri = Names.clean(client.uri());
      }
      return client;
    }

    private Client open() throws Exception {
      Exception first = null;
      for (String uri : candidates) {
        try {
          return opener.open(uri);
        } catch (Exception e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      throw first;
    }

    SourceSnapshot read() throws Exception {
      boolean reused = client != null;
      List<RawDomain> raw;
      try {
        raw = client().runningDomains(() -> abandoned);
      } catch (Exception e) {
        closeClient();
        if (!reused || abandoned) {
          throw e;
        }
        // The daemon may have restarted under a connection that worked before: one retry on a fresh one.
        LOG.log(Level.DEBUG, () -> "libvirt call failed on a reused connection, reconnecting: "
            + Names.clean(String.valueOf(e.getMessage())));
        try {
          raw = client().runningDomains(() -> abandoned);
        } catch (Exception again) {
          closeClient();
          throw again;
        }
      }
      if (abandoned) {
        throw new SourceException("abandoned");
      }
      return snapshot(raw, warnings::warn);
    }

    void closeClient() {
      Client c = client;
      client = null;
      if (c != null) {
        try {
          c.close();
        } catch (RuntimeException e) {
          LOG.log(Level.DEBUG, "closing a libvirt connection failed", e);
        }
      }
    }
  }

  /**
   * Builds the snapshot from what libvirt returned: every running domain, and every interface name mapped to its
   * NIC. Names claimed by two domains are left out, as are domains whose XML does not parse; both are reported
   * through {@code warn(key, message)}.
   */
  static SourceSnapshot snapshot(List<RawDomain> raw, BiConsumer<String, String> warn) {
    Map<Integer, Domain> domains = new LinkedHashMap<>();
    List<Claim> claims = new ArrayList<>();
    for (RawDomain r : raw) {
      Domain d = new Domain(r.id(), r.name(), r.uuid());
      if (domains.putIfAbsent(d.id(), d) != null) {
        warn.accept(NAME + ".id", "libvirt listed domain id " + d.id() + " twice; kept the first");
        continue;
      }
      try {
        claims.addAll(claims(d, SafeXml.parse(r.xml())));
      } catch (SourceException e) {
        warn.accept(NAME + ".xml", "libvirt domain " + d.name() + " (id " + d.id()
            + ") left out, its XML is unusable: " + e.getMessage());
      }
    }
    Map<String, GuestNic> byIfname = new LinkedHashMap<>();
    Set<String> ambiguous = new HashSet<>();
    // Names the XML gives first; the -emu/netback twins derived from them only where no XML claims the name.
    for (boolean derived : new boolean[] {false, true}) {
      for (Claim c : claims) {
        if (c.derived() != derived || ambiguous.contains(c.ifname())) {
          continue;
        }
        GuestNic had = byIfname.putIfAbsent(c.ifname(), c.nic());
        if (had != null && !had.domain().equals(c.nic().domain())) {
          if (derived) {
            continue; // a derived twin never overrides or voids a name another domain's XML gives
          }
          ambiguous.add(c.ifname());
        }
      }
    }
    for (String ifname : ambiguous) {
      byIfname.remove(ifname);
      warn.accept(NAME + ".ambiguous", "libvirt gives interface " + ifname
          + " to more than one domain; it is left unresolved by libvirt");
    }
    return new SourceSnapshot(byIfname, domains);
  }

  /**
   * The host interfaces one domain's live XML names. On a Xen domain ({@code type='xen'}) an interface is a
   * netback vif; on an HVM guest a NIC that is not {@code netfront} also has an emulated twin, a tap named like
   * the vif plus {@code -emu} (libvirt's libxl driver shows the {@code vifD.N-emu} name for such NICs, or the
   * operator's custom name, which is the vif's), so both names are claimed. The devid is libxl's: the NIC's index
   * among the non-passthrough interfaces, or the one in a default {@code vif<domid>.<devid>} name. On a QEMU/KVM
   * domain every interface is a tap (tap, vnet, macvtap) and the devid is its index in the XML. Other domain
   * types (LXC veths, ...) map with {@code tap} false.
   */
  static List<Claim> claims(Domain domain, Document xml) throws SourceException {
    Element root = xml.getDocumentElement();
    if (root == null || !"domain".equals(localName(root))) {
      throw new SourceException("root element is not <domain>");
    }
    String type = root.getAttribute("type");
    boolean xen = "xen".equals(type);
    boolean qemu = "kvm".equals(type) || "qemu".equals(type);
    Element os = child(root, "os");
    boolean hvm = os != null && "hvm".equals(text(child(os, "type")));
    Element devices = child(root, "devices");
    List<Claim> out = new ArrayList<>();
    if (devices == null) {
      return out;
    }
    int index = 0;
    int xenIndex = 0;
    for (Element iface : children(devices, "interface")) {
      String itype = iface.getAttribute("type");
      int xmlIndex = index++;
      if ("hostdev".equals(itype)) {
        continue; // libxl counts no devid for a passed-through function
      }
      int libxlIndex = xenIndex++;
      String dev = attribute(child(iface, "target"), "dev");
      if (NO_HOST_NETDEV.contains(itype) || !validIfname(dev)) {
        continue;
      }
      String mac = attribute(child(iface, "mac"), "address");
      if (!xen) {
        out.add(claim(dev, new GuestNic(domain, xmlIndex, mac, qemu), false));
        continue;
      }
      boolean emulated = hvm && !"netfront".equals(attribute(child(iface, "model"), "type"));
      int devid = xenDevid(dev, domain.id(), libxlIndex);
      GuestNic vif = new GuestNic(domain, devid, mac, false);
      GuestNic tap = new GuestNic(domain, devid, mac, true);
      if (!emulated) {
        out.add(claim(dev, vif, false));
      } else if (dev.endsWith(EMU) && dev.length() > EMU.length()) {
        out.add(claim(dev, tap, false));
        out.add(claim(dev.substring(0, dev.length() - EMU.length()), vif, true));
      } else {
        out.add(claim(dev, vif, false));
        String twin = dev + EMU;
        if (validIfname(twin)) {
          out.add(claim(twin, tap, true));
        }
      }
    }
    return out;
  }

  private static Claim claim(String ifname, GuestNic nic, boolean derived) {
    return new Claim(Names.clean(ifname), nic, derived);
  }

  /** The devid in a default {@code vif<domid>.<devid>} name when its domid is this domain's, else {@code index}. */
  static int xenDevid(String ifname, int domid, int index) {
    Matcher m = XEN_DEFAULT.matcher(ifname);
    if (m.matches() && m.group(1).equals(Integer.toString(domid))) {
      return Integer.parseInt(m.group(2));
    }
    return index;
  }

  /** The kernel's rule ({@code dev_valid_name}): 1 to 15 bytes, not . or .., no '/', ':' or whitespace. */
  static boolean validIfname(String s) {
    if (s == null || s.isEmpty() || s.equals(".") || s.equals("..")
        || s.getBytes(StandardCharsets.UTF_8).length > IFNAME_MAX_BYTES) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r')) {
        return false;
      }
    }
    return true;
  }

  private static String localName(Node n) {
    return n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
  }

  /** Child elements of {@code parent} named {@code name} in no namespace (libvirt's own elements). */
  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && n.getNamespaceURI() == null && name.equals(localName(e))) {
        out.add(e);
      }
    }
    return out;
  }

  private static Element child(Element parent, String name) {
    if (parent == null) {
      return null;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && n.getNamespaceURI() == null && name.equals(localName(e))) {
        return e;
      }
    }
    return null;
  }

  private static String attribute(Element e, String name) {
    return e == null ? "" : e.getAttribute(name);
  }

  private static String text(Element e) {
    return e == null ? "" : e.getTextContent().strip();
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  /** The effective uid from {@code /proc/self/status}, or -1 when it cannot be read (treated as non-root). */
  public static int effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("Uid:")) {
          String[] f = line.substring(4).trim().split("\\s+");
          return f.length > 1 ? Integer.parseInt(f[1]) : -1;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "cannot read the effective uid", e);
    }
    return -1;
  }

  /** The real client: libvirt's C library through the org.libvirt JNA bindings, read-only. */
  private static final class JnaClient implements Client {
    private final Connect conn;
    private final String uri;

    private JnaClient(Connect conn, String uri) {
      this.conn = conn;
      this.uri = uri;
    }

    static Client open(String uri) throws LibvirtException {
      ErrorRouting.install();
      Connect c = new Connect(uri, true);
      String actual;
      try {
        actual = c.getURI();
      } catch (LibvirtException e) {
        actual = uri == null ? "default URI" : uri;
      }
      return new JnaClient(c, actual);
    }

    @Override
    public String uri() {
      return uri;
    }

    @Override
    public List<RawDomain> runningDomains(BooleanSupplier abandoned) throws Exception {
      int[] ids = conn.listDomains();
      List<RawDomain> out = new ArrayList<>(ids.length);
      Set<Integer> seen = new HashSet<>();
      for (int id : Arrays.stream(ids).distinct().toArray()) {
        if (abandoned.getAsBoolean()) {
          throw new SourceException("abandoned");
        }
        org.libvirt.Domain d = null;
        try {
          d = conn.domainLookupByID(id);
          int actualId = d.getID();
          if (seen.add(actualId)) {
            out.add(new RawDomain(actualId, d.getName(), d.getUUIDString(), d.getXMLDesc(0)));
          }
        } catch (LibvirtException e) {
          // Destroyed between the listing and the lookup: not running, so nothing of it to map.
          if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_DOMAIN) {
            throw e;
          }
        } finally {
          if (d != null) {
            try {
              d.free();
            } catch (LibvirtException e) {
              LOG.log(Level.DEBUG, "virDomainFree failed", e);
            }
          }
        }
      }
      return out;
    }

    @Override
    public void close() {
      try {
        conn.close();
      } catch (LibvirtException e) {
        LOG.log(Level.DEBUG, "virConnectClose failed", e);
      }
    }
  }

  /**
   * Sends libvirt's error reports to the DEBUG log instead of its default handler, which prints every failed
   * connection attempt to stderr. The errors still reach us as exceptions. Process-wide, installed once.
   */
  private static final class ErrorRouting {
    private static final Libvirt.VirErrorCallback CALLBACK = new Libvirt.VirErrorCallback() {
      @Override
      public void errorCallback(Pointer userData, virError error) {
        if (error != null) {
          LOG.log(Level.DEBUG, () -> "libvirt: " + Names.clean(error.message));
        }
      }
    };
    private static boolean installed;

    static synchronized void install() throws LibvirtException {
      if (!installed) {
        Connect.setErrorCallback(CALLBACK);
        installed = true;
      }
    }
  }
}
