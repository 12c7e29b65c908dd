package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vifscope.control.rank.Services;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.GuestNic;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.IfaceKey;
import io.vifscope.proto.v1.DiagnoseRequest;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.GetSoftirqStatsRequest;
import io.vifscope.proto.v1.GetSoftirqStatsResponse;
import io.vifscope.proto.v1.GroupBy;
import io.vifscope.proto.v1.InterfaceRole;
import io.vifscope.proto.v1.ListDomainsRequest;
import io.vifscope.proto.v1.ListDomainsResponse;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.Severity;
import io.vifscope.proto.v1.SortBy;
import io.vifscope.proto.v1.Talker;
import io.vifscope.proto.v1.TalkerFilter;
import io.vifscope.proto.v1.WatchTopTalkersRequest;
import io.vifscope.proto.v1.WatchTopTalkersResponse;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rpc in-process over a window the test builds: the incident (three syslog senders through the uplink
 * to one guest's custom-named vif), plus quieter traffic, so that each answer can be checked by hand.
 */
class ProbeServiceImplTest {
  static final int UPLINK = 2;
  static final int VIF = 5;
  static final int WEB = 6;
  static final Domain SYSLOG01 = new Domain(74, "syslog01", "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a");
  static final Domain WEB01 = new Domain(12, "web01", "6b2d8e0f-12a4-4c6b-9d3e-0c0000000012");
  private static final double SECONDS = 10;

  private final FakeAgentState state = new FakeAgentState();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private Server server;
  private ManagedChannel channel;
  private ProbeServiceGrpc.ProbeServiceBlockingStub stub;

  @TempDir
  Path tmp;

  @BeforeEach
  void start() throws Exception {
    state.resolutions.put(UPLINK, new Resolution("vsleth0", Role.PHYSICAL, null, "", false));
    state.resolutions.put(VIF, new Resolution("000a17-I", Role.GUEST_VIF,
        new GuestNic(SYSLOG01, 0, "00:16:3e:4a:00:00", false), "xenstore", false));
    state.resolutions.put(WEB, new Resolution("vif12.0", Role.GUEST_VIF, new GuestNic(WEB01, 0, "", false), "xl", false));
    state.domains.add(SYSLOG01);
    state.domains.add(WEB01);
    state.windows = w -> incident(0);
    Path services = tmp.resolve("services");
    Files.writeString(services, "syslog\t\t514/udp\nshell\t\t514/tcp\t\tcmd syslog\nhttps\t\t443/tcp\n");
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new ProbeServiceImpl(state, Services.load(services), timer)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = ProbeServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    timer.shutdownNow();
  }

  private static FlowKey flow(int ifindex, Direction d, String src, int sport, int proto, int dport) throws Exception {
    byte[] s = InetAddress.getByName(src).getAddress();
    byte[] t = InetAddress.getByName("198.18.0.74").getAddress();
    return new FlowKey(ifindex, d, 4, proto, 0, 0, sport, dport, be(s), 0, be(t), 0);
  }

  private static long be(byte[] a4) {
    long v = 0;
    for (byte b : a4) {
      v = (v << 8) | (b & 0xff);
    }
    return v << 32;
  }

  /** The incident over 10 s; {@code unattributed} packets lost on the uplink. */
  static WindowStats incident(long unattributed) {
    try {
      Map<FlowKey, long[]> flows = new HashMap<>();
      String[] senders = {"198.18.0.201", "198.18.0.202", "198.18.0.203"};
      long[] packets = {120_000, 100_000, 80_000};
      for (int i = 0; i < 3; i++) {
        long p = packets[i];
        flows.put(flow(UPLINK, Direction.INGRESS, senders[i], 40000 + i, 17, 514), new long[] {p, p * 300});
        flows.put(flow(VIF, Direction.EGRESS, senders[i], 40000 + i, 17, 514), new long[] {p, p * 300});
      }
      // Web: fewer packets, but bigger ones.
      flows.put(flow(WEB, Direction.EGRESS, "198.18.0.1", 443, 6, 51000), new long[] {50_000, 50_000L * 2000});
      flows.put(flow(UPLINK, Direction.INGRESS, "198.18.0.1", 443, 6, 51000), new long[] {50_000, 50_000L * 2000});
      Map<IfaceKey, long[]> ifaces = new HashMap<>();
      ifaces.put(new IfaceKey(UPLINK, Direction.INGRESS), new long[] {350_000 + unattributed, 90_000_000L + 100_000_000L, 0});
      ifaces.put(new IfaceKey(VIF, Direction.EGRESS), new long[] {300_000, 90_000_000L, 0});
      ifaces.put(new IfaceKey(WEB, Direction.EGRESS), new long[] {50_000, 100_000_000L, 0});
      List<long[][]> softirq = new ArrayList<>();
      long[][] cpu0 = new long[10][];
      cpu0[1] = new long[] {1000, 100_000_000L, 0, 0};
      long[][] cpu1 = new long[10][];
      cpu1[3] = new long[] {40_000, 6_100_000_000L, 30_000, 4_758_000_000L};
      softirq.add(cpu0);
      softirq.add(cpu1);
      List<Map<String, long[]>> napi = List.of(Map.of(),
          Map.of("vsleth0", new long[] {350_000, 350_000, 0, 4_000_000_000L, 0}, "", new long[] {0, 0, 0, 1_000_000_000L, 0}));
      Map<IfaceKey, Long> unattr = unattributed == 0 ? Map.of() : Map.of(new IfaceKey(UPLINK, Direction.INGRESS), unattributed);
      return new WindowStats(SECONDS, 0, flows, Map.of(), ifaces, softirq, napi,
          Map.of(Counter.FLOW_INSERTS, 8L), unattr, Map.of(UPLINK, "vsleth0", VIF, "000a17-I", WEB, "vif12.0"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  @Test
  void topSourcesByPacketsWithServiceDomainAndDirection() {
    ListTopTalkersResponse r = stub.listTopTalkers(ListTopTalkersRequest.getDefaultInstance());
    assertEquals("dom0-test", r.getMeta().getNode());
    assertEquals(10, r.getMeta().getWindow().getSeconds());
    assertEquals(java.time.Duration.ofSeconds(10), state.asked.get(0), "default window is 10 s");
    assertEquals(8, r.getTalkersCount(), "one row per source, interface and direction");
    Talker top = r.getTalkers(0);
    assertEquals("198.18.0.201", top.getSourceAddress());
    assertEquals(12_000, top.getPacketsPerSecond(), 1e-9);
    assertEquals(120_000, top.getPackets());
    assertEquals(120_000.0 / 350_000, r.getTalkersList().stream()
        .filter(t -> t.getInterface().getName().equals("vsleth0") && t.getSourceAddress().equals("198.18.0.201"))
        .findFirst().orElseThrow().getInterfaceShare(), 1e-9);
    Talker onVif = r.getTalkersList().stream().filter(t -> t.getInterface().getName().equals("000a17-I")).findFirst()
        .orElseThrow();
    assertEquals(io.vifscope.proto.v1.Direction.DIRECTION_TO_GUEST, onVif.getDirection());
    assertEquals("syslog01", onVif.getDomain().getName());
    assertEquals(74, onVif.getDomain().getId());
    assertEquals(InterfaceRole.INTERFACE_ROLE_GUEST_VIF, onVif.getInterface().getRole());
    Talker onUplink = r.getTalkersList().stream().filter(t -> t.getInterface().getName().equals("vsleth0")).findFirst()
        .orElseThrow();
    assertEquals(io.vifscope.proto.v1.Direction.DIRECTION_HOST_RECEIVE, onUplink.getDirection());
    assertFalse(r.getMeta().getCoverage().getPartial());
  }

  @Test
  void flowsCarryProtocolPortsAndTheServiceName() {
    ListTopTalkersResponse r = stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setGroupBy(GroupBy.GROUP_BY_FLOW)
        .setFilter(TalkerFilter.newBuilder().addInterfaces("000a17-I")).build());
    assertEquals(3, r.getTalkersCount());
    Talker t = r.getTalkers(0);
    assertEquals("udp", t.getProtocolName());
    assertEquals(514, t.getDestinationPort());
    assertEquals("syslog", t.getService(), "514/udp is syslog in the services database, not 514/tcp's shell");
    assertEquals("198.18.0.74", t.getDestinationAddress());
  }

  @Test
  void groupingByDomainPortAndInterface() {
    ListTopTalkersResponse byDomain = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setGroupBy(GroupBy.GROUP_BY_DOMAIN).build());
    assertEquals(2, byDomain.getTalkersCount(), "only guest interfaces count by domain: no double counting");
    assertEquals("syslog01", byDomain.getTalkers(0).getDomain().getName());
    assertEquals(300_000, byDomain.getTalkers(0).getPackets());
    assertEquals(io.vifscope.proto.v1.Direction.DIRECTION_TO_GUEST, byDomain.getTalkers(0).getDirection());

    ListTopTalkersResponse byPort = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setGroupBy(GroupBy.GROUP_BY_DESTINATION_PORT).build());
    assertEquals(514, byPort.getTalkers(0).getDestinationPort());
    assertEquals(300_000, byPort.getTalkers(0).getPackets());

    ListTopTalkersResponse byIf = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setGroupBy(GroupBy.GROUP_BY_INTERFACE).build());
    assertEquals("vsleth0", byIf.getTalkers(0).getInterface().getName());
    assertEquals(350_000, byIf.getTalkers(0).getPackets());
    assertEquals(1.0, byIf.getTalkers(0).getInterfaceShare(), 1e-9);
  }

  @Test
  void filtersSortingAndLimit() {
    ListTopTalkersResponse bytes = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setSortBy(SortBy.SORT_BY_BYTES).setGroupBy(GroupBy.GROUP_BY_DOMAIN).build());
    assertEquals("web01", bytes.getTalkers(0).getDomain().getName(), "web01 moves more bytes with fewer packets");

    ListTopTalkersResponse tcp = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setFilter(TalkerFilter.newBuilder().addProtocols(6)).build());
    assertTrue(tcp.getTalkersList().stream().allMatch(t -> t.getSourceAddress().equals("198.18.0.1")));

    ListTopTalkersResponse port = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setFilter(TalkerFilter.newBuilder().addPorts(514).addDomains("74")).build());
    assertEquals(3, port.getTalkersCount());

    ListTopTalkersResponse fromGuest = stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setFilter(TalkerFilter.newBuilder().setDirection(io.vifscope.proto.v1.Direction.DIRECTION_FROM_GUEST)).build());
    assertEquals(0, fromGuest.getTalkersCount());

    assertEquals(2, stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setLimit(2).build()).getTalkersCount());
  }

  private void assertInvalid(String field, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith(field + ":"), e.getStatus().getDescription());
  }

  @Test
  void badRequestsNameTheField() {
    assertInvalid("window", () -> stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setWindow(seconds(3600)).build()));
    assertInvalid("window", () -> stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setWindow(Duration.newBuilder().setNanos(1000)).build()));
    assertInvalid("limit", () -> stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setLimit(1 << 31).build()));
    TalkerFilter.Builder many = TalkerFilter.newBuilder();
    for (int i = 0; i < 10_000; i++) {
      many.addInterfaces("vif" + i + ".0");
    }
    assertInvalid("filter.interfaces", () -> stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setFilter(many).build()));
    assertInvalid("filter.ports", () -> stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
        .setFilter(TalkerFilter.newBuilder().addPorts(70_000)).build()));
    assertInvalid("window", () -> stub.getSoftirqStats(GetSoftirqStatsRequest.newBuilder().setWindow(seconds(301)).build()));
    assertInvalid("hot_cpu_softirq_share", () -> stub.diagnose(DiagnoseRequest.newBuilder().setHotCpuSoftirqShare(2).build()));
    assertInvalid("interval", () -> stub.watchTopTalkers(WatchTopTalkersRequest.newBuilder()
        .setInterval(Duration.newBuilder().setNanos(1_000_000)).build()).hasNext());
  }

  @Test
  void softirqPerCpuWithKsoftirqdShareAndNapiDevices() {
    GetSoftirqStatsResponse r = stub.getSoftirqStats(GetSoftirqStatsRequest.getDefaultInstance());
    assertEquals(2, r.getCpusCount());
    assertEquals(0.61, r.getCpus(1).getSoftirqShare(), 1e-9);
    assertEquals(0.78, r.getCpus(1).getKsoftirqdShare(), 1e-9);
    assertEquals("NET_RX", r.getCpus(1).getVectors(0).getName());
    assertEquals("vsleth0", r.getCpus(1).getNapi(0).getDevice());
    assertEquals(0.4, r.getCpus(1).getNapi(0).getCpuShare(), 1e-9);
    assertEquals(InterfaceRole.INTERFACE_ROLE_PHYSICAL, r.getCpus(1).getNapi(0).getInterface().getRole());
    assertEquals(ProbeServiceImpl.NOT_A_POLL, r.getCpus(1).getNapi(1).getDevice());
  }

  @Test
  void interfacesAndDomains() {
    state.drops.put("000a17-I", new long[] {0, 42, 0, 1});
    ListInterfacesResponse i = stub.listInterfaces(ListInterfacesRequest.getDefaultInstance());
    assertEquals("vsleth0", i.getInterfaces(0).getInterface().getName());
    var vif = i.getInterfacesList().stream().filter(x -> x.getInterface().getName().equals("000a17-I")).findFirst().orElseThrow();
    assertEquals(30_000, vif.getTxPacketsPerSecond(), 1e-9);
    assertEquals(42, vif.getTxDropped());
    assertEquals(1, vif.getTxErrors());
    assertEquals("xenstore", vif.getDomainSource());

    // A source that numbers domains its own way (libvirt's test driver) lists syslog01 as id 3 first; the
    // answer keeps the id its interface resolves to, as every other answer shows it.
    state.domains.add(0, new Domain(3, "syslog01", SYSLOG01.uuid()));
    ListDomainsResponse d = stub.listDomains(ListDomainsRequest.getDefaultInstance());
    assertEquals("syslog01", d.getDomains(0).getDomain().getName());
    assertEquals(74, d.getDomains(0).getDomain().getId());
    assertEquals(30_000, d.getDomains(0).getToGuestPacketsPerSecond(), 1e-9);
    assertEquals("000a17-I", d.getDomains(0).getInterfaces(0).getName());
  }

  @Test
  void diagnoseNamesTheIncident() {
    DiagnoseResponse r = stub.diagnose(DiagnoseRequest.getDefaultInstance());
    assertEquals("CPU1 si 61% (NET_RX, 78% in ksoftirqd) · vsleth0 → vif 000a17-I (domain syslog01, id 74) · "
        + "UDP/514 syslog 30k pkt/s from 3 sources", r.getSummary());
    assertEquals(1, r.getHotCpusCount());
    assertEquals(1, r.getHotCpus(0).getCpu());
    assertEquals("vsleth0", r.getNapiDevices(0).getDevice());
    assertEquals("000a17-I", r.getGuestInterfaces(0).getInterface().getName());
    assertEquals(3, r.getTopSourcesCount());
    assertTrue(r.getFindingsList().stream().anyMatch(f -> f.getKind().equals("hot_cpu")
        && f.getSeverity() == Severity.SEVERITY_CRITICAL), r.getFindingsList().toString());
    assertTrue(r.getFindingsList().stream().anyMatch(f -> f.getKind().equals("busy_guest_interface")
        && f.getMessage().contains("syslog01")), r.getFindingsList().toString());
  }

  @Test
  void aPartialAnswerSaysSo() {
    state.windows = w -> incident(5_000);
    state.evictions = w -> 12;
    ListTopTalkersResponse r = stub.listTopTalkers(ListTopTalkersRequest.getDefaultInstance());
    assertTrue(r.getMeta().getCoverage().getPartial());
    assertEquals(5_000, r.getMeta().getCoverage().getUnattributedPackets());
    assertEquals(12, r.getMeta().getCoverage().getEvictions());
    assertTrue(stub.diagnose(DiagnoseRequest.getDefaultInstance()).getFindingsList().stream()
        .anyMatch(f -> f.getKind().equals("partial_coverage")));
  }

  @Test
  void watchStreamsUpdatesUntilCancelled() {
    Iterator<WatchTopTalkersResponse> it = stub.watchTopTalkers(WatchTopTalkersRequest.newBuilder()
        .setQuery(ListTopTalkersRequest.newBuilder().setLimit(1)).build());
    for (int i = 0; i < 2; i++) {
      WatchTopTalkersResponse u = it.next();
      assertEquals(1, u.getTalkersCount());
      assertEquals("198.18.0.201", u.getTalkers(0).getSourceAddress());
    }
    channel.shutdownNow(); // cancels the stream; the server-side task must stop
  }

  @Test
  void statusCarriesMeta() {
    assertEquals("dom0-test", stub.getAgentStatus(GetAgentStatusRequest.getDefaultInstance()).getMeta().getNode());
  }
}
