package io.vifscope.control.resolve;

/** What a host interface is. Mirrors {@code vifscope.v1.InterfaceRole}. */
public enum Role {
  /** A Xen guest's netback interface (vifN.M or a custom vifname). */
  GUEST_VIF,
  /** A tap: KVM tap/vnet/macvtap, or a Xen HVM guest's emulated NIC (-emu). */
  TAP,
  /** A physical NIC. */
  PHYSICAL,
  /** A software bridge. */
  BRIDGE,
  /** Anything else. */
  OTHER
}
