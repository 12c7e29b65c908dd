package io.vifscope.probe;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Mirrors {@code struct vs_napi_key}: the polled device's name; empty means "not a poll" (see {@link NapiStats}). */
public final class NapiKey {
  public static final int NAME_SIZE = 16;
  public static final int SIZE = 16;
  public static final Layout LAYOUT = Layout.of("vs_napi_key", SIZE, "dev_name", 0);
  /** What the report calls the NET_RX time spent outside any poll. */
  public static final String NOT_A_POLL = "";

  private NapiKey() {}

  /** Decodes the NUL-terminated device name. */
  public static String decode(ByteBuffer b, int off) {
    int n = 0;
    while (n < NAME_SIZE && b.get(off + n) != 0) {
      n++;
    }
    byte[] bytes = new byte[n];
    b.get(off, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
