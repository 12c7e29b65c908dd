package io.vifscope.probe;

import static io.vifscope.probe.testing.Frames.ETH_P_8021AD;
import static io.vifscope.probe.testing.Frames.ETH_P_8021Q;
import static io.vifscope.probe.testing.Frames.ETH_P_ARP;
import static io.vifscope.probe.testing.Frames.ETH_P_IP;
import static io.vifscope.probe.testing.Frames.ETH_P_IPV6;
import static io.vifscope.probe.testing.Frames.IPPROTO_ICMP;
import static io.vifscope.probe.testing.Frames.IPPROTO_ICMPV6;
import static io.vifscope.probe.testing.Frames.IPPROTO_TCP;
import static io.vifscope.probe.testing.Frames.IPPROTO_UDP;
import static io.vifscope.probe.testing.Frames.NEXTHDR_DEST;
import static io.vifscope.probe.testing.Frames.NEXTHDR_FRAGMENT;
import static io.vifscope.probe.testing.Frames.NEXTHDR_HOP;
import static io.vifscope.probe.testing.Frames.NEXTHDR_ROUTING;
import static io.vifscope.probe.testing.Frames.v4;
import static io.vifscope.probe.testing.Frames.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Frames;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BPF_PROG_TEST_RUN of the tc programs on a corpus of frames built here, malformed ones included. Every
 * frame must end up either in exactly one flow or under exactly one named unparsed reason, the interface
 * totals must count it either way, and the verdict is always TC_ACT_UNSPEC (pass, let others run).
 */
class PacketCorpusIT {
  private static final int TC_ACT_UNSPEC = -1;
  private static final int[] SRC4 = v4(198, 18, 0, 201);
  private static final int[] DST4 = v4(198, 18, 0, 74);
  private static BpfObject netdev;
  private static MapReader flows;
  private static MapReader counters;
  private static MapReader ifaces;

  /** What one frame did to the maps. */
  private record Outcome(FlowKey flow, FlowStats flowDelta, Counter reason, long ifacePackets, long ifaceUnparsed) {}

  @BeforeAll
  static void load() throws BpfException {
    netdev = BpfObject.open("netdev.bpf.o");
    // Every frame gets its flow at once: the admission filter (a flow enters the map on its second packet)
    // is tested on its own below and in the lab.
    netdev.setRodata("vs_flow_admission", (byte) 0);
    netdev.load();
    flows = new MapReader(netdev.map("flow_stats"));
    counters = new MapReader(netdev.map("counters"));
    ifaces = new MapReader(netdev.map("iface_stats"));
  }

  @AfterAll
  static void unload() {
    if (netdev != null) {
      flows.close();
      counters.close();
      ifaces.close();
      netdev.close();
    }
  }

  private static Map<FlowKey, FlowStats> flows() throws BpfException {
    Map<FlowKey, FlowStats> m = new HashMap<>();
    flows.read((k, ko, v, vo, stride, n) -> m.put(FlowKey.decode(k, ko), FlowStats.sum(v, vo, stride, n)));
    return m;
  }

  private static long[] counters() throws BpfException {
    long[] c = new long[Counter.values().length];
    counters.read((k, ko, v, vo, stride, n) -> {
      int i = k.getInt(ko);
      for (int cpu = 0; cpu < n && i < c.length; cpu++) {
        c[i] += v.getLong(vo + cpu * stride);
      }
    });
    return c;
  }

  private static IfaceStats ifaceTotal() throws BpfException {
    long[] t = new long[3];
    ifaces.read((k, ko, v, vo, stride, n) -> {
      IfaceStats s = IfaceStats.sum(v, vo, stride, n);
      t[0] += s.packets();
      t[1] += s.bytes();
      t[2] += s.unparsed();
    });
    return new IfaceStats(t[0], t[1], t[2]);
  }

  /** Runs one frame and reports exactly what changed; fails on anything but one flow or one reason. */
  private static Outcome run(byte[] frame) throws BpfException {
    Map<FlowKey, FlowStats> f0 = flows();
    long[] c0 = counters();
    IfaceStats i0 = ifaceTotal();
    BpfProgram.TestRunResult r = netdev.program("tc_ingress").testRun(frame);
    assertEquals(TC_ACT_UNSPEC, r.retval(), "verdict: the program must pass every packet on (TC_ACT_UNSPEC)");
    Map<FlowKey, FlowStats> f1 = flows();
    long[] c1 = counters();
    IfaceStats i1 = ifaceTotal();

    FlowKey changed = null;
    FlowStats delta = null;
    for (Map.Entry<FlowKey, FlowStats> e : f1.entrySet()) {
      FlowStats before = f0.getOrDefault(e.getKey(), new FlowStats(0, 0));
      if (e.getValue().packets() != before.packets()) {
        assertEquals(null, changed, "one frame changed two flows");
        changed = e.getKey();
        delta = new FlowStats(e.getValue().packets() - before.packets(), e.getValue().bytes() - before.bytes());
      }
    }
    Counter reason = null;
    for (Counter c : Counter.values()) {
      if (c.kind() == Counter.Kind.UNPARSED && c1[c.index()] != c0[c.index()]) {
        assertEquals(null, reason, "one frame counted under two reasons");
        assertEquals(1, c1[c.index()] - c0[c.index()]);
        reason = c;
      }
    }
    assertTrue((changed == null) != (reason == null), "a frame is either a flow or unparsed: flow " + changed + ", reason " + reason);
    long ifacePackets = i1.packets() - i0.packets();
    assertEquals(1, ifacePackets, "the interface totals count every frame");
    assertEquals(frame.length, i1.bytes() - i0.bytes(), "interface bytes = frame length");
    return new Outcome(changed, delta, reason, ifacePackets, i1.unparsed() - i0.unparsed());
  }

  private static FlowKey flowOf(byte[] frame) throws BpfException {
    Outcome o = run(frame);
    assertNotNull(o.flow(), "expected a flow, got unparsed " + o.reason());
    assertEquals(1, o.flowDelta().packets());
    assertEquals(frame.length, o.flowDelta().bytes());
    assertEquals(0, o.ifaceUnparsed());
    assertEquals(Direction.INGRESS, o.flow().direction());
    return o.flow();
  }

  private static void assertUnparsed(Counter expected, byte[] frame, String what) throws BpfException {
    Outcome o = run(frame);
    assertEquals(expected, o.reason(), what);
    assertEquals(1, o.ifaceUnparsed(), what + ": interface unparsed count");
  }

  private static byte[] udp4() {
    return Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 20 + 8 + 32, IPPROTO_UDP, 0, false, SRC4, DST4)
        .udp(40000, 514, 8 + 32).payload(32).build();
  }

  private static byte[] truncate(byte[] frame, int len) {
    return java.util.Arrays.copyOf(frame, len);
  }

  @Test
  void ipv4UdpTcpIcmp() throws Exception {
    FlowKey u = flowOf(udp4());
    assertEquals(4, u.family());
    assertEquals(IPPROTO_UDP, u.protocol());
    assertEquals(40000, u.sport());
    assertEquals(514, u.dport());
    assertEquals(InetAddress.getByName("198.18.0.201"), u.sourceAddress());
    assertEquals(InetAddress.getByName("198.18.0.74"), u.destinationAddress());
    assertEquals(0, u.vlan());
    assertEquals(0, u.flags());

    FlowKey t = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 40, IPPROTO_TCP, 0, false, SRC4, DST4)
        .tcp(51000, 443).build());
    assertEquals(IPPROTO_TCP, t.protocol());
    assertEquals(51000, t.sport());
    assertEquals(443, t.dport());

    FlowKey i = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 28, IPPROTO_ICMP, 0, false, SRC4, DST4)
        .icmp(3, 13).build());
    assertEquals(IPPROTO_ICMP, i.protocol());
    assertEquals(3, i.sport(), "ICMP type takes the source port's place");
    assertEquals(13, i.dport(), "ICMP code takes the destination port's place");
  }

  @Test
  void ipv4OptionsAreSkipped() throws Exception {
    FlowKey k = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(8, 32 + 8, IPPROTO_UDP, 0, false, SRC4, DST4)
        .udp(1234, 5678, 8).build());
    assertEquals(1234, k.sport());
    assertEquals(5678, k.dport());
  }

  @Test
  void badIpv4Headers() throws Exception {
    assertUnparsed(Counter.UNPARSED_BAD_IHL, Frames.ethernet().macs().u16(ETH_P_IP)
        .ipv4(4, 28, IPPROTO_UDP, 0, false, SRC4, DST4).udp(1, 2, 8).build(), "IHL 4");
    byte[] v6inV4 = udp4();
    v6inV4[14] = 0x65;
    assertUnparsed(Counter.UNPARSED_BAD_IP_VERSION, v6inV4, "version 6 under the IPv4 ethertype");
    // IHL 15 (60-byte header) but the frame ends after 30 bytes of IP.
    byte[] longOptions = Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 60, IPPROTO_UDP, 0, false, SRC4, DST4)
        .zeros(10).build();
    longOptions[14] = 0x4f;
    assertUnparsed(Counter.UNPARSED_TRUNCATED_IPV4, longOptions, "options past the end");
  }

  @Test
  void truncationAtEveryOffsetOfIpv4Udp() throws Exception {
    byte[] full = udp4();
    // The kernel's test harness itself refuses an untagged IPv4 frame without a whole IPv4 header (and any
    // frame shorter than an Ethernet header): say so, then reach those cuts through a VLAN tag below.
    for (int len = 0; len < 14 + 20; len++) {
      byte[] cut = truncate(full, len);
      assertThrows(BpfException.class, () -> netdev.program("tc_ingress").testRun(cut), "length " + len);
    }
    for (int len = 14 + 20; len < 14 + 20 + 4; len++) {
      assertUnparsed(Counter.UNPARSED_TRUNCATED_L4, truncate(full, len), "IPv4/UDP cut at " + len);
    }
    // Ports present, payload cut: still a flow (the parser needs nothing past the ports).
    flowOf(truncate(full, 14 + 20 + 4));

    byte[] tagged = Frames.ethernet().macs().tag(ETH_P_8021Q, 7).u16(ETH_P_IP)
        .ipv4(5, 20 + 8, IPPROTO_UDP, 0, false, SRC4, DST4).udp(40000, 514, 8).build();
    assertEquals(7, flowOf(tagged).vlan());
    for (int len = 14; len < 18 + 20 + 4; len++) {
      Counter expected = len < 18 ? Counter.UNPARSED_TRUNCATED_VLAN
          : len < 18 + 20 ? Counter.UNPARSED_TRUNCATED_IPV4 : Counter.UNPARSED_TRUNCATED_L4;
      assertUnparsed(expected, truncate(tagged, len), "VLAN/IPv4/UDP cut at " + len);
    }
  }

  @Test
  void truncationAtEveryOffsetOfTaggedIpv6Udp() throws Exception {
    byte[] full = Frames.ethernet().macs().tag(ETH_P_8021Q, 503).u16(ETH_P_IPV6)
        .ipv6(8 + 4, IPPROTO_UDP, v6(0x11), v6(0x74)).udp(3000, 514, 12).payload(4).build();
    FlowKey k = flowOf(full);
    assertEquals(503, k.vlan());
    assertEquals(6, k.family());
    for (int len = 14; len < 18 + 40 + 4; len++) {
      Counter expected = len < 18 ? Counter.UNPARSED_TRUNCATED_VLAN
          : len < 18 + 40 ? Counter.UNPARSED_TRUNCATED_IPV6 : Counter.UNPARSED_TRUNCATED_L4;
      assertUnparsed(expected, truncate(full, len), "VLAN/IPv6/UDP cut at " + len);
    }
  }

  @Test
  void vlanTagsAndQinQ() throws Exception {
    FlowKey q = flowOf(Frames.ethernet().macs().tag(ETH_P_8021AD, 100).tag(ETH_P_8021Q, 200).u16(ETH_P_IP)
        .ipv4(5, 28, IPPROTO_UDP, 0, false, SRC4, DST4).udp(1, 514, 8).build());
    assertEquals(100, q.vlan(), "the outer (service) tag identifies the flow's VLAN");
    assertEquals(514, q.dport());
    assertUnparsed(Counter.UNPARSED_TOO_MANY_VLANS, Frames.ethernet().macs().tag(ETH_P_8021AD, 1).tag(ETH_P_8021Q, 2)
        .tag(ETH_P_8021Q, 3).u16(ETH_P_IP).ipv4(5, 28, IPPROTO_UDP, 0, false, SRC4, DST4).udp(1, 2, 8).build(),
        "three inline tags");
  }

  @Test
  void nonIp() throws Exception {
    assertUnparsed(Counter.UNPARSED_NON_IP, Frames.ethernet().macs().u16(ETH_P_ARP).zeros(28).build(), "ARP");
  }

  @Test
  void ipv6ExtensionHeaderChains() throws Exception {
    FlowKey k = flowOf(Frames.ethernet().macs().u16(ETH_P_IPV6)
        .ipv6(8 + 16 + 8 + 8, NEXTHDR_HOP, v6(1), v6(2))
        .ext(NEXTHDR_ROUTING, 0).ext(NEXTHDR_DEST, 1).ext(IPPROTO_UDP, 0).udp(7, 8, 8).build());
    assertEquals(IPPROTO_UDP, k.protocol(), "protocol after the chain");
    assertEquals(7, k.sport());
    assertEquals(8, k.dport());

    FlowKey icmp6 = flowOf(Frames.ethernet().macs().u16(ETH_P_IPV6).ipv6(8, IPPROTO_ICMPV6, v6(1), v6(2))
        .icmp(128, 0).build());
    assertEquals(128, icmp6.sport());

    // The routing header claims 255 * 8 more bytes than the frame has.
    assertUnparsed(Counter.UNPARSED_TRUNCATED_EXT_HDR, Frames.ethernet().macs().u16(ETH_P_IPV6)
        .ipv6(16, NEXTHDR_ROUTING, v6(1), v6(2)).u8(IPPROTO_UDP).u8(255).zeros(6).udp(1, 2, 8).build(),
        "extension header length past the end");
    // A chain cut inside an extension header.
    assertUnparsed(Counter.UNPARSED_TRUNCATED_EXT_HDR, Frames.ethernet().macs().u16(ETH_P_IPV6)
        .ipv6(8, NEXTHDR_HOP, v6(1), v6(2)).u8(NEXTHDR_DEST).build(), "chain cut in a header");
    Frames nine = Frames.ethernet().macs().u16(ETH_P_IPV6).ipv6(9 * 8 + 8, NEXTHDR_DEST, v6(1), v6(2));
    for (int i = 0; i < 9; i++) {
      nine.ext(i < 8 ? NEXTHDR_DEST : IPPROTO_UDP, 0);
    }
    assertUnparsed(Counter.UNPARSED_TOO_MANY_EXT_HDRS, nine.udp(1, 2, 8).build(), "nine extension headers");
  }

  @Test
  void fragmentsCarryPortsOnlyInTheFirst() throws Exception {
    FlowKey first6 = flowOf(Frames.ethernet().macs().u16(ETH_P_IPV6).ipv6(8 + 8 + 8, NEXTHDR_FRAGMENT, v6(1), v6(2))
        .fragment(IPPROTO_UDP, 0, true).udp(1111, 2222, 100).build());
    assertEquals(FlowKey.FLAG_FRAGMENT, first6.flags());
    assertEquals(2222, first6.dport());
    FlowKey later6 = flowOf(Frames.ethernet().macs().u16(ETH_P_IPV6).ipv6(8 + 8, NEXTHDR_FRAGMENT, v6(1), v6(2))
        .fragment(IPPROTO_UDP, 185, false).payload(8).build());
    assertEquals(FlowKey.FLAG_FRAGMENT, later6.flags());
    assertEquals(IPPROTO_UDP, later6.protocol());
    assertEquals(0, later6.sport());
    assertEquals(0, later6.dport());

    FlowKey first4 = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 20 + 8, IPPROTO_UDP, 0, true, SRC4, DST4)
        .udp(1111, 2222, 1000).build());
    assertEquals(FlowKey.FLAG_FRAGMENT, first4.flags());
    assertEquals(2222, first4.dport());
    FlowKey later4 = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 20 + 8, IPPROTO_UDP, 100, false, SRC4, DST4)
        .payload(8).build());
    assertEquals(FlowKey.FLAG_FRAGMENT, later4.flags());
    assertEquals(0, later4.dport(), "no ports from a non-first fragment");
  }

  @Test
  void zeroLengthUdp() throws Exception {
    FlowKey k = flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 28, IPPROTO_UDP, 0, false, SRC4, DST4)
        .udp(9, 10, 8).build());
    assertEquals(10, k.dport());
    // A UDP header claiming length 0 is still classified by its ports.
    flowOf(Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 28, IPPROTO_UDP, 0, false, SRC4, DST4).udp(9, 11, 0).build());
  }

  @Test
  void theAdmissionFilterHoldsAFlowsFirstPacketAndCreditsIt() throws Exception {
    try (BpfObject o = BpfObject.open("netdev.bpf.o")) {
      o.load(); // default: admission on
      try (MapReader f = new MapReader(o.map("flow_stats")); MapReader c = new MapReader(o.map("counters"))) {
        byte[] frame = Frames.ethernet().macs().u16(ETH_P_IP).ipv4(5, 28, IPPROTO_UDP, 0, false, SRC4, DST4)
            .udp(7777, 514, 8).build();
        o.program("tc_ingress").testRun(frame);
        assertEquals(0, count(f), "one packet: held, no flow yet");
        o.program("tc_ingress").testRun(frame);
        Map<FlowKey, FlowStats> flows = new HashMap<>();
        f.read((k, ko, v, vo, stride, n) -> flows.put(FlowKey.decode(k, ko), FlowStats.sum(v, vo, stride, n)));
        assertEquals(1, flows.size());
        assertEquals(2, flows.values().iterator().next().packets(), "the held first packet is credited");
        long[] counts = new long[Counter.values().length];
        c.read((k, ko, v, vo, stride, n) -> {
          for (int cpu = 0; cpu < n; cpu++) {
            counts[k.getInt(ko)] += v.getLong(vo + cpu * stride);
          }
        });
        assertEquals(1, counts[Counter.FLOW_DEFERRED.index()]);
        assertEquals(1, counts[Counter.FLOW_CREDITED.index()]);
      }
    }
  }

  private static int count(MapReader r) throws BpfException {
    return r.read((k, ko, v, vo, stride, n) -> { });
  }
}
