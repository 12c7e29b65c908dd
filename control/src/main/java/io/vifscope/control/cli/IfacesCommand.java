package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.Locale;
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
    out.printf(Locale.ROOT, "%s:%n  %-16s %-9s %-20s %10s %10s %10s %10s %8s%n", r.getMeta().getNode(), "INTERFACE", "ROLE",
        "DOMAIN", "RX pkt/s", "RX B/s", "TX pkt/s", "TX B/s", "DROPS");
    for (InterfaceStats i : r.getInterfacesList()) {
      out.printf(Locale.ROOT, "  %-16s %-9s %-20s %10s %10s %10s %10s %8d%n", i.getInterface().getName(),
          Roles.text(i.getInterface().getRole()), i.hasDomain() ? i.getDomain().getName() + " (" + i.getDomain().getId() + ")" : "-",
          Format.count(i.getRxPacketsPerSecond()), Format.count(i.getRxBytesPerSecond()),
          Format.count(i.getTxPacketsPerSecond()), Format.count(i.getTxBytesPerSecond()), i.getRxDropped() + i.getTxDropped());
    }
  }
}
