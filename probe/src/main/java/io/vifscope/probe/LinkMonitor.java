package io.vifscope.probe;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.vifscope.probe.libbpf.LibC;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Follows the interfaces of this network namespace through rtnetlink link events, so that a guest interface
 * is watched within a second of appearing (a vif or tap lives as long as its guest, which can be seconds)
 * without polling {@code /sys}.
 *
 * <p>{@link #start} opens a {@code NETLINK_ROUTE} socket subscribed to {@code RTMGRP_LINK}, dumps all existing
 * links ({@code RTM_GETLINK}, {@code NLM_F_DUMP}) and reports them on the caller's thread, then reports
 * {@code RTM_NEWLINK}/{@code RTM_DELLINK} from a daemon thread named {@value #THREAD_NAME}. The subscription
 * is made before the dump, so nothing that happens in between is lost.
 *
 * <p>When events come faster than they are read, the kernel drops some and the next receive fails with
 * {@code ENOBUFS}. The monitor then dumps again and reconciles: links missing from the dump are reported
 * gone, new or changed ones up. The same happens when the kernel flags a dump as inconsistent
 * ({@code NLM_F_DUMP_INTR}). Only messages sent by the kernel (netlink port id 0) are believed, and only
 * {@code AF_UNSPEC} link messages: the bridge also sends {@code AF_BRIDGE} {@code RTM_DELLINK} when a port
 * leaves it, although the interface lives on.
 *
 * <p>Decoding is a pure function over a native-order {@link ByteBuffer} ({@link #parse}), tested on byte
 * fixtures without root. A malformed message (truncated, a bogus attribute length) is skipped, counted and
 * logged; it never stops the thread, and neither does a listener that throws.
 */
public final class LinkMonitor implements AutoCloseable {
  /**
   * Receives link changes: first the initial dump on the thread that called {@link #start}, then events on
   * the {@value #THREAD_NAME} thread, one call at a time. {@link #links()} already reflects a change when
   * the listener hears of it. Calls should be quick: while a listener runs, events queue in the socket.
   */
  public interface Listener {
    /** A link appeared, or one of the facts in {@link LinkInfo} changed (a rename keeps the ifindex). */
    void linkUp(LinkInfo link);

    /** A link is gone; {@code last} is what was last reported for it. */
    void linkGone(LinkInfo last);
  }

  public static final String THREAD_NAME = "vifscope-netlink";

  private static final System.Logger LOG = System.getLogger(LinkMonitor.class.getName());
  private static final long WARN_EVERY_NANOS = 30_000_000_000L;
  private static final long DUMP_TIMEOUT_NANOS = 10_000_000_000L;
  private static final long DUMP_RETRY_NANOS = 1_000_000_000L;
  private static final long JOIN_MILLIS = 2_000;
  private static final Path SYS_NET = Path.of("/sys/class/net");

  // linux/netlink.h
  static final int NLMSG_HDRLEN = 16;
  static final int NLMSG_NOOP = 1;
  static final int NLMSG_ERROR = 2;
  static final int NLMSG_DONE = 3;
  static final int NLM_F_REQUEST = 0x1;
  static final int NLM_F_MULTI = 0x2;
  static final int NLM_F_DUMP_INTR = 0x10;
  static final int NLM_F_DUMP = 0x300;
  static final int NLA_TYPE_MASK = 0x3fff; // drops NLA_F_NESTED and NLA_F_NET_BYTEORDER
  static final int SOCKADDR_NL_LEN = 12;
  // linux/rtnetlink.h
  static final int RTM_NEWLINK = 16;
  static final int RTM_DELLINK = 17;
  static final int RTM_GETLINK = 18;
  static final int RTMGRP_LINK = 1;
  static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
  static final int IFINFOMSG_LEN = 16;
  static final int AF_UNSPEC = 0;
  static final int AF_BRIDGE = 7;
  // linux/if_link.h
  static final int IFLA_IFNAME = 3;
  static final int IFLA_MASTER = 10;
  static final int IFLA_OPERSTATE = 16;
  static final int IFLA_LINKINFO = 18;
  static final int IFLA_IFALIAS = 20;
  static final int IFLA_EXT_MASK = 29;
  static final int IFLA_INFO_KIND = 1;
  // linux/if.h
  static final int IF_OPER_UNKNOWN = 0;
  static final int IF_OPER_UP = 6;
  static final int IFF_UP = 0x1;
  static final int IFF_LOWER_UP = 0x10000;
  // sys/socket.h
  private static final int MSG_TRUNC = 0x20;
  private static final int SO_RCVBUFFORCE = 33;

  private static final int RX_SIZE = 64 * 1024;
  private static final int DUMP_REQUEST_LEN = NLMSG_HDRLEN + IFINFOMSG_LEN + 8;
  private static final int DEFAULT_RCVBUF = 2 * 1024 * 1024;
  private static final int RCVTIMEO_MILLIS = 200;

  /**
   * One decoded netlink message.
   *
   * @param type {@code nlmsg_type}
   * @param flags {@code nlmsg_flags}
   * @param seq {@code nlmsg_seq}: our request's number for dump parts and errors, 0 for events
   * @param family {@code ifi_family} of a link message, 0 otherwise
   * @param errno positive errno of an {@code NLMSG_ERROR} or of a failed {@code NLMSG_DONE}; 0 for an ack,
   *     a complete dump and everything else
   * @param link the link of an {@code RTM_NEWLINK}/{@code RTM_DELLINK}, null for other types
   */
  record Message(int type, int flags, int seq, int family, int errno, LinkInfo link) {}

  /** What one receive buffer held: the well-formed messages, in order, and how many were skipped. */
  record Parsed(List<Message> messages, int malformed) {}

  private final LinkTable table;
  private final Memory rx = new Memory(RX_SIZE);
  private final ByteBuffer rxView = rx.getByteBuffer(0, RX_SIZE).order(ByteOrder.nativeOrder());
  private final Memory from = new Memory(SOCKADDR_NL_LEN);
  private final Memory fromLen = new Memory(4);
  private final Memory request = new Memory(DUMP_REQUEST_LEN);
  private final Throttle malformedWarning = new Throttle();
  private final Throttle overflowWarning = new Throttle();
  private final Throttle dumpWarning = new Throttle();
  private final Throttle foreignWarning = new Throttle();
  private final int fd;
  private int seq;
  private long nextDumpNanos;
  private volatile boolean closed;
  private boolean released;
  private volatile long malformed;
  private volatile long overflows;
  private volatile long foreign;
  private Thread thread;

  private LinkMonitor(int fd, Listener listener) {
    this.fd = fd;
    this.table = new LinkTable(listener);
  }

  /**
   * Opens the socket, reports every existing link to {@code listener} before returning, then follows events
   * on the {@value #THREAD_NAME} thread until {@link #close()}.
   *
   * @throws IOException naming the failed call and errno, e.g.
   *     {@code socket(AF_NETLINK, NETLINK_ROUTE) failed: EPERM (1)}
   */
  public static LinkMonitor start(Listener listener) throws IOException {
    return start(listener, DEFAULT_RCVBUF);
  }

  /** Like {@link #start(Listener)} with a chosen socket receive buffer; a tiny one lets a test force overflow. */
  static LinkMonitor start(Listener listener, int receiveBufferBytes) throws IOException {
    Objects.requireNonNull(listener, "listener");
    int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
    if (fd < 0) {
      throw new IOException(Errno.failed("socket(AF_NETLINK, NETLINK_ROUTE)", Native.getLastError()));
    }
    LinkMonitor m = new LinkMonitor(fd, listener);
    try {
      m.configure(receiveBufferBytes);
      m.initialDump();
    } catch (IOException | RuntimeException e) {
      m.release();
      throw e;
    }
    Thread t = new Thread(m::run, THREAD_NAME);
    t.setDaemon(true);
    m.thread = t;
    t.start();
    return m;
  }

  /** A snapshot of the current links by ifindex; safe to call from any thread. */
  public Map<Integer, LinkInfo> links() {
    return Map.copyOf(table.links);
  }

  /** One link as last reported, or null: a lookup, no copy of the table. */
  public LinkInfo link(int ifindex) {
    return table.links.get(ifindex);
  }

  /** Netlink messages skipped as malformed since start. */
  public long malformedMessages() {
    return malformed;
  }

  /** Times the socket overflowed ({@code ENOBUFS}) and the links were dumped again. */
  public long overflows() {
    return overflows;
  }

  /** Stops the thread (within about {@value #RCVTIMEO_MILLIS} ms) and closes the socket. Idempotent. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
    }
    if (t == null || t == Thread.currentThread()) {
      return; // the thread closes the socket itself when its loop ends
    }
    boolean interrupted = false;
    long deadline = System.currentTimeMillis() + JOIN_MILLIS;
    while (t.isAlive()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        LOG.log(Level.WARNING, THREAD_NAME + " did not stop within " + JOIN_MILLIS + " ms (a listener is slow);"
            + " it closes the socket when it returns");
        break;
      }
      try {
        t.join(left);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void configure(int receiveBufferBytes) throws IOException {
    try (Memory v = new Memory(16)) {
      v.setInt(0, receiveBufferBytes);
      // FORCE passes net.core.rmem_max when we have CAP_NET_ADMIN; without it, the capped size will do.
      if (LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_RCVBUFFORCE, v, 4) != 0
          && LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, v, 4) != 0) {
        throw new IOException(Errno.failed("setsockopt(SO_RCVBUF, " + receiveBufferBytes + ")", Native.getLastError()));
      }
      v.clear();
      v.setLong(0, 0); // struct timeval { tv_sec; tv_usec; }
      v.setLong(8, RCVTIMEO_MILLIS * 1000L);
      if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, v, 16) != 0) {
        throw new IOException(Errno.failed("setsockopt(SO_RCVTIMEO)", Native.getLastError()));
      }
    }
    try (Memory addr = new Memory(SOCKADDR_NL_LEN)) {
      addr.clear();
      addr.setShort(0, (short) LibC.AF_NETLINK); // struct sockaddr_nl { family; pad; pid; groups; }
      addr.setInt(8, RTMGRP_LINK);
      if (LibC.bind(fd, addr, SOCKADDR_NL_LEN) != 0) {
        throw new IOException(Errno.failed("bind(AF_NETLINK, RTMGRP_LINK)", Native.getLastError()));
      }
    }
  }

  private void initialDump() throws IOException {
    int err = sendDump();
    if (err != 0) {
      throw new IOException(Errno.failed("send(RTM_GETLINK dump)", err));
    }
    long deadline = System.nanoTime() + DUMP_TIMEOUT_NANOS;
    while (table.dumping()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IOException("RTM_GETLINK dump: no complete answer within " + DUMP_TIMEOUT_NANOS / 1_000_000_000L + " s");
      }
      receiveOnce();
    }
    int dumpErrno = table.takeDumpErrno();
    if (dumpErrno != 0) {
      throw new IOException(Errno.failed("RTM_GETLINK dump", dumpErrno));
    }
  }

  private void run() {
    try {
      while (!closed) {
        if (table.wantsDump() && System.nanoTime() - nextDumpNanos >= 0) {
          int err = sendDump();
          if (err != 0) {
            nextDumpNanos = System.nanoTime() + DUMP_RETRY_NANOS;
            warn(dumpWarning, Errno.failed("send(RTM_GETLINK dump)", err) + "; retrying", null);
          }
        }
        receiveOnce();
        int dumpErrno = table.takeDumpErrno();
        if (dumpErrno != 0) {
          nextDumpNanos = System.nanoTime() + DUMP_RETRY_NANOS;
          warn(dumpWarning, Errno.failed("RTM_GETLINK dump", dumpErrno) + "; retrying", null);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.ERROR, "link monitor stopped, interfaces are no longer followed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  /** Sends a dump request; returns 0 or the errno of {@code send}. */
  private int sendDump() {
    seq = seq == Integer.MAX_VALUE ? 1 : seq + 1;
    request.clear();
    request.setInt(0, DUMP_REQUEST_LEN); // nlmsghdr
    request.setShort(4, (short) RTM_GETLINK);
    request.setShort(6, (short) (NLM_F_REQUEST | NLM_F_DUMP));
    request.setInt(8, seq);
    request.setByte(NLMSG_HDRLEN, (byte) AF_UNSPEC); // ifinfomsg, all zero but the family
    int rta = NLMSG_HDRLEN + IFINFOMSG_LEN; // IFLA_EXT_MASK: keep dump parts small, we read no statistics
    request.setShort(rta, (short) 8);
    request.setShort(rta + 2, (short) IFLA_EXT_MASK);
    request.setInt(rta + 4, RTEXT_FILTER_SKIP_STATS);
    long n;
    do {
      n = LibC.send(fd, request, DUMP_REQUEST_LEN, 0);
    } while (n < 0 && Native.getLastError() == Errno.EINTR);
    if (n < 0) {
      return Native.getLastError();
    }
    table.dumpStarted(seq);
    return 0;
  }

  /** Waits up to {@value #RCVTIMEO_MILLIS} ms for one datagram and applies what it holds. */
  private void receiveOnce() throws IOException {
    fromLen.setInt(0, SOCKADDR_NL_LEN);
    long n = LibC.recvfrom(fd, rx, RX_SIZE, MSG_TRUNC, from, fromLen);
    if (n < 0) {
      int e = Native.getLastError();
      if (e == Errno.EINTR || e == Errno.EAGAIN) {
        return; // interrupted, or the receive timeout that lets close() stop us
      }
      if (e == Errno.ENOBUFS) {
        overflows++;
        warn(overflowWarning, "netlink link events overflowed the socket buffer; reading all links again", null);
        table.requestDump();
        return;
      }
      throw new IOException(Errno.failed("recv(NETLINK_ROUTE)", e));
    }
    if (n > RX_SIZE) {
      warn(overflowWarning, "a netlink datagram of " + n + " bytes did not fit in " + RX_SIZE
          + "; reading all links again", null);
      table.requestDump();
    }
    int sender = from.getInt(4); // sockaddr_nl.nl_pid
    if (sender != 0) {
      foreign++;
      warn(foreignWarning, "ignored a netlink message from port id " + sender + ", not the kernel (" + foreign
          + " so far)", null);
      return;
    }
    rxView.clear().limit((int) Math.min(n, RX_SIZE));
    Parsed p;
    try {
      p = parse(rxView, LinkMonitor::isNic);
    } catch (RuntimeException e) {
      p = new Parsed(List.of(), 1); // parse does not throw; if it ever did, one datagram is lost, not the thread
      table.requestDump();
    }
    if (p.malformed() > 0) {
      malformed += p.malformed();
      warn(malformedWarning, p.malformed() + " malformed netlink message(s) skipped (" + malformed + " so far)", null);
    }
    for (Message m : p.messages()) {
      table.apply(m);
    }
  }

  private synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    LibC.close(fd);
    rx.close();
    from.close();
    fromLen.close();
    request.close();
  }

  private static void warn(Throttle t, String message, Throwable e) {
    if (t.allow()) {
      LOG.log(Level.WARNING, message, e);
    }
  }

  /**
   * Whether a kind-less link is a real NIC: it has a {@code device} in sysfs that is not a Xen backend
   * device (netback vifs have one on the {@code xen-backend} bus).
   */
  static boolean isNic(String name) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf(0) >= 0) {
      return false;
    }
    try {
      Path device = SYS_NET.resolve(name).resolve("device");
      if (!Files.exists(device)) {
        return false;
      }
      try {
        Path subsystem = Files.readSymbolicLink(device.resolve("subsystem"));
        return !"xen-backend".equals(String.valueOf(subsystem.getFileName()));
      } catch (IOException e) {
        return true; // a device without a readable subsystem link is still hardware
      }
    } catch (InvalidPathException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Decoding: pure, over the bytes of one datagram.

  /**
   * Decodes every netlink message in {@code buf} from its position to its limit (read in native order; the
   * buffer's position and order are left alone). Never throws on bad input: a message whose length runs past
   * the buffer ends decoding (the rest cannot be framed); a link message with a bogus attribute length is
   * skipped; both are counted in {@link Parsed#malformed()}.
   *
   * @param isNic asked, for {@code AF_UNSPEC} {@code RTM_NEWLINK} without {@code IFLA_INFO_KIND} only,
   *     whether the named link is a real NIC
   */
  static Parsed parse(ByteBuffer buf, Predicate<String> isNic) {
    ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
    int off = b.position();
    int limit = b.limit();
    List<Message> out = new ArrayList<>();
    int bad = 0;
    while (off < limit) {
      if (limit - off < NLMSG_HDRLEN) {
        bad++; // a tail shorter than a header
        break;
      }
      int len = b.getInt(off);
      if (len < NLMSG_HDRLEN || len > limit - off) {
        bad++; // truncated, or a length that cannot be true: nothing after it can be framed
        break;
      }
      int type = b.getShort(off + 4) & 0xffff;
      int flags = b.getShort(off + 6) & 0xffff;
      int seq = b.getInt(off + 8);
      int payload = off + NLMSG_HDRLEN;
      int end = off + len;
      switch (type) {
        case RTM_NEWLINK, RTM_DELLINK -> {
          Message m = decodeLink(b, type, flags, seq, payload, end, isNic);
          if (m == null) {
            bad++;
          } else {
            out.add(m);
          }
        }
        case NLMSG_ERROR -> {
          if (end - payload < 4) {
            bad++;
          } else {
            out.add(new Message(type, flags, seq, 0, negativeErrno(b.getInt(payload)), null));
          }
        }
        case NLMSG_DONE -> {
          // Carries an int: 0, or -errno when the dump failed part way. Old kernels may send none.
          int errno = end - payload >= 4 ? negativeErrno(b.getInt(payload)) : 0;
          out.add(new Message(type, flags, seq, 0, errno, null));
        }
        default -> out.add(new Message(type, flags, seq, 0, 0, null));
      }
      off += align4(len);
    }
    return new Parsed(out, bad);
  }

  /** Decodes an ifinfomsg and its attributes; null when malformed. */
  private static Message decodeLink(
      ByteBuffer b, int type, int flags, int seq, int payload, int end, Predicate<String> isNic) {
    if (end - payload < IFINFOMSG_LEN) {
      return null;
    }
    int family = b.get(payload) & 0xff;
    int ifindex = b.getInt(payload + 4);
    int ifflags = b.getInt(payload + 8);
    String name = null;
    int master = 0;
    String kind = "";
    int operstate = IF_OPER_UNKNOWN;
    String alias = "";
    int a = payload + IFINFOMSG_LEN;
    while (end - a >= 4) {
      int rlen = b.getShort(a) & 0xffff;
      int rtype = b.getShort(a + 2) & NLA_TYPE_MASK;
      if (rlen < 4 || rlen > end - a) {
        return null;
      }
      int data = a + 4;
      int dlen = rlen - 4;
      switch (rtype) {
        case IFLA_IFNAME -> name = string(b, data, dlen);
        case IFLA_MASTER -> {
          if (dlen < 4) {
            return null;
          }
          master = b.getInt(data);
        }
        case IFLA_OPERSTATE -> {
          if (dlen < 1) {
            return null;
          }
          operstate = b.get(data) & 0xff;
        }
        case IFLA_IFALIAS -> alias = string(b, data, dlen);
        case IFLA_LINKINFO -> {
          kind = infoKind(b, data, data + dlen);
          if (kind == null) {
            return null;
          }
        }
        default -> {
          // not ours
        }
      }
      a += align4(rlen);
    }
    if (name == null || ifindex <= 0) {
      return null;
    }
    int upAndCarrier = IFF_UP | IFF_LOWER_UP;
    boolean operUp = operstate == IF_OPER_UP
        || (operstate == IF_OPER_UNKNOWN && (ifflags & upAndCarrier) == upAndCarrier);
    boolean physical = type == RTM_NEWLINK && family == AF_UNSPEC && kind.isEmpty() && isNic.test(name);
    return new Message(type, flags, seq, family, 0, new LinkInfo(ifindex, name, master, kind, operUp, physical, alias));
  }

  /** IFLA_INFO_KIND inside IFLA_LINKINFO; "" when absent, null when the nested attributes are malformed. */
  private static String infoKind(ByteBuffer b, int start, int end) {
    String kind = "";
    int a = start;
    while (end - a >= 4) {
      int rlen = b.getShort(a) & 0xffff;
      int rtype = b.getShort(a + 2) & NLA_TYPE_MASK;
      if (rlen < 4 || rlen > end - a) {
        return null;
      }
      if (rtype == IFLA_INFO_KIND) {
        kind = string(b, a + 4, rlen - 4);
      }
      a += align4(rlen);
    }
    return kind;
  }

  /** A NUL-terminated (or attribute-bounded) string, decoded as UTF-8 with replacement. */
  private static String string(ByteBuffer b, int start, int len) {
    int n = 0;
    while (n < len && b.get(start + n) != 0) {
      n++;
    }
    byte[] bytes = new byte[n];
    b.get(start, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static int negativeErrno(int value) {
    return value < 0 && value != Integer.MIN_VALUE ? -value : 0;
  }

  private static int align4(int len) {
    return (len + 3) & ~3;
  }

  // ---------------------------------------------------------------------------------------------------------
  // State: the view of the links, the dump in progress, and the listener. No I/O, so tests drive it directly.

  /**
   * The current links and the reconciliation of dumps with it. Used by one thread at a time (the caller of
   * {@code start}, then the netlink thread); {@link #links} is read from any thread.
   */
  static final class LinkTable {
    final ConcurrentHashMap<Integer, LinkInfo> links = new ConcurrentHashMap<>();
    private final Listener listener;
    private final Set<Integer> seen = new HashSet<>();
    private final Throttle listenerWarning = new Throttle();
    private int dumpSeq; // 0: no dump running
    private boolean dumpWanted;
    private boolean dumpInconsistent;
    private int dumpErrno;

    LinkTable(Listener listener) {
      this.listener = listener;
    }

    /** A dump request with this sequence number went out. */
    void dumpStarted(int seq) {
      dumpSeq = seq;
      dumpWanted = false;
      dumpInconsistent = false;
      seen.clear();
    }

    boolean dumping() {
      return dumpSeq != 0;
    }

    /** Asks for a new dump (after an overflow); it starts once any running dump has finished. */
    void requestDump() {
      dumpWanted = true;
    }

    boolean wantsDump() {
      return dumpWanted && dumpSeq == 0;
    }

    /** The errno of the last dump if it failed, once; 0 otherwise. */
    int takeDumpErrno() {
      int e = dumpErrno;
      dumpErrno = 0;
      return e;
    }

    void apply(Message m) {
      switch (m.type()) {
        case RTM_NEWLINK -> {
          if (m.link() == null || m.family() != AF_UNSPEC) {
            return;
          }
          LinkInfo link = m.link();
          noteDumpPart(m);
          if (dumping()) {
            seen.add(link.ifindex());
          }
          LinkInfo old = links.put(link.ifindex(), link);
          if (!link.equals(old)) {
            notifyUp(link);
          }
        }
        case RTM_DELLINK -> {
          if (m.link() == null || m.family() != AF_UNSPEC) {
            return; // AF_BRIDGE: a port left its bridge, the interface itself lives on
          }
          int ifindex = m.link().ifindex();
          if (dumping()) {
            seen.remove(ifindex);
          }
          LinkInfo old = links.remove(ifindex);
          if (old != null) {
            notifyGone(old);
          }
        }
        case NLMSG_DONE -> {
          if (dumping() && m.seq() == dumpSeq) {
            noteDumpPart(m);
            finishDump(m.errno());
          }
        }
        case NLMSG_ERROR -> {
          if (dumping() && m.seq() == dumpSeq && m.errno() != 0) {
            finishDump(m.errno());
          }
        }
        default -> {
          // NOOP, and anything a newer kernel may add
        }
      }
    }

    private void noteDumpPart(Message m) {
      if (dumping() && m.seq() == dumpSeq && (m.flags() & NLM_F_DUMP_INTR) != 0) {
        dumpInconsistent = true;
      }
    }

    private void finishDump(int errno) {
      dumpSeq = 0;
      if (errno != 0) {
        dumpErrno = errno; // incomplete: do not infer anything gone from it
        dumpWanted = true;
        return;
      }
      for (Iterator<Map.Entry<Integer, LinkInfo>> it = links.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Integer, LinkInfo> e = it.next();
        if (!seen.contains(e.getKey())) {
          it.remove();
          notifyGone(e.getValue());
        }
      }
      seen.clear();
      if (dumpInconsistent) {
        dumpWanted = true; // the kernel says links changed while it dumped; the next dump settles it
      }
    }

    private void notifyUp(LinkInfo link) {
      try {
        listener.linkUp(link);
      } catch (RuntimeException e) {
        if (listenerWarning.allow()) {
          LOG.log(Level.WARNING, "link listener failed on " + link.name() + " (ifindex " + link.ifindex() + ")", e);
        }
      }
    }

    private void notifyGone(LinkInfo link) {
      try {
        listener.linkGone(link);
      } catch (RuntimeException e) {
        if (listenerWarning.allow()) {
          LOG.log(Level.WARNING, "link listener failed on removal of " + link.name() + " (ifindex "
              + link.ifindex() + ")", e);
        }
      }
    }
  }

  /** One log line per source per 30 s. */
  private static final class Throttle {
    private long last;
    private boolean any;

    synchronized boolean allow() {
      long now = System.nanoTime();
      if (any && now - last < WARN_EVERY_NANOS) {
        return false;
      }
      any = true;
      last = now;
      return true;
    }
  }
}
