package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.DomainStats;
import io.vifscope.proto.v1.InterfaceRef;
import io.vifscope.proto.v1.ListDomainsRequest;
import io.vifscope.proto.v1.ListDomainsResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  /** One table; for a fleet, every agent's domains ranked together, with a NODE column. */
  @Override
  void printAll(PrintWriter out, List<ListDomainsResponse> answers) {
    if (answers.isEmpty()) {
      return;
    }
    boolean fleet = answers.size() > 1;
    List<Map.Entry<String, DomainStats>> rows = new ArrayList<>();
    answers.forEach(r -> r.getDomainsList().forEach(d -> rows.add(Map.entry(r.getMeta().getNode(), d))));
    if (fleet) {
      rows.sort(Comparator.comparingDouble((Map.Entry<String, DomainStats> e) -> packets(e.getValue())).reversed());
    }
    String node = fleet ? "%-12s " : "";
    out.println(fleet ? answers.size() + " agents:" : answers.get(0).getMeta().getNode() + ":");
    out.printf(Locale.ROOT, "  " + node + "%-6s %-20s %-24s %12s %12s%n", withNode(fleet, "ID", "NAME",
        "INTERFACES", "TO pkt/s", "FROM pkt/s"));
    rows.stream().limit(fleet ? filters.limit : Long.MAX_VALUE).forEach(e -> {
      DomainStats d = e.getValue();
      Object[] cells = {d.getDomain().getId(), d.getDomain().getName(),
          d.getInterfacesList().stream().map(InterfaceRef::getName).collect(Collectors.joining(",")),
          Format.count(d.getToGuestPacketsPerSecond()), Format.count(d.getFromGuestPacketsPerSecond())};
      out.printf(Locale.ROOT, "  " + node + "%-6d %-20s %-24s %12s %12s%n",
          fleet ? withNode(e.getKey(), cells) : cells);
    });
  }

  private static double packets(DomainStats d) {
    return d.getToGuestPacketsPerSecond() + d.getFromGuestPacketsPerSecond();
  }
}
