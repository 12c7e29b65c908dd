package io.vifscope.control.resolve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link CommandRunner} that answers from fixtures instead of running anything: exact argv to output, or a
 * function for the rest. It records every argv it was asked for, so tests can check what a source read.
 */
final class FixtureRunner implements CommandRunner {
  private final Map<List<String>, Output> answers = new HashMap<>();
  private final Set<String> commands = new HashSet<>();
  private final List<List<String>> calls = new ArrayList<>();
  private Answer otherwise = argv -> {
    throw new AssertionError("no fixture for " + argv);
  };

  /** How argv not given to {@link #on} is answered; may fail as a runner does. */
  interface Answer {
    Output apply(List<String> argv) throws SourceException;
  }

  /** Answers {@code argv} with {@code out}; its command then exists. */
  FixtureRunner on(List<String> argv, Output out) {
    answers.put(List.copyOf(argv), out);
    commands.add(argv.get(0));
    return this;
  }

  /** Answers every argv not given to {@link #on} with {@code f}. */
  FixtureRunner otherwise(Answer f) {
    otherwise = f;
    return this;
  }

  /** These commands exist on the fixture's PATH. */
  FixtureRunner present(String... names) {
    commands.addAll(List.of(names));
    return this;
  }

  /** Every argv run so far, in order. */
  List<List<String>> calls() {
    return List.copyOf(calls);
  }

  @Override
  public Output run(List<String> argv, Duration timeout, int maxBytes) throws SourceException {
    calls.add(List.copyOf(argv));
    Output out = answers.get(argv);
    if (out == null) {
      out = otherwise.apply(List.copyOf(argv));
    }
    if (out.stdout().getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw new SourceException(String.join(" ", argv) + ": printed more than " + maxBytes + " bytes");
    }
    return out;
  }

  @Override
  public boolean exists(String command) {
    return commands.contains(command);
  }

  static Output ok(String stdout) {
    return new Output(0, stdout, "");
  }

  /** A fixture file under {@code fixtures/xen/}. */
  static String fixture(String name) {
    try (InputStream in = FixtureRunner.class.getResourceAsStream("/fixtures/xen/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A xenstore whose whole tree is {@code rootListing} (what {@code xenstore-ls -f /} printed), answering
   * {@code xenstore-ls -f PATH} and {@code xenstore-read -p KEY...} as xenstore_client.c does: ls lists the nodes
   * below PATH depth first (a contiguous run of the root listing) or fails with ENOENT; read prints
   * {@code KEY: VALUE} per key and stops at the first missing key with a warning and exit 1, the values before
   * it still printed. Values are copied as quoted, since both print them through sanitise_value.
   */
  static FixtureRunner xenstore(String rootListing) {
    List<String> lines = new ArrayList<>();
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : rootListing.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int eq = line.indexOf(" = \"");
      lines.add(line);
      values.put(line.substring(0, eq), line.substring(eq + 4, line.length() - 1));
    }
    return new FixtureRunner().present("xenstore-ls", "xenstore-read").otherwise(argv -> {
      if (argv.size() == 3 && argv.get(0).equals("xenstore-ls") && argv.get(1).equals("-f")) {
        String top = argv.get(2);
        if (!top.equals("/") && !values.containsKey(top)) {
          return new Output(1, "", "xenstore-ls: xs_directory (" + top + "): No such file or directory\n");
        }
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
          if (top.equals("/") || line.startsWith(top + "/")) {
            out.append(line).append('\n');
          }
        }
        return ok(out.toString());
      }
      if (argv.size() > 2 && argv.get(0).equals("xenstore-read") && argv.get(1).equals("-p")) {
        StringBuilder out = new StringBuilder();
        for (String key : argv.subList(2, argv.size())) {
          String v = values.get(key);
          if (v == null) {
            return new Output(1, out.toString(), "xenstore-read: couldn't read path " + key + "\n");
          }
          out.append(key).append(": ").append(v).append('\n');
        }
        return ok(out.toString());
      }
      throw new AssertionError("the fake xenstore does not answer " + argv);
    });
  }
}
