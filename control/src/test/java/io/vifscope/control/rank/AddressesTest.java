package io.vifscope.control.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** RFC 5952 text, checked against the examples of the RFC and what `ip -6 addr` prints. */
class AddressesTest {
  private static String text(String literal) throws Exception {
    return Addresses.text(InetAddress.getByName(literal));
  }

  @Test
  void ipv6IsCanonical() throws Exception {
    assertEquals("2001:db8::12", text("2001:db8:0:0:0:0:0:12"));
    assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));   // the first of two equal runs
    assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1")); // one zero group stays
    assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"));          // the longest run wins
    assertEquals("::1", text("::1"));
    assertEquals("::", text("::"));
    assertEquals("fe80::", text("fe80:0:0:0:0:0:0:0"));
    assertEquals("2001:db8:5:0:9e37:79b9:7f4a:7c16", text("2001:DB8:5:0:9E37:79B9:7F4A:7C16"));
  }

  @Test
  void ipv4IsDotted() throws Exception {
    assertEquals("198.18.0.201", text("198.18.0.201"));
  }
}
