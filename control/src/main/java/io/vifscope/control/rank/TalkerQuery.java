package io.vifscope.control.rank;

import java.util.Set;

/**
 * What to rank: grouping, sort order, filters, limit. Validated by the service before it gets here.
 *
 * @param interfaces interface names to keep (empty: all)
 * @param domains domain names, UUIDs or decimal ids to keep (empty: all)
 * @param direction the only direction to keep, or null for all
 * @param protocols IP protocol numbers to keep (empty: all)
 * @param ports source or destination ports to keep (empty: all)
 */
public record TalkerQuery(Grouping grouping, boolean byBytes, Set<String> interfaces, Set<String> domains,
    TrafficDirection direction, Set<Integer> protocols, Set<Integer> ports, int limit) {

  /** How rows are formed. */
  public enum Grouping { SOURCE, FLOW, DOMAIN, INTERFACE, DESTINATION_PORT }

  public TalkerQuery {
    interfaces = Set.copyOf(interfaces);
    domains = Set.copyOf(domains);
    protocols = Set.copyOf(protocols);
    ports = Set.copyOf(ports);
  }


  /** True when a filter looks inside flows (protocol or port), which interface totals cannot answer. */
  boolean filtersFlows() {
    return !protocols.isEmpty() || !ports.isEmpty();
  }
}
