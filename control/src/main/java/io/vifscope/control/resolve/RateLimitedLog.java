package io.vifscope.control.resolve;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One warning line per key per interval (30 s by default), so a source that fails at every refresh tells the
 * operator once and then stays quiet instead of flooding the log. The first warning after a quiet interval says
 * how many were held back meanwhile.
 */
public final class RateLimitedLog {
  /** The interval the house style asks for: one line per source per 30 s. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
  /** Keys remembered at most; past it the memory is dropped (worst case one early repeat), never grown. */
  static final int MAX_KEYS = 1024;

  private record Entry(long lastNanos, int suppressed) {}

  private final System.Logger log;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Map<String, Entry> entries = new HashMap<>();

  /** Warns through {@code log} at most once per key per 30 s. */
  public RateLimitedLog(System.Logger log) {
    this(log, DEFAULT_INTERVAL, System::nanoTime);
  }

  /** For tests: any interval, any monotonic clock. */
  RateLimitedLog(System.Logger log, Duration interval, LongSupplier nanoClock) {
    this.log = Objects.requireNonNull(log);
    this.intervalNanos = interval.toNanos();
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  /**
   * Logs {@code msg} at WARNING unless a warning with the same {@code key} was logged less than one interval ago.
   *
   * @return whether the line was logged
   */
  public boolean warn(String key, String msg) {
    long now = nanoClock.getAsLong();
    int held;
    synchronized (entries) {
      Entry e = entries.get(key);
      if (e != null && now - e.lastNanos < intervalNanos) {
        entries.put(key, new Entry(e.lastNanos, e.suppressed + 1));
        return false;
      }
      if (e == null && entries.size() >= MAX_KEYS) {
        entries.clear();
      }
      held = e == null ? 0 : e.suppressed;
      entries.put(key, new Entry(now, 0));
    }
    log.log(Level.WARNING, held == 0 ? msg : msg + " (" + held + " similar warnings held back)");
    return true;
  }
}
