package io.vifscope.control.metrics;

import io.vifscope.control.rank.FlowWindow;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.probe.ProbeSnapshot;
import io.vifscope.probe.ProgramInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the metrics endpoint reads from the running agent: the newest poll's counters as they are (monotonic since
 * the probe started, which is what Prometheus counters want), the per-domain totals the agent keeps, a window for
 * the talker gauges, and the agent's own figures. The live agent implements it; tests implement it over fixtures.
 */
public interface MetricsSource {
  /** Node name the answers carry. */
  String node();

  /** The newest poll, or null before the first one. */
  ProbeSnapshot latest();

  /** What the interface with this ifindex is and whose, as known now. */
  Resolution resolve(int ifindex);

  /** Deltas over about the last {@code window}, as the gRPC answers use them. */
  WindowStats window(Duration window);

  /** The same with the flows handed to {@code flows} instead of listed (see History#window(Duration, Visitor)). */
  WindowStats window(Duration window, FlowWindow.Visitor flows);

  /** Flow-map entries evicted in that window. */
  long flowEvictions(Duration window);

  /** Interfaces the probe is attached to now (their series exist, at 0, before their first packet). */
  java.util.Collection<Integer> attached();

  /** Traffic to and from each domain since the agent started. */
  List<DomainCounters.Total> domainTotals();

  /** Run counts and times of the loaded programs while BPF statistics are on; empty when they are off. */
  Map<String, ProgramInfo> programCosts();

  /** The agent's own figures. */
  Self self();

  /**
   * @param polls polls done since start
   * @param pollFailures polls that failed
   * @param lastPollSeconds how long the newest poll took
   * @param cpuNanos CPU time of the whole process
   * @param rssBytes resident memory of the process (0 when unknown)
   * @param startEpochSeconds when the process started
   * @param attachedInterfaces interfaces the probe is attached to now
   * @param historyBytes an estimate of the heap the history holds
   */
  record Self(long polls, long pollFailures, double lastPollSeconds, long cpuNanos, long rssBytes,
      double startEpochSeconds, int attachedInterfaces, long historyBytes, long flowFullReads,
      long flowJournalOverflows) {}
}
