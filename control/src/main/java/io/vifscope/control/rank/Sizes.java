package io.vifscope.control.rank;

/**
 * Heap sizes of arrays and small objects on a 64-bit JVM with compressed references, for the cheap memory
 * estimate the status rpc reports. An estimate: object layout is the JVM's business.
 */
final class Sizes {
  /** Array header (mark word, class pointer, length). */
  private static final long ARRAY_HEADER = 16;
  /** A reference, compressed. */
  static final long REF = 4;
  /** A HashMap entry with a small record key and a boxed value, plus its share of the table. */
  static final long MAP_ENTRY = 32 + 32 + 16 + 8;

  private Sizes() {}

  static long ints(int n) {
    return align(ARRAY_HEADER + 4L * n);
  }

  static long longs(int n) {
    return align(ARRAY_HEADER + 8L * n);
  }

  static long refs(int n) {
    return align(ARRAY_HEADER + REF * n);
  }

  private static long align(long bytes) {
    return (bytes + 7) & ~7L;
  }
}
