package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class AccuracySection implements Section {
  @Override
  public String id() {
    return "accuracy";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("accuracy: not written yet");
  }
}
