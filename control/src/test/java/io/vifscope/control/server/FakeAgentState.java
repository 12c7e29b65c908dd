package io.vifscope.control.server;

import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** An agent state whose windows come from a function the test controls. */
public final class FakeAgentState implements AgentState {
  final Map<Integer, Resolution> resolutions = new HashMap<>();
  final List<Domain> domains = new ArrayList<>();
  final Map<String, long[]> drops = new HashMap<>();
  Function<Duration, WindowStats> windows;
  java.util.function.ToLongFunction<Duration> evictions = w -> 0;
  final List<Duration> asked = new ArrayList<>();
  String node = "dom0-test";

  @Override
  public String node() {
    return node;
  }

  @Override
  public Duration pollInterval() {
    return Duration.ofSeconds(1);
  }

  @Override
  public Duration retention() {
    return Duration.ofMinutes(5);
  }

  @Override
  public Duration retained() {
    return Duration.ofMinutes(5);
  }

  @Override
  public WindowStats window(Duration window) {
    asked.add(window);
    return windows.apply(window);
  }

  @Override
  public Resolution resolve(int ifindex) {
    return resolutions.getOrDefault(ifindex, new Resolution("if" + ifindex, Role.OTHER, null, "", false));
  }

  @Override
  public Collection<Domain> domains() {
    return domains;
  }

  @Override
  public Map<String, long[]> kernelDrops(Duration window) {
    return drops;
  }

  @Override
  public long flowEvictions(Duration window) {
    return evictions.applyAsLong(window);
  }

  @Override
  public GetAgentStatusResponse.Builder status() {
    // As an agent whose loader auto fell back to BCC reports it.
    return GetAgentStatusResponse.newBuilder().setVersion("test").setLoader("bcc")
        .addFeatures(io.vifscope.proto.v1.Feature.newBuilder().setName("libbpf_objects").setAvailable(false)
            .setReason("the built objects could not be loaded: bpf_object__open_mem(softirq) failed: LIBBPF_ERRNO__FORMAT (4001); "
                + "BCC loaded the same sources instead"));
  }
}
