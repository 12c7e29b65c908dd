package io.vifscope.probe.testing;

import java.io.ByteArrayOutputStream;

/**
 * Builds Ethernet frames byte by byte for BPF_PROG_TEST_RUN: tags, IPv4 with options and fragments, IPv6
 * with extension-header chains, UDP/TCP/ICMP. Every field is explicit so that a test can also build
 * malformed frames (bad IHL, lengths pointing past the end, truncation anywhere).
 */
public final class Frames {
  public static final int ETH_P_IP = 0x0800;
  public static final int ETH_P_IPV6 = 0x86DD;
  public static final int ETH_P_ARP = 0x0806;
  public static final int ETH_P_8021Q = 0x8100;
  public static final int ETH_P_8021AD = 0x88A8;
  public static final int IPPROTO_ICMP = 1;
  public static final int IPPROTO_TCP = 6;
  public static final int IPPROTO_UDP = 17;
  public static final int IPPROTO_ICMPV6 = 58;
  public static final int NEXTHDR_HOP = 0;
  public static final int NEXTHDR_ROUTING = 43;
  public static final int NEXTHDR_FRAGMENT = 44;
  public static final int NEXTHDR_DEST = 60;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public static Frames ethernet() {
    return new Frames();
  }

  /** Destination and source MAC (guest-like), without the ethertype. */
  public Frames macs() {
    bytes(0x00, 0x16, 0x3e, 0x4a, 0x00, 0x00);
    bytes(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
    return this;
  }

  public Frames u8(int v) {
    out.write(v & 0xff);
    return this;
  }

  public Frames u16(int v) {
    return u8(v >>> 8).u8(v);
  }

  public Frames u32(long v) {
    return u16((int) (v >>> 16)).u16((int) v);
  }

  public Frames bytes(int... bs) {
    for (int b : bs) {
      u8(b);
    }
    return this;
  }

  public Frames zeros(int n) {
    for (int i = 0; i < n; i++) {
      out.write(0);
    }
    return this;
  }

  /** An 802.1Q (or 802.1ad) tag: TPID then TCI; the caller writes the next ethertype. */
  public Frames tag(int tpid, int vlanId) {
    return u16(tpid).u16(vlanId & 0x0fff);
  }

  /**
   * An IPv4 header: {@code ihl} in 32-bit words (options are zero-filled NOPs... here zeros), {@code fragOffset}
   * in 8-byte units, {@code moreFragments} the MF bit; {@code totalLength} as given (a test may lie).
   */
  public Frames ipv4(int ihl, int totalLength, int protocol, int fragOffset, boolean moreFragments, int[] src, int[] dst) {
    u8(0x40 | (ihl & 0x0f)).u8(0).u16(totalLength).u16(0x1234);
    u16((moreFragments ? 0x2000 : 0) | (fragOffset & 0x1fff));
    u8(64).u8(protocol).u16(0);
    bytes(src).bytes(dst);
    for (int i = 20; i < ihl * 4; i++) {
      u8(1); // NOP options
    }
    return this;
  }

  /** A 40-byte IPv6 header; addresses as 16 bytes. */
  public Frames ipv6(int payloadLength, int nextHeader, int[] src, int[] dst) {
    u32(0x60000000L).u16(payloadLength).u8(nextHeader).u8(64);
    return bytes(src).bytes(dst);
  }

  /** A generic extension header (hop-by-hop, routing, destination options): length in 8-octet units beyond the first 8. */
  public Frames ext(int nextHeader, int hdrExtLen) {
    u8(nextHeader).u8(hdrExtLen);
    return zeros(6 + hdrExtLen * 8);
  }

  /** An IPv6 fragment header; {@code offset} in 8-byte units. */
  public Frames fragment(int nextHeader, int offset, boolean more) {
    return u8(nextHeader).u8(0).u16((offset << 3) | (more ? 1 : 0)).u32(0xabcdef);
  }

  public Frames udp(int sport, int dport, int length) {
    return u16(sport).u16(dport).u16(length).u16(0);
  }

  public Frames tcp(int sport, int dport) {
    u16(sport).u16(dport).u32(1).u32(0).u8(0x50).u8(0x02).u16(65535).u16(0).u16(0);
    return this;
  }

  public Frames icmp(int type, int code) {
    return u8(type).u8(code).u16(0).u32(0);
  }

  public Frames payload(int n) {
    for (int i = 0; i < n; i++) {
      out.write('a' + i % 26);
    }
    return this;
  }

  public int length() {
    return out.size();
  }

  public byte[] build() {
    return out.toByteArray();
  }

  public static int[] v4(int a, int b, int c, int d) {
    return new int[] {a, b, c, d};
  }

  /** 2001:db8::last */
  public static int[] v6(int last) {
    int[] a = new int[16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last & 0xff;
    a[14] = (last >>> 8) & 0xff;
    return a;
  }
}
