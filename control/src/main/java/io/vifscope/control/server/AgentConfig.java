package io.vifscope.control.server;

import io.vifscope.control.resolve.DomainSources;
import io.vifscope.probe.ClsactLedger;
import io.vifscope.probe.InterfaceSelector;
import io.vifscope.probe.ProbeOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the agent is configured with, and how it is read: command-line flags plus an optional config
 * file ({@code --config PATH}). The file holds {@code key = value} lines whose keys are the long flag names
 * without dashes; blank lines and lines starting with {@code #} are ignored. A flag given on the command line
 * replaces the file's value for that key entirely (also for the repeatable {@code include}/{@code exclude}).
 *
 * <p>All checks happen here, before anything privileged runs, so that a typo is reported as one line naming
 * the key and where it came from ({@code --poll-interval: ...} or {@code /etc/vifscope/agent.conf:7:
 * poll-interval: ...}), not as a half-started agent.
 *
 * @param socket unix socket to serve on (always set; ignored when {@code listen} is set)
 * @param listen TCP address to serve on instead of the socket
 * @param tlsCert PEM certificate chain for TCP
 * @param tlsKey PEM private key (PKCS#8) for TCP
 * @param tlsClientCa PEM CA bundle; when set, clients must present a certificate it signed (mTLS)
 * @param insecure allow plain TCP (with {@code listen} and no TLS)
 * @param include interface name globs to watch, on top of the probe's defaults
 * @param exclude interface name globs never to watch
 * @param flowEntries size of the flow map
 * @param pollInterval how often the probe is read
 * @param history how much history is kept (the longest window a query may ask for)
 * @param resolverOrder domain sources, most trusted first
 * @param libvirtUri libvirt connection URI; empty for libvirt's own default
 * @param tcMode how tc programs are hooked in
 * @param loader how the programs get into the kernel: the built objects (libbpf), BCC, or the first with the second
 *     as fallback (auto)
 * @param bpfStats turn on the kernel's BPF run-time statistics
 * @param socketGroup group that may use the socket (mode 0660); empty for the agent's own group only
 * @param verbose debug logging
 * @param configFile the file the settings were read from, if any
 * @param onlyIncluded watch only the included interfaces, not the defaults
 * @param nodeName the node name answers carry; empty for the host name
 * @param metrics the Prometheus endpoint's settings; empty when it is off (no {@code metrics-listen})
 */
public record AgentConfig(
    Path socket,
    Optional<Listen> listen,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    Optional<Path> tlsClientCa,
    boolean insecure,
    List<String> include,
    List<String> exclude,
    int flowEntries,
    Duration pollInterval,
    Duration history,
    List<String> resolverOrder,
    Optional<String> libvirtUri,
    ProbeOptions.TcMode tcMode,
    ProbeOptions.Loader loader,
    boolean bpfStats,
    Optional<String> socketGroup,
    boolean verbose,
    Optional<Path> configFile,
    boolean onlyIncluded,
    Optional<String> nodeName,
    Optional<MetricsSettings> metrics) {

  // Defaults, as text: they are parsed like any other value, and the CLI's help shows them as written.
  public static final String DEFAULT_SOCKET = "/run/vifscope/vifscope.sock";
  public static final String DEFAULT_FLOW_ENTRIES = "65536";
  public static final String DEFAULT_POLL_INTERVAL = "1s";
  public static final String DEFAULT_HISTORY = "5m";
  public static final String DEFAULT_RESOLVER_ORDER = "xenstore,xl,libvirt";
  public static final String DEFAULT_TC_MODE = "auto";
  public static final String DEFAULT_LOADER = "auto";
  /**
   * For tests only: a directory the built BPF objects are read from instead of the agent's classpath. Pointed at
   * broken objects, it makes loader auto fall back to BCC (lab/test and the privileged tests use it).
   */
  public static final String TEST_OBJECTS_DIR_ENV = "VIFSCOPE_TEST_OBJECTS_DIR";
  /** Used when it exists on the host; otherwise the socket is for its owner only. */
  public static final String DEFAULT_SOCKET_GROUP = "vifscope";
  /** Given as {@code socket-group}, turns the default group off. */
  public static final String NO_GROUP = "none";
  public static final String DEFAULT_METRICS_TOP = "5";
  public static final String DEFAULT_METRICS_MAX_TALKER_SERIES = "1000";
  public static final int MAX_METRICS_TOP = 100;
  /** Two series (packets and bytes per second) per talker row, and at least one row. */
  public static final int MIN_METRICS_MAX_TALKER_SERIES = 2;
  public static final int MAX_METRICS_MAX_TALKER_SERIES = 100_000;

  public static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(100);
  public static final Duration MAX_HISTORY = Duration.ofHours(1);
  public static final int MAX_FLOW_ENTRIES = 4 << 20;
  /** sun_path is 108 bytes including the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  /** The flag that names the config file; a flag only, not a file key. */
  public static final String CONFIG = "config";

  /** Every key, in help order. The CLI's long options are exactly these, plus {@code --config}. */
  public static final List<String> KEYS = List.of(
      "socket", "socket-group", "listen", "tls-cert", "tls-key", "tls-client-ca", "insecure",
      "include", "exclude", "flow-entries", "poll-interval", "history", "resolver-order", "libvirt-uri",
      "tc-mode", "loader", "bpf-stats", "verbose", "only-included", "node-name",
      "metrics-listen", "metrics-tls-cert", "metrics-tls-key", "metrics-users", "metrics-top", "metrics-max-talker-series");

  /** Keys that may be given several times; the values add up. */
  public static final Set<String> REPEATABLE = Set.of("include", "exclude");

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");

  public AgentConfig {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    resolverOrder = List.copyOf(resolverOrder);
  }

  /**
   * The Prometheus endpoint: where it listens, HTTPS when a certificate is given, basic auth when a users file
   * is given, and how many talker series it may export.
   *
   * @param users htpasswd-style file of {@code user:bcrypt-hash} lines
   * @param topPerDomain talkers exported per domain and direction before the rest goes under "other"
   * @param maxTalkerSeries the most talker series one scrape returns, whatever the traffic (see {@code
   *     TalkerSeries}); the other series follow the host's shape, not its traffic
   */
  public record MetricsSettings(Listen listen, Optional<Path> tlsCert, Optional<Path> tlsKey, Optional<Path> users,
      int topPerDomain, int maxTalkerSeries) {}

  /** A TCP address to listen on; {@code host} is a name or a literal (IPv6 without brackets). */
  public record Listen(String host, int port) {
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** A setting that cannot be used; the message names the key and where its value came from. */
  public static final class InvalidConfigException extends Exception {
    public InvalidConfigException(String message) {
      super(message);
    }
  }

  /** The configuration with nothing given, on this host. */
  public static AgentConfig defaults() throws InvalidConfigException {
    return load(Map.of());
  }

  /**
   * Reads the flags, and the file that {@code flags.get("config")} names, against this host's groups.
   *
   * @param flags values given on the command line, by key (long flag name without dashes); a key absent here
   *     falls back to the file, then to the default
   */
  public static AgentConfig load(Map<String, List<String>> flags) throws InvalidConfigException {
    return load(flags, AgentConfig::groupExists);
  }

  /**
   * As {@link #load(Map)}, with the group lookup injected (tests, and hosts without a {@code vifscope} group).
   */
  public static AgentConfig load(Map<String, List<String>> flags, Predicate<String> groupExists)
      throws InvalidConfigException {
    Map<String, Raw> given = new HashMap<>();
    Optional<Path> file = Optional.empty();
    List<String> configFlag = flags.get(CONFIG);
    if (configFlag != null && !configFlag.isEmpty()) {
      Path path = path(Raw.flag(CONFIG, configFlag));
      file = Optional.of(path);
      given.putAll(readFile(path));
    }
    for (Map.Entry<String, List<String>> e : flags.entrySet()) {
      String key = e.getKey();
      if (key.equals(CONFIG)) {
        continue;
      }
      if (!KEYS.contains(key)) {
        throw new InvalidConfigException("--" + key + ": unknown setting; known: " + String.join(", ", KEYS));
      }
      if (e.getValue().isEmpty()) {
        throw new InvalidConfigException("--" + key + ": no value");
      }
      given.put(key, Raw.flag(key, List.copyOf(e.getValue())));
    }
    return new Reader(given, groupExists).read(file);
  }

  /** What the probe is started with, from these settings (the probe's default interfaces included). */
  public ProbeOptions probeOptions() {
    String objects = System.getenv(TEST_OBJECTS_DIR_ENV);
    return new ProbeOptions(include, exclude, !onlyIncluded, flowEntries, tcMode, bpfStats, ClsactLedger.DEFAULT_FILE,
        loader, objects == null || objects.isEmpty() ? null : Path.of(objects));
  }

  /** Whether a group of this name exists here (through the system's name service, as chown would see it). */
  public static boolean groupExists(String name) {
    try {
      FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
      return true;
    } catch (UserPrincipalNotFoundException e) {
      return false;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Raw text of one key, and where it came from.
   *
   * @param file {@code path:line} when read from the config file, empty for a flag or a default
   * @param defaulted the value is the built-in default
   */
  private record Raw(String key, List<String> values, String file, boolean defaulted) {
    static Raw flag(String key, List<String> values) {
      return new Raw(key, values, "", false);
    }

    static Raw fallback(String key, String value) {
      return new Raw(key, List.of(value), "", true);
    }

    String value() {
      return values.get(values.size() - 1);
    }

    /** {@code --key}, {@code path:line: key} or {@code key (default ...)}: what an error message starts with. */
    String where() {
      if (!file.isEmpty()) {
        return file + ": " + key;
      }
      return defaulted ? key + " (default " + value() + ")" : "--" + key;
    }

    InvalidConfigException error(String problem) {
      return new InvalidConfigException(where() + ": " + problem);
    }
  }

  private static Map<String, Raw> readFile(Path path) throws InvalidConfigException {
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidConfigException("--" + CONFIG + ": cannot read " + path + ": " + reason(e));
    }
    Map<String, Raw> out = new HashMap<>();
    Map<String, Integer> firstLine = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      int n = i + 1;
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      String at = path + ":" + n;
      if (eq < 0) {
        throw new InvalidConfigException(at + ": expected 'key = value', got '" + shorten(line) + "'");
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      if (key.equals(CONFIG)) {
        throw new InvalidConfigException(at + ": config: a config file cannot name another one");
      }
      if (!KEYS.contains(key)) {
        throw new InvalidConfigException(
            at + ": unknown key '" + shorten(key) + "'; known: " + String.join(", ", KEYS));
      }
      if (value.isEmpty()) {
        throw new InvalidConfigException(at + ": " + key + ": no value");
      }
      Raw before = out.get(key);
      if (before == null) {
        firstLine.put(key, n);
        // Several globs may share a line, separated by spaces: interface names have no spaces.
        List<String> values = REPEATABLE.contains(key) ? List.of(value.split("\\s+")) : List.of(value);
        out.put(key, new Raw(key, values, at, false));
      } else if (REPEATABLE.contains(key)) {
        List<String> values = new ArrayList<>(before.values());
        values.addAll(List.of(value.split("\\s+")));
        out.put(key, new Raw(key, values, at, false));
      } else {
        throw new InvalidConfigException(at + ": " + key + ": already set on line " + firstLine.get(key));
      }
    }
    return out;
  }

  /** Turns raw text into typed values, key by key, then checks the values against each other. */
  private static final class Reader {
    private final Map<String, Raw> given;
    private final Predicate<String> groupExists;

    Reader(Map<String, Raw> given, Predicate<String> groupExists) {
      this.given = given;
      this.groupExists = groupExists;
    }

    private Optional<Raw> raw(String key) {
      return Optional.ofNullable(given.get(key));
    }

    private Raw rawOrDefault(String key, String defaultText) {
      return raw(key).orElse(Raw.fallback(key, defaultText));
    }

    AgentConfig read(Optional<Path> file) throws InvalidConfigException {
      Raw socketRaw = rawOrDefault("socket", DEFAULT_SOCKET);
      Path socket = path(socketRaw);
      int socketBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
      if (socketBytes > MAX_SOCKET_PATH_BYTES) {
        throw socketRaw.error("the path is " + socketBytes + " bytes; a unix socket path has at most "
            + MAX_SOCKET_PATH_BYTES);
      }
      Optional<Listen> listen = optional("listen", AgentConfig::listen);
      Optional<Path> tlsCert = optional("tls-cert", AgentConfig::readableFile);
      Optional<Path> tlsKey = optional("tls-key", AgentConfig::readableFile);
      Optional<Path> tlsClientCa = optional("tls-client-ca", AgentConfig::readableFile);
      boolean insecure = bool("insecure");
      List<String> include = globs("include");
      List<String> exclude = globs("exclude");
      Raw flowRaw = rawOrDefault("flow-entries", DEFAULT_FLOW_ENTRIES);
      int flowEntries = flowEntries(flowRaw);
      Raw pollRaw = rawOrDefault("poll-interval", DEFAULT_POLL_INTERVAL);
      Duration poll = duration(pollRaw);
      Raw historyRaw = rawOrDefault("history", DEFAULT_HISTORY);
      Duration history = duration(historyRaw);
      List<String> resolverOrder = resolverOrder(rawOrDefault("resolver-order", DEFAULT_RESOLVER_ORDER));
      Optional<String> libvirtUri = optional("libvirt-uri", AgentConfig::libvirtUri);
      ProbeOptions.TcMode tcMode = tcMode(rawOrDefault("tc-mode", DEFAULT_TC_MODE));
      ProbeOptions.Loader loader = loader(rawOrDefault("loader", DEFAULT_LOADER));
      boolean bpfStats = bool("bpf-stats");
      Optional<String> socketGroup = socketGroup();
      boolean verbose = bool("verbose");
      boolean onlyIncluded = bool("only-included");
      Optional<String> nodeName = optional("node-name", AgentConfig::nodeName);
      if (onlyIncluded && include.isEmpty()) {
        throw given.get("only-included").error("watches nothing without --include");
      }

      if (poll.compareTo(MIN_POLL_INTERVAL) < 0) {
        throw pollRaw.error(text(poll) + " is below the minimum " + text(MIN_POLL_INTERVAL));
      }
      if (history.compareTo(poll) < 0) {
        throw historyRaw.error(text(history) + " is shorter than poll-interval " + text(poll));
      }
      if (history.compareTo(MAX_HISTORY) > 0) {
        throw historyRaw.error(text(history) + " is above the maximum " + text(MAX_HISTORY));
      }
      checkTransport(listen, tlsCert, tlsKey, tlsClientCa, insecure);
      Optional<MetricsSettings> metrics = metrics();
      return new AgentConfig(socket, listen, tlsCert, tlsKey, tlsClientCa, insecure, include, exclude, flowEntries,
          poll, history, resolverOrder, libvirtUri, tcMode, loader, bpfStats, socketGroup, verbose, file, onlyIncluded,
          nodeName, metrics);
    }

    /** The metrics endpoint: off without metrics-listen, and then none of its other keys may be given. */
    private Optional<MetricsSettings> metrics() throws InvalidConfigException {
      Optional<Listen> listen = optional("metrics-listen", AgentConfig::listen);
      Optional<Path> cert = optional("metrics-tls-cert", AgentConfig::readableFile);
      Optional<Path> key = optional("metrics-tls-key", AgentConfig::readableFile);
      Optional<Path> users = optional("metrics-users", AgentConfig::readableFile);
      int top = bounded(rawOrDefault("metrics-top", DEFAULT_METRICS_TOP), 1, MAX_METRICS_TOP);
      int maxTalkerSeries = bounded(rawOrDefault("metrics-max-talker-series", DEFAULT_METRICS_MAX_TALKER_SERIES),
          MIN_METRICS_MAX_TALKER_SERIES, MAX_METRICS_MAX_TALKER_SERIES);
      if (listen.isEmpty()) {
        for (String k : List.of("metrics-tls-cert", "metrics-tls-key", "metrics-users", "metrics-top",
            "metrics-max-talker-series")) {
          if (given.containsKey(k)) {
            throw given.get(k).error("only used with --metrics-listen (the metrics endpoint is off without it)");
          }
        }
        return Optional.empty();
      }
      if (key.isPresent() && cert.isEmpty()) {
        throw given.get("metrics-tls-key").error("given without --metrics-tls-cert");
      }
      if (cert.isPresent() && key.isEmpty()) {
        throw given.get("metrics-tls-cert").error("given without --metrics-tls-key");
      }
      return Optional.of(new MetricsSettings(listen.get(), cert, key, users, top, maxTalkerSeries));
    }

    /** TCP only with TLS or an explicit --insecure; TLS settings only as a complete set and only for TCP. */
    private void checkTransport(Optional<Listen> listen, Optional<Path> cert, Optional<Path> key,
        Optional<Path> clientCa, boolean insecure) throws InvalidConfigException {
      if (key.isPresent() && cert.isEmpty()) {
        throw given.get("tls-key").error("given without --tls-cert");
      }
      if (cert.isPresent() && key.isEmpty()) {
        throw given.get("tls-cert").error("given without --tls-key");
      }
      if (clientCa.isPresent() && cert.isEmpty()) {
        throw given.get("tls-client-ca").error("mTLS needs the server's own --tls-cert and --tls-key too");
      }
      if (listen.isEmpty()) {
        for (String k : List.of("tls-cert", "tls-key", "tls-client-ca")) {
          if (given.containsKey(k)) {
            throw given.get(k).error("only used with --listen (the unix socket does not use TLS)");
          }
        }
        if (insecure) {
          throw given.get("insecure").error("only used with --listen (it allows plain TCP)");
        }
        return;
      }
      if (cert.isPresent() && insecure) {
        throw given.get("insecure").error("contradicts --tls-cert: give one or the other");
      }
      if (cert.isEmpty() && !insecure) {
        Raw l = given.get("listen");
        String prefix = l.file().isEmpty() ? "" : l.file() + ": ";
        throw new InvalidConfigException(
            prefix + "--listen without TLS: give --tls-cert and --tls-key, or --insecure to serve plain TCP");
      }
    }

    private interface Parser<T> {
      T parse(Raw raw) throws InvalidConfigException;
    }

    private <T> Optional<T> optional(String key, Parser<T> parser) throws InvalidConfigException {
      Raw r = given.get(key);
      return r == null ? Optional.empty() : Optional.of(parser.parse(r));
    }

    private boolean bool(String key) throws InvalidConfigException {
      Raw r = given.get(key);
      if (r == null) {
        return false;
      }
      String v = r.value().toLowerCase(Locale.ROOT);
      if (v.equals("true")) {
        return true;
      }
      if (v.equals("false")) {
        return false;
      }
      throw r.error("'" + shorten(r.value()) + "' is not true or false");
    }

    private List<String> globs(String key) throws InvalidConfigException {
      Raw r = given.get(key);
      if (r == null) {
        return List.of();
      }
      for (String g : r.values()) {
        try {
          InterfaceSelector.of(List.of(g), List.of(), false);
        } catch (IllegalArgumentException e) {
          throw r.error("bad glob '" + shorten(g) + "': " + e.getMessage());
        }
      }
      return r.values();
    }

    private Optional<String> socketGroup() throws InvalidConfigException {
      Raw r = given.get("socket-group");
      if (r == null) {
        return groupExists.test(DEFAULT_SOCKET_GROUP) ? Optional.of(DEFAULT_SOCKET_GROUP) : Optional.empty();
      }
      String name = r.value();
      if (name.equals(NO_GROUP)) {
        return Optional.empty();
      }
      if (!groupExists.test(name)) {
        throw r.error("no group '" + shorten(name) + "' on this host (give '" + NO_GROUP + "' for none)");
      }
      return Optional.of(name);
    }
  }

  private static Path path(Raw r) throws InvalidConfigException {
    String v = r.value();
    if (v.isEmpty()) {
      throw r.error("empty path");
    }
    try {
      return Path.of(v);
    } catch (InvalidPathException e) {
      throw r.error("bad path: " + e.getReason());
    }
  }

  private static Path readableFile(Raw r) throws InvalidConfigException {
    Path p = path(r);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw r.error("cannot read " + p + (Files.exists(p) ? "" : ": no such file"));
    }
    return p;
  }

  private static Listen listen(Raw r) throws InvalidConfigException {
    String v = r.value();
    int colon = v.lastIndexOf(':');
    if (colon < 0) {
      throw r.error("'" + shorten(v) + "' is not host:port (like 127.0.0.1:7443 or [::1]:7443)");
    }
    String host = v.substring(0, colon);
    String port = v.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw r.error("'" + shorten(v) + "': put an IPv6 address in brackets, like [::1]:7443");
    }
    if (host.isEmpty()) {
      throw r.error("'" + shorten(v) + "' has no host; give one (0.0.0.0 for every IPv4 address)");
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
      throw r.error("'" + shorten(port) + "' is not a port number (0-65535)");
    }
    return new Listen(host, Integer.parseInt(port));
  }

  private static int bounded(Raw r, int min, int max) throws InvalidConfigException {
    long n;
    try {
      n = Long.parseLong(r.value());
    } catch (NumberFormatException e) {
      throw r.error("'" + shorten(r.value()) + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw r.error(n + " is out of range " + min + ".." + max);
    }
    return (int) n;
  }

  private static int flowEntries(Raw r) throws InvalidConfigException {
    long n;
    try {
      n = Long.parseLong(r.value());
    } catch (NumberFormatException e) {
      throw r.error("'" + shorten(r.value()) + "' is not a whole number");
    }
    if (n < 1 || n > MAX_FLOW_ENTRIES) {
      throw r.error(n + " is out of range 1.." + MAX_FLOW_ENTRIES);
    }
    return (int) n;
  }

  /** {@code 500ms}, {@code 1s}, {@code 5m}, {@code 1h}: one number, one unit. */
  static Duration duration(Raw r) throws InvalidConfigException {
    Matcher m = DURATION.matcher(r.value());
    if (!m.matches()) {
      throw r.error("'" + shorten(r.value()) + "' is not a duration (like 500ms, 1s, 5m, 1h)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private static List<String> resolverOrder(Raw r) throws InvalidConfigException {
    Set<String> out = new LinkedHashSet<>();
    for (String part : r.value().split(",", -1)) {
      String name = part.strip().toLowerCase(Locale.ROOT);
      if (!DomainSources.DEFAULT_ORDER.contains(name)) {
        throw r.error("unknown domain source '" + shorten(part.strip()) + "'; known: "
            + String.join(", ", DomainSources.DEFAULT_ORDER));
      }
      if (!out.add(name)) {
        throw r.error("'" + name + "' is named twice");
      }
    }
    return List.copyOf(out);
  }

  private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  private static String nodeName(Raw r) throws InvalidConfigException {
    if (!NODE_NAME.matcher(r.value()).matches()) {
      throw r.error("'" + shorten(r.value()) + "' is not a node name (letters, digits, '.', '_', '-'; at most 63)");
    }
    return r.value();
  }

  private static String libvirtUri(Raw r) throws InvalidConfigException {
    String v = r.value();
    try {
      if (new URI(v).getScheme() != null) {
        return v;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw r.error("'" + shorten(v) + "' is not a libvirt URI (like qemu:///system or xen:///system)");
  }

  private static ProbeOptions.TcMode tcMode(Raw r) throws InvalidConfigException {
    for (ProbeOptions.TcMode m : ProbeOptions.TcMode.values()) {
      if (m.name().equalsIgnoreCase(r.value())) {
        return m;
      }
    }
    throw r.error("'" + shorten(r.value()) + "' is not one of auto, tcx, clsact");
  }

  private static ProbeOptions.Loader loader(Raw r) throws InvalidConfigException {
    for (ProbeOptions.Loader l : ProbeOptions.Loader.values()) {
      if (l.name().equalsIgnoreCase(r.value())) {
        return l;
      }
    }
    throw r.error("'" + shorten(r.value()) + "' is not one of auto, libbpf, bcc");
  }

  /** A duration as an operator would write it: 500ms, 1s, 5m, 1h. */
  static String text(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  /** Operator text echoed in a message: printable, and not a page long. */
  private static String shorten(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(64).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return s.codePointCount(0, s.length()) > 64 ? b + "..." : b.toString();
  }

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
