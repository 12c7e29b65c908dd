package io.vifscope.probe;

import java.util.HashMap;
import java.util.Map;

/** Small helpers for tests that work with probe snapshots. */
final class Probes {
  private Probes() {}

  /** Waits up to 5 s until {@code n} interfaces are attached. */
  static void awaitAttached(Probe probe, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (probe.attachedInterfaces().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (probe.attachedInterfaces().size() < n) {
      throw new AssertionError("only " + probe.attachedInterfaces() + " attached; failures " + probe.attachFailures());
    }
  }

  static IfaceStats delta(ProbeSnapshot a, ProbeSnapshot b, int ifindex, Direction d) {
    IfaceKey k = new IfaceKey(ifindex, d);
    IfaceStats x = a.interfaces().getOrDefault(k, new IfaceStats(0, 0, 0));
    IfaceStats y = b.interfaces().getOrDefault(k, new IfaceStats(0, 0, 0));
    return new IfaceStats(y.packets() - x.packets(), y.bytes() - x.bytes(), y.unparsed() - x.unparsed());
  }

  /** NAPI counters per device summed over CPUs, b minus a. */
  static Map<String, NapiStats> napiDelta(ProbeSnapshot a, ProbeSnapshot b) {
    Map<String, NapiStats> out = new HashMap<>();
    accumulate(out, b, 1);
    accumulate(out, a, -1);
    return out;
  }

  private static void accumulate(Map<String, NapiStats> out, ProbeSnapshot s, int sign) {
    for (Map<String, NapiStats> cpu : s.napi()) {
      cpu.forEach((dev, st) -> out.merge(dev, scale(st, sign), Probes::add));
    }
  }

  private static NapiStats scale(NapiStats s, int k) {
    return new NapiStats(k * s.polls(), k * s.work(), k * s.budgetExhausted(), k * s.timeNs(), k * s.pollsOutsideSoftirq());
  }

  private static NapiStats add(NapiStats a, NapiStats b) {
    return new NapiStats(a.polls() + b.polls(), a.work() + b.work(), a.budgetExhausted() + b.budgetExhausted(),
        a.timeNs() + b.timeNs(), a.pollsOutsideSoftirq() + b.pollsOutsideSoftirq());
  }

  static long counterDelta(ProbeSnapshot a, ProbeSnapshot b, Counter c) {
    return b.counters().getOrDefault(c, 0L) - a.counters().getOrDefault(c, 0L);
  }
}
