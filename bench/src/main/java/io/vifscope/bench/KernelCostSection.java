package io.vifscope.bench;

/** Placeholder while the section is written: it reports itself as not implemented (the run fails). */
final class KernelCostSection implements Section {
  @Override
  public String id() {
    return "kernel-cost";
  }

  @Override
  public SectionResult run(BenchContext ctx) {
    throw new UnsupportedOperationException("kernel-cost: not written yet");
  }
}
