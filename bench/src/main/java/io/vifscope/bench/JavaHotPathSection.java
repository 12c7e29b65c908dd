package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class JavaHotPathSection implements Section {
  @Override
  public String id() {
    return "java";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("java: not written yet");
  }
}
