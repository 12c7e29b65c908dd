package io.vifscope.control.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * HTTP basic auth against bcrypt password hashes, as the Prometheus exporter toolkit does it: the users file holds
 * {@code user:hash} lines as {@code htpasswd -nBC 10 USER} prints them ({@code $2y$}, {@code $2a$} or
 * {@code $2b$}); blank lines and lines starting with {@code #} are ignored.
 *
 * <p>bcrypt is slow on purpose (tens of milliseconds at cost 10), and Prometheus sends the same credentials every
 * scrape, so a successful check is remembered as a SHA-256 of the password for that user; only a changed or
 * wrong password pays for bcrypt again. An unknown user is checked against a dummy hash, so the time taken does
 * not tell which user names exist.
 */
public final class BasicAuth {
  private static final Pattern USER = Pattern.compile("[^:\\s]{1,64}");
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, String> hashes;
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();
  /** The hash of a random password at the cost of the first user's hash: what an unknown user is checked against. */
  private final String dummy;

  private BasicAuth(Map<String, String> hashes) {
    this.hashes = Map.copyOf(hashes);
    String any = hashes.values().iterator().next();
    int cost = Integer.parseInt(any.substring(4, 6));
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    this.dummy = OpenBSDBCrypt.generate("2y", Long.toHexString(RANDOM.nextLong()).toCharArray(), salt, cost);
  }

  /** Reads a users file; the message of a bad line names the file and the line (never the hash). */
  public static BasicAuth load(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, String> hashes = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = file + ":" + (i + 1);
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw new IOException(at + ": expected 'user:bcrypt-hash' (as htpasswd -nBC 10 USER prints it)");
      }
      String user = line.substring(0, colon);
      String hash = line.substring(colon + 1);
      if (!USER.matcher(user).matches()) {
        throw new IOException(at + ": bad user name (1 to 64 characters, no ':' or spaces)");
      }
      if (!BCRYPT.matcher(hash).matches()) {
        throw new IOException(at + ": the password of '" + user + "' is not a bcrypt hash ($2y$...): make it "
            + "with htpasswd -nBC 10 " + user);
      }
      int cost = Integer.parseInt(hash.substring(4, 6));
      if (cost < 4 || cost > 31) {
        throw new IOException(at + ": the bcrypt cost of '" + user + "' is " + cost + "; bcrypt takes 4 to 31");
      }
      if (hashes.put(user, hash) != null) {
        throw new IOException(at + ": user '" + user + "' is listed twice");
      }
    }
    if (hashes.isEmpty()) {
      throw new IOException(file + ": no users: the endpoint would refuse everyone");
    }
    return new BasicAuth(hashes);
  }

  /** Users in the file. */
  public int size() {
    return hashes.size();
  }

  /** Whether an {@code Authorization} header value carries a known user and that user's password. */
  public boolean allows(String authorization) {
    Optional<String[]> credentials = credentials(authorization);
    if (credentials.isEmpty()) {
      return false;
    }
    String user = credentials.get()[0];
    String password = credentials.get()[1];
    String hash = hashes.get(user);
    byte[] digest = sha256(user + '\0' + password);
    if (hash != null) {
      byte[] known = verified.get(user);
      if (known != null && MessageDigest.isEqual(known, digest)) {
        return true;
      }
    }
    boolean ok = checkBcrypt(hash == null ? dummy : hash, password) && hash != null;
    if (ok) {
      verified.put(user, digest);
    }
    return ok;
  }

  private static boolean checkBcrypt(String hash, String password) {
    try {
      return OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
    } catch (IllegalArgumentException e) {
      return false; // a password bcrypt cannot take (over 72 bytes, NUL): not this user's
    }
  }

  /** {@code Basic base64(user:password)} split in two, or empty when it is anything else. */
  static Optional<String[]> credentials(String authorization) {
    if (authorization == null || authorization.length() < 6
        || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    return Optional.of(new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)});
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
