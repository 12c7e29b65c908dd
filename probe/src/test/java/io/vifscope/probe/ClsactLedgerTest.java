package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClsactLedgerTest {
  @TempDir
  Path tmp;

  @Test
  void remembersAcrossRunsAndLeavesNothingWhenEmpty() {
    Path file = tmp.resolve("run/vifscope/clsact-qdiscs");
    ClsactLedger l = new ClsactLedger(file);
    l.created(7, "vif3.0");
    assertTrue(Files.exists(file));
    assertEquals(List.of(new ClsactLedger.Entry(7, "vif3.0")), new ClsactLedger(file).entries(), "a crash keeps it");
    l.forget(7, "vif3.0");
    assertFalse(Files.exists(file), "no file");
    assertFalse(Files.exists(file.getParent()), "and no directory: the ledger made it");
    assertTrue(Files.isDirectory(tmp.resolve("run")), "only what it made");
  }

  @Test
  void keepsADirectoryItDidNotMakeOrThatHoldsSomethingElse() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("mine"));
    ClsactLedger l = new ClsactLedger(dir.resolve("clsact-qdiscs"));
    l.created(7, "vif3.0");
    l.forget(7, "vif3.0");
    assertTrue(Files.isDirectory(dir), "not the ledger's to remove");

    Path made = tmp.resolve("made/clsact-qdiscs");
    ClsactLedger m = new ClsactLedger(made);
    m.created(8, "vif4.0");
    Files.writeString(made.resolveSibling("vifscope.sock"), "");
    m.forget(8, "vif4.0");
    assertTrue(Files.isDirectory(made.getParent()), "the agent's socket lives there now");
  }
}
