package io.vifscope.control.resolve;

import java.time.Duration;
import java.util.List;

/**
 * Runs a host tool (xenstore-ls, xl) for a source: an argument vector, never a shell; a timeout after which the
 * process is killed; an output cap after which it is killed too. Tests inject fixtures instead.
 */
public interface CommandRunner {
  /** What a command printed and how it ended. */
  record Output(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code argv}. Throws {@link SourceException} when the command is missing, outlives {@code timeout} or
   * prints more than {@code maxBytes} on stdout; a non-zero exit is returned, not thrown.
   */
  Output run(List<String> argv, Duration timeout, int maxBytes) throws SourceException;

  /** Whether {@code command} is found on this runner's PATH. */
  boolean exists(String command);
}
