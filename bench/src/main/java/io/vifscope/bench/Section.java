package io.vifscope.bench;

/** One part of the suite. */
public interface Section {
  /** Short id, used by --only and in the results file. */
  String id();

  SectionResult run(BenchContext ctx) throws Exception;
}
