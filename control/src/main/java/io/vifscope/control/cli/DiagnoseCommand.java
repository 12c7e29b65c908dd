package io.vifscope.control.cli;

import io.vifscope.proto.v1.DiagnoseRequest;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.Finding;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.Severity;
import io.vifscope.proto.v1.Talker;
import java.io.PrintWriter;
import java.util.Locale;
import io.vifscope.control.server.Format;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vifscope diagnose}: the one-shot answer, as text or as the proto's JSON. The exit code is 1 when a
 * finding crosses its threshold, so the command also serves as a monitoring check.
 */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
    description = "Why is softirq high, and who is it for? One answer from each agent.",
    footerHeading = "%nExamples:%n",
    footer = {"  sudo vifscope diagnose", "  vifscope diagnose --window 30s --json",
        "  vifscope diagnose --socket /run/vifscope/vifscope.sock --guest-pps 20000"})
public final class DiagnoseCommand extends QueryCommand<DiagnoseResponse> {
  /** Exit code when a finding crosses its threshold. */
  public static final int FINDINGS = 1;
  /** Exit code when no agent answered. */
  public static final int NO_AGENT = QueryCommand.NO_AGENT;

  @Option(names = "--hot-cpu", paramLabel = "SHARE", description = "A CPU is hot from this softirq share (default 0.25).")
  double hotCpu = 0.25;

  @Option(names = "--guest-pps", paramLabel = "PPS", description = "A guest interface is a finding from this rate (default 10000).")
  double guestPps = 10_000;

  @Override
  DiagnoseResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    return stub.diagnose(DiagnoseRequest.newBuilder().setWindow(window).setHotCpuSoftirqShare(hotCpu)
        .setGuestPacketsPerSecond(guestPps).build());
  }

  @Override
  boolean finding(DiagnoseResponse r) {
    return r.getFindingsList().stream().anyMatch(f -> f.getSeverity().getNumber() >= Severity.SEVERITY_WARNING_VALUE);
  }

  @Override
  int exitCode(boolean anyFinding) {
    return anyFinding ? FINDINGS : CommandLine.ExitCode.OK;
  }

  @Override
  void print(PrintWriter out, DiagnoseResponse r) {
    printText(out, r);
  }

  static void printText(PrintWriter out, DiagnoseResponse r) {
    out.println(r.getMeta().getNode() + ": " + r.getSummary());
    for (Finding f : r.getFindingsList()) {
      out.println("  " + f.getSeverity().name().replace("SEVERITY_", "").toLowerCase(Locale.ROOT) + ": " + f.getMessage());
    }
    for (InterfaceStats g : r.getGuestInterfacesList()) {
      out.printf(Locale.ROOT, "  guest %-12s %-10s %8s pkt/s to it, %8s pkt/s from it%n", g.getInterface().getName(),
          g.hasDomain() ? g.getDomain().getName() : "-", Format.count(g.getTxPacketsPerSecond()),
          Format.count(g.getRxPacketsPerSecond()));
    }
    for (Talker t : r.getTopSourcesList()) {
      out.printf(Locale.ROOT, "  source %-39s %s/%d %-8s %8s pkt/s%n", t.getSourceAddress(),
          t.getProtocolName().toUpperCase(Locale.ROOT), t.getDestinationPort(), t.getService(),
          Format.count(t.getPacketsPerSecond()));
    }
    if (r.getMeta().getCoverage().getPartial()) {
      out.println("  partial: " + r.getMeta().getCoverage().getUnattributedPackets() + " packets not attributed, "
          + r.getMeta().getCoverage().getUnparsedPackets() + " unparsed");
    }
  }
}
