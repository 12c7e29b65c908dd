package io.vifscope.control.cli;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What every one-shot query command shares: the targets (one agent or a fleet, asked at once), the filters and
 * {@code --limit}, {@code --json}, {@code --window}, and the exit codes. Unreachable agents are reported and the
 * others still answer. A subclass asks one agent and prints answers.
 */
abstract class QueryCommand<R extends Message> implements Callable<Integer> {
  /** Exit code when no agent answered. */
  static final int NO_AGENT = 3;

  @Mixin Targets targets = new Targets();

  @Mixin Filters filters = new Filters();

  @Option(names = "--json", description = "Print the proto's JSON (one object per agent).")
  boolean json;

  @Option(names = "--window", paramLabel = "DURATION", description = "Window, e.g. 10s (default), 1m.")
  String window = "10s";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Asks one agent. */
  abstract R ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window);

  /** Prints one answer as text. */
  abstract void print(PrintWriter out, R answer);

  /** The answer narrowed by the filters and the limit, for text and JSON alike (default: as it came). */
  R narrow(R answer) {
    return answer;
  }

  /** Prints every answer as text; a command that merges a fleet's answers overrides this. */
  void printAll(PrintWriter out, List<R> answers) {
    answers.forEach(a -> print(out, a));
  }

  /** Embedded mode's options, or null for a command that needs a running agent. */
  EmbeddedOptions embeddedOptions() {
    return null;
  }

  /** The exit code once every agent answered (0 unless the command has findings). */
  int exitCode(boolean anyFinding) {
    return CommandLine.ExitCode.OK;
  }

  /** Whether an answer crosses a threshold (diagnose). */
  boolean finding(R answer) {
    return false;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    com.google.protobuf.Duration w;
    try {
      w = Durations.parse("--window", window);
      filters.validate();
      if (embeddedOptions() != null) {
        Durations.parse("--sample", embeddedOptions().sample);
      }
      validate();
    } catch (IllegalArgumentException e) {
      err.println("vifscope: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.USAGE;
    }
    List<R> answers = new ArrayList<>();
    boolean usage = false;
    try (Session session = Session.open(targets, embeddedOptions(), err)) {
      for (Fleet.Answer<R> a : session.ask(stub -> ask(stub, w))) {
        if (a.ok()) {
          answers.add(narrow(a.response()));
        } else {
          err.println(Agents.explain(a.target(), a.error()));
          usage |= a.error().getStatus().getCode() == Status.Code.INVALID_ARGUMENT;
        }
      }
    }
    if (json) {
      for (R r : answers) {
        out.println(JsonFormat.printer().print(r));
      }
    } else {
      printAll(out, answers);
    }
    out.flush();
    err.flush();
    if (usage) {
      return CommandLine.ExitCode.USAGE;
    }
    return answers.isEmpty() ? NO_AGENT : exitCode(answers.stream().anyMatch(this::finding));
  }

  /**
   * A table of the answers' rows under {@code titles}, every cell a string in {@code format} (one "%s" per column).
   * One agent: its rows as it ranked them, under its node name. A fleet: every agent's rows ranked together by
   * {@code load}, cut to --limit, with a NODE column first.
   */
  <T> void printRanked(PrintWriter out, List<R> answers, Function<R, String> nodeOf, Function<R, List<T>> rows,
      ToDoubleFunction<T> load, String format, String[] titles, Function<T, String[]> cells) {
    if (answers.isEmpty()) {
      return;
    }
    boolean fleet = answers.size() > 1;
    List<Map.Entry<String, T>> all = new ArrayList<>();
    for (R r : answers) {
      String node = nodeOf.apply(r);
      rows.apply(r).forEach(t -> all.add(Map.entry(node, t)));
    }
    String line = "  " + (fleet ? "%-12s " : "") + format + "%n";
    out.println(fleet ? answers.size() + " agents:" : nodeOf.apply(answers.get(0)) + ":");
    out.printf(Locale.ROOT, line, fleet ? withNode("NODE", titles) : titles);
    if (fleet) {
      all.sort(Comparator.comparingDouble((Map.Entry<String, T> e) -> load.applyAsDouble(e.getValue())).reversed());
    }
    all.stream().limit(fleet ? filters.limit : Long.MAX_VALUE).forEach(e -> out.printf(Locale.ROOT, line,
        fleet ? withNode(e.getKey(), cells.apply(e.getValue())) : cells.apply(e.getValue())));
  }

  private static Object[] withNode(String node, Object[] cells) {
    Object[] out = new Object[cells.length + 1];
    out[0] = node;
    System.arraycopy(cells, 0, out, 1, cells.length);
    return out;
  }

  /** Checks the command's own options; throws IllegalArgumentException naming the option. */
  void validate() {}
}
