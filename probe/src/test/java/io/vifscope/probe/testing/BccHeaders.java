package io.vifscope.probe.testing;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Kernel headers for BCC on this test machine. Its kernel (6.18) has no headers package; Debian's 6.1 headers
 * (linux-headers-amd64) serve programs that use only UAPI types and tracepoint arguments, as vifscope's do. BCC
 * looks in {@code /lib/modules/$(uname -r)/build} (generated headers; Debian's {@code -amd64} directory) and
 * {@code .../source} (the rest; {@code -common}), so this links the two there when they are missing, and removes
 * exactly what it created on close. Links or trees already there are used and left alone.
 */
public final class BccHeaders implements AutoCloseable {
  private final Path build;
  private final List<Path> created;

  private BccHeaders(Path build, List<Path> created) {
    this.build = build;
    this.created = created;
  }

  /** Makes sure BCC finds headers, with the links it needs; close removes what it created. */
  public static BccHeaders ensure() throws IOException {
    String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    Path dir = Path.of("/lib/modules", release);
    Path build = dir.resolve("build");
    List<Path> created = new ArrayList<>();
    if (Files.exists(build)) {
      return new BccHeaders(build, created);
    }
    Path headers;
    try (var s = Files.list(Path.of("/usr/src"))) {
      headers = s.filter(p -> p.getFileName().toString().matches("linux-headers-.*-amd64")).sorted()
          .reduce((a, b) -> b).orElseThrow(() -> new IOException("no /usr/src/linux-headers-*-amd64: install "
              + "linux-headers-amd64 (make deps)"));
    }
    Path common = Path.of(headers.toString().replaceFirst("-amd64$", "-common"));
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        created.add(dir);
      }
      link(build, headers, created);
      if (!Files.exists(dir.resolve("source")) && Files.isDirectory(common)) {
        link(dir.resolve("source"), common, created);
      }
    } catch (IOException | RuntimeException e) {
      new BccHeaders(build, created).close();
      throw e;
    }
    return new BccHeaders(build, created);
  }

  private static void link(Path at, Path target, List<Path> created) throws IOException {
    try {
      Files.createSymbolicLink(at, target);
      created.add(at);
    } catch (FileAlreadyExistsException e) {
      // another run (the benchmark's bcc section) made it in between: it is theirs to remove
    }
  }

  /** Where the headers are, and whether this run linked them. */
  public String describe() {
    try {
      return build + " -> " + build.toRealPath() + (created.isEmpty() ? " (present)" : " (linked for the run)");
    } catch (IOException e) {
      return build.toString();
    }
  }

  /** True when this run created links (and so removes them on close). */
  public boolean linked() {
    return !created.isEmpty();
  }

  @Override
  public void close() throws IOException {
    for (int i = created.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(created.get(i));
    }
    created.clear();
  }
}
