package io.vifscope.probe;

import java.util.Map;

/**
 * Names errno values so that every failure message reads the same way, e.g.
 * {@code bpf_tc_attach(ifindex=7 vif3.0) failed: EEXIST (17)}. An operator searching for the name finds the
 * man page; the number stays for the rare errno we do not name.
 *
 * <p>The numbers are Linux's generic ones ({@code asm-generic/errno-base.h} and {@code errno.h}), which x86-64
 * and arm64 use; {@code ENOTSUPP} (524) is kernel-internal but leaks out of the BPF syscall, so it is named too.
 * {@code ENOTSUP} and {@code EOPNOTSUPP} are the same number on Linux and print as {@code EOPNOTSUPP}.
 */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int EINTR = 4;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int EOPNOTSUPP = 95;
  public static final int ENOBUFS = 105;
  public static final int ENOTSUPP = 524;

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"),
      Map.entry(2, "ENOENT"),
      Map.entry(3, "ESRCH"),
      Map.entry(4, "EINTR"),
      Map.entry(5, "EIO"),
      Map.entry(6, "ENXIO"),
      Map.entry(7, "E2BIG"),
      Map.entry(8, "ENOEXEC"),
      Map.entry(9, "EBADF"),
      Map.entry(10, "ECHILD"),
      Map.entry(11, "EAGAIN"),
      Map.entry(12, "ENOMEM"),
      Map.entry(13, "EACCES"),
      Map.entry(14, "EFAULT"),
      Map.entry(16, "EBUSY"),
      Map.entry(17, "EEXIST"),
      Map.entry(18, "EXDEV"),
      Map.entry(19, "ENODEV"),
      Map.entry(20, "ENOTDIR"),
      Map.entry(21, "EISDIR"),
      Map.entry(22, "EINVAL"),
      Map.entry(23, "ENFILE"),
      Map.entry(24, "EMFILE"),
      Map.entry(25, "ENOTTY"),
      Map.entry(27, "EFBIG"),
      Map.entry(28, "ENOSPC"),
      Map.entry(30, "EROFS"),
      Map.entry(32, "EPIPE"),
      Map.entry(34, "ERANGE"),
      Map.entry(35, "EDEADLK"),
      Map.entry(36, "ENAMETOOLONG"),
      Map.entry(38, "ENOSYS"),
      Map.entry(39, "ENOTEMPTY"),
      Map.entry(40, "ELOOP"),
      Map.entry(61, "ENODATA"),
      Map.entry(67, "ENOLINK"),
      Map.entry(71, "EPROTO"),
      Map.entry(74, "EBADMSG"),
      Map.entry(75, "EOVERFLOW"),
      Map.entry(88, "ENOTSOCK"),
      Map.entry(90, "EMSGSIZE"),
      Map.entry(92, "ENOPROTOOPT"),
      Map.entry(93, "EPROTONOSUPPORT"),
      Map.entry(95, "EOPNOTSUPP"),
      Map.entry(97, "EAFNOSUPPORT"),
      Map.entry(98, "EADDRINUSE"),
      Map.entry(99, "EADDRNOTAVAIL"),
      Map.entry(100, "ENETDOWN"),
      Map.entry(105, "ENOBUFS"),
      Map.entry(107, "ENOTCONN"),
      Map.entry(110, "ETIMEDOUT"),
      Map.entry(111, "ECONNREFUSED"),
      Map.entry(114, "EALREADY"),
      Map.entry(115, "EINPROGRESS"),
      Map.entry(122, "EDQUOT"),
      Map.entry(125, "ECANCELED"),
      Map.entry(524, "ENOTSUPP"),
      // libbpf's own codes (libbpf.h, enum libbpf_errno), e.g. from bpf_object__open_mem on a broken object.
      Map.entry(4000, "LIBBPF_ERRNO__LIBELF"),
      Map.entry(4001, "LIBBPF_ERRNO__FORMAT"),
      Map.entry(4002, "LIBBPF_ERRNO__KVERSION"),
      Map.entry(4003, "LIBBPF_ERRNO__ENDIAN"),
      Map.entry(4004, "LIBBPF_ERRNO__INTERNAL"),
      Map.entry(4005, "LIBBPF_ERRNO__RELOC"),
      Map.entry(4006, "LIBBPF_ERRNO__LOAD"),
      Map.entry(4007, "LIBBPF_ERRNO__VERIFY"),
      Map.entry(4008, "LIBBPF_ERRNO__PROG2BIG"),
      Map.entry(4009, "LIBBPF_ERRNO__KVER"),
      Map.entry(4010, "LIBBPF_ERRNO__PROGTYPE"),
      Map.entry(4011, "LIBBPF_ERRNO__WRNGPID"),
      Map.entry(4012, "LIBBPF_ERRNO__INVSEQ"),
      Map.entry(4013, "LIBBPF_ERRNO__NLPARSE"));

  private Errno() {}

  /**
   * {@code "EEXIST (17)"} for a named errno, {@code "errno 123"} otherwise. A negative value (a {@code -errno}
   * return passed as is) is described as its positive counterpart.
   */
  public static String describe(int errno) {
    int e = errno < 0 && errno != Integer.MIN_VALUE ? -errno : errno;
    String name = NAMES.get(e);
    return name == null ? "errno " + e : name + " (" + e + ")";
  }

  /** {@code "call failed: EEXIST (17)"}; {@code call} names the call and its arguments. */
  public static String failed(String call, int errno) {
    return call + " failed: " + describe(errno);
  }
}
