package io.collabpipeline.transforms.pii;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces a user identifier by a keyed-hash pseudonym: {@code "u_"} + the first 128 bits of
 * HMAC-SHA256(key, id) as 32 lowercase hex characters. Deterministic for a key (the same user gets
 * the same pseudonym in every run, so distinct counts and joins still work) and unlinkable without
 * the key (a different key gives unrelated pseudonyms; unlike a plain hash, ids cannot be recovered
 * by hashing candidate gids).
 *
 * <p>Not thread-safe (it reuses one {@link Mac}); create one per DoFn instance.
 */
public final class Pseudonymizer {
  /** Prefix of every user pseudonym. */
  public static final String USER_PREFIX = "u_";

  private static final String ALGORITHM = "HmacSHA256";
  private static final int OUTPUT_BYTES = 16;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final Mac mac;

  /** Creates a pseudonymizer for {@code key}, as returned by {@link KeyReference#resolve()}. */
  public Pseudonymizer(byte[] key) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("pseudonym key is empty");
    }
    try {
      mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  /** The pseudonym of a user identifier. */
  public String pseudonymize(String identifier) {
    byte[] digest = mac.doFinal(identifier.getBytes(StandardCharsets.UTF_8));
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
