package io.vifscope.control.rank;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Well-known service names from the system's services database (/etc/services): 514/udp is "syslog".
 * Read once; a missing or odd file just means no names.
 */
public final class Services {
  private static final Path DEFAULT = Path.of("/etc/services");
  private final Map<Long, String> byPortProto;

  private Services(Map<Long, String> byPortProto) {
    this.byPortProto = Map.copyOf(byPortProto);
  }

  /** The host's database. */
  public static Services system() {
    return load(DEFAULT);
  }

  /** Parses an /etc/services file ("name port/proto aliases # comment"). */
  public static Services load(Path file) {
    Map<Long, String> m = new HashMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int hash = line.indexOf('#');
        String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
        if (f.length < 2) {
          continue;
        }
        int slash = f[1].indexOf('/');
        if (slash <= 0) {
          continue;
        }
        try {
          int port = Integer.parseInt(f[1].substring(0, slash));
          int proto = protocolNumber(f[1].substring(slash + 1));
          if (proto >= 0 && port > 0 && port < 65536) {
            m.putIfAbsent(key(port, proto), f[0]);
          }
        } catch (NumberFormatException ignored) {
          // not a service line
        }
      }
    } catch (IOException e) {
      return new Services(Map.of());
    }
    return new Services(m);
  }

  private static int protocolNumber(String name) {
    return switch (name) {
      case "tcp" -> 6;
      case "udp" -> 17;
      case "sctp" -> 132;
      case "dccp" -> 33;
      default -> -1;
    };
  }

  private static long key(int port, int proto) {
    return ((long) proto << 16) | port;
  }

  /**
   * The service of a flow: the name of the destination port if it has one, else of the source port (replies
   * from a well-known port), else "".
   */
  public String name(int protocol, int sport, int dport) {
    String d = byPortProto.get(key(dport, protocol));
    if (d != null) {
      return d;
    }
    String s = byPortProto.get(key(sport, protocol));
    return s == null ? "" : s;
  }

  /** IANA name of an IP protocol number, lower case; the number as text for others. */
  public static String protocolName(int protocol) {
    return switch (protocol) {
      case 1 -> "icmp";
      case 6 -> "tcp";
      case 17 -> "udp";
      case 33 -> "dccp";
      case 47 -> "gre";
      case 50 -> "esp";
      case 51 -> "ah";
      case 58 -> "icmpv6";
      case 132 -> "sctp";
      case 136 -> "udplite";
      default -> Integer.toString(protocol);
    };
  }
}
