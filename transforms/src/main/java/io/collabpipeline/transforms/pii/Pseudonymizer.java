package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Replaces a user identifier by a keyed-hash pseudonym: {@code "u_"} + the first 128 bits of
 * HMAC-SHA256(key, id) as 32 lowercase hex characters. Deterministic for a key (the same user gets
 * the same pseudonym in every run, so distinct counts and joins still work) and unlinkable without
 * the key (a different key gives unrelated pseudonyms; unlike a plain hash, ids cannot be recovered
 * by hashing candidate gids).
 *
 * <p>With a {@link UserKeyStore} (crypto-shredding), the pseudonym is instead HMAC-SHA256 under the
 * user's own random secret, and the global-key hash above only serves as the user's {@linkplain
 * #index index} in the store: the store creates the secret the first time any writer sees the user,
 * and erasing the user destroys it, after which the user's id maps to {@link #ERASED} and the
 * pseudonyms already written can no longer be linked to the id, by anyone. Resolved pseudonyms are
 * remembered for at most {@link #CACHE_MILLIS} ms, so an erasure reaches a running writer within
 * that time.
 *
 * <p>Not thread-safe (it reuses one {@link Mac}); create one per DoFn instance.
 */
public final class Pseudonymizer {
  /** Prefix of every user pseudonym. */
  public static final String USER_PREFIX = "u_";

  private static final String ALGORITHM = "HmacSHA256";
  private static final int OUTPUT_BYTES = 16;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** The pseudonym of every erased user: it identifies nobody. */
  public static final String ERASED = USER_PREFIX + "0".repeat(2 * OUTPUT_BYTES);

  /** How long a resolved per-user pseudonym is remembered. */
  public static final long CACHE_MILLIS = 5 * 60 * 1000L;

  private static final int CACHE_ENTRIES = 65_536;
  private static final int SECRET_BYTES = 32;

  /** Slots of the {@link #index} memo (a power of two). */
  private static final int INDEX_SLOTS = 8192;

  private final Mac mac;
  // The global-key hash is a pure function of the identifier (the key never changes in an
  // instance), so a recent result is reused as is: a direct-mapped memo, one identifier per slot.
  private final String[] indexInputs = new String[INDEX_SLOTS];
  private final String[] indexOutputs = new String[INDEX_SLOTS];
  private final @Nullable UserKeyStore store;
  private final Map<String, Cached> cache;
  private final SecureRandom random;
  private final LongSupplier clock;

  private static final class Cached {
    final String pseudonym;
    final long until;

    Cached(String pseudonym, long until) {
      this.pseudonym = pseudonym;
      this.until = until;
    }
  }

  /** Creates a pseudonymizer for {@code key}, as returned by {@link KeyReference#resolve()}. */
  public Pseudonymizer(byte[] key) {
    this(key, null);
  }

  /**
   * Creates a pseudonymizer for {@code key} that, if {@code store} is not null, pseudonymizes each
   * user under the user's secret in {@code store} (which it does not close).
   */
  public Pseudonymizer(byte[] key, @Nullable UserKeyStore store) {
    this(key, store, System::currentTimeMillis);
  }

  /** As {@link #Pseudonymizer(byte[], UserKeyStore)} with the cache on {@code clock} (tests). */
  Pseudonymizer(byte[] key, @Nullable UserKeyStore store, LongSupplier clock) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("pseudonym key is empty");
    }
    try {
      mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
    this.store = store;
    this.cache =
        store == null
            ? null
            : new LinkedHashMap<String, Cached>(1024, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                return size() > CACHE_ENTRIES;
              }
            };
    this.random = store == null ? null : new SecureRandom();
    this.clock = clock;
  }

  /** Whether pseudonyms are per-user (a {@link UserKeyStore}) rather than global-key hashes. */
  public boolean perUser() {
    return store != null;
  }

  /**
   * The pseudonym of a user identifier: {@link #index} without a store; with one, the hash under
   * the user's secret (created on first sight), or {@link #ERASED} if the user was erased.
   *
   * @throws UncheckedIOException if the store cannot be read or written (a worker retries)
   */
  public String pseudonymize(String identifier) {
    if (store == null) {
      return index(identifier);
    }
    long now = clock.getAsLong();
    Cached hit = cache.get(identifier);
    if (hit != null && hit.until > now) {
      return hit.pseudonym;
    }
    String index = index(identifier);
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    UserKey candidate =
        UserKey.live(index, secret, hash(secret, identifier), Instant.ofEpochMilli(now));
    UserKey stored;
    try {
      stored = store.getOrCreate(candidate);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    String pseudonym =
        stored.isErased()
            ? ERASED
            : stored == candidate ? candidate.pseudonym() : hash(stored.secret(), identifier);
    cache.put(identifier, new Cached(pseudonym, now + CACHE_MILLIS));
    return pseudonym;
  }

  /**
   * The global-key pseudonym of a user identifier: the user's pseudonym without a store, the user's
   * index in it with one.
   */
  public String index(String identifier) {
    int slot = spread(identifier.hashCode()) & (INDEX_SLOTS - 1);
    if (identifier.equals(indexInputs[slot])) {
      return indexOutputs[slot];
    }
    String index = format(mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8)));
    indexInputs[slot] = identifier;
    indexOutputs[slot] = index;
    return index;
  }

  private static int spread(int h) {
    return h ^ (h >>> 13) ^ (h >>> 21);
  }

  /** The pseudonym of {@code identifier} under a per-user {@code secret}. */
  public static String hash(byte[] secret, String identifier) {
    try {
      Mac userMac = Mac.getInstance(ALGORITHM);
      userMac.init(new SecretKeySpec(secret, ALGORITHM));
      return format(userMac.doFinal(identifier.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  private static String format(byte[] digest) {
    char[] out = new char[USER_PREFIX.length() + 2 * OUTPUT_BYTES];
    USER_PREFIX.getChars(0, USER_PREFIX.length(), out, 0);
    int at = USER_PREFIX.length();
    for (int i = 0; i < OUTPUT_BYTES; i++) {
      out[at++] = HEX[(digest[i] >> 4) & 0xf];
      out[at++] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }
}
