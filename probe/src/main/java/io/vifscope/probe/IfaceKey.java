package io.vifscope.probe;

import java.nio.ByteBuffer;

/**
 * Mirrors {@code struct vs_iface_key}: an interface and a direction, the key of map {@code iface_stats}.
 *
 * @param ifindex kernel interface index
 * @param direction {@link Direction#INGRESS} or {@link Direction#EGRESS} at tc
 */
public record IfaceKey(int ifindex, Direction direction) {
  public static final int SIZE = 8;
  public static final Layout LAYOUT = Layout.of("vs_iface_key", SIZE, "ifindex", 0, "direction", 4, "pad", 5);

  public static IfaceKey decode(ByteBuffer b, int off) {
    return new IfaceKey(b.getInt(off), Direction.of(b.get(off + 4)));
  }
}
