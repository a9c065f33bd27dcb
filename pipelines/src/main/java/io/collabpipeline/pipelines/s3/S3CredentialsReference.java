package io.collabpipeline.pipelines.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Where static S3 credentials live, never the credentials themselves (the {@code --s3Credentials}
 * option): {@code default} (the AWS default credential chain), {@code
 * env:ACCESS_VAR,env:SECRET_VAR[,env:TOKEN_VAR]} (environment variables of the worker) or {@code
 * file:/path} (a Java properties file on the worker with {@value #ACCESS_KEY_PROPERTY}, {@value
 * #SECRET_KEY_PROPERTY} and optionally {@value #SESSION_TOKEN_PROPERTY}, the key names of the AWS
 * CLI's credentials file).
 *
 * <p>Only the reference is serialized into the pipeline options, shown by {@link #toString()} and
 * put in error messages; {@link #resolve()} reads the secret where it is used. Mirrors the
 * pseudonym key's {@code env:}/{@code file:} references.
 */
public final class S3CredentialsReference implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String ACCESS_KEY_PROPERTY = "aws_access_key_id";
  public static final String SECRET_KEY_PROPERTY = "aws_secret_access_key";
  public static final String SESSION_TOKEN_PROPERTY = "aws_session_token";

  static final String DEFAULT_CHAIN = "default";
  private static final String FORMS =
      "use default, env:ACCESS_VAR,env:SECRET_VAR[,env:TOKEN_VAR] or file:/path";

  /** The kind of reference. */
  public enum Kind {
    DEFAULT_CHAIN,
    ENV,
    FILE
  }

  private final Kind kind;

  /** ENV: the variable names (access, secret[, token]); FILE: the path; DEFAULT_CHAIN: empty. */
  private final List<String> targets;

  private S3CredentialsReference(Kind kind, List<String> targets) {
    this.kind = kind;
    this.targets = Collections.unmodifiableList(new ArrayList<>(targets));
  }

  /**
   * Parses a reference.
   *
   * @throws IllegalArgumentException with a one-line message if {@code spec} is not one of the
   *     accepted forms
   */
  public static S3CredentialsReference parse(String spec) {
    if (spec == null || spec.trim().isEmpty()) {
      throw new IllegalArgumentException("S3 credentials reference is empty: " + FORMS);
    }
    String s = spec.trim();
    if (s.equals(DEFAULT_CHAIN)) {
      return new S3CredentialsReference(Kind.DEFAULT_CHAIN, List.of());
    }
    if (s.startsWith("file:")) {
      String path = s.substring("file:".length());
      if (path.isEmpty()) {
        throw new IllegalArgumentException(
            "S3 credentials reference 'file:' names no file: " + FORMS);
      }
      return new S3CredentialsReference(Kind.FILE, List.of(path));
    }
    if (s.startsWith("env:")) {
      String[] parts = s.split(",", -1);
      if (parts.length < 2 || parts.length > 3) {
        throw new IllegalArgumentException(
            "S3 credentials reference '"
                + s
                + "' needs two or three env: parts (access key id, secret key, optional"
                + " session token): "
                + FORMS);
      }
      List<String> names = new ArrayList<>();
      for (String part : parts) {
        String p = part.trim();
        String name = p.startsWith("env:") ? p.substring("env:".length()) : "";
        if (name.isEmpty()
            || !name.chars().allMatch(c -> c == '_' || Character.isLetterOrDigit(c))) {
          throw new IllegalArgumentException(
              "S3 credentials reference '"
                  + s
                  + "': '"
                  + p
                  + "' is not env:NAME (letters, digits, _): "
                  + FORMS);
        }
        names.add(name);
      }
      return new S3CredentialsReference(Kind.ENV, names);
    }
    // Never echo the text: it may be a credential pasted by mistake.
    throw new IllegalArgumentException(
        "S3 credentials must be given by reference, never as values: " + FORMS);
  }

  public Kind kind() {
    return kind;
  }

  /** Whether this defers to the AWS default credential chain (no static credentials). */
  public boolean isDefaultChain() {
    return kind == Kind.DEFAULT_CHAIN;
  }

  /**
   * Reads the credentials. Call it where they are used (on the worker), not while building the
   * graph.
   *
   * @throws IllegalStateException with a one-line message, naming the reference but no secret, if
   *     they are missing or unreadable
   * @throws UnsupportedOperationException for {@link Kind#DEFAULT_CHAIN}, which the AWS SDK
   *     resolves itself
   */
  public AwsCredentials resolve() {
    switch (kind) {
      case ENV:
        {
          String access = env(targets.get(0));
          String secret = env(targets.get(1));
          return targets.size() == 3
              ? AwsSessionCredentials.create(access, secret, env(targets.get(2)))
              : AwsBasicCredentials.create(access, secret);
        }
      case FILE:
        return fromFile(Paths.get(targets.get(0)));
      default:
        throw new UnsupportedOperationException(
            "the AWS default credential chain is resolved by the AWS SDK");
    }
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalStateException(
          "environment variable " + name + " is not set on this worker");
    }
    return value.trim();
  }

  private AwsCredentials fromFile(Path path) {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(path)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException(
          "credentials file " + path + " does not exist on this worker");
    } catch (IOException | SecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot read credentials file " + path + " (" + e.getClass().getSimpleName() + ")");
    }
    String access = property(p, ACCESS_KEY_PROPERTY, path);
    String secret = property(p, SECRET_KEY_PROPERTY, path);
    String token = p.getProperty(SESSION_TOKEN_PROPERTY);
    return token == null || token.trim().isEmpty()
        ? AwsBasicCredentials.create(access, secret)
        : AwsSessionCredentials.create(access, secret, token.trim());
  }

  private static String property(Properties p, String name, Path path) {
    String value = p.getProperty(name);
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalStateException("credentials file " + path + " has no " + name);
    }
    return value.trim();
  }

  /**
   * The reference as it was given, e.g. {@code env:S3_ACCESS_KEY,env:S3_SECRET_KEY}; never a
   * secret.
   */
  @Override
  public String toString() {
    switch (kind) {
      case ENV:
        return "env:" + String.join(",env:", targets);
      case FILE:
        return "file:" + targets.get(0);
      default:
        return DEFAULT_CHAIN;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof S3CredentialsReference)) {
      return false;
    }
    S3CredentialsReference that = (S3CredentialsReference) o;
    return kind == that.kind && targets.equals(that.targets);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, targets);
  }
}
