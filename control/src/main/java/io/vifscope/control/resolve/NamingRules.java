package io.vifscope.control.resolve;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The last resort, when no source knows an interface: Xen's default names ({@link XenNames}).
 * {@code vif<domid>.<devid>} is a netback vif; {@code tap<domid>.<devid>} and the {@code -emu} twins are an
 * HVM guest's emulated NIC. Answers are marked as guesses. {@code vnet<N>}/{@code macvtap<N>} say nothing
 * about their domain: only libvirt can.
 */
final class NamingRules {
  static final String SOURCE = "naming";
  private static final Pattern KVM = Pattern.compile("(vnet|macvtap)\\d+");

  private NamingRules() {}

  /** Classifies {@code ifname} by name alone; {@code domains} lends names and UUIDs to guessed domain ids. */
  static Resolution guess(String ifname, Map<Integer, Domain> domains) {
    Optional<int[]> vif = XenNames.parseVif(ifname);
    Optional<int[]> ids = vif.isPresent() ? vif : XenNames.parseTap(ifname);
    if (ids.isPresent()) {
      int[] v = ids.get();
      boolean tap = vif.isEmpty() || v[2] == 1;
      Domain d = domains.getOrDefault(v[0], new Domain(v[0], "", ""));
      return new Resolution(ifname, tap ? Role.TAP : Role.GUEST_VIF, new GuestNic(d, v[1], "", tap), SOURCE, true);
    }
    if (KVM.matcher(ifname).matches()) {
      return new Resolution(ifname, Role.TAP, null, SOURCE, true);
    }
    return new Resolution(ifname, Role.OTHER, null, "", false);
  }
}
