package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContextBuilder;
import io.vifscope.probe.Capabilities;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.TalkerFilter;
import io.vifscope.proto.v1.WatchTopTalkersRequest;
import io.vifscope.proto.v1.WatchTopTalkersResponse;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server over real transports, without root: a unix socket in a temp dir, TCP with TLS and mTLS (certificates
 * made by the openssl CLI for each run), the socket-ownership rules, graceful shutdown, the deadline cap and the
 * message size limit. The service behind it is a fake whose behaviour each test chooses.
 */
class AgentServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path pki;
  @TempDir Path dir;

  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final FakeProbeService fake = new FakeProbeService();

  @BeforeAll
  static void makeCertificates() throws Exception {
    Files.writeString(pki.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        + "extendedKeyUsage=serverAuth\n");
    Files.writeString(pki.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (String ca : List.of("ca", "rogue-ca")) {
      openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=vifscope test " + ca);
    }
    leaf("server", "ca", "localhost", "server.ext", "2");
    leaf("client", "ca", "vifscope-cli", "client.ext", "3");
    leaf("rogue-client", "rogue-ca", "intruder", "client.ext", "4");
    openssl("ec", "-in", "server.key", "-out", "server-sec1.key"); // the format Netty cannot read alone
  }

  private static void leaf(String name, String ca, String cn, String ext, String serial) throws Exception {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
        "-out", name + ".csr", "-subj", "/CN=" + cn);
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-set_serial", serial,
        "-days", "2", "-extfile", ext, "-out", name + ".pem");
  }

  private static void openssl(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("openssl"));
    argv.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(argv).directory(pki.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("the TLS tests need the openssl CLI (apt-get install openssl): " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail(String.join(" ", argv) + " failed:\n" + out);
    }
  }

  @AfterEach
  void closeEverything() throws Exception {
    fake.releaseAll();
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  // --- (a) the unix socket ---------------------------------------------------------------------------------

  @Test
  void unixSocketServesHealthReflectionAndTheService() throws Exception {
    Path socket = dir.resolve("run/vifscope.sock"); // the directory does not exist yet
    String group = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
    AgentServer server = start(unixConfig(socket, group));

    assertEquals(socket, server.socketPath().orElseThrow());
    assertEquals(-1, server.port());
    assertEquals("rw-rw----", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
    assertEquals(group, Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .group().getName());
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())),
        "a directory the agent creates is closed to others");

    ManagedChannel ch = unixChannel(socket);
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder()
        .setService(ProbeServiceGrpc.SERVICE_NAME).build()).getStatus());

    List<String> services = listServices(ch);
    assertTrue(services.contains("vifscope.v1.ProbeService"), services.toString());
    assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
    assertTrue(services.contains("grpc.reflection.v1.ServerReflection"), services.toString());
    assertTrue(services.contains("grpc.reflection.v1alpha.ServerReflection"), services.toString());

    assertEquals("test", status(ch).getVersion());

    server.close();
    assertTrue(server.isTerminated());
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the socket file goes with the server");
    server.close(); // idempotent
  }

  // --- (b) TCP with TLS and mTLS ---------------------------------------------------------------------------

  @Test
  void tlsServesTlsClientsAndRefusesPlainText() throws Exception {
    AgentServer server = start(tcpConfig("tls-cert", pki("server.pem"), "tls-key", pki("server.key")));
    assertTrue(server.port() > 0);
    assertTrue(server.socketPath().isEmpty());

    StatusRuntimeException plain = assertThrows(StatusRuntimeException.class,
        () -> status(track(NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build())));
    assertEquals(Status.Code.UNAVAILABLE, plain.getStatus().getCode(), plain.toString());

    assertEquals("test", status(tlsChannel(server.port(), null)).getVersion());
    assertEquals("test", status(tlsChannel(server.port(), "client")).getVersion(),
        "a client certificate is accepted when none is required");
  }

  @Test
  void aClientCaTurnsOnMutualTls() throws Exception {
    AgentServer server = start(tcpConfig("tls-cert", pki("server.pem"), "tls-key", pki("server.key"),
        "tls-client-ca", pki("ca.pem")));

    StatusRuntimeException noCert = assertThrows(StatusRuntimeException.class,
        () -> status(tlsChannel(server.port(), null)));
    assertEquals(Status.Code.UNAVAILABLE, noCert.getStatus().getCode(), noCert.toString());

    StatusRuntimeException rogue = assertThrows(StatusRuntimeException.class,
        () -> status(tlsChannel(server.port(), "rogue-client")));
    assertEquals(Status.Code.UNAVAILABLE, rogue.getStatus().getCode(), rogue.toString());

    assertEquals("test", status(tlsChannel(server.port(), "client")).getVersion());
  }

  @Test
  void unusableTlsFilesAreReportedBeforeAnythingStarts() throws Exception {
    IOException sec1 = assertThrows(IOException.class, () -> AgentServer.preflight(
        tcpConfig("tls-cert", pki("server.pem"), "tls-key", pki("server-sec1.key")), Capabilities.all()));
    assertTrue(sec1.getMessage().startsWith("--tls-key " + pki("server-sec1.key") + " is a SEC1 EC key; give an "
        + "unencrypted PKCS#8 key ('BEGIN PRIVATE KEY'): openssl pkcs8 -topk8 -nocrypt"), sec1.getMessage());

    IOException notACert = assertThrows(IOException.class, () -> AgentServer.preflight(
        tcpConfig("tls-cert", pki("server.key"), "tls-key", pki("server.key")), Capabilities.all()));
    assertTrue(notACert.getMessage().startsWith("--tls-cert " + pki("server.key")), notACert.getMessage());

    IOException badCa = assertThrows(IOException.class, () -> AgentServer.preflight(tcpConfig("tls-cert",
        pki("server.pem"), "tls-key", pki("server.key"), "tls-client-ca", pki("server.ext")),
        Capabilities.all()));
    assertTrue(badCa.getMessage().startsWith("--tls-client-ca " + pki("server.ext")), badCa.getMessage());
  }

  // --- (c) plain TCP only when asked for -------------------------------------------------------------------

  @Test
  void plainTcpIsRefusedWithoutInsecureAndServedWithIt() throws Exception {
    AgentConfig.InvalidConfigException e = assertThrows(AgentConfig.InvalidConfigException.class,
        () -> tcpConfig());
    assertEquals("--listen without TLS: give --tls-cert and --tls-key, or --insecure to serve plain TCP",
        e.getMessage());

    AgentServer server = start(tcpConfig("insecure", "true"));
    assertEquals("test",
        status(track(NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build()))
            .getVersion());
  }

  // --- (d) the socket is never stolen ----------------------------------------------------------------------

  @Test
  void aLiveAgentsSocketIsNotTaken() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    AgentServer first = start(unixConfig(socket, "none"));

    IOException e = assertThrows(IOException.class, () -> start(unixConfig(socket, "none")));
    assertTrue(e.getMessage().startsWith("another agent is serving on " + socket), e.getMessage());
    IOException pre = assertThrows(IOException.class,
        () -> AgentServer.preflight(unixConfig(socket, "none"), Capabilities.all()));
    assertTrue(pre.getMessage().startsWith("another agent is serving on"), pre.getMessage());

    assertEquals("test", status(unixChannel(socket)).getVersion(), "the first agent still serves");
    assertTrue(first.socketPath().isPresent());
  }

  @Test
  void aMissingCapabilityIsNamedBeforeAnythingStarts() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    // CapEff of an agent started with only CAP_PERFMON and CAP_NET_ADMIN.
    Capabilities noBpf = Capabilities.parseStatus("CapEff:\t0000004000001000\n");
    IOException e = assertThrows(IOException.class, () -> AgentServer.preflight(unixConfig(socket, "none"), noBpf));
    assertEquals("missing capability CAP_BPF (load BPF programs and maps); run as root or grant CAP_BPF, "
        + "CAP_PERFMON and CAP_NET_ADMIN (see README \"Running on a real host\")", e.getMessage());
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "nothing made");
  }

  @Test
  void aStaleSocketIsReplaced() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket)); // closing leaves the file behind, as a killed agent does
    }
    assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));

    AgentServer.preflight(unixConfig(socket, "none"), Capabilities.all());
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "preflight removes the stale file");

    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }
    start(unixConfig(socket, "none"));
    assertEquals("test", status(unixChannel(socket)).getVersion());
  }

  @Test
  void somethingThatIsNotASocketIsLeftAlone() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    Files.writeString(socket, "precious");
    IOException e = assertThrows(IOException.class, () -> start(unixConfig(socket, "none")));
    assertTrue(e.getMessage().contains("exists and is not a socket"), e.getMessage());
    assertEquals("precious", Files.readString(socket));
  }

  // --- (e) graceful shutdown -------------------------------------------------------------------------------

  @Test
  void shutdownFlipsHealthEndsStreamsAndLetsACallInFlightFinish() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    AgentServer server = start(unixConfig(socket, "none"));
    ManagedChannel ch = unixChannel(socket);

    fake.blockStatus();
    ListenableFuture<GetAgentStatusResponse> inFlight =
        ProbeServiceGrpc.newFutureStub(ch).getAgentStatus(GetAgentStatusRequest.getDefaultInstance());
    assertTrue(fake.entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the call reached the service");

    Recorder<HealthCheckResponse> healthWatch = new Recorder<>();
    HealthGrpc.newStub(ch).watch(HealthCheckRequest.getDefaultInstance(), healthWatch);
    assertEquals(ServingStatus.SERVING, healthWatch.next().getStatus());

    Recorder<WatchTopTalkersResponse> talkers = new Recorder<>();
    ProbeServiceGrpc.newStub(ch).watchTopTalkers(WatchTopTalkersRequest.getDefaultInstance(), talkers);
    assertNotNull(talkers.next());

    Thread stopper = new Thread(() -> server.shutdownGracefully(WAIT), "test-stopper");
    stopper.start();

    assertEquals(ServingStatus.NOT_SERVING, healthWatch.nextStatus(ServingStatus.NOT_SERVING).getStatus());
    assertEquals(Status.Code.UNAVAILABLE, talkers.end().getCode(), "streams end at once, not after the grace");
    assertTrue(fake.watchStopped.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "the stream's handler stopped");
    assertFalse(inFlight.isDone(), "the unary call is still running");
    assertTrue(stopper.isAlive(), "shutdown waits for it");

    fake.releaseAll();
    assertEquals("test", inFlight.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).getVersion());
    stopper.join(WAIT.toMillis());
    assertFalse(stopper.isAlive());
    assertTrue(server.isTerminated());
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void shutdownCancelsWhatOutlivesTheGrace() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    AgentServer server = start(unixConfig(socket, "none"));
    ManagedChannel ch = unixChannel(socket);
    fake.blockStatus();
    ListenableFuture<GetAgentStatusResponse> stuck =
        ProbeServiceGrpc.newFutureStub(ch).getAgentStatus(GetAgentStatusRequest.getDefaultInstance());
    assertTrue(fake.entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

    long t0 = System.nanoTime();
    server.shutdownGracefully(Duration.ofMillis(300));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms < 3000, "took " + ms + " ms");
    assertTrue(server.isTerminated());
    Throwable cause = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> stuck.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).getCause();
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(cause).getCode(), cause.toString());
    assertEquals("the agent stopped before this call finished", Status.fromThrowable(cause).getDescription());
  }

  // --- (f) the deadline cap --------------------------------------------------------------------------------

  @Test
  void unaryCallsAreCappedStreamsAreNot() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    start(unixConfig(socket, "none"), AgentServer.Limits.DEFAULTS.withMaxDeadline(Duration.ofMillis(300)));
    ManagedChannel ch = unixChannel(socket);
    ProbeServiceGrpc.ProbeServiceBlockingStub stub = ProbeServiceGrpc.newBlockingStub(ch);
    fake.hangStatus();

    // No deadline: the cap applies, and the handler's context is cancelled so that it can stop.
    long t0 = System.nanoTime();
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> stub.getAgentStatus(GetAgentStatusRequest.getDefaultInstance()));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, none.getStatus().getCode(), none.toString());
    assertEquals("the agent caps calls at 300ms", none.getStatus().getDescription());
    assertTrue(ms >= 250 && ms < 5000, "took " + ms + " ms");
    assertTrue(fake.remainingMillis.get() <= 300 && fake.remainingMillis.get() > 0, "" + fake.remainingMillis);
    assertTrue(fake.sawCancel.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(null, fake.lateAnswerError.get(), "an answer after the cap is dropped, not thrown");

    // A longer deadline is shortened to the cap.
    fake.hangStatus();
    StatusRuntimeException longer = assertThrows(StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(60, TimeUnit.SECONDS).getAgentStatus(GetAgentStatusRequest.getDefaultInstance()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, longer.getStatus().getCode());
    assertTrue(fake.remainingMillis.get() <= 300, "" + fake.remainingMillis);

    // A shorter deadline is the client's own, untouched.
    fake.hangStatus();
    StatusRuntimeException shorter = assertThrows(StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(150, TimeUnit.MILLISECONDS)
            .getAgentStatus(GetAgentStatusRequest.getDefaultInstance()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, shorter.getStatus().getCode());
    assertTrue(fake.remainingMillis.get() <= 150, "" + fake.remainingMillis);

    // A stream runs past the cap.
    Recorder<WatchTopTalkersResponse> talkers = new Recorder<>();
    io.grpc.Context.CancellableContext watchContext = Context.current().withCancellation();
    watchContext.run(() -> ProbeServiceGrpc.newStub(ch)
        .watchTopTalkers(WatchTopTalkersRequest.getDefaultInstance(), talkers));
    Thread.sleep(800);
    assertEquals(null, talkers.closed.peek(), "the stream is still open after more than twice the cap");
    assertTrue(talkers.messages.size() >= 5, "messages: " + talkers.messages.size());
    watchContext.cancel(null);
  }

  // --- (g) message size ------------------------------------------------------------------------------------

  @Test
  void requestsOverTheSizeLimitAreRefusedAndTenThousandFiltersAreNot() throws Exception {
    Path socket = dir.resolve("vifscope.sock");
    start(unixConfig(socket, "none"));
    ProbeServiceGrpc.ProbeServiceBlockingStub stub =
        ProbeServiceGrpc.newBlockingStub(unixChannel(socket)).withDeadlineAfter(10, TimeUnit.SECONDS);

    TalkerFilter.Builder huge = TalkerFilter.newBuilder();
    for (int i = 0; i < 1100; i++) {
      huge.addInterfaces("x".repeat(1000));
    }
    ListTopTalkersRequest tooBig = ListTopTalkersRequest.newBuilder().setFilter(huge).build();
    assertTrue(tooBig.getSerializedSize() > AgentServer.Limits.DEFAULTS.maxInboundMessageSize());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.listTopTalkers(tooBig));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());

    // The bad request (10,000 filter values) must reach the service, which answers INVALID_ARGUMENT.
    TalkerFilter.Builder many = TalkerFilter.newBuilder();
    for (int i = 0; i < 10_000; i++) {
      many.addInterfaces("vif" + i + ".0");
    }
    stub.listTopTalkers(ListTopTalkersRequest.newBuilder().setFilter(many).build());
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  private static String pki(String name) {
    return pki.resolve(name).toString();
  }

  private static Map<String, List<String>> flags(String... kv) {
    Map<String, List<String>> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.computeIfAbsent(kv[i], k -> new ArrayList<>()).add(kv[i + 1]);
    }
    return m;
  }

  private static AgentConfig unixConfig(Path socket, String group) throws AgentConfig.InvalidConfigException {
    return AgentConfig.load(flags("socket", socket.toString(), "socket-group", group), g -> true);
  }

  private static AgentConfig tcpConfig(String... more) throws AgentConfig.InvalidConfigException {
    List<String> kv = new ArrayList<>(List.of("listen", "127.0.0.1:0"));
    kv.addAll(List.of(more));
    return AgentConfig.load(flags(kv.toArray(String[]::new)), g -> false);
  }

  private AgentServer start(AgentConfig config) throws IOException {
    return start(config, AgentServer.Limits.DEFAULTS);
  }

  private AgentServer start(AgentConfig config, AgentServer.Limits limits) throws IOException {
    AgentServer s = AgentServer.start(config, List.<BindableService>of(fake), limits);
    cleanup.add(() -> s.shutdownGracefully(Duration.ofMillis(200)));
    return s;
  }

  private ManagedChannel track(ManagedChannel ch) {
    cleanup.add(() -> {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    });
    return ch;
  }

  private ManagedChannel unixChannel(Path socket) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    cleanup.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS));
    return track(NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .eventLoopGroup(group)
        .channelType(EpollDomainSocketChannel.class)
        .withOption(ChannelOption.SO_KEEPALIVE, null) // no TCP keepalive on a unix socket: avoids a warning
        .usePlaintext()
        .build());
  }

  /** A TLS channel trusting our CA, presenting {@code clientCert}'s certificate when not null. */
  private ManagedChannel tlsChannel(int port, String clientCert) throws IOException {
    SslContextBuilder b = GrpcSslContexts.forClient().trustManager(pki.resolve("ca.pem").toFile());
    if (clientCert != null) {
      b.keyManager(pki.resolve(clientCert + ".pem").toFile(), pki.resolve(clientCert + ".key").toFile());
    }
    return track(NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(b.build()).build());
  }

  private static GetAgentStatusResponse status(ManagedChannel ch) {
    return ProbeServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .getAgentStatus(GetAgentStatusRequest.getDefaultInstance());
  }

  private static List<String> listServices(ManagedChannel ch) throws Exception {
    CompletableFuture<List<String>> names = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(ch)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<ServerReflectionResponse>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            names.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName)
                .toList());
          }

          @Override
          public void onError(Throwable t) {
            names.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    return names.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Collects what a stream sends and how it ends. */
  private static final class Recorder<T> implements StreamObserver<T> {
    final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<Status> closed = new LinkedBlockingQueue<>();

    @Override
    public void onNext(T value) {
      messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.add(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.add(Status.OK);
    }

    T next() throws InterruptedException {
      T m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(m, "no message within " + WAIT);
      return m;
    }

    HealthCheckResponse nextStatus(ServingStatus wanted) throws InterruptedException {
      while (true) {
        HealthCheckResponse r = (HealthCheckResponse) next();
        if (r.getStatus() == wanted) {
          return r;
        }
      }
    }

    Status end() throws InterruptedException {
      Status s = closed.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(s, "the stream did not end within " + WAIT);
      return s;
    }
  }

  /**
   * GetAgentStatus answers at once, waits for a release, or hangs until its context is cancelled; WatchTopTalkers
   * sends every 50 ms until its context is cancelled; ListTopTalkers answers empty.
   */
  private static final class FakeProbeService extends ProbeServiceGrpc.ProbeServiceImplBase {
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fake-watch");
      t.setDaemon(true);
      return t;
    });
    volatile CountDownLatch release = new CountDownLatch(0);
    volatile boolean hang;
    volatile CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch sawCancel = new CountDownLatch(1);
    final CountDownLatch watchStopped = new CountDownLatch(1);
    final AtomicReference<Long> remainingMillis = new AtomicReference<>();
    final AtomicReference<Throwable> lateAnswerError = new AtomicReference<>();

    void blockStatus() {
      release = new CountDownLatch(1);
      entered = new CountDownLatch(1);
    }

    void hangStatus() {
      hang = true;
      sawCancel = new CountDownLatch(1);
      remainingMillis.set(null);
    }

    void releaseAll() {
      release.countDown();
      ticker.shutdownNow();
    }

    @Override
    public void getAgentStatus(GetAgentStatusRequest request, StreamObserver<GetAgentStatusResponse> out) {
      Context context = Context.current();
      Deadline deadline = context.getDeadline();
      remainingMillis.set(deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS));
      entered.countDown();
      try {
        if (hang) {
          CountDownLatch cancelled = new CountDownLatch(1);
          context.addListener(c -> cancelled.countDown(), Runnable::run);
          if (!cancelled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
          sawCancel.countDown();
          try {
            out.onNext(GetAgentStatusResponse.newBuilder().setVersion("late").build());
            out.onCompleted();
          } catch (RuntimeException e) {
            lateAnswerError.set(e);
          }
          return;
        }
        release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      out.onNext(GetAgentStatusResponse.newBuilder().setVersion("test").build());
      out.onCompleted();
    }

    @Override
    public void watchTopTalkers(WatchTopTalkersRequest request, StreamObserver<WatchTopTalkersResponse> out) {
      Context context = Context.current();
      Object lock = new Object();
      ScheduledFuture<?> task = ticker.scheduleAtFixedRate(() -> {
        synchronized (lock) {
          if (!context.isCancelled()) {
            out.onNext(WatchTopTalkersResponse.getDefaultInstance());
          }
        }
      }, 0, 50, TimeUnit.MILLISECONDS);
      context.addListener(c -> {
        task.cancel(false);
        watchStopped.countDown();
      }, Runnable::run);
    }

    @Override
    public void listTopTalkers(ListTopTalkersRequest request, StreamObserver<ListTopTalkersResponse> out) {
      out.onNext(ListTopTalkersResponse.getDefaultInstance());
      out.onCompleted();
    }
  }
}
