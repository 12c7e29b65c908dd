package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class ServiceSection implements Section {
  @Override
  public String id() {
    return "service";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("service: not written yet");
  }
}
