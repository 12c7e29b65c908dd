package io.vifscope.control.rank;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Addresses as operators and other tools write them: IPv4 dotted, IPv6 in the RFC 5952 canonical form
 * ({@code 2001:db8::12}, lower case, the longest run of two or more zero groups shortened, the first such run on a
 * tie). Java's {@link InetAddress#getHostAddress()} writes every group ({@code 2001:db8:0:0:0:0:0:12}), which
 * neither matches what {@code ip}, {@code tcpdump} or {@code ss} print nor can be grepped for.
 */
public final class Addresses {
  private Addresses() {}

  public static String text(InetAddress a) {
    if (!(a instanceof Inet6Address)) {
      return a.getHostAddress();
    }
    byte[] b = a.getAddress();
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    // The longest run of zero groups, at least two long.
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLen - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(g[i]));
    }
    return s.toString();
  }
}
