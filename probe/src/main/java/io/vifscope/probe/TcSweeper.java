package io.vifscope.probe;

import com.sun.jna.Memory;
import io.vifscope.probe.libbpf.LibBpf;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Removes what an earlier, crashed run left on the clsact path. A filter is ours only when it sits at our
 * handle and priority AND its program carries one of our program names; anything else, another tool's
 * filter or qdisc, is never touched. A clsact qdisc is removed only when our ledger says we created it and
 * no filter at all is left on it.
 */
public final class TcSweeper {
  private static final System.Logger LOG = System.getLogger(TcSweeper.class.getName());
  private static final Path SYS_NET = Path.of("/sys/class/net");

  /** What a sweep did. */
  public record Result(int filtersRemoved, int qdiscsRemoved, List<String> foreignFiltersLeft) {}

  private TcSweeper() {}

  /**
   * Sweeps every interface of this network namespace.
   *
   * @param ourProgramNames names of our tc programs (e.g. tc_ingress, tc_egress)
   */
  public static Result sweep(Set<String> ourProgramNames, ClsactLedger ledger) {
    int filters = 0;
    List<String> foreign = new ArrayList<>();
    for (Iface i : interfaces()) {
      for (int point : new int[] {LibBpf.BPF_TC_INGRESS, LibBpf.BPF_TC_EGRESS}) {
        String where = i.name + (point == LibBpf.BPF_TC_INGRESS ? " ingress" : " egress");
        int progId = queryOurSlot(i.index, point);
        if (progId <= 0) {
          continue;
        }
        String progName;
        try {
          progName = ProgramInfo.ofId(progId).name();
        } catch (BpfException e) {
          // Looking a program up by id needs CAP_SYS_ADMIN (kernel/bpf/syscall.c, bpf_prog_get_fd_by_id): an
          // agent with only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN cannot tell whose the filter is, so it stays.
          String hint = e.errno() == Errno.EPERM
              ? " (needs CAP_SYS_ADMIN); the filter on " + where + " is left in place: remove it with 'tc filter del'"
              + " if an earlier vifscope left it" : "";
          LOG.log(Level.WARNING, "sweep: " + e.getMessage() + hint);
          continue;
        }
        if (!ourProgramNames.contains(progName)) {
          foreign.add(where + ": " + progName);
          continue;
        }
        try (Memory hook = TcAttachment.hook(i.index, point); Memory opts = TcAttachment.opts(0)) {
          int rc = LibBpf.bpf_tc_detach(hook, opts);
          if (rc == 0) {
            filters++;
            LOG.log(Level.INFO, "removed a filter left by an earlier run on " + where + " (" + progName + ")");
          } else {
            LOG.log(Level.WARNING, Errno.failed("bpf_tc_detach(ifindex=" + i.index + " " + where + ")", -rc));
          }
        }
      }
    }
    int qdiscs = 0;
    for (ClsactLedger.Entry e : ledger.entries()) {
      String current = nameOf(e.ifindex());
      if (current == null || !current.equals(e.ifname())) {
        ledger.forget(e.ifindex(), e.ifname()); // gone or renamed: its qdisc went with it, or is not ours
        continue;
      }
      if (hasAnyFilter(e.ifname())) {
        continue; // someone else uses it now; leave it and keep the ledger entry
      }
      try (Memory hook = TcAttachment.hook(e.ifindex(), LibBpf.BPF_TC_INGRESS | LibBpf.BPF_TC_EGRESS)) {
        int rc = LibbpfLog.quietly(() -> LibBpf.bpf_tc_hook_destroy(hook));
        if (rc == 0) {
          qdiscs++;
          LOG.log(Level.INFO, "removed the clsact qdisc an earlier run created on " + e.ifname());
        }
      }
      ledger.forget(e.ifindex(), e.ifname());
    }
    return new Result(filters, qdiscs, foreign);
  }

  /** The prog id at our handle and priority on one hook, or 0 when the slot is empty. */
  static int queryOurSlot(int ifindex, int point) {
    try (Memory hook = TcAttachment.hook(ifindex, point); Memory opts = TcAttachment.opts(0)) {
      int rc = LibbpfLog.quietly(() -> LibBpf.bpf_tc_query(hook, opts));
      return rc == 0 ? opts.getInt(16) : 0;
    }
  }

  private record Iface(int index, String name) {}

  private static List<Iface> interfaces() {
    List<Iface> out = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(SYS_NET)) {
      for (Path p : dir) {
        try {
          int idx = Integer.parseInt(Files.readString(p.resolve("ifindex")).strip());
          out.add(new Iface(idx, p.getFileName().toString()));
        } catch (IOException | NumberFormatException ignored) {
          // vanished while we looked
        }
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "sweep: cannot list " + SYS_NET + ": " + e.getMessage());
    }
    return out;
  }

  private static String nameOf(int ifindex) {
    for (Iface i : interfaces()) {
      if (i.index == ifindex) {
        return i.name;
      }
    }
    return null;
  }

  /** True when tc lists any filter on either side of the interface's clsact (or when we cannot tell). */
  private static boolean hasAnyFilter(String ifname) {
    for (String side : new String[] {"ingress", "egress"}) {
      ProcessBuilder pb = new ProcessBuilder("tc", "filter", "show", "dev", ifname, side).redirectErrorStream(true);
      try {
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          return true;
        }
        if (!new String(out, StandardCharsets.UTF_8).isBlank()) {
          return true;
        }
      } catch (IOException e) {
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }
    return false;
  }
}
