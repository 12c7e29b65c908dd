package io.vifscope.control.resolve;

/**
 * How a source did at its last refresh.
 *
 * @param name the source
 * @param detected its tool or daemon exists on this host
 * @param ok the last read succeeded
 * @param error why it failed, "" when ok or not detected
 * @param interfaces interfaces it mapped at the last successful read
 * @param readNanos how long the last read took
 */
public record SourceStatus(String name, boolean detected, boolean ok, String error, int interfaces, long readNanos) {}
