package io.vifscope.control.cli;

import io.vifscope.proto.v1.GetSoftirqStatsRequest;
import io.vifscope.proto.v1.GetSoftirqStatsResponse;
import io.vifscope.proto.v1.GroupBy;
import io.vifscope.proto.v1.ListTopTalkersRequest;
import io.vifscope.proto.v1.ListTopTalkersResponse;
import io.vifscope.proto.v1.ProbeServiceGrpc;
import io.vifscope.proto.v1.SortBy;
import io.vifscope.proto.v1.Talker;
import io.vifscope.proto.v1.TalkerFilter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One refresh of {@code vifscope top}: each agent's talkers over the 2 s, 10 s and 40 s windows and its softirq
 * header, merged into one ranking of the whole fleet, every row labelled with its node.
 */
final class TopFrame {
  /** The windows shown side by side, as iftop does. */
  static final long[] WINDOWS_SECONDS = {2, 10, 40};
  /** Rows asked of the longer windows to find the rows of the ranking window in them. */
  private static final int LOOKUP_LIMIT = 1000;

  /** What one agent said for one refresh. */
  record AgentView(List<ListTopTalkersResponse> windows, GetSoftirqStatsResponse softirq) {}

  /** One ranked row: the talker (identity fields, node set) and its rate in each window. */
  record Row(Talker talker, double[] rates) {}

  final List<AgentView> agents;
  final List<Row> rows;

  private TopFrame(List<AgentView> agents, List<Row> rows) {
    this.agents = agents;
    this.rows = rows;
  }

  /** The calls one agent gets per refresh. */
  static AgentView ask(ProbeServiceGrpc.ProbeServiceBlockingStub stub, GroupBy group, SortBy sort, TalkerFilter filter,
      int limit, int rankWindow) {
    List<ListTopTalkersResponse> windows = new ArrayList<>();
    for (int i = 0; i < WINDOWS_SECONDS.length; i++) {
      windows.add(stub.listTopTalkers(ListTopTalkersRequest.newBuilder()
          .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(WINDOWS_SECONDS[i]))
          .setGroupBy(group).setSortBy(sort).setFilter(filter)
          .setLimit(i == rankWindow ? limit : Math.max(limit, LOOKUP_LIMIT)).build()));
    }
    GetSoftirqStatsResponse si = stub.getSoftirqStats(GetSoftirqStatsRequest.newBuilder()
        .setWindow(com.google.protobuf.Duration.newBuilder().setSeconds(WINDOWS_SECONDS[0])).build());
    return new AgentView(windows, si);
  }

  /**
   * Merges the agents' answers: the rows of each agent's ranking window (and the first {@code limit} of its other
   * windows, so a talker that just went quiet stays in view), ranked over the fleet by the ranking window, then
   * the others.
   */
  static TopFrame merge(List<AgentView> agents, boolean byBytes, int limit, int rankWindow) {
    Map<Talker, double[]> rates = new LinkedHashMap<>();
    for (AgentView a : agents) {
      for (int w = 0; w < a.windows.size(); w++) {
        ListTopTalkersResponse r = a.windows.get(w);
        String node = r.getMeta().getNode();
        int n = 0;
        for (Talker t : r.getTalkersList()) {
          Talker key = identity(t, node);
          double rate = byBytes ? t.getBytesPerSecond() : t.getPacketsPerSecond();
          double[] v = rates.get(key);
          if (v == null) {
            if (w != rankWindow && n >= limit) {
              continue; // only looked up, not ranked in by itself
            }
            v = new double[WINDOWS_SECONDS.length];
            rates.put(key, v);
          }
          v[w] = rate;
          n++;
        }
      }
    }
    Comparator<Row> order = Comparator.comparingDouble((Row r) -> r.rates[rankWindow]);
    for (int w = 0; w < WINDOWS_SECONDS.length; w++) {
      final int ww = w;
      order = order.thenComparingDouble(r -> r.rates[ww]);
    }
    List<Row> rows = new ArrayList<>();
    rates.forEach((t, v) -> rows.add(new Row(t, v)));
    // Equal rates keep one order from refresh to refresh, so that the screen does not flicker.
    rows.sort(order.reversed().thenComparing(r -> r.talker().toString()));
    return new TopFrame(agents, rows.size() > limit ? new ArrayList<>(rows.subList(0, limit)) : rows);
  }

  /** The talker without its numbers, labelled with its node: the same talker in every window. */
  static Talker identity(Talker t, String node) {
    return t.toBuilder().clearPacketsPerSecond().clearBytesPerSecond().clearPackets().clearBytes()
        .clearInterfaceShare().setNode(node).build();
  }

  /** The merged ranking of one window as the API's response, every talker labelled with its node (for --json). */
  static ListTopTalkersResponse merged(List<AgentView> agents, boolean byBytes, int limit, int window) {
    List<Talker> all = new ArrayList<>();
    ListTopTalkersResponse.Builder b = ListTopTalkersResponse.newBuilder();
    for (AgentView a : agents) {
      ListTopTalkersResponse r = a.windows.get(window);
      if (!b.hasMeta()) {
        b.setMeta(r.getMeta());
      }
      r.getTalkersList().forEach(t -> all.add(t.toBuilder().setNode(r.getMeta().getNode()).build()));
    }
    all.sort(Comparator.comparingDouble((Talker t) -> byBytes ? t.getBytesPerSecond() : t.getPacketsPerSecond())
        .reversed());
    all.stream().limit(limit).forEach(b::addTalkers);
    return b.build();
  }
}
