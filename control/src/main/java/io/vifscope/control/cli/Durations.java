package io.vifscope.control.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the CLI's durations (500ms, 10s, 5m, 1h) into protobuf Durations. */
final class Durations {
  private static final Pattern D = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  private Durations() {}

  static com.google.protobuf.Duration parse(String option, String text) {
    Matcher m = D.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + ": '" + text + "' is not a duration like 500ms, 10s, 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    long ms = switch (m.group(2)) {
      case "ms" -> n;
      case "s" -> n * 1000;
      case "m" -> n * 60_000;
      default -> n * 3_600_000;
    };
    return com.google.protobuf.Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  static java.time.Duration toJava(com.google.protobuf.Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
