package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Interface selection on a made-up dom0, and the glob matcher. */
class InterfaceSelectorTest {
  /**
   * A Xen/KVM dom0: xenbr0 joins the uplink eth1, a custom-named vif (000a17-I) and vif12.0; brmgmt joins only
   * non-guest ports; docker0 has a container veth; plus a tap, a vnet, a macvtap, lo and the physical eth0.
   */
  private static final Map<Integer, LinkInfo> DOM0 = links(
      link(1, "lo", 0, "", false),
      link(2, "eth0", 0, "", true),
      link(3, "eth1", 10, "", true),
      link(10, "xenbr0", 0, "bridge", false),
      link(11, "000a17-I", 10, "", false),
      link(12, "vif12.0", 10, "", false),
      link(13, "ul20", 10, "vlan", false), // a non-physical uplink on the guest bridge
      link(20, "brmgmt", 0, "bridge", false),
      link(21, "dummy0", 20, "dummy", false),
      link(22, "veth-mgmt", 20, "veth", false),
      link(30, "docker0", 0, "bridge", false),
      link(31, "vethab12", 30, "veth", false),
      link(40, "tap3.0", 0, "tun", false),
      link(41, "vnet0", 0, "tun", false),
      link(42, "macvtap0", 2, "macvtap", false),
      link(43, "tap3.0-emu", 0, "tun", false),
      link(50, "ifb0", 0, "ifb", false));

  @Test
  void defaultsOnADom0() {
    assertEquals(
        new TreeSet<>(List.of("eth0", "eth1", "000a17-I", "vif12.0", "ul20", "tap3.0", "vnet0", "macvtap0",
            "tap3.0-emu")),
        selectedNames(InterfaceSelector.defaults(), DOM0));
  }

  @Test
  void batchSelectionAgreesWithPerLinkSelection() {
    for (InterfaceSelector s : List.of(InterfaceSelector.defaults(),
        InterfaceSelector.of(List.of("br*", "lo"), List.of("vif12.*", "eth1"), true),
        InterfaceSelector.of(List.of("*"), List.of(), false))) {
      Set<Integer> one = new TreeSet<>();
      for (LinkInfo l : DOM0.values()) {
        if (s.selects(l, DOM0)) {
          one.add(l.ifindex());
        }
      }
      assertEquals(one, new TreeSet<>(s.selected(DOM0)), s.describe());
    }
  }

  @Test
  void bridgeWithoutGuestsAddsNothingUntilAGuestJoins() {
    Map<Integer, LinkInfo> m = new TreeMap<>(DOM0);
    InterfaceSelector d = InterfaceSelector.defaults();
    assertFalse(d.selects(m.get(21), m));
    m.put(23, link(23, "vif7.1", 20, "", false));
    assertTrue(d.selects(m.get(21), m), "dummy0 shares brmgmt with a guest now");
    assertTrue(d.selects(m.get(22), m));
    assertFalse(d.selects(m.get(20), m), "never the bridge device itself");
  }

  @Test
  void portOfANonBridgeMasterIsNotCaught() {
    Map<Integer, LinkInfo> m = links(
        link(60, "bond0", 0, "bond", false),
        link(61, "vif1.0", 60, "", false), // impossible in practice; the rule is about bridges only
        link(62, "slave1", 60, "veth", false));
    assertFalse(InterfaceSelector.defaults().selects(m.get(62), m));
  }

  @Test
  void loIsNeverSelected() {
    LinkInfo lo = DOM0.get(1);
    assertFalse(InterfaceSelector.defaults().selects(lo, DOM0));
    assertFalse(InterfaceSelector.of(List.of("lo"), List.of(), false).selects(lo, DOM0));
    assertFalse(InterfaceSelector.of(List.of("*"), List.of(), true).selects(lo, DOM0));
  }

  @Test
  void includeWithoutDefaults() {
    InterfaceSelector s = InterfaceSelector.of(List.of("br*", "docker?"), List.of(), false);
    assertEquals(new TreeSet<>(List.of("brmgmt", "docker0")), selectedNames(s, DOM0));
  }

  @Test
  void includeAddsToDefaults() {
    InterfaceSelector s = InterfaceSelector.of(List.of("docker0"), List.of(), true);
    assertTrue(s.selects(DOM0.get(30), DOM0));
    assertTrue(s.selects(DOM0.get(12), DOM0));
  }

  @Test
  void excludeWinsOverIncludeAndDefaults() {
    InterfaceSelector s = InterfaceSelector.of(List.of("vif*", "eth*"), List.of("vif12.*", "eth?", "000a17-I"), true);
    assertFalse(s.selects(DOM0.get(12), DOM0), "included and a default, but excluded");
    assertFalse(s.selects(DOM0.get(2), DOM0), "physical, but excluded");
    assertFalse(s.selects(DOM0.get(11), DOM0));
    assertTrue(s.selects(DOM0.get(13), DOM0), "an excluded vif still makes its bridge a guest bridge");
  }

  @Test
  void nothingSelectedWithoutIncludesOrDefaults() {
    InterfaceSelector s = InterfaceSelector.of(List.of(), List.of(), false);
    assertTrue(selectedNames(s, DOM0).isEmpty());
    assertTrue(s.describe().contains("nothing"), s.describe());
  }

  @Test
  void describeNamesTheRules() {
    String d = InterfaceSelector.of(List.of("vm-*"), List.of("vif0.*"), true).describe();
    assertTrue(d.contains("include [vm-*]"), d);
    assertTrue(d.contains("exclude [vif0.*]"), d);
    assertTrue(d.contains("vif*") && d.contains("physical"), d);
    assertTrue(d.contains("never lo"), d);
  }

  // --- the glob matcher ---------------------------------------------------------------------------------------

  @Test
  void starAndQuestionMark() {
    assertTrue(matches("vif*", "vif"));
    assertTrue(matches("vif*", "vif12.0"));
    assertFalse(matches("vif*", "xvif1"));
    assertTrue(matches("*.0", "vif12.0"));
    assertTrue(matches("*-*-*", "a-b-c"));
    assertFalse(matches("*-*-*", "a-b"));
    assertTrue(matches("vif?.?", "vif1.0"));
    assertFalse(matches("vif?.?", "vif12.0"));
    assertTrue(matches("**", ""));
    assertTrue(matches("a*b*c", "aXbYbZc"));
    assertFalse(matches("a*b*c", "aXbYbZ"));
  }

  @Test
  void regexMetacharactersAreLiteral() {
    assertTrue(matches("vif1.0", "vif1.0"));
    assertFalse(matches("vif1.0", "vif1x0"), "a dot is a dot");
    assertTrue(matches("a+b", "a+b"));
    assertFalse(matches("a+b", "aab"));
    assertTrue(matches("(x)|y$", "(x)|y$"));
    assertFalse(matches("(x)|y$", "y"));
    assertTrue(matches("^{2}", "^{2}"));
    assertFalse(matches(".*", "vif1.0"), "'.*' is a dot then anything, not regex any");
    assertTrue(matches(".*", ".x"));
  }

  @Test
  void bracketSets() {
    assertTrue(matches("vif1[0-2].*", "vif11.0"));
    assertFalse(matches("vif1[0-2].*", "vif13.0"));
    assertTrue(matches("[!v]*", "eth0"));
    assertFalse(matches("[!v]*", "vif1.0"));
    assertTrue(matches("[^v]*", "tap1"));
    assertTrue(matches("[]]x", "]x"), "']' first in a set is literal");
    assertTrue(matches("[a-]", "-"), "'-' last in a set is literal");
    assertTrue(matches("[*?]", "*"), "no wildcards inside a set");
    assertFalse(matches("[*?]", "a"));
    assertTrue(matches("eth[0-9][0-9]", "eth10"));
  }

  @Test
  void backslashQuotes() {
    assertTrue(matches("a\\*b", "a*b"));
    assertFalse(matches("a\\*b", "aXb"));
    assertTrue(matches("a\\?", "a?"));
    assertTrue(matches("\\[x]", "[x]"));
    assertTrue(matches("x\\", "x\\"), "a trailing backslash is itself");
  }

  @Test
  void oddNamesAreMatchedAsData() {
    assertTrue(matches("vif*", "vif\ufffd\ufffd.0"));
    assertTrue(matches("vif?.0", "vif\uD83D\uDE00.0"), "'?' is one code point, even outside the BMP");
  }

  @Test
  void malformedGlobsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> InterfaceSelector.of(List.of("vif["), List.of(), false));
    assertThrows(IllegalArgumentException.class, () -> InterfaceSelector.of(List.of(), List.of("[z-a]"), false));
    assertThrows(IllegalArgumentException.class, () -> InterfaceSelector.of(List.of(""), List.of(), false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InterfaceSelector.of(List.of("eth[0-9"), List.of(), false));
    assertTrue(e.getMessage().contains("eth[0-9"), e.getMessage());
  }

  @Test
  void pathologicalPatternStaysFast() {
    String name = "a".repeat(15);
    long t0 = System.nanoTime();
    assertFalse(matches("*a*a*a*a*a*a*a*a*a*a*b", name));
    assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
  }

  private static boolean matches(String glob, String name) {
    LinkInfo l = link(100, name, 0, "veth", false);
    return InterfaceSelector.of(List.of(glob), List.of(), false).selects(l, Map.of(100, l));
  }

  private static Set<String> selectedNames(InterfaceSelector s, Map<Integer, LinkInfo> all) {
    Set<String> out = new TreeSet<>();
    for (LinkInfo l : all.values()) {
      if (s.selects(l, all)) {
        out.add(l.name());
      }
    }
    return out;
  }

  private static LinkInfo link(int ifindex, String name, int master, String kind, boolean physical) {
    return new LinkInfo(ifindex, name, master, kind, true, physical, "");
  }

  private static Map<Integer, LinkInfo> links(LinkInfo... ls) {
    Map<Integer, LinkInfo> m = new TreeMap<>();
    for (LinkInfo l : ls) {
      m.put(l.ifindex(), l);
    }
    return m;
  }
}
