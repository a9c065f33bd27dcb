package io.collabpipeline.transforms.pii;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One entry of a {@link UserKeyStore}: the per-user pseudonym secret of the user whose global-key
 * pseudonym is {@link #index()}, or the tombstone left when that user was erased.
 *
 * <p>A live entry holds the random {@link #secret()} and the user's pseudonym {@code HMAC(secret,
 * gid)} ({@link #pseudonym()}; kept so that an erasure filed by pseudonym finds its entry). A
 * tombstone holds neither: once the secret is gone, nobody (not even someone holding the global key
 * and every remaining secret) can compute the pseudonym the user's history carries from the user's
 * id again.
 */
public final class UserKey {
  private final String index;
  private final @Nullable byte[] secret;
  private final @Nullable String pseudonym;
  private final Instant createdAt;
  private final @Nullable Instant erasedAt;

  private UserKey(
      String index,
      @Nullable byte[] secret,
      @Nullable String pseudonym,
      Instant createdAt,
      @Nullable Instant erasedAt) {
    this.index = Objects.requireNonNull(index, "index");
    this.secret = secret == null ? null : secret.clone();
    this.pseudonym = pseudonym;
    this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    this.erasedAt = erasedAt;
  }

  /** A live entry. */
  public static UserKey live(String index, byte[] secret, String pseudonym, Instant createdAt) {
    return new UserKey(
        index,
        Objects.requireNonNull(secret, "secret"),
        Objects.requireNonNull(pseudonym, "pseudonym"),
        createdAt,
        null);
  }

  /** The tombstone of an erased user. */
  public static UserKey tombstone(String index, Instant createdAt, Instant erasedAt) {
    return new UserKey(index, null, null, createdAt, Objects.requireNonNull(erasedAt, "erasedAt"));
  }

  /** The user's global-key pseudonym ({@link Pseudonymizer#index}): the entry's key. */
  public String index() {
    return index;
  }

  /** The per-user secret; null for a tombstone. */
  public @Nullable byte[] secret() {
    return secret == null ? null : secret.clone();
  }

  /** The user's pseudonym under the secret; null for a tombstone. */
  public @Nullable String pseudonym() {
    return pseudonym;
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** When the user was erased; null for a live entry. */
  public @Nullable Instant erasedAt() {
    return erasedAt;
  }

  public boolean isErased() {
    return erasedAt != null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof UserKey)) {
      return false;
    }
    UserKey that = (UserKey) o;
    return index.equals(that.index)
        && Arrays.equals(secret, that.secret)
        && Objects.equals(pseudonym, that.pseudonym)
        && createdAt.equals(that.createdAt)
        && Objects.equals(erasedAt, that.erasedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, pseudonym, erasedAt);
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return isErased()
        ? "UserKey{" + index + ", erased " + erasedAt + "}"
        : "UserKey{" + index + " -> " + pseudonym + "}";
  }
}
