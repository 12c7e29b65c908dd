package io.vifscope.probe;

/**
 * Mirrors {@code enum vs_counter}: the index of each kernel counter in the {@code counters} maps. Unparsed
 * reasons count packets that got no flow; errors count failed map updates. The ABI test checks every value
 * against the objects' BTF.
 */
public enum Counter {
  UNPARSED_TRUNCATED_ETH(Kind.UNPARSED, "shorter than an Ethernet header"),
  UNPARSED_TRUNCATED_VLAN(Kind.UNPARSED, "VLAN tag cut short"),
  UNPARSED_TOO_MANY_VLANS(Kind.UNPARSED, "more VLAN tags than the parser follows"),
  UNPARSED_NON_IP(Kind.UNPARSED, "not IPv4 or IPv6 (ARP, LLDP, ...)"),
  UNPARSED_TRUNCATED_IPV4(Kind.UNPARSED, "IPv4 header or options cut short"),
  UNPARSED_BAD_IHL(Kind.UNPARSED, "IPv4 header length below 5 words"),
  UNPARSED_BAD_IP_VERSION(Kind.UNPARSED, "IP version disagrees with the ethertype"),
  UNPARSED_TRUNCATED_IPV6(Kind.UNPARSED, "IPv6 header cut short"),
  UNPARSED_TOO_MANY_EXT_HDRS(Kind.UNPARSED, "IPv6 extension-header chain too long"),
  UNPARSED_TRUNCATED_EXT_HDR(Kind.UNPARSED, "IPv6 extension header cut short or pointing past the end"),
  UNPARSED_TRUNCATED_L4(Kind.UNPARSED, "ports or ICMP type/code cut short"),
  FLOW_INSERTS(Kind.PRESSURE, "new flow entries; evictions = inserts - entries present"),
  ERR_FLOW_UPDATE_ENOMEM(Kind.ERROR, "flow entry not created: no free LRU node"),
  ERR_FLOW_UPDATE_OTHER(Kind.ERROR, "flow entry not created: other error"),
  ERR_IFACE_UPDATE_E2BIG(Kind.ERROR, "interface entry not created: map full"),
  ERR_IFACE_UPDATE_OTHER(Kind.ERROR, "interface entry not created: other error"),
  ERR_NAPI_UPDATE_E2BIG(Kind.ERROR, "NAPI device entry not created: map full"),
  ERR_NAPI_UPDATE_OTHER(Kind.ERROR, "NAPI device entry not created: other error"),
  ERR_NAPI_NAME_UNREADABLE(Kind.ERROR, "napi_poll device name unreadable"),
  ERR_SOFTIRQ_UNTRACKED(Kind.ERROR, "softirq run not counted: exit without its entry (attached mid-run)"),
  FLOW_DEFERRED(Kind.PRESSURE, "first packets held by the admission filter until their flow's second packet"),
  FLOW_CREDITED(Kind.PRESSURE, "held first packets credited to their flow; deferred - credited = one-packet flows");

  /** What a counter measures. */
  public enum Kind {
    /** Packets the parser could not classify (no flow entry; still in the interface totals). */
    UNPARSED,
    /** Flow-map pressure. */
    PRESSURE,
    /** Failed map updates: something was not counted. */
    ERROR
  }

  private static final Counter[] BY_INDEX = values();
  private final Kind kind;
  private final String description;

  Counter(Kind kind, String description) {
    this.kind = kind;
    this.description = description;
  }

  /** The value in {@code enum vs_counter}. */
  public int index() {
    return ordinal();
  }

  /** The C enumerator name, e.g. VS_UNPARSED_BAD_IHL. */
  public String cName() {
    return "VS_" + name();
  }

  public Kind kind() {
    return kind;
  }

  public String description() {
    return description;
  }

  /** The counter at a map index, or null for an index this build does not know (a newer kernel object). */
  static Counter of(int index) {
    return index >= 0 && index < BY_INDEX.length ? BY_INDEX[index] : null;
  }
}
