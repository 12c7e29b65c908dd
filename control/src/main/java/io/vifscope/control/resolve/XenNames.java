package io.vifscope.control.resolve;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Xen's default host interface names, built and parsed in one place so that the sources and the naming-rules
 * fallback agree. Netback names a guest's vif {@code vif<domid>.<devid>} (Linux {@code xen-netback}); libxl names
 * an HVM guest's emulated twin, the tap that QEMU opens, {@code vif<domid>.<devid>-emu}, or
 * {@code <vifname>-emu} when the vif has a custom name ({@code TAP_DEVICE_SUFFIX}, and the {@code vif-common.sh}
 * hotplug script that renames it); qemu-traditional named it {@code tap<domid>.<devid>}.
 *
 * <p>Parsing is strict: decimal numbers without leading zeros, a domid below Xen's reserved range, so that
 * {@code vif012.0} is not taken for {@code vif12.0} (the kernel never prints it that way).
 */
public final class XenNames {
  /** The suffix libxl gives an HVM guest's emulated NIC ({@code TAP_DEVICE_SUFFIX}). */
  public static final String EMU_SUFFIX = "-emu";
  /** Largest guest domid: {@code DOMID_FIRST_RESERVED} (0x7FF0) - 1. */
  public static final int MAX_DOMID = 0x7FEF;
  /** Largest devid we accept; vif handles are small, this keeps every name within IFNAMSIZ. */
  public static final int MAX_DEVID = 0xFFFF;

  private static final Pattern VIF = Pattern.compile("vif(0|[1-9]\\d{0,4})\\.(0|[1-9]\\d{0,4})(-emu)?");
  private static final Pattern TAP = Pattern.compile("tap(0|[1-9]\\d{0,4})\\.(0|[1-9]\\d{0,4})(-emu)?");

  private XenNames() {}

  /** {@code vif<domid>.<devid>}, netback's name for a guest's vif. */
  public static String vifName(int domid, int devid) {
    return "vif" + domid + "." + devid;
  }

  /** {@code tap<domid>.<devid>}, qemu-traditional's name for an HVM guest's emulated NIC. */
  public static String tapName(int domid, int devid) {
    return "tap" + domid + "." + devid;
  }

  /** The emulated twin of a vif named {@code vifName} (default or custom): {@code <vifName>-emu}. */
  public static String emuTwin(String vifName) {
    return vifName + EMU_SUFFIX;
  }

  /**
   * Parses {@code vif<domid>.<devid>} or {@code vif<domid>.<devid>-emu} into {domid, devid, emu (1 or 0)};
   * empty for anything else.
   */
  public static Optional<int[]> parseVif(String name) {
    return parse(VIF, name);
  }

  /**
   * Parses {@code tap<domid>.<devid>} (or with {@code -emu}) into {domid, devid, emu (1 or 0)}; empty for
   * anything else.
   */
  public static Optional<int[]> parseTap(String name) {
    return parse(TAP, name);
  }

  /** Whether {@code domid}/{@code devid} are in the ranges a guest vif can have. */
  static boolean validIds(int domid, int devid) {
    return domid >= 0 && domid <= MAX_DOMID && devid >= 0 && devid <= MAX_DEVID;
  }

  private static Optional<int[]> parse(Pattern p, String name) {
    if (name == null) {
      return Optional.empty();
    }
    Matcher m = p.matcher(name);
    if (!m.matches()) {
      return Optional.empty();
    }
    int domid = Integer.parseInt(m.group(1));
    int devid = Integer.parseInt(m.group(2));
    if (!validIds(domid, devid)) {
      return Optional.empty();
    }
    return Optional.of(new int[] {domid, devid, m.group(3) != null ? 1 : 0});
  }
}
