package io.vifscope.control.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Asks every agent of a fleet at once. A slow or unreachable agent costs its own deadline and nothing more: its
 * failure is one answer among the others.
 */
final class Fleet {
  /** Deadline of one call. */
  static final long DEADLINE_SECONDS = 10;

  private Fleet() {}

  /** One agent's answer: a response, or the error it gave. */
  record Answer<R>(String target, R response, StatusRuntimeException error) {
    boolean ok() {
      return error == null;
    }
  }

  /** Asks each connection with {@code call}, in parallel; answers come back in the connections' order. */
  static <R> List<Answer<R>> ask(List<Targets.Connection> connections,
      Function<ProbeServiceGrpc.ProbeServiceBlockingStub, R> call) {
    if (connections.size() == 1) {
      return List.of(askOne(connections.get(0), call));
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(connections.size(), 16), r -> {
      Thread t = new Thread(r, "vifscope-fleet");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Answer<R>>> futures = new ArrayList<>();
      for (Targets.Connection c : connections) {
        futures.add(pool.submit(() -> askOne(c, call)));
      }
      List<Answer<R>> out = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        try {
          out.add(futures.get(i).get());
        } catch (ExecutionException e) {
          out.add(new Answer<>(connections.get(i).label(), null,
              Status.INTERNAL.withDescription(String.valueOf(e.getCause())).asRuntimeException()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          out.add(new Answer<>(connections.get(i).label(), null, Status.CANCELLED.asRuntimeException()));
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static <R> Answer<R> askOne(Targets.Connection c,
      Function<ProbeServiceGrpc.ProbeServiceBlockingStub, R> call) {
    try {
      return new Answer<>(c.label(), call.apply(ProbeServiceGrpc.newBlockingStub(c.channel())
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)), null);
    } catch (StatusRuntimeException e) {
      return new Answer<>(c.label(), null, e);
    }
  }
}
