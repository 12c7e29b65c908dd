package io.vifscope.control.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BasicAuthTest {
  @TempDir
  Path tmp;

  static String hash(String password) {
    return OpenBSDBCrypt.generate("2y", password.toCharArray(), new byte[16], 4);
  }

  static String header(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private Path file(String... lines) throws IOException {
    Path f = tmp.resolve("users");
    Files.write(f, List.of(lines));
    return f;
  }

  @Test
  void rightPasswordOnlyForKnownUsers() throws IOException {
    BasicAuth a = BasicAuth.load(file("# scrapers", "", "prometheus:" + hash("s3cret:with colon"), "other:" + hash("x")));
    assertEquals(2, a.size());
    assertTrue(a.allows(header("prometheus", "s3cret:with colon")));
    assertTrue(a.allows(header("prometheus", "s3cret:with colon")), "again, from the cache");
    assertFalse(a.allows(header("prometheus", "s3cret")));
    assertFalse(a.allows(header("other", "s3cret:with colon")), "another user's password");
    assertFalse(a.allows(header("nobody", "x")));
    assertFalse(a.allows(null));
    assertFalse(a.allows("Bearer abc"));
    assertFalse(a.allows("Basic !!!not-base64"));
    assertFalse(a.allows("Basic " + Base64.getEncoder().encodeToString("no-colon".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void badFilesSayWhereAndNeverEchoTheHash() throws IOException {
    IOException e = assertThrows(IOException.class, () -> BasicAuth.load(file("alice")));
    assertTrue(e.getMessage().endsWith("users:1: expected 'user:bcrypt-hash' (as htpasswd -nBC 10 USER prints it)"),
        e.getMessage());
    e = assertThrows(IOException.class, () -> BasicAuth.load(file("alice:{SHA}abcdef")));
    assertTrue(e.getMessage().contains("users:1: the password of 'alice' is not a bcrypt hash"), e.getMessage());
    assertFalse(e.getMessage().contains("abcdef"));
    String h = hash("x");
    e = assertThrows(IOException.class, () -> BasicAuth.load(file("a:" + h, "a:" + h)));
    assertTrue(e.getMessage().contains("users:2: user 'a' is listed twice"), e.getMessage());
    e = assertThrows(IOException.class, () -> BasicAuth.load(file("# nobody")));
    assertTrue(e.getMessage().contains("no users"), e.getMessage());
  }
}
