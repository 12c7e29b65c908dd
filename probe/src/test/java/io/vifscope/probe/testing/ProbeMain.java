package io.vifscope.probe.testing;

import io.vifscope.probe.Probe;
import io.vifscope.probe.ProbeOptions;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a probe in a child JVM until killed, for the crash-safety tests: {@code ProbeMain tcx|clsact IF...}.
 * Prints "ready N" once N interfaces are attached, then reads the maps every 100 ms like an agent would.
 */
public final class ProbeMain {
  private ProbeMain() {}

  public static void main(String[] args) throws Exception {
    ProbeOptions.TcMode mode = ProbeOptions.TcMode.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
    List<String> include = Arrays.asList(args).subList(1, args.length);
    Probe probe = Probe.start(ProbeOptions.only(include).withTcMode(mode));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (probe.attachedInterfaces().size() < include.size() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    System.out.println("ready " + probe.attachedInterfaces().size());
    System.out.flush();
    while (true) {
      probe.snapshot();
      Thread.sleep(100);
    }
  }
}
