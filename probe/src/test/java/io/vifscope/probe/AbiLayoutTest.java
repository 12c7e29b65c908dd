package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java mirrors of kernel/vifscope.h against the BTF of the objects the build just made: every struct's
 * size and every member's offset, and the counter enum's values. Any drift between C and Java fails here,
 * without root.
 */
class AbiLayoutTest {
  private static final String[] OBJECTS = {"softirq.bpf.o", "netdev.bpf.o"};
  private static final Map<String, Btf.Struct> STRUCTS = new TreeMap<>();
  private static final Map<String, Map<String, Long>> ENUMS = new TreeMap<>();

  @BeforeAll
  static void readBtf() throws IOException {
    for (String name : OBJECTS) {
      try (InputStream in = AbiLayoutTest.class.getResourceAsStream(BpfObject.RESOURCE_DIR + name)) {
        assertNotNull(in, name + " is not on the classpath: the kernel module did not build it");
        Btf btf = Btf.parse(in.readAllBytes());
        STRUCTS.putAll(btf.structs);
        ENUMS.putAll(btf.enums);
      }
    }
  }

  @Test
  void everyJavaMirrorMatchesItsStruct() {
    for (Layout layout : Layout.all()) {
      Btf.Struct s = STRUCTS.get(layout.struct());
      if (s == null) {
        fail("struct " + layout.struct() + " is not in the objects' BTF (renamed, or no map uses it?); have " + STRUCTS.keySet());
      }
      assertEquals(layout.size(), s.size(), "sizeof(struct " + layout.struct() + ")");
      assertEquals(new TreeMap<>(s.offsets()), new TreeMap<>(layout.offsets()),
          "member offsets of struct " + layout.struct() + " (C on the left, Java on the right)");
    }
  }

  @Test
  void counterEnumMatches() {
    Map<String, Long> c = ENUMS.get("vs_counter");
    assertNotNull(c, "enum vs_counter is not in the objects' BTF; have " + ENUMS.keySet());
    Map<String, Long> java = new TreeMap<>();
    for (Counter k : Counter.values()) {
      java.put(k.cName(), (long) k.index());
    }
    Map<String, Long> kernel = new TreeMap<>(c);
    kernel.remove("VS_COUNTER_MAX");
    assertEquals(kernel, java, "enum vs_counter (C on the left, Java on the right)");
    assertEquals(c.get("VS_COUNTER_MAX"), (long) Counter.values().length, "VS_COUNTER_MAX");
  }

  @Test
  void directionEnumMatches() {
    Map<String, Long> d = ENUMS.get("vs_direction");
    assertNotNull(d, "enum vs_direction is not in the objects' BTF; have " + ENUMS.keySet());
    assertEquals(Map.of("VS_DIR_INGRESS", 0L, "VS_DIR_EGRESS", 1L), d);
  }
}
