package io.vifscope.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The effective capabilities of this process, from the {@code CapEff} line of {@code /proc/self/status}, and
 * which of those the probe needs are missing. Read before anything is loaded, so that an agent started without
 * them says which one, instead of failing later on the first call that needs it.
 *
 * <p>The kernel accepts CAP_SYS_ADMIN in place of CAP_BPF and of CAP_PERFMON ({@code bpf_capable()},
 * {@code perfmon_capable()} in include/linux/capability.h), which is also how root passes on kernels older than
 * 5.8, where those two do not exist.
 */
public final class Capabilities {
  /** A capability by its number in include/uapi/linux/capability.h. */
  public enum Cap {
    NET_ADMIN(12, "attach tc programs to interfaces: tcx links, clsact qdiscs and filters"),
    SYS_ADMIN(21, "mount tracefs or bpffs when missing, BPF statistics without the sysctl"),
    PERFMON(38, "load the softirq and NAPI tracepoint programs and read kernel memory in them"),
    BPF(39, "load BPF programs and maps");

    private final int bit;
    private final String use;

    Cap(int bit, String use) {
      this.bit = bit;
      this.use = use;
    }

    /** The capability's number (its bit in CapEff). */
    public int bit() {
      return bit;
    }

    /** What vifscope needs it for. */
    public String use() {
      return use;
    }

    /** The name as the man pages write it, e.g. CAP_BPF. */
    public String capName() {
      return "CAP_" + name();
    }
  }

  /** What the probe needs to load, attach and serve: CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN. */
  public static final List<Cap> PROBE = List.of(Cap.BPF, Cap.PERFMON, Cap.NET_ADMIN);

  private static final Path PROC_SELF_STATUS = Path.of("/proc/self/status");

  private final long effective;

  private Capabilities(long effective) {
    this.effective = effective;
  }

  /** This process's effective set. */
  public static Capabilities ofSelf() throws IOException {
    return parseStatus(Files.readString(PROC_SELF_STATUS, StandardCharsets.US_ASCII));
  }

  /** Every capability: what tests that do not run as root hand to code that checks them. */
  public static Capabilities all() {
    return new Capabilities(-1L);
  }

  /** From the text of a {@code /proc/<pid>/status}: its {@code CapEff:} line, 16 hex digits. */
  public static Capabilities parseStatus(String status) throws IOException {
    for (String line : status.split("\n")) {
      if (line.startsWith("CapEff:")) {
        String hex = line.substring("CapEff:".length()).strip();
        try {
          return new Capabilities(Long.parseUnsignedLong(hex, 16));
        } catch (NumberFormatException e) {
          throw new IOException("cannot parse CapEff in /proc/self/status: '" + hex + "'", e);
        }
      }
    }
    throw new IOException("no CapEff line in /proc/self/status");
  }

  /** True when the capability itself is in the effective set. */
  public boolean has(Cap c) {
    return ((effective >>> c.bit) & 1L) != 0;
  }

  /** True when the kernel grants what {@code c} allows: the capability itself, or CAP_SYS_ADMIN where it stands in. */
  public boolean allows(Cap c) {
    boolean sysAdminStandsIn = c == Cap.BPF || c == Cap.PERFMON;
    return has(c) || (sysAdminStandsIn && has(Cap.SYS_ADMIN));
  }

  /** Those of {@code needed} that are not allowed, in the order given. */
  public List<Cap> missing(List<Cap> needed) {
    List<Cap> out = new ArrayList<>();
    for (Cap c : needed) {
      if (!allows(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * One line naming each capability the probe lacks and what it is for, and what to do; null when none is
   * missing. E.g. {@code missing capability CAP_BPF (load BPF programs and maps); run as root or grant CAP_BPF,
   * CAP_PERFMON and CAP_NET_ADMIN (see README "Running on a real host")}.
   */
  public String probeProblem() {
    List<Cap> lacking = missing(PROBE);
    if (lacking.isEmpty()) {
      return null;
    }
    StringBuilder b = new StringBuilder(lacking.size() == 1 ? "missing capability " : "missing capabilities ");
    for (int i = 0; i < lacking.size(); i++) {
      Cap c = lacking.get(i);
      b.append(i == 0 ? "" : ", ").append(c.capName()).append(" (").append(c.use()).append(')');
    }
    return b.append("; run as root or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN")
        .append(" (see README \"Running on a real host\")").toString();
  }

  /** The effective set as /proc shows it, 16 hex digits. */
  @Override
  public String toString() {
    return String.format("CapEff %016x", effective);
  }
}
