package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class BccSection implements Section {
  @Override
  public String id() {
    return "bcc";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("bcc: not written yet");
  }
}
