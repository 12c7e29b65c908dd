package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * Hostile XML: every attack is refused with a {@link SourceException}, without touching disk or network. The time
 * limits only guard against a hang (a parser that fetched an entity would block on the FIFO or the address below);
 * they are not speed goals.
 */
class SafeXmlTest {
  /** Never answers: 198.18.0.0/15 is the benchmarking range, and nothing in the lab listens on .250. */
  private static final String UNREACHABLE = "http://198.18.0.250/";
  private static final Duration HANG_GUARD = Duration.ofSeconds(5);

  private static SourceException rejected(String xml) {
    return assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(SourceException.class, () -> SafeXml.parse(xml)));
  }

  @Test
  void parsesLibvirtDomainXml() throws Exception {
    Document d = SafeXml.parse("<?xml version='1.0' encoding='UTF-8'?>\n<domain type='kvm' id='3'>"
        + "<name>kvm01</name><devices><interface type='ethernet'><target dev='vnet9' managed='no'/>"
        + "</interface></devices></domain>");
    assertEquals("domain", d.getDocumentElement().getLocalName());
    assertEquals("vnet9", ((org.w3c.dom.Element) d.getElementsByTagName("target").item(0)).getAttribute("dev"));
  }

  @Test
  void refusesAFileEntity() {
    SourceException e = rejected("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
        + "<domain><name>&x;</name></domain>");
    assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
    assertFalse(e.getMessage().contains("root:"), e.getMessage());
  }

  @Test
  void neverOpensAFileEntity(@TempDir Path dir) throws Exception {
    // A parser that opened this FIFO would block until a writer came: none ever does.
    Path fifo = dir.resolve("fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, p.waitFor());
    rejected("<!DOCTYPE domain [<!ENTITY x SYSTEM '" + fifo.toUri() + "'>]><domain>&x;</domain>");
    rejected("<!DOCTYPE domain SYSTEM '" + fifo.toUri() + "'><domain/>");
    rejected("<!DOCTYPE domain [<!ENTITY % p SYSTEM '" + fifo.toUri() + "'> %p;]><domain/>");
  }

  @Test
  void refusesNetworkEntitiesWithoutConnecting() throws Exception {
    rejected("<!DOCTYPE domain [<!ENTITY x SYSTEM '" + UNREACHABLE + "x'>]><domain>&x;</domain>");
    rejected("<!DOCTYPE domain SYSTEM '" + UNREACHABLE + "domain.dtd'><domain/>");
    rejected("<!DOCTYPE domain [<!ENTITY % p SYSTEM '" + UNREACHABLE + "p.dtd'> %p;]><domain/>");
    // The same attacks against a socket that does listen: nothing may connect to it.
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/";
      rejected("<!DOCTYPE domain [<!ENTITY x SYSTEM '" + url + "x'>]><domain>&x;</domain>");
      rejected("<!DOCTYPE domain SYSTEM '" + url + "domain.dtd'><domain/>");
      rejected("<!DOCTYPE domain [<!ENTITY % p SYSTEM '" + url + "p.dtd'> %p;]><domain/>");
      server.setSoTimeout(300);
      assertThrows(SocketTimeoutException.class, server::accept, "the parser connected to " + url);
    }
  }

  @Test
  void refusesBillionLaughs() {
    StringBuilder dtd = new StringBuilder("<!DOCTYPE lolz [<!ENTITY lol0 'lol'>");
    for (int i = 1; i < 10; i++) {
      dtd.append("<!ENTITY lol").append(i).append(" '");
      for (int j = 0; j < 10; j++) {
        dtd.append("&lol").append(i - 1).append(';');
      }
      dtd.append("'>");
    }
    dtd.append("]><domain>&lol9;</domain>");
    rejected(dtd.toString());
  }

  @Test
  void leavesXIncludeUnprocessed() throws Exception {
    Document d = SafeXml.parse("<domain xmlns:xi='http://www.w3.org/2001/XInclude'>"
        + "<xi:include href='file:///etc/passwd' parse='text'/></domain>");
    assertEquals("", d.getDocumentElement().getTextContent());
    assertEquals(1, d.getElementsByTagNameNS("http://www.w3.org/2001/XInclude", "include").getLength());
  }

  @Test
  void refusesTruncatedAndMalformedXml() {
    rejected("<domain type='kvm'><name>kvm01</name><devices><interface type='ethernet'><target dev='vn");
    rejected("<domain type='kvm'><name>kvm01</na");
    rejected("<domain><a></b></domain>");
    rejected("<domain/><domain/>");
    rejected("not XML at all");
    rejected("");
    rejected("\u0000\u0001\u001b[31m");
    rejected("<domain>\u0001</domain>");
    assertThrows(SourceException.class, () -> SafeXml.parse(null));
  }

  @Test
  void refusesHugeInputBeforeParsing() {
    String tenMiB = "<domain>" + "x".repeat(10 << 20) + "</domain>";
    SourceException e = rejected(tenMiB);
    assertTrue(e.getMessage().contains("cap"), e.getMessage());
  }

  @Test
  void refusesDeepNesting() {
    int depth = 100_000; // under the size cap, far over the depth cap
    String deep = "<a>".repeat(depth) + "</a>".repeat(depth);
    rejected(deep);
  }

  @Test
  void printsNothingToStderr() throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThrows(SourceException.class, () -> SafeXml.parse("<domain><a></b></domain>"));
      assertThrows(SourceException.class, () -> SafeXml.parse("<!DOCTYPE d [<!ENTITY x 'y'>]><d>&x;</d>"));
    } finally {
      System.setErr(saved);
    }
    assertEquals("", captured.toString(StandardCharsets.UTF_8));
  }

  @Test
  void escapesControlCharactersInErrors() {
    SourceException e = rejected("<domain>\u0085<\u009b31m");
    assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f)), e.getMessage());
  }
}
