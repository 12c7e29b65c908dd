package io.vifscope.control.server;

import io.vifscope.control.rank.TalkerQuery;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.proto.v1.CpuSoftirq;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.Finding;
import io.vifscope.proto.v1.InterfaceRole;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.NapiDevice;
import io.vifscope.proto.v1.ResponseMeta;
import io.vifscope.proto.v1.Severity;
import io.vifscope.proto.v1.SoftirqVector;
import io.vifscope.proto.v1.Talker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one-shot answer to "why is softirq high, and who is it for?", in the order an operator reasons: which
 * CPU is hot and in which vector, which device's polls take the time, which guest interface carries the
 * traffic and whose it is, and what the traffic is.
 */
final class Diagnosis {
  private final ProbeServiceImpl service;
  private final WindowStats w;
  private final double hotShare;
  private final double guestPps;
  private final int topSources;

  Diagnosis(ProbeServiceImpl service, WindowStats w, double hotShare, double guestPps, int topSources) {
    this.service = service;
    this.w = w;
    this.hotShare = hotShare;
    this.guestPps = guestPps;
    this.topSources = topSources;
  }

  DiagnoseResponse build(ResponseMeta meta) {
    List<CpuSoftirq> cpus = service.cpus(w);
    List<CpuSoftirq> hot = new ArrayList<>();
    for (CpuSoftirq c : cpus) {
      if (c.getSoftirqShare() >= hotShare) {
        hot.add(c);
      }
    }
    hot.sort(Comparator.comparingDouble(CpuSoftirq::getSoftirqShare).reversed());

    List<NapiDevice> napi = napiOverAllCpus(cpus);
    List<InterfaceStats> guests = new ArrayList<>();
    for (InterfaceStats i : service.interfaces(w, Map.of())) {
      InterfaceRole r = i.getInterface().getRole();
      if (r == InterfaceRole.INTERFACE_ROLE_GUEST_VIF || r == InterfaceRole.INTERFACE_ROLE_TAP) {
        guests.add(i);
      }
    }
    List<Talker> sources = guests.isEmpty() ? List.of() : topFlows(guests.get(0));

    List<Finding> findings = new ArrayList<>();
    for (CpuSoftirq c : hot) {
      findings.add(finding(c.getSoftirqShare(), hotShare, "hot_cpu", String.format(Locale.ROOT,
          "CPU%d spends %.0f%% of its time in softirq", c.getCpu(), 100 * c.getSoftirqShare())));
    }
    for (InterfaceStats g : guests) {
      double pps = g.getRxPacketsPerSecond() + g.getTxPacketsPerSecond();
      if (pps >= guestPps) {
        findings.add(finding(pps, guestPps, "busy_guest_interface", String.format(Locale.ROOT,
            "guest interface %s%s carries %s pkt/s", g.getInterface().getName(), domainText(g), Format.count(pps))));
      }
    }
    if (meta.getCoverage().getPartial()) {
      findings.add(Finding.newBuilder().setSeverity(Severity.SEVERITY_INFO).setKind("partial_coverage")
          .setMessage("the answer is partial: " + meta.getCoverage().getUnattributedPackets()
              + " packets not attributed to a flow, " + meta.getCoverage().getUnparsedPackets() + " unparsed")
          .build());
    }
    return DiagnoseResponse.newBuilder().setMeta(meta).setSummary(summary(cpus, napi, guests, sources))
        .addAllHotCpus(hot).addAllNapiDevices(napi.subList(0, Math.min(5, napi.size())))
        .addAllGuestInterfaces(guests.subList(0, Math.min(5, guests.size()))).addAllTopSources(sources)
        .addAllFindings(findings).build();
  }

  private static Finding finding(double value, double threshold, String kind, String message) {
    Severity s = value >= 2 * threshold ? Severity.SEVERITY_CRITICAL : Severity.SEVERITY_WARNING;
    return Finding.newBuilder().setSeverity(s).setKind(kind).setMessage(message).setValue(value).setThreshold(threshold)
        .build();
  }

  /** NAPI time per device summed over CPUs (cpu_share 1.0 = one whole CPU), busiest first. */
  private static List<NapiDevice> napiOverAllCpus(List<CpuSoftirq> cpus) {
    Map<String, NapiDevice.Builder> byDev = new HashMap<>();
    for (CpuSoftirq c : cpus) {
      for (NapiDevice d : c.getNapiList()) {
        NapiDevice.Builder b = byDev.get(d.getDevice());
        if (b == null) {
          byDev.put(d.getDevice(), d.toBuilder());
        } else {
          double polls = b.getPollsPerSecond() + d.getPollsPerSecond();
          double exhausted = b.getBudgetExhaustedShare() * b.getPollsPerSecond()
              + d.getBudgetExhaustedShare() * d.getPollsPerSecond();
          b.setCpuShare(b.getCpuShare() + d.getCpuShare()).setPollsPerSecond(polls)
              .setPacketsPerSecond(b.getPacketsPerSecond() + d.getPacketsPerSecond())
              .setBudgetExhaustedShare(polls > 0 ? exhausted / polls : 0);
        }
      }
    }
    List<NapiDevice> out = new ArrayList<>();
    byDev.values().forEach(b -> out.add(b.build()));
    out.sort(Comparator.comparingDouble(NapiDevice::getCpuShare).reversed());
    return out;
  }

  /** The busiest guest interface's flows, heaviest first. */
  private List<Talker> topFlows(InterfaceStats guest) {
    TalkerQuery q = new TalkerQuery(TalkerQuery.Grouping.FLOW, false, Set.of(guest.getInterface().getName()), Set.of(),
        null, Set.of(), Set.of(), topSources);
    return service.talkers(w, q);
  }

  private static String domainText(InterfaceStats g) {
    if (!g.hasDomain()) {
      return "";
    }
    return g.getDomain().getName().isEmpty() ? " (domain id " + g.getDomain().getId() + ")"
        : " (domain " + g.getDomain().getName() + ", id " + g.getDomain().getId() + ")";
  }

  /**
   * One line, e.g. {@code CPU1 si 61% (NET_RX, 78% in ksoftirqd) · vsleth0 → vif 000a17-I (domain syslog01,
   * id 74) · UDP/514 syslog 148k pkt/s from 3 sources}.
   */
  private String summary(List<CpuSoftirq> cpus, List<NapiDevice> napi, List<InterfaceStats> guests, List<Talker> flows) {
    List<String> parts = new ArrayList<>();
    CpuSoftirq top = cpus.stream().max(Comparator.comparingDouble(CpuSoftirq::getSoftirqShare)).orElse(null);
    if (top != null) {
      String vector = top.getVectorsCount() > 0 ? top.getVectors(0).getName() : "-";
      SoftirqVector v0 = top.getVectorsCount() > 0 ? top.getVectors(0) : null;
      parts.add(String.format(Locale.ROOT, "CPU%d si %.0f%% (%s, %.0f%% in ksoftirqd)", top.getCpu(),
          100 * top.getSoftirqShare(), vector, 100 * (v0 == null ? 0 : v0.getKsoftirqdShare())));
    }
    String device = napi.stream().map(NapiDevice::getDevice).filter(d -> !d.equals(ProbeServiceImpl.NOT_A_POLL))
        .findFirst().orElse(null);
    if (!guests.isEmpty()) {
      InterfaceStats g = guests.get(0);
      String kind = g.getInterface().getRole() == InterfaceRole.INTERFACE_ROLE_TAP ? "tap " : "vif ";
      parts.add((device != null ? device + " → " : "") + kind + g.getInterface().getName() + domainText(g));
    } else if (device != null) {
      parts.add("NAPI " + device);
    }
    if (!flows.isEmpty()) {
      Talker f = flows.get(0);
      double pps = 0;
      Set<String> senders = new HashSet<>();
      for (Talker t : flows) {
        if (t.getProtocol() == f.getProtocol() && t.getDestinationPort() == f.getDestinationPort()) {
          pps += t.getPacketsPerSecond();
          senders.add(t.getSourceAddress());
        }
      }
      parts.add(String.format(Locale.ROOT, "%s/%d%s %s pkt/s from %d source%s", f.getProtocolName().toUpperCase(Locale.ROOT),
          f.getDestinationPort(), f.getService().isEmpty() ? "" : " " + f.getService(), Format.count(pps), senders.size(),
          senders.size() == 1 ? "" : "s"));
    }
    return String.join(" · ", parts);
  }
}
