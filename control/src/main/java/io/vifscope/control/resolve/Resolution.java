package io.vifscope.control.resolve;

/**
 * What a host interface is, and whose it is.
 *
 * @param ifname the interface name, already cleaned ({@link Names#clean}) by whoever built it
 * @param role what it is
 * @param nic the guest NIC behind it, or null for host interfaces and unknown ones
 * @param source the source that decided ("xenstore", "xl", "libvirt", "naming"), "" for host interfaces
 * @param guess true when only a naming rule decided: no source confirmed it
 */
public record Resolution(String ifname, Role role, GuestNic nic, String source, boolean guess) {

  /** True when the interface belongs to a guest domain. */
  public boolean isGuest() {
    return nic != null;
  }
}
