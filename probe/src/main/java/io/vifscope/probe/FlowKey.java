package io.vifscope.probe;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Mirrors {@code struct vs_flow_key}, the key of map {@code flow_stats}: one flow on one interface and
 * direction. Addresses are kept as two big-endian longs each so the record is cheap to hash and compare
 * (an IPv4 address sits in the top 4 bytes of {@code hi}, the rest zero).
 *
 * @param family 4 or 6
 * @param protocol IP protocol number (after IPv6 extension headers)
 * @param flags FLAG_* bits
 * @param vlan outermost 802.1Q/802.1ad VLAN id, 0 when untagged
 * @param sport source port in host order; the ICMP type for ICMP/ICMPv6; 0 for non-first fragments
 * @param dport destination port; the ICMP code for ICMP/ICMPv6; 0 for non-first fragments
 */
public record FlowKey(
    int ifindex, Direction direction, int family, int protocol, int flags, int vlan, int sport, int dport,
    long saddrHi, long saddrLo, long daddrHi, long daddrLo) {
  public static final int SIZE = 48;
  public static final Layout LAYOUT = Layout.of("vs_flow_key", SIZE,
      "ifindex", 0, "direction", 4, "family", 5, "protocol", 6, "flags", 7, "vlan", 8, "sport", 10, "dport", 12,
      "pad", 14, "saddr", 16, "daddr", 32);

  /** VS_FLOW_F_FRAGMENT: the packet was an IP fragment (ports only from the first one). */
  public static final int FLAG_FRAGMENT = 1;

  public static FlowKey decode(ByteBuffer b, int off) {
    return new FlowKey(
        b.getInt(off),
        Direction.of(b.get(off + 4)),
        b.get(off + 5) & 0xff,
        b.get(off + 6) & 0xff,
        b.get(off + 7) & 0xff,
        b.getShort(off + 8) & 0xffff,
        b.getShort(off + 10) & 0xffff,
        b.getShort(off + 12) & 0xffff,
        bigEndianLong(b, off + 16),
        bigEndianLong(b, off + 24),
        bigEndianLong(b, off + 32),
        bigEndianLong(b, off + 40));
  }

  /** Writes this key as {@code struct vs_flow_key} at {@code off} (the inverse of {@link #decode}). */
  public void encode(ByteBuffer b, int off) {
    b.putInt(off, ifindex);
    b.put(off + 4, (byte) direction.ordinal());
    b.put(off + 5, (byte) family);
    b.put(off + 6, (byte) protocol);
    b.put(off + 7, (byte) flags);
    b.putShort(off + 8, (short) vlan);
    b.putShort(off + 10, (short) sport);
    b.putShort(off + 12, (short) dport);
    b.putShort(off + 14, (short) 0);
    putBigEndianLong(b, off + 16, saddrHi);
    putBigEndianLong(b, off + 24, saddrLo);
    putBigEndianLong(b, off + 32, daddrHi);
    putBigEndianLong(b, off + 40, daddrLo);
  }

  private static void putBigEndianLong(ByteBuffer b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b.put(off + i, (byte) (v >>> (56 - 8 * i)));
    }
  }

  private static long bigEndianLong(ByteBuffer b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b.get(off + i) & 0xff);
    }
    return v;
  }

  public InetAddress sourceAddress() {
    return address(saddrHi, saddrLo);
  }

  public InetAddress destinationAddress() {
    return address(daddrHi, daddrLo);
  }

  private InetAddress address(long hi, long lo) {
    byte[] a = new byte[family == 4 ? 4 : 16];
    for (int i = 0; i < a.length; i++) {
      long word = i < 8 ? hi : lo;
      a[i] = (byte) (word >>> (56 - 8 * (i % 8)));
    }
    try {
      return InetAddress.getByAddress(a);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // only thrown for bad lengths
    }
  }
}
