package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where the secret key for pseudonyms lives, never the key itself: {@code env:NAME} (an environment
 * variable of the worker), {@code file:/path} (a file readable by the worker, e.g. a mounted
 * secret), or {@code dev}.
 *
 * <p>Only the reference is serialized into the pipeline graph, shown in display data and printed by
 * {@link #toString()}; the key is read by {@link #resolve()} on the worker (a DoFn's
 * {@code @Setup}). A key is the bytes of the variable's value or the file's content, surrounding
 * white space removed, and must be at least {@value #MIN_KEY_BYTES} bytes long (e.g. the output of
 * {@code openssl rand -base64 48}).
 *
 * <p>{@code dev} is a fixed, publicly known, <b>insecure</b> key for local runs and tests: anyone
 * can reverse its pseudonyms by hashing candidate ids, so it must never be used with real user
 * data. Pseudonyms depend on the key: changing it changes every pseudonym, so rotate it only
 * together with a re-derivation of stored data.
 */
public final class KeyReference implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The reference to the public development key: insecure, for local runs only. */
  public static final String DEV_REFERENCE = "dev";

  /** Shortest accepted key: 256 bits, the HMAC-SHA256 block of security. */
  public static final int MIN_KEY_BYTES = 32;

  private static final byte[] DEV_KEY =
      "collab-pipeline-dev-pseudonym-key-INSECURE-do-not-use-in-production"
          .getBytes(StandardCharsets.UTF_8);

  /** The kind of reference. */
  public enum Kind {
    ENV,
    FILE,
    DEV
  }

  private final Kind kind;
  private final String target;

  private KeyReference(Kind kind, String target) {
    this.kind = kind;
    this.target = target;
  }

  /**
   * Parses {@code env:NAME}, {@code file:/path} or {@code dev}.
   *
   * @throws IllegalArgumentException with a one-line message if the form is not one of these
   */
  public static KeyReference parse(String spec) {
    if (spec == null || spec.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "pseudonym key reference is empty: use env:NAME, file:/path or dev (insecure, local only)");
    }
    String s = spec.trim();
    if (s.equals(DEV_REFERENCE)) {
      return dev();
    }
    if (s.startsWith("env:") && s.length() > 4) {
      return env(s.substring(4));
    }
    if (s.startsWith("file:") && s.length() > 5) {
      return file(s.substring(5));
    }
    // Never echo the text: it may be the key itself, pasted by mistake.
    throw new IllegalArgumentException(
        "the pseudonym key must be given by reference, one of env:NAME, file:/path or dev (insecure, local"
            + " only), never as its value");
  }

  /** The key in environment variable {@code name} of the worker. */
  public static KeyReference env(String name) {
    if (name.isEmpty() || !name.chars().allMatch(c -> c == '_' || Character.isLetterOrDigit(c))) {
      throw new IllegalArgumentException(
          "pseudonym key reference env:"
              + name
              + " does not name an environment variable (letters, digits, _)");
    }
    return new KeyReference(Kind.ENV, name);
  }

  /** The key in the file at {@code path} on the worker. */
  public static KeyReference file(String path) {
    return new KeyReference(Kind.FILE, Objects.requireNonNull(path, "path"));
  }

  /** The fixed, insecure development key. */
  public static KeyReference dev() {
    return new KeyReference(Kind.DEV, "");
  }

  public Kind kind() {
    return kind;
  }

  /** Whether this is the publicly known development key. */
  public boolean isInsecure() {
    return kind == Kind.DEV;
  }

  /**
   * Reads the key. Call it where the key is used (a DoFn's {@code @Setup}), not while building the
   * graph.
   *
   * @return the key bytes, a fresh copy
   * @throws PseudonymKeyException with a one-line message if the key is missing, unreadable or too
   *     short
   */
  public byte[] resolve() {
    switch (kind) {
      case DEV:
        return DEV_KEY.clone();
      case ENV:
        {
          String value = System.getenv(target);
          if (value == null || value.trim().isEmpty()) {
            throw new PseudonymKeyException(
                "pseudonym key: environment variable "
                    + target
                    + " is not set on this worker; set it to a secret of at"
                    + " least "
                    + MIN_KEY_BYTES
                    + " bytes (e.g. export "
                    + target
                    + "=$(openssl rand -base64 48)), or"
                    + " pass --pseudonymKey=file:/path or dev for local runs");
          }
          return checkLength(value.trim().getBytes(StandardCharsets.UTF_8));
        }
      case FILE:
        {
          Path path = Paths.get(target);
          byte[] content;
          try {
            content = Files.readAllBytes(path);
          } catch (NoSuchFileException e) {
            throw new PseudonymKeyException(
                "pseudonym key: file "
                    + target
                    + " does not exist on this worker; create it with a secret of at least "
                    + MIN_KEY_BYTES
                    + " bytes (e.g. openssl rand -base64 48 > "
                    + target
                    + ") or fix --pseudonymKey");
          } catch (IOException | SecurityException e) {
            throw new PseudonymKeyException(
                "pseudonym key: cannot read file "
                    + target
                    + " ("
                    + e.getClass().getSimpleName()
                    + "); make it readable by the pipeline's user or fix --pseudonymKey");
          }
          byte[] key = trim(content);
          Arrays.fill(content, (byte) 0);
          return checkLength(key);
        }
      default:
        throw new IllegalStateException("unreachable: " + kind);
    }
  }

  private byte[] checkLength(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      int length = key.length;
      Arrays.fill(key, (byte) 0);
      throw new PseudonymKeyException(
          "pseudonym key from "
              + this
              + " is "
              + length
              + " bytes, shorter than the required "
              + MIN_KEY_BYTES
              + "; replace it with a longer secret (e.g. openssl rand -base64 48)");
    }
    return key;
  }

  private static byte[] trim(byte[] b) {
    int from = 0;
    int to = b.length;
    while (from < to && isSpace(b[from])) {
      from++;
    }
    while (to > from && isSpace(b[to - 1])) {
      to--;
    }
    return Arrays.copyOfRange(b, from, to);
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  /** The reference as it was given, e.g. {@code env:COLLAB_PSEUDONYM_KEY}; never the key. */
  @Override
  public String toString() {
    switch (kind) {
      case ENV:
        return "env:" + target;
      case FILE:
        return "file:" + target;
      default:
        return "dev";
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof KeyReference)) {
      return false;
    }
    KeyReference that = (KeyReference) o;
    return kind == that.kind && target.equals(that.target);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, target);
  }
}
