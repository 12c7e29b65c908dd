package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NAPI attribution on both softirq paths: the raw napi_poll tracepoint read through CO-RE (kernels with BTF,
 * no tracefs needed) and the classic napi:napi_poll tracepoint (kernels without BTF). Each must charge a veth's
 * own NAPI polls to the receiving interface by name, with the work the kernel says it received, and backlog
 * polls to "(no_device)", as the classic tracepoint prints them.
 *
 * <p>Its own namespace and veth pair (not the shared lab). veth polls with its own NAPI when the receiving end
 * has GRO on and the sending end has TSO/GSO off (MACHINE_NOTES, "veth NAPI recipe"), else through the per-CPU
 * backlog.
 */
class NapiAttributionIT {
  private static final String NS = "vifscope-napi-test";
  private static final String RX = "lpn0";
  private static final String TX = "lpn1";
  private static final int FRAMES = 400;

  @BeforeEach
  void up() {
    down();
    Sh.run("ip", "netns", "add", NS);
    Sh.run("ip", "link", "add", RX, "type", "veth", "peer", "name", TX, "netns", NS);
    // No IPv6 on either end: router solicitations and MLD reports of their own would add frames.
    Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + RX + ".disable_ipv6=1");
    Sh.run("ip", "netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
    Sh.run("ip", "link", "set", RX, "up");
    Sh.run("ip", "-n", NS, "link", "set", TX, "up");
  }

  @AfterEach
  void down() {
    Sh.tryRun("ip", "link", "del", RX); // also removes the peer
    Sh.tryRun("ip", "netns", "del", NS);
  }

  @ParameterizedTest(name = "CO-RE allowed: {0}")
  @ValueSource(booleans = {true, false})
  void pollsAreChargedToTheReceivingDevice(boolean allowCoRe) throws Exception {
    try (Probe probe = Probe.start(ProbeOptions.only(List.of(RX)), allowCoRe)) {
      Features f = probe.features();
      String napiProgram = allowCoRe ? "napi_poll_raw" : "napi_poll";
      assertTrue(probe.programInfo().containsKey(napiProgram), "loaded: " + probe.programInfo().keySet());
      assertEquals(!allowCoRe, f.degraded().containsKey("napi_raw_tracepoint"), f.degraded().toString());

      // veth's own NAPI: polls under the receiving interface's name, work = frames received.
      Sh.run("ethtool", "-K", RX, "gro", "on");
      Sh.run("ip", "netns", "exec", NS, "ethtool", "-K", TX, "tso", "off", "gso", "off");
      long rx0 = stat(RX, "rx_packets");
      ProbeSnapshot s0 = probe.snapshot();
      send();
      Thread.sleep(200);
      ProbeSnapshot s1 = probe.snapshot();
      long received = stat(RX, "rx_packets") - rx0;
      assertTrue(received >= FRAMES, "the kernel received what was sent: " + received);
      Map<String, NapiStats> napi = Probes.napiDelta(s0, s1);
      NapiStats own = napi.get(RX);
      assertTrue(own != null && own.polls() > 0, "polls under " + RX + ": " + napi);
      assertEquals(received, own.work(), "work of " + RX + "'s polls = frames it received");

      // Without GRO veth hands frames to the backlog, whose NAPI instance has no device.
      Sh.run("ethtool", "-K", RX, "gro", "off");
      rx0 = stat(RX, "rx_packets");
      s0 = probe.snapshot();
      send();
      Thread.sleep(200);
      s1 = probe.snapshot();
      received = stat(RX, "rx_packets") - rx0;
      napi = Probes.napiDelta(s0, s1);
      NapiStats backlog = napi.get("(no_device)");
      assertTrue(backlog != null && backlog.polls() > 0 && backlog.work() >= received,
          "backlog polls under (no_device): " + napi + ", " + received + " received");
      NapiStats ownAfter = napi.get(RX);
      assertTrue(ownAfter == null || ownAfter.polls() == 0, "no polls under " + RX + " without its NAPI: " + napi);
      assertFalse(napi.containsKey("?"), "every device name was readable: " + napi);
    }
  }

  private static void send() {
    String mac = read(Path.of("/sys/class/net", RX, "address"));
    String out = Sh.run(Lab.repo().resolve("lab/bin/vifgen").toString(), "-n", NS, "-i", TX, "--dst-mac", mac,
        "-s", "198.18.98.1", "-d", "198.18.98.2", "-c", Integer.toString(FRAMES), "-r", "20000");
    JsonObject truth = JsonParser.parseString(out.strip()).getAsJsonObject();
    assertEquals(FRAMES, truth.get("packets").getAsLong(), "vifgen sent them all");
  }

  private static long stat(String ifname, String name) {
    return Long.parseLong(read(Path.of("/sys/class/net", ifname, "statistics", name)));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).strip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
