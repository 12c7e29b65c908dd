package io.vifscope.probe;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides which interfaces get the tc programs. The defaults are what an operator of a Xen or KVM host
 * expects to see without configuring anything:
 *
 * <ul>
 *   <li>Xen vifs ({@code vif*}) and KVM/HVM taps ({@code tap*}, {@code vnet*}, {@code macvtap*}): each is one
 *       guest interface, the unit the whole tool attributes load to.
 *   <li>Every port of a Linux bridge that has at least one guest interface ({@code vif*}, {@code tap*},
 *       {@code vnet*}) among its ports. This catches guest interfaces with custom names (libvirt's
 *       {@code <target dev='000a17-I'/>}, Xen's {@code vifname=}) and the bridge's uplink, where the guests'
 *       traffic enters and leaves the host. A bridge whose ports are all non-guest (a management or container
 *       bridge) adds nothing. The bridge device itself is not selected: its traffic is dom0's own.
 *   <li>Physical NICs ({@link LinkInfo#physical()}): the host's traffic as a whole, for comparison.
 * </ul>
 *
 * <p>{@code lo} is never selected, not even by an explicit pattern: loopback carries only dom0-local traffic,
 * never a guest's, so watching it costs CPU on every local packet and explains nothing.
 *
 * <p>Patterns are shell globs on the interface name, matched by a small matcher of our own (no regular
 * expression is built from operator input): {@code *} any run of characters, {@code ?} one character,
 * {@code [abc]}, {@code [a-z]}, {@code [!a-z]} (or {@code [^a-z]}) one character of a set, and {@code \}
 * quotes the next character. An unterminated {@code [} is an error, not a literal, so a typo is reported
 * instead of silently matching nothing. Exclusion wins over inclusion and over the defaults.
 */
public final class InterfaceSelector {
  private static final String LOOPBACK = "lo";
  private static final List<Glob> GUESTS = globs(List.of("vif*", "tap*", "vnet*"));
  private static final Glob MACVTAP = new Glob("macvtap*");

  private final List<Glob> include;
  private final List<Glob> exclude;
  private final boolean withDefaults;

  private InterfaceSelector(List<Glob> include, List<Glob> exclude, boolean withDefaults) {
    this.include = include;
    this.exclude = exclude;
    this.withDefaults = withDefaults;
  }

  /** The defaults alone: guest interfaces, ports of bridges with a guest, physical NICs. */
  public static InterfaceSelector defaults() {
    return of(List.of(), List.of(), true);
  }

  /**
   * @param include globs of names to watch, on top of the defaults when {@code withDefaults}
   * @param exclude globs of names never to watch; wins over everything else
   * @param withDefaults also select what {@link #defaults()} selects
   * @throws IllegalArgumentException when a glob is empty or malformed (an unterminated {@code [}, a reversed
   *     range)
   */
  public static InterfaceSelector of(List<String> include, List<String> exclude, boolean withDefaults) {
    return new InterfaceSelector(globs(include), globs(exclude), withDefaults);
  }

  /**
   * Whether to watch {@code link}.
   *
   * @param all every current link by ifindex (as {@link LinkMonitor#links()} returns it): a bridge port's
   *     selection depends on its fellow ports
   */
  public boolean selects(LinkInfo link, Map<Integer, LinkInfo> all) {
    String name = link.name();
    if (LOOPBACK.equals(name) || matchesAny(exclude, name)) {
      return false;
    }
    if (matchesAny(include, name)) {
      return true;
    }
    return withDefaults && byDefault(link, all);
  }

  /** The ifindexes {@link #selects} accepts among {@code all}, in one pass over the bridges. */
  public Set<Integer> selected(Map<Integer, LinkInfo> all) {
    Set<Integer> guestBridges = new HashSet<>();
    for (LinkInfo l : all.values()) {
      if (l.hasMaster() && isGuest(l.name())) {
        LinkInfo master = all.get(l.masterIfindex());
        if (master != null && master.isBridge()) {
          guestBridges.add(master.ifindex());
        }
      }
    }
    Set<Integer> out = new HashSet<>();
    for (LinkInfo l : all.values()) {
      String name = l.name();
      if (LOOPBACK.equals(name) || matchesAny(exclude, name)) {
        continue;
      }
      if (matchesAny(include, name)
          || (withDefaults && (isGuestOrMacvtap(l) || l.physical() || guestBridges.contains(l.masterIfindex())))) {
        out.add(l.ifindex());
      }
    }
    return out;
  }

  /** For logs, e.g. {@code include [vm-*]; exclude [vif0.*]; defaults (vif*, tap*, …); never lo}. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (!include.isEmpty()) {
      parts.add("include " + texts(include));
    }
    if (!exclude.isEmpty()) {
      parts.add("exclude " + texts(exclude));
    }
    if (withDefaults) {
      parts.add("defaults (vif*, tap*, vnet*, macvtap*, ports of bridges with a guest port, physical NICs)");
    }
    if (include.isEmpty() && !withDefaults) {
      parts.add("nothing");
    }
    parts.add("never lo");
    return String.join("; ", parts);
  }

  @Override
  public String toString() {
    return "InterfaceSelector[" + describe() + "]";
  }

  private static boolean byDefault(LinkInfo link, Map<Integer, LinkInfo> all) {
    if (isGuestOrMacvtap(link) || link.physical()) {
      return true;
    }
    if (!link.hasMaster()) {
      return false;
    }
    LinkInfo master = all.get(link.masterIfindex());
    if (master == null || !master.isBridge()) {
      return false;
    }
    for (LinkInfo port : all.values()) {
      if (port.masterIfindex() == master.ifindex() && isGuest(port.name())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isGuestOrMacvtap(LinkInfo link) {
    return isGuest(link.name()) || MACVTAP.matches(link.name());
  }

  private static boolean isGuest(String name) {
    return matchesAny(GUESTS, name);
  }

  private static boolean matchesAny(List<Glob> globs, String name) {
    for (Glob g : globs) {
      if (g.matches(name)) {
        return true;
      }
    }
    return false;
  }

  private static List<Glob> globs(List<String> patterns) {
    List<Glob> out = new ArrayList<>();
    for (String p : patterns) {
      out.add(new Glob(Objects.requireNonNull(p, "pattern")));
    }
    return List.copyOf(out);
  }

  private static String texts(List<Glob> globs) {
    return globs.stream().map(g -> g.text).collect(Collectors.joining(", ", "[", "]"));
  }

  /** A compiled shell glob over code points. */
  private static final class Glob {
    private static final int LITERAL = 0;
    private static final int ANY = 1;
    private static final int STAR = 2;
    private static final int SET = 3;

    /** One element: a literal code point, any one, any run, or one of a set of ranges. */
    private record Part(int kind, int literal, int[] ranges, boolean negated) {
      boolean matchesOne(int cp) {
        switch (kind) {
          case LITERAL:
            return cp == literal;
          case ANY:
            return true;
          case SET:
            boolean in = false;
            for (int i = 0; i < ranges.length; i += 2) {
              if (cp >= ranges[i] && cp <= ranges[i + 1]) {
                in = true;
                break;
              }
            }
            return in != negated;
          default:
            return false;
        }
      }
    }

    final String text;
    private final Part[] parts;

    Glob(String text) {
      if (text.isEmpty()) {
        throw new IllegalArgumentException("empty interface name pattern");
      }
      this.text = text;
      int[] cps = text.codePoints().toArray();
      List<Part> out = new ArrayList<>();
      int i = 0;
      while (i < cps.length) {
        int c = cps[i];
        if (c == '*') {
          if (out.isEmpty() || out.get(out.size() - 1).kind != STAR) {
            out.add(new Part(STAR, 0, null, false));
          }
          i++;
        } else if (c == '?') {
          out.add(new Part(ANY, 0, null, false));
          i++;
        } else if (c == '\\' && i + 1 < cps.length) {
          out.add(new Part(LITERAL, cps[i + 1], null, false));
          i += 2;
        } else if (c == '[') {
          i = parseSet(cps, i, out);
        } else {
          out.add(new Part(LITERAL, c, null, false));
          i++;
        }
      }
      this.parts = out.toArray(new Part[0]);
    }

    /** Parses {@code [...]} starting at {@code cps[start] == '['}; returns the index after the {@code ]}. */
    private int parseSet(int[] cps, int start, List<Part> out) {
      int i = start + 1;
      boolean negated = i < cps.length && (cps[i] == '!' || cps[i] == '^');
      if (negated) {
        i++;
      }
      List<Integer> ranges = new ArrayList<>();
      boolean first = true;
      while (true) {
        if (i >= cps.length) {
          throw new IllegalArgumentException("interface name pattern '" + text + "': '[' at " + start + " is not closed");
        }
        int c = cps[i];
        if (c == ']' && !first) {
          i++;
          break;
        }
        first = false;
        if (c == '\\' && i + 1 < cps.length) {
          c = cps[++i];
        }
        int lo = c;
        int hi = c;
        if (i + 2 < cps.length && cps[i + 1] == '-' && cps[i + 2] != ']') {
          hi = cps[i + 2];
          if (hi == '\\' && i + 3 < cps.length) {
            hi = cps[i + 3];
            i++;
          }
          i += 2;
          if (hi < lo) {
            throw new IllegalArgumentException("interface name pattern '" + text + "': range "
                + new String(Character.toChars(lo)) + "-" + new String(Character.toChars(hi)) + " is reversed");
          }
        }
        ranges.add(lo);
        ranges.add(hi);
        i++;
      }
      out.add(new Part(SET, 0, ranges.stream().mapToInt(Integer::intValue).toArray(), negated));
      return i;
    }

    /** Greedy matching that backtracks to the last {@code *} only: linear for realistic patterns. */
    boolean matches(String name) {
      int[] s = name.codePoints().toArray();
      int p = 0;
      int i = 0;
      int starP = -1;
      int starI = 0;
      while (i < s.length) {
        if (p < parts.length && parts[p].kind == STAR) {
          starP = p++;
          starI = i;
        } else if (p < parts.length && parts[p].matchesOne(s[i])) {
          p++;
          i++;
        } else if (starP >= 0) {
          p = starP + 1;
          i = ++starI;
        } else {
          return false;
        }
      }
      while (p < parts.length && parts[p].kind == STAR) {
        p++;
      }
      return p == parts.length;
    }
  }
}
