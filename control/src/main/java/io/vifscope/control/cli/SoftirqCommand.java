package io.vifscope.control.cli;

import io.vifscope.control.server.Format;
import io.vifscope.proto.v1.CpuSoftirq;
import io.vifscope.proto.v1.GetSoftirqStatsRequest;
import io.vifscope.proto.v1.GetSoftirqStatsResponse;
import io.vifscope.proto.v1.NapiDevice;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.SoftirqVector;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code vifscope softirq}: per CPU, softirq share by vector, the ksoftirqd share, NET_RX time by polled device. */
@Command(name = "softirq", mixinStandardHelpOptions = true,
    description = "Softirq time per CPU and vector, and NET_RX time by NAPI device.",
    footerHeading = "%nExamples:%n",
    footer = {"  vifscope softirq", "  vifscope softirq --window 1m --json",
        "  sudo vifscope softirq --sample 5s   # no agent: watch 5 s from here",
        "  vifscope softirq --interface vsleth0 --limit 3"})
public final class SoftirqCommand extends QueryCommand<GetSoftirqStatsResponse> {
  @CommandLine.Mixin EmbeddedOptions embedded = new EmbeddedOptions();

  @Override
  EmbeddedOptions embeddedOptions() {
    return embedded;
  }

  /** The filters narrow each CPU's NAPI devices; --limit caps them per CPU. */
  @Override
  GetSoftirqStatsResponse narrow(GetSoftirqStatsResponse r) {
    GetSoftirqStatsResponse.Builder b = r.toBuilder().clearCpus();
    for (CpuSoftirq c : r.getCpusList()) {
      CpuSoftirq.Builder cb = c.toBuilder().clearNapi();
      c.getNapiList().stream()
          .filter(d -> filters.interfaceMatches(d.getDevice()) && filters.domainMatches(d.getDomain()))
          .limit(filters.limit).forEach(cb::addNapi);
      b.addCpus(cb);
    }
    return b.build();
  }
  @Override
  GetSoftirqStatsResponse ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, com.google.protobuf.Duration window) {
    return stub.getSoftirqStats(GetSoftirqStatsRequest.newBuilder().setWindow(window).build());
  }

  @Override
  void print(PrintWriter out, GetSoftirqStatsResponse r) {
    out.println(r.getMeta().getNode() + ":");
    for (CpuSoftirq c : r.getCpusList()) {
      StringBuilder vectors = new StringBuilder();
      for (SoftirqVector v : c.getVectorsList()) {
        if (v.getCpuShare() >= 0.001) {
          vectors.append(String.format(Locale.ROOT, " %s %.1f%%", v.getName(), 100 * v.getCpuShare()));
        }
      }
      out.printf(Locale.ROOT, "  CPU%-3d si %5.1f%%  ksoftirqd %3.0f%% |%s%n", c.getCpu(), 100 * c.getSoftirqShare(),
          100 * c.getKsoftirqdShare(), vectors);
      for (NapiDevice d : c.getNapiList()) {
        if (d.getCpuShare() >= 0.001) {
          out.printf(Locale.ROOT, "         NAPI %-14s %5.1f%%  %8s pkt/s%s%n", d.getDevice(), 100 * d.getCpuShare(),
              Format.count(d.getPacketsPerSecond()), d.hasDomain() ? "  domain " + d.getDomain().getName() : "");
        }
      }
    }
  }
}
