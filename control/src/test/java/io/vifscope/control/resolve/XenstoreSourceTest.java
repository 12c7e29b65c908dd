package io.vifscope.control.resolve;

import static io.vifscope.control.resolve.FixtureRunner.fixture;
import static io.vifscope.control.resolve.FixtureRunner.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The xenstore source on real-format fixtures (see fixtures/xen/README.md) and on hostile input. */
class XenstoreSourceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final List<String> LS_BACKEND = List.of("xenstore-ls", "-f", "/local/domain/0/backend/vif");
  private static final Domain DOM0 = new Domain(0, "Domain-0", "");
  private static final Domain WEB = new Domain(12, "web01", "6b2d8e0f-12a4-4c6b-9d3e-0c0000000012");
  private static final Domain DB = new Domain(13, "db01", "9c4f1a2b-13b5-4d7c-8e4f-0d0000000013");
  private static final Domain WIN = new Domain(21, "win01", "5d1c7a9e-21b3-4f6a-8c2d-150000000021");
  private static final Domain SYSLOG = new Domain(74, "syslog01", "3f9e4c1a-74d2-4b8e-a1c7-000a1700004a");

  @TempDir
  Path tmp;

  /** No /sys: unit tests read nothing from the host. */
  private Path noSysfs() {
    return tmp.resolve("no-sysfs");
  }

  private SourceSnapshot read(FixtureRunner runner) throws SourceException {
    return new XenstoreSource(runner, noSysfs()).read(TIMEOUT);
  }

  @Test
  void theFakeXenstoreAnswersLikeTheLabsFixtureCommands() throws Exception {
    FixtureRunner xs = FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt"));
    assertEquals(fixture("lab-xenstore-ls-f-backend-vif.txt"), xs.run(LS_BACKEND, TIMEOUT, 1 << 20).stdout());
    CommandRunner.Output read = xs.run(List.of("xenstore-read", "-p", "/local/domain/0/name", "/local/domain/74/name",
        "/local/domain/74/vm", "/local/domain/0/vm", "/local/domain/12/name"), TIMEOUT, 1 << 20);
    assertEquals(new CommandRunner.Output(1, fixture("lab-xenstore-read-p.txt"),
        "xenstore-read: couldn't read path /local/domain/0/vm\n"), read);
  }

  @Test
  void mapsTheLabsGuestsIncludingTheCustomVifname() throws Exception {
    SourceSnapshot s = read(FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt")));
    assertEquals(Map.of(
        "000a17-I", new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false),
        "vif12.0", new GuestNic(WEB, 0, "00:16:3e:0c:00:00", false),
        "vif13.0", new GuestNic(DB, 0, "00:16:3e:0d:00:00", false)), s.byIfname());
    assertEquals(Map.of(0, DOM0, 12, WEB, 13, DB, 74, SYSLOG), s.domains());
  }

  @Test
  void mapsHvmTwinsSeveralNicsAndCustomNamesAndIgnoresGuestWrittenClaims() throws Exception {
    FixtureRunner xs = FixtureRunner.xenstore(fixture("xenstore-ls-f-root.txt"));
    SourceSnapshot s = read(xs);
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
  void readsOnlyDom0OwnedPaths() throws Exception {
    FixtureRunner xs = FixtureRunner.xenstore(fixture("xenstore-ls-f-root.txt"));
    read(xs);
    Pattern owned = Pattern.compile("/local/domain/\\d+/(name|vm)");
    assertEquals(LS_BACKEND, xs.calls().get(0));
    for (List<String> argv : xs.calls().subList(1, xs.calls().size())) {
      assertEquals(List.of("xenstore-read", "-p"), argv.subList(0, 2), argv.toString());
      for (String key : argv.subList(2, argv.size())) {
        assertTrue(owned.matcher(key).matches(), key);
      }
    }
    // dom0's missing vm key is asked for last, so it costs no extra call
    assertEquals(2, xs.calls().size(), xs.calls().toString());
  }

  @Test
  void guestWrittenNodesSplicedIntoTheBackendListingChangeNothing() throws Exception {
    // As if the listing also held what web01 (12) wrote in its own area to claim syslog01's vif.
    String hostile = fixture("lab-xenstore-ls-f-backend-vif.txt")
        + "/local/domain/12/device/vif/0/vifname = \"000a17-I\"\n"
        + "/local/domain/12/data/local/domain/0/backend/vif/74/0/vifname = \"vif12.0\"\n"
        + "/local/domain/12/data/local/domain/0/backend/vif/12/0/vifname = \"000a17-I\"\n"
        + "/local/domain/0/backend/vif-evil/74/0/vifname = \"vif12.0\"\n";
    FixtureRunner fake = FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt"));
    FixtureRunner runner = new FixtureRunner().present("xenstore-ls", "xenstore-read").on(LS_BACKEND, ok(hostile))
        .otherwise(argv -> fake.run(argv, TIMEOUT, 1 << 20));
    SourceSnapshot s = read(runner);
    assertEquals(SYSLOG, s.byIfname().get("000a17-I").domain());
    assertEquals(WEB, s.byIfname().get("vif12.0").domain());
    assertEquals(3, s.byIfname().size(), s.byIfname().toString());
    XenstoreSource.Listing l = XenstoreSource.parseListing(hostile, XenstoreSource.BACKEND);
    assertEquals(4, l.skipped(), "the foreign lines are counted");
  }

  @Test
  void withTheLabDownOnlyDom0Shows() throws Exception {
    SourceSnapshot s = read(FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root-down.txt")));
    assertEquals(Map.of(), s.byIfname());
    assertEquals(Map.of(0, DOM0), s.domains());
  }

  @Test
  void aMissingNameOrVmIsSkippedAndTheRestIsStillRead() throws Exception {
    // db01 being destroyed: its name and vm are gone, its backend not yet
    String tree = fixture("lab-xenstore-ls-f-root.txt").replaceAll("(?m)^/local/domain/13/(name|vm) = .*\n", "");
    FixtureRunner xs = FixtureRunner.xenstore(tree);
    SourceSnapshot s = read(xs);
    assertEquals(new Domain(13, "", ""), s.byIfname().get("vif13.0").domain());
    assertEquals(SYSLOG, s.byIfname().get("000a17-I").domain());
    assertEquals(WEB, s.domains().get(12));
    assertEquals(DOM0, s.domains().get(0));
    assertEquals(4, xs.calls().size(), "ls, then read resumed after each of the two missing keys: " + xs.calls());
  }

  @Test
  void aDomainsIdReusedByANewGuestMapsToTheNewGuest() throws Exception {
    String before = fixture("lab-xenstore-ls-f-root.txt");
    String after = before.replace("\"syslog01\"", "\"newguest\"")
        .replace("3f9e4c1a-74d2-4b8e-a1c7-000a1700004a", "11111111-2222-4333-8444-555555555555")
        .replaceAll("(?m)^/local/domain/0/backend/vif/74/0/vifname = .*\n", "");
    XenstoreSource src = new XenstoreSource(FixtureRunner.xenstore(before), noSysfs());
    assertEquals(SYSLOG, src.read(TIMEOUT).byIfname().get("000a17-I").domain());
    SourceSnapshot s = new XenstoreSource(FixtureRunner.xenstore(after), noSysfs()).read(TIMEOUT);
    assertNull(s.byIfname().get("000a17-I"));
    assertEquals(new Domain(74, "newguest", "11111111-2222-4333-8444-555555555555"),
        s.byIfname().get("vif74.0").domain());
  }

  @Test
  void controlCharactersInNamesComeOutEscaped() throws Exception {
    // sanitise_value's quoting: \x1b for ESC, \n, \001 (octal below 010), \\ for a backslash
    String tree = fixture("lab-xenstore-ls-f-root.txt")
        .replace("vifname = \"000a17-I\"", "vifname = \"000a\\x1b[2J\\001I\"")
        .replace("/local/domain/74/name = \"syslog01\"", "/local/domain/74/name = \"sys\\nlog\\\\01\\x07\"");
    SourceSnapshot s = read(FixtureRunner.xenstore(tree));
    GuestNic nic = s.byIfname().get("000a\\x1b[2J\\x01I");
    assertEquals(74, nic.domain().id(), s.byIfname().toString());
    assertEquals("sys\\x0alog\\\\01\\x07", nic.domain().name());
    for (String k : s.byIfname().keySet()) {
      assertTrue(k.chars().noneMatch(c -> c < 0x20 || c == 0x7f), k);
    }
  }

  @Test
  void garbageLinesAreSkippedAndCountedAndTheRestStillMaps() throws Exception {
    String garbage = String.join("\n",
        "\u0000\u0001\u00ff binary junk",
        "/local/domain/0/backend/vif/12/0/vifname = \"unterminated",
        "/local/domain/0/backend/vif/12/0/vifname = \"bad escape \\q\"",
        "/local/domain/0/backend/vif/12/0/vifname = \"short hex \\x4\"",
        "/local/domain/0/backend/vif/12/0/vifname = \"dangling \\\"",
        "/local/domain/0/backend/vif/12/0/vifname = \"cut to the terminal width\\...\"",
        "relative/path = \"x\"",
        "/local/domain/0/backend/vif/12/../74/0/vifname = \"vif12.0\"",
        " = \"\"",
        "xenstore-ls: some warning",
        "");
    String out = garbage + "\n" + fixture("lab-xenstore-ls-f-backend-vif.txt") + garbage;
    XenstoreSource.Listing l = XenstoreSource.parseListing(out, XenstoreSource.BACKEND);
    assertEquals(20, l.skipped());
    FixtureRunner fake = FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt"));
    FixtureRunner runner = new FixtureRunner().present("xenstore-ls", "xenstore-read").on(LS_BACKEND, ok(out))
        .otherwise(argv -> fake.run(argv, TIMEOUT, 1 << 20));
    SourceSnapshot s = read(runner);
    assertEquals(Set.of("000a17-I", "vif12.0", "vif13.0"), s.byIfname().keySet());
  }

  @Test
  void hugeHostileLinesNeitherCrashNorOverflowTheParser() {
    String deepPath = "/a".repeat(1_000_000);
    String out = deepPath + " = \"x\"\n" + deepPath + ":\n" + "/local/domain/0/backend/vif/1/0/vifname = \""
        + "\\x41".repeat(500_000) + "\"\n";
    XenstoreSource.Listing l = XenstoreSource.parseListing(out, XenstoreSource.BACKEND);
    assertEquals(2, l.skipped());
    assertEquals(1, l.nodes().size());
    assertFalse(XenstoreSource.validPath("/local//domain"));
    assertFalse(XenstoreSource.validPath("/local/domain/"));
    assertFalse(XenstoreSource.validPath("/local/dom\u00e4in"));
    assertTrue(XenstoreSource.validPath("/local/domain/0/backend/vif/74/0/feature-xdp_headroom@x"));
  }

  @Test
  void outputWithNothingParseableIsAFailure() {
    FixtureRunner runner = new FixtureRunner().present("xenstore-ls", "xenstore-read")
        .on(LS_BACKEND, ok("garbage\nmore garbage = \"\nstill \"no\"\n"));
    SourceException e = assertThrows(SourceException.class, () -> read(runner));
    assertEquals("xenstore-ls -f /local/domain/0/backend/vif: nothing parseable in 3 lines", e.getMessage());
  }

  @Test
  void aFailingXenstoreLsIsAFailureNamingItsError() {
    FixtureRunner runner = new FixtureRunner().present("xenstore-ls", "xenstore-read")
        .on(LS_BACKEND, new CommandRunner.Output(1, "", "xenstore-ls: xs_directory (/local/domain/0/backend/vif): "
            + "Permission denied\n"));
    SourceException e = assertThrows(SourceException.class, () -> read(runner));
    assertEquals("xenstore-ls -f /local/domain/0/backend/vif: exited with 1: xenstore-ls: xs_directory "
        + "(/local/domain/0/backend/vif): Permission denied", e.getMessage());
  }

  @Test
  void xenstoreReadPrintingSomethingElseIsAFailure() {
    FixtureRunner runner = new FixtureRunner().present("xenstore-ls", "xenstore-read")
        .on(LS_BACKEND, ok(fixture("lab-xenstore-ls-f-backend-vif.txt")))
        .otherwise(argv -> ok("/local/domain/99/name: someone else\n"));
    SourceException e = assertThrows(SourceException.class, () -> read(runner));
    assertTrue(e.getMessage().startsWith("xenstore-read -p /local/domain/0/name "), e.getMessage());
  }

  @Test
  void theKernelsNodenameNamesTheVifAndCompletesWhatTheBackendTreeLacks() throws Exception {
    Path sys = tmp.resolve("sys");
    // syslog01's vif before the hotplug script renamed it to 000a17-I
    nodename(sys, "vif74.0", "backend/vif/74/0\n");
    // a netback vif whose backend directory is not listed (yet): the kernel's word still maps it
    nodename(sys, "vif99.0", "backend/vif/99/0\n");
    // a vbd is not a vif; a physical NIC has no nodename at all
    nodename(sys, "eth0-ish", "backend/vbd/12/51712\n");
    Files.createDirectories(sys.resolve("class/net/eth0/device"));
    SourceSnapshot s = new XenstoreSource(FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt")), sys)
        .read(TIMEOUT);
    assertEquals(new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false), s.byIfname().get("vif74.0"));
    assertNull(s.byIfname().get("000a17-I"), "the kernel says the vif is named vif74.0 now");
    assertEquals(new GuestNic(new Domain(99, "", ""), 0, "", false), s.byIfname().get("vif99.0"));
    assertEquals(Set.of("vif74.0", "vif99.0", "vif12.0", "vif13.0"), s.byIfname().keySet());
  }

  @Test
  void aNameTheKernelGivesToAnotherVifIsNotMapped() throws Exception {
    Path sys = tmp.resolve("sys");
    nodename(sys, "vif12.0", "backend/vif/13/0\n"); // the kernel's word: vif12.0 is db01's vif
    SourceSnapshot s = new XenstoreSource(FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt")), sys)
        .read(TIMEOUT);
    assertEquals(DB, s.byIfname().get("vif12.0").domain());
    assertFalse(s.byIfname().containsKey("vif13.0"));
  }

  @Test
  void twoVifsConfiguredWithTheSameNameLeaveItUnmapped() throws Exception {
    String tree = fixture("lab-xenstore-ls-f-root.txt").replace(
        "/local/domain/0/backend/vif/12/0/script = \"/etc/xen/scripts/vif-bridge\"\n",
        "/local/domain/0/backend/vif/12/0/script = \"/etc/xen/scripts/vif-bridge\"\n"
            + "/local/domain/0/backend/vif/12/0/vifname = \"000a17-I\"\n");
    SourceSnapshot s = read(FixtureRunner.xenstore(tree));
    assertFalse(s.byIfname().containsKey("000a17-I"));
    assertEquals(Set.of("vif13.0"), s.byIfname().keySet());
  }

  @Test
  void aVifWhoseKeysContradictItsPlaceIsSkipped() throws Exception {
    String tree = fixture("lab-xenstore-ls-f-root.txt").replace(
        "/local/domain/0/backend/vif/12/0/frontend-id = \"12\"", "/local/domain/0/backend/vif/12/0/frontend-id = \"74\"");
    SourceSnapshot s = read(FixtureRunner.xenstore(tree));
    assertEquals(Set.of("000a17-I", "vif13.0"), s.byIfname().keySet());
  }

  @Test
  void unescapeUndoesSanitiseValue() {
    assertEquals("a\tb\nc\rd\\e", XenstoreSource.unescape("a\\tb\\nc\\rd\\\\e"));
    assertEquals("\u001b[0m\u0001", XenstoreSource.unescape("\\x1b[0m\\001"));
    assertEquals("café", XenstoreSource.unescape("caf\\xc3\\xa9"));
    assertEquals("say \"hi\"", XenstoreSource.unescape("say \"hi\""));
    assertNull(XenstoreSource.unescape("\\q"));
    assertNull(XenstoreSource.unescape("\\x4"));
    assertNull(XenstoreSource.unescape("\\x4g"));
    assertNull(XenstoreSource.unescape("\\01"));
    assertNull(XenstoreSource.unescape("end\\"));
  }

  @Test
  void detectLooksForTheTools() {
    assertTrue(new XenstoreSource(new FixtureRunner().present("xenstore-ls", "xenstore-read"), noSysfs()).detect());
    assertFalse(new XenstoreSource(new FixtureRunner().present("xl"), noSysfs()).detect());
  }

  @Test
  void aHangingXenstoreLsFailsAtTheTimeout() throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("xenstore-ls"), "#!/bin/sh\nexec sleep 30\n");
    script(bin.resolve("xenstore-read"), "#!/bin/sh\nexit 1\n");
    XenstoreSource src = new XenstoreSource(new ProcessCommandRunner(List.of(bin)), noSysfs());
    assertTrue(src.detect());
    long t0 = System.nanoTime();
    SourceException e = assertThrows(SourceException.class, () -> src.read(Duration.ofSeconds(1)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals("xenstore-ls -f /local/domain/0/backend/vif: timed out after 1 s", e.getMessage());
    assertTrue(ms < 3000, "took " + ms + " ms");
  }

  @Test
  void tenMegabytesFromXenstoreLsAreRefused() throws Exception {
    Path bin = Files.createDirectory(tmp.resolve("bin"));
    script(bin.resolve("xenstore-ls"), "#!/bin/sh\nexec head -c 10000000 /dev/zero\n");
    XenstoreSource src = new XenstoreSource(new ProcessCommandRunner(List.of(bin)), noSysfs());
    SourceException e = assertThrows(SourceException.class, () -> src.read(Duration.ofSeconds(10)));
    assertEquals("xenstore-ls -f /local/domain/0/backend/vif: printed more than 4 MiB", e.getMessage());
  }

  @Test
  void theTimeoutBoundsTheWholeRead() {
    FixtureRunner fake = FixtureRunner.xenstore(fixture("lab-xenstore-ls-f-root.txt"));
    FixtureRunner slow = new FixtureRunner().present("xenstore-ls", "xenstore-read").otherwise(argv -> {
      try {
        Thread.sleep(150);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return fake.run(argv, TIMEOUT, 1 << 20);
    });
    SourceException e = assertThrows(SourceException.class,
        () -> new XenstoreSource(slow, noSysfs()).read(Duration.ofMillis(100)));
    assertTrue(e.getMessage().contains("took longer than 100 ms"), e.getMessage());
  }

  @Test
  void readsTheLabsFixtureCommandsThroughRealProcesses() throws Exception {
    Path lab = Path.of("..", "lab").toAbsolutePath().normalize();
    assumeTrue(Files.isRegularFile(lab.resolve("fixtures/bin/xenstore")), "no lab/ next to control/");
    Path state = labState(lab);
    ProcessCommandRunner labRunner = new ProcessCommandRunner(List.of(lab.resolve("fixtures/bin")),
        Map.of("VIFSCOPE_LAB_RUN", state.toString()));
    XenstoreSource src = new XenstoreSource(labRunner, noSysfs());
    assertTrue(src.detect());
    SourceSnapshot s = src.read(Duration.ofSeconds(20));
    assertEquals(Map.of(
        "000a17-I", new GuestNic(SYSLOG, 0, "00:16:3e:4a:00:00", false),
        "vif12.0", new GuestNic(WEB, 0, "00:16:3e:0c:00:00", false),
        "vif13.0", new GuestNic(DB, 0, "00:16:3e:0d:00:00", false)), s.byIfname());
    assertEquals(Map.of(0, DOM0, 12, WEB, 13, DB, 74, SYSLOG), s.domains());
  }

  /** A saved "lab up" state for the fixture commands: the topology and an up.complete marker. */
  private Path labState(Path lab) throws IOException {
    Path state = Files.createDirectories(tmp.resolve("lab-run"));
    Files.copy(lab.resolve("topology.conf"), state.resolve("topology.conf"));
    Files.writeString(state.resolve("up.complete"), "");
    return state;
  }

  private static void nodename(Path sys, String ifname, String value) throws IOException {
    Path dev = Files.createDirectories(sys.resolve("class/net").resolve(ifname).resolve("device"));
    Files.writeString(dev.resolve("nodename"), value);
  }

  private static void script(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
