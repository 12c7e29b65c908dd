package io.vifscope.control.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Turns gRPC failures into sentences that tell the user what to do. */
final class Agents {
  private Agents() {}

  /** Whether the connection failed because the socket's permissions shut this user out. */
  static boolean permissionDenied(StatusRuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("Permission denied")) {
        return true;
      }
    }
    return e.getStatus().getDescription() != null && e.getStatus().getDescription().contains("Permission denied");
  }

  /**
   * gRPC's own words after "no agent answers", so that an agent that answered and then failed (a call cut by a
   * shutdown, a connection reset) is told apart from a socket nobody listens on.
   */
  private static String grpcReason(Status s) {
    return s.getDescription() == null || s.getDescription().isBlank() ? "" : " (" + s.getDescription() + ")";
  }

  static String explain(String target, StatusRuntimeException e) {
    Status s = e.getStatus();
    return switch (s.getCode()) {
      case UNAVAILABLE -> permissionDenied(e)
          ? "vifscope: " + target + " refused the connection (permission denied): use sudo, or join the group of the "
              + "agent's socket (vifscope)"
          : "vifscope: no agent answers on " + target + grpcReason(s) + ": start `vifscope agent` (as root), or "
              + "point --socket/--target at a running one";
      case PERMISSION_DENIED, UNAUTHENTICATED -> "vifscope: " + target + " refused the call: " + s.getDescription()
          + " (is your user in the agent's socket group, or is a client certificate needed?)";
      case INVALID_ARGUMENT -> "vifscope: " + s.getDescription();
      case DEADLINE_EXCEEDED -> "vifscope: " + target + " did not answer in time";
      default -> "vifscope: " + target + ": " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription());
    };
  }
}
