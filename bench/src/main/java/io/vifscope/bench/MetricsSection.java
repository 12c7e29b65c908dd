package io.vifscope.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.vifscope.probe.testing.Lab;
import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 8. The Prometheus endpoint's cost: the agent of section 4 with {@code --metrics-listen} at its defaults, under
 * the same 65k flows, scraped every second (A) and not scraped (B) in alternation; then the same agent without
 * the endpoint for the memory comparison.
 *
 * <p>By the network rule the scraper never talks to a loopback or a host address: the section makes its own veth
 * pair, the agent binds {@link #AGENT_ADDRESS} on the root namespace's end and the scraper runs in namespace
 * {@link #NS} on the other end.
 */
final class MetricsSection implements Section {
  static final String NS = "vifscope-scrape";
  static final String HOST_IF = "vsscrape0";
  static final String PEER_IF = "vsscrape1";
  static final String AGENT_ADDRESS = "198.18.250.1";
  static final String SCRAPER_ADDRESS = "198.18.250.2";
  /** Phase A's scrape interval: 15 times Prometheus' default, so that the per-scrape cost is measurable. */
  static final double SCRAPE_EVERY_SECONDS = 1;
  /** Prometheus' default scrape_interval, to which the goal scales the per-scrape cost. */
  static final double PROMETHEUS_INTERVAL_SECONDS = 15;
  private static final Pattern SERVING = Pattern.compile("serving metrics on http://[^\\s/]+:(\\d+)/metrics");

  /** One GET as the scraper timed it. */
  record Scrape(int status, double ms, long bytes, int series, int talkerSeries) {}

  @Override
  public String id() {
    return "metrics";
  }

  @Override
  public SectionResult run(BenchContext ctx) throws Exception {
    int phaseSeconds = ctx.quick() ? 8 : 15;
    int rounds = ctx.pairs();
    SectionResult r = new SectionResult(id(), "The metrics endpoint's cost: CPU, memory, scrape latency and size",
        String.format(Locale.ROOT, """
        The agent of section 4 (as shipped: the launcher's JVM options, 1 s polling, `--history 2m`, \
        `--flow-entries %,d`) with `--metrics-listen %s:0` at the endpoint's defaults (plain HTTP, no auth, top 5 \
        talkers per domain, at most 1,000 talker series), under section 4's background: %d floods of %,d spoofed \
        IPv4 sources in a loop, about 65k flows alive. The scraper runs in its own network namespace (`%s`, %s) \
        at the other end of a veth pair whose root-namespace end (`%s`) carries the agent's address; it is a \
        small Python loop that GETs `/metrics` on a new connection each time and reads the whole body (no gzip: \
        the endpoint does not offer it), timed at the client from connecting to the last byte. After 5 warm-up \
        scrapes, %d rounds of two %d s phases, alternating and rotating which runs first: A = scraped every \
        %.0f s (15 times Prometheus' default interval, so that the cost is measurable), B = not scraped. CPU: the \
        agent process's user + system time (`/proc/PID/stat`) over each phase, as a share of one CPU. The cost \
        per scrape is, per round, (A − B) divided by A's measured scrapes per second (about 1); the CPU at \
        Prometheus' default 15 s interval is then B + (A − B) / 15, i.e. the median B plus the median cost per \
        scrape divided by 15 s. RSS: `VmRSS` at the end of the phases. For the memory comparison the same agent \
        without `--metrics-listen` then runs in the same lab under the same background for the same %d phases \
        (no scraping, no queries) and its `VmRSS` is read at their end; its CPU over those phases is shown too, \
        though it ran after, not alternated with, the endpoint's agent. (Section 4's RSS is read after 2,000 \
        gRPC queries, this section's without any.)""", ServiceSection.FLOW_ENTRIES, AGENT_ADDRESS,
        ServiceSection.Filler.PORTS, ServiceSection.Filler.SOURCES, NS, SCRAPER_ADDRESS + "/30", HOST_IF,
        rounds, phaseSeconds, SCRAPE_EVERY_SECONDS, 2 * rounds));

    Path scraper = ctx.scratch().resolve("metrics_scraper.py");
    try (InputStream in = MetricsSection.class.getResourceAsStream("/metrics_scraper.py")) {
      Files.copy(in, scraper, StandardCopyOption.REPLACE_EXISTING);
    }
    String[] agentFlags = {"--history", "2m", "--flow-entries", Integer.toString(ServiceSection.FLOW_ENTRIES)};

    Map<String, Map<String, List<Double>>> alt;
    List<Scrape> scrapes = new ArrayList<>();
    List<Double> offShares = new ArrayList<>();
    long flowsOn;
    long flowsOff;
    long rssOn;
    long rssOff;
    try (ScrapeNet net = ScrapeNet.up(); Lab lab = Lab.up()) {
      ServiceSection.Filler filler = new ServiceSection.Filler(lab);
      Thread fillThread = new Thread(filler, "bench-fill");
      fillThread.start();
      try {
        List<String> on = new ArrayList<>(List.of(agentFlags));
        on.addAll(List.of("--metrics-listen", AGENT_ADDRESS + ":0"));
        try (AgentProcess agent = AgentProcess.start(ctx, "metrics-on", on.toArray(String[]::new))) {
          String url = "http://" + AGENT_ADDRESS + ":" + servingPort(agent.log()) + "/metrics";
          flowsOn = waitForFlows(ctx, agent);
          List<Scrape> warm = net.scrape(scraper, url, 5, 1);
          ctx.say("warm-up: %d scrapes, last %.1f ms, %,d bytes, %d series", warm.size(),
              warm.get(warm.size() - 1).ms(), warm.get(warm.size() - 1).bytes(), warm.get(warm.size() - 1).series());
          Alternation.Variant scraped = new Alternation.Variant() {
            @Override
            public String name() {
              return "A scraped every 1 s";
            }

            @Override
            public Map<String, Double> run() throws Exception {
              double cpu0 = agent.cpuSeconds();
              long w0 = System.nanoTime();
              List<Scrape> s = net.scrape(scraper, url, phaseSeconds, SCRAPE_EVERY_SECONDS);
              double wall = (System.nanoTime() - w0) / 1e9;
              double cpu = agent.cpuSeconds() - cpu0;
              scrapes.addAll(s);
              return Map.of("cpu_share", cpu / wall, "scrapes_per_second", s.size() / wall);
            }
          };
          Alternation.Variant quiet = new Alternation.Variant() {
            @Override
            public String name() {
              return "B not scraped";
            }

            @Override
            public Map<String, Double> run() throws Exception {
              return Map.of("cpu_share", cpuShareOver(agent, phaseSeconds));
            }
          };
          alt = Alternation.run(List.of(scraped, quiet), rounds, ctx);
          rssOn = agent.rssBytes();
        }
        try (AgentProcess agent = AgentProcess.start(ctx, "metrics-off", agentFlags)) {
          flowsOff = waitForFlows(ctx, agent);
          for (int i = 0; i < 2 * rounds; i++) {
            offShares.add(cpuShareOver(agent, phaseSeconds));
            ctx.say("metrics off, phase %d/%d: cpu_share %.4f", i + 1, 2 * rounds, offShares.get(i));
          }
          rssOff = agent.rssBytes();
        }
      } finally {
        filler.stop();
        fillThread.join(60_000);
      }
    }

    List<Double> a = alt.get("A scraped every 1 s").get("cpu_share");
    List<Double> rate = alt.get("A scraped every 1 s").get("scrapes_per_second");
    List<Double> b = alt.get("B not scraped").get("cpu_share");
    List<Double> diff = new ArrayList<>();
    List<Double> perScrape = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      diff.add(a.get(i) - b.get(i));
      perScrape.add(perScrapeCpuSeconds(a.get(i), b.get(i), rate.get(i)));
    }
    Stats sa = Stats.of(a);
    Stats sb = Stats.of(b);
    Stats sd = Stats.of(diff);
    Stats sp = Stats.of(perScrape);
    Stats soff = Stats.of(offShares);
    double added15 = sp.median() / PROMETHEUS_INTERVAL_SECONDS;
    double at15 = shareAtInterval(sb.median(), sp.median(), PROMETHEUS_INTERVAL_SECONDS);
    List<Double> ms = scrapes.stream().map(Scrape::ms).toList();
    Scrape last = scrapes.get(scrapes.size() - 1);
    Stats bytes = Stats.of(scrapes.stream().map(s -> (double) s.bytes()).toList());
    Stats series = Stats.of(scrapes.stream().map(s -> (double) s.series()).toList());
    Stats talkers = Stats.of(scrapes.stream().map(s -> (double) s.talkerSeries()).toList());

    r.data("flows_present_metrics_on", flowsOn);
    r.data("flows_present_metrics_off", flowsOff);
    r.data("phase_seconds", phaseSeconds);
    r.data("agent_cpu_share_scraped_every_1s", a);
    r.data("scrapes_per_second", rate);
    r.data("agent_cpu_share_not_scraped", b);
    r.data("agent_cpu_share_metrics_off", offShares);
    r.data("cpu_seconds_per_scrape", perScrape);
    r.data("agent_cpu_share_at_15s_scrapes", at15);
    r.data("scrape_ms", ms);
    r.data("scrape_bytes", scrapes.stream().map(Scrape::bytes).toList());
    r.data("scrape_series", scrapes.stream().map(Scrape::series).toList());
    r.data("scrape_talker_series", scrapes.stream().map(Scrape::talkerSeries).toList());
    r.data("agent_rss_bytes_metrics_on", rssOn);
    r.data("agent_rss_bytes_metrics_off", rssOff);

    Table cpu = r.table(new Table(String.format(Locale.ROOT, "Agent CPU with %,d flows present, %d rounds of %d s "
        + "phases", flowsOn, rounds, phaseSeconds), "phase", "agent CPU, % of one CPU (min / **median** / max)"));
    cpu.row("A: metrics on, scraped every 1 s", Report.mmm(percent(sa)));
    cpu.row("B: metrics on, not scraped", Report.mmm(percent(sb)));
    cpu.row("A − B, per round", Report.mmm(percent(sd)));
    cpu.row(String.format(Locale.ROOT, "metrics off (%,d flows; after, not alternated)", flowsOff),
        Report.mmm(percent(soff)));
    Table cost = r.table(new Table("The endpoint's cost", "measure", "value"));
    cost.row("CPU per scrape (A − B over A's scrape rate, per round)", String.format(Locale.ROOT,
        "%s CPU ms (min / median / max)", Report.mmm(new Stats(1e3 * sp.min(), 1e3 * sp.median(), 1e3 * sp.max(),
            sp.n()))));
    cost.row("Added CPU at 15 s scrapes (median per scrape / 15 s)", String.format(Locale.ROOT, "%.3f%% of one CPU",
        100 * added15));
    cost.row("Agent CPU at 15 s scrapes (B + (A − B) / 15)", String.format(Locale.ROOT, "%.2f%% of one CPU",
        100 * at15));
    cost.row(String.format(Locale.ROOT, "Scrape latency at the client (%d scrapes): p50 / p99 / max", ms.size()),
        String.format(Locale.ROOT, "%.1f / %.1f / %.1f ms", Stats.percentile(ms, 50), Stats.percentile(ms, 99),
            Stats.of(ms).max()));
    cost.row("Scrape size: bytes (min / median / max)", Report.mmm(bytes) + " (" + kib(bytes.median()) + ")");
    cost.row("Samples per scrape, of which talker series (median)", String.format(Locale.ROOT, "%,.0f, %,.0f",
        series.median(), talkers.median()));
    cost.row("RSS, metrics on, at the end of the phases", mib(rssOn));
    cost.row("RSS, metrics off, at the end of the same phases", mib(rssOff));
    cost.row("RSS added by the endpoint (one sample each)", String.format(Locale.ROOT, "%+.0f MiB",
        (rssOn - rssOff) / 1048576.0));
    ctx.say("last scrape: %d, %.1f ms, %,d bytes, %d series (%d talker)", last.status(), last.ms(), last.bytes(),
        last.series(), last.talkerSeries());

    r.goal(Goal.of("Agent CPU with metrics on (1 s polling, 65k flows, scraped every 15 s)", "≤ 2%",
        String.format(Locale.ROOT, "%.2f%% (not scraped %.2f%% + %.3f%%)", 100 * at15, 100 * sb.median(),
            100 * added15), at15 <= 0.02,
        String.format(Locale.ROOT, "the agent already exceeds it without scrapes (%.2f%% in the B phases; section 4's"
            + " goal); the endpoint adds %.3f%% of one CPU at 15 s scrapes", 100 * sb.median(), 100 * added15)));
    r.goal(Goal.of("Metrics endpoint's added CPU at 15 s scrapes", "≤ 0.2% of one CPU", String.format(Locale.ROOT,
        "%.3f%% (%.0f CPU ms per scrape)", 100 * added15, 1e3 * sp.median()), added15 <= 0.002,
        String.format(Locale.ROOT, "by the code, each scrape sums the 10 s window of all %,d flows into talkers "
            + "per domain; the exposition itself is only %,.0f samples, %s", flowsOn, series.median(),
            kib(bytes.median()))));
    r.goal(Goal.of("Agent RSS with metrics on", "≤ 192 MiB", String.format(Locale.ROOT, "%s (off: %s)", mib(rssOn),
        mib(rssOff)), rssOn <= 192L << 20,
        rssOff > 192L << 20
            ? String.format(Locale.ROOT, "the agent without the endpoint already exceeds it (%s in the same run, "
                + "section 4's goal); the endpoint adds %+.0f MiB", mib(rssOff), (rssOn - rssOff) / 1048576.0)
            : String.format(Locale.ROOT, "without the endpoint the agent is within it (%s in the same run); the "
                + "endpoint adds %+.0f MiB in this run (one sample each way): its classes and compiled code, the "
                + "talker aggregator's arrays (kept between scrapes, about 70 bytes per talker), the HTTP server's "
                + "threads, and whatever larger the old generation was when sampled (the serial collector shrinks it "
                + "only after a full collection)", mib(rssOff), (rssOn - rssOff) / 1048576.0)));
    return r;
  }

  /** CPU seconds one scrape costs: the share difference between the phases over the scrapes per second. */
  static double perScrapeCpuSeconds(double shareScraped, double shareNotScraped, double scrapesPerSecond) {
    if (!(scrapesPerSecond > 0)) {
      throw new IllegalArgumentException("no scrapes: " + scrapesPerSecond);
    }
    return (shareScraped - shareNotScraped) / scrapesPerSecond;
  }

  /** The CPU share when scraped once every {@code intervalSeconds}: the unscraped share plus one scrape's cost spread over the interval. */
  static double shareAtInterval(double shareNotScraped, double cpuSecondsPerScrape, double intervalSeconds) {
    return shareNotScraped + cpuSecondsPerScrape / intervalSeconds;
  }

  /** The port of the agent's "serving metrics on http://HOST:PORT/metrics" line. */
  static int servingPort(String log) {
    Matcher m = SERVING.matcher(log);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The scraper's output, one JSON object a line. */
  static List<Scrape> parseScrapes(String out) {
    List<Scrape> s = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      s.add(new Scrape(o.get("status").getAsInt(), o.get("ms").getAsDouble(), o.get("bytes").getAsLong(),
          o.get("series").getAsInt(), o.get("talker_series").getAsInt()));
    }
    return s;
  }

  private static int servingPort(Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      int port = servingPort(Files.readString(log, StandardCharsets.UTF_8));
      if (port > 0) {
        return port;
      }
      Thread.sleep(200);
    }
    throw new IOException("the agent does not say it serves metrics: " + Files.readString(log));
  }

  private static long waitForFlows(BenchContext ctx, AgentProcess agent) throws Exception {
    long flows = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline && flows < 60_000) {
      Thread.sleep(2_000);
      flows = agent.stub().getAgentStatus(io.vifscope.proto.v1.GetAgentStatusRequest.getDefaultInstance())
          .getFlowEntries();
      ctx.say("flows present: %d", flows);
    }
    return flows;
  }

  private static double cpuShareOver(AgentProcess agent, int seconds) throws Exception {
    double cpu0 = agent.cpuSeconds();
    long w0 = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    return (agent.cpuSeconds() - cpu0) / ((System.nanoTime() - w0) / 1e9);
  }

  private static Stats percent(Stats s) {
    return new Stats(100 * s.min(), 100 * s.median(), 100 * s.max(), s.n());
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  private static String kib(double bytes) {
    return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024);
  }

  /**
   * The section's veth pair and namespace: {@link #HOST_IF} with {@link #AGENT_ADDRESS}/30 in the root namespace,
   * {@link #PEER_IF} with {@link #SCRAPER_ADDRESS}/30 in {@link #NS}. Leftovers of a killed run are removed first;
   * close removes both.
   */
  static final class ScrapeNet implements AutoCloseable {
    private ScrapeNet() {}

    static ScrapeNet up() {
      removeLeftovers();
      ScrapeNet net = new ScrapeNet();
      try {
        Sh.run("ip", "netns", "add", NS);
        Sh.run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", PEER_IF, "netns", NS);
        Sh.run("ip", "addr", "add", AGENT_ADDRESS + "/30", "dev", HOST_IF);
        Sh.run("ip", "link", "set", HOST_IF, "up");
        Sh.run("ip", "netns", "exec", NS, "ip", "addr", "add", SCRAPER_ADDRESS + "/30", "dev", PEER_IF);
        Sh.run("ip", "netns", "exec", NS, "ip", "link", "set", PEER_IF, "up");
        Sh.run("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
        return net;
      } catch (RuntimeException | Error e) {
        net.close();
        throw e;
      }
    }

    /** Runs the scraper in the namespace for {@code seconds}; every GET must answer 200. */
    List<Scrape> scrape(Path scraper, String url, double seconds, double interval) throws IOException {
      Sh.Result res = Sh.tryRun(Duration.ofSeconds((long) seconds + 60), "ip", "netns", "exec", NS,
          "/usr/bin/python3", scraper.toString(), url, Double.toString(seconds), Double.toString(interval));
      if (res.exitCode() != 0) {
        throw new IOException("the scraper failed: " + res.describe());
      }
      List<Scrape> s = parseScrapes(res.stdout());
      if (s.isEmpty()) {
        throw new IOException("the scraper made no request: " + res.describe());
      }
      for (Scrape one : s) {
        if (one.status() != 200) {
          throw new IOException("a scrape answered " + one.status());
        }
      }
      return s;
    }

    private static void removeLeftovers() {
      Sh.tryRun("ip", "link", "del", HOST_IF);
      Sh.tryRun("ip", "netns", "del", NS);
    }

    @Override
    public void close() {
      removeLeftovers();
    }
  }
}
