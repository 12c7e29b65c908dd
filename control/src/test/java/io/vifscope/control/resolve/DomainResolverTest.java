package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The resolver's rules, over sources that return what each test says. */
class DomainResolverTest {
  private static final Domain SYSLOG = new Domain(74, "syslog01", "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a");
  private static final Domain WEB = new Domain(12, "web01", "6b2d8e0f-12a4-4c6b-9d3e-0c0000000012");

  /** A source whose every read returns (or throws) what the supplier gives. */
  private static final class FakeSource implements DomainSource {
    private final String name;
    private final Supplier<SourceSnapshot> reads;
    boolean present = true;

    FakeSource(String name, Supplier<SourceSnapshot> reads) {
      this.name = name;
      this.reads = reads;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean detect() {
      return present;
    }

    @Override
    public boolean xenDomainIds() {
      return !name.equals("libvirt");
    }

    @Override
    public SourceSnapshot read(Duration timeout) throws SourceException {
      SourceSnapshot s = reads.get();
      if (s == null) {
        throw new SourceException(name + " printed garbage");
      }
      return s;
    }
  }

  private static SourceSnapshot snap(Object... ifnameThenNic) {
    Map<String, GuestNic> m = new HashMap<>();
    Map<Integer, Domain> d = new HashMap<>();
    for (int i = 0; i < ifnameThenNic.length; i += 2) {
      GuestNic nic = (GuestNic) ifnameThenNic[i + 1];
      m.put((String) ifnameThenNic[i], nic);
      d.put(nic.domain().id(), nic.domain());
    }
    return new SourceSnapshot(m, d);
  }

  private static DomainResolver.HostInterface guest(String name) {
    return new DomainResolver.HostInterface(name, false, false);
  }

  @Test
  void firstSourceInOrderWinsAndDisagreementIsReported() {
    GuestNic fromXenstore = new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false);
    GuestNic wrong = new GuestNic(WEB, 0, "00:16:3e:0c:00:00", false);
    DomainResolver r = new DomainResolver(List.of(
        new FakeSource("xenstore", () -> snap("000a17-I", fromXenstore)),
        new FakeSource("libvirt", () -> snap("000a17-I", wrong))), Duration.ofSeconds(1));
    r.refresh();
    Resolution res = r.resolve(guest("000a17-I"));
    assertEquals(Role.GUEST_VIF, res.role());
    assertEquals(SYSLOG, res.nic().domain());
    assertEquals("xenstore", res.source());
    assertFalse(res.guess());
    assertEquals(1, r.conflicts().size());
    Conflict c = r.conflicts().get(0);
    assertEquals("000a17-I", c.ifname());
    assertEquals("xenstore", c.winner());
    assertEquals("libvirt", c.other());
    assertEquals(WEB, c.disagreeing().domain());
  }

  @Test
  void sourcesThatAgreeOnTheUuidDoNotConflictEvenWithOtherIds() {
    // libvirt's test driver numbers domains itself; the UUID says it is the same domain.
    Domain sameByUuid = new Domain(1, "syslog01", SYSLOG.uuid());
    DomainResolver r = new DomainResolver(List.of(
        new FakeSource("xenstore", () -> snap("000a17-I", new GuestNic(SYSLOG, 0, "", false))),
        new FakeSource("libvirt", () -> snap("000a17-I", new GuestNic(sameByUuid, 0, "", false)))), Duration.ofSeconds(1));
    r.refresh();
    assertTrue(r.conflicts().isEmpty(), r.conflicts().toString());
  }

  @Test
  void aFailingSourceWarnsAndTheOthersStillAnswer() {
    FakeSource broken = new FakeSource("xenstore", () -> null);
    DomainResolver r = new DomainResolver(List.of(broken,
        new FakeSource("xl", () -> snap("vif12.0", new GuestNic(WEB, 0, "", false)))), Duration.ofSeconds(1));
    r.refresh();
    assertEquals(WEB, r.resolve(guest("vif12.0")).nic().domain());
    assertEquals("xl", r.resolve(guest("vif12.0")).source());
    SourceStatus s = r.status().get(0);
    assertTrue(s.detected());
    assertFalse(s.ok());
    assertTrue(s.error().contains("garbage"), s.error());
  }

  @Test
  void hostInterfacesByKernelFactsAndNamingRulesAsGuesses() {
    DomainResolver r = new DomainResolver(List.of(
        new FakeSource("xl", () -> new SourceSnapshot(Map.of(), Map.of(74, SYSLOG)))), Duration.ofSeconds(1));
    r.refresh();
    assertEquals(Role.BRIDGE, r.resolve(new DomainResolver.HostInterface("xenbr0", true, false)).role());
    assertEquals(Role.PHYSICAL, r.resolve(new DomainResolver.HostInterface("eth0", false, true)).role());
    assertEquals(Role.OTHER, r.resolve(guest("docker0")).role());
    assertNull(r.resolve(guest("docker0")).nic());

    Resolution vif = r.resolve(guest("vif74.1"));
    assertEquals(Role.GUEST_VIF, vif.role());
    assertTrue(vif.guess(), "only a naming rule decided");
    assertEquals("naming", vif.source());
    assertEquals(74, vif.nic().domain().id());
    assertEquals("syslog01", vif.nic().domain().name(), "the name comes from a source's domain list");
    assertEquals(1, vif.nic().devid());

    Resolution emu = r.resolve(guest("vif9.0-emu"));
    assertEquals(Role.TAP, emu.role());
    assertEquals(9, emu.nic().domain().id());
    assertEquals(Role.TAP, r.resolve(guest("tap9.0")).role());
    // vnet/macvtap names say nothing about the domain: only libvirt can tell.
    Resolution vnet = r.resolve(guest("vnet3"));
    assertEquals(Role.TAP, vnet.role());
    assertNull(vnet.nic());
  }

  @Test
  void domainIdReuseMapsToTheNewDomainWithinOneRefreshAndMemoryStaysFlat() {
    int[] cycle = {0};
    boolean[] up = {true};
    FakeSource xen = new FakeSource("xenstore", () -> {
      if (!up[0]) {
        return snap();
      }
      Domain d = new Domain(74, "guest" + cycle[0], String.format("00000000-0000-0000-0000-%012d", cycle[0]));
      return snap("vif74.0", new GuestNic(d, 0, "00:16:3e:00:00:01", false));
    });
    DomainResolver r = new DomainResolver(List.of(xen), Duration.ofSeconds(1));
    for (cycle[0] = 0; cycle[0] < 100; cycle[0]++) {
      up[0] = true;
      r.refresh();
      Resolution res = r.resolve(guest("vif74.0"));
      assertEquals("guest" + cycle[0], res.nic().domain().name(), "cycle " + cycle[0]);
      assertFalse(res.guess());
      up[0] = false;
      r.refresh();
      Resolution gone = r.resolve(guest("vif74.0"));
      assertTrue(gone.guess(), "a destroyed domain is no longer confirmed by any source");
      assertEquals("", gone.nic().domain().name(), "and its old name is not remembered");
      assertTrue(r.domains().isEmpty(), "nothing of the destroyed domain is kept: " + r.domains());
    }
    assertTrue(r.domains().isEmpty());
    assertTrue(r.conflicts().isEmpty());
    assertEquals(1, r.status().size());
  }

  @Test
  void namesAreDataControlCharactersEscaped() {
    Domain evil = new Domain(66, "evil\u001b[31mred\nnewline", "");
    DomainResolver r = new DomainResolver(List.of(
        new FakeSource("xl", () -> snap("vif66.0", new GuestNic(evil, 0, "", false)))), Duration.ofSeconds(1));
    r.refresh();
    String name = r.resolve(guest("vif66.0")).nic().domain().name();
    assertEquals("evil\\x1b[31mred\\x0anewline", name);
  }

  @Test
  void autoRefreshRunsPeriodicallyAndOnRequest() throws Exception {
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    FakeSource counting = new FakeSource("xl", () -> {
      reads.incrementAndGet();
      return snap();
    });
    try (DomainResolver r = new DomainResolver(List.of(counting), Duration.ofSeconds(1))) {
      r.startAutoRefresh(Duration.ofHours(1));
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (reads.get() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(1, reads.get(), "the first refresh runs at once");
      r.requestRefresh(); // an interface appeared
      deadline = System.nanoTime() + 2_000_000_000L;
      while (reads.get() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(2, reads.get(), "a requested refresh runs soon, long before the period");
    }
  }
}
