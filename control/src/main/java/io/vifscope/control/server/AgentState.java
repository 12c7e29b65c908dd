package io.vifscope.control.server;

import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * What the service reads from the running agent. The live agent implements it over the probe, the history
 * and the resolver; tests implement it over recorded snapshots.
 */
public interface AgentState {
  /** Node name (uname -n). */
  String node();

  Duration pollInterval();

  /** History kept at most (the configured retention). */
  Duration retention();

  /** History actually held now (shorter right after start). */
  Duration retained();

  /** Deltas over the last {@code window} (clamped to what is held). */
  WindowStats window(Duration window);

  /** What the interface with this ifindex is and whose, as known now. */
  Resolution resolve(int ifindex);

  /** Domains the sources know now, including those without traffic. */
  Collection<Domain> domains();

  /**
   * Kernel statistics deltas per interface name over the window: rx_dropped, tx_dropped, rx_errors, tx_errors
   * (from /sys/class/net, independent of the BPF counters).
   */
  Map<String, long[]> kernelDrops(Duration window);

  /** Flow-map entries evicted in the window: inserts minus the growth of the entries present. */
  long flowEvictions(Duration window);

  /** Everything GetAgentStatus reports except the meta block. */
  GetAgentStatusResponse.Builder status();
}
