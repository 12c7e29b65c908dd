package io.vifscope.control.cli;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What every query command shares: the targets (one agent or a fleet), {@code --json}, {@code --window}, and
 * the exit codes. A subclass asks one agent and prints one answer; unreachable agents are reported and the
 * others still answer.
 */
abstract class QueryCommand<R extends Message> implements Callable<Integer> {
  /** Exit code when no agent answered. */
  static final int NO_AGENT = 3;

  @Mixin Targets targets = new Targets();

  @Option(names = "--json", description = "Print the proto's JSON (one object per agent).")
  boolean json;

  @Option(names = "--window", paramLabel = "DURATION", description = "Window, e.g. 10s (default), 1m.")
  String window = "10s";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Asks one agent. */
  abstract R ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window);

  /** Prints one answer as text. */
  abstract void print(PrintWriter out, R answer);

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
      validate();
    } catch (IllegalArgumentException e) {
      err.println("vifscope: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    int answered = 0;
    boolean findings = false;
    for (Targets.Connection c : targets.open()) {
      try (c) {
        R r = ask(ProbeServiceGrpc.newBlockingStub(c.channel()).withDeadlineAfter(10, TimeUnit.SECONDS), w);
        answered++;
        findings |= finding(r);
        if (json) {
          out.println(JsonFormat.printer().print(r));
        } else {
          print(out, r);
        }
      } catch (StatusRuntimeException e) {
        err.println(Agents.explain(c.label(), e));
        if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
          return CommandLine.ExitCode.USAGE;
        }
      }
    }
    out.flush();
    err.flush();
    return answered == 0 ? NO_AGENT : exitCode(findings);
  }

  /** Checks the command's own options; throws IllegalArgumentException naming the option. */
  void validate() {}
}
