package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.vifscope.probe.libbpf.LibC;
import io.vifscope.probe.testing.BccHeaders;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The BCC loader for real: kernel/ sources compiled on this host by libbcc, loaded, attached, counting traffic
 * on a veth pair of its own (bccv0 in the root namespace, bccv1 in netns vifscope-bcc-test), checked against the
 * kernel's own interface counters and against the libbpf loader on the same traffic. Kernel headers: Debian's
 * 6.1 headers linked for the run ({@link BccHeaders}).
 */
class BccLoaderIT {
  private static final String NS = "vifscope-bcc-test";
  private static final String ROOT_END = "bccv0";
  private static final String NS_END = "bccv1";
  private static final int PACKETS = 500;
  private static BccHeaders headers;
  private static String rootMac;

  @BeforeAll
  static void setUp() throws IOException {
    cleanUp(); // a run killed half-way may have left them
    headers = BccHeaders.ensure();
    Sh.run("ip", "netns", "add", NS);
    // No IPv6 on either end: router solicitations and MLD reports would be traffic of their own.
    Sh.run("ip", "netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1",
        "net.ipv6.conf.all.disable_ipv6=1");
    Sh.run("ip", "link", "add", ROOT_END, "type", "veth", "peer", "name", NS_END, "netns", NS);
    Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + ROOT_END + ".disable_ipv6=1");
    Sh.run("ip", "link", "set", ROOT_END, "up");
    Sh.run("ip", "-n", NS, "link", "set", NS_END, "up");
    rootMac = Files.readString(Path.of("/sys/class/net", ROOT_END, "address")).strip();
  }

  @AfterAll
  static void tearDown() throws IOException {
    cleanUp();
    if (headers != null) {
      headers.close();
    }
  }

  private static void cleanUp() {
    Sh.tryRun("ip", "link", "del", ROOT_END); // also removes the peer
    Sh.tryRun("ip", "netns", "del", NS);
  }

  /** What one loader counted for PACKETS UDP frames from the namespace, next to the kernel's own counters. */
  private record Run(Features features, IfaceStats ingress, long sysRxPackets, long sysRxBytes, long netRxRuns,
      long netRxTimeNs, long backlogWork) {}

  private static Run countTraffic(ProbeOptions options) throws Exception {
    try (Probe probe = Probe.start(options)) {
      Probes.awaitAttached(probe, 1);
      long rx0 = Lab.stat(ROOT_END, "rx_packets");
      long rxb0 = Lab.stat(ROOT_END, "rx_bytes");
      ProbeSnapshot s0 = probe.snapshot();
      String out = Sh.run(Lab.repo().resolve("lab/bin/vifgen").toString(), "-n", NS, "-i", NS_END, "--dst-mac", rootMac,
          "-s", "198.18.96.2", "-d", "198.18.96.1", "--size", "200", "-c", Integer.toString(PACKETS));
      JsonObject truth = JsonParser.parseString(out.strip()).getAsJsonObject();
      assertEquals(PACKETS, truth.get("packets").getAsLong(), "the generator sent them all: " + out);
      Thread.sleep(300);
      ProbeSnapshot s1 = probe.snapshot();
      long rx = Lab.stat(ROOT_END, "rx_packets") - rx0;
      long rxb = Lab.stat(ROOT_END, "rx_bytes") - rxb0;
      long runs = 0;
      long ns = 0;
      for (int c = 0; c < s1.softirq().length; c++) {
        SoftirqStats a = s0.softirq()[c][3];
        SoftirqStats b = s1.softirq()[c][3];
        runs += (b == null ? 0 : b.runs()) - (a == null ? 0 : a.runs());
        ns += (b == null ? 0 : b.timeNs()) - (a == null ? 0 : a.timeNs());
      }
      // veth without GRO hands frames to the per-CPU backlog, which napi:napi_poll names "(no_device)".
      NapiStats backlog = Probes.napiDelta(s0, s1).get("(no_device)");
      return new Run(probe.features(), Probes.delta(s0, s1, Lab.ifindex(ROOT_END), Direction.INGRESS), rx, rxb, runs,
          ns, backlog == null ? 0 : backlog.work());
    }
  }

  private static void assertCountedExactly(Run r) {
    assertEquals(r.sysRxPackets(), r.ingress().packets(), "ingress packets = /sys/class/net rx_packets delta: " + r);
    assertEquals(r.sysRxBytes(), r.ingress().bytes(), "ingress bytes = /sys/class/net rx_bytes delta: " + r);
    assertTrue(r.ingress().packets() >= PACKETS, r.toString());
    assertTrue(r.netRxRuns() > 0 && r.netRxTimeNs() > 0, "NET_RX softirq counters moved: " + r);
    assertTrue(r.backlogWork() >= PACKETS, "the backlog NAPI polls handed on every frame: " + r);
  }

  @Test
  void bccAndLibbpfCountTheSameTrafficExactly() throws Exception {
    ProbeOptions only = ProbeOptions.only(List.of(ROOT_END));
    Map<ProbeOptions.Loader, Run> runs = new EnumMap<>(ProbeOptions.Loader.class);
    for (ProbeOptions.Loader l : List.of(ProbeOptions.Loader.BCC, ProbeOptions.Loader.LIBBPF)) {
      Run r = countTraffic(only.withLoader(l));
      System.out.println(l + ": " + r);
      assertEquals(l.name().toLowerCase(java.util.Locale.ROOT), r.features().loader());
      assertCountedExactly(r);
      runs.put(l, r);
    }
    Run bcc = runs.get(ProbeOptions.Loader.BCC);
    Run libbpf = runs.get(ProbeOptions.Loader.LIBBPF);
    // Nothing else sends on this pair, so the same N frames are the same counts, byte for byte.
    assertEquals(libbpf.ingress(), bcc.ingress(), "the two loaders agree per interface");
    assertTrue(bcc.features().degraded().get("libbpf_objects").contains("loader bcc"), bcc.features().toString());
    assertTrue(bcc.features().degraded().containsKey("napi_raw_tracepoint"), "classic napi_poll under BCC");
  }

  @Test
  void autoFallsBackToBccWhenTheBuiltObjectsCannotBeLoaded(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    // Objects that libbpf cannot open: the failure auto exists for, short of an old kernel.
    for (String o : List.of("softirq.bpf.o", "softirq_nocore.bpf.o", "netdev.bpf.o")) {
      Files.writeString(dir.resolve(o), "not an ELF object\n");
    }
    Run r = countTraffic(ProbeOptions.only(List.of(ROOT_END)).withObjectsDir(dir));
    assertEquals("bcc", r.features().loader(), r.features().toString());
    String reason = r.features().degraded().get("libbpf_objects");
    assertTrue(reason != null && reason.contains("bpf_object__open_mem(softirq") && reason.contains("BCC loaded"),
        "the report names the object, the call and the error: " + reason);
    assertCountedExactly(r);
  }

  @Test
  void autoNamesTheProgramTheVerifierRejected(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    // The real softirq objects, and a netdev object whose tc_ingress every verifier rejects (an unchecked packet
    // read): the fallback happens after softirq was loaded and attached, which must all be undone first.
    for (String o : List.of("softirq.bpf.o", "softirq_nocore.bpf.o")) {
      try (var in = BpfObject.class.getResourceAsStream(BpfObject.RESOURCE_DIR + o)) {
        Files.write(dir.resolve(o), in.readAllBytes());
      }
    }
    Path src = dir.resolve("netdev.bpf.c");
    Files.writeString(src, """
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>
        struct {
        	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
        	__uint(max_entries, 16);
        	__type(key, int);
        	__type(value, long);
        } flow_stats SEC(".maps");
        SEC("tc") int tc_ingress(struct __sk_buff *skb) { return *(int *)(long)skb->data; }
        SEC("tc") int tc_egress(struct __sk_buff *skb) { return -1; }
        char LICENSE[] SEC("license") = "GPL";
        """);
    Sh.run("clang", "-target", "bpf", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu", "-c", src.toString(), "-o",
        dir.resolve("netdev.bpf.o").toString());
    Run r = countTraffic(ProbeOptions.only(List.of(ROOT_END)).withObjectsDir(dir));
    assertEquals("bcc", r.features().loader(), r.features().toString());
    String reason = r.features().degraded().get("libbpf_objects");
    assertTrue(reason.contains("bpf_object__load(netdev) failed: EACCES (13)") && reason.contains("program tc_ingress"),
        "which object, which error, which program: " + reason);
    assertCountedExactly(r);
  }

  @Test
  void missingHeadersAreNamedQuickly() {
    // BCC_KERNEL_SOURCE is what libbcc itself reads (from the C environment, hence setenv, not System.getenv).
    LibC.setenv(KernelHeaders.ENV, "/nonexistent/vifscope-headers", 1);
    try {
      long t0 = System.nanoTime();
      IOException e = assertThrows(IOException.class,
          () -> Probe.start(ProbeOptions.only(List.of(ROOT_END)).withLoader(ProbeOptions.Loader.BCC)).close());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e.getMessage().contains("BCC_KERNEL_SOURCE=/nonexistent/vifscope-headers")
          && e.getMessage().contains("/nonexistent/vifscope-headers does not exist"), e.getMessage());
      assertTrue(ms < 10_000, "failed within " + ms + " ms");
    } finally {
      LibC.unsetenv(KernelHeaders.ENV);
    }
  }

  @Test
  void compileErrorCarriesClangsMessageAndLine() {
    String broken = """
        int f(void *ctx)
        {
        \treturn no_such_variable;
        }
        """;
    IOException e = assertThrows(IOException.class,
        () -> BccModule.compile("broken.c", broken, List.of(), Duration.ofSeconds(60)).close());
    String m = e.getMessage();
    assertTrue(m.contains("bpf_module_create_c_from_string(broken.c) failed"), m);
    assertTrue(m.contains("use of undeclared identifier 'no_such_variable'"), m);
    assertTrue(m.contains(":3:"), "clang's line number: " + m);
  }
}
