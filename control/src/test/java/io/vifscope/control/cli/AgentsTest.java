package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The sentences a failed call becomes. */
class AgentsTest {
  @Test
  void anUnavailableAgentKeepsGrpcsReason() {
    String cut = Agents.explain("/run/vifscope/vifscope.sock",
        Status.UNAVAILABLE.withDescription("the agent is shutting down").asRuntimeException());
    assertTrue(cut.startsWith("vifscope: no agent answers on /run/vifscope/vifscope.sock (the agent is shutting "
        + "down): start `vifscope agent`"), cut);
    String none = Agents.explain("/nonexistent.sock", Status.UNAVAILABLE.asRuntimeException());
    assertEquals("vifscope: no agent answers on /nonexistent.sock: start `vifscope agent` (as root), or point "
        + "--socket/--target at a running one", none);
  }

  @Test
  void permissionProblemsSaySo() {
    String denied = Agents.explain("/run/vifscope/vifscope.sock", Status.UNAVAILABLE
        .withDescription("io exception").withCause(new java.io.IOException("connect: Permission denied"))
        .asRuntimeException());
    assertTrue(denied.contains("refused the connection (permission denied)"), denied);
  }
}
