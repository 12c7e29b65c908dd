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
    footer = {"  vifscope diagnose", "  vifscope diagnose --window 30s --json",
        "  sudo vifscope diagnose --sample 5s   # no agent: watch 5 s from here",
        "  vifscope diagnose --socket /run/vifscope/vifscope.sock --guest-pps 20000",
        "  vifscope diagnose --target hv1:7443 --target hv2:7443 --tls-ca ca.pem --json"})
public final class DiagnoseCommand extends QueryCommand<DiagnoseResponse> {
  /** Exit code when a finding crosses its threshold. */
  public static final int FINDINGS = 1;
  /** Exit code when no agent answered. */
  public static final int NO_AGENT = QueryCommand.NO_AGENT;

  @CommandLine.Mixin EmbeddedOptions embedded = new EmbeddedOptions();

  @Option(names = "--hot-cpu", paramLabel = "SHARE", description = "A CPU is hot from this softirq share (default 0.25).")
  double hotCpu = 0.25;

  @Option(names = "--guest-pps", paramLabel = "PPS", description = "A guest interface is a finding from this rate (default 10000).")
  double guestPps = 10_000;

  @Override
  EmbeddedOptions embeddedOptions() {
    return embedded;
  }

  @Override
  void validate() {
    if (!(hotCpu > 0 && hotCpu <= 1)) {
      throw new IllegalArgumentException("--hot-cpu: " + hotCpu + " is not a share between 0 and 1 (0.25 = 25%)");
    }
    if (!(guestPps > 0)) {
      throw new IllegalArgumentException("--guest-pps: " + guestPps + " is not a positive rate");
    }
  }

  @Override
  DiagnoseResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    DiagnoseRequest.Builder q = DiagnoseRequest.newBuilder().setWindow(window).setHotCpuSoftirqShare(hotCpu)
        .setGuestPacketsPerSecond(guestPps);
    if (spec.commandLine().getParseResult().hasMatchedOption("--limit")) {
      q.setTopSources(filters.limit);
    }
    return stub.diagnose(q.build());
  }

  /** The filters narrow the guest interfaces and sources shown; the summary and findings stay whole. */
  @Override
  DiagnoseResponse narrow(DiagnoseResponse r) {
    DiagnoseResponse.Builder b = r.toBuilder().clearGuestInterfaces().clearTopSources();
    r.getGuestInterfacesList().stream()
        .filter(g -> filters.interfaceMatches(g.getInterface().getName()) && filters.domainMatches(g.getDomain()))
        .limit(filters.limit).forEach(b::addGuestInterfaces);
    r.getTopSourcesList().stream()
        .filter(t -> filters.interfaceMatches(t.getInterface().getName()) && filters.domainMatches(t.getDomain())
            && filters.flowMatches(t.getProtocol(), t.getSourcePort(), t.getDestinationPort()))
        .limit(filters.limit).forEach(b::addTopSources);
    return b.build();
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
