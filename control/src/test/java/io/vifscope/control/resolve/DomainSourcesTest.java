package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainSourcesTest {
  @Test
  void sourcesComeInTheConfiguredOrder() {
    List<DomainSource> s = DomainSources.create(List.of("libvirt", " XL "), new ProcessCommandRunner(), "test:///default");
    assertEquals(List.of("libvirt", "xl"), s.stream().map(DomainSource::name).toList());
    s.stream().filter(x -> x instanceof LibvirtSource).forEach(x -> ((LibvirtSource) x).close());
  }

  @Test
  void unknownOrRepeatedNamesAreRefusedWithTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DomainSources.create(List.of("xenstore", "bogus\u001b"), new ProcessCommandRunner(), null));
    assertEquals("unknown domain source 'bogus\\x1b'; known: xenstore, xl, libvirt", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> DomainSources.create(List.of("xl", "xl"), new ProcessCommandRunner(), null));
  }
}
