package io.vifscope.probe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The flow map as read at one moment, in primitive arrays: entry {@code i} has a key of {@link #KEY_WORDS} longs
 * (the 48 bytes of {@code struct vs_flow_key} exactly as the kernel laid them out, read in native byte order)
 * and its packets and bytes summed over CPUs. The agent reads 65k flows every second; holding them this way
 * costs three arrays per poll instead of three objects and a map entry per flow, and lets the history match a
 * flow by comparing six longs. {@link #key(int)} decodes one entry into a {@link FlowKey}; {@link #asMap()} gives
 * the map view tests and one-off readers want (built once, on first use).
 *
 * <p>Immutable once built; safe to share between threads after that.
 */
public final class FlowCounts {
  /** Longs per key: sizeof(struct vs_flow_key) / 8. */
  public static final int KEY_WORDS = FlowKey.SIZE / Long.BYTES;

  public static final FlowCounts EMPTY = new Builder(0).build();

  private final int size;
  private final long[] keys;
  private final long[] packets;
  private final long[] bytes;
  private volatile Map<FlowKey, FlowStats> map;

  private FlowCounts(int size, long[] keys, long[] packets, long[] bytes) {
    this.size = size;
    this.keys = keys;
    this.packets = packets;
    this.bytes = bytes;
  }

  /** The same flows from a map (tests, replayed recordings). */
  public static FlowCounts of(Map<FlowKey, FlowStats> flows) {
    Builder b = new Builder(flows.size());
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    for (Map.Entry<FlowKey, FlowStats> e : flows.entrySet()) {
      e.getKey().encode(raw, 0);
      b.add(raw, 0, e.getValue().packets(), e.getValue().bytes());
    }
    return b.build();
  }

  /** Entries present. */
  public int size() {
    return size;
  }

  /** Word {@code w} (0 to {@link #KEY_WORDS} - 1) of entry {@code i}'s raw key. */
  public long keyWord(int i, int w) {
    return keys[i * KEY_WORDS + w];
  }

  /** The raw key words of every entry, {@link #KEY_WORDS} per entry (not a copy: do not modify). */
  public long[] keyWords() {
    return keys;
  }

  public long packets(int i) {
    return packets[i];
  }

  public long bytes(int i) {
    return bytes[i];
  }

  /** Entry {@code i}'s key, decoded. */
  public FlowKey key(int i) {
    return decode(keys, i * KEY_WORDS);
  }

  /** Decodes the raw key words at {@code words[off..off + KEY_WORDS)}. */
  public static FlowKey decode(long[] words, int off) {
    return decode(words, off, ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder()));
  }

  // ---- fields of a raw key, read without decoding it (offsets: struct vs_flow_key, FlowKey.LAYOUT) ---------

  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  /** The unsigned field of {@code size} bytes at byte {@code at} of the raw key starting at {@code off}. */
  private static long field(long[] words, int off, int at, int size) {
    long w = words[off + at / Long.BYTES];
    int shift = LITTLE ? (at % Long.BYTES) * 8 : (Long.BYTES - at % Long.BYTES - size) * 8;
    return (w >>> shift) & (size == 4 ? 0xffff_ffffL : (1L << (size * 8)) - 1);
  }

  public static int ifindex(long[] words, int off) {
    return (int) field(words, off, 0, 4);
  }

  /** The kernel's direction value: 0 ingress, 1 egress ({@link Direction}'s ordinals). */
  public static int direction(long[] words, int off) {
    return (int) field(words, off, 4, 1);
  }

  public static int family(long[] words, int off) {
    return (int) field(words, off, 5, 1);
  }

  public static int protocol(long[] words, int off) {
    return (int) field(words, off, 6, 1);
  }

  public static int dport(long[] words, int off) {
    return (int) field(words, off, 12, 2);
  }

  /** Raw words {@code 2, 3} of a key are its source address, {@code 4, 5} its destination (16 bytes each). */
  public static final int SADDR_WORD = 2;
  public static final int DADDR_WORD = 4;

  /**
   * The address held in two raw key words (IPv4 in the first 4 bytes), e.g. {@code words[off + SADDR_WORD]} and
   * the next one.
   */
  public static java.net.InetAddress address(int family, long first, long second) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    b.putLong(0, first);
    b.putLong(8, second);
    byte[] bytes = new byte[family == 4 ? 4 : 16];
    b.get(0, bytes);
    try {
      return java.net.InetAddress.getByAddress(bytes);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // only thrown for a bad length
    }
  }

  /** The same through a caller's scratch buffer of {@link FlowKey#SIZE} bytes in native order. */
  public static FlowKey decode(long[] words, int off, ByteBuffer scratch) {
    for (int w = 0; w < KEY_WORDS; w++) {
      scratch.putLong(w * Long.BYTES, words[off + w]);
    }
    return FlowKey.decode(scratch, 0);
  }

  /** A map view of every entry (built on first call, then kept). */
  public Map<FlowKey, FlowStats> asMap() {
    Map<FlowKey, FlowStats> m = map;
    if (m == null) {
      Map<FlowKey, FlowStats> built = new HashMap<>((int) (size / 0.75f) + 1);
      for (int i = 0; i < size; i++) {
        built.put(key(i), new FlowStats(packets[i], bytes[i]));
      }
      m = Collections.unmodifiableMap(built);
      map = m;
    }
    return m;
  }

  /** Collects entries in the order they are read; grows as needed. Not thread-safe. */
  public static final class Builder {
    private int size;
    private long[] keys;
    private long[] packets;
    private long[] bytes;

    /** @param expected entries expected (the previous read's count is a good guess) */
    public Builder(int expected) {
      int n = Math.max(16, expected);
      keys = new long[n * KEY_WORDS];
      packets = new long[n];
      bytes = new long[n];
    }

    /**
     * Adds one entry of the flow map as {@link MapReader} hands it over (a {@link MapReader.Visitor}): the raw
     * key, and {@code struct vs_flow_stats} per CPU, summed here.
     */
    public void addEntry(ByteBuffer keys, int keyOffset, ByteBuffer values, int valueOffset, int stride, int cpus) {
      long p = 0;
      long b = 0;
      for (int c = 0; c < cpus; c++) {
        p += values.getLong(valueOffset + c * stride + FlowStats.PACKETS_OFFSET);
        b += values.getLong(valueOffset + c * stride + FlowStats.BYTES_OFFSET);
      }
      add(keys, keyOffset, p, b);
    }

    /** Adds an entry whose raw key starts at {@code keyOffset} in {@code raw} (native byte order). */
    public void add(ByteBuffer raw, int keyOffset, long entryPackets, long entryBytes) {
      if (size == packets.length) {
        int n = size + Math.max(16, size / 2);
        keys = Arrays.copyOf(keys, n * KEY_WORDS);
        packets = Arrays.copyOf(packets, n);
        bytes = Arrays.copyOf(bytes, n);
      }
      int base = size * KEY_WORDS;
      for (int w = 0; w < KEY_WORDS; w++) {
        keys[base + w] = raw.getLong(keyOffset + w * Long.BYTES);
      }
      packets[size] = entryPackets;
      bytes[size] = entryBytes;
      size++;
    }

    /** Empties the builder, keeping its arrays: what {@link #build()} returned before sees them overwritten. */
    public void clear() {
      size = 0;
    }

    /** The entries added so far, over the builder's arrays (no copy). */
    public FlowCounts build() {
      return new FlowCounts(size, keys, packets, bytes);
    }
  }
}
