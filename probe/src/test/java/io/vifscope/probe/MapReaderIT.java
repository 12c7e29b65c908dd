package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Frames;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reads a large flow map batched and key by key and checks that both see exactly the flows that were put
 * in (one BPF_PROG_TEST_RUN per distinct source), with per-CPU values summed and nothing reset by reading.
 */
class MapReaderIT {
  private static final int FLOWS = 40_000;

  @Test
  void batchedAndIteratedReadsSeeTheSameEntries() throws Exception {
    try (BpfObject netdev = BpfObject.open("netdev.bpf.o")) {
      netdev.map("flow_stats").setMaxEntries(65_536);
      netdev.setRodata("vs_flow_admission", (byte) 0); // one frame per flow: insert on the first packet
      netdev.load();
      BpfProgram prog = netdev.program("tc_ingress");
      for (int i = 0; i < FLOWS; i++) {
        int[] src = Frames.v4(198, 18 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
        prog.testRun(Frames.ethernet().macs().u16(Frames.ETH_P_IP)
            .ipv4(5, 28, Frames.IPPROTO_UDP, 0, false, src, Frames.v4(198, 18, 0, 74)).udp(1000, 514, 8).build());
      }
      BpfMap flows = netdev.map("flow_stats");
      Map<FlowKey, FlowStats> batched = read(new MapReader(flows, 4096, true));
      Map<FlowKey, FlowStats> iterated = read(new MapReader(flows, 4096, false));
      Map<FlowKey, FlowStats> again = read(new MapReader(flows));
      assertEquals(FLOWS, batched.size(), "entries seen by batched reads");
      assertEquals(batched, iterated, "batched and iterated reads disagree");
      assertEquals(batched, again, "a read changed the counters");
      assertTrue(batched.values().stream().allMatch(s -> s.packets() == 1 && s.bytes() == 42), "one 42-byte frame per flow");
    }
  }

  private static Map<FlowKey, FlowStats> read(MapReader reader) throws BpfException {
    try (reader) {
      Map<FlowKey, FlowStats> m = new HashMap<>();
      long t0 = System.nanoTime();
      int n = reader.read((k, ko, v, vo, stride, cpus) -> m.put(FlowKey.decode(k, ko), FlowStats.sum(v, vo, stride, cpus)));
      System.out.printf("read %d entries %s in %.1f ms%n", n, reader.usesBatch() ? "batched" : "by key",
          (System.nanoTime() - t0) / 1e6);
      assertEquals(n, m.size(), "no entry is seen twice");
      return m;
    }
  }
}
