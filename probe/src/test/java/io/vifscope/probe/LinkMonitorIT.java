package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The link monitor against the real kernel, as root, in the root network namespace (where a dom0's vifs
 * live). It creates only interfaces named {@code vsp-*} and the bridge {@code vspbr0}, assigns no addresses
 * (IPv6 address generation is off on them) and deletes them after every test, also on failure. The truth
 * it compares against is sysfs ({@code /sys/class/net/<name>/ifindex}, {@code device}) and what {@code ip}
 * was told to do.
 */
class LinkMonitorIT {
  private static final String PREFIX = "vsp";
  private static final String BRIDGE = "vspbr0";
  private static final Path SYS_NET = Path.of("/sys/class/net");
  private static final long EVENT_MILLIS = 1_000;

  @BeforeAll
  static void requireRoot() {
    assertEquals("0", Sh.run("id", "-u").strip(), "LinkMonitorIT creates interfaces: run it as root (mvn verify)");
  }

  @BeforeEach
  void setUp() {
    deleteOurs(); // leftovers of a killed run
    Sh.run("ip", "link", "add", BRIDGE, "type", "bridge");
    noAddresses(BRIDGE);
    veth("vsp-a0", "vsp-a1");
    Sh.run("ip", "link", "set", "dev", "vsp-a0", "master", BRIDGE);
    for (String n : List.of(BRIDGE, "vsp-a0", "vsp-a1")) {
      Sh.run("ip", "link", "set", "dev", n, "up");
    }
  }

  @AfterEach
  void tearDown() {
    deleteOurs();
  }

  @AfterAll
  static void nothingLeftBehind() {
    deleteOurs();
    assertEquals(Set.of(), ourNames(), "interfaces left behind");
  }

  @Test
  void dumpReportsExistingLinksWithKindMasterAndState() throws IOException {
    Recorder rec = new Recorder();
    Map<String, Integer> before = sysfsIndexes();
    try (LinkMonitor m = LinkMonitor.start(rec)) {
      Map<Integer, LinkInfo> links = m.links();
      int br = sysfsIndex(BRIDGE);
      LinkInfo a0 = links.get(sysfsIndex("vsp-a0"));
      assertNotNull(a0, "vsp-a0 in " + links);
      assertEquals("vsp-a0", a0.name());
      assertEquals("veth", a0.kind());
      assertEquals(br, a0.masterIfindex());
      assertFalse(a0.physical());
      LinkInfo a1 = links.get(sysfsIndex("vsp-a1"));
      assertEquals(new LinkInfo(sysfsIndex("vsp-a1"), "vsp-a1", 0, "veth", a1.operUp(), false, ""), a1);
      LinkInfo bridge = links.get(br);
      assertEquals("bridge", bridge.kind());
      assertTrue(bridge.isBridge());
      assertEquals(0, bridge.masterIfindex());

      // Every interface sysfs showed before and still shows: same ifindex; physical exactly when sysfs has a
      // device and the driver names no kind.
      Map<String, Integer> after = sysfsIndexes();
      for (Map.Entry<String, Integer> e : before.entrySet()) {
        if (!e.getValue().equals(after.get(e.getKey()))) {
          continue; // another test's interface came or went meanwhile
        }
        LinkInfo l = links.get(e.getValue());
        assertNotNull(l, e.getKey() + " (ifindex " + e.getValue() + ") missing from " + links);
        assertEquals(e.getKey(), l.name());
        boolean device = Files.exists(SYS_NET.resolve(e.getKey()).resolve("device"));
        assertEquals(device && l.kind().isEmpty(), l.physical(), e.getKey() + ": " + l);
      }
      assertEquals("", links.get(sysfsIndex("lo")).kind());
      assertFalse(links.get(sysfsIndex("lo")).physical());

      // The dump was reported to the listener, on the caller's thread, before start returned.
      assertTrue(rec.ups.stream().anyMatch(e -> e.link.name().equals("vsp-a0")
          && e.thread.equals(Thread.currentThread().getName())), rec.toString());

      // Both ends up: operstate goes UP shortly after (veth carrier follows its peer).
      await(() -> m.links().get(sysfsIndex("vsp-a0")).operUp(), 2_000, "vsp-a0 operUp");
    }
  }

  @Test
  void followsLinksThatAppearChangeAndVanish() throws IOException {
    Recorder rec = new Recorder();
    try (LinkMonitor m = LinkMonitor.start(rec)) {
      int br = sysfsIndex(BRIDGE);

      veth("vsp-b0", "vsp-b1");
      Event up = rec.awaitUp(l -> l.name().equals("vsp-b0"), EVENT_MILLIS);
      int b0 = sysfsIndex("vsp-b0");
      int b1 = sysfsIndex("vsp-b1");
      assertEquals(b0, up.link.ifindex());
      assertEquals("veth", up.link.kind());
      assertEquals(LinkMonitor.THREAD_NAME, up.thread);
      rec.awaitUp(l -> l.ifindex() == b1, EVENT_MILLIS);
      assertEquals("vsp-b0", m.links().get(b0).name(), "links() reflects what the listener heard");

      // The kernel sends no event for an alias change alone: the alias rides on the next one (here, the master).
      Sh.run("ip", "link", "set", "dev", "vsp-b0", "alias", "guest \u00e9 \"7\"");
      Sh.run("ip", "link", "set", "dev", "vsp-b0", "master", BRIDGE);
      rec.awaitUp(l -> l.ifindex() == b0 && l.masterIfindex() == br && l.alias().equals("guest \u00e9 \"7\""),
          EVENT_MILLIS);
      Sh.run("ip", "link", "set", "dev", "vsp-b0", "nomaster");
      rec.awaitUp(l -> l.ifindex() == b0 && l.masterIfindex() == 0, EVENT_MILLIS);
      assertTrue(rec.gones.isEmpty(), "leaving a bridge is not vanishing: " + rec.gones);
      assertTrue(m.links().containsKey(b0));

      Sh.run("ip", "link", "set", "dev", "vsp-b1", "name", "vsp-c1");
      Event renamed = rec.awaitUp(l -> l.ifindex() == b1 && l.name().equals("vsp-c1"), EVENT_MILLIS);
      assertEquals(sysfsIndex("vsp-c1"), renamed.link.ifindex());
      assertFalse(m.links().values().stream().anyMatch(l -> l.name().equals("vsp-b1")));

      Sh.run("ip", "link", "del", "vsp-b0"); // takes its peer with it
      Event gone = rec.awaitGone(l -> l.ifindex() == b0, EVENT_MILLIS);
      assertEquals("vsp-b0", gone.link.name());
      assertEquals(LinkMonitor.THREAD_NAME, gone.thread);
      assertEquals("vsp-c1", rec.awaitGone(l -> l.ifindex() == b1, EVENT_MILLIS).link.name());
      assertFalse(m.links().containsKey(b0));
      assertFalse(m.links().containsKey(b1));
      assertEquals(0, m.malformedMessages());
    }
  }

  @Test
  void aThrowingListenerDoesNotStopTheThread() throws IOException {
    LinkMonitor.Listener bad = new LinkMonitor.Listener() {
      @Override
      public void linkUp(LinkInfo link) {
        throw new IllegalStateException("listener bug on " + link.name());
      }

      @Override
      public void linkGone(LinkInfo last) {
        throw new IllegalStateException("listener bug on " + last.name());
      }
    };
    try (LinkMonitor m = LinkMonitor.start(bad)) {
      veth("vsp-d0", "vsp-d1");
      int d0 = sysfsIndex("vsp-d0");
      await(() -> m.links().containsKey(d0), EVENT_MILLIS, "vsp-d0 in links() despite the listener");
      Sh.run("ip", "link", "del", "vsp-d0");
      await(() -> !m.links().containsKey(d0), EVENT_MILLIS, "vsp-d0 gone from links()");
    }
  }

  @Test
  void closeStopsTheThreadPromptlyAndIsIdempotent() throws IOException {
    int threadsBefore = netlinkThreads();
    LinkMonitor m = LinkMonitor.start(new Recorder());
    assertEquals(threadsBefore + 1, netlinkThreads());
    long t0 = System.nanoTime();
    m.close();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(millis < 1_000, "close took " + millis + " ms");
    assertEquals(threadsBefore, netlinkThreads());
    m.close();
    assertFalse(m.links().isEmpty(), "the last view stays readable");
  }

  @Test
  void overflowIsReconciledByADump() throws IOException, InterruptedException {
    GatedRecorder rec = new GatedRecorder();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      names.add(String.format("vsp-o%02d", i));
    }
    // A tiny socket buffer and a listener that stalls: events pile up and the kernel drops them (ENOBUFS).
    try (LinkMonitor m = LinkMonitor.start(rec, 4096)) {
      rec.closeGate();
      veth("vsp-e0", "vsp-e1"); // its event stalls the netlink thread in the listener
      assertTrue(rec.entered.await(2, TimeUnit.SECONDS), "the listener was not called");
      for (String n : names) {
        veth(n, n.replace("vsp-o", "vsp-p"));
      }
      Sh.run("ip", "link", "del", "vsp-e0");
      rec.openGate();

      Set<String> created = new TreeSet<>();
      for (String n : names) {
        created.add(n);
        created.add(n.replace("vsp-o", "vsp-p"));
      }
      Set<String> expected = new TreeSet<>(created);
      expected.addAll(List.of("vsp-a0", "vsp-a1"));
      assertEquals(expected, ourVeths(), "sysfs");
      await(() -> ourNames(m.links()).equals(expected), 5_000, "links() matches sysfs after the overflow");
      assertTrue(m.overflows() > 0, "the socket never overflowed; the test did not test the re-dump");
      Set<String> heardUp = new TreeSet<>();
      rec.ups.forEach(e -> heardUp.add(e.link.name()));
      assertTrue(heardUp.containsAll(created), "linkUp missing for " + difference(created, heardUp));
      assertTrue(rec.gones.stream().anyMatch(e -> e.link.name().equals("vsp-e1")), "vsp-e1 reported gone");

      // The same for removals.
      long overflows = m.overflows();
      rec.closeGate();
      veth("vsp-e0", "vsp-e1");
      assertTrue(rec.entered.await(2, TimeUnit.SECONDS), "the listener was not called");
      for (String n : names) {
        Sh.run("ip", "link", "del", n);
      }
      rec.openGate();
      Set<String> left = Set.of("vsp-a0", "vsp-a1", "vsp-e0", "vsp-e1");
      assertEquals(left, ourVeths(), "sysfs");
      await(() -> ourNames(m.links()).equals(left), 5_000, "links() after removals");
      Set<String> heardGone = new TreeSet<>();
      rec.gones.forEach(e -> heardGone.add(e.link.name()));
      assertTrue(heardGone.containsAll(created), "linkGone missing for " + difference(created, heardGone));
      assertTrue(m.overflows() > overflows, "second phase did not overflow");
      assertEquals(0, m.malformedMessages());
    }
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  private static void veth(String a, String b) {
    Sh.run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
    noAddresses(a);
    noAddresses(b);
  }

  /** No IPv6 link-local address when the link goes up: the test interfaces carry no addresses at all. */
  private static void noAddresses(String name) {
    Sh.run("ip", "link", "set", "dev", name, "addrgenmode", "none");
  }

  /** Deletes every interface of ours; deleting one end of a veth removes the other, hence tryRun. */
  private static void deleteOurs() {
    for (String n : ourNames()) {
      if (Files.exists(SYS_NET.resolve(n))) {
        Sh.tryRun("ip", "link", "del", n);
      }
    }
  }

  private static Set<String> ourNames() {
    Set<String> out = new TreeSet<>();
    for (String n : sysfsIndexes().keySet()) {
      if (n.startsWith(PREFIX + "-") || n.equals(BRIDGE)) {
        out.add(n);
      }
    }
    return out;
  }

  private static Set<String> ourVeths() {
    Set<String> out = ourNames();
    out.remove(BRIDGE);
    return out;
  }

  private static Set<String> ourNames(Map<Integer, LinkInfo> links) {
    Set<String> out = new TreeSet<>();
    for (LinkInfo l : links.values()) {
      if (l.name().startsWith(PREFIX + "-")) {
        out.add(l.name());
      }
    }
    return out;
  }

  private static Map<String, Integer> sysfsIndexes() {
    Map<String, Integer> out = new HashMap<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(SYS_NET)) {
      for (Path p : dir) {
        try {
          out.put(p.getFileName().toString(), Integer.parseInt(Files.readString(p.resolve("ifindex")).strip()));
        } catch (IOException | NumberFormatException e) {
          // gone meanwhile
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list " + SYS_NET, e);
    }
    return out;
  }

  private static int sysfsIndex(String name) {
    try {
      return Integer.parseInt(Files.readString(SYS_NET.resolve(name).resolve("ifindex")).strip());
    } catch (IOException e) {
      throw new AssertionError(name + " is not in sysfs", e);
    }
  }

  private static int netlinkThreads() {
    int n = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(LinkMonitor.THREAD_NAME) && t.isAlive()) {
        n++;
      }
    }
    return n;
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    Set<String> d = new TreeSet<>(a);
    d.removeAll(b);
    return d;
  }

  private static void await(BooleanSupplier condition, long millis, String what) {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("not within " + millis + " ms: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted", e);
      }
    }
  }

  private record Event(LinkInfo link, String thread) {}

  /** Records every call with the thread it came on. */
  private static class Recorder implements LinkMonitor.Listener {
    final List<Event> ups = new CopyOnWriteArrayList<>();
    final List<Event> gones = new CopyOnWriteArrayList<>();

    @Override
    public void linkUp(LinkInfo link) {
      ups.add(new Event(link, Thread.currentThread().getName()));
    }

    @Override
    public void linkGone(LinkInfo last) {
      gones.add(new Event(last, Thread.currentThread().getName()));
    }

    Event awaitUp(Predicate<LinkInfo> p, long millis) {
      return awaitIn(ups, p, millis, "linkUp");
    }

    Event awaitGone(Predicate<LinkInfo> p, long millis) {
      return awaitIn(gones, p, millis, "linkGone");
    }

    private Event awaitIn(List<Event> events, Predicate<LinkInfo> p, long millis, String what) {
      Event[] found = new Event[1];
      await(() -> {
        for (Event e : events) {
          if (p.test(e.link)) {
            found[0] = e;
            return true;
          }
        }
        return false;
      }, millis, what + " not heard; heard " + this);
      return found[0];
    }

    @Override
    public String toString() {
      return "up " + ups + ", gone " + gones;
    }
  }

  /** A recorder whose calls block while the gate is closed. */
  private static final class GatedRecorder extends Recorder {
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile CountDownLatch entered = new CountDownLatch(1);

    void closeGate() {
      entered = new CountDownLatch(1);
      gate = new CountDownLatch(1);
    }

    void openGate() {
      gate.countDown();
    }

    @Override
    public void linkUp(LinkInfo link) {
      pass();
      super.linkUp(link);
    }

    @Override
    public void linkGone(LinkInfo last) {
      pass();
      super.linkGone(last);
    }

    private void pass() {
      entered.countDown();
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
