package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.vifscope.control.server.AgentConfig;
import io.vifscope.probe.testing.Sh;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics endpoint over a real network path, scraped from another namespace and parsed by the Prometheus
 * client library's own parsers, over fixture data: the label values survive escaping, the talker series stay
 * under the cap during a spoofed flood, bad requests get 4xx and the server keeps serving, basic auth and TLS
 * work. (MetricsLabIT checks the values against the lab's traffic and the gRPC answers.)
 */
class MetricsEndpointIT {
  @TempDir
  Path tmp;

  static AgentConfig.MetricsSettings settings(Optional<Path> cert, Optional<Path> key, Optional<Path> users) {
    return new AgentConfig.MetricsSettings(new AgentConfig.Listen(ScrapeNet.AGENT_ADDRESS, 0), cert, key, users, 5,
        1000);
  }

  /** The samples of one family, as the parser returned them. */
  static JsonArray samples(JsonObject scrape, String family) {
    for (JsonElement f : scrape.getAsJsonArray("families")) {
      if (f.getAsJsonObject().get("name").getAsString().equals(family)) {
        return f.getAsJsonObject().getAsJsonArray("samples");
      }
    }
    throw new AssertionError("no family " + family);
  }

  static double sample(JsonObject scrape, String family, String... labels) {
    for (JsonElement s : samples(scrape, family)) {
      JsonObject l = s.getAsJsonObject().getAsJsonObject("labels");
      boolean match = l.size() == labels.length / 2;
      for (int i = 0; match && i < labels.length; i += 2) {
        match = l.has(labels[i]) && l.get(labels[i]).getAsString().equals(labels[i + 1]);
      }
      if (match) {
        return s.getAsJsonObject().get("value").getAsDouble();
      }
    }
    throw new AssertionError("no sample " + family + " " + List.of(labels));
  }

  @Test
  void parsedByPrometheusOwnParserUnderTheCapAndRobustToBadRequests() throws Exception {
    FixtureSource src = new FixtureSource(30);
    for (int i = 0; i < 65_536; i++) { // a spoofed flood into guest 0
      src.flowTo(0, FixtureSource.ipv4(198, 19, i >> 8, i & 0xff), 1024 + i % 60000, 514, 1 + (i == 7 ? 100_000 : 0));
    }
    AgentMetrics metrics = new AgentMetrics(src, "0.1.0-test", 5, 1000);
    try (ScrapeNet net = ScrapeNet.up(tmp);
        MetricsServer server = MetricsServer.start(settings(Optional.empty(), Optional.empty(), Optional.empty()),
            metrics::collect)) {
      String url = "http://" + ScrapeNet.AGENT_ADDRESS + ":" + server.port() + "/metrics";
      JsonObject s = net.scrape(url);
      assertEquals(200, s.get("status").getAsInt());
      assertTrue(s.get("content_type").getAsString().startsWith("text/plain; version=0.0.4"), s.toString());
      assertEquals(1_000_000, sample(s, "vifscope_interface_packets", "interface", "eth0", "direction", "rx"));
      assertEquals(900_000, sample(s, "vifscope_domain_packets", "domain", FixtureSource.NASTY, "domain_id", "74",
          "direction", "to_guest"), "the parser reads back exactly the name the resolver gave");
      assertEquals("198.19.0.7", samples(s, "vifscope_talker_packets_per_second").get(0).getAsJsonObject()
          .getAsJsonObject("labels").get("source").getAsString(), "the heavy spoofed source ranks first");
      int talkers = samples(s, "vifscope_talker_packets_per_second").size()
          + samples(s, "vifscope_talker_bytes_per_second").size();
      assertTrue(talkers <= 1000, talkers + " talker series");
      int total = 0;
      for (JsonElement f : s.getAsJsonArray("families")) {
        total += f.getAsJsonObject().getAsJsonArray("samples").size();
      }
      assertTrue(total < 1000 + 700, total + " series in all");

      JsonObject om = net.scrape(url, "--accept", "application/openmetrics-text; version=1.0.0; charset=utf-8");
      assertTrue(om.get("content_type").getAsString().startsWith("application/openmetrics-text"), om.toString());
      assertEquals(1_000_000, sample(om, "vifscope_interface_packets", "interface", "eth0", "direction", "rx"));

      int port = server.port();
      String base = "http://" + ScrapeNet.AGENT_ADDRESS + ":" + port;
      assertEquals(404, net.scrape(base + "/nope").get("status").getAsInt());
      assertEquals(200, net.scrape(base + "/").get("status").getAsInt());
      assertEquals("HTTP/1.1 405 Method Not Allowed",
          net.raw(port, bytes("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")));
      assertEquals("HTTP/1.1 400 Bad Request", net.raw(port, bytes("GARBAGE\r\n\r\n")));
      assertEquals("HTTP/1.1 431 Request Header Fields Too Large",
          net.raw(port, bytes("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")));
      assertEquals("HTTP/1.1 413 Request Entity Too Large",
          net.raw(port, bytes("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")));
      assertEquals("HTTP/1.1 414 Request-URI Too Long",
          net.raw(port, bytes("GET /" + "m".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")));
      String tlsOnPlain = net.raw(port, new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 13, 10, 13, 10});
      assertTrue(tlsOnPlain.equals("HTTP/1.1 400 Bad Request") || tlsOnPlain.equals("closed"), tlsOnPlain);
      assertEquals(200, net.scrape(url).get("status").getAsInt(), "still serving after all that");
    }
  }

  @Test
  void basicAuthAndTls() throws Exception {
    Path users = tmp.resolve("users");
    Files.write(users, List.of("prometheus:" + BasicAuthTest.hash("scrape-me")));
    Path cert = tmp.resolve("metrics.crt");
    Path key = tmp.resolve("metrics.key");
    Sh.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=vifscope-test", "-keyout", key.toString(), "-out", cert.toString());
    AgentMetrics metrics = new AgentMetrics(new FixtureSource(1), "0.1.0-test", 5, 1000);
    try (ScrapeNet net = ScrapeNet.up(tmp);
        MetricsServer server = MetricsServer.start(settings(Optional.of(cert), Optional.of(key), Optional.of(users)),
            metrics::collect)) {
      String url = "https://" + ScrapeNet.AGENT_ADDRESS + ":" + server.port() + "/metrics";
      JsonObject none = net.scrape(url, "--cafile", cert.toString());
      assertEquals(401, none.get("status").getAsInt());
      assertTrue(none.get("www_authenticate").getAsString().startsWith("Basic realm="), none.toString());
      assertEquals(401, net.scrape(url, "--cafile", cert.toString(), "--user", "prometheus", "--password", "nope")
          .get("status").getAsInt());
      JsonObject ok = net.scrape(url, "--cafile", cert.toString(), "--user", "prometheus", "--password", "scrape-me");
      assertEquals(200, ok.get("status").getAsInt());
      assertEquals(1_000_000, sample(ok, "vifscope_interface_packets", "interface", "eth0", "direction", "rx"));
      assertEquals("closed", net.raw(server.port(), bytes("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")),
          "plain HTTP on the TLS port is refused, not served");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
