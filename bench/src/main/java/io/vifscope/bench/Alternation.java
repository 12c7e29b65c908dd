package io.vifscope.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs variants in alternation, A B C A B C …, rotating which goes first in each round so that drift on a noisy
 * machine (another tenant, thermal state) falls on every variant alike. Each run yields named measurements.
 */
public final class Alternation {
  /** One variant: a name and one measured run of it. */
  public interface Variant {
    String name();

    /** One run; returns named values (e.g. "ns_per_packet", "pps"). */
    Map<String, Double> run() throws Exception;
  }

  private Alternation() {}

  /** Samples per variant, then per measurement name, in the order the variants were given. */
  public static Map<String, Map<String, List<Double>>> run(List<Variant> variants, int rounds, BenchContext ctx)
      throws Exception {
    Map<String, Map<String, List<Double>>> out = new LinkedHashMap<>();
    variants.forEach(v -> out.put(v.name(), new LinkedHashMap<>()));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < variants.size(); i++) {
        Variant v = variants.get((i + r) % variants.size());
        Map<String, Double> m = v.run();
        ctx.say("round %d/%d %-22s %s", r + 1, rounds, v.name(), m);
        m.forEach((k, val) -> out.get(v.name()).computeIfAbsent(k, x -> new ArrayList<>()).add(val));
      }
    }
    return out;
  }
}
