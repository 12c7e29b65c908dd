package io.vifscope.control.cli;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.vifscope.control.server.Agent;
import io.vifscope.control.server.AgentConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent hosted inside a CLI command, when no agent answers and the user is root: the same probe, history and
 * service, reached over an in-process channel, and detached when the command ends.
 */
final class Embedded implements AutoCloseable {
  /** Poll interval of an embedded agent: short, so that a few seconds give a usable window. */
  static final String POLL_INTERVAL = "500ms";
  /** The logger kept quiet while embedded (held: JUL keeps loggers weakly). */
  private static final Logger QUIET = Logger.getLogger("io.vifscope");

  private final Agent agent;
  private final Server server;
  private final ManagedChannel channel;
  private boolean closed;

  private Embedded(Agent agent, Server server, ManagedChannel channel) {
    this.agent = agent;
    this.server = server;
    this.channel = channel;
  }

  /** The agent's configuration in embedded mode: the command's embedded options as agent settings. */
  static AgentConfig config(EmbeddedOptions opts) throws AgentConfig.InvalidConfigException {
    Map<String, List<String>> flags = new LinkedHashMap<>();
    flags.put("poll-interval", List.of(POLL_INTERVAL));
    flags.put("history", List.of("5m"));
    if (!opts.include.isEmpty()) {
      flags.put("include", opts.include);
    }
    if (opts.loader != null) {
      flags.put("loader", List.of(opts.loader));
    }
    if (opts.onlyIncluded) {
      flags.put("only-included", List.of("true"));
    }
    return AgentConfig.load(flags);
  }

  /** Starts the probe and an in-process server for it. */
  static Embedded start(EmbeddedOptions opts) throws Exception {
    AgentConfig cfg = config(opts);
    QUIET.setLevel(Level.WARNING); // the command's output is the answer, not the agent's log
    Agent agent = Agent.start(cfg);
    try {
      String name = "vifscope-embedded-" + ProcessHandle.current().pid();
      InProcessServerBuilder b = InProcessServerBuilder.forName(name);
      agent.services().forEach(b::addService);
      Server server = b.build().start();
      return new Embedded(agent, server, InProcessChannelBuilder.forName(name).build());
    } catch (Exception | Error e) {
      agent.close();
      throw e;
    }
  }

  /** The connection to the embedded service; {@link #close()} closes it with the rest. */
  Targets.Connection connection() {
    return new Targets.Connection("embedded:" + agent.node(), channel, null);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    channel.shutdownNow();
    server.shutdownNow();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      agent.close();
    }
  }
}
