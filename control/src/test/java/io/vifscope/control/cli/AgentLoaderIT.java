package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.vifscope.control.server.AgentConfig;
import io.vifscope.probe.testing.BccHeaders;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import io.vifscope.proto.v1.Feature;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent process with {@code --loader}: {@code auto} whose built objects cannot be loaded falls back to BCC and
 * says so in its log and in GetAgentStatus; {@code libbpf} with the same objects fails instead. On a veth pair of
 * its own (bccv2/bccv3, no addresses), with the built objects replaced through VIFSCOPE_TEST_OBJECTS_DIR.
 */
class AgentLoaderIT {
  private static final String IFACE = "bccv2";

  @TempDir
  Path tmp;

  private BccHeaders headers;

  @BeforeEach
  void setUp() throws IOException {
    Sh.tryRun("ip", "link", "del", IFACE);
    headers = BccHeaders.ensure();
    Sh.run("ip", "link", "add", IFACE, "type", "veth", "peer", "name", "bccv3");
    Sh.run("ip", "link", "set", IFACE, "up");
  }

  @AfterEach
  void tearDown() throws IOException {
    Sh.tryRun("ip", "link", "del", IFACE); // and its peer
    headers.close();
  }

  private Process agent(String loader, Path socket, Path objects) throws IOException {
    List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", Lab.repo().resolve("control/target/vifscope.jar").toString(), "agent", "--socket", socket.toString(),
        "--loader", loader, "--include", IFACE, "--only-included", "--socket-group", "none",
        "--resolver-order", "libvirt", "--libvirt-uri", "test:///default"));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(loader + ".log").toFile());
    pb.environment().put(AgentConfig.TEST_OBJECTS_DIR_ENV, objects.toString());
    return pb.start();
  }

  private Path brokenObjects() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("objects"));
    for (String o : List.of("softirq.bpf.o", "softirq_nocore.bpf.o", "netdev.bpf.o")) {
      Files.writeString(dir.resolve(o), "not an ELF object\n");
    }
    return dir;
  }

  private static Sh.Result cli(String... args) {
    List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", Lab.repo().resolve("control/target/vifscope.jar").toString()));
    argv.addAll(List.of(args));
    return Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
  }

  @Test
  void autoFallsBackToBccAndSaysWhy() throws Exception {
    Path socket = tmp.resolve("a.sock");
    Process p = agent("auto", socket, brokenObjects());
    try {
      Sh.Result status = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && p.isAlive()) {
        if (Files.exists(socket)) {
          status = cli("status", "--json", "--socket", socket.toString());
          if (status.exitCode() == 0) {
            break;
          }
        }
        Thread.sleep(200);
      }
      String log = Files.readString(tmp.resolve("auto.log"));
      assertTrue(status != null && status.exitCode() == 0, "agent did not serve: " + log);
      String json = status.stdout();
      GetAgentStatusResponse.Builder r = GetAgentStatusResponse.newBuilder();
      JsonFormat.parser().merge(json, r);
      assertEquals("bcc", r.getLoader(), json);
      Feature f = r.getFeaturesList().stream().filter(x -> x.getName().equals("libbpf_objects")).findFirst()
          .orElseThrow(() -> new AssertionError("no feature libbpf_objects: " + json));
      assertFalse(f.getAvailable());
      assertTrue(f.getReason().contains("bpf_object__open_mem(softirq") && f.getReason().contains("BCC loaded"),
          f.getReason());
      assertEquals(1, r.getAttachedCount(), "tc programs from BCC attached to " + IFACE + ": " + json);
      assertTrue(log.contains("falling back to BCC"), "the log says so: " + log);
      Sh.Result text = cli("status", "--socket", socket.toString());
      assertTrue(text.stdout().contains("programs loaded by: bcc"), text.stdout());
    } finally {
      p.destroy();
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void libbpfAloneFailsWithTheLoadError() throws Exception {
    Process p = agent("libbpf", tmp.resolve("b.sock"), brokenObjects());
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the agent gave up");
      String log = Files.readString(tmp.resolve("libbpf.log"));
      assertEquals(1, p.exitValue(), log);
      assertTrue(log.contains("bpf_object__open_mem(softirq") && !log.contains("falling back to BCC"), log);
    } finally {
      p.destroyForcibly();
    }
  }
}
