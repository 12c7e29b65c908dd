package io.vifscope.control.resolve;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Maps host interfaces to guests from {@code xl list -l}: the domain configurations libxl stored, one JSON array
 * of {@code {"domid": N, "config": {...}}} (xl_info.c's {@code printf_info_one_json}); the config's keys are
 * those of {@code libxl_domain_config} in libxl_types.idl: {@code c_info} (name, uuid, type pv/hvm/pvh) and
 * {@code nics} ({@code libxl_device_nic}: devid, mac, ifname, nictype, backend_domid, ...). Fields at their
 * default value are left out by libxl, so an absent {@code ifname} means netback's default
 * {@code vif<domid>.<devid>}.
 *
 * <p>The JSON is parsed strictly with a streaming reader: truncated or malformed output is a
 * {@link SourceException} and yields no mapping at all (never part of a document). A domain or NIC whose fields
 * have the wrong type is skipped and counted; the rest still answers. NICs whose backend runs in a driver domain
 * are not dom0 interfaces and are left out.
 */
public final class XlSource implements DomainSource {
  public static final String NAME = "xl";
  /** Cap on xl's output: a few KiB per domain. */
  static final int MAX_OUTPUT = 8 * 1024 * 1024;
  private static final List<String> ARGV = List.of("xl", "list", "-l");
  private static final int NESTING_LIMIT = 64;
  private static final System.Logger LOG = System.getLogger(XlSource.class.getName());

  private final CommandRunner runner;
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);

  public XlSource(CommandRunner runner) {
    this.runner = Objects.requireNonNull(runner);
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
    return runner.exists("xl");
  }

  @Override
  public SourceSnapshot read(Duration timeout) throws SourceException {
    CommandRunner.Output out = runner.run(ARGV, timeout, MAX_OUTPUT);
    String what = ProcessCommandRunner.describe(ARGV);
    if (out.exitCode() != 0) {
      String err = out.stderr().strip();
      int nl = err.indexOf('\n');
      throw new SourceException(what + ": exited with " + out.exitCode()
          + (err.isEmpty() ? "" : ": " + Names.clean(nl < 0 ? err : err.substring(0, nl))));
    }
    Parsed parsed = parse(out.stdout(), what);

    Map<Integer, Domain> domains = new HashMap<>();
    Map<String, List<GuestNic>> claims = new LinkedHashMap<>();
    int skipped = parsed.skipped();
    for (XlDomain xd : parsed.domains()) {
      if (xd.domid() < 0 || xd.domid() > XenNames.MAX_DOMID || domains.containsKey(xd.domid())) {
        skipped++;
        continue;
      }
      Domain d = new Domain(xd.domid(), xd.name(), xd.uuid());
      domains.put(xd.domid(), d);
      if (xd.domid() == 0) {
        continue; // dom0's own NICs are host interfaces
      }
      Set<Integer> devids = new HashSet<>();
      for (XlNic nic : xd.nics()) {
        if (!XenNames.validIds(xd.domid(), nic.devid()) || !devids.add(nic.devid())) {
          skipped++;
          continue;
        }
        String base = nic.ifname().isEmpty() ? XenNames.vifName(xd.domid(), nic.devid()) : nic.ifname();
        claims.computeIfAbsent(base, k -> new ArrayList<>(1)).add(new GuestNic(d, nic.devid(), nic.mac(), false));
        boolean emulated = nic.nictype().isEmpty() ? "hvm".equalsIgnoreCase(xd.type())
            : "vif_ioemu".equalsIgnoreCase(nic.nictype());
        if (emulated) {
          claims.computeIfAbsent(XenNames.emuTwin(base), k -> new ArrayList<>(1))
              .add(new GuestNic(d, nic.devid(), nic.mac(), true));
        }
      }
    }
    Map<String, GuestNic> byIfname = new HashMap<>();
    int ambiguous = 0;
    for (Map.Entry<String, List<GuestNic>> e : claims.entrySet()) {
      if (e.getValue().size() == 1) {
        byIfname.put(Names.clean(e.getKey()), e.getValue().get(0));
      } else {
        ambiguous++; // two NICs configured with the same ifname: only one can have it, we cannot tell which
      }
    }
    if (skipped + ambiguous > 0) {
      warn("xl: skipped " + skipped + " domain or NIC entries of unexpected shape and " + ambiguous
          + " interface name(s) claimed by several NICs");
    }
    LOG.log(Level.DEBUG, () -> "xl: " + byIfname.size() + " interfaces, " + domains.size() + " domains");
    return new SourceSnapshot(byIfname, domains);
  }

  /** One NIC of a domain's stored config; "" for absent strings. */
  record XlNic(int devid, String mac, String ifname, String nictype) {}

  /** One domain of {@code xl list -l}; "" for absent strings. */
  record XlDomain(int domid, String name, String uuid, String type, List<XlNic> nics) {}

  /** The whole document: domains in order and how many entries were skipped for their shape. */
  record Parsed(List<XlDomain> domains, int skipped) {}

  /**
   * Parses the whole of {@code xl list -l}'s output, or throws: a document that is cut short, malformed, or not an
   * array, has nothing to offer. {@code what} names the command in messages.
   */
  static Parsed parse(String json, String what) throws SourceException {
    String head = json.stripLeading();
    if (head.isEmpty()) {
      throw new SourceException(what + ": printed nothing");
    }
    if (head.charAt(0) == '(') {
      throw new SourceException(what + ": printed SXP, not JSON (is output_format=\"sxp\" set in xl.conf?)");
    }
    Counter skipped = new Counter();
    List<XlDomain> domains = new ArrayList<>();
    try (JsonReader r = new JsonReader(new StringReader(json))) {
      r.setStrictness(Strictness.STRICT);
      r.setNestingLimit(NESTING_LIMIT);
      if (r.peek() != JsonToken.BEGIN_ARRAY) {
        throw new SourceException(what + ": not a JSON array");
      }
      r.beginArray();
      while (r.hasNext()) {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
          r.skipValue();
          skipped.n++;
          continue;
        }
        XlDomain d = readDomain(r, skipped);
        if (d == null) {
          skipped.n++;
        } else {
          domains.add(d);
        }
      }
      r.endArray();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw new SourceException(what + ": more than one JSON document");
      }
    } catch (EOFException e) {
      throw new SourceException(what + ": JSON cut short", e);
    } catch (IOException | IllegalStateException e) {
      throw new SourceException(what + ": malformed JSON: " + Names.clean(e.getMessage()), e);
    }
    return new Parsed(List.copyOf(domains), skipped.n);
  }

  private static final class Counter {
    int n;
  }

  /** Set once a field of the entry being read had the wrong type. */
  private static class Flag {
    boolean bad;
  }

  /** What a domain entry said so far. */
  private static final class DomainFields extends Flag {
    Integer domid;
    String name = "";
    String uuid = "";
    String type = "";
    final List<XlNic> nics = new ArrayList<>();
  }

  /** Reads one {@code {"domid":..., "config":...}} object; null (consumed) when it is not usable. */
  private static XlDomain readDomain(JsonReader r, Counter skipped) throws IOException {
    DomainFields f = new DomainFields();
    r.beginObject();
    while (r.hasNext()) {
      switch (r.nextName()) {
        case "domid" -> f.domid = readInt(r, f);
        case "config" -> {
          if (r.peek() == JsonToken.BEGIN_OBJECT) {
            readConfig(r, f, skipped);
          } else {
            r.skipValue();
            f.bad = true;
          }
        }
        default -> r.skipValue();
      }
    }
    r.endObject();
    if (f.bad || f.domid == null) {
      return null;
    }
    return new XlDomain(f.domid, f.name, f.uuid, f.type, List.copyOf(f.nics));
  }

  private static void readConfig(JsonReader r, DomainFields f, Counter skipped) throws IOException {
    r.beginObject();
    while (r.hasNext()) {
      switch (r.nextName()) {
        case "c_info" -> {
          if (r.peek() != JsonToken.BEGIN_OBJECT) {
            r.skipValue();
            f.bad = true;
            continue;
          }
          r.beginObject();
          while (r.hasNext()) {
            switch (r.nextName()) {
              case "name" -> f.name = readString(r, f);
              case "uuid" -> f.uuid = readString(r, f);
              case "type" -> f.type = readString(r, f);
              default -> r.skipValue();
            }
          }
          r.endObject();
        }
        case "nics" -> {
          if (r.peek() != JsonToken.BEGIN_ARRAY) {
            r.skipValue();
            f.bad = true;
            continue;
          }
          r.beginArray();
          while (r.hasNext()) {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
              r.skipValue();
              skipped.n++;
              continue;
            }
            XlNic nic = readNic(r);
            if (nic == null) {
              skipped.n++;
            } else if (nic != DRIVER_DOMAIN) {
              f.nics.add(nic);
            }
          }
          r.endArray();
        }
        default -> r.skipValue();
      }
    }
    r.endObject();
  }

  /** Marks a NIC served by a driver domain: not an interface of this host. */
  private static final XlNic DRIVER_DOMAIN = new XlNic(-1, "", "", "");

  private static XlNic readNic(JsonReader r) throws IOException {
    Flag f = new Flag();
    Integer devid = null;
    Integer backendDomid = null;
    String backendName = "";
    String mac = "";
    String ifname = "";
    String nictype = "";
    r.beginObject();
    while (r.hasNext()) {
      switch (r.nextName()) {
        case "devid" -> devid = readInt(r, f);
        case "mac" -> mac = readString(r, f);
        case "ifname" -> ifname = readString(r, f);
        case "nictype" -> nictype = readString(r, f);
        case "backend_domid" -> backendDomid = readInt(r, f);
        case "backend_domname" -> backendName = readString(r, f);
        default -> r.skipValue();
      }
    }
    r.endObject();
    if (f.bad || devid == null) {
      return null;
    }
    boolean dom0 = (backendDomid == null || backendDomid == 0)
        && (backendName.isEmpty() || backendName.equals("Domain-0"));
    return dom0 ? new XlNic(devid, mac, ifname, nictype) : DRIVER_DOMAIN;
  }

  /** An integer, null for JSON null; anything else (a string, 1.5, 1e99) marks the entry bad. */
  private static Integer readInt(JsonReader r, Flag f) throws IOException {
    JsonToken t = r.peek();
    if (t == JsonToken.NULL) {
      r.nextNull();
      return null;
    }
    if (t != JsonToken.NUMBER) {
      r.skipValue();
      f.bad = true;
      return null;
    }
    String literal = r.nextString();
    try {
      return Integer.valueOf(literal);
    } catch (NumberFormatException e) {
      f.bad = true;
      return null;
    }
  }

  /** A string, "" for JSON null; anything else marks the entry bad. */
  private static String readString(JsonReader r, Flag f) throws IOException {
    JsonToken t = r.peek();
    if (t == JsonToken.NULL) {
      r.nextNull();
      return "";
    }
    if (t != JsonToken.STRING) {
      r.skipValue();
      f.bad = true;
      return "";
    }
    return r.nextString();
  }

  /** Odd input is worth one line per 30 s, not one per refresh. */
  private void warn(String message) {
    if (!warnings.warn(NAME, message)) {
      LOG.log(Level.DEBUG, message);
    }
  }
}
