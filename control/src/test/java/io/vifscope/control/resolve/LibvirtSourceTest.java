package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.control.resolve.LibvirtSource.Client;
import io.vifscope.control.resolve.LibvirtSource.Opener;
import io.vifscope.control.resolve.LibvirtSource.RawDomain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The libvirt source through the real libvirt client library and its test driver (no daemon, no root) on the
 * fixtures in {@code fixtures/libvirt/}, whose XML is the independent truth; and its timeout and reconnect
 * behaviour through the package-private opener seam, with clients that hang or fail on command.
 */
class LibvirtSourceTest {
  private static final Duration READ = Duration.ofSeconds(10);

  private static String testUri(String fixture) throws Exception {
    Path p = Path.of(LibvirtSourceTest.class.getResource("/fixtures/libvirt/" + fixture).toURI());
    return "test://" + p.toAbsolutePath();
  }

  private record Want(String domain, String uuid, int devid, String mac, boolean tap) {}

  private static void assertNic(Map<String, GuestNic> m, String ifname, Want w) {
    GuestNic nic = m.get(ifname);
    assertTrue(nic != null, ifname + " not mapped; mapped: " + m.keySet());
    assertEquals(w.domain(), nic.domain().name(), ifname);
    assertEquals(w.uuid(), nic.domain().uuid(), ifname);
    assertEquals(w.devid(), nic.devid(), ifname);
    assertEquals(w.mac(), nic.mac(), ifname);
    assertEquals(w.tap(), nic.tap(), ifname);
  }

  // ---- the real client on the test driver

  @Test
  void everyInterfaceMapsToItsDomain() throws Exception {
    String web = "6b2d8e0f-12a4-4c6b-9d3e-0c0000000012";
    String db = "9c4f1a2b-13b5-4d7c-8e4f-0d0000000013";
    String syslog = "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a";
    String hvm = "4a1c7e2d-14f3-4b6a-8c2d-0e0000000014";
    String kvm1 = "2e7a9b3c-09c6-4e8d-bf50-525400000009";
    String kvm2 = "2e7a9b3c-09c6-4e8d-bf50-52540000000a";
    try (LibvirtSource s = new LibvirtSource(testUri("domains.xml"))) {
      assertEquals("libvirt", s.name());
      assertTrue(s.detect());
      SourceSnapshot snap = s.read(READ);
      Map<String, GuestNic> m = snap.byIfname();
      assertNic(m, "vif12.0", new Want("web01", web, 0, "00:16:3e:0c:00:00", false));
      assertNic(m, "vif12.1", new Want("web01", web, 1, "00:16:3e:0c:00:01", false));
      assertNic(m, "vif13.0", new Want("db01", db, 0, "00:16:3e:0d:00:00", false));
      assertNic(m, "db01-backup", new Want("db01", db, 1, "00:16:3e:0d:00:01", false));
      assertNic(m, "000a17-I", new Want("syslog01", syslog, 0, "00:16:3e:4a:00:00", false));
      // HVM: the emulated NIC's tap as libvirt names it, and its netback twin; a netfront NIC; a custom name
      // after a passed-through function (no devid for it) and that name's -emu tap.
      assertNic(m, "vif14.0-emu", new Want("hvm01", hvm, 0, "00:16:3e:0e:00:00", true));
      assertNic(m, "vif14.0", new Want("hvm01", hvm, 0, "00:16:3e:0e:00:00", false));
      assertNic(m, "vif14.1", new Want("hvm01", hvm, 1, "00:16:3e:0e:00:01", false));
      assertNic(m, "hvm01-lan", new Want("hvm01", hvm, 2, "00:16:3e:0e:00:03", false));
      assertNic(m, "hvm01-lan-emu", new Want("hvm01", hvm, 2, "00:16:3e:0e:00:03", true));
      assertNic(m, "vnet9", new Want("kvm01", kvm1, 0, "52:54:00:00:00:09", true));
      assertNic(m, "kvm02-br", new Want("kvm02", kvm2, 0, "52:54:00:00:00:0a", true));
      assertNic(m, "kvm02-mv", new Want("kvm02", kvm2, 2, "52:54:00:00:00:0c", true));
      assertNic(m, "vnet10", new Want("kvm02", kvm2, 3, "52:54:00:00:00:0d", true));
      // Nothing else: not the user NIC's or the hostdev's generated testnetN, not the shut-off guest's vnet14.
      assertEquals(Set.of("vif12.0", "vif12.1", "vif13.0", "db01-backup", "000a17-I", "vif14.0-emu", "vif14.0",
          "vif14.1", "hvm01-lan", "hvm01-lan-emu", "vnet9", "kvm02-br", "kvm02-mv", "vnet10"), m.keySet());

      // Every running domain is listed under the id libvirt gives it (the test driver: 1, 2, ... in file order).
      List<String> names = new ArrayList<>();
      for (int id = 1; id <= 6; id++) {
        names.add(snap.domains().get(id).name());
      }
      assertEquals(List.of("web01", "db01", "syslog01", "hvm01", "kvm01", "kvm02"), names);
      assertEquals(6, snap.domains().size());
      for (GuestNic nic : m.values()) {
        assertEquals(nic.domain(), snap.domains().get(nic.domain().id()));
      }

      // A second read on the same connection answers the same.
      assertEquals(snap, s.read(READ));
      assertEquals(1, s.threadsStarted());
    }
  }

  @Test
  void namesFromLibvirtAreData() throws Exception {
    try (LibvirtSource s = new LibvirtSource(testUri("hostile.xml"))) {
      SourceSnapshot snap = s.read(READ);
      Domain evil = snap.domains().get(1);
      assertEquals("evil\\x09name\\x7f\\x9b31m", evil.name());
      Domain longName = snap.domains().get(2);
      assertEquals("x".repeat(Names.MAX_LENGTH) + "...", longName.name());

      Map<String, GuestNic> m = snap.byIfname();
      // Kernel-valid names keep their place, escaped like every name the resolver looks up.
      assertEquals(evil, m.get("tap\\x9bx").domain());
      assertEquals(longName, m.get("long0").domain());
      // Names the kernel refuses cannot be interfaces; a name two domains claim belongs to neither.
      assertEquals(Set.of("tap\\x9bx", "long0"), m.keySet());
      for (String k : m.keySet()) {
        assertFalse(k.chars().anyMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f)), k);
      }
    }
  }

  @Test
  void aConfiguredUriThatFailsIsPresentAndSaysWhy() throws Exception {
    try (LibvirtSource s = new LibvirtSource("test:///nonexistent/vifscope/domains.xml")) {
      assertTrue(s.detect(), "an explicit URI is reported, not silently absent");
      SourceException e = assertThrows(SourceException.class, () -> s.read(READ));
      assertTrue(e.getMessage().startsWith("libvirt (test:///nonexistent/vifscope/domains.xml)"), e.getMessage());
    }
  }

  @Test
  void defaultUriFollowsLibvirtForRootAndNeverSpawnsASessionDaemon() {
    assertEquals(List.of("qemu:///system"), LibvirtSource.uriCandidates("qemu:///system", false, null));
    assertEquals(Arrays.asList((String) null), LibvirtSource.uriCandidates(null, true, null));
    assertEquals(Arrays.asList((String) null), LibvirtSource.uriCandidates(" ", false, "xen:///system"));
    assertEquals(List.of("xen:///system", "qemu:///system"), LibvirtSource.uriCandidates(null, false, ""));
  }

  // ---- the parser, fed directly

  private static final String UUID = "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a";

  private static String xenHvm(String... targets) {
    StringBuilder b = new StringBuilder("<domain type='xen' id='74'><name>syslog01</name><os><type>hvm</type></os>"
        + "<devices>");
    for (int i = 0; i < targets.length; i++) {
      b.append("<interface type='bridge'><mac address='00:16:3e:4a:00:0").append(i).append("'/><target dev='")
          .append(targets[i]).append("'/></interface>");
    }
    return b.append("</devices></domain>").toString();
  }

  private static SourceSnapshot snapshot(List<String> warnings, RawDomain... raw) {
    return LibvirtSource.snapshot(List.of(raw), (k, msg) -> warnings.add(msg));
  }

  @Test
  void xenDevidComesFromTheDefaultNameWhenItsDomidIsTheDomains() {
    List<String> warnings = new ArrayList<>();
    SourceSnapshot s = snapshot(warnings, new RawDomain(74, "syslog01", UUID, xenHvm("vif74.2-emu", "vif74.5-emu")));
    assertEquals(2, s.byIfname().get("vif74.2").devid());
    assertEquals(2, s.byIfname().get("vif74.2-emu").devid());
    assertEquals(5, s.byIfname().get("vif74.5").devid());
    // Another domain's default name says nothing about this one's devid: the index decides.
    SourceSnapshot t = snapshot(warnings, new RawDomain(3, "syslog01", UUID, xenHvm("vif12.0", "vif74.5")));
    assertEquals(1, t.byIfname().get("vif74.5").devid());
    assertEquals(List.of(), warnings);
  }

  @Test
  void aNameInAnotherDomainsXmlBeatsADerivedTwin() {
    List<String> warnings = new ArrayList<>();
    String pv = "<domain type='xen'><name>pv</name><os><type>xen</type></os><devices>"
        + "<interface type='bridge'><target dev='vif5.0'/></interface></devices></domain>";
    SourceSnapshot s = snapshot(warnings, new RawDomain(5, "hvm", "", xenHvm("vif5.0-emu")),
        new RawDomain(6, "pv", "", pv));
    assertEquals("pv", s.byIfname().get("vif5.0").domain().name());
    assertEquals("hvm", s.byIfname().get("vif5.0-emu").domain().name());
    assertEquals(List.of(), warnings);
  }

  @Test
  void aDomainWithUnusableXmlIsLeftOutAndTheOthersStillMap() {
    List<String> warnings = new ArrayList<>();
    String kvm = "<domain type='kvm'><name>kvm01</name><devices><interface type='ethernet'>"
        + "<mac address='52:54:00:00:00:09'/><target dev='vnet9' managed='no'/></interface></devices></domain>";
    SourceSnapshot s = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> snapshot(warnings,
        new RawDomain(1, "truncated", "", "<domain type='kvm'><devices><interface type='ethernet'><target dev='x"),
        new RawDomain(2, "xxe", "", "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>"),
        new RawDomain(3, "notadomain", "", "<network><name>default</name></network>"),
        new RawDomain(4, "huge", "", "<domain>" + " ".repeat(SafeXml.MAX_CHARS) + "</domain>"),
        new RawDomain(5, "kvm01", "", kvm)));
    assertEquals(Set.of("vnet9"), s.byIfname().keySet());
    assertEquals("kvm01", s.byIfname().get("vnet9").domain().name());
    assertEquals(5, s.domains().size(), "the domains still exist; only their NICs are unknown");
    assertEquals(4, warnings.size(), warnings.toString());
    assertTrue(warnings.get(1).contains("xxe"), warnings.get(1));
  }

  @Test
  void controlCharactersInApiNamesAreEscaped() {
    List<String> warnings = new ArrayList<>();
    String xml = "<domain type='kvm'><devices><interface type='ethernet'><target dev='vnet1'/></interface>"
        + "</devices></domain>";
    SourceSnapshot s = snapshot(warnings, new RawDomain(7, "\u001b[31mred\u0007\nx\u0085", "not-a-uuid", xml));
    Domain d = s.byIfname().get("vnet1").domain();
    assertEquals("\\x1b[31mred\\x07\\x0ax\\x85", d.name());
    assertEquals("", d.uuid());
  }

  @Test
  void aClaimTwoDomainsMakeIsWarnedAboutAndDropped() {
    List<String> warnings = new ArrayList<>();
    String a = "<domain type='kvm'><devices><interface type='ethernet'><target dev='tap0'/></interface>"
        + "<interface type='ethernet'><target dev='tap1'/></interface></devices></domain>";
    String b = "<domain type='kvm'><devices><interface type='ethernet'><target dev='tap0'/></interface>"
        + "</devices></domain>";
    SourceSnapshot s = snapshot(warnings, new RawDomain(1, "a", "", a), new RawDomain(2, "b", "", b));
    assertEquals(Set.of("tap1"), s.byIfname().keySet());
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("tap0"));
  }

  @Test
  void kernelInterfaceNameRules() {
    assertTrue(LibvirtSource.validIfname("vif12.0"));
    assertTrue(LibvirtSource.validIfname("000a17-I"));
    assertTrue(LibvirtSource.validIfname("x".repeat(15)));
    assertFalse(LibvirtSource.validIfname("x".repeat(16)));
    assertFalse(LibvirtSource.validIfname("\u00e9".repeat(8))); // 16 bytes in UTF-8
    for (String bad : new String[] {"", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\nb", null}) {
      assertFalse(LibvirtSource.validIfname(bad), String.valueOf(bad));
    }
  }

  // ---- threads, timeouts and reconnects, through the opener seam

  private static final String ONE_DOMAIN_XML = "<domain type='kvm'><devices><interface type='ethernet'>"
      + "<target dev='vnet9'/></interface></devices></domain>";

  /** A client that blocks in its listing while {@code gate} is closed, or fails when told to. */
  private static final class FakeClient implements Client {
    final CountDownLatch gate;
    volatile boolean failNext;
    volatile boolean closed;

    FakeClient(CountDownLatch gate) {
      this.gate = gate;
    }

    @Override
    public String uri() {
      return "fake:///system";
    }

    @Override
    public List<RawDomain> runningDomains(BooleanSupplier abandoned) throws Exception {
      awaitLikeNativeCode(gate);
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("connection reset by daemon");
      }
      return List.of(new RawDomain(9, "kvm01", "", ONE_DOMAIN_XML));
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Blocks until {@code gate} opens, deaf to interrupts as a thread inside a native libvirt call is. */
  private static void awaitLikeNativeCode(CountDownLatch gate) {
    boolean interrupted = false;
    while (true) {
      try {
        gate.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** An opener that hands out the given clients in turn, then open ones. */
  private static final class FakeOpener implements Opener {
    final List<FakeClient> opened = new CopyOnWriteArrayList<>();
    final List<FakeClient> queue;
    final AtomicInteger opens = new AtomicInteger();

    FakeOpener(FakeClient... queue) {
      this.queue = new ArrayList<>(List.of(queue));
    }

    @Override
    public Client open(String uri) {
      opens.incrementAndGet();
      FakeClient c;
      synchronized (queue) {
        c = queue.isEmpty() ? new FakeClient(new CountDownLatch(0)) : queue.remove(0);
      }
      opened.add(c);
      return c;
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean());
  }

  @Test
  void aHungCallFailsTheReadAtItsTimeoutAndTheNextReadWorks() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    FakeClient stuck = new FakeClient(gate);
    FakeOpener opener = new FakeOpener(stuck);
    try (LibvirtSource s = new LibvirtSource(null, opener, Duration.ofMillis(200))) {
      long t0 = System.nanoTime();
      SourceException e = assertThrows(SourceException.class, () -> s.read(Duration.ofSeconds(1)));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms >= 900 && ms < 1500, "read returned after " + ms + " ms");
      assertTrue(e.getMessage().contains("did not answer within 1000 ms"), e.getMessage());
      assertEquals(1, s.hungThreads());

      // A fresh thread and connection answer while the old call still hangs.
      SourceSnapshot snap = s.read(Duration.ofSeconds(1));
      assertEquals("kvm01", snap.byIfname().get("vnet9").domain().name());
      assertEquals(2, opener.opens.get());
      assertEquals(2, s.threadsStarted());
      assertFalse(stuck.closed);

      // When the hung call returns at last, its connection is closed and its thread ends.
      gate.countDown();
      await(() -> stuck.closed && s.hungThreads() == 0);
      assertFalse(opener.opened.get(1).closed);
    }
  }

  @Test
  void hungThreadsAreCappedAndReadsFailFastPastTheCap() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    FakeClient[] stuck = new FakeClient[LibvirtSource.MAX_HUNG];
    Arrays.setAll(stuck, i -> new FakeClient(gate));
    FakeOpener opener = new FakeOpener(stuck);
    try (LibvirtSource s = new LibvirtSource("test:///x", opener, Duration.ofMillis(100))) {
      for (int i = 0; i < LibvirtSource.MAX_HUNG; i++) {
        assertThrows(SourceException.class, () -> s.read(Duration.ofMillis(100)));
      }
      assertEquals(LibvirtSource.MAX_HUNG, s.hungThreads());
      SourceException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
          () -> assertThrows(SourceException.class, () -> s.read(Duration.ofSeconds(30))));
      assertTrue(e.getMessage().contains("still hung"), e.getMessage());
      assertEquals(LibvirtSource.MAX_HUNG, opener.opens.get(), "no connection opened past the cap");
      assertTrue(s.detect(), "a hung daemon is present, not absent");

      gate.countDown();
      await(() -> s.hungThreads() == 0);
      assertEquals("kvm01", s.read(Duration.ofSeconds(5)).byIfname().get("vnet9").domain().name());
      for (FakeClient c : stuck) {
        assertTrue(c.closed);
      }
    }
  }

  @Test
  void aDeadConnectionIsReplacedWithinTheSameRead() throws Exception {
    FakeClient first = new FakeClient(new CountDownLatch(0));
    FakeOpener opener = new FakeOpener(first);
    try (LibvirtSource s = new LibvirtSource(null, opener, Duration.ofSeconds(1))) {
      assertTrue(s.detect());
      s.read(READ);
      first.failNext = true; // the daemon restarted under the open connection
      assertEquals("kvm01", s.read(READ).byIfname().get("vnet9").domain().name());
      assertTrue(first.closed);
      assertEquals(2, opener.opens.get());
    }
  }

  @Test
  void aFailureOnAFreshConnectionIsReportedNotRetried() throws Exception {
    FakeClient failing = new FakeClient(new CountDownLatch(0));
    failing.failNext = true;
    FakeOpener opener = new FakeOpener(failing);
    try (LibvirtSource s = new LibvirtSource(null, opener, Duration.ofSeconds(1))) {
      SourceException e = assertThrows(SourceException.class, () -> s.read(READ));
      assertTrue(e.getMessage().contains("connection reset by daemon"), e.getMessage());
      assertEquals(1, opener.opens.get());
      assertTrue(failing.closed);
      s.read(READ); // and the next read reconnects
      assertEquals(2, opener.opens.get());
    }
  }

  @Test
  void withoutAConfiguredUriNoDaemonMeansAbsent() {
    Opener noDaemon = uri -> {
      throw new IllegalStateException("Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro'");
    };
    try (LibvirtSource s = new LibvirtSource(null, noDaemon, Duration.ofMillis(200))) {
      assertFalse(s.detect());
    }
  }

  @Test
  void aConfiguredUriIsPresentEvenWhenItsDaemonIsDown() {
    Opener noDaemon = uri -> {
      throw new IllegalStateException("Failed to connect socket to '/var/run/libvirt/virtqemud-sock-ro'");
    };
    try (LibvirtSource s = new LibvirtSource("qemu:///system", noDaemon, Duration.ofMillis(200))) {
      assertTrue(s.detect(), "the operator asked for this URI: read() says why it fails");
      SourceException e = assertThrows(SourceException.class, () -> s.read(READ));
      assertTrue(e.getMessage().startsWith("libvirt (qemu:///system) failed"), e.getMessage());
      assertTrue(e.getMessage().contains("virtqemud-sock-ro"), e.getMessage());
    }
  }

  @Test
  void withoutTheClientLibraryTheSourceIsAbsent() {
    Opener noLibrary = uri -> {
      throw new UnsatisfiedLinkError("Unable to load library 'virt'");
    };
    try (LibvirtSource s = new LibvirtSource("qemu:///system", noLibrary, Duration.ofMillis(200))) {
      assertFalse(s.detect());
      SourceException e = assertThrows(SourceException.class, () -> s.read(READ));
      assertTrue(e.getMessage().contains("cannot be loaded"), e.getMessage());
    }
  }

  @Test
  void aDaemonThatHangsIsPresent() throws Exception {
    CountDownLatch later = new CountDownLatch(1);
    Opener hangs = uri -> {
      awaitLikeNativeCode(later);
      return new FakeClient(new CountDownLatch(0));
    };
    try (LibvirtSource s = new LibvirtSource(null, hangs, Duration.ofMillis(200))) {
      assertTrue(s.detect(), "a daemon that hangs is there: read() reports it");
      assertEquals(1, s.hungThreads());
      later.countDown();
      await(() -> s.hungThreads() == 0);
    }
  }

  @Test
  void closeIsIdempotentAndClosesTheConnection() throws Exception {
    FakeClient c = new FakeClient(new CountDownLatch(0));
    LibvirtSource s = new LibvirtSource(null, new FakeOpener(c), Duration.ofSeconds(1));
    s.read(READ);
    s.close();
    s.close();
    await(() -> c.closed);
  }
}
