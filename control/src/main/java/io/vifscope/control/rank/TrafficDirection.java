package io.vifscope.control.rank;

import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Direction;

/**
 * Direction as the dom0 sees it. Traffic to a guest is transmitted by dom0 on the guest's interface (tc
 * egress); traffic from a guest is received on it (tc ingress). Mirrors {@code vifscope.v1.Direction}.
 */
public enum TrafficDirection {
  TO_GUEST, FROM_GUEST, HOST_RECEIVE, HOST_TRANSMIT;

  /** The direction of traffic seen at a tc hook of an interface with this role. */
  public static TrafficDirection of(Role role, Direction hook) {
    boolean guest = role == Role.GUEST_VIF || role == Role.TAP;
    if (guest) {
      return hook == Direction.EGRESS ? TO_GUEST : FROM_GUEST;
    }
    return hook == Direction.INGRESS ? HOST_RECEIVE : HOST_TRANSMIT;
  }
}
