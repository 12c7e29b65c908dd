package io.vifscope.control.cli;

import io.vifscope.proto.v1.InterfaceRole;

/** Short names of interface roles for text output. */
final class Roles {
  private Roles() {}

  static String text(InterfaceRole r) {
    return switch (r) {
      case INTERFACE_ROLE_GUEST_VIF -> "vif";
      case INTERFACE_ROLE_TAP -> "tap";
      case INTERFACE_ROLE_PHYSICAL -> "physical";
      case INTERFACE_ROLE_BRIDGE -> "bridge";
      default -> "other";
    };
  }
}
