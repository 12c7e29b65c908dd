package io.vifscope.control.rank;

import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.FlowKey;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Packets and bytes per flow over a window, in arrays: entry {@code i} is a flow with traffic in the window
 * (never one with zero packets and zero bytes).
 * A window of 65k flows is built per query and per metrics scrape; arrays cost three objects where a map costs
 * two per flow. {@link #asMap()} is the map view for tests and one-off readers (built once, on first use).
 *
 * <p>Immutable once built.
 */
public final class FlowWindow {
  public static final FlowWindow EMPTY = new FlowWindow(0, new FlowKey[0], new long[0], new long[0]);

  /**
   * Receives the flows of a window one by one instead of a FlowWindow (see {@link History#window(java.time.Duration,
   * Visitor)}): for a reader that aggregates them, so that a window over 65k flows allocates nothing per flow.
   */
  @FunctionalInterface
  public interface Visitor {
    /**
     * One flow with traffic in the window; its raw key is {@code words[off .. off + FlowCounts.KEY_WORDS)} (read
     * its fields with FlowCounts' accessors), valid during the call only.
     */
    void flow(long[] words, int off, long packets, long bytes);
  }

  /** Hands every flow of this window to {@code v} (keys encoded into raw words, as the history holds them). */
  public void visit(Visitor v) {
    long[] words = new long[FlowCounts.KEY_WORDS];
    java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(FlowKey.SIZE).order(java.nio.ByteOrder.nativeOrder());
    for (int i = 0; i < size; i++) {
      keys[i].encode(raw, 0);
      for (int w = 0; w < words.length; w++) {
        words[w] = raw.getLong(w * Long.BYTES);
      }
      v.flow(words, 0, packets[i], bytes[i]);
    }
  }

  private final int size;
  private final FlowKey[] keys;
  private final long[] packets;
  private final long[] bytes;
  private volatile Map<FlowKey, long[]> map;

  FlowWindow(int size, FlowKey[] keys, long[] packets, long[] bytes) {
    this.size = size;
    this.keys = keys;
    this.packets = packets;
    this.bytes = bytes;
  }

  /** The flows with traffic from a map of {packets, bytes} (tests, fixtures). */
  public static FlowWindow of(Map<FlowKey, long[]> flows) {
    int n = flows.size();
    FlowKey[] k = new FlowKey[n];
    long[] p = new long[n];
    long[] b = new long[n];
    int i = 0;
    for (Map.Entry<FlowKey, long[]> e : flows.entrySet()) {
      long[] v = e.getValue();
      if (v[WindowStats.PACKETS] != 0 || v[WindowStats.BYTES] != 0) {
        k[i] = e.getKey();
        p[i] = v[WindowStats.PACKETS];
        b[i] = v[WindowStats.BYTES];
        i++;
      }
    }
    return new FlowWindow(i, k, p, b);
  }

  public int size() {
    return size;
  }

  public FlowKey key(int i) {
    return keys[i];
  }

  public long packets(int i) {
    return packets[i];
  }

  public long bytes(int i) {
    return bytes[i];
  }

  /** Flow → {packets, bytes} ({@link WindowStats#PACKETS}, {@link WindowStats#BYTES}), built on first call. */
  public Map<FlowKey, long[]> asMap() {
    Map<FlowKey, long[]> m = map;
    if (m == null) {
      Map<FlowKey, long[]> built = new HashMap<>((int) (size / 0.75f) + 1);
      for (int i = 0; i < size; i++) {
        built.put(keys[i], new long[] {packets[i], bytes[i]});
      }
      m = Collections.unmodifiableMap(built);
      map = m;
    }
    return m;
  }
}
