package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.vifscope.control.cli.AgentCommand;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent as an unprivileged user holding only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (README, "Running on a
 * real host"): it attaches, counts what the kernel counts, serves only its socket group, and detaches on SIGTERM;
 * without CAP_BPF it refuses to start and says so.
 *
 * <p>Its own namespace, veth pair and group (not the shared lab). The agent runs as nobody (65534) through
 * setpriv, with those three capabilities as its only inheritable, ambient and bounding ones; a second uid
 * (65532, no passwd entry needed) plays the other user, once inside the socket group and once outside it.
 * Leftovers are recognised by the link ids the agent added, so an agent of someone else's on this host is never
 * mistaken for ours.
 */
class LeastPrivilegeIT {
  private static final String NS = "vifscope-lp-test";
  private static final String HOST_END = "lpv0";
  private static final String NS_END = "lpv1";
  private static final String GROUP = "vifscope-lpt";
  private static final int NOBODY = 65534;
  private static final int OTHER = 65532;
  private static final int FRAMES = 300;
  private static final Set<String> OUR_PROGRAMS =
      Set.of("tc_ingress", "tc_egress", "softirq_entry_raw", "softirq_exit_raw", "napi_poll_raw", "softirq_entry",
          "softirq_exit", "napi_poll");

  private Path tmp;
  private Path socket;
  private Path log;
  private int gid;
  private Process agent;

  @BeforeEach
  void setUp() throws IOException {
    cleanUpNetwork();
    Sh.tryRun("groupdel", GROUP);
    Sh.run("groupadd", GROUP);
    gid = Integer.parseInt(Sh.run("getent", "group", GROUP).strip().split(":")[2]);

    Sh.run("ip", "netns", "add", NS);
    Sh.run("ip", "link", "add", HOST_END, "type", "veth", "peer", "name", NS_END, "netns", NS);
    // No IPv6: router solicitations and MLD reports of its own would add frames to the count.
    Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + HOST_END + ".disable_ipv6=1");
    Sh.run("ip", "netns", "exec", NS, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
    Sh.run("ip", "addr", "add", "198.18.97.1/30", "dev", HOST_END);
    Sh.run("ip", "-n", NS, "addr", "add", "198.18.97.2/30", "dev", NS_END);
    Sh.run("ip", "link", "set", HOST_END, "up");
    Sh.run("ip", "-n", NS, "link", "set", NS_END, "up");

    // The agent creates the socket's directory itself (0750, its group), so the parent must be nobody's.
    tmp = Files.createTempDirectory("vifscope-lp-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Sh.run("chown", NOBODY + ":" + NOBODY, tmp.toString());
    socket = tmp.resolve("run/a.sock");
    log = Files.createTempFile("vifscope-lp-agent-", ".log"); // root's: the agent's output, for messages
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null && agent.isAlive()) {
      agent.destroyForcibly();
      agent.waitFor(10, TimeUnit.SECONDS);
    }
    cleanUpNetwork();
    Sh.tryRun("groupdel", GROUP);
    if (tmp != null) {
      Sh.tryRun("rm", "-rf", "--one-file-system", tmp.toString());
    }
    if (log != null) {
      Files.deleteIfExists(log);
    }
  }

  private static void cleanUpNetwork() {
    Sh.tryRun("ip", "link", "del", HOST_END); // also removes the peer
    Sh.tryRun("ip", "netns", "del", NS);
  }

  @Test
  void runsAsNobodyWithThreeCapabilitiesCountsServesTheGroupAndDetaches() throws Exception {
    long startedAt = System.nanoTime();
    agent = startAgent("+bpf,+perfmon,+net_admin");
    awaitServing();
    long rx0 = stat("rx_packets");

    // Who it runs as: nobody, with exactly the three capabilities in effect.
    String status = Files.readString(Path.of("/proc", Long.toString(agent.pid()), "status"));
    assertTrue(status.contains("\nUid:\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY + "\n"), status);
    assertTrue(status.contains("\nCapEff:\t000000c000001000\n"), "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN only:\n"
        + status);

    // What it attached: the three raw tracepoints (no tracefs needed) and a tc program each way on lpv0. The
    // links are the ones the agent holds open (its fdinfo), not a host-wide diff, which other BPF users could
    // disturb.
    Map<Integer, String> added = linksHeldBy(agent.pid());
    assertEquals(List.of("napi_poll_raw", "softirq_entry_raw", "softirq_exit_raw", "tc_egress", "tc_ingress"),
        added.values().stream().sorted().toList(), "links the agent added: " + added);

    // The socket: 0660 in the group, its directory 0750 in the group.
    PosixFileAttributes sock = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertEquals("rw-rw----", PosixFilePermissions.toString(sock.permissions()));
    assertEquals(GROUP, sock.group().getName());
    PosixFileAttributes dir = Files.readAttributes(socket.getParent(), PosixFileAttributes.class);
    assertEquals("rwxr-x---", PosixFilePermissions.toString(dir.permissions()));
    assertEquals(GROUP, dir.group().getName());
    assertEquals(NOBODY, Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS), "the agent's own socket");

    // Another user may connect only while in the group.
    Sh.Result outsider = connectAs(false);
    assertTrue(!outsider.ok() && outsider.stderr().contains("PermissionError"), outsider.describe());
    Sh.Result member = connectAs(true);
    assertTrue(member.ok(), member.describe());

    // Real traffic from the namespace; the agent's count of lpv0 ingress against /sys/class/net since it attached
    // (the replies lpv0 sends draw an ARP exchange: those frames count on both sides too).
    String mac = Files.readString(Path.of("/sys/class/net", HOST_END, "address")).strip();
    String gen = Sh.run(Lab.repo().resolve("lab/bin/vifgen").toString(), "-n", NS, "-i", NS_END, "--dst-mac", mac,
        "-s", "198.18.97.2", "-d", "198.18.97.1", "--dport", "9", "-c", Integer.toString(FRAMES), "-r", "10000");
    assertEquals(FRAMES, JsonParser.parseString(gen.strip()).getAsJsonObject().get("packets").getAsLong(), gen);
    // A poll after the last frame (interval 250ms); and `top --once` right after an agent starts has answered
    // "no agent answers" here when its window was longer than the history so far: give it 12 s of history.
    Thread.sleep(Math.max(1_000, 12_000 - (System.nanoTime() - startedAt) / 1_000_000));
    long received = stat("rx_packets") - rx0;
    assertTrue(received >= FRAMES, "lpv0 received the frames: " + received);
    assertEquals(received, ingressPacketsAsMember(), "agent's lpv0 ingress packets vs /sys/class/net");

    // SIGTERM: gone within the stop budget, nothing of its own left attached.
    long t0 = System.nanoTime();
    agent.destroy();
    boolean exited = agent.waitFor(AgentCommand.STOP_BUDGET.toSeconds() + 5, TimeUnit.SECONDS);
    double took = (System.nanoTime() - t0) / 1e9;
    assertTrue(exited && took < AgentCommand.STOP_BUDGET.toSeconds(), "exit after SIGTERM took " + took + " s:\n"
        + Files.readString(log));
    Map<Integer, String> left = ourLinks();
    left.keySet().retainAll(added.keySet());
    assertTrue(left.isEmpty(), "links left attached: " + left);
    assertNothingOnHostEnd();
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket is removed");
  }

  @Test
  void withoutCapBpfItExitsOneNamingIt() throws Exception {
    agent = startAgent("+perfmon,+net_admin");
    assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent exits by itself");
    String out = Files.readString(log);
    assertEquals(1, agent.exitValue(), out);
    assertTrue(out.contains("vifscope agent: missing capability CAP_BPF (load BPF programs and maps); run as root "
        + "or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"), out);
    // The capability check comes before anything is loaded: the agent logged nothing else (no sweep, no mount,
    // no serving).
    assertEquals(1, out.strip().lines().count(), out);
    assertNothingOnHostEnd();
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "no socket");
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String jar() {
    return Lab.repo().resolve("control/target/vifscope.jar").toString();
  }

  /** setpriv for {@code uid} with the given groups (none when empty) and no capabilities but {@code caps}. */
  private static List<String> as(int uid, List<Integer> groups, String caps) {
    List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid));
    argv.add(groups.isEmpty() ? "--clear-groups" : "--groups=" + String.join(",",
        groups.stream().map(String::valueOf).toList()));
    argv.addAll(List.of("--inh-caps=-all" + caps, "--ambient-caps=-all" + caps, "--bounding-set=-all" + caps, "--"));
    return argv;
  }

  private Process startAgent(String caps) throws IOException {
    List<String> argv = as(NOBODY, List.of(gid), caps.isEmpty() ? "" : "," + caps);
    argv.addAll(List.of(java(), "-jar", jar(), "agent", "--socket", socket.toString(), "--socket-group", GROUP,
        "--only-included", "--include", HOST_END, "--poll-interval", "250ms", "--history", "1m"));
    return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private void awaitServing() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && agent.isAlive()) {
      if (Files.readString(log).contains("agent running on")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the agent did not start (alive: " + agent.isAlive() + "):\n" + Files.readString(log));
  }

  /** A plain connect(2) to the socket as the other user, from Python: an independent client. */
  private Sh.Result connectAs(boolean inGroup) {
    List<String> argv = as(OTHER, inGroup ? List.of(gid) : List.of(), "");
    // The system Python: one first on PATH may live in root's home, where the other user cannot reach it.
    argv.addAll(List.of("/usr/bin/python3", "-c",
        "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()",
        socket.toString()));
    return Sh.tryRun(argv.toArray(String[]::new));
  }

  /** lpv0's ingress packets over the last 40 s, as `vifscope top --json` shows them to a member of the group. */
  private long ingressPacketsAsMember() {
    List<String> argv = as(OTHER, List.of(gid), "");
    argv.addAll(List.of(java(), "-jar", jar(), "top", "--once", "--json", "--no-embedded", "--group", "interface",
        "--window", "40s", "--socket", socket.toString()));
    Sh.Result r = Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
    assertTrue(r.ok(), r.describe());
    JsonObject response = JsonParser.parseString(r.stdout().strip().lines().reduce((a, b) -> b).orElse("{}"))
        .getAsJsonObject();
    long packets = 0;
    boolean seen = false;
    JsonArray talkers = response.has("talkers") ? response.getAsJsonArray("talkers") : new JsonArray();
    for (JsonElement e : talkers) {
      JsonObject t = e.getAsJsonObject();
      boolean ours = t.has("interface") && HOST_END.equals(t.getAsJsonObject("interface").get("name").getAsString());
      // lpv0 is neither a guest interface nor a NIC: what it receives is HOST_RECEIVE.
      boolean ingress = t.has("direction") && t.get("direction").getAsString().equals("DIRECTION_HOST_RECEIVE");
      if (ours && ingress) {
        packets += t.get("packets").getAsLong();
        seen = true;
      }
    }
    assertTrue(seen, "no lpv0 ingress row: " + r.describe());
    return packets;
  }

  private static long stat(String name) throws IOException {
    return Long.parseLong(Files.readString(Path.of("/sys/class/net", HOST_END, "statistics", name)).strip());
  }

  /** The BPF links a process holds open (link_id in its fds' fdinfo), with their programs' names. */
  private static Map<Integer, String> linksHeldBy(long pid) throws IOException {
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fdinfo"))) {
      for (Path fd : fds.toList()) {
        try {
          for (String line : Files.readAllLines(fd)) {
            if (line.startsWith("link_id:")) {
              ids.add(Integer.parseInt(line.substring("link_id:".length()).strip()));
            }
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    Map<Integer, String> all = ourLinks();
    Map<Integer, String> out = new HashMap<>();
    for (int id : ids) {
      out.put(id, all.getOrDefault(id, "?"));
    }
    return out;
  }

  /** BPF links whose program carries one of our names, by link id (with the program's name). */
  private static Map<Integer, String> ourLinks() {
    Map<Integer, String> progNames = new HashMap<>();
    for (JsonElement e : JsonParser.parseString(Sh.run("bpftool", "prog", "show", "--json")).getAsJsonArray()) {
      JsonObject p = e.getAsJsonObject();
      if (p.has("name")) {
        progNames.put(p.get("id").getAsInt(), p.get("name").getAsString());
      }
    }
    Map<Integer, String> out = new HashMap<>();
    for (JsonElement e : JsonParser.parseString(Sh.run("bpftool", "link", "show", "--json")).getAsJsonArray()) {
      JsonObject l = e.getAsJsonObject();
      String name = progNames.get(l.get("prog_id").getAsInt());
      if (name != null && OUR_PROGRAMS.contains(name)) {
        out.put(l.get("id").getAsInt(), name);
      }
    }
    return out;
  }

  /** No tc filter and no clsact qdisc on lpv0 (the interface only this test uses). */
  private static void assertNothingOnHostEnd() {
    for (String dir : List.of("ingress", "egress")) {
      String filters = Sh.run("tc", "filter", "show", "dev", HOST_END, dir);
      assertTrue(filters.isBlank(), dir + " filters left on " + HOST_END + ": " + filters);
    }
    String qdiscs = Sh.run("tc", "qdisc", "show", "dev", HOST_END);
    assertFalse(qdiscs.contains("clsact"), "clsact left on " + HOST_END + ": " + qdiscs);
  }
}
