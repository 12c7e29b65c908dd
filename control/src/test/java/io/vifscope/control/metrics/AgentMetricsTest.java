package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {

  static double value(MetricSnapshots all, String name, String... labels) {
    Labels want = Labels.of(labels);
    for (MetricSnapshot m : all) {
      if (m.getMetadata().getName().equals(name)) {
        for (DataPointSnapshot p : m.getDataPoints()) {
          if (p.getLabels().equals(want)) {
            if (p instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c) {
              return c.getValue();
            }
            return ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
          }
        }
      }
    }
    throw new AssertionError("no " + name + Labels.of(labels));
  }

  static String text(MetricSnapshots m) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, m);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void countersComeFromTheNewestPollAndLabelsAreEscaped() throws IOException {
    FixtureSource src = new FixtureSource(2);
    src.flowTo(0, FixtureSource.ipv4(198, 18, 0, 201), 40000, 514, 1_500_000);
    MetricSnapshots m = new AgentMetrics(src, "0.1.0-test", 5, 1000).collect();

    assertEquals(1_000_000, value(m, "vifscope_interface_packets", "interface", "eth0", "direction", "rx"));
    assertEquals(171_000_000, value(m, "vifscope_interface_bytes", "interface", "000a17-I", "direction", "tx"));
    assertEquals(900_000, value(m, "vifscope_domain_packets", "domain", FixtureSource.NASTY, "domain_id", "74",
        "direction", "to_guest"));
    assertEquals(1.5 + 0.75 * 0, value(m, "vifscope_softirq_seconds", "cpu", "1", "vector", "HI"), 1e-9);
    assertEquals(0.75, value(m, "vifscope_softirq_ksoftirqd_seconds", "cpu", "1", "vector", "NET_RX"), 1e-9);
    assertEquals(2.001, value(m, "vifscope_napi_poll_seconds", "device", "eth0"), 1e-9);
    assertEquals(5e-6, value(m, "vifscope_napi_poll_seconds", "device", AgentMetrics.NOT_A_POLL), 1e-12);
    assertEquals(12, value(m, "vifscope_unparsed_packets", "reason", "non_ip"));
    assertEquals(70_000 - 1, value(m, "vifscope_flow_evictions"), "inserts minus the entries present");
    assertEquals(1_000_000, value(m, "vifscope_program_runs", "program", "tc_ingress"));
    assertEquals(0.104, value(m, "vifscope_program_run_seconds", "program", "tc_ingress"), 1e-9);
    assertEquals(150_000, value(m, "vifscope_talker_packets_per_second", "domain", FixtureSource.NASTY,
        "domain_id", "74", "direction", "to_guest", "source", "198.18.0.201", "destination", "198.18.1.0",
        "protocol", "udp", "port", "514"), 1e-9);
    assertEquals(3, value(m, "process_cpu_seconds"), 1e-9);

    String text = text(m);
    String escaped = FixtureSource.NASTY.replace("\\", "\\\\").replace("\"", "\\\"");
    assertTrue(text.contains("domain=\"" + escaped + "\""), "escaped once, as the format says: " + escaped);
    assertTrue(text.contains("# TYPE vifscope_interface_packets_total counter")
        || text.contains("# TYPE vifscope_interface_packets counter"), "counters are typed counter");
    assertTrue(text.contains("vifscope_interface_packets_total{direction=\"rx\",interface=\"eth0\"} 1000000"), text);
  }

  @Test
  void domainsSharingANameAndIdAddUpInsteadOfBreakingTheScrape() {
    FixtureSource src = new FixtureSource(1);
    src.domains.clear();
    src.domains.add(new DomainCounters.Total(new io.vifscope.control.resolve.Domain(12, "web01",
        "3f9e4c1a-74d2-4b8e-a1c7-000a17000001"), 10, 1000, 1, 100));
    src.domains.add(new DomainCounters.Total(new io.vifscope.control.resolve.Domain(12, "web01",
        "3f9e4c1a-74d2-4b8e-a1c7-000a17000002"), 5, 500, 2, 200));
    MetricSnapshots m = new AgentMetrics(src, "t", 5, 1000).collect();
    assertEquals(15, value(m, "vifscope_domain_packets", "domain", "web01", "domain_id", "12", "direction",
        "to_guest"));
    assertEquals(300, value(m, "vifscope_domain_bytes", "domain", "web01", "domain_id", "12", "direction",
        "from_guest"));
  }

  @Test
  void noProgramSeriesWhenStatisticsAreOff() throws IOException {
    FixtureSource src = new FixtureSource(1);
    src.programs.clear();
    assertFalse(text(new AgentMetrics(src, "t", 5, 1000).collect()).contains("vifscope_program_runs"));
  }

  @Test
  void theWholeScrapeStaysUnderTheCapDuringASpoofedFlood() {
    FixtureSource src = new FixtureSource(100);
    for (int i = 0; i < 65_536; i++) {
      src.flowTo(i % 100, FixtureSource.ipv4(198, 19, i >> 8, i & 0xff), 1024 + i % 60000, 514, 1);
    }
    MetricSnapshots m = new AgentMetrics(src, "t", 5, 1000).collect();
    List<MetricSnapshot> list = new ArrayList<>();
    m.forEach(list::add);
    int talkers = 0;
    for (MetricSnapshot s : list) {
      if (s.getMetadata().getName().startsWith("vifscope_talker_") && s.getMetadata().getName().endsWith("_per_second")) {
        talkers += s.getDataPoints().size();
      }
    }
    assertTrue(talkers <= 1000, talkers + " talker series");
    assertEquals(talkers / 2.0, value(m, "vifscope_metrics_talker_rows"));
    assertEquals(500, value(m, "vifscope_metrics_talker_rows_limit"));
    FixtureSource quiet = new FixtureSource(100);
    List<MetricSnapshot> before = new ArrayList<>();
    new AgentMetrics(quiet, "t", 5, 1000).collect().forEach(before::add);
    assertEquals(AgentMetrics.countSeries(before) + talkers, AgentMetrics.countSeries(list),
        "the flood adds the capped talker series and nothing else");
  }
}
