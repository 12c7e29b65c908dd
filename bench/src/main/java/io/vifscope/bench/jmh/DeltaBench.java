package io.vifscope.bench.jmh;

import io.vifscope.control.rank.History;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.probe.ProbeSnapshot;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The control side's deltas: {@link History#add} taking one poll's monotonic snapshot, and {@link History#window}
 * summing a window out of the tiers. The history is in steady state (5 minutes at 1 s polls, full: every fine
 * and coarse slot has been used), as on an agent that has run for a while.
 *
 * <p>Each poll, a tenth of the flows have sent since the previous poll and the rest are unchanged; no flow comes
 * or goes (see {@link SyntheticTraffic}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DeltaBench {
  /** Polls before measuring: the whole retention plus one coarse slot, so every ring has wrapped. */
  static final int STEADY_STATE_POLLS = 5 * 60 + 11;

  /** A full history and the traffic that filled it; the next poll is prepared before each add (not timed). */
  @State(Scope.Thread)
  public static class Poller {
    @Param({"4096", "65536"})
    public int flows;

    SyntheticTraffic traffic;
    History history;
    ProbeSnapshot next;

    @Setup(Level.Trial)
    public void fill() {
      traffic = new SyntheticTraffic(flows);
      history = traffic.history(STEADY_STATE_POLLS);
    }

    /** Counts the next poll's traffic and builds its snapshot: the probe's work, not the history's. */
    @Setup(Level.Invocation)
    public void prepareNextPoll() {
      next = traffic.nextPoll();
    }
  }

  /** A full history that is only read. */
  @State(Scope.Thread)
  public static class Filled {
    @Param({"4096", "65536"})
    public int flows;

    History history;

    @Setup(Level.Trial)
    public void fill() {
      history = new SyntheticTraffic(flows).history(STEADY_STATE_POLLS);
      int seen = history.window(Duration.ofSeconds(10)).flows().size();
      if (seen != flows) {
        throw new IllegalStateException("a 10 s window of the synthetic traffic should hold all " + flows
            + " flows, it holds " + seen);
      }
    }
  }

  /** One poll: every flow's delta into the fine and coarse slots, plus the small tables. */
  @Benchmark
  public History add(Poller p) {
    p.history.add(p.next);
    return p.history;
  }

  /** The CLI's default window: 10 fine slots summed per flow, into a new WindowStats. */
  @Benchmark
  public WindowStats window10s(Filled f) {
    return f.history.window(Duration.ofSeconds(10));
  }

  /** The whole history: 30 coarse slots summed per flow. */
  @Benchmark
  public WindowStats window300s(Filled f) {
    return f.history.window(Duration.ofSeconds(300));
  }
}
