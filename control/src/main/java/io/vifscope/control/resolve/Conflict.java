package io.vifscope.control.resolve;

/**
 * Two sources disagree about who owns an interface. The first source in the configured order wins; the
 * disagreement is reported so that an operator can tell a stale or misconfigured source.
 */
public record Conflict(String ifname, String winner, GuestNic winning, String other, GuestNic disagreeing) {}
