package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.ProbeOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Defaults, flags, the config file and their precedence, and that every rejection names its key. */
class AgentConfigTest {
  private static final Predicate<String> NO_GROUPS = g -> false;
  private static final Predicate<String> VIFSCOPE_GROUP = g -> g.equals("vifscope") || g.equals("ops");

  @TempDir Path dir;

  private static Map<String, List<String>> flags(String... keyValues) {
    Map<String, List<String>> m = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.computeIfAbsent(keyValues[i], k -> new java.util.ArrayList<>()).add(keyValues[i + 1]);
    }
    return m;
  }

  private static AgentConfig load(String... keyValues) throws AgentConfig.InvalidConfigException {
    return AgentConfig.load(flags(keyValues), NO_GROUPS);
  }

  private static String error(String... keyValues) {
    return assertThrows(AgentConfig.InvalidConfigException.class, () -> load(keyValues)).getMessage();
  }

  private Path file(String... lines) throws IOException {
    Path p = dir.resolve("agent.conf");
    Files.write(p, List.of(lines));
    return p;
  }

  private Path pem(String name) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    return p;
  }

  @Test
  void nodeNameIsCheckedAndDefaultsToTheHostName() throws Exception {
    assertEquals(java.util.Optional.empty(), load().nodeName());
    assertEquals(java.util.Optional.of("hv-07.rack3"), load("node-name", "hv-07.rack3").nodeName());
    assertTrue(error("node-name", "a b").contains("node-name"), error("node-name", "a b"));
    assertTrue(error("node-name", "-x").contains("not a node name"));
  }

  @Test
  void metricsAreOffUnlessAnAddressIsGivenAndTheirKeysAreChecked() throws Exception {
    assertEquals(Optional.empty(), load().metrics());
    AgentConfig.MetricsSettings m = load("metrics-listen", "127.0.0.1:9717").metrics().orElseThrow();
    assertEquals("127.0.0.1:9717", m.listen().toString());
    assertEquals(5, m.topPerDomain());
    assertEquals(1000, m.maxTalkerSeries());
    assertEquals(Optional.empty(), m.tlsCert());
    m = load("metrics-listen", "[::1]:9717", "metrics-top", "3", "metrics-max-talker-series", "200",
        "metrics-tls-cert", pem("m.crt").toString(), "metrics-tls-key", pem("m.key").toString()).metrics().orElseThrow();
    assertEquals(3, m.topPerDomain());
    assertEquals(200, m.maxTalkerSeries());
    assertEquals(Optional.of(dir.resolve("m.crt")), m.tlsCert());

    assertEquals("--metrics-top: only used with --metrics-listen (the metrics endpoint is off without it)",
        error("metrics-top", "3"));
    assertEquals("--metrics-top: 0 is out of range 1..100", error("metrics-listen", "127.0.0.1:9717", "metrics-top", "0"));
    assertEquals("--metrics-max-talker-series: 'lots' is not a whole number",
        error("metrics-listen", "127.0.0.1:9717", "metrics-max-talker-series", "lots"));
    assertEquals("--metrics-tls-key: given without --metrics-tls-cert",
        error("metrics-listen", "127.0.0.1:9717", "metrics-tls-key", pem("k2.pem").toString()));
    assertEquals("--metrics-listen: '9717' is not host:port (like 127.0.0.1:7443 or [::1]:7443)",
        error("metrics-listen", "9717"));
    assertTrue(error("metrics-listen", "127.0.0.1:9717", "metrics-users", dir.resolve("none").toString())
        .startsWith("--metrics-users: cannot read"));
  }

  @Test
  void defaults() throws Exception {
    AgentConfig c = load();
    assertEquals(Path.of("/run/vifscope/vifscope.sock"), c.socket());
    assertEquals(Optional.empty(), c.listen());
    assertEquals(Optional.empty(), c.tlsCert());
    assertFalse(c.insecure());
    assertEquals(List.of(), c.include());
    assertEquals(List.of(), c.exclude());
    assertEquals(65_536, c.flowEntries());
    assertEquals(Duration.ofSeconds(1), c.pollInterval());
    assertEquals(Duration.ofMinutes(5), c.history());
    assertEquals(List.of("xenstore", "xl", "libvirt"), c.resolverOrder());
    assertEquals(Optional.empty(), c.libvirtUri());
    assertEquals(ProbeOptions.TcMode.AUTO, c.tcMode());
    assertEquals(ProbeOptions.Loader.AUTO, c.loader(), "built objects first, BCC as the fallback");
    assertEquals(ProbeOptions.Loader.AUTO, c.probeOptions().loader());
    assertFalse(c.bpfStats());
    assertFalse(c.verbose());
    assertEquals(Optional.empty(), c.configFile());
    assertEquals(Optional.empty(), c.socketGroup(), "no vifscope group on the host: no group");
  }

  @Test
  void socketGroupDefaultsToVifscopeWhenTheGroupExists() throws Exception {
    assertEquals(Optional.of("vifscope"), AgentConfig.load(Map.of(), VIFSCOPE_GROUP).socketGroup());
    assertEquals(Optional.of("ops"), AgentConfig.load(flags("socket-group", "ops"), VIFSCOPE_GROUP).socketGroup());
    assertEquals(Optional.empty(), AgentConfig.load(flags("socket-group", "none"), VIFSCOPE_GROUP).socketGroup());
    String m = assertThrows(AgentConfig.InvalidConfigException.class,
        () -> AgentConfig.load(flags("socket-group", "nosuch"), VIFSCOPE_GROUP)).getMessage();
    assertTrue(m.startsWith("--socket-group: no group 'nosuch'"), m);
  }

  @Test
  void flags() throws Exception {
    Path cert = pem("c.pem");
    Path key = pem("k.pem");
    Path ca = pem("ca.pem");
    AgentConfig c = load("socket", "/tmp/x.sock", "listen", "[::1]:7443", "tls-cert", cert.toString(),
        "tls-key", key.toString(), "tls-client-ca", ca.toString(), "include", "vif*", "include", "tap*",
        "exclude", "tap9", "flow-entries", "1024", "poll-interval", "500ms", "history", "10m",
        "resolver-order", "libvirt, XL", "libvirt-uri", "qemu:///system", "tc-mode", "clsact",
        "bpf-stats", "true", "verbose", "true");
    assertEquals(Path.of("/tmp/x.sock"), c.socket());
    assertEquals(Optional.of(new AgentConfig.Listen("::1", 7443)), c.listen());
    assertEquals("[::1]:7443", c.listen().get().toString());
    assertEquals(Optional.of(cert), c.tlsCert());
    assertEquals(Optional.of(key), c.tlsKey());
    assertEquals(Optional.of(ca), c.tlsClientCa());
    assertEquals(List.of("vif*", "tap*"), c.include());
    assertEquals(List.of("tap9"), c.exclude());
    assertEquals(1024, c.flowEntries());
    assertEquals(Duration.ofMillis(500), c.pollInterval());
    assertEquals(Duration.ofMinutes(10), c.history());
    assertEquals(List.of("libvirt", "xl"), c.resolverOrder());
    assertEquals(Optional.of("qemu:///system"), c.libvirtUri());
    assertEquals(ProbeOptions.TcMode.CLSACT, c.tcMode());
    assertTrue(c.bpfStats());
    assertTrue(c.verbose());
    ProbeOptions p = c.probeOptions();
    assertEquals(List.of("vif*", "tap*"), p.include());
    assertEquals(1024, p.flowEntries());
    assertEquals(ProbeOptions.TcMode.CLSACT, p.tcMode());
    assertTrue(p.bpfStats());
  }

  @Test
  void loader() throws Exception {
    assertEquals(ProbeOptions.Loader.BCC, load("loader", "bcc").loader());
    assertEquals(ProbeOptions.Loader.BCC, load("loader", "bcc").probeOptions().loader());
    assertEquals(ProbeOptions.Loader.LIBBPF, load("loader", "LibBPF").probeOptions().loader());
    assertEquals(ProbeOptions.Loader.AUTO, load("loader", "auto").loader());
    assertEquals("--loader: 'clang' is not one of auto, libbpf, bcc", error("loader", "clang"));
  }

  @Test
  void theExampleCommandLineWorksAsWritten() throws Exception {
    AgentConfig c = load("socket", "/run/vifscope/vifscope.sock", "libvirt-uri", "qemu:///system");
    assertEquals(Path.of("/run/vifscope/vifscope.sock"), c.socket());
    assertEquals(Optional.of("qemu:///system"), c.libvirtUri());
  }

  @Test
  void file() throws Exception {
    Path conf = file(
        "# vifscope agent",
        "",
        "socket = /tmp/from-file.sock",
        "  poll-interval=2s  ",
        "history = 1h",
        "include = vif* tap*",
        "include = 000a17-I",
        "exclude = tap9",
        "flow-entries = 4194304",
        "libvirt-uri = test:///default",
        "tc-mode = TCX",
        "bpf-stats = true",
        "   # an indented comment");
    AgentConfig c = load("config", conf.toString());
    assertEquals(Optional.of(conf), c.configFile());
    assertEquals(Path.of("/tmp/from-file.sock"), c.socket());
    assertEquals(Duration.ofSeconds(2), c.pollInterval());
    assertEquals(Duration.ofHours(1), c.history());
    assertEquals(List.of("vif*", "tap*", "000a17-I"), c.include());
    assertEquals(List.of("tap9"), c.exclude());
    assertEquals(4_194_304, c.flowEntries());
    assertEquals(Optional.of("test:///default"), c.libvirtUri());
    assertEquals(ProbeOptions.TcMode.TCX, c.tcMode());
    assertTrue(c.bpfStats());
  }

  @Test
  void flagsWinOverTheFile() throws Exception {
    Path conf = file("socket = /tmp/from-file.sock", "poll-interval = 2s", "include = vif*", "bpf-stats = true",
        "history = 10m");
    AgentConfig c = load("config", conf.toString(), "poll-interval", "250ms", "include", "tap*",
        "bpf-stats", "false");
    assertEquals(Duration.ofMillis(250), c.pollInterval(), "flag wins");
    assertEquals(List.of("tap*"), c.include(), "a repeatable flag replaces the file's list, not adds to it");
    assertFalse(c.bpfStats(), "a negated flag turns off what the file turned on");
    assertEquals(Path.of("/tmp/from-file.sock"), c.socket(), "the file still sets what no flag gives");
    assertEquals(Duration.ofMinutes(10), c.history());
  }

  @Test
  void fileErrorsNameTheFileTheLineAndTheKey() throws Exception {
    Path conf = file("# ok", "socket = /tmp/a.sock", "poll-interval = soon");
    String m = error("config", conf.toString());
    assertEquals(conf + ":3: poll-interval: 'soon' is not a duration (like 500ms, 1s, 5m, 1h)", m);

    conf = file("pollinterval = 1s");
    m = error("config", conf.toString());
    assertTrue(m.startsWith(conf + ":1: unknown key 'pollinterval'; known: socket, "), m);

    conf = file("just some words");
    assertEquals(conf + ":1: expected 'key = value', got 'just some words'", error("config", conf.toString()));

    conf = file("socket = /a.sock", "socket = /b.sock");
    assertEquals(conf + ":2: socket: already set on line 1", error("config", conf.toString()));

    conf = file("libvirt-uri =");
    assertEquals(conf + ":1: libvirt-uri: no value", error("config", conf.toString()));

    conf = file("config = /etc/other.conf");
    assertTrue(error("config", conf.toString()).startsWith(conf + ":1: config: "));

    conf = file("listen = 127.0.0.1:7443");
    assertEquals(conf + ":1: --listen without TLS: give --tls-cert and --tls-key, or --insecure to serve plain TCP",
        error("config", conf.toString()));

    m = error("config", dir.resolve("missing.conf").toString());
    assertEquals("--config: cannot read " + dir.resolve("missing.conf") + ": no such file", m);
  }

  @Test
  void crossChecksOnTheFileNameTheLineOfTheValue() throws Exception {
    Path conf = file("poll-interval = 10s", "history = 5s");
    assertEquals(conf + ":2: history: 5s is shorter than poll-interval 10s", error("config", conf.toString()));
  }

  @Test
  void listenWithoutTlsIsRefusedUnlessInsecure() throws Exception {
    assertEquals("--listen without TLS: give --tls-cert and --tls-key, or --insecure to serve plain TCP",
        error("listen", "127.0.0.1:7443"));
    AgentConfig c = load("listen", "127.0.0.1:0", "insecure", "true");
    assertTrue(c.insecure());
    assertEquals(new AgentConfig.Listen("127.0.0.1", 0), c.listen().get());
  }

  @Test
  void tlsSettingsComeAsASet() throws Exception {
    String cert = pem("c.pem").toString();
    String key = pem("k.pem").toString();
    String ca = pem("ca.pem").toString();
    assertEquals("--tls-key: given without --tls-cert", error("listen", "127.0.0.1:1", "tls-key", key));
    assertEquals("--tls-cert: given without --tls-key", error("listen", "127.0.0.1:1", "tls-cert", cert));
    assertTrue(error("listen", "127.0.0.1:1", "tls-client-ca", ca).startsWith("--tls-client-ca: mTLS needs"));
    assertTrue(error("tls-cert", cert, "tls-key", key).startsWith("--tls-cert: only used with --listen"));
    assertTrue(error("insecure", "true").startsWith("--insecure: only used with --listen"));
    assertTrue(error("listen", "127.0.0.1:1", "tls-cert", cert, "tls-key", key, "insecure", "true")
        .startsWith("--insecure: contradicts --tls-cert"));
    String missing = dir.resolve("nope.pem").toString();
    assertEquals("--tls-cert: cannot read " + missing + ": no such file",
        error("listen", "127.0.0.1:1", "tls-cert", missing, "tls-key", key));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "poll-interval  | 99ms        | --poll-interval: 99ms is below the minimum 100ms",
      "poll-interval  | 1 s         | --poll-interval: '1 s' is not a duration (like 500ms, 1s, 5m, 1h)",
      "poll-interval  | -1s         | --poll-interval: '-1s' is not a duration",
      "poll-interval  | 2d          | --poll-interval: '2d' is not a duration",
      "poll-interval  | 10m         | history (default 5m): 5m is shorter than poll-interval 10m",
      "history        | 500ms       | --history: 500ms is shorter than poll-interval 1s",
      "history        | 61m         | --history: 61m is above the maximum 1h",
      "history        | 2h          | --history: 2h is above the maximum 1h",
      "flow-entries   | 0           | --flow-entries: 0 is out of range 1..4194304",
      "flow-entries   | 4194305     | --flow-entries: 4194305 is out of range 1..4194304",
      "flow-entries   | 64k         | --flow-entries: '64k' is not a whole number",
      "flow-entries   | 99999999999 | --flow-entries: 99999999999 is out of range 1..4194304",
      "listen         | 7443        | --listen: '7443' is not host:port",
      "listen         | :7443       | --listen: ':7443' has no host",
      "listen         | ::1:7443    | --listen: '::1:7443': put an IPv6 address in brackets",
      "listen         | host:99999  | --listen: '99999' is not a port number (0-65535)",
      "listen         | host:http   | --listen: 'http' is not a port number",
      "resolver-order | xl,vmware   | --resolver-order: unknown domain source 'vmware'; known: xenstore, xl, libvirt",
      "resolver-order | xl,xl       | --resolver-order: 'xl' is named twice",
      "resolver-order | ''          | --resolver-order: unknown domain source ''",
      "tc-mode        | xdp         | --tc-mode: 'xdp' is not one of auto, tcx, clsact",
      "bpf-stats      | yes         | --bpf-stats: 'yes' is not true or false",
      "include        | vif[        | --include: bad glob 'vif['",
      "exclude        | ''          | --exclude: bad glob ''",
      "libvirt-uri    | system      | --libvirt-uri: 'system' is not a libvirt URI",
      "socket-group   | wheel2      | --socket-group: no group 'wheel2' on this host",
      "socket         | ''          | --socket: empty path",
      "nonsense       | 1           | --nonsense: unknown setting; known: socket,",
  })
  void everyRejectionNamesItsKey(String key, String value, String expected) {
    String m = error(key, value);
    assertTrue(m.startsWith(expected), "got: " + m);
  }

  @Test
  void socketPathMustFitSunPath() {
    String longPath = "/run/" + "x".repeat(120) + ".sock";
    assertTrue(error("socket", longPath)
        .startsWith("--socket: the path is 130 bytes; a unix socket path has at most 107"));
  }

  @Test
  void everyKeyIsKnownAndRepeatablesAreKeys() {
    assertTrue(AgentConfig.KEYS.containsAll(AgentConfig.REPEATABLE));
    assertEquals(Set.copyOf(AgentConfig.KEYS).size(), AgentConfig.KEYS.size(), "a key listed twice");
    assertFalse(AgentConfig.KEYS.contains(AgentConfig.CONFIG), "config is a flag only");
  }
}
