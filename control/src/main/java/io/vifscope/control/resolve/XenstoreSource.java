package io.vifscope.control.resolve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps host interfaces to guests from xenstore, through the xenstore command-line tools, reading only what dom0
 * owns.
 *
 * <p>What decides a mapping, and why:
 * <ul>
 *   <li>{@code /local/domain/0/backend/vif/<domid>/<devid>/...}, listed with one {@code xenstore-ls -f}. libxl
 *       creates these nodes owned by dom0 (the guest may only read them), so a guest cannot forge or rename its
 *       vif there. The interface is {@code vifname} when set, else netback's {@code vif<domid>.<devid>}; a NIC of
 *       type {@code vif_ioemu} (an HVM guest's emulated NIC) also has its {@code -emu} tap twin.</li>
 *   <li>{@code /local/domain/<domid>/name} and {@code vm} (the {@code /vm/<uuid>} path) for the domain's name
 *       and UUID, written by the toolstack and also dom0-owned.</li>
 *   <li>{@code /sys/class/net/<if>/device/nodename}, which netback's xenbus device shows as
 *       {@code backend/vif/<domid>/<devid>}: the kernel's own word that {@code <if>} is that vif. It names the
 *       vif even before the hotplug script renamed it, and it vetoes a computed name that the kernel says is a
 *       different vif.</li>
 * </ul>
 * Nothing under a guest's own area ({@code /local/domain/<domid>/device}, {@code data}, ...) is ever read: a
 * guest can write there, so a node there claiming another domain's vif cannot change anything.
 *
 * <p>Names and UUIDs are read with {@code xenstore-read -p} (a few calls, not one per domain). xenstore-read stops
 * at the first missing key but prints what it read before it; with {@code -p} every value comes with its key, so
 * a missing key (a domain being destroyed, dom0 without {@code vm}) is simply skipped and the read resumes after
 * it. Listing {@code /local/domain} instead would be one call but would read every guest-writable node, which a
 * guest could grow until the output cap makes the whole source fail.
 *
 * <p>Lines of {@code xenstore-ls -f} are {@code PATH = "VALUE"}, the value quoted by xenstore_client.c's
 * {@code sanitise_value}; a line that does not parse (or lies outside the listed tree) is skipped and counted,
 * and output with no usable line at all is a {@link SourceException}.
 */
public final class XenstoreSource implements DomainSource {
  public static final String NAME = "xenstore";
  /** The dom0-owned tree of vif backends. */
  static final String BACKEND = "/local/domain/0/backend/vif";
  /** Cap on each command's output; the backend tree is ~2 KiB per vif. */
  static final int MAX_OUTPUT = 4 * 1024 * 1024;
  /** Keys per xenstore-read call: keeps argv far below ARG_MAX. */
  static final int READ_BATCH = 256;
  /** At most this many /sys/class/net entries are looked at. */
  private static final int MAX_SYSFS_LINKS = 16384;
  private static final System.Logger LOG = System.getLogger(XenstoreSource.class.getName());

  private static final Pattern DEVICE_NODE = Pattern.compile(
      Pattern.quote(BACKEND) + "/(0|[1-9]\\d{0,4})/(0|[1-9]\\d{0,4})(?:/([A-Za-z0-9_@-]+))?");
  /** xenstored's longest absolute path ({@code XENSTORE_ABS_PATH_MAX}). */
  private static final int MAX_PATH = 3072;
  private static final Pattern NODENAME = Pattern.compile("backend/vif/(0|[1-9]\\d{0,4})/(0|[1-9]\\d{0,4})");
  private static final Pattern VM_PATH = Pattern.compile(
      "/vm/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:-\\d+)?");

  private final CommandRunner runner;
  private final Path sysfs;
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);

  /** Reads through {@code runner} and the kernel's /sys. */
  public XenstoreSource(CommandRunner runner) {
    this(runner, Path.of("/sys"));
  }

  /** Reads through {@code runner}; {@code sysfsRoot} stands for /sys (a fixture directory in tests). */
  public XenstoreSource(CommandRunner runner, Path sysfsRoot) {
    this.runner = Objects.requireNonNull(runner);
    this.sysfs = Objects.requireNonNull(sysfsRoot);
  }

  @Override
  public boolean xenDomainIds() {
    return true;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean detect() {
    return runner.exists("xenstore-ls") && runner.exists("xenstore-read");
  }

  @Override
  public SourceSnapshot read(Duration timeout) throws SourceException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<DevKey, Map<String, String>> devices = readBackends(timeout);
    Map<String, DevKey> kernel = readKernelVifs();

    TreeSet<Integer> domids = new TreeSet<>();
    devices.keySet().forEach(k -> domids.add(k.domid));
    kernel.values().forEach(k -> domids.add(k.domid));
    domids.add(0);
    Map<Integer, Domain> domains = readDomains(domids, deadline, timeout);

    Map<String, List<Claim>> claims = new LinkedHashMap<>();
    Map<DevKey, String> kernelByKey = new HashMap<>();
    kernel.forEach((ifname, key) -> kernelByKey.putIfAbsent(key, ifname));
    int vetoed = 0;
    for (Map.Entry<DevKey, Map<String, String>> e : devices.entrySet()) {
      DevKey key = e.getKey();
      Map<String, String> keys = e.getValue();
      Domain d = domains.get(key.domid);
      String mac = keys.getOrDefault("mac", "");
      String vifname = keys.getOrDefault("vifname", "");
      String base = vifname.isEmpty() ? XenNames.vifName(key.domid, key.devid) : vifname;
      String kernelName = kernelByKey.get(key);
      DevKey kernelSays = kernel.get(base);
      if (kernelName != null) {
        claim(claims, kernelName, new GuestNic(d, key.devid, mac, false), true);
      } else if (kernelSays != null) {
        vetoed++; // the kernel says this name is another vif
      } else {
        claim(claims, base, new GuestNic(d, key.devid, mac, false), false);
      }
      if (isEmulated(keys.get("type"))) {
        String twin = XenNames.emuTwin(base);
        if (kernel.containsKey(twin)) {
          vetoed++; // a netback vif, not a tap
        } else {
          claim(claims, twin, new GuestNic(d, key.devid, mac, true), false);
        }
      }
    }
    kernel.forEach((ifname, key) -> {
      if (!devices.containsKey(key)) {
        claim(claims, ifname, new GuestNic(domains.get(key.domid), key.devid, "", false), true);
      }
    });

    Map<String, GuestNic> byIfname = new HashMap<>();
    int ambiguous = 0;
    for (Map.Entry<String, List<Claim>> e : claims.entrySet()) {
      GuestNic nic = decide(e.getValue());
      if (nic == null) {
        ambiguous++;
      } else {
        byIfname.put(Names.clean(e.getKey()), nic);
      }
    }
    if (vetoed + ambiguous > 0) {
      warn("names", "xenstore: left out " + vetoed + " interface name(s) the kernel gives to another vif and "
          + ambiguous + " claimed by several vifs");
    }
    LOG.log(Level.DEBUG, () -> "xenstore: " + byIfname.size() + " interfaces, " + domains.size() + " domains");
    return new SourceSnapshot(byIfname, domains);
  }

  // ---- the backend tree --------------------------------------------------------------------------------------

  private Map<DevKey, Map<String, String>> readBackends(Duration timeout) throws SourceException {
    List<String> argv = List.of("xenstore-ls", "-f", BACKEND);
    // the first command gets the whole budget (so its timeout message names it); later ones what is left
    CommandRunner.Output out = runner.run(argv, timeout, MAX_OUTPUT);
    Map<DevKey, Map<String, String>> devices = new TreeMap<>();
    if (out.exitCode() != 0) {
      // No backend/vif directory at all: no guest has a vif (or ever had one since boot).
      if (out.stderr().contains("No such file or directory") && out.stdout().isBlank()) {
        return devices;
      }
      throw failed(argv, out);
    }
    Listing listing = parseListing(out.stdout(), BACKEND);
    if (listing.lines() > 0 && listing.nodes().isEmpty() && listing.unreadable() == 0) {
      throw new SourceException(ProcessCommandRunner.describe(argv) + ": nothing parseable in "
          + listing.lines() + " lines");
    }
    int inconsistent = 0;
    for (Map.Entry<String, String> n : listing.nodes().entrySet()) {
      Matcher m = DEVICE_NODE.matcher(n.getKey());
      if (!m.matches()) {
        continue; // the per-domain directories, and anything deeper than a device's keys
      }
      DevKey key = new DevKey(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
      Map<String, String> keys = devices.computeIfAbsent(key, k -> new HashMap<>());
      if (m.group(3) != null) {
        keys.put(m.group(3), n.getValue());
      }
    }
    for (var it = devices.entrySet().iterator(); it.hasNext();) {
      var e = it.next();
      if (!consistent(e.getKey(), e.getValue())) {
        it.remove();
        inconsistent++;
      }
    }
    if (listing.skipped() + inconsistent > 0) {
      warn("input", "xenstore: skipped " + listing.skipped() + " unparseable or foreign line(s) of "
          + ProcessCommandRunner.describe(argv) + " and " + inconsistent + " inconsistent vif(s)");
    }
    return devices;
  }

  /** A vif's own keys must agree with where it sits: frontend-id is its domid, handle its devid. */
  private static boolean consistent(DevKey key, Map<String, String> keys) {
    if (key.domid == 0 || !XenNames.validIds(key.domid, key.devid)) {
      return false;
    }
    String fid = keys.get("frontend-id");
    if (fid != null && !fid.equals(Integer.toString(key.domid))) {
      return false;
    }
    String handle = keys.get("handle");
    return handle == null || handle.equals(Integer.toString(key.devid));
  }

  /** libxl's {@code vif_ioemu} NIC type (xend called it {@code ioemu}): QEMU opens a tap twin. */
  private static boolean isEmulated(String type) {
    return "vif_ioemu".equalsIgnoreCase(type) || "ioemu".equalsIgnoreCase(type);
  }

  /** What {@code xenstore-ls -f} printed: nodes below the listed path, and the lines that were not usable. */
  record Listing(Map<String, String> nodes, int lines, int skipped, int unreadable) {}

  /**
   * Parses {@code xenstore-ls -f} output: {@code PATH = "VALUE"} per node (xenstore_client.c's {@code do_ls}),
   * or {@code PATH:} for a node whose value could not be read. Values are unquoted as {@code sanitise_value}
   * quoted them. Lines that do not parse, values cut with {@code \...} (a terminal-width listing), and nodes
   * outside {@code prefix} are skipped and counted.
   */
  static Listing parseListing(String stdout, String prefix) {
    Map<String, String> nodes = new LinkedHashMap<>();
    int lines = 0;
    int skipped = 0;
    int unreadable = 0;
    String under = prefix + "/";
    int start = 0;
    while (start < stdout.length()) {
      int nl = stdout.indexOf('\n', start);
      int end = nl < 0 ? stdout.length() : nl;
      String line = stdout.substring(start, end);
      start = end + 1;
      if (line.isEmpty()) {
        continue;
      }
      lines++;
      int eq = line.indexOf(" = \"");
      if (eq < 0) {
        if (line.endsWith(":") && validPath(line.substring(0, line.length() - 1))) {
          unreadable++;
        } else {
          skipped++;
        }
        continue;
      }
      String path = line.substring(0, eq);
      String quoted = line.substring(eq + 4);
      if (!validPath(path) || !quoted.endsWith("\"") || cutShort(quoted)) {
        skipped++;
        continue;
      }
      String value = unescape(quoted.substring(0, quoted.length() - 1));
      if (value == null || !path.startsWith(under)) {
        skipped++;
        continue;
      }
      nodes.put(path, value);
    }
    return new Listing(nodes, lines, skipped, unreadable);
  }

  /**
   * An absolute xenstore path as xenstored accepts it: segments of letters, digits and {@code -/_@}, no empty
   * segment, at most {@value #MAX_PATH} characters. A loop, not a regex: a repeated group would recurse once per
   * segment and a hostile line of a million segments would overflow the stack.
   */
  static boolean validPath(String p) {
    int n = p.length();
    if (n < 2 || n > MAX_PATH || p.charAt(0) != '/' || p.charAt(n - 1) == '/') {
      return false;
    }
    for (int i = 1; i < n; i++) {
      char c = p.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '@' || (c == '/' && p.charAt(i - 1) != '/');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A value xenstore-ls cut to the width with an unescaped {@code \...} before the closing quote. */
  private static boolean cutShort(String quoted) {
    if (!quoted.endsWith("\\...\"")) {
      return false;
    }
    int backslashes = 0;
    for (int i = quoted.length() - 5; i >= 0 && quoted.charAt(i) == '\\'; i--) {
      backslashes++;
    }
    return backslashes % 2 == 1;
  }

  /**
   * Undoes {@code sanitise_value}: {@code \t \n \r \\}, {@code \xNN} for other bytes and {@code \NNN} (octal) for
   * bytes below 010; bytes are then read as UTF-8. Returns null for an escape sanitise_value never writes.
   * Characters it would have escaped but that arrive raw are kept: {@link Names#clean} escapes them later.
   */
  static String unescape(String s) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        if (c < 0x80) {
          bytes.write(c);
        } else {
          int cp = s.codePointAt(i);
          byte[] enc = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
          bytes.write(enc, 0, enc.length);
          i += Character.charCount(cp) - 1;
        }
        continue;
      }
      if (++i >= s.length()) {
        return null;
      }
      char e = s.charAt(i);
      switch (e) {
        case 't' -> bytes.write('\t');
        case 'n' -> bytes.write('\n');
        case 'r' -> bytes.write('\r');
        case '\\' -> bytes.write('\\');
        case 'x' -> {
          int v = hex(s, i + 1);
          if (v < 0) {
            return null;
          }
          bytes.write(v);
          i += 2;
        }
        default -> {
          if (e < '0' || e > '7' || i + 2 >= s.length()) {
            return null;
          }
          int v = octal(s, i);
          if (v < 0) {
            return null;
          }
          bytes.write(v);
          i += 2;
        }
      }
    }
    return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
  }

  /** Two ASCII hex digits at {@code at}, or -1. */
  private static int hex(String s, int at) {
    if (at + 2 > s.length()) {
      return -1;
    }
    int hi = hexDigit(s.charAt(at));
    int lo = hexDigit(s.charAt(at + 1));
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }

  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static int octal(String s, int at) {
    int v = 0;
    for (int k = 0; k < 3; k++) {
      char c = s.charAt(at + k);
      if (c < '0' || c > '7') {
        return -1;
      }
      v = v * 8 + (c - '0');
    }
    return v > 0xff ? -1 : v;
  }

  // ---- names and UUIDs ---------------------------------------------------------------------------------------

  private Map<Integer, Domain> readDomains(TreeSet<Integer> domids, long deadline, Duration timeout)
      throws SourceException {
    List<String> keys = new ArrayList<>();
    keys.add("/local/domain/0/name");
    for (int d : domids) {
      if (d != 0) {
        keys.add("/local/domain/" + d + "/name");
        keys.add("/local/domain/" + d + "/vm");
      }
    }
    keys.add("/local/domain/0/vm"); // last: xl hosts leave it out, and a missing key costs one more call
    Map<String, String> values = readKeys(keys, deadline, timeout);
    Map<Integer, Domain> domains = new HashMap<>();
    for (int d : domids) {
      String name = values.getOrDefault("/local/domain/" + d + "/name", "");
      Matcher vm = VM_PATH.matcher(values.getOrDefault("/local/domain/" + d + "/vm", ""));
      domains.put(d, new Domain(d, name, vm.matches() ? vm.group(1) : ""));
    }
    return domains;
  }

  /**
   * Reads {@code keys} with {@code xenstore-read -p}, as few calls as the missing keys allow: the tool prints
   * {@code KEY: VALUE} for each key up to the first missing one, then fails; the read resumes after that key.
   * A missing key has no entry in the result.
   */
  private Map<String, String> readKeys(List<String> keys, long deadline, Duration timeout) throws SourceException {
    Map<String, String> values = new HashMap<>();
    int i = 0;
    while (i < keys.size()) {
      List<String> batch = keys.subList(i, Math.min(keys.size(), i + READ_BATCH));
      List<String> argv = new ArrayList<>(batch.size() + 2);
      argv.add("xenstore-read");
      argv.add("-p");
      argv.addAll(batch);
      CommandRunner.Output out = runner.run(argv, remaining(deadline, argv, timeout), MAX_OUTPUT);
      int k = 0;
      int start = 0;
      String s = out.stdout();
      while (k < batch.size() && start < s.length()) {
        int nl = s.indexOf('\n', start);
        int end = nl < 0 ? s.length() : nl;
        String line = s.substring(start, end);
        String head = batch.get(k) + ": ";
        if (!line.startsWith(head)) {
          break;
        }
        String v = unescape(line.substring(head.length()));
        if (v != null) {
          values.put(batch.get(k), v);
        }
        k++;
        start = end + 1;
      }
      if (k == batch.size()) {
        i += k;
      } else if (out.exitCode() != 0 && out.stderr().contains("couldn't read path " + batch.get(k))) {
        i += k + 1; // batch.get(k) is missing: skip it
      } else {
        throw failed(argv, out);
      }
    }
    return values;
  }

  // ---- the kernel's view -------------------------------------------------------------------------------------

  /** Netback vifs as the kernel names them: {@code /sys/class/net/<if>/device/nodename}. */
  private Map<String, DevKey> readKernelVifs() {
    Map<String, DevKey> vifs = new HashMap<>();
    Path net = sysfs.resolve("class").resolve("net");
    if (!Files.isDirectory(net)) {
      return vifs;
    }
    int seen = 0;
    try (DirectoryStream<Path> links = Files.newDirectoryStream(net)) {
      for (Path link : links) {
        if (++seen > MAX_SYSFS_LINKS) {
          break;
        }
        String nodename = readSmall(link.resolve("device").resolve("nodename"));
        if (nodename == null) {
          continue;
        }
        Matcher m = NODENAME.matcher(nodename.strip());
        if (m.matches()) {
          DevKey key = new DevKey(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
          if (key.domid != 0 && XenNames.validIds(key.domid, key.devid)) {
            vifs.put(link.getFileName().toString(), key);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "xenstore: cannot list " + net + ": " + e);
    }
    return vifs;
  }

  /** The first 256 bytes of a sysfs attribute, or null when there is none. */
  private static String readSmall(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      return new String(in.readNBytes(256), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  // ---- deciding ----------------------------------------------------------------------------------------------

  private record DevKey(int domid, int devid) implements Comparable<DevKey> {
    @Override
    public int compareTo(DevKey o) {
      return domid != o.domid ? Integer.compare(domid, o.domid) : Integer.compare(devid, o.devid);
    }
  }

  private record Claim(GuestNic nic, boolean kernel) {}

  private static void claim(Map<String, List<Claim>> claims, String ifname, GuestNic nic, boolean kernel) {
    claims.computeIfAbsent(ifname, k -> new ArrayList<>(1)).add(new Claim(nic, kernel));
  }

  /**
   * One interface name, one answer: the kernel's word first; else the backend tree's, when every claim agrees.
   * Two vifs with the same configured vifname (only one can really have it) leave the name unmapped.
   */
  private static GuestNic decide(List<Claim> claims) {
    for (Claim c : claims) {
      if (c.kernel) {
        return c.nic;
      }
    }
    GuestNic first = claims.get(0).nic;
    for (Claim c : claims) {
      if (c.nic.domain().id() != first.domain().id() || c.nic.devid() != first.devid() || c.nic.tap() != first.tap()) {
        return null;
      }
    }
    return first;
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private static Duration remaining(long deadline, List<String> argv, Duration timeout) throws SourceException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SourceException(ProcessCommandRunner.describe(argv) + ": not started, the read took longer than "
          + ProcessCommandRunner.human(timeout));
    }
    return Duration.ofNanos(left);
  }

  private static SourceException failed(List<String> argv, CommandRunner.Output out) {
    String err = out.stderr().strip();
    int nl = err.indexOf('\n');
    String first = nl < 0 ? err : err.substring(0, nl);
    return new SourceException(ProcessCommandRunner.describe(argv) + ": exited with " + out.exitCode()
        + (first.isEmpty() ? "" : ": " + Names.clean(first)));
  }

  /** Odd input is worth one line per 30 s, not one per refresh. */
  private void warn(String what, String message) {
    if (!warnings.warn(NAME + "/" + what, message)) {
      LOG.log(Level.DEBUG, message);
    }
  }
}
