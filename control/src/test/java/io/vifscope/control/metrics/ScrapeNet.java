package io.vifscope.control.metrics;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.vifscope.probe.testing.Sh;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A veth pair the test owns, for scraping the metrics endpoint by the network rule: the agent side
 * ({@link #HOST_IF}, 198.18.250.1/30) stays in the root namespace where the agent runs, the scraper side
 * (198.18.250.2/30) sits in namespace {@link #NS}, and the scraper runs there. Nothing else is a target.
 * Leftovers of an earlier, killed run are removed first; {@link #close()} removes everything.
 */
final class ScrapeNet implements AutoCloseable {
  static final String NS = "vifscope-scrape";
  static final String HOST_IF = "vsscrape0";
  static final String PEER_IF = "vsscrape1";
  static final String AGENT_ADDRESS = "198.18.250.1";
  private final Path client;

  private ScrapeNet(Path client) {
    this.client = client;
  }

  static ScrapeNet up(Path tmp) throws IOException {
    removeLeftovers();
    Path client = tmp.resolve("metrics_client.py");
    try (InputStream in = ScrapeNet.class.getResourceAsStream("/metrics_client.py")) {
      Files.copy(in, client);
    }
    ScrapeNet net = new ScrapeNet(client);
    try {
      Sh.run("ip", "netns", "add", NS);
      Sh.run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", PEER_IF, "netns", NS);
      Sh.run("ip", "addr", "add", AGENT_ADDRESS + "/30", "dev", HOST_IF);
      Sh.run("ip", "link", "set", HOST_IF, "up");
      Sh.run("ip", "netns", "exec", NS, "ip", "addr", "add", "198.18.250.2/30", "dev", PEER_IF);
      Sh.run("ip", "netns", "exec", NS, "ip", "link", "set", PEER_IF, "up");
      Sh.run("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
      return net;
    } catch (RuntimeException | Error e) {
      net.close();
      throw e;
    }
  }

  private static void removeLeftovers() {
    Sh.tryRun("ip", "link", "del", HOST_IF);
    Sh.tryRun("ip", "netns", "del", NS);
  }

  /** GETs the URL from inside the namespace; the client's JSON (status, content type, parsed families). */
  JsonObject scrape(String url, String... options) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", NS, "/usr/bin/python3", client.toString(),
        "scrape", url));
    argv.addAll(List.of(options));
    Sh.Result r = Sh.tryRun(Duration.ofSeconds(60), argv.toArray(String[]::new));
    if (r.exitCode() != 0) {
      throw new AssertionError(r.describe());
    }
    return JsonParser.parseString(r.stdout().strip()).getAsJsonObject();
  }

  /** Sends raw bytes to the agent's address and port; the response's status line, or "closed". */
  String raw(int port, byte[] request) {
    StringBuilder hex = new StringBuilder();
    for (byte b : request) {
      hex.append(String.format("%02x", b));
    }
    return Sh.run("ip", "netns", "exec", NS, "/usr/bin/python3", client.toString(), "raw", AGENT_ADDRESS,
        Integer.toString(port), hex.toString()).strip();
  }

  @Override
  public void close() {
    removeLeftovers();
  }
}
