package io.collabpipeline.pipelines;

/**
 * A mistake in how the job was called: shown to the user as one line (what is wrong and how to fix
 * it), never with a stack trace, and the process exits non-zero.
 */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
