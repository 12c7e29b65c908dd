package io.vifscope.bench.jmh;

import io.vifscope.control.rank.History;
import io.vifscope.control.rank.TalkerQuery;
import io.vifscope.control.rank.TopTalkers;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Resolution;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
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
 * Ranking top talkers: {@link TopTalkers#rank} over a 10 s window in which every flow has traffic, with no
 * filter, sorted by packets, limit 20: the defaults of a ListTopTalkers request. By source, 16 flows merge into
 * each row; by flow, every flow is a row and gets its addresses as InetAddress objects. (A {@code vifscope top}
 * refresh asks three windows, two of them with a limit of 1000; the sort is over all rows either way.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RankBench {
  static final int LIMIT = 20;

  /** Flows in the window. */
  @Param({"4096", "65536"})
  public int flows;

  private WindowStats window;
  private IntFunction<Resolution> resolve;
  private final TalkerQuery bySource = query(TalkerQuery.Grouping.SOURCE);
  private final TalkerQuery byFlow = query(TalkerQuery.Grouping.FLOW);

  private static TalkerQuery query(TalkerQuery.Grouping grouping) {
    return new TalkerQuery(grouping, false, Set.of(), Set.of(), null, Set.of(), Set.of(), LIMIT);
  }

  @Setup(Level.Trial)
  public void fill() {
    // Poll 0 is the baseline, polls 1..10 each move a different tenth of the flows: all of them are in 10 s.
    History history = new SyntheticTraffic(flows).history(11);
    window = history.window(Duration.ofSeconds(10));
    if (window.flows().size() != flows) {
      throw new IllegalStateException("the 10 s window should hold all " + flows + " flows, it holds "
          + window.flows().size());
    }
    Map<Integer, Resolution> resolutions = SyntheticTraffic.resolutions();
    resolve = ifindex -> {
      Resolution r = resolutions.get(ifindex);
      if (r == null) {
        throw new IllegalStateException("no resolution for ifindex " + ifindex);
      }
      return r;
    };
  }

  @Benchmark
  public List<TopTalkers.Row> bySource() {
    return TopTalkers.rank(window, bySource, resolve);
  }

  @Benchmark
  public List<TopTalkers.Row> byFlow() {
    return TopTalkers.rank(window, byFlow, resolve);
  }
}
