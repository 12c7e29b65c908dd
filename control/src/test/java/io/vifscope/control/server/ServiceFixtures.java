package io.vifscope.control.server;

import io.vifscope.control.rank.Services;
import io.vifscope.control.resolve.GuestNic;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import java.util.concurrent.ScheduledExecutorService;

/** The incident fixture of {@link ProbeServiceImplTest} as a service, for client-side tests (the CLI). */
public final class ServiceFixtures {
  private ServiceFixtures() {}

  public static ProbeServiceImpl incidentService(Services services, ScheduledExecutorService timer) {
    return incidentService(services, timer, "dom0-test");
  }

  /** The same, answering as {@code node} (for fleets). */
  public static ProbeServiceImpl incidentService(Services services, ScheduledExecutorService timer, String node) {
    FakeAgentState state = new FakeAgentState();
    state.node = node;
    state.resolutions.put(ProbeServiceImplTest.UPLINK, new Resolution("vsleth0", Role.PHYSICAL, null, "", false));
    state.resolutions.put(ProbeServiceImplTest.VIF, new Resolution("000a17-I", Role.GUEST_VIF,
        new GuestNic(ProbeServiceImplTest.SYSLOG01, 0, "00:16:3e:4a:00:00", false), "xenstore", false));
    state.resolutions.put(ProbeServiceImplTest.WEB, new Resolution("vif12.0", Role.GUEST_VIF,
        new GuestNic(ProbeServiceImplTest.WEB01, 0, "", false), "xl", false));
    state.domains.add(ProbeServiceImplTest.SYSLOG01);
    state.domains.add(ProbeServiceImplTest.WEB01);
    state.windows = w -> ProbeServiceImplTest.incident(0);
    return new ProbeServiceImpl(state, services, timer);
  }
}
