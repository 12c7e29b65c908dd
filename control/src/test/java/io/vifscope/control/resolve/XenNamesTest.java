package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Xen's default interface names, both ways. */
class XenNamesTest {
  @Test
  void buildsTheDefaultNames() {
    assertEquals("vif74.0", XenNames.vifName(74, 0));
    assertEquals("tap21.1", XenNames.tapName(21, 1));
    assertEquals("vif21.0-emu", XenNames.emuTwin(XenNames.vifName(21, 0)));
    assertEquals("000a17-I-emu", XenNames.emuTwin("000a17-I"));
  }

  @Test
  void parsesVifsTapsAndTheirEmuTwins() {
    assertArrayEquals(new int[] {74, 0, 0}, XenNames.parseVif("vif74.0").orElseThrow());
    assertArrayEquals(new int[] {21, 1, 1}, XenNames.parseVif("vif21.1-emu").orElseThrow());
    assertArrayEquals(new int[] {32751, 65535, 0}, XenNames.parseVif("vif32751.65535").orElseThrow());
    assertArrayEquals(new int[] {21, 0, 0}, XenNames.parseTap("tap21.0").orElseThrow());
    assertArrayEquals(new int[] {21, 0, 1}, XenNames.parseTap("tap21.0-emu").orElseThrow());
  }

  @Test
  void rejectsWhatTheKernelWouldNeverName() {
    for (String s : List.of("", "vif", "vif74", "vif74.", "vif.0", "vif012.0", "vif12.00", "vif+1.0", "vif-1.0",
        "vif74.0-emux", "vif74.0 ", " vif74.0", "VIF74.0", "vif32752.0", "vif74.65536", "vif999999.0",
        "vif74.0\n", "tap74.0.1", "vnet9", "000a17-I")) {
      assertTrue(XenNames.parseVif(s).isEmpty(), s);
      assertTrue(XenNames.parseTap(s.replace("vif", "tap")).isEmpty(), s);
    }
    assertTrue(XenNames.parseVif(null).isEmpty());
    assertTrue(XenNames.parseTap("vif74.0").isEmpty());
  }
}
