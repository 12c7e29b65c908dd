package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.protobuf.util.JsonFormat;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.DiagnoseResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's metrics endpoint in the lab, scraped from another namespace and parsed by Prometheus' own
 * parser: during the incident the counters agree with the generator, with /sys/class/net and with the gRPC
 * answers; during a random-source flood the talker series stay under the cap and nothing else grows.
 */
class MetricsLabIT {
  private static final String URI = "test:///run/vifscope-lab/domains.xml";
  private static final Pattern SERVING = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics");

  @TempDir
  Path tmp;

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Sh.Result cli(String... args) {
    List<String> argv = new ArrayList<>(List.of(java(), "-jar", Lab.repo().resolve("control/target/vifscope.jar")
        .toString()));
    argv.addAll(List.of(args));
    return Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
  }

  private static JsonObject flood(Lab lab, String kind, String... args) {
    try {
      return lab.floodOn(0, kind, args);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static int seriesCount(JsonObject scrape, boolean talkers) {
    int n = 0;
    for (JsonElement f : scrape.getAsJsonArray("families")) {
      String name = f.getAsJsonObject().get("name").getAsString();
      boolean isTalker = name.startsWith("vifscope_talker_") && name.endsWith("_per_second");
      if (isTalker == talkers) {
        n += f.getAsJsonObject().getAsJsonArray("samples").size();
      }
    }
    return n;
  }

  @Test
  void countersAgreeWithTheTrafficAndTheGrpcAnswersAndTheCapHolds() throws Exception {
    try (Lab lab = Lab.up(); ScrapeNet net = ScrapeNet.up(tmp)) {
      Path sock = tmp.resolve("a.sock");
      Path log = tmp.resolve("agent.log");
      List<String> argv = new ArrayList<>(List.of(java(), "-jar", Lab.repo().resolve("control/target/vifscope.jar")
          .toString(), "agent", "--socket", sock.toString(), "--socket-group", "none", "--libvirt-uri", URI,
          "--resolver-order", "libvirt,xenstore,xl", "--poll-interval", "500ms", "--history", "1m", "--only-included",
          "--metrics-listen", ScrapeNet.AGENT_ADDRESS + ":0"));
      for (String i : Lab.INCLUDE) {
        argv.add("--include");
        argv.add(i);
      }
      Process agent = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        int port = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (port < 0 && System.nanoTime() < deadline && agent.isAlive()) {
          Matcher m = SERVING.matcher(Files.readString(log));
          if (m.find()) {
            port = Integer.parseInt(m.group(1));
          } else {
            Thread.sleep(200);
          }
        }
        assertTrue(port > 0, "the agent did not serve metrics: " + Files.readString(log));
        String url = "http://" + ScrapeNet.AGENT_ADDRESS + ":" + port + "/metrics";
        Thread.sleep(1_500); // a few polls

        JsonObject before = net.scrape(url);
        long sysBefore = Lab.stat(Lab.INCIDENT_VIF, "tx_packets");
        JsonObject truth = flood(lab, "incident", "--seconds", "3", "--rate", "30000");
        Thread.sleep(1_500); // three polls after the last packet
        JsonObject after = net.scrape(url);
        long sysAfter = Lab.stat(Lab.INCIDENT_VIF, "tx_packets");
        Sh.Result ifaces = cli("ifaces", "--json", "--window", "10s", "--socket", sock.toString());
        Sh.Result diagnose = cli("diagnose", "--json", "--window", "10s", "--socket", sock.toString());

        long sent = 0;
        for (String src : truth.getAsJsonObject("sources").keySet()) {
          sent += truth.getAsJsonObject("sources").getAsJsonObject(src).get("packets").getAsLong();
        }
        double vif = MetricsEndpointIT.sample(after, "vifscope_interface_packets", "interface", Lab.INCIDENT_VIF,
            "direction", "tx") - MetricsEndpointIT.sample(before, "vifscope_interface_packets", "interface",
            Lab.INCIDENT_VIF, "direction", "tx");
        // The lab is silent: what reached the vif is the flood, as the kernel's own counter says.
        assertEquals(sysAfter - sysBefore, (long) vif, "vif tx packets vs /sys/class/net");
        assertTrue(vif <= sent && vif >= sent * 0.95, vif + " of " + sent + " sent");
        double domain = MetricsEndpointIT.sample(after, "vifscope_domain_packets", "domain", "syslog01", "domain_id",
            Sh.run("virsh", "-c", URI, "domid", "syslog01").strip(), "direction", "to_guest")
            - MetricsEndpointIT.sample(before, "vifscope_domain_packets", "domain", "syslog01", "domain_id",
            Sh.run("virsh", "-c", URI, "domid", "syslog01").strip(), "direction", "to_guest");
        assertEquals(vif, domain, "the domain's counter is its vif's");

        // The gRPC answer over 10 s (which holds the whole flood): rate x window = the same packets.
        assertEquals(0, ifaces.exitCode(), ifaces.describe());
        ListInterfacesResponse.Builder li = ListInterfacesResponse.newBuilder();
        JsonFormat.parser().merge(ifaces.stdout().strip(), li);
        InterfaceStats grpc = li.getInterfacesList().stream()
            .filter(i -> i.getInterface().getName().equals(Lab.INCIDENT_VIF)).findFirst().orElseThrow();
        com.google.protobuf.Duration w = li.getMeta().getWindow();
        double windowSeconds = w.getSeconds() + w.getNanos() / 1e9;
        assertEquals(vif, grpc.getTxPacketsPerSecond() * windowSeconds, 1.0, "gRPC rate x window vs the counter");

        // Talkers: the domain's rows are the generator's senders, with the packets ListTopTalkers gives them (both
        // windows hold the whole flood; the metrics window may be shorter than 10 s this soon after the start).
        double talkerWindow = MetricsEndpointIT.sample(after, "vifscope_talker_window_seconds");
        assertTrue(diagnose.exitCode() == 0 || diagnose.exitCode() == 1, diagnose.describe());
        DiagnoseResponse.Builder lt = DiagnoseResponse.newBuilder();
        JsonFormat.parser().merge(diagnose.stdout().strip(), lt);
        for (io.vifscope.proto.v1.Talker t : lt.getTopSourcesList()) {
          double metric = MetricsEndpointIT.sample(after, "vifscope_talker_packets_per_second", "domain", "syslog01",
              "domain_id", Integer.toString(t.getDomain().getId()), "direction", "to_guest", "source",
              t.getSourceAddress(), "destination", "198.18.0.74", "protocol", "udp", "port", "514");
          assertEquals(t.getPackets(), metric * talkerWindow, 1.0, t.getSourceAddress());
          assertTrue(truth.getAsJsonObject("sources").has(t.getSourceAddress()), t.getSourceAddress());
        }
        assertEquals(truth.getAsJsonObject("sources").size(), lt.getTopSourcesCount(), lt.toString());
        assertTrue(MetricsEndpointIT.sample(after, "vifscope_softirq_seconds", "cpu", "0", "vector", "NET_RX")
            > MetricsEndpointIT.sample(before, "vifscope_softirq_seconds", "cpu", "0", "vector", "NET_RX"));

        // A random-source flood: the talker series stay under the cap, the others do not grow with it.
        int fixedBefore = seriesCount(after, false);
        CompletableFuture<JsonObject> spoof = CompletableFuture.supplyAsync(() -> flood(lab, "spoof", "--ipv4",
            "--sources", "100000", "--count", "600000"));
        Thread.sleep(2_500);
        JsonObject during = net.scrape(url);
        spoof.get(120, TimeUnit.SECONDS);
        int talkers = seriesCount(during, true);
        assertTrue(talkers <= 1000, talkers + " talker series");
        assertTrue(talkers > 10, "the flood shows: " + talkers);
        assertTrue(seriesCount(during, false) <= fixedBefore + 2, seriesCount(during, false) + " other series, "
            + fixedBefore + " before");
        assertTrue(MetricsEndpointIT.sample(during, "vifscope_talker_packets_per_second", "domain", "syslog01",
            "domain_id", Sh.run("virsh", "-c", URI, "domid", "syslog01").strip(), "direction", "to_guest", "source",
            "other", "destination", "other", "protocol", "other", "port", "other") > 0, "the spoofed rest");
      } finally {
        agent.destroy();
        if (!agent.waitFor(15, TimeUnit.SECONDS)) {
          agent.destroyForcibly();
        }
      }
    }
  }
}
