package io.vifscope.probe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the running kernel offers the probe, and for each degraded part what is missing and why. Filled in
 * as the probe starts: each entry is what actually happened, not a guess from the kernel version.
 *
 * @param btf kernel BTF at /sys/kernel/btf/vmlinux: napi_poll runs as a raw tracepoint (CO-RE), so no tracefs is
 *     needed and the agent can run without root (else the classic tracepoint, "napi_raw_tracepoint" degraded)
 * @param tcx tc programs are attached as tcx links (else clsact filters)
 * @param batchOps maps are read with BPF_MAP_LOOKUP_BATCH (else key iteration)
 * @param rawTracepoints softirq entry/exit run on raw tracepoints (else classic tracepoints)
 * @param bpfStats BPF run-time statistics can be switched on (BPF_ENABLE_STATS)
 * @param loader "libbpf" (the objects built at build time) or "bcc" (the same sources compiled on the host); when
 *     it is "bcc", {@code degraded} says why under "libbpf_objects"
 * @param degraded part name to the reason it is degraded; empty when nothing is
 */
public record Features(
    boolean btf, boolean tcx, boolean batchOps, boolean rawTracepoints, boolean bpfStats, String loader,
    Map<String, String> degraded) {

  public Features {
    degraded = Map.copyOf(degraded);
  }

  static boolean kernelHasBtf() {
    return Files.isReadable(Path.of("/sys/kernel/btf/vmlinux"));
  }

  /** Mutable form used while the probe starts. */
  static final class Builder {
    boolean btf = kernelHasBtf();
    boolean tcx;
    boolean batchOps = true;
    boolean rawTracepoints;
    boolean bpfStats;
    String loader = "libbpf";
    final Map<String, String> degraded = new LinkedHashMap<>();

    Features build() {
      return new Features(btf, tcx, batchOps, rawTracepoints, bpfStats, loader, degraded);
    }
  }
}
