package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class PacketPathSection implements Section {
  @Override
  public String id() {
    return "packet-path";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("packet-path: not written yet");
  }
}
