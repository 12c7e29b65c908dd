package io.vifscope.bench;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What every section gets: quick or full, the source tree (the lab, the built jar), a scratch directory, and a
 * log for progress.
 *
 * @param pairs how many A B rounds each comparison alternates (at least 5)
 */
public record BenchContext(boolean quick, Path repo, Path scratch, PrintStream log, int pairs) {
  public Path jar() {
    return repo.resolve("control/target/vifscope.jar");
  }

  public Path lab() {
    return repo.resolve("lab/dom0");
  }

  public void say(String fmt, Object... args) {
    log.printf("bench: " + fmt + "%n", args);
    log.flush();
  }
}
