package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The per-user pseudonym secrets (crypto-shredding): one {@link UserKey} per user, keyed by the
 * user's global-key pseudonym, so the store never holds a user id. A user's pseudonym is {@code
 * HMAC(secret_u, gid)}; erasing the user replaces the entry by a tombstone ({@link #shred}), after
 * which the pseudonyms in the raw history can no longer be linked to the id by anyone.
 *
 * <p>Shared by every writer that pseudonymizes (the pipeline's workers, the collector, backend
 * producers) and by the erasure job: creation is atomic (of concurrent creators of one index
 * exactly one candidate is stored and every caller gets it back), a tombstone is never replaced by
 * a live entry.
 *
 * <p>Opened from a reference by {@link UserKeyStores#open}.
 */
public interface UserKeyStore extends AutoCloseable {

  /**
   * The stored entry of {@code index} (live or tombstone); if there is none, stores {@code
   * candidate} (a live entry of that index) and returns it, unless another writer stored one first,
   * whose entry is returned instead.
   */
  UserKey getOrCreate(UserKey candidate) throws IOException;

  /** The stored entry of {@code index}, if any. */
  Optional<UserKey> get(String index) throws IOException;

  /** The live entry whose pseudonym is {@code pseudonym}, if any. */
  Optional<UserKey> findByPseudonym(String pseudonym) throws IOException;

  /**
   * Replaces the entry of {@code index} by a tombstone erased at {@code at} (also when there is no
   * entry yet: the user then never gets a secret). Idempotent.
   *
   * @return whether a live entry (a secret) was destroyed
   */
  boolean shred(String index, Instant at) throws IOException;

  /** Every entry, live and tombstones, in index order. */
  List<UserKey> entries() throws IOException;

  /** Where the store is, for messages: never a secret. */
  String describe();

  @Override
  void close() throws IOException;
}
