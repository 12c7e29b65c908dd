package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.InterfaceRef;
import io.vifscope.proto.v1.ListDomainsRequest;
import io.vifscope.proto.v1.ListDomainsResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.List;
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
    printAll(out, List.of(r));
  }

  /** One table; for a fleet, every agent's domains ranked together by packets, with a NODE column. */
  @Override
  void printAll(PrintWriter out, List<ListDomainsResponse> answers) {
    printRanked(out, answers, r -> r.getMeta().getNode(), ListDomainsResponse::getDomainsList,
        d -> d.getToGuestPacketsPerSecond() + d.getFromGuestPacketsPerSecond(), "%-6s %-20s %-24s %12s %12s",
        new String[] {"ID", "NAME", "INTERFACES", "TO pkt/s", "FROM pkt/s"},
        d -> new String[] {Integer.toString(d.getDomain().getId()), d.getDomain().getName(),
            d.getInterfacesList().stream().map(InterfaceRef::getName).collect(Collectors.joining(",")),
            Format.count(d.getToGuestPacketsPerSecond()), Format.count(d.getFromGuestPacketsPerSecond())});
  }
}
