package io.vifscope.control.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One line per key per interval, on a clock the test moves. */
class RateLimitedLogTest {
  /** Records what would be logged. */
  private static final class Recorder implements System.Logger {
    final List<String> lines = new ArrayList<>();

    @Override
    public String getName() {
      return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      lines.add(level + " " + msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      lines.add(level + " " + format);
    }
  }

  @Test
  void oneWarningPerKeyPerInterval() {
    Recorder rec = new Recorder();
    AtomicLong now = new AtomicLong();
    RateLimitedLog log = new RateLimitedLog(rec, Duration.ofSeconds(30), now::get);

    assertTrue(log.warn("libvirt", "libvirt down"));
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertFalse(log.warn("libvirt", "libvirt down"));
    assertFalse(log.warn("libvirt", "libvirt down"));
    assertTrue(log.warn("xl", "xl garbage"), "keys are independent");
    now.addAndGet(Duration.ofSeconds(20).toNanos());
    assertTrue(log.warn("libvirt", "libvirt still down"));

    assertEquals(List.of("WARNING libvirt down", "WARNING xl garbage",
        "WARNING libvirt still down (2 similar warnings held back)"), rec.lines);
  }

  @Test
  void forgetsKeysPastTheCapInsteadOfGrowing() {
    Recorder rec = new Recorder();
    RateLimitedLog log = new RateLimitedLog(rec, Duration.ofSeconds(30), () -> 0L);
    for (int i = 0; i <= RateLimitedLog.MAX_KEYS; i++) {
      assertTrue(log.warn("k" + i, "m"));
    }
    assertTrue(log.warn("k0", "m"), "the memory was dropped at the cap: at worst one early repeat");
  }
}
