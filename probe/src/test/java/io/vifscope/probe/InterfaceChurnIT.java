package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Interfaces that appear while the probe runs are watched within one second (netlink events, not polling)
 * and counted; interfaces that vanish are dropped without error, again and again.
 */
class InterfaceChurnIT {
  private static final String NS = "vsp-churn";
  private static final String ROOT = "vsp-churn0";
  private static final String PEER = "vsp-churn1";

  @AfterEach
  void cleanup() {
    Sh.tryRun("ip", "link", "del", ROOT);
    Sh.tryRun("ip", "netns", "del", NS);
  }

  @Test
  void newInterfacesAreCountedWithinASecondAndVanishingOnesCauseNoError() throws Exception {
    Sh.run("ip", "netns", "add", NS);
    // No IPv6 in the namespace: its end would send router solicitations and MLD reports of its own.
    Sh.run("ip", "netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1",
        "net.ipv6.conf.all.disable_ipv6=1");
    try (Probe probe = Probe.start(ProbeOptions.only(List.of("vsp-churn0")))) {
      for (int cycle = 0; cycle < 5; cycle++) {
        long created = System.nanoTime();
        Sh.run("ip", "link", "add", ROOT, "type", "veth", "peer", "name", PEER, "netns", NS);
        Sh.run("ip", "link", "set", ROOT, "addrgenmode", "none");
        Sh.run("ip", "link", "set", ROOT, "up");
        Sh.run("ip", "-n", NS, "link", "set", PEER, "up");
        int ifindex = Lab.ifindex(ROOT);
        while (probe.attachedInterfaces().stream().noneMatch(a -> a.ifindex() == ifindex)
            && System.nanoTime() - created < 2_000_000_000L) {
          Thread.sleep(5);
        }
        long attachedAfterMs = (System.nanoTime() - created) / 1_000_000;
        assertTrue(attachedAfterMs <= 1000, "cycle " + cycle + ": attached after " + attachedAfterMs + " ms: "
            + probe.attachedInterfaces() + " " + probe.attachFailures());

        String mac = Files.readString(Path.of("/sys/class/net", ROOT, "address")).strip();
        Sh.run(Lab.repo().resolve("lab/bin/vifgen").toString(), "-n", NS, "-i", PEER, "--dst-mac", mac,
            "-s", "198.18.98.1", "-d", "198.18.98.2", "-c", "100");
        Thread.sleep(100);
        ProbeSnapshot s = probe.snapshot();
        IfaceStats in = s.interfaces().get(new IfaceKey(ifindex, Direction.INGRESS));
        assertEquals(100, in == null ? 0 : in.packets(), "cycle " + cycle + ": frames counted on the new interface");
        assertEquals(100, Lab.stat(ROOT, "rx_packets"), "what the kernel says it received");

        Sh.run("ip", "link", "del", ROOT);
        long deleted = System.nanoTime();
        while (probe.attachedInterfaces().stream().anyMatch(a -> a.ifindex() == ifindex)
            && System.nanoTime() - deleted < 2_000_000_000L) {
          Thread.sleep(5);
        }
        assertTrue(probe.attachedInterfaces().stream().noneMatch(a -> a.ifindex() == ifindex), "dropped after deletion");
        assertTrue(probe.attachFailures().isEmpty(), "no errors: " + probe.attachFailures());
        probe.snapshot(); // reading after the interface vanished works
      }
    }
  }
}
