package io.vifscope.control.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vifscope.control.server.AgentConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The agent's Prometheus endpoint: {@code GET /metrics} over HTTP or HTTPS, with optional basic auth, served by
 * Netty in the agent's process. It answers nothing else: {@code /} is a one-line page pointing at
 * {@code /metrics}, other paths get 404, other methods 405, a request Netty cannot parse 400, an oversized one
 * 413 or 431, a missing or wrong password 401. Whatever a client sends, the agent keeps running.
 *
 * <p>One I/O thread accepts and parses; the scrape itself (building the metrics, checking a password with
 * bcrypt) runs on one separate thread, so that a slow bcrypt never stalls the I/O and scrapes never run in
 * parallel. Connections are capped and idle ones are closed.
 */
public final class MetricsServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MetricsServer.class.getName());
  /** Requests are a line and a few headers: anything bigger is not a scraper. */
  private static final int MAX_INITIAL_LINE = 4096;
  private static final int MAX_HEADERS = 8192;
  private static final int MAX_BODY = 8192;
  private static final int MAX_CONNECTIONS = 32;
  private static final Duration IDLE = Duration.ofSeconds(60);
  private static final Duration STOP_WAIT = Duration.ofSeconds(2);

  private final EventLoopGroup loop;
  private final EventExecutorGroup scrapes;
  private final Channel channel;
  private final String description;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MetricsServer(EventLoopGroup loop, EventExecutorGroup scrapes, Channel channel, String description) {
    this.loop = loop;
    this.scrapes = scrapes;
    this.channel = channel;
    this.description = description;
  }

  /** Reads the TLS and users files, binds, and serves {@code collect}'s metrics until closed. */
  public static MetricsServer start(AgentConfig.MetricsSettings settings, Supplier<MetricSnapshots> collect)
      throws IOException {
    Optional<SslContext> tls = tls(settings);
    Optional<BasicAuth> auth = Optional.empty();
    if (settings.users().isPresent()) {
      try {
        auth = Optional.of(BasicAuth.load(settings.users().get()));
      } catch (IOException e) {
        throw new IOException("--metrics-users: " + e.getMessage(), e);
      }
    }
    AgentConfig.Listen listen = settings.listen();
    InetSocketAddress address = new InetSocketAddress(listen.host(), listen.port());
    if (address.isUnresolved()) {
      throw new IOException("--metrics-listen " + listen + ": cannot resolve '" + listen.host() + "'");
    }
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("vifscope-metrics-io", true),
        NioIoHandler.newFactory());
    EventExecutorGroup scrapes = new DefaultEventExecutorGroup(1,
        new DefaultThreadFactory("vifscope-metrics", true));
    AtomicInteger connections = new AtomicInteger();
    ExpositionFormats formats = ExpositionFormats.init();
    Optional<BasicAuth> users = auth;
    ServerBootstrap b = new ServerBootstrap()
        .group(loop)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 64)
        // A scrape every 15 s or so needs no buffer pool: unpooled buffers go back to the system when released,
        // where a pool would keep its chunks (megabytes) for the life of the agent.
        .option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
              connections.decrementAndGet();
              ch.close();
              return;
            }
            ch.closeFuture().addListener(f -> connections.decrementAndGet());
            ChannelPipeline p = ch.pipeline();
            tls.ifPresent(ctx -> p.addLast(ctx.newHandler(ch.alloc())));
            p.addLast(new ReadTimeoutHandler(IDLE.toSeconds(), TimeUnit.SECONDS));
            p.addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_BODY));
            p.addLast(new HttpObjectAggregator(MAX_BODY));
            p.addLast(scrapes, new Handler(collect, formats, users));
          }
        });
    Channel channel;
    try {
      channel = b.bind(address).syncUninterruptibly().channel();
    } catch (Exception e) {
      shutdown(loop, scrapes);
      throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
    }
    int port = ((InetSocketAddress) channel.localAddress()).getPort();
    String description = (tls.isPresent() ? "https://" : "http://") + new AgentConfig.Listen(listen.host(), port)
        + "/metrics" + (users.isPresent() ? " (basic auth, " + users.get().size() + " users)" : "");
    LOG.log(System.Logger.Level.INFO, "serving metrics on {0}", description);
    return new MetricsServer(loop, scrapes, channel, description);
  }

  /**
   * Checks what can be checked before the agent loads anything: the TLS files and the users file load, and the
   * address resolves. (The port itself is bound at start.)
   */
  public static void preflight(AgentConfig.MetricsSettings settings) throws IOException {
    tls(settings);
    if (settings.users().isPresent()) {
      try {
        BasicAuth.load(settings.users().get());
      } catch (IOException e) {
        throw new IOException("--metrics-users: " + e.getMessage(), e);
      }
    }
    AgentConfig.Listen listen = settings.listen();
    if (new InetSocketAddress(listen.host(), listen.port()).isUnresolved()) {
      throw new IOException("--metrics-listen " + listen + ": cannot resolve '" + listen.host() + "'");
    }
  }

  /** Checks the TLS files load, so that a bad key fails the start, not the first scrape. */
  private static Optional<SslContext> tls(AgentConfig.MetricsSettings settings) throws IOException {
    if (settings.tlsCert().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(SslContextBuilder.forServer(settings.tlsCert().get().toFile(),
          settings.tlsKey().orElseThrow().toFile()).build());
    } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
      throw new IOException("--metrics-tls-cert/--metrics-tls-key: cannot use " + settings.tlsCert().get() + " and "
          + settings.tlsKey().orElseThrow() + ": " + e.getMessage() + " (the key must be PKCS#8 PEM)", e);
    }
  }

  /** The port bound (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** {@code http://127.0.0.1:9717/metrics (basic auth, 1 users)}, for logs. */
  public String description() {
    return description;
  }

  /** Stops listening and closes every connection. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    channel.close().awaitUninterruptibly(STOP_WAIT.toMillis());
    shutdown(loop, scrapes);
  }

  private static void shutdown(EventLoopGroup loop, EventExecutorGroup scrapes) {
    loop.shutdownGracefully(0, STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    scrapes.shutdownGracefully(0, STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    loop.terminationFuture().awaitUninterruptibly(STOP_WAIT.toMillis());
    scrapes.terminationFuture().awaitUninterruptibly(STOP_WAIT.toMillis());
  }

  /** One request, one response. */
  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Supplier<MetricSnapshots> collect;
    private final ExpositionFormats formats;
    private final Optional<BasicAuth> auth;

    Handler(Supplier<MetricSnapshots> collect, ExpositionFormats formats, Optional<BasicAuth> auth) {
      this.collect = collect;
      this.formats = formats;
      this.auth = auth;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (req.decoderResult().isFailure()) {
        // Netty marks what it could not parse, and says when it was too long.
        Throwable cause = req.decoderResult().cause();
        HttpResponseStatus status = cause instanceof io.netty.handler.codec.TooLongFrameException
            ? (cause.getMessage() != null && cause.getMessage().contains("header")
                ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.REQUEST_URI_TOO_LONG)
            : HttpResponseStatus.BAD_REQUEST;
        send(ctx, req, text(status, status.reasonPhrase() + "\n"), false);
        return;
      }
      boolean head = req.method().equals(HttpMethod.HEAD);
      if (!req.method().equals(HttpMethod.GET) && !head) {
        FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        send(ctx, req, r, HttpUtil.isKeepAlive(req));
        return;
      }
      String path = new QueryStringDecoder(req.uri()).path();
      if (!path.equals("/metrics") && !path.equals("/")) {
        send(ctx, req, text(HttpResponseStatus.NOT_FOUND, "not found: the metrics are at /metrics\n"),
            HttpUtil.isKeepAlive(req));
        return;
      }
      if (auth.isPresent() && !auth.get().allows(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
        FullHttpResponse r = text(HttpResponseStatus.UNAUTHORIZED, "unauthorized\n");
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"vifscope\", charset=\"UTF-8\"");
        send(ctx, req, r, HttpUtil.isKeepAlive(req));
        return;
      }
      if (path.equals("/")) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            Unpooled.copiedBuffer("<html><head><title>vifscope</title></head><body><h1>vifscope agent</h1>"
                + "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        send(ctx, req, r, HttpUtil.isKeepAlive(req));
        return;
      }
      ExpositionFormatWriter writer = formats.findWriter(req.headers().get(HttpHeaderNames.ACCEPT));
      if (!writer.isAvailable()) {
        writer = formats.getPrometheusTextFormatWriter(); // protobuf asked, but this build has no protobuf writer
      }
      ByteBuf body = ctx.alloc().buffer(64 * 1024);
      try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
        writer.write(out, collect.get());
      } catch (IOException | RuntimeException e) {
        body.release();
        LOG.log(System.Logger.Level.WARNING, "metrics scrape failed: " + e);
        send(ctx, req, text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed; see the agent's log\n"),
            false);
        return;
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, writer.getContentType());
      send(ctx, req, r, HttpUtil.isKeepAlive(req));
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r, boolean keepAlive) {
      HttpUtil.setContentLength(r, r.content().readableBytes());
      if (req.method().equals(HttpMethod.HEAD)) {
        r.content().clear(); // the length of what GET would send, no body
      }
      if (keepAlive) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(r);
      } else {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset connection, a TLS handshake from a port scanner, an idle timeout: close it, keep serving.
      LOG.log(System.Logger.Level.DEBUG, "metrics connection closed: " + cause);
      ctx.close();
    }
  }
}
