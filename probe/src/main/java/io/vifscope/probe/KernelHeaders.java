package io.vifscope.probe;

import io.vifscope.probe.libbpf.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the kernel headers BCC will compile against, the way bcc 0.26 does (src/cc/frontends/clang/loader.cc),
 * so that a missing tree is reported before the compile, with what is missing and what to do, instead of as a
 * wall of clang errors:
 *
 * <ol>
 *   <li>{@code BCC_KERNEL_SOURCE}, when set, is the tree;
 *   <li>else {@code /lib/modules/$(uname -r)/source} when both it and {@code .../build} are directories (Debian
 *       splits a tree in two: {@code build} holds the generated headers, {@code source} the rest), else
 *       {@code .../build};
 *   <li>a tree without an {@code include} directory does not count; BCC then unpacks
 *       {@code /sys/kernel/kheaders.tar.xz} (CONFIG_IKHEADERS) when the kernel offers it.
 * </ol>
 */
public final class KernelHeaders {
  /** The variable BCC reads to override the lookup. */
  public static final String ENV = "BCC_KERNEL_SOURCE";
  static final Path MODULES = Path.of("/lib/modules");
  static final Path KHEADERS = Path.of("/sys/kernel/kheaders.tar.xz");

  private KernelHeaders() {}

  /** The tree BCC will use on this host, or an IOException saying what is missing. */
  public static Path locate() throws IOException {
    // libbcc reads the C environment: a test (or an embedding program) may have set it after the JVM started.
    String env = LibC.getenv(ENV);
    String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    return locate(env, MODULES, release, KHEADERS);
  }

  /**
   * Same, with every input given: {@code env} the value of {@code BCC_KERNEL_SOURCE} (null when unset),
   * {@code modules} what stands for /lib/modules, {@code kheaders} for /sys/kernel/kheaders.tar.xz.
   */
  static Path locate(String env, Path modules, String release, Path kheaders) throws IOException {
    Path tree;
    String what;
    if (env != null && !env.isEmpty()) {
      tree = Path.of(env);
      what = ENV + "=" + env;
    } else {
      Path dir = modules.resolve(release);
      Path build = dir.resolve("build");
      Path source = dir.resolve("source");
      tree = Files.isDirectory(build) && Files.isDirectory(source) ? source : build;
      what = tree.toString();
    }
    if (Files.isDirectory(tree.resolve("include"))) {
      return tree;
    }
    if (Files.isRegularFile(kheaders)) {
      return kheaders; // BCC unpacks it to /tmp/kheaders-<release>
    }
    String missing = !Files.exists(tree) ? tree + " does not exist"
        : !Files.isDirectory(tree) ? tree + " is not a directory (a dangling link?)"
        : tree.resolve("include") + " does not exist";
    String fix = env != null && !env.isEmpty()
        ? "point " + ENV + " at a kernel header tree (a directory with include/)"
        : "install the headers of kernel " + release + " (Debian: linux-headers-" + release + ") or set " + ENV;
    throw new IOException("no kernel headers for BCC: " + (what.equals(tree.toString()) ? "" : what + ", and ")
        + missing + ", nor is there " + kheaders + " (CONFIG_IKHEADERS); " + fix);
  }
}
