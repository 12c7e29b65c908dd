package io.vifscope.control.server;

import java.util.Locale;

/** Human-formatted numbers: 148k, 56M. */
public final class Format {
  private Format() {}

  /** 950, 1.2k, 148k, 3.4M, 12G. */
  public static String count(double v) {
    double a = Math.abs(v);
    if (a < 1000) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    String[] units = {"k", "M", "G", "T"};
    int u = -1;
    while (a >= 1000 && u < units.length - 1) {
      a /= 1000;
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, a < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
  }
}
