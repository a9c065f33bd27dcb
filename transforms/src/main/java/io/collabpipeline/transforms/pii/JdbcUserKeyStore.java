package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A {@link UserKeyStore} in the table {@value #TABLE} of a PostgreSQL (shared by every machine) or
 * DuckDB database, created if missing. Creation is {@code INSERT … ON CONFLICT DO NOTHING} followed
 * by a read, so of concurrent creators the first insert wins; a tombstone is an upsert that clears
 * the secret and the pseudonym. Restrict the table to the pipeline's, the collector's and the
 * erasure job's roles; never replicate it into the analytics warehouse.
 *
 * <p>Times are stored as ISO-8601 UTC text so the table reads the same on both engines. Credentials
 * come in the URL's properties by reference of the deployment (e.g. a PostgreSQL service file or
 * {@code PGPASSWORD} in the worker's environment), never in the pipeline's options.
 */
public final class JdbcUserKeyStore implements UserKeyStore {
  /** The table of the per-user secrets. */
  public static final String TABLE = "user_pseudonym_keys";

  private static final HexFormat HEX = HexFormat.of();
  private static final String COLUMNS = "key_index, secret, pseudonym, created_at, erased_at";

  private final String url;
  private Connection connection;
  private boolean failed;

  private JdbcUserKeyStore(String url, Connection connection) {
    this.url = url;
    this.connection = connection;
  }

  /** Connects and creates the table if missing. */
  public static JdbcUserKeyStore open(String url) throws IOException {
    try {
      return new JdbcUserKeyStore(url, connect(url));
    } catch (SQLException e) {
      throw new IOException(
          "cannot open the user key store "
              + redact(url)
              + ": "
              + firstLine(redact(e.getMessage()))
              + (e.getMessage() != null && e.getMessage().startsWith("No suitable driver")
                  ? " (this program has no JDBC driver for it; use jdbc:postgresql://… or a"
                      + " directory)"
                  : " (fix --userKeyStore)"),
          e);
    }
  }

  private static Connection connect(String url) throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + TABLE
                + " (key_index VARCHAR(34) PRIMARY KEY, secret VARCHAR(64), pseudonym VARCHAR(34),"
                + " created_at VARCHAR(40) NOT NULL, erased_at VARCHAR(40))");
      }
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /**
   * The connection; a new one if a statement failed on the old one and it is broken (a database
   * restart, a dropped network connection), so a long-running writer recovers when its caller
   * retries.
   */
  private Connection connection() throws SQLException {
    if (failed) {
      boolean valid;
      try {
        valid = connection.isValid(5);
      } catch (SQLException e) {
        valid = false;
      }
      if (!valid) {
        Connection fresh = connect(url);
        try {
          connection.close();
        } catch (SQLException e) {
          // a broken connection may not close cleanly
        }
        connection = fresh;
      }
      failed = false;
    }
    return connection;
  }

  @Override
  public synchronized UserKey getOrCreate(UserKey candidate) throws IOException {
    try {
      Optional<UserKey> existing = get(candidate.index());
      if (existing.isPresent()) {
        return existing.get();
      }
      try (PreparedStatement p =
          connection()
              .prepareStatement(
                  "INSERT INTO "
                      + TABLE
                      + " ("
                      + COLUMNS
                      + ") VALUES (?, ?, ?, ?, NULL) ON CONFLICT (key_index) DO NOTHING")) {
        p.setString(1, candidate.index());
        p.setString(2, HEX.formatHex(candidate.secret()));
        p.setString(3, candidate.pseudonym());
        p.setString(4, candidate.createdAt().toString());
        p.executeUpdate();
      }
      return get(candidate.index())
          .orElseThrow(() -> new IOException("user key " + candidate.index() + " not stored"));
    } catch (SQLException e) {
      throw failure("store a user key", e);
    }
  }

  @Override
  public synchronized Optional<UserKey> get(String index) throws IOException {
    return one("key_index = ?", index);
  }

  @Override
  public synchronized Optional<UserKey> findByPseudonym(String pseudonym) throws IOException {
    return one("pseudonym = ?", pseudonym);
  }

  private Optional<UserKey> one(String where, String value) throws IOException {
    try (PreparedStatement p =
        connection().prepareStatement("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE " + where)) {
      p.setString(1, value);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.of(row(r)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("read a user key", e);
    }
  }

  @Override
  public synchronized boolean shred(String index, Instant at) throws IOException {
    try {
      Optional<UserKey> before = get(index);
      if (before.isPresent() && before.get().isErased()) {
        return false;
      }
      try (PreparedStatement p =
          connection()
              .prepareStatement(
                  "INSERT INTO "
                      + TABLE
                      + " ("
                      + COLUMNS
                      + ") VALUES (?, NULL, NULL, ?, ?) ON CONFLICT (key_index) DO UPDATE SET"
                      + " secret = NULL, pseudonym = NULL, erased_at = EXCLUDED.erased_at")) {
        p.setString(1, index);
        p.setString(2, at.toString());
        p.setString(3, at.toString());
        p.executeUpdate();
      }
      return before.isPresent();
    } catch (SQLException e) {
      throw failure("shred a user key", e);
    }
  }

  @Override
  public synchronized List<UserKey> entries() throws IOException {
    List<UserKey> out = new ArrayList<>();
    try (Statement s = connection().createStatement();
        ResultSet r =
            s.executeQuery("SELECT " + COLUMNS + " FROM " + TABLE + " ORDER BY key_index")) {
      while (r.next()) {
        out.add(row(r));
      }
    } catch (SQLException e) {
      throw failure("list the user keys", e);
    }
    return out;
  }

  private static UserKey row(ResultSet r) throws SQLException {
    String index = r.getString(1);
    Instant created = Instant.parse(r.getString(4));
    String erased = r.getString(5);
    if (erased != null) {
      return UserKey.tombstone(index, created, Instant.parse(erased));
    }
    return UserKey.live(index, HEX.parseHex(r.getString(2)), r.getString(3), created);
  }

  @Override
  public String describe() {
    return redact(url) + " table " + TABLE;
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      connection.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }

  private IOException failure(String what, SQLException e) {
    failed = true;
    return new IOException(
        "cannot " + what + " in " + describe() + ": " + firstLine(redact(e.getMessage())), e);
  }

  /**
   * {@code text} (a JDBC URL, or a message that may quote one) with passwords masked: {@code
   * password=} parameters and the password of {@code user:password@host}.
   */
  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    return text.replaceAll("(?i)(password=)[^&;\\s]*", "$1***")
        .replaceAll("(//[^/:@\\s]+:)[^/@\\s]*@", "$1***@");
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
