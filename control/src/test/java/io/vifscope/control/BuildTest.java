package io.vifscope.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.Version;
import io.vifscope.control.cli.Main;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.io.StringWriter;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Checks on what the build puts together: one Netty, a real version string, the command's help. */
class BuildTest {

  @Test
  void exactlyOneNettyVersionIsOnTheClasspath() {
    Map<String, Version> artifacts = Version.identify();
    assertFalse(artifacts.isEmpty(), "netty reports no artifacts: classpath without Netty?");
    Set<String> versions = new TreeSet<>();
    Map<String, String> byArtifact = new TreeMap<>();
    artifacts.forEach((name, v) -> {
      versions.add(v.artifactVersion());
      byArtifact.put(name, v.artifactVersion());
    });
    assertEquals(1, versions.size(), "several Netty versions on the classpath: " + byArtifact);
    assertTrue(byArtifact.containsKey("netty-codec-http2"), "grpc-netty's transport is missing: " + byArtifact);
    assertTrue(byArtifact.containsKey("netty-transport-native-epoll"), "epoll (unix sockets) missing: " + byArtifact);
  }

  @Test
  void versionComesFromTheBuild() {
    StringWriter out = new StringWriter();
    CommandLine cmd = Main.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    assertEquals(0, cmd.execute("--version"));
    assertTrue(out.toString().matches("vifscope \\d+\\.\\d+\\.\\d+.*\\R"), out.toString());
  }

  @Test
  void everyCommandsHelpEndsWithExamples() {
    CommandLine root = Main.newCommandLine();
    List<String> names = new ArrayList<>();
    names.add("");
    root.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).forEach(names::add);
    assertTrue(names.containsAll(List.of("agent", "top", "diagnose", "softirq", "ifaces", "domains", "status", "demo")),
        names.toString());
    for (String name : names) {
      StringWriter out = new StringWriter();
      CommandLine cmd = Main.newCommandLine();
      cmd.setOut(new PrintWriter(out));
      assertEquals(0, name.isEmpty() ? cmd.execute("--help") : cmd.execute(name, "--help"), name);
      String help = out.toString().strip();
      int examples = help.lastIndexOf("Examples:");
      assertTrue(examples > 0, "no examples in the help of '" + name + "': " + help);
      String after = help.substring(examples);
      assertTrue(after.lines().skip(1).allMatch(l -> l.isEmpty() || l.startsWith("  ")), name + ": " + after);
      assertTrue(after.contains("vifscope"), name + ": " + after);
    }
  }

  /** Asks the generated completion script, as bash would on TAB, what completes {@code words}. */
  private static String complete(String... words) throws Exception {
    String script = "source target/vifscope_completion.bash; COMP_WORDS=(" + String.join(" ", words) + "); "
        + "COMP_CWORD=" + (words.length - 1) + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; "
        + "_complete_vifscope vifscope \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\" 2>/dev/null; "
        + "printf '%s\\n' \"${COMPREPLY[@]}\"";
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  void theBuildGeneratesABashCompletionThatKnowsTheCommands() throws Exception {
    assertTrue(java.nio.file.Files.isRegularFile(java.nio.file.Path.of("target/vifscope_completion.bash")),
        "the build did not generate target/vifscope_completion.bash");
    assertEquals("top\n", complete("vifscope", "to"));
    assertEquals("diagnose\ndomains\ndemo\n".lines().sorted().toList(),
        complete("vifscope", "d").lines().sorted().toList());
    assertEquals("--group\n", complete("vifscope", "top", "--gr"));
    assertTrue(complete("vifscope", "diagnose", "--").contains("--guest-pps"));
  }
}
