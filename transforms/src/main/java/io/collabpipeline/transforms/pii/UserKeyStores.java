package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a {@link UserKeyStore} from its reference, the value of {@code --userKeyStore}:
 *
 * <ul>
 *   <li>{@code none}: no per-user secrets; pseudonyms are the global-key hash (erasure cannot
 *       crypto-shred);
 *   <li>{@code jdbc:postgresql:…} or {@code jdbc:duckdb:…}: the table {@value
 *       JdbcUserKeyStore#TABLE} in that database (created if missing); PostgreSQL is the store to
 *       share between machines;
 *   <li>anything else: a directory ({@code file:/path} or a path) of one small file per user, for
 *       one machine.
 * </ul>
 */
public final class UserKeyStores {
  /** The reference that turns per-user secrets off. */
  public static final String NONE = "none";

  private UserKeyStores() {}

  /** Whether {@code reference} turns per-user secrets off. */
  public static boolean isNone(String reference) {
    return reference == null || reference.isBlank() || NONE.equals(reference.trim());
  }

  /**
   * Opens the store; null for {@code none}.
   *
   * @throws IOException if it cannot be opened (the message says which store and why, one line)
   */
  public static UserKeyStore open(String reference) throws IOException {
    if (isNone(reference)) {
      return null;
    }
    String ref = reference.trim();
    if (ref.startsWith("jdbc:")) {
      return JdbcUserKeyStore.open(ref);
    }
    Path dir = Paths.get(ref.startsWith("file:") ? ref.substring("file:".length()) : ref);
    return DirectoryUserKeyStore.open(dir);
  }

  /**
   * The reference as it may be shown (run summaries, display data, messages): passwords in a JDBC
   * URL masked; {@code none} for none.
   */
  public static String shown(String reference) {
    return isNone(reference) ? NONE : JdbcUserKeyStore.redact(reference.trim());
  }

  private static final Map<String, Shared> SHARED = new HashMap<>();

  /**
   * Like {@link #open}, but every caller in this JVM with the same reference shares one open store
   * (one database connection; DuckDB lets only one open a file), closed when the last of them
   * closes its handle. For the pipeline's DoFns, of which a worker runs several.
   */
  public static UserKeyStore openShared(String reference) throws IOException {
    if (isNone(reference)) {
      return null;
    }
    String ref = reference.trim();
    synchronized (SHARED) {
      Shared s = SHARED.get(ref);
      if (s == null) {
        s = new Shared(ref, open(ref));
        SHARED.put(ref, s);
      }
      s.users++;
      return new Handle(s);
    }
  }

  private static final class Shared {
    final String reference;
    final UserKeyStore store;
    int users;

    Shared(String reference, UserKeyStore store) {
      this.reference = reference;
      this.store = store;
    }
  }

  /** One user's handle on a shared store; closing it closes the store after its last user. */
  private static final class Handle implements UserKeyStore {
    private final Shared shared;
    private boolean closed;

    Handle(Shared shared) {
      this.shared = shared;
    }

    @Override
    public UserKey getOrCreate(UserKey candidate) throws IOException {
      return shared.store.getOrCreate(candidate);
    }

    @Override
    public Optional<UserKey> get(String index) throws IOException {
      return shared.store.get(index);
    }

    @Override
    public Optional<UserKey> findByPseudonym(String pseudonym) throws IOException {
      return shared.store.findByPseudonym(pseudonym);
    }

    @Override
    public boolean shred(String index, Instant at) throws IOException {
      return shared.store.shred(index, at);
    }

    @Override
    public List<UserKey> entries() throws IOException {
      return shared.store.entries();
    }

    @Override
    public String describe() {
      return shared.store.describe();
    }

    @Override
    public void close() throws IOException {
      synchronized (SHARED) {
        if (closed) {
          return;
        }
        closed = true;
        if (--shared.users == 0) {
          SHARED.remove(shared.reference);
          shared.store.close();
        }
      }
    }
  }
}
