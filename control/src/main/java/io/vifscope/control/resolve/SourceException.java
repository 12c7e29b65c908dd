package io.vifscope.control.resolve;

/** A source could not answer: missing, slow, or it printed something that is not its format. */
public final class SourceException extends Exception {
  private static final long serialVersionUID = 1L;

  public SourceException(String message) {
    super(message);
  }

  public SourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
