package io.vifscope.probe.libbpf;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/** Raw bindings to the few libc calls the probe needs, direct-mapped. errno via {@link Native#getLastError()}. */
public final class LibC {
  public static final int AF_NETLINK = 16;
  public static final int SOCK_RAW = 3;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int NETLINK_ROUTE = 0;
  public static final int SOL_SOCKET = 1;
  public static final int SO_RCVBUF = 8;
  public static final int SO_RCVTIMEO = 20;
  public static final int SOL_NETLINK = 270;

  static {
    Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
  }

  private LibC() {}

  /** Formats a libbpf message; {@code args} is the callback's va_list, consumed once. */
  public static native int vsnprintf(Pointer buf, long size, Pointer format, Pointer args);

  public static native int close(int fd);

  public static native int socket(int domain, int type, int protocol);

  public static native int bind(int fd, Pointer addr, int addrLen);

  public static native int setsockopt(int fd, int level, int name, Pointer value, int len);

  public static native long recv(int fd, Pointer buf, long len, int flags);

  public static native long send(int fd, Pointer buf, long len, int flags);

  public static native int if_nametoindex(String name);

  public static native int getpid();

  /** Like {@link #recv}; {@code addr} receives the sender's address (for netlink, port id 0 is the kernel). */
  public static native long recvfrom(int fd, Pointer buf, long len, int flags, Pointer addr, Pointer addrLen);

  /** creat(2): open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) without open's variadic argument list. */
  public static native int creat(String path, int mode);

  public static native int dup(int fd);

  public static native int dup2(int oldFd, int newFd);

  /** The C environment, which libbcc reads (Java's System.getenv is a copy taken at start). */
  public static native String getenv(String name);

  public static native int setenv(String name, String value, int overwrite);

  public static native int unsetenv(String name);

  /** mount(2); {@code data} may be null. */
  public static native int mount(String source, String target, String fstype, long flags, Pointer data);
}
