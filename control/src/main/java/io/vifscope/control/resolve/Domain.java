package io.vifscope.control.resolve;

/**
 * A guest domain as a source reported it. Every string has been through {@link Names#clean}.
 *
 * @param id hypervisor domain id (Xen domid; libvirt's id for KVM), -1 when the domain is not running
 * @param name domain name
 * @param uuid canonical 8-4-4-4-12 UUID, or "" when unknown
 */
public record Domain(int id, String name, String uuid) {
  public Domain {
    name = Names.clean(name);
    uuid = Names.cleanUuid(uuid);
  }

  /**
   * What tells one domain from another in answers and totals: the UUID, else name and id (a source that gives no
   * UUID). The same domain seen through two interfaces has the same key.
   */
  public String key() {
    return key(id, name, uuid);
  }

  /** The same key from fields already cleaned (e.g. read back from an answer's DomainRef). */
  public static String key(int id, String name, String uuid) {
    return uuid.isEmpty() ? name + "#" + id : uuid;
  }
}
