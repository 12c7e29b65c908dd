package io.vifscope.control.cli;

import com.google.protobuf.util.JsonFormat;
import io.vifscope.proto.v1.GroupBy;
import io.vifscope.proto.v1.SortBy;
import io.vifscope.proto.v1.TalkerFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vifscope top}: the live view. On a terminal it takes the whole screen and reads single keys; to a pipe
 * it prints plain tables, one per interval; {@code --once} prints one and exits.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
    description = {"Live top talkers with rates over 2 s, 10 s and 40 s side by side, the domain of every row, "
        + "and per-CPU softirq load on top.", "",
        "Keys: s source, f flow, d domain, i interface, p port (grouping); b bytes, P packets (sorting); "
        + "1, 2, 3 rank by the 2 s, 10 s or 40 s column; q quits."},
    footerHeading = "%nExamples:%n",
    footer = {"  vifscope top", "  vifscope top --group domain --sort bytes",
        "  vifscope top --once --group flow --port 514 --limit 10",
        "  sudo vifscope top          # no agent running: watch from this process",
        "  vifscope top --once --socket /run/a.sock --target hv2:7443 --tls-ca ca.pem",
        "  vifscope top --once --json | jq '.talkers[0]'"})
public final class TopCommand implements Callable<Integer> {
  @Mixin Targets targets = new Targets();

  @Mixin Filters filters = new Filters();

  @Mixin EmbeddedOptions embedded = new EmbeddedOptions();

  @Option(names = {"-g", "--group"}, paramLabel = "BY",
      description = "Rows per source (default), flow, domain, interface or port.")
  String group = "source";

  @Option(names = "--sort", paramLabel = "BY", description = "Rank by packets (default) or bytes.")
  String sort = "packets";

  @Option(names = "--window", paramLabel = "DURATION",
      description = "The column that ranks: 2s (default), 10s or 40s.")
  String window = "2s";

  @Option(names = "--interval", paramLabel = "DURATION", description = "Refresh every DURATION (default: 1s).")
  String interval = "1s";

  @Option(names = "--once", description = "Print one table and exit.")
  boolean once;

  @Option(names = {"-n", "--iterations"}, paramLabel = "N", description = "Exit after N refreshes (default: run until q "
      + "or Ctrl-C).")
  int iterations;

  @Option(names = "--json", description = "Print each refresh's merged ranking (the ranking window) as the proto's "
      + "JSON, one object per line.")
  boolean json;

  @Option(names = "--color", paramLabel = "WHEN", description = "Colours: auto (default: only on a terminal), "
      + "always or never.")
  String color = "auto";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private GroupBy groupBy;
  private boolean byBytes;
  private int rankWindow;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long intervalMillis;
    try {
      groupBy = groupBy(group);
      byBytes = sortByBytes(sort);
      rankWindow = rankWindow(window);
      intervalMillis = Durations.toJava(Durations.parse("--interval", interval)).toMillis();
      if (intervalMillis < 100) {
        throw new IllegalArgumentException("--interval: at least 100ms");
      }
      Durations.parse("--sample", embedded.sample);
      filters.validate();
      if (iterations < 0) {
        throw new IllegalArgumentException("--iterations: " + iterations + " is negative");
      }
      if (!List.of("auto", "always", "never").contains(color)) {
        throw new IllegalArgumentException("--color: '" + color + "' is not auto, always or never");
      }
    } catch (IllegalArgumentException e) {
      err.println("vifscope: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.USAGE;
    }
    boolean terminal = System.console() != null && !once && !json;
    boolean colour = color.equals("always") || (color.equals("auto") && terminal);
    TalkerFilter filter = filters.talkerFilter();
    TopView view = new TopView(colour);

    try (Session session = Session.open(targets, embedded, err);
        Screen screen = terminal ? Screen.open(out) : null) {
      int frames = 0;
      while (true) {
        List<TopFrame.AgentView> views = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int[] size = screen != null ? screen.size() : new int[] {0, 0};
        int limit = screen != null ? Math.max(1, Math.min(filters.limit, size[0])) : filters.limit;
        final GroupBy g = groupBy;
        final SortBy s = byBytes ? SortBy.SORT_BY_BYTES : SortBy.SORT_BY_PACKETS;
        final int rw = rankWindow;
        for (Fleet.Answer<TopFrame.AgentView> a : session.ask(stub -> TopFrame.ask(stub, g, s, filter, limit, rw))) {
          if (a.ok()) {
            views.add(a.response());
          } else {
            problems.add(Agents.explain(a.target(), a.error()));
          }
        }
        if (views.isEmpty()) {
          if (screen != null) {
            screen.close();
          }
          problems.forEach(err::println);
          err.flush();
          return QueryCommand.NO_AGENT;
        }
        if (json) {
          out.println(JsonFormat.printer().omittingInsignificantWhitespace()
              .print(TopFrame.merged(views, byBytes, limit, rankWindow)));
          problems.forEach(err::println);
        } else {
          TopFrame frame = TopFrame.merge(views, byBytes, limit, rankWindow);
          List<String> lines = view.render(frame, groupBy, byBytes, rankWindow, intervalMillis / 1000.0, size[1],
              size[0], problems, screen != null);
          if (screen != null) {
            screen.draw(lines, size[0]);
          } else {
            if (frames > 0) {
              out.println();
            }
            lines.forEach(out::println);
          }
        }
        out.flush();
        err.flush();
        frames++;
        if (once || (iterations > 0 && frames >= iterations)) {
          return CommandLine.ExitCode.OK;
        }
        if (screen == null) {
          Thread.sleep(intervalMillis);
        } else if (!screen.awaitKeys(intervalMillis, this::onKey)) {
          return CommandLine.ExitCode.OK; // q
        }
      }
    }
  }

  /** Applies one key; false to quit. */
  private boolean onKey(int key) {
    switch (key) {
      case 'q', 'Q' -> {
        return false;
      }
      case 's' -> groupBy = GroupBy.GROUP_BY_SOURCE;
      case 'f' -> groupBy = GroupBy.GROUP_BY_FLOW;
      case 'd' -> groupBy = GroupBy.GROUP_BY_DOMAIN;
      case 'i' -> groupBy = GroupBy.GROUP_BY_INTERFACE;
      case 'p' -> groupBy = GroupBy.GROUP_BY_DESTINATION_PORT;
      case 'b', 'B' -> byBytes = true;
      case 'P' -> byBytes = false;
      case '1', '2', '3' -> rankWindow = key - '1';
      default -> {
        // other keys only refresh
      }
    }
    return true;
  }

  static GroupBy groupBy(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "source", "src", "s" -> GroupBy.GROUP_BY_SOURCE;
      case "flow", "f" -> GroupBy.GROUP_BY_FLOW;
      case "domain", "d" -> GroupBy.GROUP_BY_DOMAIN;
      case "interface", "iface", "i" -> GroupBy.GROUP_BY_INTERFACE;
      case "port", "p" -> GroupBy.GROUP_BY_DESTINATION_PORT;
      default -> throw new IllegalArgumentException("--group: '" + text
          + "' is not source, flow, domain, interface or port");
    };
  }

  static boolean sortByBytes(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "packets", "pkts", "p" -> false;
      case "bytes", "b" -> true;
      default -> throw new IllegalArgumentException("--sort: '" + text + "' is not packets or bytes");
    };
  }

  static int rankWindow(String text) {
    for (int i = 0; i < TopFrame.WINDOWS_SECONDS.length; i++) {
      if (text.equals(TopFrame.WINDOWS_SECONDS[i] + "s")) {
        return i;
      }
    }
    throw new IllegalArgumentException("--window: top ranks by one of its columns: 2s, 10s or 40s");
  }

  /**
   * The terminal while the full-screen view runs: the alternate screen, no echo, keys one at a time. Closing it
   * (also from the shutdown hook on Ctrl-C) gives the terminal back as it was.
   */
  static final class Screen implements AutoCloseable {
    private final PrintWriter out;
    private final String saved;
    private final BlockingQueue<Integer> keys = new LinkedBlockingQueue<>();
    private final Thread restoreOnExit;
    private boolean closed;

    private Screen(PrintWriter out, String saved) {
      this.out = out;
      this.saved = saved;
      this.restoreOnExit = new Thread(this::restore, "vifscope-top-restore");
    }

    static Screen open(PrintWriter out) throws IOException, InterruptedException {
      String saved = stty("-g").strip();
      Screen s = new Screen(out, saved);
      Runtime.getRuntime().addShutdownHook(s.restoreOnExit);
      stty("-icanon -echo min 1 time 0");
      out.print("\033[?1049h\033[?25l");
      out.flush();
      Thread reader = new Thread(() -> s.readKeys(System.in), "vifscope-top-keys");
      reader.setDaemon(true);
      reader.start();
      return s;
    }

    private void readKeys(InputStream in) {
      try {
        int b;
        while ((b = in.read()) >= 0) {
          keys.add(b);
        }
      } catch (IOException e) {
        // the terminal went away: no more keys
      }
    }

    /** Waits up to {@code millis} for keys, applying each; false when one says quit. */
    boolean awaitKeys(long millis, java.util.function.IntPredicate onKey) throws InterruptedException {
      Integer k = keys.poll(millis, TimeUnit.MILLISECONDS);
      if (k == null) {
        return true;
      }
      do {
        if (!onKey.test(k)) {
          return false;
        }
        k = keys.poll();
      } while (k != null);
      return true; // redraw at once after a key
    }

    /** Rows and columns of the terminal now (it may have been resized). */
    int[] size() {
      try {
        String[] f = stty("size").strip().split("\\s+");
        return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
      } catch (IOException | RuntimeException e) {
        return new int[] {24, 80};
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new int[] {24, 80};
      }
    }

    /** Redraws from the top left, clearing what each line and the rest of the screen held before. */
    void draw(List<String> lines, int rows) {
      StringBuilder b = new StringBuilder("\033[H");
      for (int i = 0; i < lines.size() && i < rows; i++) {
        b.append(lines.get(i)).append("\033[K");
        if (i < lines.size() - 1 && i < rows - 1) {
          b.append("\r\n");
        }
      }
      b.append("\033[J");
      out.print(b);
      out.flush();
    }

    private synchronized void restore() {
      if (closed) {
        return;
      }
      closed = true;
      out.print("\033[?25h\033[?1049l");
      out.flush();
      try {
        stty(saved);
      } catch (IOException e) {
        // nothing more can be done for the terminal
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      restore();
      try {
        Runtime.getRuntime().removeShutdownHook(restoreOnExit);
      } catch (IllegalStateException e) {
        // shutting down: the hook restores
      }
    }

    /** Runs stty on the controlling terminal and returns what it printed. */
    private static String stty(String args) throws IOException, InterruptedException {
      Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty").redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("stty " + args + ": " + text.strip());
      }
      return text;
    }
  }
}
