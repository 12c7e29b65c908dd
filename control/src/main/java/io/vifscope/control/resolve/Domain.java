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
}
