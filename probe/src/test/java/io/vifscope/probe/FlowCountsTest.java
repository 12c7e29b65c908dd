package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import org.junit.jupiter.api.Test;

/**
 * The flow map's primitive form: raw keys kept as the kernel laid them out and decoded back to the same
 * {@link FlowKey}, per-CPU values summed, and a reused builder. The struct's offsets themselves are checked
 * against the objects' BTF by {@link AbiLayoutTest}.
 */
class FlowCountsTest {
  /** Keys with every field at values that break a signed or narrow decode: high ports, VLAN 4095, IPv6. */
  private static final List<FlowKey> KEYS = List.of(
      new FlowKey(7, Direction.INGRESS, 4, 17, 0, 0, 40_000, 514, 0xC612_0A02L << 32, 0, 0xC612_0A63L << 32, 0),
      new FlowKey(Integer.MAX_VALUE, Direction.EGRESS, 6, 58, FlowKey.FLAG_FRAGMENT, 4095, 65_535, 65_534,
          0x2001_0db8_ffff_0001L, 0x8000_0000_0000_00ffL, 0x2001_0db8_0000_0002L, -1L),
      new FlowKey(1, Direction.EGRESS, 4, 1, 0, 100, 8, 0, 0xFFFF_FFFFL << 32, 0, 0x0101_0101L << 32, 0));

  @Test
  void encodedKeysDecodeToThemselves() {
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    for (FlowKey k : KEYS) {
      k.encode(raw, 0);
      assertEquals(k, FlowKey.decode(raw, 0));
    }
  }

  @Test
  void fieldsReadFromRawWordsAgreeWithTheDecode() {
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    FlowCounts.Builder b = new FlowCounts.Builder(KEYS.size());
    for (FlowKey k : KEYS) {
      k.encode(raw, 0);
      b.add(raw, 0, 1, 1);
    }
    FlowCounts c = b.build();
    long[] w = c.keyWords();
    for (int i = 0; i < c.size(); i++) {
      FlowKey k = KEYS.get(i);
      int off = i * FlowCounts.KEY_WORDS;
      assertEquals(k.ifindex(), FlowCounts.ifindex(w, off), k.toString());
      assertEquals(k.direction().ordinal(), FlowCounts.direction(w, off), k.toString());
      assertEquals(k.family(), FlowCounts.family(w, off), k.toString());
      assertEquals(k.protocol(), FlowCounts.protocol(w, off), k.toString());
      assertEquals(k.dport(), FlowCounts.dport(w, off), k.toString());
      assertEquals(k.sourceAddress(),
          FlowCounts.address(k.family(), w[off + FlowCounts.SADDR_WORD], w[off + FlowCounts.SADDR_WORD + 1]));
      assertEquals(k.destinationAddress(),
          FlowCounts.address(k.family(), w[off + FlowCounts.DADDR_WORD], w[off + FlowCounts.DADDR_WORD + 1]));
    }
  }

  @Test
  void keysAreTheKernelsBytes() {
    // struct vs_flow_key: ifindex in host order at 0, ports in host order at 10 and 12, addresses in network
    // order from 16: the decode of the raw words must read them exactly there.
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    raw.putInt(0, 42).put(4, (byte) 1).put(5, (byte) 4).put(6, (byte) 17).putShort(10, (short) 53_000)
        .putShort(12, (short) 514);
    raw.put(16, (byte) 198).put(17, (byte) 18).put(18, (byte) 10).put(19, (byte) 2);
    raw.put(32, (byte) 198).put(33, (byte) 18).put(34, (byte) 10).put(35, (byte) 99);
    FlowCounts.Builder b = new FlowCounts.Builder(1);
    b.add(raw, 0, 3, 300);
    FlowKey k = b.build().key(0);
    assertEquals(42, k.ifindex());
    assertEquals(Direction.EGRESS, k.direction());
    assertEquals(53_000, k.sport());
    assertEquals(514, k.dport());
    assertEquals("/198.18.10.2", k.sourceAddress().toString());
    assertEquals("/198.18.10.99", k.destinationAddress().toString());
  }

  @Test
  void entriesSumTheirCpusAndRoundTripThroughTheMapView() {
    int cpus = 3;
    int stride = 16; // struct vs_flow_stats, 8-byte aligned per CPU
    ByteBuffer keys = ByteBuffer.allocate(KEYS.size() * FlowKey.SIZE).order(ByteOrder.nativeOrder());
    ByteBuffer values = ByteBuffer.allocate(KEYS.size() * stride * cpus).order(ByteOrder.nativeOrder());
    Map<FlowKey, FlowStats> expected = new HashMap<>();
    for (int i = 0; i < KEYS.size(); i++) {
      KEYS.get(i).encode(keys, i * FlowKey.SIZE);
      long p = 0;
      long by = 0;
      for (int c = 0; c < cpus; c++) {
        long cp = 1L << (10 * c + i);
        long cb = (1L << 40) + c * 1_000 + i;
        values.putLong((i * cpus + c) * stride, cp);
        values.putLong((i * cpus + c) * stride + 8, cb);
        p += cp;
        by += cb;
      }
      expected.put(KEYS.get(i), new FlowStats(p, by));
    }
    FlowCounts.Builder b = new FlowCounts.Builder(0); // grows from its minimum
    for (int i = 0; i < KEYS.size(); i++) {
      b.addEntry(keys, i * FlowKey.SIZE, values, i * stride * cpus, stride, cpus);
    }
    FlowCounts counts = b.build();
    assertEquals(KEYS.size(), counts.size());
    assertEquals(expected, counts.asMap());
    assertSame(counts.asMap(), counts.asMap(), "the map view is built once");
    assertEquals(expected, FlowCounts.of(expected).asMap());
  }

  @Test
  void aClearedBuilderIsReusedAndGrows() {
    ByteBuffer raw = ByteBuffer.allocate(FlowKey.SIZE).order(ByteOrder.nativeOrder());
    FlowCounts.Builder b = new FlowCounts.Builder(1);
    for (int i = 0; i < 100; i++) {
      new FlowKey(i + 1, Direction.INGRESS, 4, 6, 0, 0, i, 80, (long) i << 32, 0, 0, 0).encode(raw, 0);
      b.add(raw, 0, i, 10L * i);
    }
    assertEquals(100, b.build().size());
    b.clear();
    KEYS.get(1).encode(raw, 0);
    b.add(raw, 0, 5, 50);
    FlowCounts again = b.build();
    assertEquals(1, again.size());
    assertEquals(Map.of(KEYS.get(1), new FlowStats(5, 50)), again.asMap());
  }

  @Test
  void aSnapshotWithoutFlowsKeepsTheirCount() {
    Map<FlowKey, FlowStats> flows = new HashMap<>();
    for (FlowKey k : KEYS) {
      flows.put(k, new FlowStats(1, 1));
    }
    ProbeSnapshot s = new ProbeSnapshot(1, new SoftirqStats[0][], List.of(), Map.of(), flows, Map.of(), 1024,
        Map.of());
    assertEquals(KEYS.size(), s.flowEntries());
    ProbeSnapshot light = s.withoutFlows();
    assertEquals(KEYS.size(), light.flowEntries());
    assertEquals(0, light.flowCounts().size());
    for (Entry<FlowKey, FlowStats> e : s.flows().entrySet()) {
      assertEquals(flows.get(e.getKey()), e.getValue());
    }
  }
}
