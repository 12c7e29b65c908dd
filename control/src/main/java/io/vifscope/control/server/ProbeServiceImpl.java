package io.vifscope.control.server;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vifscope.control.rank.Addresses;
import io.vifscope.control.rank.Services;
import io.vifscope.control.rank.TalkerQuery;
import io.vifscope.control.rank.TopTalkers;
import io.vifscope.control.rank.TrafficDirection;
import io.vifscope.control.rank.WindowStats;
import io.vifscope.control.resolve.Domain;
import io.vifscope.control.resolve.Resolution;
import io.vifscope.control.resolve.Role;
import io.vifscope.probe.Counter;
import io.vifscope.probe.Direction;
import io.vifscope.probe.IfaceKey;
import io.vifscope.probe.SoftirqStats;
import io.vifscope.proto.v1.Coverage;
import io.vifscope.proto.v1.CpuSoftirq;
import io.vifscope.proto.v1.DiagnoseRequest;
import io.vifscope.proto.v1.DiagnoseResponse;
import io.vifscope.proto.v1.DomainRef;
import io.vifscope.proto.v1.DomainStats;
import io.vifscope.proto.v1.GetAgentStatusRequest;
import io.vifscope.proto.v1.GetAgentStatusResponse;
import io.vifscope.proto.v1.GetSoftirqStatsRequest;
import io.vifscope.proto.v1.GetSoftirqStatsResponse;
import io.vifscope.proto.v1.InterfaceRef;
import io.vifscope.proto.v1.InterfaceRole;
import io.vifscope.proto.v1.InterfaceStats;
import io.vifscope.proto.v1.ListDomainsRequest;
import io.vifscope.proto.v1.ListDomainsResponse;
import io.vifscope.proto.v1.ListInterfacesRequest;
import io.vifscope.proto.v1.ListInterfacesResponse;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.NapiDevice;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.ResponseMeta;
import io.vifscope.proto.v1.SoftirqVector;
import io.vifscope.proto.v1.SortBy;
import io.vifscope.proto.v1.Talker;
import io.vifscope.proto.v1.TalkerFilter;
import io.vifscope.proto.v1.WatchTopTalkersRequest;
import io.vifscope.proto.v1.WatchTopTalkersResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The public API over the agent's state: every rpc of {@code vifscope.v1.ProbeService}. Requests are
 * validated first (INVALID_ARGUMENT names the field); every response carries the node, the time, the window
 * it covers and what was lost in it.
 */
public final class ProbeServiceImpl extends ProbeServiceGrpc.ProbeServiceImplBase {
  static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 10_000;
  static final int MAX_FILTER_VALUES = 256;
  static final String NOT_A_POLL = "(not a poll)";

  private final AgentState state;
  private final Services services;
  private final ScheduledExecutorService watchTimer;

  /** {@code watchTimer} drives WatchTopTalkers streams; the caller owns and shuts it down. */
  public ProbeServiceImpl(AgentState state, Services services, ScheduledExecutorService watchTimer) {
    this.state = state;
    this.services = services;
    this.watchTimer = watchTimer;
  }

  // ---- validation ---------------------------------------------------------------------------------------

  private static Status invalid(String field, String why) {
    return Status.INVALID_ARGUMENT.withDescription(field + ": " + why);
  }

  /** The window a request asks for, checked against the poll interval and the configured history. */
  Duration window(boolean has, com.google.protobuf.Duration d, String field) {
    if (!has) {
      return DEFAULT_WINDOW.compareTo(state.retention()) > 0 ? state.retention() : DEFAULT_WINDOW;
    }
    if (d.getSeconds() < 0 || d.getNanos() < 0) {
      throw invalid(field, "must not be negative").asRuntimeException();
    }
    Duration w = Duration.ofSeconds(d.getSeconds(), d.getNanos());
    if (w.compareTo(state.pollInterval()) < 0 || w.compareTo(state.retention()) > 0) {
      throw invalid(field, "must be between one poll interval (" + human(state.pollInterval()) + ") and the history ("
          + human(state.retention()) + "), got " + human(w)).asRuntimeException();
    }
    return w;
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  TalkerQuery query(ListTopTalkersRequest r) {
    int limit = r.getLimit() == 0 ? DEFAULT_LIMIT : r.getLimit();
    if (r.getLimit() < 0 || r.getLimit() > MAX_LIMIT) {
      throw invalid("limit", "must be between 1 and " + MAX_LIMIT + ", got " + Integer.toUnsignedString(r.getLimit()))
          .asRuntimeException();
    }
    TalkerFilter f = r.getFilter();
    checkCount("filter.interfaces", f.getInterfacesCount());
    checkCount("filter.domains", f.getDomainsCount());
    checkCount("filter.protocols", f.getProtocolsCount());
    checkCount("filter.ports", f.getPortsCount());
    Set<Integer> protocols = new HashSet<>();
    for (int p : f.getProtocolsList()) {
      if (p < 0 || p > 255) {
        throw invalid("filter.protocols", "IP protocol numbers are 0..255, got " + Integer.toUnsignedString(p))
            .asRuntimeException();
      }
      protocols.add(p);
    }
    Set<Integer> ports = new HashSet<>();
    for (int p : f.getPortsList()) {
      if (p < 0 || p > 65535) {
        throw invalid("filter.ports", "ports are 0..65535, got " + Integer.toUnsignedString(p)).asRuntimeException();
      }
      ports.add(p);
    }
    TalkerQuery.Grouping g = switch (r.getGroupBy()) {
      case GROUP_BY_UNSPECIFIED, GROUP_BY_SOURCE -> TalkerQuery.Grouping.SOURCE;
      case GROUP_BY_FLOW -> TalkerQuery.Grouping.FLOW;
      case GROUP_BY_DOMAIN -> TalkerQuery.Grouping.DOMAIN;
      case GROUP_BY_INTERFACE -> TalkerQuery.Grouping.INTERFACE;
      case GROUP_BY_DESTINATION_PORT -> TalkerQuery.Grouping.DESTINATION_PORT;
      default -> throw invalid("group_by", "unknown value " + r.getGroupByValue()).asRuntimeException();
    };
    if (r.getSortBy() == SortBy.UNRECOGNIZED) {
      throw invalid("sort_by", "unknown value " + r.getSortByValue()).asRuntimeException();
    }
    TrafficDirection dir = switch (f.getDirection()) {
      case DIRECTION_UNSPECIFIED -> null;
      case DIRECTION_TO_GUEST -> TrafficDirection.TO_GUEST;
      case DIRECTION_FROM_GUEST -> TrafficDirection.FROM_GUEST;
      case DIRECTION_HOST_RECEIVE -> TrafficDirection.HOST_RECEIVE;
      case DIRECTION_HOST_TRANSMIT -> TrafficDirection.HOST_TRANSMIT;
      default -> throw invalid("filter.direction", "unknown value " + f.getDirectionValue()).asRuntimeException();
    };
    return new TalkerQuery(g, r.getSortBy() == SortBy.SORT_BY_BYTES, new HashSet<>(f.getInterfacesList()),
        new HashSet<>(f.getDomainsList()), dir, protocols, ports, limit);
  }

  private static void checkCount(String field, int n) {
    if (n > MAX_FILTER_VALUES) {
      throw invalid(field, "at most " + MAX_FILTER_VALUES + " values, got " + n).asRuntimeException();
    }
  }

  // ---- meta and coverage ----------------------------------------------------------------------------------

  ResponseMeta meta(WindowStats w, Duration asked) {
    Instant now = Instant.now();
    long nanos = Math.round(w.seconds() * 1e9);
    return ResponseMeta.newBuilder()
        .setNode(state.node())
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(nanos / 1_000_000_000L)
            .setNanos((int) (nanos % 1_000_000_000L)))
        .setCoverage(coverage(w, asked))
        .build();
  }

  Coverage coverage(WindowStats w, Duration asked) {
    long unparsed = 0;
    long failures = 0;
    for (Map.Entry<Counter, Long> e : w.counters().entrySet()) {
      if (e.getKey().kind() == Counter.Kind.UNPARSED) {
        unparsed += e.getValue();
      } else if (e.getKey().kind() == Counter.Kind.ERROR) {
        failures += e.getValue();
      }
    }
    long unattributed = 0;
    for (long v : w.unattributedPackets().values()) {
      unattributed += v;
    }
    long evictions = state.flowEvictions(asked);
    return Coverage.newBuilder()
        .setEvictions(evictions)
        .setUpdateFailures(failures)
        .setUnparsedPackets(unparsed)
        .setUnattributedPackets(unattributed)
        .setPartial(evictions > 0 || failures > 0 || unparsed > 0 || unattributed > 0)
        .build();
  }

  // ---- top talkers ------------------------------------------------------------------------------------------

  @Override
  public void listTopTalkers(ListTopTalkersRequest req, StreamObserver<ListTopTalkersResponse> out) {
    try {
      Duration window = window(req.hasWindow(), req.getWindow(), "window");
      TalkerQuery q = query(req);
      WindowStats w = state.window(window);
      out.onNext(ListTopTalkersResponse.newBuilder().setMeta(meta(w, window)).addAllTalkers(talkers(w, q)).build());
      out.onCompleted();
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
    }
  }

  List<Talker> talkers(WindowStats w, TalkerQuery q) {
    List<Talker> rows = new ArrayList<>();
    for (TopTalkers.Row r : TopTalkers.rank(w, q, state::resolve)) {
      rows.add(talker(r, w.seconds()));
    }
    return rows;
  }

  private Talker talker(TopTalkers.Row r, double seconds) {
    Talker.Builder t = Talker.newBuilder()
        .setPackets(r.packets())
        .setBytes(r.bytes())
        .setPacketsPerSecond(seconds > 0 ? r.packets() / seconds : 0)
        .setBytesPerSecond(seconds > 0 ? r.bytes() / seconds : 0)
        .setInterfaceShare(r.interfaceShare())
        .setDirection(direction(r.direction()))
        .setNode(state.node());
    if (r.source() != null) {
      t.setSourceAddress(Addresses.text(r.source()));
    }
    if (r.destination() != null) {
      t.setDestinationAddress(Addresses.text(r.destination()));
    }
    if (r.protocol() != 0) {
      t.setProtocol(r.protocol()).setProtocolName(Services.protocolName(r.protocol()));
      t.setSourcePort(r.sport()).setDestinationPort(r.dport()).setService(services.name(r.protocol(), r.sport(), r.dport()));
    }
    t.setVlan(r.vlan());
    if (r.resolution() != null) {
      t.setInterface(interfaceRef(r.ifindex(), r.resolution()));
    }
    if (r.domain() != null) {
      t.setDomain(domainRef(r.domain()));
    }
    return t.build();
  }

  @Override
  public void watchTopTalkers(WatchTopTalkersRequest req, StreamObserver<WatchTopTalkersResponse> out) {
    Duration window;
    TalkerQuery q;
    Duration interval;
    try {
      window = window(req.getQuery().hasWindow(), req.getQuery().getWindow(), "query.window");
      q = query(req.getQuery());
      interval = req.hasInterval()
          ? Duration.ofSeconds(req.getInterval().getSeconds(), req.getInterval().getNanos())
          : Duration.ofSeconds(1);
      if (interval.compareTo(state.pollInterval()) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
        throw invalid("interval", "must be between one poll interval (" + human(state.pollInterval()) + ") and 1h")
            .asRuntimeException();
      }
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    ServerCallStreamObserver<WatchTopTalkersResponse> call = (ServerCallStreamObserver<WatchTopTalkersResponse>) out;
    // The call's context is cancelled when the client goes away and also when the server ends the stream
    // (shutdown); either way the timer must stop.
    io.grpc.Context context = io.grpc.Context.current();
    ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
    Runnable send = () -> {
      synchronized (call) {
        if (call.isCancelled() || context.isCancelled()) {
          task[0].cancel(false);
          return;
        }
        WindowStats w = state.window(window);
        call.onNext(WatchTopTalkersResponse.newBuilder().setMeta(meta(w, window)).addAllTalkers(talkers(w, q)).build());
      }
    };
    Runnable stop = () -> {
      synchronized (call) {
        if (task[0] != null) {
          task[0].cancel(false);
        }
      }
    };
    call.setOnCancelHandler(stop);
    context.addListener(c -> stop.run(), Runnable::run);
    synchronized (call) {
      task[0] = watchTimer.scheduleAtFixedRate(() -> {
        try {
          send.run();
        } catch (RuntimeException e) {
          task[0].cancel(false);
          synchronized (call) {
            if (!call.isCancelled()) {
              call.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            }
          }
        }
      }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  // ---- softirq ------------------------------------------------------------------------------------------------

  @Override
  public void getSoftirqStats(GetSoftirqStatsRequest req, StreamObserver<GetSoftirqStatsResponse> out) {
    try {
      Duration window = window(req.hasWindow(), req.getWindow(), "window");
      WindowStats w = state.window(window);
      out.onNext(GetSoftirqStatsResponse.newBuilder().setMeta(meta(w, window)).addAllCpus(cpus(w)).build());
      out.onCompleted();
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
    }
  }

  List<CpuSoftirq> cpus(WindowStats w) {
    double ns = w.seconds() * 1e9;
    Map<String, Integer> ifindexByName = new HashMap<>();
    w.names().forEach((i, n) -> ifindexByName.put(n, i));
    List<CpuSoftirq> out = new ArrayList<>();
    for (int cpu = 0; cpu < w.softirq().size(); cpu++) {
      long[][] v = w.softirq().get(cpu);
      long total = 0;
      long ksoft = 0;
      List<SoftirqVector> vectors = new ArrayList<>();
      for (int vec = 0; vec < v.length; vec++) {
        long[] s = v[vec];
        if (s == null) {
          continue;
        }
        total += s[1];
        ksoft += s[3];
        if (s[0] > 0) {
          vectors.add(SoftirqVector.newBuilder().setName(SoftirqStats.vectorName(vec))
              .setCpuShare(ns > 0 ? s[1] / ns : 0)
              .setRunsPerSecond(w.seconds() > 0 ? s[0] / w.seconds() : 0)
              .setKsoftirqdShare(s[1] > 0 ? (double) s[3] / s[1] : 0).build());
        }
      }
      vectors.sort(Comparator.comparingDouble(SoftirqVector::getCpuShare).reversed());
      List<NapiDevice> napi = new ArrayList<>();
      Map<String, long[]> devs = cpu < w.napi().size() ? w.napi().get(cpu) : Map.of();
      devs.forEach((dev, s) -> napi.add(napiDevice(dev, s, w.seconds(), ifindexByName)));
      napi.sort(Comparator.comparingDouble(NapiDevice::getCpuShare).reversed());
      out.add(CpuSoftirq.newBuilder().setCpu(cpu).setSoftirqShare(ns > 0 ? total / ns : 0)
          .setKsoftirqdShare(total > 0 ? (double) ksoft / total : 0).addAllVectors(vectors).addAllNapi(napi).build());
    }
    return out;
  }

  private NapiDevice napiDevice(String dev, long[] s, double seconds, Map<String, Integer> ifindexByName) {
    NapiDevice.Builder b = NapiDevice.newBuilder()
        .setDevice(dev.isEmpty() ? NOT_A_POLL : dev)
        .setCpuShare(seconds > 0 ? s[3] / (seconds * 1e9) : 0)
        .setPollsPerSecond(seconds > 0 ? s[0] / seconds : 0)
        .setPacketsPerSecond(seconds > 0 ? s[1] / seconds : 0)
        .setBudgetExhaustedShare(s[0] > 0 ? (double) s[2] / s[0] : 0);
    Integer ifindex = ifindexByName.get(dev);
    if (ifindex != null) {
      Resolution r = state.resolve(ifindex);
      b.setInterface(interfaceRef(ifindex, r));
      if (r.nic() != null) {
        b.setDomain(domainRef(r.nic().domain()));
      }
    }
    return b.build();
  }

  // ---- interfaces and domains --------------------------------------------------------------------------------

  @Override
  public void listInterfaces(ListInterfacesRequest req, StreamObserver<ListInterfacesResponse> out) {
    try {
      Duration window = window(req.hasWindow(), req.getWindow(), "window");
      WindowStats w = state.window(window);
      out.onNext(ListInterfacesResponse.newBuilder().setMeta(meta(w, window))
          .addAllInterfaces(interfaces(w, state.kernelDrops(window))).build());
      out.onCompleted();
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
    }
  }

  List<InterfaceStats> interfaces(WindowStats w, Map<String, long[]> drops) {
    Set<Integer> ifindexes = new HashSet<>(w.names().keySet());
    for (IfaceKey k : w.interfaces().keySet()) {
      ifindexes.add(k.ifindex());
    }
    double s = w.seconds();
    List<InterfaceStats> out = new ArrayList<>();
    for (int ifindex : ifindexes) {
      long[] rx = w.interfaces().get(new IfaceKey(ifindex, Direction.INGRESS));
      long[] tx = w.interfaces().get(new IfaceKey(ifindex, Direction.EGRESS));
      if (rx == null && tx == null) {
        continue; // not watched
      }
      Resolution r = state.resolve(ifindex);
      InterfaceStats.Builder b = InterfaceStats.newBuilder().setInterface(interfaceRef(ifindex, r))
          .setRxPacketsPerSecond(rate(rx, WindowStats.PACKETS, s)).setRxBytesPerSecond(rate(rx, WindowStats.BYTES, s))
          .setTxPacketsPerSecond(rate(tx, WindowStats.PACKETS, s)).setTxBytesPerSecond(rate(tx, WindowStats.BYTES, s));
      if (r.nic() != null) {
        b.setDomain(domainRef(r.nic().domain())).setDomainSource(r.source()).setDomainGuessed(r.guess());
      }
      long[] d = drops.get(r.ifname());
      if (d != null) {
        b.setRxDropped(d[0]).setTxDropped(d[1]).setRxErrors(d[2]).setTxErrors(d[3]);
      }
      out.add(b.build());
    }
    out.sort(Comparator.comparingDouble((InterfaceStats i) -> i.getRxPacketsPerSecond() + i.getTxPacketsPerSecond())
        .reversed());
    return out;
  }

  private static double rate(long[] v, int index, double seconds) {
    return v == null || seconds <= 0 ? 0 : v[index] / seconds;
  }

  @Override
  public void listDomains(ListDomainsRequest req, StreamObserver<ListDomainsResponse> out) {
    try {
      Duration window = window(req.hasWindow(), req.getWindow(), "window");
      WindowStats w = state.window(window);
      Map<String, DomainStats.Builder> byDomain = new LinkedHashMap<>();
      for (Domain d : state.domains()) {
        byDomain.computeIfAbsent(d.key(), k -> DomainStats.newBuilder().setDomain(domainRef(d)));
      }
      for (InterfaceStats i : interfaces(w, Map.of())) {
        if (!i.hasDomain()) {
          continue;
        }
        DomainRef d = i.getDomain(); // already resolved by interfaces()
        DomainStats.Builder b = byDomain.computeIfAbsent(Domain.key(d.getId(), d.getName(), d.getUuid()),
            k -> DomainStats.newBuilder());
        b.setDomain(d); // as its interface resolves: the same id the other answers show
        b.addInterfaces(i.getInterface());
        // dom0 transmits toward the guest (egress) and receives from it (ingress).
        b.setToGuestPacketsPerSecond(b.getToGuestPacketsPerSecond() + i.getTxPacketsPerSecond());
        b.setToGuestBytesPerSecond(b.getToGuestBytesPerSecond() + i.getTxBytesPerSecond());
        b.setFromGuestPacketsPerSecond(b.getFromGuestPacketsPerSecond() + i.getRxPacketsPerSecond());
        b.setFromGuestBytesPerSecond(b.getFromGuestBytesPerSecond() + i.getRxBytesPerSecond());
      }
      List<DomainStats> list = new ArrayList<>();
      byDomain.values().forEach(b -> list.add(b.build()));
      list.sort(Comparator.comparingDouble(
          (DomainStats d) -> d.getToGuestPacketsPerSecond() + d.getFromGuestPacketsPerSecond()).reversed());
      out.onNext(ListDomainsResponse.newBuilder().setMeta(meta(w, window)).addAllDomains(list).build());
      out.onCompleted();
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
    }
  }

  // ---- diagnose -----------------------------------------------------------------------------------------------

  @Override
  public void diagnose(DiagnoseRequest req, StreamObserver<DiagnoseResponse> out) {
    try {
      Duration window = window(req.hasWindow(), req.getWindow(), "window");
      double hot = req.getHotCpuSoftirqShare() == 0 ? 0.25 : req.getHotCpuSoftirqShare();
      if (!(hot > 0 && hot <= 1)) {
        throw invalid("hot_cpu_softirq_share", "must be in (0, 1]").asRuntimeException();
      }
      double guestPps = req.getGuestPacketsPerSecond() == 0 ? 10_000 : req.getGuestPacketsPerSecond();
      if (!(guestPps > 0) || Double.isInfinite(guestPps)) {
        throw invalid("guest_packets_per_second", "must be positive").asRuntimeException();
      }
      int topSources = req.getTopSources() == 0 ? 5 : req.getTopSources();
      if (topSources < 0 || topSources > 100) {
        throw invalid("top_sources", "must be between 1 and 100").asRuntimeException();
      }
      WindowStats w = state.window(window);
      out.onNext(new Diagnosis(this, w, hot, guestPps, topSources).build(meta(w, window)));
      out.onCompleted();
    } catch (io.grpc.StatusRuntimeException e) {
      out.onError(e);
    }
  }

  // ---- status -------------------------------------------------------------------------------------------------

  @Override
  public void getAgentStatus(GetAgentStatusRequest req, StreamObserver<GetAgentStatusResponse> out) {
    WindowStats w = state.window(state.retention());
    out.onNext(state.status().setMeta(meta(w, state.retention())).build());
    out.onCompleted();
  }

  // ---- mapping helpers ----------------------------------------------------------------------------------------

  static InterfaceRef interfaceRef(int ifindex, Resolution r) {
    return InterfaceRef.newBuilder().setName(r.ifname()).setIfindex(ifindex).setRole(role(r.role())).build();
  }

  static InterfaceRole role(Role r) {
    return switch (r) {
      case GUEST_VIF -> InterfaceRole.INTERFACE_ROLE_GUEST_VIF;
      case TAP -> InterfaceRole.INTERFACE_ROLE_TAP;
      case PHYSICAL -> InterfaceRole.INTERFACE_ROLE_PHYSICAL;
      case BRIDGE -> InterfaceRole.INTERFACE_ROLE_BRIDGE;
      case OTHER -> InterfaceRole.INTERFACE_ROLE_OTHER;
    };
  }

  static DomainRef domainRef(Domain d) {
    return DomainRef.newBuilder().setId(Math.max(0, d.id())).setName(d.name()).setUuid(d.uuid()).build();
  }

  static io.vifscope.proto.v1.Direction direction(TrafficDirection d) {
    return switch (d) {
      case TO_GUEST -> io.vifscope.proto.v1.Direction.DIRECTION_TO_GUEST;
      case FROM_GUEST -> io.vifscope.proto.v1.Direction.DIRECTION_FROM_GUEST;
      case HOST_RECEIVE -> io.vifscope.proto.v1.Direction.DIRECTION_HOST_RECEIVE;
      case HOST_TRANSMIT -> io.vifscope.proto.v1.Direction.DIRECTION_HOST_TRANSMIT;
    };
  }
}
