package io.vifscope.control.resolve;

import java.time.Duration;

/**
 * A place that knows which guest owns which host interface: xenstore, xl, libvirt. Implementations take what
 * they read from (a {@link CommandRunner}, a libvirt URI, a file root) by injection, so the same code runs on a
 * real host and against fixtures. They never build a shell command and treat everything they read as data.
 */
public interface DomainSource {
  /** Short name used in answers and logs: "xenstore", "xl", "libvirt". */
  String name();

  /** Whether this source exists on this host at all (its tool is installed, its daemon answers). Cheap. */
  boolean detect();

  /**
   * Reads the current mapping. Must return or throw within {@code timeout}; garbage input, a hung tool or
   * oversized output is a {@link SourceException}, never a crash, a hang or a partial wrong mapping.
   */
  SourceSnapshot read(Duration timeout) throws SourceException;

  /**
   * True when the source's domain ids are Xen domids (xenstore, xl), so that a {@code vif<domid>.<devid>} name
   * can borrow the domain's name from it. libvirt numbers KVM domains its own way, so it says false.
   */
  default boolean xenDomainIds() {
    return false;
  }
}
