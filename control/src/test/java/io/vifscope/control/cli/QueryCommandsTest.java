package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vifscope.control.rank.Services;
import io.vifscope.control.server.ServiceFixtures;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.Talker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * top, status and the shared query options (filters, --limit, fleets) in-process against the service over the
 * incident fixture: three syslog sources at 120k, 100k and 80k packets over 10 s to vif 000a17-I of syslog01
 * (74), and 50k bigger TCP packets to web01's vif12.0.
 */
class QueryCommandsTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Server> servers = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private static final String DEFAULT_SOCKET = Targets.defaultSocket;
  private String a;
  private String b;

  @BeforeEach
  void start() throws Exception {
    a = serve("dom0-a");
    b = serve("dom0-b");
  }

  private String serve(String node) throws Exception {
    String name = InProcessServerBuilder.generateName();
    servers.add(InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServiceFixtures.incidentService(Services.system(), timer, node)).build().start());
    return name;
  }

  @AfterEach
  void stop() {
    servers.forEach(Server::shutdownNow);
    timer.shutdownNow();
    Session.uid = io.vifscope.control.resolve.LibvirtSource::effectiveUid;
    Targets.defaultSocket = DEFAULT_SOCKET;
  }

  private int run(String... args) {
    CommandLine cmd = Main.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  /** The table rows of a top --once output: the lines after the column titles. */
  private List<String> rows() {
    List<String> lines = out.toString().lines().collect(Collectors.toList());
    int head = 0;
    while (head < lines.size() && !lines.get(head).contains("2s pkt/s") && !lines.get(head).contains("2s B/s")) {
      head++;
    }
    assertTrue(head < lines.size(), "no column titles in: " + out);
    return lines.subList(head + 1, lines.size()).stream().filter(l -> !l.isBlank() && !l.startsWith("* "))
        .collect(Collectors.toList());
  }

  @Test
  void topOnceShowsThreeWindowsAndTheDomainOnEveryRow() {
    assertEquals(0, run("top", "--once", "--in-process", a), err.toString());
    String text = out.toString();
    assertTrue(text.contains("vifscope top · dom0-a · by source, packets/s"), text);
    assertTrue(text.contains("CPU1 si 61.0% ksoftirqd 78%"), text);
    assertTrue(text.contains("NET_RX busiest: vsleth0 on CPU1"), text);
    assertTrue(text.matches("(?s).*SOURCE\\s+INTERFACE\\s+DIRECTION\\s+DOMAIN\\s+2s pkt/s ▼\\s+10s pkt/s\\s+40s\\* pkt/s.*"),
        text);
    // The fixture's history is 10 s: the 40 s column says so instead of passing for 40 s.
    assertTrue(text.contains("* 40s: only 10 s of history so far"), text);
    List<String> rows = rows();
    // 120k packets in the fixture's 10 s: 12k/s in each window, on the uplink and on the vif.
    assertTrue(rows.get(0).matches("198\\.18\\.0\\.201\\s+(vsleth0|000a17-I)\\s+.*\\s12k\\s+12k\\s+12k"), rows.get(0));
    for (String r : rows) {
      assertTrue(r.contains("000a17-I") ? r.contains("syslog01") : r.contains("vif12.0") ? r.contains("web01")
          : r.contains(" - "), "domain column: " + r);
    }
    assertFalse(text.contains("\033["), "colour codes in plain output");
    assertFalse(text.contains("q quit"), "key help outside the full-screen view");
  }

  @Test
  void topGroupsAndSortsByFlag() {
    assertEquals(0, run("top", "--once", "--group", "domain", "--in-process", a), err.toString());
    List<String> rows = rows();
    assertTrue(rows.get(0).matches("syslog01\\s+74\\s+to guest\\s+30k\\s+30k\\s+30k"), rows.toString());
    assertTrue(rows.get(1).matches("web01\\s+12\\s+to guest\\s+5\\.0k.*"), rows.toString());
    out.getBuffer().setLength(0);
    // By bytes web01's 2000-byte packets (10 MB/s) outrank syslog01's 300-byte ones (9 MB/s).
    assertEquals(0, run("top", "--once", "--group", "domain", "--sort", "bytes", "--in-process", a), err.toString());
    rows = rows();
    assertTrue(rows.get(0).startsWith("web01"), rows.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("top", "--once", "-g", "port", "--proto", "udp", "--in-process", a), err.toString());
    rows = rows();
    assertTrue(rows.stream().allMatch(r -> r.matches("\\s*514\\s+UDP\\s+syslog.*")), rows.toString());
  }

  @Test
  void topJsonIsTheMergedRankingWithNodes() throws Exception {
    assertEquals(0, run("top", "--once", "--json", "--limit", "3", "--in-process", a, "--in-process", b), err.toString());
    ListTopTalkersResponse.Builder r = ListTopTalkersResponse.newBuilder();
    JsonFormat.parser().merge(out.toString().strip(), r);
    assertEquals(3, r.getTalkersCount());
    assertEquals("198.18.0.201", r.getTalkers(0).getSourceAddress());
    assertTrue(r.getTalkersList().stream().map(Talker::getNode).allMatch(n -> n.equals("dom0-a") || n.equals("dom0-b")));
  }

  @Test
  void aFleetIsMergedLabelledAndSurvivesAnAgentThatIsDown() {
    assertEquals(0, run("top", "--once", "--limit", "4", "--in-process", a, "--in-process", b, "--socket",
        "/nonexistent/vifscope.sock"), err.toString());
    List<String> rows = rows();
    assertEquals(4, rows.size(), rows.toString());
    // The fleet's best rows come from both nodes: the same 12k/s source on each.
    assertTrue(rows.stream().anyMatch(r -> r.startsWith("dom0-a  ") && r.contains("198.18.0.201")), rows.toString());
    assertTrue(rows.stream().anyMatch(r -> r.startsWith("dom0-b  ") && r.contains("198.18.0.201")), rows.toString());
    assertTrue(rows.stream().allMatch(r -> r.contains("198.18.0.201")), "not ranked over the fleet: " + rows);
    assertTrue(out.toString().contains("no agent answers on /nonexistent/vifscope.sock"), out.toString());
    // One-shot commands: every agent that answers, the one that does not on stderr, success.
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    assertEquals(0, run("ifaces", "--in-process", a, "--socket", "/nonexistent/vifscope.sock", "--in-process", b));
    assertTrue(out.toString().startsWith("2 agents:"), out.toString());
    List<String> lines = out.toString().lines().skip(2).collect(Collectors.toList());
    // Ranked over the fleet: the uplink of both nodes first (the incident and web traffic cross it), then the vifs.
    assertTrue(lines.get(0).matches("\\s+dom0-[ab]\\s+vsleth0\\s+physical.*"), out.toString());
    assertTrue(lines.get(1).matches("\\s+dom0-[ab]\\s+vsleth0\\s+physical.*"), out.toString());
    assertTrue(lines.get(2).matches("\\s+dom0-[ab]\\s+000a17-I\\s+vif\\s+syslog01 \\(74\\).*"), out.toString());
    assertTrue(err.toString().contains("/nonexistent/vifscope.sock"), err.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("domains", "--in-process", a, "--in-process", b, "--limit", "3"));
    lines = out.toString().lines().skip(2).collect(Collectors.toList());
    assertEquals(3, lines.size(), out.toString());
    assertTrue(lines.get(0).matches("\\s+dom0-[ab]\\s+74\\s+syslog01.*") && lines.get(1).matches("\\s+dom0-[ab]\\s+74\\s+syslog01.*"),
        out.toString());
  }

  @Test
  void filtersAndLimitNarrowEveryCommand() throws Exception {
    assertEquals(0, run("ifaces", "--json", "--domain", "syslog01", "--in-process", a), err.toString());
    ListInterfacesResponse.Builder r = ListInterfacesResponse.newBuilder();
    JsonFormat.parser().merge(out.toString(), r);
    assertEquals(1, r.getInterfacesCount());
    assertEquals("000a17-I", r.getInterfaces(0).getInterface().getName());
    out.getBuffer().setLength(0);
    assertEquals(0, run("top", "--once", "--interface", "vif12.0", "--in-process", a), err.toString());
    assertTrue(rows().stream().allMatch(l -> l.contains("vif12.0")), out.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("top", "--once", "--limit", "2", "--in-process", a), err.toString());
    assertEquals(2, rows().size(), out.toString());
    out.getBuffer().setLength(0);
    assertEquals(DiagnoseCommand.FINDINGS, run("diagnose", "--port", "443", "--in-process", a), err.toString());
    assertFalse(out.toString().contains("source 198.18.0.201"), out.toString());
  }

  @Test
  void badOptionsAreUsageErrorsNamingTheOption() {
    assertEquals(CommandLine.ExitCode.USAGE, run("top", "--once", "--group", "colour", "--in-process", a));
    assertTrue(err.toString().contains("--group"), err.toString());
    assertEquals(CommandLine.ExitCode.USAGE, run("ifaces", "--proto", "sctp2", "--in-process", a));
    assertTrue(err.toString().contains("--proto"), err.toString());
    assertEquals(CommandLine.ExitCode.USAGE, run("domains", "--limit", "0", "--in-process", a));
    assertTrue(err.toString().contains("--limit"), err.toString());
    assertEquals(CommandLine.ExitCode.USAGE, run("top", "--window", "5s", "--in-process", a));
    assertTrue(err.toString().contains("2s, 10s or 40s"), err.toString());
  }

  @Test
  void softirqAndDomainsJsonAreTheProtosJson() throws Exception {
    assertEquals(0, run("softirq", "--json", "--in-process", a), err.toString());
    io.vifscope.proto.v1.GetSoftirqStatsResponse.Builder si = io.vifscope.proto.v1.GetSoftirqStatsResponse.newBuilder();
    JsonFormat.parser().merge(out.toString(), si);
    assertEquals(0.61, si.getCpus(1).getSoftirqShare(), 0.001);
    assertEquals("vsleth0", si.getCpus(1).getNapi(0).getDevice());
    out.getBuffer().setLength(0);
    assertEquals(0, run("domains", "--json", "--in-process", a), err.toString());
    io.vifscope.proto.v1.ListDomainsResponse.Builder d = io.vifscope.proto.v1.ListDomainsResponse.newBuilder();
    JsonFormat.parser().merge(out.toString(), d);
    assertEquals("syslog01", d.getDomains(0).getDomain().getName());
    assertEquals(30_000, d.getDomains(0).getToGuestPacketsPerSecond(), 1);
  }

  @Test
  void statusTextAndJson() throws Exception {
    assertEquals(0, run("status", "--in-process", a), err.toString());
    assertTrue(out.toString().startsWith("dom0-a: vifscope agent test"), out.toString());
    assertTrue(out.toString().contains("\n  programs loaded by: bcc\n"), out.toString());
    assertTrue(out.toString().contains("features: libbpf_objects (off: the built objects could not be loaded: "
        + "bpf_object__open_mem(softirq) failed"), out.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("status", "--json", "--in-process", a), err.toString());
    GetAgentStatusResponse.Builder r = GetAgentStatusResponse.newBuilder();
    JsonFormat.parser().merge(out.toString(), r);
    assertEquals("test", r.getVersion());
    assertEquals("bcc", r.getLoader());
  }

  @Test
  void noAgentAndNotRootSaysStartTheAgentOrRunAsRoot() {
    Targets.defaultSocket = "/nonexistent/default.sock";
    Session.uid = () -> 1000;
    assertEquals(QueryCommand.NO_AGENT, run("diagnose"), err.toString());
    assertTrue(err.toString().contains("no agent answers on /nonexistent/default.sock: start `vifscope agent` or run "
        + "as root"), err.toString());
    assertFalse(err.toString().contains("embedded mode) for"), "started embedded as non-root: " + err);
    // --no-embedded: the plain explanation, even for root.
    err.getBuffer().setLength(0);
    Session.uid = () -> 0;
    assertEquals(QueryCommand.NO_AGENT, run("softirq", "--no-embedded"), err.toString());
    assertTrue(err.toString().contains("start `vifscope agent`"), err.toString());
  }

  @Test
  void aSocketThatShutsTheUserOutSaysHowToGetIn() {
    io.grpc.StatusRuntimeException denied = io.grpc.Status.UNAVAILABLE.withDescription("io exception")
        .withCause(new java.io.IOException("connect(..) failed: Permission denied")).asRuntimeException();
    assertTrue(Agents.explain("/run/vifscope/vifscope.sock", denied).contains("use sudo, or join the group"),
        Agents.explain("/run/vifscope/vifscope.sock", denied));
    io.grpc.StatusRuntimeException absent = io.grpc.Status.UNAVAILABLE.withDescription("io exception")
        .withCause(new java.io.IOException("connect(..) failed: No such file or directory")).asRuntimeException();
    assertTrue(Agents.explain("/x.sock", absent).contains("start `vifscope agent`"), Agents.explain("/x.sock", absent));
  }
}
