package io.vifscope.control.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config file the package installs as /etc/vifscope/agent.conf ({@code packaging/agent.conf}): as shipped
 * it means the defaults, it documents every key, and every example line in it is a valid setting.
 *
 * <p>An example line is a commented setting, {@code #key = value} (no space after the '#'; prose comments
 * have one). Keys the agent does not know fail the test, so the file cannot document a setting that does
 * not exist.
 */
class PackagedConfigTest {
  private static final Path SHIPPED = Path.of("..", "packaging", "agent.conf");
  private static final Pattern EXAMPLE = Pattern.compile("#([a-z][a-z-]*) = (.+)");

  @TempDir Path dir;

  /** The example lines, by key, in file order. */
  private static Map<String, String> examples() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(SHIPPED)) {
      Matcher m = EXAMPLE.matcher(line.strip());
      if (m.matches()) {
        String before = out.put(m.group(1), m.group(2).strip());
        assertEquals(null, before, "key documented twice: " + m.group(1));
      }
    }
    return out;
  }

  private static AgentConfig load(Path file) throws AgentConfig.InvalidConfigException {
    return AgentConfig.load(Map.of(AgentConfig.CONFIG, List.of(file.toString())), g -> true);
  }

  @Test
  void asShippedItMeansTheDefaults() throws Exception {
    AgentConfig fromFile = load(SHIPPED);
    AgentConfig defaults = AgentConfig.load(Map.of(), g -> true);
    for (RecordComponent c : AgentConfig.class.getRecordComponents()) {
      if (c.getName().equals("configFile")) {
        continue;
      }
      assertEquals(c.getAccessor().invoke(defaults), c.getAccessor().invoke(fromFile), c.getName());
    }
  }

  @Test
  void everyKeyIsDocumentedAndEveryDocumentedKeyExists() throws Exception {
    Set<String> documented = new TreeSet<>(examples().keySet());
    Set<String> missing = new TreeSet<>(AgentConfig.KEYS);
    missing.removeAll(documented);
    assertTrue(missing.isEmpty(), "keys without an example line in " + SHIPPED + ": " + missing);
    Set<String> unknown = new TreeSet<>(documented);
    AgentConfig.KEYS.forEach(unknown::remove);
    assertTrue(unknown.isEmpty(), "documented in " + SHIPPED + " but unknown to AgentConfig: " + unknown);
  }

  /**
   * All example lines uncommented together make a valid config: the values are spelled right and fit each
   * other. The files they name (certificates, keys) do not exist here, so each is replaced by a readable file.
   */
  @Test
  void theExamplesTogetherAreAValidConfig() throws Exception {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, String> e : examples().entrySet()) {
      String value = e.getValue();
      if (value.startsWith("/etc/vifscope/")) {
        Path standIn = dir.resolve(Path.of(value).getFileName());
        Files.writeString(standIn, "stand-in\n");
        value = standIn.toString();
      }
      lines.add(e.getKey() + " = " + value);
    }
    Path file = dir.resolve("agent.conf");
    Files.write(file, lines);
    AgentConfig cfg = load(file);
    assertTrue(cfg.listen().isPresent(), "the example's listen line was not read");
    assertFalse(cfg.include().isEmpty(), "the example's include line was not read");
  }
}
