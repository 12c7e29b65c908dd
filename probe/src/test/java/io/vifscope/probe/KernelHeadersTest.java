package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BCC's header lookup, on a temporary directory standing for /lib/modules; no root needed. */
class KernelHeadersTest {
  private static final String RELEASE = "6.18.0-test";

  @TempDir
  Path root;

  private Path modules() {
    return root.resolve("lib/modules");
  }

  private Path noKheaders() {
    return root.resolve("sys/kernel/kheaders.tar.xz");
  }

  @Test
  void missingBuildDirectoryIsNamedWithWhatToDo() {
    IOException e = assertThrows(IOException.class,
        () -> KernelHeaders.locate(null, modules(), RELEASE, noKheaders()));
    String m = e.getMessage();
    assertTrue(m.contains(modules().resolve(RELEASE).resolve("build") + " does not exist"), m);
    assertTrue(m.contains("linux-headers-" + RELEASE) && m.contains("BCC_KERNEL_SOURCE"), m);
    assertTrue(m.contains(noKheaders().toString()), "says the kernel's own archive is missing too: " + m);
  }

  @Test
  void danglingBuildLinkIsNamed() throws IOException {
    Path dir = Files.createDirectories(modules().resolve(RELEASE));
    Files.createSymbolicLink(dir.resolve("build"), root.resolve("gone"));
    IOException e = assertThrows(IOException.class,
        () -> KernelHeaders.locate(null, modules(), RELEASE, noKheaders()));
    assertTrue(e.getMessage().contains(dir.resolve("build") + " does not exist"), e.getMessage());
  }

  @Test
  void treeWithoutIncludeIsNamed() throws IOException {
    Path build = Files.createDirectories(modules().resolve(RELEASE).resolve("build"));
    IOException e = assertThrows(IOException.class,
        () -> KernelHeaders.locate(null, modules(), RELEASE, noKheaders()));
    assertTrue(e.getMessage().contains(build.resolve("include") + " does not exist"), e.getMessage());
  }

  @Test
  void debianSplitTreeUsesSourceLikeBcc() throws IOException {
    Path dir = modules().resolve(RELEASE);
    Files.createDirectories(dir.resolve("build/include"));
    Files.createDirectories(dir.resolve("source/include"));
    assertEquals(dir.resolve("source"), KernelHeaders.locate(null, modules(), RELEASE, noKheaders()));
    assertEquals(dir.resolve("source"), KernelHeaders.locate("", modules(), RELEASE, noKheaders()),
        "an empty variable counts as unset, as in BCC");
  }

  @Test
  void buildAloneIsUsed() throws IOException {
    Path build = Files.createDirectories(modules().resolve(RELEASE).resolve("build/include")).getParent();
    assertEquals(build, KernelHeaders.locate(null, modules(), RELEASE, noKheaders()));
  }

  @Test
  void environmentVariableWinsAndIsNamedWhenWrong() throws IOException {
    Files.createDirectories(modules().resolve(RELEASE).resolve("build/include"));
    IOException e = assertThrows(IOException.class,
        () -> KernelHeaders.locate("/nonexistent/headers", modules(), RELEASE, noKheaders()));
    String m = e.getMessage();
    assertTrue(m.contains("BCC_KERNEL_SOURCE=/nonexistent/headers") && m.contains("/nonexistent/headers does not exist"),
        m);
    Path tree = Files.createDirectories(root.resolve("tree/include")).getParent();
    assertEquals(tree, KernelHeaders.locate(tree.toString(), modules(), RELEASE, noKheaders()));
  }

  @Test
  void kernelArchiveServesWhenNoTreeIs() throws IOException {
    Path archive = root.resolve("kheaders.tar.xz");
    Files.writeString(archive, "xz");
    assertEquals(archive, KernelHeaders.locate(null, modules(), RELEASE, archive));
  }
}
