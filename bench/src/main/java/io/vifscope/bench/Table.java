package io.vifscope.bench;

import java.util.ArrayList;
import java.util.List;

/** One table of a section: column titles, rows of text cells, and a note under it. */
public final class Table {
  final String title;
  final List<String> columns;
  final List<List<String>> rows = new ArrayList<>();
  String note = "";

  public Table(String title, String... columns) {
    this.title = title;
    this.columns = List.of(columns);
  }

  public Table row(Object... cells) {
    if (cells.length != columns.size()) {
      throw new IllegalArgumentException(title + ": " + cells.length + " cells for " + columns.size() + " columns");
    }
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      r.add(String.valueOf(c));
    }
    rows.add(r);
    return this;
  }

  public Table note(String text) {
    note = text;
    return this;
  }
}
