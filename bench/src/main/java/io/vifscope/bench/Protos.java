package io.vifscope.bench;

/** Small builders for the API's messages that several sections ask with. */
final class Protos {
  private Protos() {}

  /** A whole number of seconds as a protobuf Duration (a window). */
  static com.google.protobuf.Duration seconds(long s) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(s).build();
  }
}
