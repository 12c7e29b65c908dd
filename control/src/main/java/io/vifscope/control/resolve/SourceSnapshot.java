package io.vifscope.control.resolve;

import java.util.Map;

/**
 * Everything one source knew at one read: host interface name to the guest NIC behind it, and the domains it
 * listed (also those without NICs, e.g. dom0). Names are kernel interface names exactly as the source gave them
 * after {@link Names#clean}.
 */
public record SourceSnapshot(Map<String, GuestNic> byIfname, Map<Integer, Domain> domains) {
  public SourceSnapshot {
    byIfname = Map.copyOf(byIfname);
    domains = Map.copyOf(domains);
  }

  public static SourceSnapshot empty() {
    return new SourceSnapshot(Map.of(), Map.of());
  }
}
