package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.LinkInfo;
import io.vifscope.probe.LinkMonitor;
import io.vifscope.probe.testing.Lab;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * End to end in the lab: the fixture xenstore/xl commands (real output formats) and the real libvirt client
 * on the lab's test-driver XML resolve every guest interface to its domain, the custom-named vif and the
 * KVM-style guest included; the bridge and the uplink are host interfaces. Kernel facts come from the
 * probe's netlink link table, as in the agent.
 */
class ResolverLabIT {
  private static final String LIBVIRT_URI = "test:///run/vifscope-lab/domains.xml";

  @Test
  void everyLabInterfaceResolvesToWhatItIs() throws Exception {
    try (Lab lab = Lab.up();
        LibvirtSource libvirt = new LibvirtSource(LIBVIRT_URI);
        LinkMonitor links = LinkMonitor.start(new LinkMonitor.Listener() {
          @Override
          public void linkUp(LinkInfo link) {}

          @Override
          public void linkGone(LinkInfo last) {}
        })) {
      CommandRunner runner = new ProcessCommandRunner(List.of(Lab.repo().resolve("lab/fixtures/bin")));
      DomainResolver resolver = new DomainResolver(
          List.of(new XenstoreSource(runner), new XlSource(runner), libvirt), Duration.ofSeconds(5));
      resolver.refresh();
      for (SourceStatus s : resolver.status()) {
        assertTrue(s.detected() && s.ok(), "source " + s);
        assertTrue(s.interfaces() > 0, "source mapped nothing: " + s);
      }
      assertTrue(resolver.conflicts().isEmpty(), "the lab's sources agree: " + resolver.conflicts());

      Map<String, LinkInfo> byName = new java.util.HashMap<>();
      links.links().values().forEach(l -> byName.put(l.name(), l));
      Resolution incident = resolve(resolver, byName, "000a17-I");
      assertEquals(Role.GUEST_VIF, incident.role());
      assertEquals(new Domain(74, "syslog01", "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a"), incident.nic().domain());
      assertEquals("00:16:3e:4a:00:00", incident.nic().mac());
      assertEquals(0, incident.nic().devid());
      assertEquals("xenstore", incident.source(), "the first source in order decides");
      assertFalse(incident.guess());

      assertEquals("web01", resolve(resolver, byName, "vif12.0").nic().domain().name());
      assertEquals(12, resolve(resolver, byName, "vif12.0").nic().domain().id());
      assertEquals("db01", resolve(resolver, byName, "vif13.0").nic().domain().name());

      Resolution kvm = resolve(resolver, byName, "vnet9");
      assertEquals(Role.TAP, kvm.role());
      assertEquals("kvm01", kvm.nic().domain().name());
      assertEquals("2e7a9b3c-09c6-4e8d-bf50-525400000009", kvm.nic().domain().uuid());
      assertEquals("libvirt", kvm.source(), "only libvirt knows KVM guests");
      assertFalse(kvm.guess());

      assertEquals(Role.BRIDGE, resolve(resolver, byName, Lab.BRIDGE).role());
      Resolution uplink = resolve(resolver, byName, Lab.PHYS);
      assertFalse(uplink.isGuest(), "the uplink is a host interface: " + uplink);
    }
  }

  private static Resolution resolve(DomainResolver r, Map<String, LinkInfo> links, String name) {
    LinkInfo l = links.get(name);
    assertNotNull(l, name + " is not in the kernel's link table");
    return r.resolve(new DomainResolver.HostInterface(l.name(), l.isBridge(), l.physical()));
  }
}
