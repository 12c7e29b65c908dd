package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.LoadedPrograms;
import io.vifscope.probe.testing.Sh;
import io.vifscope.probe.testing.SystemCounters;
import io.vifscope.proto.v1.DiagnoseRequest;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.Talker;
import io.vifscope.proto.v1.TalkerFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident, end to end: the lab, `vifscope agent` started the way other tools start it, a syslog flood
 * from three sources to the custom-named vif while the other guests talk quietly. The answers are checked
 * against the generator's counts, /sys/class/net, /proc/stat and the libvirt client; SIGTERM leaves nothing
 * attached.
 */
class AgentLabIT {
  private static final String URI = "test:///run/vifscope-lab/domains.xml";
  private static final double PPS = 100_000;
  private static final int FLOOD_SECONDS = 14;

  @TempDir
  Path tmp;

  @Test
  void diagnoseAndRatesMatchTheTruthAndSigtermCleansUp() throws Exception {
    try (Lab lab = Lab.up()) {
      Path socket = tmp.resolve("vifscope.sock");
      List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", Lab.repo().resolve("control/target/vifscope.jar").toString(), "agent", "--socket", socket.toString(),
          "--libvirt-uri", URI, "--resolver-order", "libvirt,xenstore,xl", "--history", "1m", "--only-included"));
      for (String i : Lab.INCLUDE) {
        argv.add("--include");
        argv.add(i);
      }
      ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectOutput(tmp.resolve("agent.log").toFile());
      pb.environment().put("PATH", Lab.repo().resolve("lab/fixtures/bin") + ":" + System.getenv("PATH"));
      Process agent = pb.start();
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      ManagedChannel ch = null;
      try {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(socket) && System.nanoTime() < deadline && agent.isAlive()) {
          Thread.sleep(100);
        }
        assertTrue(Files.exists(socket), "agent did not start: " + Files.readString(tmp.resolve("agent.log")));
        ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString())).eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class).withOption(ChannelOption.SO_KEEPALIVE, null).usePlaintext()
            .build();
        ProbeServiceGrpc.ProbeServiceBlockingStub stub = ProbeServiceGrpc.newBlockingStub(ch).withWaitForReady()
            .withDeadlineAfter(20, TimeUnit.SECONDS);
        assertEquals(Lab.INCLUDE.size(), stub.getAgentStatus(GetAgentStatusRequest.getDefaultInstance()).getAttachedCount());

        // Senders pinned to CPU 0: veth schedules the receive NAPI on the sending CPU, so CPU 0 is the hot one
        // by construction (/proc/stat cannot tell: without IRQ_TIME_ACCOUNTING its softirq time is tick-sampled).
        CompletableFuture<JsonObject> incident = CompletableFuture.supplyAsync(() -> flood(lab, "incident",
            "--seconds", Integer.toString(FLOOD_SECONDS), "--rate", Long.toString((long) PPS)));
        CompletableFuture<JsonObject> background = CompletableFuture.supplyAsync(() -> flood(lab, "background",
            "--seconds", Integer.toString(FLOOD_SECONDS)));
        Thread.sleep(6_000);
        SystemCounters sys0 = SystemCounters.read(List.of(Lab.PHYS));
        long t0 = System.nanoTime();
        Thread.sleep(5_000);
        SystemCounters sys1 = SystemCounters.read(List.of(Lab.PHYS));
        double sysSeconds = (System.nanoTime() - t0) / 1e9;
        // At about t = 11 s of a 14 s flood: 1 s, 5 s and 10 s windows lie inside it.
        ProbeServiceGrpc.ProbeServiceBlockingStub s = stub.withDeadlineAfter(20, TimeUnit.SECONDS);
        // A low threshold: this VM handles the flood with a few % of softirq; the point is which CPU is hottest.
        DiagnoseResponse d = s.diagnose(DiagnoseRequest.newBuilder().setWindow(seconds(5)).setHotCpuSoftirqShare(0.01)
            .build());
        ListTopTalkersResponse one = s.listTopTalkers(talkers(1));
        ListTopTalkersResponse ten = s.listTopTalkers(talkers(10));
        List<InterfaceStats> ifaces = s.listInterfaces(ListInterfacesRequest.newBuilder().setWindow(seconds(5)).build())
            .getInterfacesList();
        JsonObject truth = incident.get(60, TimeUnit.SECONDS);
        background.get(60, TimeUnit.SECONDS);

        // Diagnose: the hot CPU is the one /proc/stat says spent the most in softirq; the devices, the vif, the
        // domain as the libvirt client names it, the sources and UDP/514.
        assertTrue(d.getHotCpusCount() > 0, d.toString());
        assertEquals(0, d.getHotCpus(0).getCpu(), "the senders run on CPU 0; " + d.getSummary());
        assertEquals(Lab.PHYS, d.getNapiDevices(0).getDevice(), "toward a guest, NAPI time is the uplink's: " + d.getSummary());
        assertEquals(Lab.INCIDENT_VIF, d.getGuestInterfaces(0).getInterface().getName(), d.getSummary());
        String domid = Sh.run("virsh", "-c", URI, "domid", "syslog01").strip();
        assertEquals("syslog01", d.getGuestInterfaces(0).getDomain().getName());
        assertEquals(Integer.parseInt(domid), d.getGuestInterfaces(0).getDomain().getId(), "domain id as libvirt says");
        List<String> senders = new ArrayList<>(truth.getAsJsonObject("sources").keySet());
        for (Talker t : d.getTopSourcesList()) {
          assertTrue(senders.contains(t.getSourceAddress()), "top source " + t.getSourceAddress() + " is a sender");
          assertEquals(514, t.getDestinationPort());
          assertEquals("udp", t.getProtocolName());
          assertEquals("syslog", t.getService());
        }
        assertEquals(3, d.getTopSourcesCount());
        assertTrue(d.getSummary().contains("000a17-I") && d.getSummary().contains("UDP/514 syslog")
            && d.getSummary().contains("from 3 sources"), d.getSummary());

        // Rates per sender within 5% of the generator's, over 1 s and 10 s.
        double seconds = truth.get("duration_s").getAsDouble();
        for (ListTopTalkersResponse r : List.of(one, ten)) {
          assertEquals(3, r.getTalkersCount(), r.toString());
          for (Talker t : r.getTalkersList()) {
            double expected = truth.getAsJsonObject("sources").getAsJsonObject(t.getSourceAddress()).get("packets")
                .getAsLong() / seconds;
            assertEquals(expected, t.getPacketsPerSecond(), expected * 0.05,
                t.getSourceAddress() + " over " + r.getMeta().getWindow().getSeconds() + " s");
          }
        }

        // ListInterfaces against /sys/class/net over (about) the same 5 s.
        double sysRate = (sys1.get(Lab.PHYS, "rx_packets") - sys0.get(Lab.PHYS, "rx_packets")) / sysSeconds;
        InterfaceStats phys = ifaces.stream().filter(i -> i.getInterface().getName().equals(Lab.PHYS)).findFirst()
            .orElseThrow();
        assertEquals(sysRate, phys.getRxPacketsPerSecond(), sysRate * 0.05, "vsleth0 rx pkt/s vs /sys/class/net");
      } finally {
        if (ch != null) {
          ch.shutdownNow();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        long killed = System.nanoTime();
        agent.destroy(); // SIGTERM
        boolean exited = agent.waitFor(15, TimeUnit.SECONDS);
        double took = (System.nanoTime() - killed) / 1e9;
        if (!exited) {
          agent.destroyForcibly();
        }
        assertTrue(exited && took < 10, "agent exits within 10 s of SIGTERM (took " + took + " s)");
      }
      LoadedPrograms.assertNoneNamed("nothing attached after SIGTERM", "tc_ingress", "napi_poll");
      assertFalse(Files.exists(socket), "the socket is removed");
    }
  }

  private static ListTopTalkersRequest talkers(int windowSeconds) {
    return ListTopTalkersRequest.newBuilder().setWindow(seconds(windowSeconds))
        .setFilter(TalkerFilter.newBuilder().addInterfaces(Lab.INCIDENT_VIF).addPorts(514)).build();
  }

  private static com.google.protobuf.Duration seconds(long s) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(s).build();
  }

  private static JsonObject flood(Lab lab, String kind, String... args) {
    try {
      return lab.floodOn(0, kind, args);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
