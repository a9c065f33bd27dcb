package io.collabpipeline.pipelines.warehouse.snowflake;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Objects;
import org.apache.beam.sdk.options.ValueProvider;

/**
 * A secret named by reference, {@code env:VARIABLE} or {@code file:/absolute/path}, and resolved
 * only when SnowflakeIO asks for its value: on the worker that opens the connection. The job graph,
 * the options, display data and logs therefore carry the reference and never the secret; {@link
 * #toString()} shows the reference. A file's content is used as is, without its trailing line break
 * (a PEM private key keeps its inner lines).
 */
public final class SecretReference implements ValueProvider<String>, Serializable {
  private static final long serialVersionUID = 1L;

  public static final String ENV_PREFIX = "env:";
  public static final String FILE_PREFIX = "file:";

  private final String reference;

  private SecretReference(String reference) {
    this.reference = reference;
  }

  /**
   * True if {@code value} has the form of a reference (it says nothing about whether it resolves).
   */
  public static boolean isReference(String value) {
    if (value == null) {
      return false;
    }
    if (value.startsWith(ENV_PREFIX)) {
      return value.substring(ENV_PREFIX.length()).matches("[A-Za-z_][A-Za-z0-9_]*");
    }
    return value.startsWith(FILE_PREFIX)
        && value.length() > FILE_PREFIX.length() + 1
        && value.charAt(FILE_PREFIX.length()) == '/';
  }

  /**
   * The reference {@code value}; throws, without echoing it (it may be a secret pasted by mistake),
   * if malformed.
   */
  public static SecretReference of(String value) {
    if (!isReference(value)) {
      throw new IllegalArgumentException(
          "a secret must be given by reference, env:VARIABLE or file:/absolute/path, never as its value");
    }
    return new SecretReference(value);
  }

  /** The reference itself, e.g. {@code env:SNOWFLAKE_PASSWORD}. */
  public String reference() {
    return reference;
  }

  /**
   * Resolves the reference now; throws naming the reference (not a value) if it does not resolve.
   */
  @Override
  public String get() {
    if (reference.startsWith(ENV_PREFIX)) {
      String name = reference.substring(ENV_PREFIX.length());
      String value = System.getenv(name);
      if (value == null || value.isEmpty()) {
        throw new IllegalStateException(
            "environment variable " + name + " (from " + reference + ") is not set");
      }
      return value;
    }
    String path = reference.substring(FILE_PREFIX.length());
    try {
      String value = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
      return value.endsWith("\r\n")
          ? value.substring(0, value.length() - 2)
          : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the secret file of " + reference, e);
    }
  }

  @Override
  public boolean isAccessible() {
    return true;
  }

  @Override
  public String toString() {
    return reference;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretReference && ((SecretReference) o).reference.equals(reference);
  }

  @Override
  public int hashCode() {
    return Objects.hash(reference);
  }
}
