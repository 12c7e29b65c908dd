package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.CpuSoftirq;
import io.vifscope.proto.v1.Direction;
import io.vifscope.proto.v1.GroupBy;
import io.vifscope.proto.v1.NapiDevice;
import io.vifscope.proto.v1.Talker;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Renders a {@link TopFrame} as lines of text: a header, the table, a footer. Colour is an option. */
final class TopView {
  /** A CPU at or above this softirq share is shown hot. */
  static final double HOT = 0.25;
  private static final int MAX_CPUS_SHOWN = 8;
  private static final String RESET = "\033[0m";
  private static final String BOLD = "\033[1m";
  private static final String REVERSE = "\033[7m";
  private static final String RED = "\033[31m";
  private static final String YELLOW = "\033[33m";

  private final boolean colour;

  TopView(boolean colour) {
    this.colour = colour;
  }

  /** One column: a title and how a talker fills it. */
  private record Column(String title, Function<Talker, String> cell, boolean right) {}

  /**
   * @param width characters per line (lines are cut to it; 0 for no limit)
   * @param height lines on the screen: rows of the table are left out to fit (0 for no limit)
   * @param problems one line per agent that did not answer
   */
  List<String> render(TopFrame f, GroupBy group, boolean byBytes, int rankWindow, double intervalSeconds, int width,
      int height, List<String> problems, boolean keysHelp) {
    List<String> out = new ArrayList<>();
    boolean fleet = f.agents.size() > 1 || problems.size() > 0;
    String nodes = f.agents.isEmpty() ? "no agent" : f.agents.size() == 1
        ? f.agents.get(0).softirq().getMeta().getNode() : f.agents.size() + " agents";
    out.add(paint(REVERSE, String.format(Locale.ROOT, "vifscope top · %s · by %s, %s · every %s · %s", nodes,
        groupName(group), byBytes ? "bytes/s" : "packets/s", seconds(intervalSeconds),
        LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")))));
    for (TopFrame.AgentView a : f.agents) {
      out.add((fleet ? a.softirq().getMeta().getNode() + "  " : "") + cpuLine(a.softirq().getCpusList()));
      out.add((fleet ? a.softirq().getMeta().getNode() + "  " : "") + "NET_RX busiest: " + busiest(a.softirq().getCpusList()));
    }
    for (String p : problems) {
      out.add(paint(RED, p));
    }
    out.add("");

    List<Column> cols = new ArrayList<>();
    if (fleet) {
      cols.add(new Column("NODE", Talker::getNode, false));
    }
    cols.addAll(columns(group));
    String unit = byBytes ? "B/s" : "pkt/s";
    int identityColumns = cols.size();
    List<String> notes = new ArrayList<>();
    for (int w = 0; w < TopFrame.WINDOWS_SECONDS.length; w++) {
      double covered = covered(f, w);
      boolean short_ = covered < TopFrame.WINDOWS_SECONDS[w] - 0.5;
      if (short_) {
        notes.add(String.format(Locale.ROOT, "* %ds: only %.0f s of history so far", TopFrame.WINDOWS_SECONDS[w],
            covered));
      }
      cols.add(new Column(TopFrame.WINDOWS_SECONDS[w] + "s" + (short_ ? "*" : "") + " " + unit
          + (w == rankWindow ? " ▼" : ""), null, true));
    }
    List<String> table = table(f, cols, identityColumns, byBytes);
    List<String> footer = new ArrayList<>(notes);
    if (f.rows.isEmpty()) {
      footer.add("  (no traffic in the last " + TopFrame.WINDOWS_SECONDS[rankWindow] + " s on the watched interfaces)");
    }
    if (keysHelp) {
      footer.add("");
      footer.add(paint(BOLD, "group: s source  f flow  d domain  i interface  p port · sort: b bytes  P packets  "
          + "1 2 3 window · q quit"));
    }
    if (height > 0) {
      int room = Math.max(2, height - out.size() - footer.size()); // the titles and at least one row
      if (table.size() > room) {
        table = table.subList(0, room);
      }
    }
    out.addAll(table);
    out.addAll(footer);
    if (width > 0) {
      out.replaceAll(l -> cut(l, width));
    }
    return out;
  }

  /** The shortest window an agent could cover for column {@code w} (its history may be shorter). */
  private static double covered(TopFrame f, int w) {
    double min = TopFrame.WINDOWS_SECONDS[w];
    for (TopFrame.AgentView a : f.agents) {
      com.google.protobuf.Duration d = a.windows().get(w).getMeta().getWindow();
      min = Math.min(min, d.getSeconds() + d.getNanos() / 1e9);
    }
    return min;
  }

  /** The rows under their titles; the columns from {@code identityColumns} on are the windows' rates. */
  private static List<String> table(TopFrame f, List<Column> cols, int identityColumns, boolean byBytes) {
    List<String[]> cells = new ArrayList<>();
    String[] head = cols.stream().map(Column::title).toArray(String[]::new);
    for (TopFrame.Row r : f.rows) {
      String[] c = new String[cols.size()];
      for (int i = 0; i < identityColumns; i++) {
        c[i] = cols.get(i).cell().apply(r.talker());
      }
      for (int w = 0; w < r.rates().length; w++) {
        c[identityColumns + w] = Format.count(r.rates()[w]);
      }
      cells.add(c);
    }
    int[] widths = new int[cols.size()];
    for (int i = 0; i < cols.size(); i++) {
      widths[i] = head[i].length();
      for (String[] c : cells) {
        widths[i] = Math.max(widths[i], c[i].length());
      }
    }
    List<String> out = new ArrayList<>();
    out.add(line(head, widths, cols));
    for (String[] c : cells) {
      out.add(line(c, widths, cols));
    }
    return out;
  }

  private static String line(String[] c, int[] widths, List<Column> cols) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < c.length; i++) {
      if (i > 0) {
        b.append("  ");
      }
      String pad = " ".repeat(Math.max(0, widths[i] - c[i].length()));
      b.append(cols.get(i).right() ? pad + c[i] : c[i] + (i == c.length - 1 ? "" : pad));
    }
    return b.toString();
  }

  /** The identity columns of a grouping; every row also names its domain. */
  private static List<Column> columns(GroupBy g) {
    Column iface = new Column("INTERFACE", t -> t.getInterface().getName(), false);
    Column dir = new Column("DIRECTION", t -> direction(t.getDirection()), false);
    Column domain = new Column("DOMAIN", TopView::domain, false);
    Column proto = new Column("PROTO", t -> t.getProtocolName().isEmpty() ? Integer.toString(t.getProtocol())
        : t.getProtocolName().toUpperCase(Locale.ROOT), false);
    Column service = new Column("SERVICE", t -> t.getService().isEmpty() ? "-" : t.getService(), false);
    return switch (g) {
      case GROUP_BY_FLOW -> List.of(new Column("SOURCE", t -> hostPort(t.getSourceAddress(), t.getSourcePort()), false),
          new Column("DESTINATION", t -> hostPort(t.getDestinationAddress(), t.getDestinationPort()), false), proto,
          service, iface, dir, domain);
      case GROUP_BY_DOMAIN -> List.of(domain, new Column("ID", t -> Integer.toString(t.getDomain().getId()), true),
          dir);
      case GROUP_BY_INTERFACE -> List.of(iface, new Column("ROLE", t -> Roles.text(t.getInterface().getRole()), false),
          dir, domain);
      case GROUP_BY_DESTINATION_PORT -> List.of(new Column("PORT", t -> Integer.toString(t.getDestinationPort()), true),
          proto, service, iface, dir, domain);
      default -> List.of(new Column("SOURCE", Talker::getSourceAddress, false), iface, dir, domain);
    };
  }

  private static String hostPort(String addr, int port) {
    return addr.contains(":") ? "[" + addr + "]:" + port : addr + ":" + port;
  }

  private static String domain(Talker t) {
    return t.hasDomain() && !t.getDomain().getName().isEmpty() ? t.getDomain().getName()
        : t.hasDomain() ? "id " + t.getDomain().getId() : "-";
  }

  static String direction(Direction d) {
    return switch (d) {
      case DIRECTION_TO_GUEST -> "to guest";
      case DIRECTION_FROM_GUEST -> "from guest";
      case DIRECTION_HOST_RECEIVE -> "host rx";
      case DIRECTION_HOST_TRANSMIT -> "host tx";
      default -> "-";
    };
  }

  static String groupName(GroupBy g) {
    return switch (g) {
      case GROUP_BY_FLOW -> "flow";
      case GROUP_BY_DOMAIN -> "domain";
      case GROUP_BY_INTERFACE -> "interface";
      case GROUP_BY_DESTINATION_PORT -> "port";
      default -> "source";
    };
  }

  /** Per CPU: softirq share and the ksoftirqd share of it; the hottest few when there are many CPUs. */
  private String cpuLine(List<CpuSoftirq> cpus) {
    List<CpuSoftirq> shown = new ArrayList<>(cpus);
    String more = "";
    if (shown.size() > MAX_CPUS_SHOWN) {
      shown.sort(Comparator.comparingDouble(CpuSoftirq::getSoftirqShare).reversed());
      double avg = cpus.stream().mapToDouble(CpuSoftirq::getSoftirqShare).average().orElse(0);
      more = String.format(Locale.ROOT, " │ %d CPUs, mean si %.1f%%", cpus.size(), 100 * avg);
      shown = new ArrayList<>(shown.subList(0, MAX_CPUS_SHOWN));
      shown.sort(Comparator.comparingInt(CpuSoftirq::getCpu));
    }
    StringBuilder b = new StringBuilder();
    for (CpuSoftirq c : shown) {
      if (b.length() > 0) {
        b.append(" │ ");
      }
      String text = String.format(Locale.ROOT, "CPU%d si %4.1f%% ksoftirqd %2.0f%%", c.getCpu(),
          100 * c.getSoftirqShare(), 100 * c.getKsoftirqdShare());
      b.append(c.getSoftirqShare() >= HOT ? paint(RED, text) : c.getSoftirqShare() >= HOT / 2 ? paint(YELLOW, text) : text);
    }
    return b + more;
  }

  /** The device whose NAPI polls took the most CPU time in the window, with its CPU and rate. */
  static String busiest(List<CpuSoftirq> cpus) {
    NapiDevice best = null;
    int bestCpu = -1;
    for (CpuSoftirq c : cpus) {
      for (NapiDevice d : c.getNapiList()) {
        if (d.getDevice().startsWith("(")) {
          continue; // NET_RX time outside any poll
        }
        if (best == null || d.getCpuShare() > best.getCpuShare()) {
          best = d;
          bestCpu = c.getCpu();
        }
      }
    }
    if (best == null || best.getCpuShare() <= 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%s on CPU%d, %.1f%% of the CPU, %s pkt/s%s", best.getDevice(), bestCpu,
        100 * best.getCpuShare(), Format.count(best.getPacketsPerSecond()),
        best.hasDomain() ? " (domain " + best.getDomain().getName() + ")" : "");
  }

  private String paint(String code, String s) {
    return colour ? code + s + RESET : s;
  }

  private static String seconds(double s) {
    return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0fs", s) : String.format(Locale.ROOT, "%.1fs", s);
  }

  /** Cuts a line to {@code width} visible characters, keeping colour codes whole and resetting at the cut. */
  static String cut(String s, int width) {
    StringBuilder b = new StringBuilder();
    int visible = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\033') {
        int end = s.indexOf('m', i);
        if (end < 0) {
          break;
        }
        b.append(s, i, end + 1);
        i = end;
        continue;
      }
      if (visible == width) {
        return b.append(s.contains("\033") ? RESET : "").toString();
      }
      b.append(ch);
      visible++;
    }
    return b.toString();
  }
}
