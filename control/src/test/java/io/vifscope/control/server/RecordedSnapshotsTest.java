package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vifscope.control.rank.History;
import io.vifscope.control.rank.Services;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.GuestNic;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.IfaceStats;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.SoftirqStats;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * The service over the real history, fed recorded snapshots the way the agent's poll loop feeds it: a flow
 * evicted from the kernel map mid-window and an interface that vanishes are answered without error, and the
 * answer says it is partial.
 */
class RecordedSnapshotsTest {
  private static final int VIF = 5;
  private static final int WEB = 6;

  private static FlowKey flow(int ifindex, long srcLastByte) {
    return new FlowKey(ifindex, Direction.EGRESS, 4, 17, 0, 0, 40000, 514, (0xC61200L << 8 | srcLastByte) << 32, 0,
        0xC612004AL << 32, 0);
  }

  @Test
  void evictedFlowsAndVanishedInterfacesAreAnsweredAndMarkedPartial() throws Exception {
    History history = new History(Duration.ofMinutes(5), Duration.ofSeconds(1));
    FlowKey heavy = flow(VIF, 201);
    FlowKey light = flow(VIF, 99);
    FlowKey web = flow(WEB, 7);
    long inserts = 3;
    for (int t = 0; t <= 10; t++) {
      Map<FlowKey, FlowStats> flows = new HashMap<>();
      flows.put(heavy, new FlowStats(1000L * t, 300_000L * t));
      if (t < 6) {
        flows.put(light, new FlowStats(10L * t, 3000L * t)); // evicted from the kernel map after t = 5
      }
      Map<IfaceKey, IfaceStats> ifaces = new HashMap<>();
      ifaces.put(new IfaceKey(VIF, Direction.EGRESS), new IfaceStats(1010L * t, 303_000L * t, 0));
      Map<Integer, String> names = new HashMap<>(Map.of(VIF, "000a17-I"));
      if (t < 8) {
        flows.put(web, new FlowStats(100L * t, 10_000L * t));
        ifaces.put(new IfaceKey(WEB, Direction.EGRESS), new IfaceStats(100L * t, 10_000L * t, 0));
        names.put(WEB, "vif12.0"); // the guest is destroyed at t = 8
      }
      history.add(new ProbeSnapshot(t * 1_000_000_000L, new SoftirqStats[0][], List.of(), ifaces, flows,
          Map.of(Counter.FLOW_INSERTS, inserts), 65_536, names));
    }

    FakeAgentState state = new FakeAgentState();
    state.windows = history::window;
    state.evictions = history::flowEvictions;
    state.resolutions.put(VIF, new Resolution("000a17-I", Role.GUEST_VIF,
        new GuestNic(new Domain(74, "syslog01", ""), 0, "", false), "xenstore", false));
    state.resolutions.put(WEB, new Resolution("vif12.0", Role.GUEST_VIF,
        new GuestNic(new Domain(12, "web01", ""), 0, "", false), "xl", false));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new ProbeServiceImpl(state, Services.system(), timer)).build().start();
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ProbeServiceGrpc.ProbeServiceBlockingStub stub = ProbeServiceGrpc.newBlockingStub(ch);
      ListTopTalkersResponse r = stub.listTopTalkers(ListTopTalkersRequest.getDefaultInstance());
      assertEquals(10, r.getMeta().getWindow().getSeconds());
      assertEquals("198.18.0.201", r.getTalkers(0).getSourceAddress());
      assertEquals(1000, r.getTalkers(0).getPacketsPerSecond(), 1e-9);
      // The light flow's last 5 s were counted by the interface but by no flow: the answer is partial.
      assertTrue(r.getMeta().getCoverage().getPartial());
      assertEquals(50, r.getMeta().getCoverage().getUnattributedPackets());

      List<InterfaceStats> ifaces = stub.listInterfaces(ListInterfacesRequest.getDefaultInstance()).getInterfacesList();
      InterfaceStats vif = ifaces.stream().filter(i -> i.getInterface().getIfindex() == VIF).findFirst().orElseThrow();
      assertEquals(1010, vif.getTxPacketsPerSecond(), 1e-9);
      InterfaceStats gone = ifaces.stream().filter(i -> i.getInterface().getIfindex() == WEB).findFirst().orElseThrow();
      // Seen at t = 0..7: seven seconds of 100 pkt/s in a 10 s window.
      assertEquals(70, gone.getTxPacketsPerSecond(), 1e-9, "a vanished interface keeps its past traffic in the window");
    } finally {
      ch.shutdownNow();
      server.shutdownNow();
      timer.shutdownNow();
    }
  }
}
