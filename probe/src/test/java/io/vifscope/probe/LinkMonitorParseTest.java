package io.vifscope.probe;

import static io.vifscope.probe.LinkMonitor.AF_BRIDGE;
import static io.vifscope.probe.LinkMonitor.AF_UNSPEC;
import static io.vifscope.probe.LinkMonitor.IFF_LOWER_UP;
import static io.vifscope.probe.LinkMonitor.IFF_UP;
import static io.vifscope.probe.LinkMonitor.IFLA_IFALIAS;
import static io.vifscope.probe.LinkMonitor.IFLA_IFNAME;
import static io.vifscope.probe.LinkMonitor.IFLA_INFO_KIND;
import static io.vifscope.probe.LinkMonitor.IFLA_LINKINFO;
import static io.vifscope.probe.LinkMonitor.IFLA_MASTER;
import static io.vifscope.probe.LinkMonitor.IFLA_OPERSTATE;
import static io.vifscope.probe.LinkMonitor.NLMSG_DONE;
import static io.vifscope.probe.LinkMonitor.NLMSG_ERROR;
import static io.vifscope.probe.LinkMonitor.NLM_F_DUMP_INTR;
import static io.vifscope.probe.LinkMonitor.NLM_F_MULTI;
import static io.vifscope.probe.LinkMonitor.RTM_DELLINK;
import static io.vifscope.probe.LinkMonitor.RTM_NEWLINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vifscope.probe.LinkMonitor.LinkTable;
import io.vifscope.probe.LinkMonitor.Message;
import io.vifscope.probe.LinkMonitor.Parsed;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The rtnetlink decoder and the link table on byte fixtures laid out per linux/netlink.h, linux/rtnetlink.h
 * and linux/if_link.h, written here independently of the decoder (no root, no socket).
 */
class LinkMonitorParseTest {
  private static final int IF_OPER_DOWN = 2;
  private static final int IF_OPER_UP = 6;
  private static final Predicate<String> NO_NIC = name -> false;
  private static final Predicate<String> MUST_NOT_ASK = name -> {
    throw new AssertionError("isNic asked about " + name);
  };

  // --- decoding -----------------------------------------------------------------------------------------

  @Test
  void newLinkWithEveryAttribute() {
    ByteBuffer buf = new Nl()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 7, IFF_UP | IFF_LOWER_UP)
        .str(IFLA_IFNAME, "vsp-a0")
        .u32(IFLA_MASTER, 5)
        .u8(IFLA_OPERSTATE, IF_OPER_UP)
        .nested(IFLA_LINKINFO, n -> n.str(IFLA_INFO_KIND, "veth"))
        .str(IFLA_IFALIAS, "guest 1")
        .u32(13, 1500) // IFLA_MTU: ignored
        .end().buffer();
    Parsed p = LinkMonitor.parse(buf, MUST_NOT_ASK);
    assertEquals(0, p.malformed());
    assertEquals(1, p.messages().size());
    Message m = p.messages().get(0);
    assertEquals(RTM_NEWLINK, m.type());
    assertEquals(AF_UNSPEC, m.family());
    assertEquals(new LinkInfo(7, "vsp-a0", 5, "veth", true, false, "guest 1"), m.link());
    assertEquals(0, buf.position(), "the caller's buffer is left alone");
  }

  @Test
  void absentAttributesHaveTheirDefaults() {
    ByteBuffer buf = new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 3, 0).str(IFLA_IFNAME, "eth9").end().buffer();
    LinkInfo l = single(buf, NO_NIC);
    assertEquals(new LinkInfo(3, "eth9", 0, "", false, false, ""), l);
  }

  @Test
  void operUpIsUpOrUnknownWithCarrier() {
    assertTrue(operUp(IF_OPER_UP, 0), "UP whatever the flags");
    assertTrue(operUp(0, IFF_UP | IFF_LOWER_UP), "UNKNOWN (tun, lo) with IFF_UP and carrier");
    assertFalse(operUp(0, IFF_UP), "UNKNOWN without carrier");
    assertFalse(operUp(IF_OPER_DOWN, IFF_UP | IFF_LOWER_UP), "DOWN");
    assertTrue(operUp(-1, IFF_UP | IFF_LOWER_UP), "no IFLA_OPERSTATE counts as UNKNOWN");
    assertFalse(operUp(-1, IFF_LOWER_UP), "no IFLA_OPERSTATE, admin down");
  }

  private static boolean operUp(int operstate, int flags) {
    Nl nl = new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, flags).str(IFLA_IFNAME, "x");
    if (operstate >= 0) {
      nl.u8(IFLA_OPERSTATE, operstate);
    }
    return single(nl.end().buffer(), NO_NIC).operUp();
  }

  @Test
  void physicalIsAskedOnlyForKindlessNewLinks() {
    List<String> asked = new ArrayList<>();
    Predicate<String> nic = name -> {
      asked.add(name);
      return name.startsWith("eth");
    };
    ByteBuffer buf = new Nl()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0").end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 3, 0).str(IFLA_IFNAME, "ethbr")
        .nested(IFLA_LINKINFO, n -> n.str(IFLA_INFO_KIND, "bridge")).end()
        .begin(RTM_DELLINK, 0, 0).ifinfo(AF_UNSPEC, 4, 0).str(IFLA_IFNAME, "eth1").end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_BRIDGE, 5, 0).str(IFLA_IFNAME, "eth2").u32(IFLA_MASTER, 3).end()
        .buffer();
    Parsed p = LinkMonitor.parse(buf, nic);
    assertEquals(0, p.malformed());
    assertEquals(List.of("eth0"), asked);
    assertTrue(p.messages().get(0).link().physical());
    assertFalse(p.messages().get(1).link().physical());
    assertEquals("bridge", p.messages().get(1).link().kind());
    assertEquals(RTM_DELLINK, p.messages().get(2).type());
    assertFalse(p.messages().get(2).link().physical());
    assertEquals(AF_BRIDGE, p.messages().get(3).family());
  }

  @Test
  void multipartDumpEndsWithDone() {
    ByteBuffer buf = new Nl()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 42).ifinfo(AF_UNSPEC, 1, 0).str(IFLA_IFNAME, "lo").end()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 42).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0").end()
        .begin(NLMSG_DONE, NLM_F_MULTI, 42).i32(0).end()
        .buffer();
    Parsed p = LinkMonitor.parse(buf, NO_NIC);
    assertEquals(0, p.malformed());
    assertEquals(List.of(RTM_NEWLINK, RTM_NEWLINK, NLMSG_DONE), types(p));
    assertEquals("lo", p.messages().get(0).link().name());
    assertEquals("eth0", p.messages().get(1).link().name());
    Message done = p.messages().get(2);
    assertEquals(42, done.seq());
    assertEquals(0, done.errno());
    assertNull(done.link());
  }

  @Test
  void doneWithoutPayloadAndDoneWithAnError() {
    Parsed p = LinkMonitor.parse(new Nl().begin(NLMSG_DONE, NLM_F_MULTI, 1).end()
        .begin(NLMSG_DONE, NLM_F_MULTI, 2).i32(-4).end().buffer(), NO_NIC);
    assertEquals(0, p.malformed());
    assertEquals(0, p.messages().get(0).errno());
    assertEquals(4, p.messages().get(1).errno(), "-EINTR in the payload");
  }

  @Test
  void errorAndAck() {
    ByteBuffer buf = new Nl()
        .begin(NLMSG_ERROR, 0, 9).i32(-1).i32(40).i32(18).i32(9).i32(0).end() // EPERM + the request's header
        .begin(NLMSG_ERROR, 0, 10).i32(0).i32(40).i32(18).i32(10).i32(0).end() // an ack
        .buffer();
    Parsed p = LinkMonitor.parse(buf, NO_NIC);
    assertEquals(0, p.malformed());
    assertEquals(List.of(NLMSG_ERROR, NLMSG_ERROR), types(p));
    assertEquals(1, p.messages().get(0).errno());
    assertEquals(9, p.messages().get(0).seq());
    assertEquals(0, p.messages().get(1).errno());
    assertEquals("RTM_GETLINK dump failed: EPERM (1)", Errno.failed("RTM_GETLINK dump", p.messages().get(0).errno()));
  }

  @Test
  void errorWithoutItsCodeIsMalformed() {
    Parsed p = LinkMonitor.parse(new Nl().begin(NLMSG_ERROR, 0, 9).end().buffer(), NO_NIC);
    assertEquals(1, p.malformed());
    assertTrue(p.messages().isEmpty());
  }

  @Test
  void namesAreDataDecodedWithReplacement() {
    byte[] odd = {'v', 'i', 'f', (byte) 0xff, (byte) 0xfe, '.', '0', 0};
    ByteBuffer buf = new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 8, 0).attr(IFLA_IFNAME, odd)
        .attr(IFLA_IFALIAS, "dom\u00e9 \"x\"; rm".getBytes(StandardCharsets.UTF_8)) // no NUL: bounded by rta_len
        .end().buffer();
    LinkInfo l = single(buf, NO_NIC);
    assertEquals("vif\ufffd\ufffd.0", l.name());
    assertEquals("dom\u00e9 \"x\"; rm", l.alias());
  }

  @Test
  void unknownMessageTypesAndNestedFlagsAreTolerated() {
    ByteBuffer buf = new Nl()
        .begin(1, 0, 0).end() // NLMSG_NOOP
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 9, 0).str(IFLA_IFNAME | 0x4000, "n") // NET_BYTEORDER bit
        .end()
        .begin(24, 0, 0).i32(0).end() // RTM_NEWROUTE
        .buffer();
    Parsed p = LinkMonitor.parse(buf, NO_NIC);
    assertEquals(0, p.malformed());
    assertEquals(List.of(1, RTM_NEWLINK, 24), types(p));
    assertEquals("n", p.messages().get(1).link().name());
  }

  // --- malformed input: skipped, counted, never thrown ------------------------------------------------------

  @Test
  void truncatedMessageEndsDecodingAndIsCounted() {
    ByteBuffer whole = new Nl()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0").end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 3, 0).str(IFLA_IFNAME, "vif1.0").str(IFLA_IFALIAS, "a").end()
        .buffer();
    ByteBuffer cut = whole.duplicate().order(ByteOrder.nativeOrder());
    cut.limit(whole.limit() - 6);
    Parsed p = LinkMonitor.parse(cut, NO_NIC);
    assertEquals(1, p.malformed());
    assertEquals(1, p.messages().size());
    assertEquals("eth0", p.messages().get(0).link().name());
  }

  @Test
  void tailShorterThanAHeaderIsCounted() {
    ByteBuffer whole = new Nl().begin(NLMSG_DONE, 0, 1).i32(0).end().raw(new byte[] {1, 2, 3, 4, 5}).buffer();
    Parsed p = LinkMonitor.parse(whole, NO_NIC);
    assertEquals(1, p.messages().size());
    assertEquals(1, p.malformed());
  }

  @Test
  void impossibleMessageLengthDoesNotLoop() {
    ByteBuffer buf = new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, 0).end().buffer();
    buf.putInt(0, 0); // nlmsg_len 0 would never advance
    Parsed p = LinkMonitor.parse(buf, NO_NIC);
    assertEquals(1, p.malformed());
    assertTrue(p.messages().isEmpty());
    buf.putInt(0, -8); // and a negative (huge unsigned) one
    assertEquals(1, LinkMonitor.parse(buf, NO_NIC).malformed());
  }

  @Test
  void bogusAttributeLengthSkipsThatMessageOnly() {
    ByteBuffer buf = new Nl()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0")
        .rawAttr(2, IFLA_MASTER) // rta_len 2 < sizeof(struct rtattr)
        .end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 3, 0).str(IFLA_IFNAME, "vif3.0")
        .rawAttr(400, IFLA_IFALIAS) // runs past the message
        .end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 4, 0).str(IFLA_IFNAME, "tap4.0")
        .nested(IFLA_LINKINFO, n -> n.rawAttr(99, IFLA_INFO_KIND)) // bogus inside the nest
        .end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 5, 0).str(IFLA_IFNAME, "vnet5").u8(IFLA_MASTER, 1).end() // short u32
        .begin(RTM_DELLINK, 0, 0).ifinfo(AF_UNSPEC, 6, 0).str(IFLA_IFNAME, "vif6.0").end()
        .buffer();
    Parsed p = LinkMonitor.parse(buf, NO_NIC);
    assertEquals(4, p.malformed());
    assertEquals(1, p.messages().size());
    assertEquals("vif6.0", p.messages().get(0).link().name());
  }

  @Test
  void linkMessageShorterThanIfinfomsgOrWithoutNameIsCounted() {
    ByteBuffer buf = new Nl()
        .begin(RTM_NEWLINK, 0, 0).i32(0).end()
        .begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, 2, 0).u32(IFLA_MASTER, 1).end()
        .buffer();
    assertEquals(2, LinkMonitor.parse(buf, NO_NIC).malformed());
  }

  @Test
  void randomBytesNeverThrow() {
    Random r = new Random(20240611);
    ByteBuffer valid = new Nl()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0").u32(IFLA_MASTER, 3)
        .nested(IFLA_LINKINFO, n -> n.str(IFLA_INFO_KIND, "veth")).str(IFLA_IFALIAS, "x").end()
        .begin(NLMSG_DONE, NLM_F_MULTI, 1).i32(0).end().buffer();
    byte[] base = new byte[valid.remaining()];
    valid.get(0, base);
    for (int i = 0; i < 20_000; i++) {
      byte[] b;
      if (i % 2 == 0) {
        b = base.clone(); // mutate a valid dump: the interesting failures are near-valid ones
        for (int k = 0, n = 1 + r.nextInt(4); k < n; k++) {
          b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        }
        b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
      } else {
        b = new byte[r.nextInt(200)];
        r.nextBytes(b);
      }
      ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
      try {
        LinkMonitor.parse(buf, NO_NIC);
      } catch (RuntimeException e) {
        fail("parse threw on input " + i + ": " + java.util.HexFormat.of().formatHex(b), e);
      }
    }
  }

  // --- the link table: dumps, events, overflow reconciliation ------------------------------------------------

  @Test
  void initialDumpReportsEveryLinkThenEventsChangeIt() {
    Recorder rec = new Recorder();
    LinkTable t = new LinkTable(rec);
    t.dumpStarted(1);
    apply(t, new Nl()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 1, 0).str(IFLA_IFNAME, "lo").end()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 2, 0).str(IFLA_IFNAME, "eth0").end());
    assertTrue(t.dumping());
    apply(t, new Nl().begin(NLMSG_DONE, NLM_F_MULTI, 1).i32(0).end());
    assertFalse(t.dumping());
    assertEquals(List.of("up lo", "up eth0"), rec.events);
    assertEquals(0, t.takeDumpErrno());

    apply(t, newLink(3, "vif1.0", 0)); // event
    apply(t, newLink(3, "vif1.0", 0)); // same facts again (e.g. an MTU change): not reported
    apply(t, newLink(3, "vif1.0", 7)); // changed master
    apply(t, delLink(3, "vif1.0"));
    apply(t, delLink(99, "ghost")); // never seen: nothing to report
    assertEquals(List.of("up lo", "up eth0", "up vif1.0", "up vif1.0 master 7", "gone vif1.0 master 7"), rec.events);
    assertEquals(Map.of(1, "lo", 2, "eth0"), names(t));
  }

  @Test
  void redumpAfterOverflowReportsVanishedAndNewLinks() {
    Recorder rec = new Recorder();
    LinkTable t = new LinkTable(rec);
    t.dumpStarted(1);
    apply(t, new Nl()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 1, 0).str(IFLA_IFNAME, "lo").end()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 5, 0).str(IFLA_IFNAME, "vif5.0").end()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 1).ifinfo(AF_UNSPEC, 6, 0).str(IFLA_IFNAME, "vif6.0").end()
        .begin(NLMSG_DONE, NLM_F_MULTI, 1).i32(0).end());
    rec.events.clear();

    // ENOBUFS: events were lost (vif5.0 went, vif7.0 came, vif6.0 was renamed); the monitor asks for a dump.
    t.requestDump();
    assertTrue(t.wantsDump());
    t.dumpStarted(2);
    assertFalse(t.wantsDump());
    apply(t, new Nl().begin(RTM_NEWLINK, NLM_F_MULTI, 2).ifinfo(AF_UNSPEC, 1, 0).str(IFLA_IFNAME, "lo").end());
    apply(t, delLink(8, "vif8.0")); // an event between dump parts, for a link not yet seen: nothing
    apply(t, new Nl()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 2).ifinfo(AF_UNSPEC, 6, 0).str(IFLA_IFNAME, "guest6").end()
        .begin(RTM_NEWLINK, NLM_F_MULTI, 2).ifinfo(AF_UNSPEC, 7, 0).str(IFLA_IFNAME, "vif7.0").end());
    apply(t, delLink(7, "vif7.0")); // gone again during the dump: must not come back at DONE
    apply(t, newLink(9, "vif9.0", 0)); // created during the dump, after its part was sent: kept
    apply(t, new Nl().begin(NLMSG_DONE, NLM_F_MULTI, 2).i32(0).end());
    assertEquals(List.of("up guest6", "up vif7.0", "gone vif7.0", "up vif9.0", "gone vif5.0"), rec.events);
    assertEquals(Map.of(1, "lo", 6, "guest6", 9, "vif9.0"), names(t));
    assertFalse(t.wantsDump());
  }

  @Test
  void requestDuringADumpWaitsForItsEnd() {
    LinkTable t = new LinkTable(new Recorder());
    t.dumpStarted(1);
    t.requestDump();
    assertFalse(t.wantsDump(), "one dump at a time (the kernel says EBUSY otherwise)");
    apply(t, new Nl().begin(NLMSG_DONE, NLM_F_MULTI, 1).i32(0).end());
    assertTrue(t.wantsDump());
  }

  @Test
  void inconsistentDumpAsksForAnother() {
    LinkTable t = new LinkTable(new Recorder());
    t.dumpStarted(3);
    apply(t, new Nl().begin(RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, 3).ifinfo(AF_UNSPEC, 1, 0).str(IFLA_IFNAME, "lo")
        .end().begin(NLMSG_DONE, NLM_F_MULTI, 3).i32(0).end());
    assertTrue(t.wantsDump());
  }

  @Test
  void failedDumpInfersNothingGone() {
    Recorder rec = new Recorder();
    LinkTable t = new LinkTable(rec);
    t.dumpStarted(1);
    apply(t, newLink(2, "eth0", 0).begin(NLMSG_DONE, NLM_F_MULTI, 1).i32(0).end());
    rec.events.clear();
    t.dumpStarted(2);
    apply(t, new Nl().begin(NLMSG_ERROR, 0, 2).i32(-16).i32(40).i32(18).i32(2).i32(0).end());
    assertFalse(t.dumping());
    assertEquals(16, t.takeDumpErrno());
    assertEquals(0, t.takeDumpErrno(), "reported once");
    assertTrue(t.wantsDump());
    assertTrue(rec.events.isEmpty());
    assertEquals(Map.of(2, "eth0"), names(t));

    t.dumpStarted(3);
    apply(t, new Nl().begin(NLMSG_DONE, NLM_F_MULTI, 3).i32(-4).end()); // dump cut short
    assertEquals(4, t.takeDumpErrno());
    assertEquals(Map.of(2, "eth0"), names(t));
  }

  @Test
  void bridgePortRemovalIsNotALinkRemoval() {
    Recorder rec = new Recorder();
    LinkTable t = new LinkTable(rec);
    apply(t, newLink(4, "vif4.0", 3));
    apply(t, new Nl().begin(RTM_DELLINK, 0, 0).ifinfo(AF_BRIDGE, 4, 0).str(IFLA_IFNAME, "vif4.0").u32(IFLA_MASTER, 3).end());
    apply(t, new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_BRIDGE, 4, 0).str(IFLA_IFNAME, "vif4.0").end());
    assertEquals(List.of("up vif4.0 master 3"), rec.events);
    assertEquals(Map.of(4, "vif4.0"), names(t));
  }

  @Test
  void aThrowingListenerDoesNotStopTheTable() {
    LinkTable t = new LinkTable(new LinkMonitor.Listener() {
      @Override
      public void linkUp(LinkInfo link) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void linkGone(LinkInfo last) {
        throw new IllegalStateException("listener bug");
      }
    });
    apply(t, newLink(2, "a", 0));
    apply(t, newLink(3, "b", 0));
    apply(t, delLink(2, "a"));
    assertEquals(Map.of(3, "b"), names(t));
  }

  @Test
  void errnoNames() {
    assertEquals("EEXIST (17)", Errno.describe(17));
    assertEquals("EEXIST (17)", Errno.describe(-17));
    assertEquals("errno 123", Errno.describe(123));
    assertEquals("EOPNOTSUPP (95)", Errno.describe(95));
    assertEquals("LIBBPF_ERRNO__FORMAT (4001)", Errno.describe(-4001), "libbpf's own codes are named too");
    assertEquals("socket(AF_NETLINK, NETLINK_ROUTE) failed: EPERM (1)",
        Errno.failed("socket(AF_NETLINK, NETLINK_ROUTE)", 1));
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  private static LinkInfo single(ByteBuffer buf, Predicate<String> nic) {
    Parsed p = LinkMonitor.parse(buf, nic);
    assertEquals(0, p.malformed());
    assertEquals(1, p.messages().size());
    return p.messages().get(0).link();
  }

  private static List<Integer> types(Parsed p) {
    List<Integer> out = new ArrayList<>();
    for (Message m : p.messages()) {
      out.add(m.type());
    }
    return out;
  }

  private static Nl newLink(int ifindex, String name, int master) {
    Nl nl = new Nl().begin(RTM_NEWLINK, 0, 0).ifinfo(AF_UNSPEC, ifindex, 0).str(IFLA_IFNAME, name);
    if (master != 0) {
      nl.u32(IFLA_MASTER, master);
    }
    return nl.end();
  }

  private static Nl delLink(int ifindex, String name) {
    return new Nl().begin(RTM_DELLINK, 0, 0).ifinfo(AF_UNSPEC, ifindex, 0).str(IFLA_IFNAME, name).end();
  }

  private static void apply(LinkTable t, Nl nl) {
    Parsed p = LinkMonitor.parse(nl.buffer(), NO_NIC);
    assertEquals(0, p.malformed());
    for (Message m : p.messages()) {
      t.apply(m);
    }
  }

  private static Map<Integer, String> names(LinkTable t) {
    Map<Integer, String> out = new java.util.TreeMap<>();
    t.links.forEach((k, v) -> out.put(k, v.name()));
    return out;
  }

  private static final class Recorder implements LinkMonitor.Listener {
    final List<String> events = new ArrayList<>();

    @Override
    public void linkUp(LinkInfo link) {
      events.add("up " + describe(link));
    }

    @Override
    public void linkGone(LinkInfo last) {
      events.add("gone " + describe(last));
    }

    private static String describe(LinkInfo l) {
      return l.name() + (l.masterIfindex() == 0 ? "" : " master " + l.masterIfindex());
    }
  }

  /**
   * Writes netlink messages: struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}, struct
   * ifinfomsg {u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change}, struct rtattr {u16 len;
   * u16 type} followed by the value, each padded to 4 bytes.
   */
  private static final class Nl {
    private final ByteBuffer b = ByteBuffer.allocate(16 * 1024).order(ByteOrder.nativeOrder());
    private int msgStart = -1;

    Nl begin(int type, int flags, int seq) {
      msgStart = b.position();
      b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
      return this;
    }

    Nl ifinfo(int family, int ifindex, int flags) {
      b.put((byte) family).put((byte) 0).putShort((short) 1).putInt(ifindex).putInt(flags).putInt(0);
      return this;
    }

    Nl i32(int v) {
      b.putInt(v);
      return this;
    }

    Nl attr(int type, byte[] value) {
      b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
      pad();
      return this;
    }

    Nl str(int type, String s) {
      byte[] v = s.getBytes(StandardCharsets.UTF_8);
      return attr(type, java.util.Arrays.copyOf(v, v.length + 1));
    }

    Nl u32(int type, int v) {
      return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array());
    }

    Nl u8(int type, int v) {
      return attr(type, new byte[] {(byte) v});
    }

    /** An attribute header with a length of our choosing and four bytes of value. */
    Nl rawAttr(int rtaLen, int type) {
      b.putShort((short) rtaLen).putShort((short) type).putInt(0x41414141);
      return this;
    }

    Nl nested(int type, Consumer<Nl> inner) {
      int start = b.position();
      b.putShort((short) 0).putShort((short) (type | 0x8000)); // NLA_F_NESTED
      inner.accept(this);
      b.putShort(start, (short) (b.position() - start));
      return this;
    }

    Nl raw(byte[] bytes) {
      b.put(bytes);
      return this;
    }

    Nl end() {
      b.putInt(msgStart, b.position() - msgStart);
      msgStart = -1;
      return this;
    }

    ByteBuffer buffer() {
      ByteBuffer out = b.duplicate().order(ByteOrder.nativeOrder());
      out.flip();
      return out;
    }

    private void pad() {
      while ((b.position() & 3) != 0) {
        b.put((byte) 0);
      }
    }
  }
}
