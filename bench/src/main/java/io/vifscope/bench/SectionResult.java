package io.vifscope.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one section measured: tables for people, data for machines, goals with verdicts, and the method. */
public final class SectionResult {
  final String id;
  final String title;
  final String method;
  final List<Table> tables = new ArrayList<>();
  final List<Goal> goals = new ArrayList<>();
  /** Raw numbers (samples, per-variant stats), written to the JSON results as they are. */
  final Map<String, Object> data = new LinkedHashMap<>();

  public SectionResult(String id, String title, String method) {
    this.id = id;
    this.title = title;
    this.method = method;
  }

  public Table table(Table t) {
    tables.add(t);
    return t;
  }

  public void goal(Goal g) {
    goals.add(g);
  }

  public void data(String key, Object value) {
    data.put(key, value);
  }
}
