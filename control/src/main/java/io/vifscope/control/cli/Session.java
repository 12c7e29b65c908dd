package io.vifscope.control.cli;

import io.grpc.Status;
import io.vifscope.control.resolve.LibvirtSource;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The agents one command talks to, for as long as it runs: the targets given (or the default socket), or, when
 * no agent answers on the default socket and the user is root, an agent embedded in this process.
 */
final class Session implements AutoCloseable {
  /** The effective uid; tests replace it to see what a non-root user sees. */
  static java.util.function.IntSupplier uid = LibvirtSource::effectiveUid;

  private final Targets targets;
  private final EmbeddedOptions embeddedOptions;
  private final PrintWriter err;
  private final List<Targets.Connection> connections;
  private Embedded embedded;
  private boolean first = true;

  private Session(Targets targets, EmbeddedOptions embeddedOptions, PrintWriter err) throws SSLException {
    this.targets = targets;
    this.embeddedOptions = embeddedOptions;
    this.err = err;
    this.connections = new ArrayList<>(targets.open());
  }

  /**
   * @param embeddedOptions null when the command cannot run embedded
   */
  static Session open(Targets targets, EmbeddedOptions embeddedOptions, PrintWriter err) throws SSLException {
    return new Session(targets, embeddedOptions, err);
  }

  /**
   * Asks every agent. On the first call, when no agent answers on the default socket, this either starts an
   * embedded agent (as root), waits {@code --sample} and asks it, or says how to get an agent.
   */
  <R> List<Fleet.Answer<R>> ask(Function<ProbeServiceGrpc.ProbeServiceBlockingStub, R> call) throws Exception {
    List<Fleet.Answer<R>> answers = Fleet.ask(connections, call);
    boolean wasFirst = first;
    first = false;
    if (!wasFirst || !noAgentOnDefaultSocket(answers)) {
      return answers;
    }
    if (embeddedOptions == null || embeddedOptions.never) {
      return answers;
    }
    if (Agents.permissionDenied(answers.get(0).error())) {
      return answers; // an agent is there and its socket shuts this user out: the caller says so
    }
    if (uid.getAsInt() != 0) {
      err.println("vifscope: no agent answers on " + answers.get(0).target() + ": start `vifscope agent` or run as "
          + "root, e.g. sudo vifscope ..., to watch from this command (embedded mode)");
      err.flush();
      return List.of();
    }
    Duration sample = Durations.toJava(Durations.parse("--sample", embeddedOptions.sample));
    err.println("vifscope: no agent answers on " + answers.get(0).target() + "; watching from this process "
        + "(embedded mode) for " + embeddedOptions.sample + " ...");
    err.flush();
    embedded = Embedded.start(embeddedOptions);
    connections.forEach(Targets.Connection::close);
    connections.clear();
    connections.add(embedded.connection());
    Thread.sleep(sample.toMillis());
    return Fleet.ask(connections, call);
  }

  private boolean noAgentOnDefaultSocket(List<? extends Fleet.Answer<?>> answers) {
    return targets.usesDefault() && answers.size() == 1 && !answers.get(0).ok()
        && answers.get(0).error().getStatus().getCode() == Status.Code.UNAVAILABLE;
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close(); // closes its own connection
    } else {
      connections.forEach(Targets.Connection::close);
    }
  }
}
