package io.vifscope.probe;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.vifscope.probe.libbpf.LibC;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes sure the pseudo file systems the probe needs are mounted. Classic tracepoints need tracefs for their
 * event ids, and pinning needs bpffs; a freshly booted host may have neither (systemd mounts them, minimal
 * dom0 images often do not). Mounting what is missing, and saying so at INFO, beats failing with ENOENT.
 *
 * <p>The check reads {@code /proc/self/mounts}; the topmost mount at the path counts. The mount is made with
 * mount(2) through JNA rather than by running {@code mount}: no dependency on util-linux or on {@code PATH},
 * the exact errno in the message, no child process. The flags are systemd's ({@code nosuid,nodev,noexec}),
 * and bpffs gets {@code mode=700} so that pinned objects are root's only. A mount is left in place on exit,
 * as systemd would have left it: other tools use these file systems too.
 */
public final class Mounts {
  public static final Path TRACEFS = Path.of("/sys/kernel/tracing");
  public static final Path BPFFS = Path.of("/sys/fs/bpf");

  private static final System.Logger LOG = System.getLogger(Mounts.class.getName());
  private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");
  private static final long MS_NOSUID = 2;
  private static final long MS_NODEV = 4;
  private static final long MS_NOEXEC = 8;

  private Mounts() {}

  /** Mounts tracefs on {@code /sys/kernel/tracing} unless it is there; returns that path. */
  public static synchronized Path ensureTracefs() throws IOException {
    return ensure("tracefs", "nodev", TRACEFS, null);
  }

  /** Mounts bpffs on {@code /sys/fs/bpf} unless it is there; returns that path. */
  public static synchronized Path ensureBpffs() throws IOException {
    return ensure("bpf", "bpf", BPFFS, "mode=700");
  }

  /** The file system type of the topmost mount at {@code target}, or null when nothing is mounted there. */
  public static String mountedType(Path target) throws IOException {
    return mountedType(Files.readAllLines(PROC_MOUNTS), target);
  }

  /** Same, over the lines of a {@code /proc/self/mounts}; later lines are mounted on top of earlier ones. */
  static String mountedType(List<String> mountsLines, Path target) {
    String want = target.toString();
    String type = null;
    for (String line : mountsLines) {
      String[] f = line.split(" ");
      if (f.length >= 3 && unescape(f[1]).equals(want)) {
        type = unescape(f[2]);
      }
    }
    return type;
  }

  private static Path ensure(String fstype, String source, Path target, String data) throws IOException {
    String current = mountedType(target);
    if (fstype.equals(current)) {
      return target;
    }
    if (current != null) {
      throw new IOException(target + " has a " + current + " file system mounted, not " + fstype
          + "; vifscope does not mount over it");
    }
    if (!Files.isDirectory(target)) {
      throw new IOException("cannot mount " + fstype + ": " + target + " does not exist (a kernel without "
          + fstype + "?)");
    }
    String call = "mount(-t " + fstype + (data == null ? "" : " -o " + data) + " " + source + " " + target + ")";
    int rc;
    if (data == null) {
      rc = LibC.mount(source, target.toString(), fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    } else {
      try (Memory opts = new Memory(data.length() + 1)) {
        opts.setString(0, data, "US-ASCII");
        rc = LibC.mount(source, target.toString(), fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
      }
    }
    if (rc != 0) {
      int errno = Native.getLastError();
      String hint = errno == Errno.EPERM ? " (needs CAP_SYS_ADMIN)" : errno == Errno.ENODEV
          ? " (the kernel has no " + fstype + ")" : "";
      throw new IOException(Errno.failed(call, errno) + hint);
    }
    String now = mountedType(target);
    if (!fstype.equals(now)) {
      throw new IOException(call + " returned 0 but " + PROC_MOUNTS + " shows " + (now == null ? "nothing" : now)
          + " at " + target);
    }
    LOG.log(Level.INFO, "mounted " + fstype + " on " + target + " (it was not mounted)");
    return target;
  }

  /** Undoes the octal escapes of /proc/self/mounts ({@code \040} for a space, …). */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
