package io.vifscope.probe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layout a Java codec assumes for one C struct of kernel/vifscope.h: its size and each field's byte
 * offset. The ABI test compares every layout with the BTF of the built objects, so drift fails the build.
 */
public record Layout(String struct, int size, Map<String, Integer> offsets) {

  /** {@code fieldsAndOffsets} alternates field name and offset: "ifindex", 0, "direction", 4, ... */
  public static Layout of(String struct, int size, Object... fieldsAndOffsets) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < fieldsAndOffsets.length; i += 2) {
      m.put((String) fieldsAndOffsets[i], (Integer) fieldsAndOffsets[i + 1]);
    }
    return new Layout(struct, size, Map.copyOf(m));
  }

  /** Every struct shared with the kernel, for the ABI test. */
  public static Layout[] all() {
    return new Layout[] {
      SoftirqStats.LAYOUT, NapiKey.LAYOUT, NapiStats.LAYOUT, IfaceKey.LAYOUT, IfaceStats.LAYOUT, FlowKey.LAYOUT,
      FlowStats.LAYOUT, FlowJournal.POS_LAYOUT, FlowJournal.RECORD_LAYOUT, FlowJournal.RUN_LAYOUT
    };
  }
}
