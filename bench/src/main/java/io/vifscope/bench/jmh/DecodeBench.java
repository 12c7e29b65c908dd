package io.vifscope.bench.jmh;

import io.vifscope.probe.FlowCounts;
import io.vifscope.probe.FlowKey;
import io.vifscope.probe.FlowStats;
import io.vifscope.probe.MapReader;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding the flow map: raw {@code struct vs_flow_key} keys and per-CPU {@code struct vs_flow_stats} values, laid
 * out as {@code BPF_MAP_LOOKUP_BATCH} returns them, turned into Java objects by the same visitor code as
 * {@code Probe.snapshot()}. No syscall: the bytes are already in a direct buffer, so this is the Java side only.
 *
 * <p>One operation decodes every entry of the map ({@code flows} of them). MapReader hands them over in batches
 * of {@value MapReader#DEFAULT_BATCH}; the per-entry work is the same, so the buffer here is one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DecodeBench {
  /** Entries in the flow map. */
  @Param({"4096", "65536"})
  public int flows;

  private ByteBuffer keys;
  private ByteBuffer values;
  /** Reused across operations, as the agent's poller reuses its own. */
  private FlowCounts.Builder builder;

  @Setup(Level.Trial)
  public void encode() {
    SyntheticTraffic traffic = new SyntheticTraffic(flows);
    keys = traffic.encodeKeys();
    values = traffic.encodeValues();
    builder = new FlowCounts.Builder(flows);
  }

  /** What {@code Probe.snapshot()} does with the flow map: raw keys and summed values into FlowCounts' arrays. */
  @Benchmark
  public FlowCounts decodeIntoFlowCounts() {
    builder.clear();
    visitAll(builder::addEntry);
    return builder.build();
  }

  /** The decode before FlowCounts: a new HashMap of decoded keys and summed values, for comparison. */
  @Benchmark
  public Map<FlowKey, FlowStats> decodeIntoMap() {
    Map<FlowKey, FlowStats> m = new HashMap<>();
    visitAll((k, ko, v, vo, stride, cpus) -> m.put(FlowKey.decode(k, ko), FlowStats.sum(v, vo, stride, cpus)));
    return m;
  }

  /** The decoding alone (keys and per-CPU sums into objects), without the map: how much of the above is hashing. */
  @Benchmark
  public void decodeOnly(Blackhole bh) {
    visitAll((k, ko, v, vo, stride, cpus) -> {
      bh.consume(FlowKey.decode(k, ko));
      bh.consume(FlowStats.sum(v, vo, stride, cpus));
    });
  }

  /** Hands every entry to the visitor the way MapReader does after a batch call. */
  private void visitAll(MapReader.Visitor visitor) {
    int valueSize = SyntheticTraffic.VALUE_STRIDE * SyntheticTraffic.CPUS;
    for (int i = 0; i < flows; i++) {
      visitor.entry(keys, i * FlowKey.SIZE, values, i * valueSize, SyntheticTraffic.VALUE_STRIDE,
          SyntheticTraffic.CPUS);
    }
  }
}
