package io.vifscope.control.resolve;

/**
 * One NIC of a guest, as a source maps a host interface name to it.
 *
 * @param domain the owning domain
 * @param devid the NIC's device id within the domain (Xen devid / handle; libvirt: index in the XML), -1 unknown
 * @param mac the guest-side MAC in lower-case colon form, or "" when unknown
 * @param tap true when the host interface is a tap (KVM tap/vnet/macvtap, Xen HVM -emu twin), not a netback vif
 */
public record GuestNic(Domain domain, int devid, String mac, boolean tap) {
  public GuestNic {
    mac = Names.cleanMac(mac);
  }
}
