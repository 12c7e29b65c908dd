package io.vifscope.control.server;

import java.util.Locale;

/** Human-formatted numbers: 148k, 56M. */
public final class Format {
  private Format() {}

  /** 950, 1.2k, 148k, 3.4M, 12G. */
  public static String count(double v) {
    double a = Math.abs(v);
    if (a < 999.5) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    String[] units = {"k", "M", "G", "T"};
    int u = -1;
    while (a >= 999.5 && u < units.length - 1) {
      a /= 1000;
      v /= 1000;
      u++;
    }
    // 9.97k rounds to "10.0k" with one decimal: from 9.95 on, print it as "10k" like the rest of that range.
    return String.format(Locale.ROOT, a < 9.95 ? "%.1f%s" : "%.0f%s", v, units[u]);
  }
}
