package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.DomainStats;
import io.vifscope.proto.v1.InterfaceRef;
import io.vifscope.proto.v1.ListDomainsRequest;
import io.vifscope.proto.v1.ListDomainsResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** {@code vifscope domains}: per domain, its interfaces and its traffic. */
@Command(name = "domains", mixinStandardHelpOptions = true,
    description = "Guest domains, their interfaces, and traffic to and from them.",
    footerHeading = "%nExamples:%n",
    footer = {"  vifscope domains", "  vifscope domains --json", "  vifscope domains --window 1m --limit 5"})
public final class DomainsCommand extends QueryCommand<ListDomainsResponse> {
  @Override
  ListDomainsResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    return stub.listDomains(ListDomainsRequest.newBuilder().setWindow(window).build());
  }

  @Override
  ListDomainsResponse narrow(ListDomainsResponse r) {
    ListDomainsResponse.Builder b = r.toBuilder().clearDomains();
    r.getDomainsList().stream()
        .filter(d -> filters.domainMatches(d.getDomain())
            && (filters.interfaces.isEmpty() || d.getInterfacesList().stream().anyMatch(i -> filters.interfaceMatches(i.getName()))))
        .limit(filters.limit).forEach(b::addDomains);
    return b.build();
  }

  @Override
  void print(PrintWriter out, ListDomainsResponse r) {
    out.printf(Locale.ROOT, "%s:%n  %-6s %-20s %-24s %12s %12s%n", r.getMeta().getNode(), "ID", "NAME", "INTERFACES",
        "TO pkt/s", "FROM pkt/s");
    for (DomainStats d : r.getDomainsList()) {
      out.printf(Locale.ROOT, "  %-6d %-20s %-24s %12s %12s%n", d.getDomain().getId(), d.getDomain().getName(),
          d.getInterfacesList().stream().map(InterfaceRef::getName).collect(Collectors.joining(",")),
          Format.count(d.getToGuestPacketsPerSecond()), Format.count(d.getFromGuestPacketsPerSecond()));
    }
  }
}
