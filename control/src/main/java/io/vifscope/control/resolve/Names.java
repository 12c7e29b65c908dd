package io.vifscope.control.resolve;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Names from any source are data, not text to trust: control characters are escaped, length is capped, and
 * they never reach a shell.
 */
public final class Names {
  /** Longest name kept; longer ones are cut and marked with "...". */
  public static final int MAX_LENGTH = 128;
  private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

  private Names() {}

  /** Escapes control characters (C0, DEL, C1) as \\xNN and caps the length. */
  public static String clean(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), MAX_LENGTH + 8));
    for (int i = 0; i < s.length() && out.length() < MAX_LENGTH; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\') {
        out.append(c == '\\' ? "\\\\" : String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (out.length() >= MAX_LENGTH && s.length() > MAX_LENGTH) {
      out.setLength(MAX_LENGTH);
      out.append("...");
    }
    return out.toString();
  }

  /** A canonical lower-case UUID, or "" for anything that is not one. */
  public static String cleanUuid(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip().toLowerCase(Locale.ROOT);
    return UUID.matcher(t).matches() ? t : "";
  }

  /** A lower-case colon-separated MAC, or "" for anything that is not one. */
  public static String cleanMac(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip().toLowerCase(Locale.ROOT).replace('-', ':');
    return MAC.matcher(t).matches() ? t : "";
  }
}
