package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capability preflight over /proc/self/status texts as the kernel writes them. */
class CapabilitiesTest {
  /** The lines of a real /proc/self/status around the capability sets (6.18, values varied per test). */
  private static String status(String capEff) {
    return "Name:\tjava\nUmask:\t0022\nState:\tR (running)\nUid:\t65534\t65534\t65534\t65534\n"
        + "CapInh:\t000000c000001000\nCapPrm:\t000000c000001000\nCapEff:\t" + capEff + "\n"
        + "CapBnd:\t000000c000001000\nCapAmb:\t000000c000001000\nNoNewPrivs:\t0\n";
  }

  @Test
  void rootWithEverythingPasses() throws IOException {
    Capabilities root = Capabilities.parseStatus(status("000001ffffffffff"));
    assertTrue(root.missing(Capabilities.PROBE).isEmpty());
    assertNull(root.probeProblem());
  }

  @Test
  void theThreeAmbientCapabilitiesPass() throws IOException {
    // bits 12 (NET_ADMIN), 38 (PERFMON), 39 (BPF): what setpriv --ambient-caps=+bpf,+perfmon,+net_admin gives
    Capabilities c = Capabilities.parseStatus(status("000000c000001000"));
    assertTrue(c.has(Capabilities.Cap.BPF) && c.has(Capabilities.Cap.PERFMON) && c.has(Capabilities.Cap.NET_ADMIN));
    assertFalse(c.has(Capabilities.Cap.SYS_ADMIN));
    assertNull(c.probeProblem());
  }

  @Test
  void missingBpfIsNamedWithWhatItIsFor() throws IOException {
    Capabilities c = Capabilities.parseStatus(status("0000004000001000"));
    assertEquals(List.of(Capabilities.Cap.BPF), c.missing(Capabilities.PROBE));
    assertEquals("missing capability CAP_BPF (load BPF programs and maps); run as root or grant CAP_BPF, "
        + "CAP_PERFMON and CAP_NET_ADMIN (see README \"Running on a real host\")", c.probeProblem());
  }

  @Test
  void anUnprivilegedProcessLacksAllThree() throws IOException {
    Capabilities c = Capabilities.parseStatus(status("0000000000000000"));
    assertEquals(Capabilities.PROBE, c.missing(Capabilities.PROBE));
    assertTrue(c.probeProblem().startsWith("missing capabilities CAP_BPF (load BPF programs and maps), "
        + "CAP_PERFMON (load the softirq and NAPI tracepoint programs"), c.probeProblem());
    assertTrue(c.probeProblem().contains("CAP_NET_ADMIN (attach tc programs"), c.probeProblem());
  }

  @Test
  void sysAdminStandsInForBpfAndPerfmonButNotNetAdmin() throws IOException {
    // Root on a kernel older than 5.8: the full set of its day, 38 bits, without CAP_PERFMON and CAP_BPF.
    Capabilities old = Capabilities.parseStatus(status("0000003fffffffff"));
    assertFalse(old.has(Capabilities.Cap.BPF));
    assertNull(old.probeProblem());
    // CAP_SYS_ADMIN alone (bit 21): BPF and PERFMON allowed, NET_ADMIN missing.
    Capabilities sysAdmin = Capabilities.parseStatus(status("0000000000200000"));
    assertEquals(List.of(Capabilities.Cap.NET_ADMIN), sysAdmin.missing(Capabilities.PROBE));
  }

  @Test
  void aStatusWithoutCapEffIsAnError() {
    IOException none = assertThrows(IOException.class, () -> Capabilities.parseStatus("Name:\tjava\n"));
    assertEquals("no CapEff line in /proc/self/status", none.getMessage());
    IOException bad = assertThrows(IOException.class, () -> Capabilities.parseStatus(status("zz")));
    assertTrue(bad.getMessage().startsWith("cannot parse CapEff"), bad.getMessage());
  }

  @Test
  void thisProcessCanBeRead() throws IOException {
    // Whoever runs the tests: the line is there and parses (root or not).
    assertTrue(Capabilities.ofSelf().toString().startsWith("CapEff "));
  }
}
