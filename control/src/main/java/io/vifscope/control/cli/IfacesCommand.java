package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code vifscope ifaces}: per interface, rates, kernel drops, role and domain. */
@Command(name = "ifaces", mixinStandardHelpOptions = true,
    description = "Watched interfaces: rates, drops, role and domain.",
    footerHeading = "%nExamples:%n",
    footer = {"  vifscope ifaces", "  vifscope ifaces --window 1m --json", "  vifscope ifaces --domain syslog01",
        "  vifscope ifaces --socket /run/vifscope/vifscope.sock --target hv2:7443 --tls-ca ca.pem"})
public final class IfacesCommand extends QueryCommand<ListInterfacesResponse> {
  @Override
  ListInterfacesResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    return stub.listInterfaces(ListInterfacesRequest.newBuilder().setWindow(window).build());
  }

  @Override
  ListInterfacesResponse narrow(ListInterfacesResponse r) {
    ListInterfacesResponse.Builder b = r.toBuilder().clearInterfaces();
    r.getInterfacesList().stream()
        .filter(i -> filters.interfaceMatches(i.getInterface().getName()) && filters.domainMatches(i.getDomain()))
        .limit(filters.limit).forEach(b::addInterfaces);
    return b.build();
  }

  @Override
  void print(PrintWriter out, ListInterfacesResponse r) {
    printAll(out, List.of(r));
  }

  /** One table; for a fleet, every agent's interfaces ranked together by packets, with a NODE column. */
  @Override
  void printAll(PrintWriter out, List<ListInterfacesResponse> answers) {
    printRanked(out, answers, r -> r.getMeta().getNode(), ListInterfacesResponse::getInterfacesList,
        i -> i.getRxPacketsPerSecond() + i.getTxPacketsPerSecond(), "%-16s %-9s %-20s %10s %10s %10s %10s %8s",
        new String[] {"INTERFACE", "ROLE", "DOMAIN", "RX pkt/s", "RX B/s", "TX pkt/s", "TX B/s", "DROPS"},
        i -> new String[] {i.getInterface().getName(), Roles.text(i.getInterface().getRole()),
            i.hasDomain() ? i.getDomain().getName() + " (" + i.getDomain().getId() + ")" : "-",
            Format.count(i.getRxPacketsPerSecond()), Format.count(i.getRxBytesPerSecond()),
            Format.count(i.getTxPacketsPerSecond()), Format.count(i.getTxBytesPerSecond()),
            Long.toString(i.getRxDropped() + i.getTxDropped())});
  }
}
