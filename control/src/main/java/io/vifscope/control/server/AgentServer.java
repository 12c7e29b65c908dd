package io.vifscope.control.server;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vifscope.probe.BpfStats;
import io.vifscope.probe.Capabilities;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * The agent's gRPC server: the given services plus health and reflection, on the unix socket by default or on
 * TCP with TLS, with limits that keep one client from holding the agent.
 *
 * <p>Why the limits are what they are (see {@link Limits#DEFAULTS}): every call is a small computation over
 * in-memory history, so a request never needs more than a few KiB, and a client that asks for more, or holds
 * many calls or a call for minutes, is a bug or an attack. Unary calls get a server-side deadline cap; streams
 * ({@code WatchTopTalkers}, health Watch, reflection) are long-lived by design, so they are bounded instead by
 * the per-connection call limit, keepalive (dead peers), the connection age (which recycles them) and shutdown
 * (which ends them at once, so that they do not hold up the drain of unary calls).
 *
 * <p>The unix socket is never taken from a live agent: an existing socket file is removed only when nothing
 * accepts a connection on it (see {@link #ensureSocketAvailable(Path)}).
 */
public final class AgentServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AgentServer.class.getName());

  private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-x---");
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  /** After the grace period, how long each of the two forced steps may take (closing calls, shutdownNow). */
  private static final Duration FORCE_WAIT = Duration.ofMillis(500);
  /** What {@link #close()} allows in-flight calls. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

  /**
   * Server limits.
   *
   * @param maxConcurrentCallsPerConnection calls one connection may have open at once
   * @param maxInboundMessageSize bytes of one request message
   * @param keepAliveTime idle time after which the server pings a client, to find dead peers
   * @param keepAliveTimeout how long a ping may go unanswered before the connection is closed
   * @param permitKeepAliveTime the most frequent client pings tolerated (more often: GOAWAY)
   * @param maxConnectionAge connections are recycled after this long
   * @param maxConnectionAgeGrace time in-flight calls get when a connection is recycled
   * @param maxDeadline the longest a unary call may run, whatever deadline the client gave
   * @param handshakeTimeout time a new connection gets to complete TLS and the HTTP/2 preface
   */
  public record Limits(
      int maxConcurrentCallsPerConnection,
      int maxInboundMessageSize,
      Duration keepAliveTime,
      Duration keepAliveTimeout,
      Duration permitKeepAliveTime,
      Duration maxConnectionAge,
      Duration maxConnectionAgeGrace,
      Duration maxDeadline,
      Duration handshakeTimeout) {

    /**
     * 64 calls per connection (a dashboard polls a handful of rpcs; the CLI one), 1 MiB requests (the largest
     * real request, a filter list, is a few KiB; the 10,000-value bad request still fits and gets a proper
     * INVALID_ARGUMENT), a ping after 1 min idle with 20 s to answer, client pings no more often than every
     * 30 s, connections recycled after 30 min with 30 s grace, unary calls capped at 30 s (a query takes
     * milliseconds; 30 s covers a slow machine under the very load we diagnose), 10 s for a handshake.
     */
    public static final Limits DEFAULTS = new Limits(64, 1 << 20, Duration.ofMinutes(1), Duration.ofSeconds(20),
        Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
        Duration.ofSeconds(10));

    public Limits {
      if (maxConcurrentCallsPerConnection < 1 || maxInboundMessageSize < 1) {
        throw new IllegalArgumentException("limits must be positive: " + maxConcurrentCallsPerConnection
            + " calls, " + maxInboundMessageSize + " bytes");
      }
      for (Duration d : List.of(keepAliveTime, keepAliveTimeout, permitKeepAliveTime, maxConnectionAge,
          maxConnectionAgeGrace, maxDeadline, handshakeTimeout)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("limits must be positive durations: " + d);
        }
      }
    }

    public Limits withMaxDeadline(Duration d) {
      return new Limits(maxConcurrentCallsPerConnection, maxInboundMessageSize, keepAliveTime, keepAliveTimeout,
          permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace, d, handshakeTimeout);
    }

    public Limits withMaxInboundMessageSize(int bytes) {
      return new Limits(maxConcurrentCallsPerConnection, bytes, keepAliveTime, keepAliveTimeout,
          permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace, maxDeadline, handshakeTimeout);
    }
  }

  private final Server server;
  private final HealthStatusManager health;
  private final CallGuard guard;
  private final ScheduledExecutorService timers;
  private final List<EventLoopGroup> ownGroups;
  private final Optional<Path> socket;
  private final Object socketKey;
  private final String description;
  private boolean stopped;

  private AgentServer(Server server, HealthStatusManager health, CallGuard guard, ScheduledExecutorService timers,
      List<EventLoopGroup> ownGroups, Optional<Path> socket, Object socketKey, String description) {
    this.server = server;
    this.health = health;
    this.guard = guard;
    this.timers = timers;
    this.ownGroups = ownGroups;
    this.socket = socket;
    this.socketKey = socketKey;
    this.description = description;
  }

  /** Starts serving with the default {@link Limits}. */
  public static AgentServer start(AgentConfig config, List<? extends BindableService> services) throws IOException {
    return start(config, services, Limits.DEFAULTS);
  }

  /**
   * Binds and starts serving; health reports SERVING for the server as a whole and for every service once this
   * returns.
   *
   * @throws IOException the socket is in use by a live agent or cannot be made, the address cannot be bound, the
   *     TLS files cannot be used: the message says which and what to do
   */
  public static AgentServer start(AgentConfig config, List<? extends BindableService> services, Limits limits)
      throws IOException {
    Objects.requireNonNull(limits, "limits");
    HealthStatusManager health = new HealthStatusManager();
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
        new DefaultThreadFactory("vifscope-grpc-deadline", true));
    CallGuard guard = new CallGuard(limits.maxDeadline(), timers);
    List<EventLoopGroup> groups = new ArrayList<>();
    NettyServerBuilder builder;
    Optional<Path> socketPath = Optional.empty();
    Optional<GroupPrincipal> group = Optional.empty();
    String description;
    try {
      if (config.listen().isPresent()) {
        AgentConfig.Listen listen = config.listen().get();
        InetSocketAddress address = new InetSocketAddress(listen.host(), listen.port());
        if (address.isUnresolved()) {
          throw new IOException("--listen " + listen + ": cannot resolve '" + listen.host() + "'");
        }
        builder = NettyServerBuilder.forAddress(address);
        Optional<SslContext> tls = sslContext(config);
        if (tls.isPresent()) {
          builder.sslContext(tls.get());
          description = " (TLS" + (config.tlsClientCa().isPresent()
              ? ", client certificates required)" : ", any client)");
        } else {
          description = " (plain text: --insecure)";
        }
      } else {
        if (!Epoll.isAvailable()) {
          throw new IOException("the unix socket needs Netty's native epoll transport, which does not load here: "
              + Epoll.unavailabilityCause());
        }
        Path path = config.socket();
        group = groupPrincipal(path, config.socketGroup());
        prepareDirectory(path, group);
        ensureSocketAvailable(path);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("vifscope-grpc-boss", true), EpollIoHandler.newFactory());
        groups.add(boss);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2,
            new DefaultThreadFactory("vifscope-grpc-io", true), EpollIoHandler.newFactory());
        groups.add(workers);
        builder = NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            // gRPC asks every connection for TCP keepalive; a unix socket has none, and Netty would log a
            // warning per connection. Null removes the option. (gRPC's own HTTP/2 keepalive still applies.)
            .withChildOption(ChannelOption.SO_KEEPALIVE, null);
        socketPath = Optional.of(path);
        description = "unix " + path;
      }
    } catch (IOException | RuntimeException e) {
      shutdownResources(groups, timers);
      throw e;
    }

    builder.maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
        .maxInboundMessageSize(limits.maxInboundMessageSize())
        .keepAliveTime(limits.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(limits.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveTime(limits.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(false)
        .maxConnectionAge(limits.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS)
        .handshakeTimeout(limits.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .intercept(guard)
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(reflectionV1Alpha());
    List<String> names = new ArrayList<>();
    for (BindableService s : services) {
      ServerServiceDefinition def = s.bindService();
      names.add(def.getServiceDescriptor().getName());
      builder.addService(def);
    }

    Server server;
    try {
      server = builder.build().start();
    } catch (IOException e) {
      shutdownResources(groups, timers);
      String where = socketPath.map(p -> "unix " + p).orElse("tcp " + config.listen().orElseThrow());
      throw new IOException("cannot serve on " + where + ": " + rootMessage(e), e);
    }
    Object key = null;
    if (socketPath.isPresent()) {
      try {
        key = secureSocket(socketPath.get(), group);
      } catch (IOException e) {
        server.shutdownNow();
        awaitQuietly(server, FORCE_WAIT);
        shutdownResources(groups, timers);
        throw e;
      }
      description += " (mode 0660" + group.map(g -> ", group " + g.getName()).orElse("") + ")";
    } else {
      AgentConfig.Listen listen = config.listen().orElseThrow();
      description = "tcp " + new AgentConfig.Listen(listen.host(), server.getPort()) + description;
    }
    AgentServer out = new AgentServer(server, health, guard, timers, List.copyOf(groups), socketPath, key,
        description);
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    for (String name : names) {
      health.setStatus(name, ServingStatus.SERVING);
    }
    if (config.listen().isPresent() && config.tlsCert().isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "serving plain TCP because of --insecure: anyone who can reach the "
          + "port can read every answer");
    }
    LOG.log(System.Logger.Level.INFO, "serving gRPC on {0}", description);
    return out;
  }

  /**
   * Checks what can be checked before anything privileged runs, so that a second agent fails before it loads
   * and attaches anything: the process holds the capabilities the probe needs (read from /proc/self/status),
   * the socket is free (or stale, and then removed), the TLS files load.
   */
  public static void preflight(AgentConfig config) throws IOException {
    preflight(config, Capabilities.ofSelf());
  }

  /**
   * {@link #preflight(AgentConfig)} with the effective capabilities given (tests hand in what they need). The
   * socket and TLS checks come first: another agent on the socket is the more useful answer to give.
   */
  public static void preflight(AgentConfig config, Capabilities caps) throws IOException {
    if (config.listen().isPresent()) {
      sslContext(config);
    } else {
      ensureSocketAvailable(config.socket());
    }
    String missing = caps.probeProblem();
    if (missing != null) {
      throw new IOException(missing);
    }
    if (config.probeOptions().bpfStats() && !caps.has(Capabilities.Cap.SYS_ADMIN) && !BpfStats.enabledBySysctl()) {
      throw new IOException("--bpf-stats needs CAP_SYS_ADMIN (BPF_ENABLE_STATS), which this agent does not hold; "
          + "have the administrator run 'sysctl kernel.bpf_stats_enabled=1', or leave --bpf-stats off");
    }
  }

  /**
   * Makes sure nothing is at {@code path}, without ever taking it from a live server: an existing socket file is
   * removed only when a connection to it is refused (its server is gone). A socket that accepts, a connection
   * that fails otherwise (permissions, a full backlog), or anything that is not a socket is left alone and
   * reported.
   */
  public static void ensureSocketAvailable(Path path) throws IOException {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(path + " exists and is not a socket; not touching it (remove it or give --socket)");
    }
    // Non-blocking, so that a hung agent with a full backlog is reported instead of hanging this one.
    boolean refused;
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      refused = false; // connected, or in progress: someone is there
    } catch (ConnectException e) {
      refused = true; // ECONNREFUSED: the file is left from an agent that is gone
    } catch (IOException e) {
      throw new IOException("cannot tell whether " + path + " is in use (" + describe(e) + "); not touching it", e);
    }
    if (!refused) {
      throw new IOException("another agent is serving on " + path + "; stop it first, or give --socket");
    }
    LOG.log(System.Logger.Level.INFO, "removing stale socket {0} (nothing accepts on it)", path);
    Files.deleteIfExists(path);
  }

  /** TCP port bound (useful with port 0), or -1 on the unix socket. */
  public int port() {
    return socket.isPresent() ? -1 : server.getPort();
  }

  /** The unix socket served, when not on TCP. */
  public Optional<Path> socketPath() {
    return socket;
  }

  /** Where and how this serves, for logs: {@code unix /run/vifscope/vifscope.sock (mode 0660, group vifscope)}. */
  public String description() {
    return description;
  }

  /** Blocks until the server has terminated (after a shutdown). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  public boolean isTerminated() {
    return server.isTerminated();
  }

  /**
   * Stops: health goes NOT_SERVING for everything, no new calls are accepted, streams end with UNAVAILABLE,
   * unary calls in flight get up to {@code grace} to finish, then the rest end with UNAVAILABLE. Returns within
   * about {@code grace} plus one second. Idempotent.
   */
  public synchronized void shutdownGracefully(Duration grace) {
    if (stopped) {
      return;
    }
    stopped = true;
    // Terminal state: every status NOT_SERVING and later updates ignored, so nothing flips it back.
    health.enterTerminalState();
    server.shutdown();
    guard.endStreams(Status.UNAVAILABLE.withDescription("the agent is shutting down"));
    boolean drained = awaitQuietly(server, grace);
    if (!drained) {
      LOG.log(System.Logger.Level.WARNING, "calls still running after {0}; cancelling them",
          AgentConfig.text(grace));
      // Closing the calls ourselves gives clients a status with a reason, and lets the connections end
      // cleanly; shutdownNow is the last resort, for transports that still do not close.
      guard.endAll(Status.UNAVAILABLE.withDescription("the agent stopped before this call finished"));
      if (!awaitQuietly(server, FORCE_WAIT)) {
        server.shutdownNow();
        awaitQuietly(server, FORCE_WAIT);
      }
    }
    shutdownResources(ownGroups, timers);
    socket.ifPresent(this::removeOwnSocket);
    LOG.log(System.Logger.Level.INFO, "stopped serving on {0}", description);
  }

  /** {@link #shutdownGracefully(Duration)} with {@link #DEFAULT_GRACE}; idempotent. */
  @Override
  public void close() {
    shutdownGracefully(DEFAULT_GRACE);
  }

  // --- TLS ---------------------------------------------------------------------------------------------------

  private static Optional<SslContext> sslContext(AgentConfig config) throws IOException {
    if (config.tlsCert().isEmpty() || config.tlsKey().isEmpty()) {
      return Optional.empty();
    }
    Path cert = config.tlsCert().get();
    Path key = config.tlsKey().get();
    String keyKind = pemKind(key);
    if (!keyKind.isEmpty()) {
      throw new IOException("--tls-key " + key + " is " + keyKind + "; give an unencrypted PKCS#8 key "
          + "('BEGIN PRIVATE KEY'): openssl pkcs8 -topk8 -nocrypt -in " + key + " -out " + key + ".pk8");
    }
    SslContextBuilder b;
    try {
      b = GrpcSslContexts.forServer(cert.toFile(), key.toFile());
    } catch (IllegalArgumentException e) {
      throw new IOException("--tls-cert " + cert + " / --tls-key " + key + ": " + rootMessage(e)
          + " (a PEM certificate chain and a PEM PKCS#8 key are needed)", e);
    }
    b.protocols("TLSv1.3", "TLSv1.2");
    if (config.tlsClientCa().isPresent()) {
      Path ca = config.tlsClientCa().get();
      try {
        b.trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE);
      } catch (IllegalArgumentException e) {
        throw new IOException("--tls-client-ca " + ca + ": " + rootMessage(e), e);
      }
    }
    try {
      return Optional.of(b.build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException("TLS setup failed: " + rootMessage(e), e);
    }
  }

  /** What kind of key a PEM file holds when it is one Netty cannot read without BouncyCastle; "" otherwise. */
  private static String pemKind(Path key) {
    String text;
    try {
      text = Files.readString(key, java.nio.charset.StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return ""; // reported by the real load below
    }
    if (text.contains("-----BEGIN RSA PRIVATE KEY-----")) {
      return "a PKCS#1 RSA key";
    }
    if (text.contains("-----BEGIN EC PRIVATE KEY-----")) {
      return "a SEC1 EC key";
    }
    if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      return "encrypted (the agent starts unattended, so it takes no passphrase)";
    }
    return "";
  }

  // --- the unix socket ---------------------------------------------------------------------------------------

  private static Optional<GroupPrincipal> groupPrincipal(Path path, Optional<String> name) throws IOException {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(name.get()));
    } catch (UserPrincipalNotFoundException e) {
      throw new IOException("--socket-group: no group '" + name.get() + "' on this host", e);
    }
  }

  /** Creates the socket's directory when missing: 0750, in the socket's group, so others cannot even look. */
  private static void prepareDirectory(Path socket, Optional<GroupPrincipal> group) throws IOException {
    Path dir = socket.toAbsolutePath().getParent();
    if (dir == null || Files.isDirectory(dir)) {
      return; // an existing directory (systemd's RuntimeDirectory, /tmp) keeps the mode its owner gave it
    }
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
    } catch (FileAlreadyExistsException e) {
      return; // made at the same moment by someone else: theirs to configure
    } catch (IOException e) {
      throw new IOException("cannot create " + dir + " for the socket: " + describe(e), e);
    }
    Files.setPosixFilePermissions(dir, DIR_MODE); // createDirectory's mode is filtered by the umask
    if (group.isPresent()) {
      setGroup(dir, group.get());
    }
  }

  /** Mode 0660 and the group; returns the file's identity so that close removes only this socket. */
  private static Object secureSocket(Path path, Optional<GroupPrincipal> group) throws IOException {
    try {
      Files.setPosixFilePermissions(path, SOCKET_MODE);
    } catch (IOException e) {
      throw new IOException("cannot set mode 0660 on " + path + ": " + describe(e), e);
    }
    if (group.isPresent()) {
      setGroup(path, group.get());
    }
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private static void setGroup(Path path, GroupPrincipal group) throws IOException {
    try {
      Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
    } catch (IOException e) {
      throw new IOException("cannot give " + path + " to group " + group.getName() + ": " + describe(e)
          + " (the agent must run as root or be a member of the group)", e);
    }
  }

  /** Netty removes the file when it closes the channel; this covers the rest, never another agent's socket. */
  private void removeOwnSocket(Path path) {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (socketKey != null && socketKey.equals(a.fileKey())) {
        Files.deleteIfExists(path);
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", path, describe(e));
    }
  }

  // --- helpers -----------------------------------------------------------------------------------------------

  /** Both reflection versions: v1 for current tools, v1alpha for the grpcurl and grpc_cli still deployed. */
  @SuppressWarnings("deprecation")
  private static BindableService reflectionV1Alpha() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  private static boolean awaitQuietly(Server server, Duration d) {
    try {
      return server.awaitTermination(Math.max(1, d.toNanos()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return server.isTerminated();
    }
  }

  private static void shutdownResources(List<EventLoopGroup> groups, ScheduledExecutorService timers) {
    timers.shutdownNow();
    for (EventLoopGroup g : groups) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    for (EventLoopGroup g : groups) {
      g.terminationFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static String rootMessage(Throwable t) {
    String m = t.getMessage();
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        m = c.getMessage();
      }
    }
    return m == null ? t.getClass().getSimpleName() : m;
  }

  // --- the deadline cap and the stream registry --------------------------------------------------------------

  /**
   * Caps unary calls at {@code maxDeadline}, and keeps track of every open call so that shutdown can end streams
   * at once and unary calls after the grace, each with a status that says why.
   *
   * <p>A unary call without a deadline, or with a later one, runs in a context whose deadline is the cap; when it
   * expires the handler sees its context cancelled and the client gets DEADLINE_EXCEEDED, whether or not the
   * handler notices. A call whose own deadline is within the cap is passed through untouched (the transport
   * already enforces it). Streams get a cancellable context and are not capped: see the class comment.
   */
  private static final class CallGuard implements ServerInterceptor {
    private static final Executor DIRECT = Runnable::run;

    private final Duration maxDeadline;
    private final ScheduledExecutorService timers;
    private final Set<GuardedCall<?, ?>> calls = ConcurrentHashMap.newKeySet();
    private volatile Status closing;

    CallGuard(Duration maxDeadline, ScheduledExecutorService timers) {
      this.maxDeadline = maxDeadline;
      this.timers = timers;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      Status end = closing;
      if (end != null) { // arrived after shutdown began: never start the handler
        call.close(end, new Metadata());
        return new ServerCall.Listener<Q>() {};
      }
      boolean unary = call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY;
      Context current = Context.current();
      Deadline own = current.getDeadline();
      Context.CancellableContext context;
      GuardedCall<Q, R> guarded;
      if (unary && (own == null || own.timeRemaining(TimeUnit.NANOSECONDS) > maxDeadline.toNanos())) {
        Context.CancellableContext capped =
            current.withDeadlineAfter(maxDeadline.toNanos(), TimeUnit.NANOSECONDS, timers);
        GuardedCall<Q, R> g = new GuardedCall<>(call, capped, true);
        capped.addListener(c -> {
          if (c.cancellationCause() instanceof TimeoutException) {
            g.forceClose(Status.DEADLINE_EXCEEDED.withDescription(
                "the agent caps calls at " + AgentConfig.text(maxDeadline)));
          }
        }, DIRECT);
        context = capped;
        guarded = g;
      } else {
        // A stream, or a unary call whose own deadline is within the cap (the transport enforces that one).
        context = current.withCancellation();
        guarded = new GuardedCall<>(call, context, unary);
      }
      calls.add(guarded);
      if (closing != null) { // shutdown began while registering: endStreams may have missed it
        guarded.end(closing);
      }
      ServerCall.Listener<Q> delegate;
      try {
        delegate = Contexts.interceptCall(context, guarded, headers, next);
      } catch (RuntimeException e) {
        calls.remove(guarded);
        context.cancel(e);
        throw e;
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(delegate) {
        @Override
        public void onComplete() {
          try {
            super.onComplete();
          } finally {
            done();
          }
        }

        @Override
        public void onCancel() {
          try {
            super.onCancel();
          } finally {
            done();
          }
        }

        private void done() {
          calls.remove(guarded);
          context.cancel(null); // frees the deadline timer; handlers listening on the context stop
        }
      };
    }

    /** Ends every open stream with {@code status}, and refuses every call that starts from now on. */
    void endStreams(Status status) {
      closing = status;
      for (GuardedCall<?, ?> c : calls) {
        if (!c.unary) {
          c.end(status);
        }
      }
    }

    /**
     * Ends every call still open (the unary calls that outlived the grace), so that clients get {@code status}
     * rather than a reset stream, and handlers that finish later write nowhere.
     */
    void endAll(Status status) {
      closing = status;
      for (GuardedCall<?, ?> c : calls) {
        c.end(status);
      }
    }
  }

  /**
   * A call that the guard may close from a timer thread while the handler is still using it. ServerCall is not
   * thread-safe, so every use goes through one lock, and what the handler does after the guard closed the call
   * is dropped instead of throwing into it.
   */
  private static final class GuardedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final Object lock = new Object();
    private final Context.CancellableContext context;
    final boolean unary;
    private boolean closed;

    GuardedCall(ServerCall<Q, R> delegate, Context.CancellableContext context, boolean unary) {
      super(delegate);
      this.context = context;
      this.unary = unary;
    }

    @Override
    public void request(int numMessages) {
      synchronized (lock) {
        if (!closed) {
          super.request(numMessages);
        }
      }
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (lock) {
        if (!closed) {
          super.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(R message) {
      synchronized (lock) {
        if (!closed) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        super.close(status, trailers);
      }
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      synchronized (lock) {
        super.setMessageCompression(enabled);
      }
    }

    @Override
    public void setCompression(String compressor) {
      synchronized (lock) {
        super.setCompression(compressor);
      }
    }

    void forceClose(Status status) {
      close(status, new Metadata());
    }

    /** Closes the call and cancels its context, so a handler's loop (e.g. a watch timer) stops too. */
    void end(Status status) {
      forceClose(status);
      context.cancel(status.asRuntimeException());
    }
  }
}
