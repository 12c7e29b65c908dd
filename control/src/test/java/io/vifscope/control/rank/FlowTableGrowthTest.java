package io.vifscope.control.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * How the flow table grows: a row costs about 130 bytes, and 8 more in every dense slot, so it grows by an eighth,
 * not by doubling.
 */
class FlowTableGrowthTest {
  @Test
  void growsByAnEighthInWholeSteps() {
    int step = FlowTable.GROWTH_STEP;
    assertEquals(73_728, FlowTable.grownCapacity(65_536, 262_144), "65,536 flows: 9/8, rounded up to a step");
    assertEquals(77_824, FlowTable.grownCapacity(66_000, 262_144));
    assertEquals(step, FlowTable.grownCapacity(1_025, 262_144), "never less than one step");
    for (int needed = 1; needed < 1_000_000; needed += 7_919) {
      int c = FlowTable.grownCapacity(needed, 1 << 20);
      assertTrue(c >= needed, needed + " -> " + c);
      assertTrue(c <= needed + needed / 8 + step, needed + " -> " + c);
      assertEquals(0, c % step, needed + " -> " + c);
    }
  }

  @Test
  void neverPastTheKernelMapWhenThatHoldsThem() {
    assertEquals(65_536, FlowTable.grownCapacity(65_000, 65_536));
    assertEquals(4_096, FlowTable.grownCapacity(4_000, 4_096));
    // More present than the map's size says (a recording, a map resized under us): hold them all.
    assertTrue(FlowTable.grownCapacity(70_000, 65_536) >= 70_000);
  }
}
