package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;

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
}
