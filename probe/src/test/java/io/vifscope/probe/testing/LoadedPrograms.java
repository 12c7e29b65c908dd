package io.vifscope.probe.testing;

import java.util.List;

/**
 * The host's loaded BPF programs (bpftool), for tests that check nothing of ours is left. The kernel frees a
 * program after its last fd and link close through deferred work (RCU), so a program can still be listed for a
 * moment after its process exited: the check waits for that, not more.
 */
public final class LoadedPrograms {
  /** How long a released program may still be listed. */
  private static final long RELEASE_NANOS = 5_000_000_000L;

  private LoadedPrograms() {}

  /**
   * Waits until no loaded program's name starts with any of {@code names}; throws an AssertionError with the
   * listing if one still is after the release allowance.
   */
  public static void assertNoneNamed(String what, String... names) throws Exception {
    long deadline = System.nanoTime() + RELEASE_NANOS;
    String progs;
    do {
      progs = Sh.run("bpftool", "prog", "show");
      if (!anyNamed(progs, List.of(names))) {
        return;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError(what + ":\n" + progs);
  }

  private static boolean anyNamed(String listing, List<String> names) {
    for (String n : names) {
      if (listing.contains("name " + n)) {
        return true;
      }
    }
    return false;
  }
}
