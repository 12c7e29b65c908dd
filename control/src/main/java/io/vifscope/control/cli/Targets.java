package io.vifscope.control.cli;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContextBuilder;
import io.vifscope.control.server.AgentConfig;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Option;

/**
 * Where a query command finds agents: unix sockets and TLS TCP targets, each repeatable (a fleet). The CLI is a
 * gRPC client like any other tool.
 */
public final class Targets {
  /** The environment variable that names the socket asked when no target is given. */
  public static final String SOCKET_ENV = "VIFSCOPE_SOCKET";

  /** The socket asked when no target is given: $VIFSCOPE_SOCKET, else the agent's default. */
  static String defaultSocket = System.getenv(SOCKET_ENV) != null && !System.getenv(SOCKET_ENV).isBlank()
      ? System.getenv(SOCKET_ENV) : AgentConfig.DEFAULT_SOCKET;

  @Option(names = "--socket", paramLabel = "PATH", description = "Agent unix socket, repeatable (default: $"
      + SOCKET_ENV + ", else " + AgentConfig.DEFAULT_SOCKET + ").")
  List<String> sockets = new ArrayList<>();

  @Option(names = "--target", paramLabel = "HOST:PORT", description = "Agent over TLS, repeatable.")
  List<String> targets = new ArrayList<>();

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "CA that signed the agents' certificates.")
  File tlsCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate, for agents with mTLS.")
  File tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Client key (PKCS#8), for agents with mTLS.")
  File tlsKey;

  /** For in-process tests: a gRPC in-process server name. */
  @Option(names = "--in-process", hidden = true)
  List<String> inProcess = new ArrayList<>();

  /** One opened agent connection; closing it releases the channel and its event loop. */
  public record Connection(String label, ManagedChannel channel, EventLoopGroup group) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }

  /** A connection to an agent's unix socket (plain gRPC: the socket's permissions are the access control). */
  public static Connection unixSocket(String path) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(path)).eventLoopGroup(group)
        .channelType(EpollDomainSocketChannel.class).withOption(ChannelOption.SO_KEEPALIVE, null).usePlaintext()
        .build();
    return new Connection(path, ch, group);
  }

  /** Whether no target was given, so that the default socket is used. */
  boolean usesDefault() {
    return sockets.isEmpty() && targets.isEmpty() && inProcess.isEmpty();
  }

  /** Opens every target given, or the default socket when none is. */
  public List<Connection> open() throws SSLException {
    List<Connection> out = new ArrayList<>();
    for (String name : inProcess) {
      out.add(new Connection("in-process:" + name, InProcessChannelBuilder.forName(name).directExecutor().build(), null));
    }
    List<String> socks = usesDefault() ? List.of(defaultSocket) : sockets;
    for (String path : socks) {
      out.add(unixSocket(path));
    }
    for (String t : targets) {
      int colon = t.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--target " + t + ": expected HOST:PORT");
      }
      SslContextBuilder ssl = GrpcSslContexts.forClient();
      if (tlsCa != null) {
        ssl.trustManager(tlsCa);
      }
      if (tlsCert != null && tlsKey != null) {
        ssl.keyManager(tlsCert, tlsKey);
      }
      ManagedChannel ch = NettyChannelBuilder.forAddress(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)))
          .sslContext(ssl.build()).build();
      out.add(new Connection(t, ch, null));
    }
    return out;
  }
}
