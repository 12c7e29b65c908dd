package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.BindableService;
import io.vifscope.control.server.AgentConfig;
import io.vifscope.control.server.AgentServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code vifscope agent} in-process: help, and every way it refuses to start before doing anything privileged
 * (these never reach {@code Agent.start}).
 */
class AgentCommandTest {
  @TempDir Path dir;

  /** Exit code, stdout, stderr of one run. */
  private record Run(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void helpEndsWithExamples() {
    Run r = run("agent", "--help");
    assertEquals(0, r.code());
    String help = r.out();
    int examples = help.indexOf("Examples:");
    assertTrue(examples > 0, help);
    String tail = help.substring(examples);
    String documented = "vifscope agent --socket /run/vifscope/vifscope.sock --libvirt-uri qemu:///system";
    assertTrue(tail.contains("\n    " + documented + "\n"), "the example other tools rely on, on one line:\n" + help);
    List<String> lines = help.strip().lines().toList();
    assertTrue(lines.get(lines.size() - 1).strip().startsWith("vifscope agent "), help);
    for (String key : AgentConfig.KEYS) {
      assertTrue(help.contains("--" + key) || help.contains("--[no-]" + key), "help lacks --" + key + "\n" + help);
    }
  }

  @Test
  void theRootCommandListsAgent() {
    Run r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("agent"), r.out());
  }

  @Test
  void everyOptionIsAConfigKeyAndEveryKeyAnOption() {
    CommandLine cl = new CommandLine(new AgentCommand());
    Set<String> options = new TreeSet<>();
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        options.add(o.longestName().replaceFirst("^--", ""));
      }
    }
    Set<String> keys = new TreeSet<>(AgentConfig.KEYS);
    keys.add(AgentConfig.CONFIG);
    assertEquals(keys, options);
  }

  @Test
  void anUnknownFlagExitsTwo() {
    Run r = run("agent", "--sokcet", "/tmp/x.sock");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("Unknown options: '--sokcet', '/tmp/x.sock'"), r.err());
    assertTrue(r.err().contains("Possible solutions: --socket"), r.err());
  }

  @Test
  void aBadValueExitsTwoWithOneLineNamingTheFlag() {
    Run r = run("agent", "--poll-interval", "5x");
    assertEquals(2, r.code());
    assertEquals(List.of("vifscope agent: --poll-interval: '5x' is not a duration (like 500ms, 1s, 5m, 1h)"),
        r.errLines());
  }

  @Test
  void aBadLoaderExitsTwoNamingTheChoices() {
    Run r = run("agent", "--loader", "clang");
    assertEquals(2, r.code());
    assertEquals(List.of("vifscope agent: --loader: 'clang' is not one of auto, libbpf, bcc"), r.errLines());
  }

  @Test
  void embeddedModeTakesTheLoader() throws Exception {
    // The embedded options of a query command, parsed as the CLI parses them, become the agent's settings.
    DiagnoseCommand d = new DiagnoseCommand();
    new CommandLine(d).parseArgs("--loader", "bcc");
    assertEquals(io.vifscope.probe.ProbeOptions.Loader.BCC, Embedded.config(d.embeddedOptions()).loader());
    DiagnoseCommand none = new DiagnoseCommand();
    new CommandLine(none).parseArgs();
    assertEquals(io.vifscope.probe.ProbeOptions.Loader.AUTO, Embedded.config(none.embeddedOptions()).loader());
    DiagnoseCommand bad = new DiagnoseCommand();
    new CommandLine(bad).parseArgs("--loader", "x");
    String m = org.junit.jupiter.api.Assertions.assertThrows(AgentConfig.InvalidConfigException.class,
        () -> Embedded.config(bad.embeddedOptions())).getMessage();
    assertEquals("--loader: 'x' is not one of auto, libbpf, bcc", m);
  }

  @Test
  void listenWithoutTlsExitsBeforeAnythingPrivileged() {
    Run r = run("agent", "--listen", "0.0.0.0:7443");
    assertEquals(2, r.code());
    assertEquals(List.of("vifscope agent: --listen without TLS: give --tls-cert and --tls-key, or --insecure to "
        + "serve plain TCP"), r.errLines());
  }

  @Test
  void aBadConfigFileLineExitsTwoNamingTheLine() throws Exception {
    Path conf = dir.resolve("agent.conf");
    Files.write(conf, List.of("# test", "history = forever"));
    Run r = run("agent", "--config", conf.toString());
    assertEquals(2, r.code());
    assertEquals(List.of("vifscope agent: " + conf + ":2: history: 'forever' is not a duration (like 500ms, 1s, "
        + "5m, 1h)"), r.errLines());
  }

  @Test
  void aLiveAgentsSocketExitsOneAndIsLeftServing() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    AgentConfig first = AgentConfig.load(Map.of("socket", List.of(socket.toString()),
        "socket-group", List.of("none")));
    try (AgentServer live = AgentServer.start(first, List.<BindableService>of())) {
      Run r = run("agent", "--socket", socket.toString(), "--socket-group", "none");
      assertEquals(1, r.code());
      assertEquals(List.of("vifscope agent: another agent is serving on " + socket
          + "; stop it first, or give --socket"), r.errLines());
      assertFalse(live.isTerminated());
      assertTrue(Files.exists(socket));
    }
  }

  @Test
  void theDocumentedCommandLineParsesAsWritten() throws Exception {
    CommandLine cl = new CommandLine(new AgentCommand());
    cl.parseArgs("--socket", "/run/vifscope/vifscope.sock", "--libvirt-uri", "qemu:///system");
    AgentConfig c = cl.<AgentCommand>getCommand().config();
    assertEquals(Path.of("/run/vifscope/vifscope.sock"), c.socket());
    assertEquals(Optional.of("qemu:///system"), c.libvirtUri());
    assertEquals(Duration.ofSeconds(1), c.pollInterval());
  }

  @Test
  void flagsWinOverTheFileThroughTheCommandLine() throws Exception {
    Path conf = dir.resolve("agent.conf");
    Files.write(conf, List.of("poll-interval = 2s", "bpf-stats = true", "include = vif*", "verbose = true"));
    CommandLine cl = new CommandLine(new AgentCommand());
    cl.parseArgs("--config", conf.toString(), "--poll-interval", "250ms", "--no-bpf-stats", "--include", "tap*",
        "--include", "vnet*");
    AgentConfig c = cl.<AgentCommand>getCommand().config();
    assertEquals(Duration.ofMillis(250), c.pollInterval());
    assertFalse(c.bpfStats());
    assertEquals(List.of("tap*", "vnet*"), c.include());
    assertTrue(c.verbose(), "what no flag gives comes from the file");
    assertEquals(Optional.of(conf), c.configFile());
  }

  @Test
  void exitCodes() {
    AgentCommand.ExitCodes codes = new AgentCommand.ExitCodes();
    assertEquals(2, codes.getExitCode(new AgentConfig.InvalidConfigException("x")));
    assertEquals(2, codes.getExitCode(new CommandLine.ParameterException(new CommandLine(new AgentCommand()), "x")));
    assertEquals(1, codes.getExitCode(new java.io.IOException("x")));
    assertEquals(1, codes.getExitCode(new UnsupportedOperationException("x")));
  }
}
