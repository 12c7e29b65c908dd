package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vifscope.control.rank.Services;
import io.vifscope.control.server.ServiceFixtures;
import io.vifscope.proto.v1.DiagnoseResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `vifscope diagnose` in-process against the service over the incident fixture: text, JSON, exit codes. */
class DiagnoseCommandTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private Server server;
  private String name;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws Exception {
    name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServiceFixtures.incidentService(Services.system(), timer)).build().start();
  }

  @AfterEach
  void stop() {
    server.shutdownNow();
    timer.shutdownNow();
  }

  private int run(String... args) {
    CommandLine cmd = Main.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  @Test
  void textNamesTheIncidentAndExitsNonZeroOnFindings() {
    assertEquals(DiagnoseCommand.FINDINGS, run("diagnose", "--in-process", name));
    String text = out.toString();
    assertTrue(text.startsWith("dom0-test: CPU1 si 61% (NET_RX, 78% in ksoftirqd) · vsleth0 → vif 000a17-I "
        + "(domain syslog01, id 74)"), text);
    assertTrue(text.contains("source 198.18.0.201"), text);
    assertTrue(text.contains("30k pkt/s"), text);
  }

  @Test
  void quietWhenNothingCrossesAThreshold() {
    assertEquals(0, run("diagnose", "--in-process", name, "--hot-cpu", "0.99", "--guest-pps", "1000000"), err.toString());
  }

  @Test
  void jsonIsTheProtosJson() throws Exception {
    run("diagnose", "--in-process", name, "--json");
    DiagnoseResponse.Builder b = DiagnoseResponse.newBuilder();
    JsonFormat.parser().merge(out.toString(), b);
    assertEquals("000a17-I", b.getGuestInterfaces(0).getInterface().getName());
  }

  @Test
  void noAgentSaysWhatToDo() {
    assertEquals(DiagnoseCommand.NO_AGENT, run("diagnose", "--socket", "/nonexistent/vifscope.sock"));
    assertTrue(err.toString().contains("start `vifscope agent`"), err.toString());
  }

  @Test
  void badWindowIsAUsageError() {
    assertEquals(CommandLine.ExitCode.USAGE, run("diagnose", "--in-process", name, "--window", "10 parsecs"));
    assertEquals(CommandLine.ExitCode.USAGE, run("diagnose", "--in-process", name, "--window", "2h"));
    assertTrue(err.toString().contains("window"), err.toString());
  }

  @Test
  void helpEndsWithExamples() {
    run("diagnose", "--help");
    assertTrue(out.toString().strip().endsWith("--tls-ca ca.pem --json"), out.toString());
  }

  @Test
  void softirqIfacesAndDomainsPrintTheirTables() {
    assertEquals(0, run("softirq", "--in-process", name));
    assertTrue(out.toString().contains("CPU1   si  61.0%  ksoftirqd  78% | NET_RX 61.0%"), out.toString());
    assertTrue(out.toString().contains("NAPI vsleth0"), out.toString());
    assertEquals(0, run("ifaces", "--in-process", name));
    assertTrue(out.toString().contains("000a17-I"), out.toString());
    assertTrue(out.toString().matches("(?s).*000a17-I\\s+vif\\s+syslog01 \\(74\\).*30k.*"), out.toString());
    assertEquals(0, run("domains", "--in-process", name));
    assertTrue(out.toString().matches("(?s).*74\\s+syslog01\\s+000a17-I\\s+30k.*"), out.toString());
  }
}
