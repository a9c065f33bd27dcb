package io.collabpipeline.transforms.pii;

/**
 * The pseudonym key a {@link KeyReference} points to cannot be used. The message is one line that
 * says what is missing and how to fix it; it never contains key material.
 */
public final class PseudonymKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PseudonymKeyException(String message) {
    super(message);
  }

  public PseudonymKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
