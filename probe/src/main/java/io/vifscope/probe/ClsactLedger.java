package io.vifscope.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The clsact qdiscs this host's vifscope created, kept in a small file so that the sweep after a crash
 * removes only qdiscs we made and never one that another tool set up. One line per qdisc: "ifindex ifname".
 */
public final class ClsactLedger {
  /** Default location, beside the agent's socket. */
  public static final Path DEFAULT_FILE = Path.of("/run/vifscope/clsact-qdiscs");

  /** One recorded qdisc. */
  public record Entry(int ifindex, String ifname) {}

  private static final System.Logger LOG = System.getLogger(ClsactLedger.class.getName());
  private final Path file;
  private final Set<Entry> entries = new LinkedHashSet<>();
  /** Whether this ledger made the file's directory: then it removes it again once it is empty. */
  private boolean madeDirectory;

  public ClsactLedger(Path file) {
    this.file = file;
    entries.addAll(readFile(file));
  }

  synchronized void created(int ifindex, String ifname) {
    if (entries.add(new Entry(ifindex, ifname))) {
      write();
    }
  }

  synchronized void forget(int ifindex, String ifname) {
    if (entries.remove(new Entry(ifindex, ifname))) {
      write();
    }
  }

  /** The qdiscs recorded now (left over from a crashed run, at start-up). */
  public synchronized List<Entry> entries() {
    return new ArrayList<>(entries);
  }

  private void write() {
    if (entries.isEmpty()) {
      try {
        Files.deleteIfExists(file); // nothing to remember: leave no file behind
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot remove " + file + ": " + e.getMessage());
      }
      // And no directory, unless something else lives there now: one this ledger made, or the agent's own
      // runtime directory (/run/vifscope), which a killed run may have left with only this file in it.
      if (madeDirectory || file.equals(DEFAULT_FILE)) {
        try {
          Files.deleteIfExists(file.getParent());
          madeDirectory = false;
        } catch (java.nio.file.DirectoryNotEmptyException e) {
          // the agent's socket, or another tool's file: the directory is theirs too now
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "cannot remove " + file.getParent() + ": " + e.getMessage());
        }
      }
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (Entry e : entries) {
      sb.append(e.ifindex()).append(' ').append(e.ifname()).append('\n');
    }
    try {
      if (!Files.isDirectory(file.getParent())) {
        Files.createDirectories(file.getParent());
        madeDirectory = true;
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, sb, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Losing the ledger only means a crash could leave an empty clsact qdisc behind; say so, go on.
      String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
      LOG.log(System.Logger.Level.WARNING, "cannot write " + file + " (" + why + "); a crash could leave a clsact "
          + "qdisc behind (the agent's user needs to write " + file.getParent() + ", e.g. systemd's "
          + "RuntimeDirectory=vifscope)");
    }
  }

  private static List<Entry> readFile(Path file) {
    List<Entry> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] parts = line.strip().split(" ", 2);
        if (parts.length == 2) {
          try {
            out.add(new Entry(Integer.parseInt(parts[0]), parts[1]));
          } catch (NumberFormatException ignored) {
            // a damaged line: skip it
          }
        }
      }
    } catch (IOException e) {
      // An agent user that may not read it (a root-owned file after a switch to a service user): the sweep then
      // removes no qdisc at all, the safe side. Say so and go on.
      LOG.log(System.Logger.Level.WARNING, "cannot read " + file + " (" + e.getMessage()
          + "); clsact qdiscs left by an earlier run are not removed");
    }
    return out;
  }
}
