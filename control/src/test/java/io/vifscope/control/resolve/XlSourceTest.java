package io.vifscope.control.resolve;

import static io.vifscope.control.resolve.FixtureRunner.fixture;
import static io.vifscope.control.resolve.FixtureRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The xl source on real-format {@code xl list -l} fixtures (see fixtures/xen/README.md) and on hostile input. */
class XlSourceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final List<String> XL_LIST = List.of("xl", "list", "-l");
  private static final Domain DOM0 = new Domain(0, "Domain-0", "");
  private static final Domain WEB = new Domain(12, "web01", "6b2d8e0f-12a4-4c6b-9d3e-0c0000000012");
  private static final Domain DB = new Domain(13, "db01", "9c4f1a2b-13b5-4d7c-8e4f-0d0000000013");
  private static final Domain WIN = new Domain(21, "win01", "5d1c7a9e-21b3-4f6a-8c2d-150000000021");
  private static final Domain SYSLOG = new Domain(74, "syslog01", "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a");

  @TempDir
  Path tmp;

  private static SourceSnapshot read(String stdout) throws SourceException {
    return new XlSource(new FixtureRunner().on(XL_LIST, ok(stdout))).read(TIMEOUT);
  }

  private static SourceException refused(String stdout) {
    return assertThrows(SourceException.class, () -> read(stdout));
  }

  /** One domain entry in xl's shape, with {@code nics} spliced in as JSON. */
  private static String domain(int domid, String name, String type, String nics) {
    return "{\"domid\": " + domid + ", \"config\": {\"c_info\": {\"type\": \"" + type + "\", \"name\": \"" + name
        + "\"}, \"nics\": [" + nics + "]}}";
  }

  @Test
  void mapsTheLabsGuestsIncludingTheCustomIfname() throws Exception {
    SourceSnapshot s = read(fixture("lab-xl-list-l.json"));
    assertEquals(Map.of(
        "000a17-I", new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false),
        "vif12.0", new GuestNic(WEB, 0, "00:16:3e:0c:00:00", false),
        "vif13.0", new GuestNic(DB, 0, "00:16:3e:0d:00:00", false)), s.byIfname());
    assertEquals(Map.of(0, DOM0, 12, WEB, 13, DB, 74, SYSLOG), s.domains());
  }

  @Test
  void mapsHvmTwinsSeveralNicsAndCustomNames() throws Exception {
    SourceSnapshot s = read(fixture("xl-list-l.json"));
    assertEquals(Map.of(
        "000a17-I", new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false),
        "vif12.0", new GuestNic(WEB, 0, "00:16:3e:0c:00:00", false),
        "vif13.0", new GuestNic(DB, 0, "00:16:3e:0d:00:00", false),
        "vif13.1", new GuestNic(DB, 1, "00:16:3e:0d:00:01", false),
        "vif21.0", new GuestNic(WIN, 0, "00:16:3e:15:00:00", false),
        "vif21.0-emu", new GuestNic(WIN, 0, "00:16:3e:15:00:00", true),
        "win01-b", new GuestNic(WIN, 1, "00:16:3e:15:00:01", false),
        "win01-b-emu", new GuestNic(WIN, 1, "00:16:3e:15:00:01", true)), s.byIfname());
    assertEquals(Map.of(0, DOM0, 12, WEB, 13, DB, 21, WIN, 74, SYSLOG), s.domains());
  }

  @Test
  void withTheLabDownOnlyDom0Shows() throws Exception {
    SourceSnapshot s = read(fixture("lab-xl-list-l-down.json"));
    assertEquals(Map.of(), s.byIfname());
    assertEquals(Map.of(0, DOM0), s.domains());
  }

  @Test
  void anHvmNicWithoutAStoredNictypeStillHasItsTwinAndAPvhOneHasNone() throws Exception {
    SourceSnapshot s = read("[" + domain(30, "hvm", "hvm", "{\"devid\": 0}") + ", "
        + domain(31, "pvh", "pvh", "{\"devid\": 0}") + ", "
        + domain(32, "hvm-hotplugged", "hvm", "{\"devid\": 0, \"nictype\": \"vif\"}") + "]");
    assertEquals(Set.of("vif30.0", "vif30.0-emu", "vif31.0", "vif32.0"), s.byIfname().keySet());
    assertTrue(s.byIfname().get("vif30.0-emu").tap());
  }

  @Test
  void truncatedJsonIsRefusedWholeAtEveryCut() {
    String json = fixture("xl-list-l.json").strip();
    for (int cut = 1; cut < json.length(); cut += 37) {
      String part = json.substring(0, cut);
      SourceException e = assertThrows(SourceException.class, () -> read(part), "cut at " + cut);
      assertTrue(e.getMessage().startsWith("xl list -l: "), e.getMessage());
    }
  }

  @Test
  void malformedJsonIsRefused() {
    for (String bad : List.of(
        "[{\"domid\": 12,, \"config\": {}}]",
        "[{\"domid\": 12, \"config\": {}}] [] ",
        "[{\"domid\": 12, \"config\": {}}] garbage",
        "{\"domid\": 12, \"config\": {}}",
        "[{'domid': 12}]",
        "[{domid: 12}]",
        "[{\"domid\": NaN}]",
        "[/* comment */]",
        "[{\"domid\": 12, \"config\": {\"c_info\": {\"name\": \"a\u0001b\"}}}]",
        "\u0000\u0001\u0002",
        "null",
        "\"[]\"")) {
      SourceException e = assertThrows(SourceException.class, () -> read(bad), bad);
      assertTrue(e.getMessage().startsWith("xl list -l: "), e.getMessage());
    }
  }

  @Test
  void deepNestingIsRefusedQuickly() {
    String deep = "[".repeat(200_000) + "]".repeat(200_000);
    SourceException e = refused(deep);
    assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
  }

  @Test
  void entriesOfTheWrongShapeAreSkippedAndTheRestStillMaps() throws Exception {
    String good = domain(12, "web01", "pv", "{\"devid\": 0, \"mac\": \"00:16:3e:0c:00:00\"}");
    SourceSnapshot s = read("[" + String.join(", ",
        good,
        "42",
        "\"a string\"",
        "{\"domid\": \"13\", \"config\": {}}",
        "{\"domid\": 14.5, \"config\": {}}",
        "{\"domid\": 99999999999999999999, \"config\": {}}",
        "{\"domid\": null, \"config\": {}}",
        "{\"config\": {}}",
        "{\"domid\": 15, \"config\": []}",
        "{\"domid\": 16, \"config\": {\"c_info\": {\"name\": 16}}}",
        "{\"domid\": 17, \"config\": {\"nics\": {\"devid\": 0}}}",
        "{\"domid\": 40000, \"config\": {}}",
        domain(18, "half-good", "pv", "{\"devid\": \"0\"}, 7, {\"mac\": \"x\"}, {\"devid\": -1}, {\"devid\": 1}"),
        domain(12, "web01-again", "pv", "{\"devid\": 5}")) + "]");
    assertEquals(Set.of("vif12.0", "vif18.1"), s.byIfname().keySet());
    assertEquals(Set.of(12, 18), s.domains().keySet());
    assertEquals("web01", s.domains().get(12).name());
  }

  @Test
  void nicsServedByADriverDomainAreNotDom0Interfaces() throws Exception {
    SourceSnapshot s = read("[" + domain(12, "web01", "pv",
        "{\"devid\": 0, \"backend_domid\": 5}, {\"devid\": 1, \"backend_domname\": \"netdom\"}, "
            + "{\"devid\": 2, \"backend_domid\": 0}, {\"devid\": 3, \"backend_domname\": \"Domain-0\"}") + "]");
    assertEquals(Set.of("vif12.2", "vif12.3"), s.byIfname().keySet());
  }

  @Test
  void aNameClaimedByTwoNicsIsLeftUnmapped() throws Exception {
    SourceSnapshot s = read("[" + domain(12, "web01", "pv", "{\"devid\": 0, \"ifname\": \"same\"}") + ", "
        + domain(13, "db01", "pv", "{\"devid\": 0, \"ifname\": \"same\"}, {\"devid\": 1}") + "]");
    assertEquals(Set.of("vif13.1"), s.byIfname().keySet());
  }

  @Test
  void controlCharactersInNamesComeOutEscaped() throws Exception {
    SourceSnapshot s = read("[" + domain(12, "evil\\u001b[2J\\nname", "pv",
        "{\"devid\": 0, \"ifname\": \"if\\u0007\\u009b\"}") + "]");
    assertEquals(Set.of("if\\x07\\x9b"), s.byIfname().keySet());
    assertEquals("evil\\x1b[2J\\x0aname", s.domains().get(12).name());
  }

  @Test
  void sxpOutputIsRefusedWithAHint() {
    SourceException e = refused("(domain\n\t(domid 12)\n)\n");
    assertTrue(e.getMessage().contains("output_format"), e.getMessage());
  }

  @Test
  void emptyOutputAndFailuresAreRefused() {
    assertEquals("xl list -l: printed nothing", refused("  \n").getMessage());
    XlSource src = new XlSource(new FixtureRunner().on(XL_LIST,
        new CommandRunner.Output(1, "", "ERROR:  Can't open xenctrl\nmore\n")));
    SourceException e = assertThrows(SourceException.class, () -> src.read(TIMEOUT));
    assertEquals("xl list -l: exited with 1: ERROR:  Can't open xenctrl", e.getMessage());
  }

  @Test
  void detectLooksForXl() {
    assertTrue(new XlSource(new FixtureRunner().present("xl")).detect());
    assertFalse(new XlSource(new FixtureRunner().present("xenstore-ls")).detect());
  }

  @Test
  void tenMegabytesFromXlAreRefused() throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("xl"), "#!/bin/sh\nexec head -c 10000000 /dev/zero\n");
    XlSource src = new XlSource(new ProcessCommandRunner(List.of(bin)));
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class, () -> src.read(Duration.ofSeconds(10)));
    assertEquals("xl list -l: printed more than 8 MiB", e.getMessage());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
  }

  @Test
  void aHangingXlFailsAtTheTimeout() throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("xl"), "#!/bin/sh\nexec sleep 30\n");
    XlSource src = new XlSource(new ProcessCommandRunner(List.of(bin)));
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class, () -> src.read(Duration.ofSeconds(1)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals("xl list -l: timed out after 1 s", e.getMessage());
    assertTrue(ms < 3000, "took " + ms + " ms");
  }

  @Test
  void readsTheLabsFixtureCommandThroughARealProcess() throws Exception {
    Path lab = Path.of("..", "lab").toAbsolutePath().normalize();
    assumeTrue(Files.isRegularFile(lab.resolve("fixtures/bin/xl")), "no lab/ next to control/");
    Path state = Files.createDirectories(tmp.resolve("lab-run"));
    Files.copy(lab.resolve("topology.conf"), state.resolve("topology.conf"));
    Files.writeString(state.resolve("up.complete"), "");
    XlSource src = new XlSource(new ProcessCommandRunner(List.of(lab.resolve("fixtures/bin")),
        Map.of("VIFSCOPE_LAB_RUN", state.toString())));
    assertTrue(src.detect());
    SourceSnapshot s = src.read(Duration.ofSeconds(20));
    assertEquals(read(fixture("lab-xl-list-l.json")), s);
  }

  private static void script(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
