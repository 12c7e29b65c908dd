package io.vifscope.control.cli;

import io.vifscope.proto.v1.DomainRef;
import io.vifscope.proto.v1.TalkerFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The options every query command shares to narrow its rows: {@code --limit}, {@code --interface},
 * {@code --domain}, {@code --port}, {@code --proto}. Talker rankings send them to the agent; the other commands
 * apply the ones that fit their rows.
 */
public final class Filters {
  @Option(names = "--limit", paramLabel = "N", description = "Rows to show (default: ${DEFAULT-VALUE}).")
  int limit = 20;

  @Option(names = "--interface", paramLabel = "NAME", description = "Only this interface (repeatable).")
  List<String> interfaces = new ArrayList<>();

  @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only this domain: name, UUID or id (repeatable).")
  List<String> domains = new ArrayList<>();

  @Option(names = "--port", paramLabel = "PORT", description = "Only this source or destination port (repeatable).")
  List<Integer> ports = new ArrayList<>();

  @Option(names = "--proto", paramLabel = "PROTO", description = "Only this protocol: udp, tcp, icmp, icmpv6 or a number "
      + "(repeatable).")
  List<String> protocols = new ArrayList<>();

  /** Checks the values; throws IllegalArgumentException naming the option. */
  void validate() {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("--limit: " + limit + " is not between 1 and 10000");
    }
    for (int p : ports) {
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("--port: " + p + " is not a port (0..65535)");
      }
    }
    protocolNumbers();
  }

  /** The protocol numbers of {@code --proto}. */
  List<Integer> protocolNumbers() {
    List<Integer> out = new ArrayList<>();
    for (String p : protocols) {
      out.add(switch (p.toLowerCase(Locale.ROOT)) {
        case "tcp" -> 6;
        case "udp" -> 17;
        case "icmp" -> 1;
        case "icmpv6", "ipv6-icmp" -> 58;
        default -> {
          try {
            int n = Integer.parseInt(p);
            if (n < 0 || n > 255) {
              throw new NumberFormatException();
            }
            yield n;
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--proto: '" + p + "' is not udp, tcp, icmp, icmpv6 or 0..255");
          }
        }
      });
    }
    return out;
  }

  /** The filter as the agent takes it. */
  TalkerFilter talkerFilter() {
    TalkerFilter.Builder f = TalkerFilter.newBuilder().addAllInterfaces(interfaces).addAllDomains(domains);
    ports.forEach(f::addPorts);
    protocolNumbers().forEach(f::addProtocols);
    return f.build();
  }

  /** Whether an interface passes {@code --interface}. */
  boolean interfaceMatches(String name) {
    return interfaces.isEmpty() || interfaces.contains(name);
  }

  /** Whether a domain passes {@code --domain} (by name, UUID or id); no domain passes only an empty filter. */
  boolean domainMatches(DomainRef d) {
    if (domains.isEmpty()) {
      return true;
    }
    if (d == null || (d.getName().isEmpty() && d.getUuid().isEmpty() && d.getId() == 0)) {
      return false;
    }
    for (String want : domains) {
      if (want.equals(d.getName()) || want.equalsIgnoreCase(d.getUuid()) || want.equals(Integer.toString(d.getId()))) {
        return true;
      }
    }
    return false;
  }

  /** Whether a port and protocol pass {@code --port} and {@code --proto}. */
  boolean flowMatches(int protocol, int sourcePort, int destinationPort) {
    return (ports.isEmpty() || ports.contains(sourcePort) || ports.contains(destinationPort))
        && (protocols.isEmpty() || protocolNumbers().contains(protocol));
  }
}
