package io.vifscope.control.cli;

import io.vifscope.control.metrics.AgentMetrics;
import io.vifscope.control.metrics.MetricsServer;
import io.vifscope.control.server.Agent;
import io.vifscope.control.server.AgentConfig;
import io.vifscope.control.server.AgentServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code vifscope agent}: reads the configuration, checks what can be checked before anything privileged runs,
 * starts the agent and serves it until SIGTERM or SIGINT, then stops in order (health NOT_SERVING, calls drain,
 * probe detached) within {@link #STOP_BUDGET}.
 *
 * <p>The options are plain strings and booleans: every value is parsed by {@link AgentConfig}, the same way
 * whether it comes from a flag or from the config file, so both give the same error for the same mistake.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    abbreviateSynopsis = true,
    // Wide enough that no example is broken inside a path or URI (and for the man page made from this help).
    usageHelpWidth = 100,
    description = {
      "Runs the probe and serves the vifscope.v1 gRPC API, the standard health service and server reflection.",
      "",
      "It serves on a unix socket (mode 0660; group vifscope when that group exists), or on TCP with "
          + "--listen and TLS. Plain TCP needs an explicit --insecure.",
      "",
      "Settings can also come from a file (--config): 'key = value' lines whose keys are the long options "
          + "without dashes, e.g. 'poll-interval = 500ms' or 'include = vif* tap*'; lines starting with '#' are "
          + "comments. An option given on the command line wins over the file.",
      "",
      "With --metrics-listen it also serves Prometheus metrics over HTTP(S) at /metrics: counters per "
          + "interface, domain, CPU and NAPI device, coverage, its own cost, and the top talkers of each domain "
          + "(at most --metrics-max-talker-series series, whatever the traffic).",
      "",
      "On SIGTERM or SIGINT, health goes NOT_SERVING, calls in flight finish, the probe detaches and the "
          + "process exits within 10 s.",
      ""
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  Serve on the default socket, domain names from libvirt:",
      "    vifscope agent --socket /run/vifscope/vifscope.sock --libvirt-uri qemu:///system",
      "",
      "  Guest interfaces only, polled twice a second, ten minutes kept:",
      "    vifscope agent --include 'vif*' --include 'tap*' --poll-interval 500ms --history 10m",
      "",
      "  Serve other hosts over TCP, clients must show a certificate of our CA:",
      "    vifscope agent --listen 0.0.0.0:7443 --tls-cert /etc/vifscope/agent.crt \\",
      "        --tls-key /etc/vifscope/agent.key --tls-client-ca /etc/vifscope/clients-ca.crt",
      "",
      "  Prometheus metrics on localhost, with basic auth:",
      "    vifscope agent --metrics-listen 127.0.0.1:9717 --metrics-users /etc/vifscope/metrics-users",
      "",
      "  Settings from a file, with debug logging on top:",
      "    vifscope agent --config /etc/vifscope/agent.conf --verbose"
    })
public final class AgentCommand implements Callable<Integer> {
  private static final System.Logger LOG = System.getLogger(AgentCommand.class.getName());

  /** What SIGTERM may take in all: the service manager's stop timeout should be longer. */
  public static final Duration STOP_BUDGET = Duration.ofSeconds(10);
  /** Of that budget, what in-flight calls get; the rest is for cancelling them and detaching the probe. */
  static final Duration SERVER_GRACE = Duration.ofSeconds(8);
  /** A signal during startup waits this long for the agent to exist, so that it can be detached. */
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(5);

  /** JUL keeps loggers weakly: a level set on a logger nobody holds is lost at the next GC. */
  private static final List<Logger> CONFIGURED_LOGGERS = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", order = 1,
      description = "Read settings from FILE ('key = value' lines); options given here win.")
  String config;

  @Option(names = "--socket", paramLabel = "PATH", order = 2,
      description = "Unix socket to serve on, unless --listen is given (default: " + AgentConfig.DEFAULT_SOCKET
          + ").")
  String socket;

  @Option(names = "--socket-group", paramLabel = "GROUP", order = 3,
      description = "Group that may use the socket (default: " + AgentConfig.DEFAULT_SOCKET_GROUP
          + " if it exists; '" + AgentConfig.NO_GROUP + "' for the agent's own group only).")
  String socketGroup;

  @Option(names = "--listen", paramLabel = "HOST:PORT", order = 4,
      description = "Serve on TCP instead of the socket, e.g. 127.0.0.1:7443 or [::1]:7443. Needs TLS, or "
          + "--insecure.")
  String listen;

  @Option(names = "--tls-cert", paramLabel = "PEM", order = 5,
      description = "Server certificate chain for --listen.")
  String tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", order = 6,
      description = "Server private key (PKCS#8) for --listen.")
  String tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", order = 7,
      description = "Require client certificates signed by these CAs (mutual TLS).")
  String tlsClientCa;

  @Option(names = "--insecure", negatable = true, order = 8,
      description = "Allow --listen without TLS: anyone who reaches the port reads every answer.")
  boolean insecure;

  @Option(names = "--include", paramLabel = "GLOB", order = 9,
      description = "Also watch interfaces matching GLOB (repeatable), on top of the defaults "
          + "(guest vifs and taps, ports of guest bridges, NICs).")
  List<String> include;

  @Option(names = "--exclude", paramLabel = "GLOB", order = 10,
      description = "Never watch interfaces matching GLOB (repeatable); wins over everything.")
  List<String> exclude;

  @Option(names = "--flow-entries", paramLabel = "N", order = 11,
      description = "Flow map size, 1.." + AgentConfig.MAX_FLOW_ENTRIES + " (default: "
          + AgentConfig.DEFAULT_FLOW_ENTRIES + ").")
  String flowEntries;

  @Option(names = "--poll-interval", paramLabel = "DURATION", order = 12,
      description = "How often the probe is read, at least 100ms (default: " + AgentConfig.DEFAULT_POLL_INTERVAL
          + "). Durations: 500ms, 1s, 5m, 1h.")
  String pollInterval;

  @Option(names = "--history", paramLabel = "DURATION", order = 13,
      description = "History kept, the longest window a query can ask for; from one poll interval up to 1h "
          + "(default: " + AgentConfig.DEFAULT_HISTORY + ").")
  String history;

  @Option(names = "--resolver-order", paramLabel = "LIST", order = 14,
      description = "Domain sources, most trusted first (default: " + AgentConfig.DEFAULT_RESOLVER_ORDER + ").")
  String resolverOrder;

  @Option(names = "--libvirt-uri", paramLabel = "URI", order = 15,
      description = "libvirt connection, e.g. qemu:///system (default: libvirt's own).")
  String libvirtUri;

  @Option(names = "--tc-mode", paramLabel = "MODE", order = 16,
      description = "How tc programs attach: auto, tcx or clsact (default: " + AgentConfig.DEFAULT_TC_MODE
          + ").")
  String tcMode;

  @Option(names = "--loader", paramLabel = "LOADER", order = 17,
      description = "How the BPF programs get into the kernel: libbpf (the objects built with vifscope), bcc (the "
          + "same sources compiled on this host by BCC against its kernel headers: for old kernels or kernels "
          + "without BTF) or auto (libbpf, and BCC when the built objects cannot be loaded; the reason is logged "
          + "and shown by vifscope status) (default: " + AgentConfig.DEFAULT_LOADER + ").")
  String loader;

  @Option(names = "--bpf-stats", negatable = true, order = 18,
      description = "Turn on the kernel's BPF run-time statistics, so the agent reports its ns per packet.")
  boolean bpfStats;

  @Option(names = "--only-included", negatable = true, order = 19,
      description = "Watch only the --include interfaces, not the defaults (e.g. to keep off the host's own NICs).")
  boolean onlyIncluded;

  @Option(names = "--node-name", paramLabel = "NAME", order = 20,
      description = "The node name every answer carries, for fleets (default: the host name).")
  String nodeName;

  @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", order = 21,
      description = "Serve Prometheus metrics over HTTP on this address, e.g. 127.0.0.1:9717 (default: off).")
  String metricsListen;

  @Option(names = "--metrics-tls-cert", paramLabel = "PEM", order = 22,
      description = "Certificate chain for HTTPS on --metrics-listen.")
  String metricsTlsCert;

  @Option(names = "--metrics-tls-key", paramLabel = "PEM", order = 23,
      description = "Private key (PKCS#8) for HTTPS on --metrics-listen.")
  String metricsTlsKey;

  @Option(names = "--metrics-users", paramLabel = "FILE", order = 24,
      description = "Require HTTP basic auth: 'user:bcrypt-hash' lines, as `htpasswd -nBC 10 USER` writes them.")
  String metricsUsers;

  @Option(names = "--metrics-top", paramLabel = "N", order = 25,
      description = "Top talkers exported per domain and direction; the rest is summed under 'other' (default: "
          + AgentConfig.DEFAULT_METRICS_TOP + ").")
  String metricsTop;

  @Option(names = "--metrics-max-talker-series", paramLabel = "N", order = 26,
      description = "Most talker series one scrape returns, whatever the traffic; quieter domains are summed "
          + "under domain=\"other\" (default: " + AgentConfig.DEFAULT_METRICS_MAX_TALKER_SERIES + ").")
  String metricsMaxTalkerSeries;

  @Option(names = {"-v", "--verbose"}, negatable = true, order = 27,
      description = "Debug logging (libbpf's messages included).")
  boolean verbose;

  /** Exit codes: 2 for what the operator wrote (flags, config), 1 for what failed at run time. */
  public static final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
    @Override
    public int getExitCode(Throwable t) {
      return t instanceof CommandLine.ParameterException || t instanceof AgentConfig.InvalidConfigException
          ? CommandLine.ExitCode.USAGE
          : CommandLine.ExitCode.SOFTWARE;
    }
  }

  private static final ExitCodes EXIT_CODES = new ExitCodes();

  @Override
  public Integer call() {
    AgentConfig cfg;
    try {
      cfg = config();
    } catch (AgentConfig.InvalidConfigException e) {
      return fail(e);
    }
    configureLogging(cfg.verbose());
    try {
      AgentServer.preflight(cfg);
      if (cfg.metrics().isPresent()) {
        MetricsServer.preflight(cfg.metrics().get());
      }
    } catch (IOException e) {
      return fail(e);
    }
    return run(cfg);
  }

  /** The configuration from the parsed options and the file they name. */
  AgentConfig config() throws AgentConfig.InvalidConfigException {
    return AgentConfig.load(givenOptions());
  }

  /**
   * The options given on the command line, by key: only those, so that the file's values stand for the rest.
   */
  Map<String, List<String>> givenOptions() {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp() || !parsed.hasMatchedOption(o)) {
        continue;
      }
      String key = o.longestName().replaceFirst("^--", "");
      Object value = o.getValue();
      List<String> values = new ArrayList<>();
      if (value instanceof List<?> list) {
        list.forEach(v -> values.add(String.valueOf(v)));
      } else {
        values.add(String.valueOf(value));
      }
      out.put(key, values);
    }
    return out;
  }

  private int run(AgentConfig cfg) {
    Lifecycle life = new Lifecycle();
    Thread hook = new Thread(life::stopOnSignal, "vifscope-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (!life.adopt(Agent.start(cfg))) {
        return CommandLine.ExitCode.SOFTWARE; // a signal came while starting
      }
      if (!life.adopt(AgentServer.start(cfg, life.agent().services()))) {
        return CommandLine.ExitCode.SOFTWARE;
      }
      if (cfg.metrics().isPresent()) {
        AgentConfig.MetricsSettings m = cfg.metrics().get();
        AgentMetrics metrics = new AgentMetrics(life.agent(), Main.Version.version(), m.topPerDomain(),
            m.maxTalkerSeries());
        if (!life.adopt(MetricsServer.start(m, metrics::collect))) {
          return CommandLine.ExitCode.SOFTWARE;
        }
      }
    } catch (Exception e) {
      life.stop();
      removeHook(hook);
      return fail(e);
    } finally {
      life.started.countDown();
    }
    LOG.log(System.Logger.Level.INFO, "agent running on {0}; SIGTERM or Ctrl-C stops it",
        life.server().description());
    try {
      life.server().awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    life.stop();
    return CommandLine.ExitCode.OK;
  }

  /** One line on stderr, the exit code for its kind. */
  private int fail(Exception e) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("vifscope agent: " + message(e));
    err.flush();
    LOG.log(System.Logger.Level.DEBUG, "details", e);
    return EXIT_CODES.getExitCode(e);
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m = e.getClass().getSimpleName();
    }
    return m.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs and finds nothing to do
    }
  }

  /**
   * Who owns what while the agent runs, so that a signal at any moment stops what exists, once: the server first
   * (health NOT_SERVING, drain), then the agent (detach).
   */
  private static final class Lifecycle {
    final CountDownLatch started = new CountDownLatch(1);
    private Agent agent;
    private AgentServer server;
    private MetricsServer metrics;
    private boolean stopped;

    /** Takes ownership; false (and closed at once) when a stop already happened. */
    synchronized boolean adopt(Agent a) {
      if (stopped) {
        a.close();
        return false;
      }
      agent = a;
      return true;
    }

    synchronized boolean adopt(AgentServer s) {
      if (stopped) {
        s.shutdownGracefully(Duration.ZERO);
        return false;
      }
      server = s;
      return true;
    }

    synchronized boolean adopt(MetricsServer m) {
      if (stopped) {
        m.close();
        return false;
      }
      metrics = m;
      return true;
    }

    synchronized Agent agent() {
      return agent;
    }

    synchronized AgentServer server() {
      return server;
    }

    void stopOnSignal() {
      try {
        // Let a start in progress finish, so that what it attached is detached now, not leaked.
        started.await(STARTUP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      LOG.log(System.Logger.Level.INFO, "stopping");
      stop();
    }

    synchronized void stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      try {
        if (metrics != null) {
          metrics.close(); // a scrape during the stop would read a half-closed agent
        }
        if (server != null) {
          server.shutdownGracefully(SERVER_GRACE);
        }
      } finally {
        if (agent != null) {
          agent.close();
        }
      }
    }
  }

  /**
   * Our messages at INFO (DEBUG with --verbose), one line each; gRPC and Netty, which log through
   * java.util.logging, only from WARNING (INFO with --verbose), so a healthy agent is quiet.
   */
  private static synchronized void configureLogging(boolean verbose) {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      h.setLevel(verbose ? Level.FINE : Level.INFO);
      h.setFormatter(new OneLine());
    }
    CONFIGURED_LOGGERS.clear();
    CONFIGURED_LOGGERS.add(level(Logger.getLogger("io.vifscope"), verbose ? Level.FINE : Level.INFO));
    CONFIGURED_LOGGERS.add(level(Logger.getLogger("io.grpc"), verbose ? Level.INFO : Level.WARNING));
    CONFIGURED_LOGGERS.add(level(Logger.getLogger("io.netty"), verbose ? Level.INFO : Level.WARNING));
    // gRPC logs every oversized or malformed request at WARNING with a stack trace: the client already gets
    // RESOURCE_EXHAUSTED or INTERNAL, and one misbehaving client must not be able to flood the journal.
    CONFIGURED_LOGGERS.add(level(Logger.getLogger("io.grpc.netty.NettyServerStream"),
        verbose ? Level.INFO : Level.SEVERE));
  }

  private static Logger level(Logger l, Level level) {
    l.setLevel(level);
    return l;
  }

  /** {@code 2025-01-31T12:00:00.123Z INFO AgentServer: serving gRPC on unix ...}, and a stack trace if any. */
  private static final class OneLine extends Formatter {
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

    @Override
    public String format(LogRecord r) {
      String name = r.getLoggerName() == null ? "" : r.getLoggerName();
      StringBuilder b = new StringBuilder()
          .append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
          .append(r.getLevel().getName()).append(' ')
          .append(name.substring(name.lastIndexOf('.') + 1)).append(": ")
          .append(formatMessage(r)).append(System.lineSeparator());
      if (r.getThrown() != null) {
        java.io.StringWriter w = new java.io.StringWriter();
        r.getThrown().printStackTrace(new PrintWriter(w));
        b.append(w);
      }
      return b.toString();
    }
  }
}
