package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.AttachedInterface;
import io.vifscope.proto.v1.DomainSourceStatus;
import io.vifscope.proto.v1.Feature;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.ProgramCost;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** {@code vifscope status}: what each agent is, sees and costs. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "What the agent is, which kernel features it uses, what it watches and what it costs.",
    footerHeading = "%nExamples:%n",
    footer = {"  vifscope status", "  vifscope status --json | jq .features",
        "  vifscope status --socket /run/vifscope/vifscope.sock --target hv2:7443 --tls-ca ca.pem"})
public final class StatusCommand extends QueryCommand<GetAgentStatusResponse> {
  @Override
  GetAgentStatusResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    return stub.getAgentStatus(GetAgentStatusRequest.getDefaultInstance());
  }

  /** --interface narrows the attached interfaces; --limit caps them. */
  @Override
  GetAgentStatusResponse narrow(GetAgentStatusResponse r) {
    GetAgentStatusResponse.Builder b = r.toBuilder().clearAttached();
    r.getAttachedList().stream().filter(a -> filters.interfaceMatches(a.getInterface().getName()))
        .limit(filters.limit).forEach(b::addAttached);
    return b.build();
  }

  @Override
  void print(PrintWriter out, GetAgentStatusResponse r) {
    out.printf(Locale.ROOT, "%s: vifscope agent %s, polling every %s, keeping %s%n", r.getMeta().getNode(),
        r.getVersion(), seconds(r.getPollInterval()), seconds(r.getHistory()));
    if (!r.getLoader().isEmpty()) {
      // When it is bcc, feature libbpf_objects below says why.
      out.printf(Locale.ROOT, "  programs loaded by: %s%n", r.getLoader());
    }
    out.printf(Locale.ROOT, "  features: %s%n", r.getFeaturesList().stream()
        .map(f -> f.getName() + (f.getAvailable() ? "" : " (off" + reason(f) + ")")).collect(Collectors.joining(", ")));
    out.printf(Locale.ROOT, "  flows: %s of %s entries; agent CPU %s s, RSS %sB%n", Format.count(r.getFlowEntries()),
        Format.count(r.getFlowCapacity()), seconds(r.getAgentCpuTime()), Format.count(r.getAgentRssBytes()));
    if (!r.getUnparsedByReasonMap().isEmpty()) {
      out.printf(Locale.ROOT, "  unparsed since start: %s%n", r.getUnparsedByReasonMap().entrySet().stream()
          .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
    }
    for (DomainSourceStatus s : r.getDomainSourcesList()) {
      out.printf(Locale.ROOT, "  domain source %-9s %s%n", s.getName(),
          !s.getDetected() ? "not on this host" : s.getOk() ? "ok" : "failing: " + s.getError());
    }
    out.printf(Locale.ROOT, "  attached to %d interface%s:%n", r.getAttachedCount(), r.getAttachedCount() == 1 ? "" : "s");
    for (AttachedInterface a : r.getAttachedList()) {
      out.printf(Locale.ROOT, "    %-16s %-9s %s%n", a.getInterface().getName(), Roles.text(a.getInterface().getRole()),
          a.getHook());
    }
    for (ProgramCost c : r.getProgramCostsList()) {
      out.printf(Locale.ROOT, "  program %-16s %10s runs %7.1f ns/run%n", c.getProgram(), Format.count(c.getRuns()),
          c.getNsPerRun());
    }
  }

  private static String reason(Feature f) {
    return f.getReason().isEmpty() ? "" : ": " + f.getReason();
  }

  private static String seconds(com.google.protobuf.Duration d) {
    double s = d.getSeconds() + d.getNanos() / 1e9;
    return s >= 60 && s % 60 == 0 ? String.format(Locale.ROOT, "%.0fm", s / 60) : String.format(Locale.ROOT, "%.3gs", s);
  }
}
