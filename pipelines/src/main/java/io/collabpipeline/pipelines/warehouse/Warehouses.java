package io.collabpipeline.pipelines.warehouse;

import java.sql.SQLException;

/**
 * Opens the JDBC warehouses (DuckDB, PostgreSQL) by URL, and redacts warehouse URLs for messages.
 * Jobs reach a warehouse through their {@link WarehouseTarget}; this is the JDBC side of it, for
 * JDBC-only code and tests.
 */
public final class Warehouses {
  /** The JDBC URL schemes this build opens. */
  public static final String SUPPORTED_SCHEMES =
      DuckDbSession.URL_PREFIX
          + "/path/file.duckdb, "
          + PostgresSession.URL_PREFIX
          + "//host:port/database";

  private Warehouses() {}

  /**
   * Opens a JDBC warehouse handle for {@code jdbcUrl}: {@code jdbc:duckdb:/path/file.duckdb} (the
   * file and its directory are created on first use) or {@code
   * jdbc:postgresql://host:port/database} (credentials in the URL or in {@code PGUSER} and {@code
   * PGPASSWORD}). Throws {@link IllegalArgumentException} for any other URL.
   */
  public static JdbcWarehouse openJdbc(String jdbcUrl) throws SQLException {
    checkSupported(jdbcUrl);
    if (jdbcUrl.startsWith(PostgresSession.URL_PREFIX)) {
      return new JdbcWarehouse(PostgresSession.open(jdbcUrl));
    }
    return new JdbcWarehouse(DuckDbSession.open(jdbcUrl));
  }

  /** Whether {@link #openJdbc} supports the URL. */
  public static boolean isSupported(String jdbcUrl) {
    return jdbcUrl != null
        && (jdbcUrl.startsWith(DuckDbSession.URL_PREFIX)
            || jdbcUrl.startsWith(PostgresSession.URL_PREFIX));
  }

  /**
   * Throws {@link IllegalArgumentException}, with a one-line message, unless {@link #openJdbc}
   * supports the URL.
   */
  public static void checkSupported(String jdbcUrl) {
    if (!isSupported(jdbcUrl)) {
      throw new IllegalArgumentException(
          "unsupported warehouse URL '"
              + redact(jdbcUrl)
              + "': supported schemes are "
              + SUPPORTED_SCHEMES);
    }
  }

  /** The URL with any password parameter masked, so it can go into messages and logs. */
  public static String redact(String jdbcUrl) {
    return jdbcUrl == null ? null : jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
