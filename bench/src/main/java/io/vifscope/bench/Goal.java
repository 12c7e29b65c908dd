package io.vifscope.bench;

/**
 * A goal of the issue and how this run did against it.
 *
 * @param why when not met (or not measurable here): the plain reason
 */
public record Goal(String name, String target, String measured, boolean met, String why) {
  public static Goal of(String name, String target, String measured, boolean met, String whyNot) {
    return new Goal(name, target, measured, met, met ? "" : whyNot);
  }
}
