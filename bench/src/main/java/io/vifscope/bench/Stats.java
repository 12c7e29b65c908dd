package io.vifscope.bench;

import java.util.Arrays;
import java.util.List;

/** Min, median and max of a sample: what every comparison reports, since a lone number means little here. */
public record Stats(double min, double median, double max, int n) {

  public static Stats of(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return new Stats(v[0], median, v[v.length - 1], v.length);
  }

  /** The p-th percentile (0..100) by the nearest-rank method. */
  public static double percentile(List<Double> values, double p) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int rank = (int) Math.ceil(p / 100 * v.length);
    return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
  }
}
