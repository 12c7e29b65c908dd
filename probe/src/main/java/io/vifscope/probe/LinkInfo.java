package io.vifscope.probe;

import java.util.Objects;

/**
 * One network interface as the kernel reported it in its last {@code RTM_NEWLINK}: the facts the interface
 * selector and the resolver need, nothing about domains. The ifindex is the identity; the name can change
 * (a rename keeps the ifindex) and is data, not trusted text: it is decoded as UTF-8 with replacement.
 *
 * @param ifindex the kernel's interface index, stable for the life of the interface
 * @param name {@code IFLA_IFNAME}
 * @param masterIfindex {@code IFLA_MASTER}: the bridge (or bond, OVS datapath, VRF) the interface is enslaved
 *     to, 0 for none
 * @param kind {@code IFLA_INFO_KIND} from {@code IFLA_LINKINFO} ("veth", "bridge", "tun", "vlan", …); ""
 *     when the driver has no rtnetlink link ops, as for real NICs and Xen netback vifs
 * @param operUp the interface can carry traffic: {@code IFLA_OPERSTATE} is UP, or it is UNKNOWN (drivers that
 *     do not track operational state: tun/tap, loopback, some virtual devices) while the interface is
 *     administratively up with carrier ({@code IFF_UP} and {@code IFF_LOWER_UP}). A missing operstate counts
 *     as UNKNOWN.
 * @param physical a real NIC: {@code kind} is empty and {@code /sys/class/net/<name>/device} exists, read
 *     when the event arrived (never polled). Xen netback vifs also have a {@code device} link, to a
 *     {@code xen-backend} device; they are guest interfaces, not NICs, so they are not physical.
 * @param alias {@code IFLA_IFALIAS} ("ip link set … alias …"), "" when none. The kernel sends no event
 *     when only the alias changes, so a new alias shows with the link's next event or dump.
 */
public record LinkInfo(
    int ifindex, String name, int masterIfindex, String kind, boolean operUp, boolean physical, String alias) {

  public LinkInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(alias, "alias");
  }

  /** True when this is a Linux bridge ({@code kind} "bridge"). */
  public boolean isBridge() {
    return "bridge".equals(kind);
  }

  /** True when enslaved to another interface. */
  public boolean hasMaster() {
    return masterIfindex != 0;
  }
}
