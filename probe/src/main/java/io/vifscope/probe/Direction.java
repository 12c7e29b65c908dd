package io.vifscope.probe;

/** Mirrors {@code enum vs_direction}: which tc hook saw the packet. */
public enum Direction {
  /** Received by this host on the interface (VS_DIR_INGRESS = 0). */
  INGRESS,
  /** Transmitted by this host on the interface (VS_DIR_EGRESS = 1). */
  EGRESS;

  static Direction of(int value) {
    return switch (value) {
      case 0 -> INGRESS;
      case 1 -> EGRESS;
      default -> throw new IllegalArgumentException("bad vs_direction " + value);
    };
  }
}
