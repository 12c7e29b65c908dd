package io.vifscope.control.resolve;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Builds the sources an operator names, in the order named: e.g. {@code xenstore,xl,libvirt}. */
public final class DomainSources {
  /** The default order: the hypervisor's own store first, then its toolstack, then libvirt. */
  public static final List<String> DEFAULT_ORDER = List.of(XenstoreSource.NAME, XlSource.NAME, LibvirtSource.NAME);

  private DomainSources() {}

  /**
   * @param order source names, most trusted first
   * @param runner runs xenstore-ls/xenstore-read/xl
   * @param libvirtUri libvirt URI, or null for the local system URI when a daemon answers
   */
  public static List<DomainSource> create(List<String> order, CommandRunner runner, String libvirtUri) {
    List<DomainSource> out = new ArrayList<>();
    for (String raw : order) {
      String name = raw.strip().toLowerCase(Locale.ROOT);
      switch (name) {
        case XenstoreSource.NAME -> out.add(new XenstoreSource(runner));
        case XlSource.NAME -> out.add(new XlSource(runner));
        case LibvirtSource.NAME -> out.add(new LibvirtSource(libvirtUri));
        default -> throw new IllegalArgumentException(
            "unknown domain source '" + Names.clean(raw) + "'; known: " + String.join(", ", DEFAULT_ORDER));
      }
    }
    if (out.stream().map(DomainSource::name).distinct().count() != out.size()) {
      throw new IllegalArgumentException("a domain source is named twice: " + order);
    }
    return out;
  }
}
