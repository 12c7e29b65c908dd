package io.vifscope.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vifscope.bench.MetricsSection.Scrape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metrics section's arithmetic and parsing: per-scrape cost, scaling to 15 s, the port, the scraper's lines. */
class MetricsSectionTest {

  @Test
  void perScrapeCostIsTheDifferenceOverTheScrapeRate() {
    // 5.5% scraped once a second, 5.0% not scraped: 5 ms of CPU per scrape.
    assertEquals(0.005, MetricsSection.perScrapeCpuSeconds(0.055, 0.050, 1.0), 1e-12);
    // Fewer scrapes than planned (a slow scrape delays the next): the same difference costs more per scrape.
    assertEquals(0.010, MetricsSection.perScrapeCpuSeconds(0.055, 0.050, 0.5), 1e-12);
    // Noise can make A cheaper than B: the cost comes out negative, not clamped.
    assertEquals(-0.001, MetricsSection.perScrapeCpuSeconds(0.049, 0.050, 1.0), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> MetricsSection.perScrapeCpuSeconds(0.05, 0.05, 0));
    assertThrows(IllegalArgumentException.class, () -> MetricsSection.perScrapeCpuSeconds(0.05, 0.05, Double.NaN));
  }

  @Test
  void atFifteenSecondsTheScrapeCostIsSpreadOverTheInterval() {
    // B + (A - B) / 15 when A scraped once a second.
    double perScrape = MetricsSection.perScrapeCpuSeconds(0.065, 0.050, 1.0);
    assertEquals(0.050 + 0.015 / 15, MetricsSection.shareAtInterval(0.050, perScrape, 15), 1e-12);
    assertEquals(0.050, MetricsSection.shareAtInterval(0.050, 0, 15), 1e-12);
    assertEquals(0.065, MetricsSection.shareAtInterval(0.050, perScrape, MetricsSection.SCRAPE_EVERY_SECONDS), 1e-12);
    assertEquals(15, MetricsSection.PROMETHEUS_INTERVAL_SECONDS);
  }

  @Test
  void portComesFromTheAgentsServingLine() {
    String log = "INFO: attached 6 interfaces\nINFO: serving metrics on http://198.18.250.1:40123/metrics\n";
    assertEquals(40123, MetricsSection.servingPort(log));
    assertEquals(-1, MetricsSection.servingPort("INFO: attached 6 interfaces\n"));
    assertEquals(-1, MetricsSection.servingPort("INFO: serving metrics on https://198.18.250.1:9717/metrics\n"),
        "the section scrapes plain HTTP only");
  }

  @Test
  void scraperLinesParse() {
    String out = """
        {"status": 200, "ms": 41.5, "bytes": 123456, "series": 1234, "talker_series": 1000}

        {"status": 200, "ms": 12.25, "bytes": 100, "series": 3, "talker_series": 0}
        """;
    assertEquals(List.of(new Scrape(200, 41.5, 123456, 1234, 1000), new Scrape(200, 12.25, 100, 3, 0)),
        MetricsSection.parseScrapes(out));
    assertEquals(List.of(), MetricsSection.parseScrapes(""));
  }
}
