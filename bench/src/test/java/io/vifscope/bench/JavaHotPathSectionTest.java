package io.vifscope.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.bench.JavaHotPathSection.Score;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Turning JMH scores into the section's rows: units, per-flow cost, order, the poll-budget sentence. */
class JavaHotPathSectionTest {

  private static Score score(String benchmark, int flows, double score, String unit) {
    return new Score(benchmark, Map.of("flows", Integer.toString(flows)), score, score / 10, unit,
        List.of(score, score, score), 10_486_000, 300);
  }

  @Test
  void unitsConvertToNanoseconds() {
    assertEquals(1, JavaHotPathSection.nanosPerUnit("ns/op"));
    assertEquals(1e3, JavaHotPathSection.nanosPerUnit("us/op"));
    assertEquals(1e6, JavaHotPathSection.nanosPerUnit("ms/op"));
    assertEquals(1e9, JavaHotPathSection.nanosPerUnit("s/op"));
    assertThrows(IllegalArgumentException.class, () -> JavaHotPathSection.nanosPerUnit("ops/us"));
  }

  @Test
  void perFlowCostIsTheScoreSpreadOverTheFlows() {
    Score s = score("DeltaBench.add", 65_536, 6_553.6, "us/op");
    assertEquals(100, s.nanosPerFlow(), 1e-9);
    assertEquals("flows=65536", s.paramsText());
    Score outlier = new Score("DeltaBench.window10s", Map.of("flows", "1000"), 140, 4000, "us/op",
        List.of(10.0, 11.0, 400.0), Double.NaN, Double.NaN);
    assertEquals(11, outlier.nanosPerFlow(), 1e-9, "per flow comes from the median iteration, not the mean");
    Score noFlows = new Score("X.y", Map.of(), 1, 0, "us/op", List.of(), Double.NaN, Double.NaN);
    assertTrue(Double.isNaN(noFlows.nanosPerFlow()));
  }

  @Test
  void rowsFollowClassOrderThenMethodThenFlows() {
    List<Score> s = new ArrayList<>(List.of(
        score("RankBench.byFlow", 65_536, 1, "us/op"),
        score("DecodeBench.decodeOnly", 65_536, 1, "us/op"),
        score("DecodeBench.decodeOnly", 4_096, 1, "us/op"),
        score("DeltaBench.add", 4_096, 1, "us/op")));
    s.sort(JavaHotPathSection.ORDER);
    assertEquals(List.of("DecodeBench.decodeOnly/4096", "DecodeBench.decodeOnly/65536", "DeltaBench.add/4096",
        "RankBench.byFlow/65536"), s.stream().map(x -> x.benchmark() + "/" + x.flows()).toList());
  }

  @Test
  void resultHasOneRowPerScoreAndTheRawScores() {
    List<Score> s = List.of(score("DecodeBench.decodeIntoFlowCounts", 65_536, 2_000, "us/op"),
        score("DeltaBench.add", 65_536, 3_000, "us/op"));
    SectionResult r = JavaHotPathSection.result(s, JavaHotPathSection.options(true));
    assertEquals("java", r.id);
    assertEquals(1, r.tables.size());
    Table t = r.tables.get(0);
    assertEquals(2, t.rows.size());
    // 300 ms of GC over 3 iterations of 1 s (the quick settings).
    assertEquals(List.of("`DecodeBench.decodeIntoFlowCounts`", "flow map bytes → FlowCounts arrays (as Probe.snapshot)",
        "flows=65536", "2000 ± 200", "2000 / **2000** / 2000", "us/op", "30.5 ns", "10.5 MB", "10%"), t.rows.get(0));
    assertTrue(t.note.contains("2.00 ms + 3.00 ms (medians) = 0.5%"), t.note);
    assertEquals(2, ((List<?>) r.data.get("jmh")).size());
    assertTrue(r.goals.isEmpty(), "the issue sets no goal for this section");
  }

  @Test
  void bytesReadAsMegabytesKilobytesOrBytes() {
    assertEquals("10.5 MB", JavaHotPathSection.bytesText(10_486_000));
    assertEquals("480 KB", JavaHotPathSection.bytesText(480_000));
    assertEquals("96.0 B", JavaHotPathSection.bytesText(96));
    assertEquals("–", JavaHotPathSection.bytesText(Double.NaN));
  }

  @Test
  void noPollBudgetWithoutBothMeasurements() {
    assertEquals("", JavaHotPathSection.pollBudget(List.of(score("DeltaBench.add", 65_536, 1, "us/op"))));
  }
}
