package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class MapReadSection implements Section {
  @Override
  public String id() {
    return "map-reads";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("map-reads: not written yet");
  }
}
