package io.collabpipeline.pipelines.warehouse;

import java.sql.SQLException;

/** Opens the {@link Warehouse} a JDBC URL names. */
public final class Warehouses {
  /** The URL schemes this build supports. */
  public static final String SUPPORTED_SCHEMES =
      DuckDbWarehouse.URL_PREFIX + "/path/file.duckdb, " + PostgresWarehouse.URL_PREFIX + "//host:port/database";

  private Warehouses() {}

  /**
   * Opens a warehouse handle for {@code jdbcUrl}: {@code jdbc:duckdb:/path/file.duckdb} (the file and its directory are
   * created on first use) or {@code jdbc:postgresql://host:port/database} (credentials in the URL or in {@code PGUSER}
   * and {@code PGPASSWORD}). Throws {@link IllegalArgumentException} for any other URL.
   */
  public static Warehouse open(String jdbcUrl) throws SQLException {
    checkSupported(jdbcUrl);
    if (jdbcUrl.startsWith(PostgresWarehouse.URL_PREFIX)) {
      return PostgresWarehouse.open(jdbcUrl);
    }
    return DuckDbWarehouse.open(jdbcUrl);
  }

  /** Whether {@link #open} supports the URL. */
  public static boolean isSupported(String jdbcUrl) {
    return jdbcUrl != null
        && (jdbcUrl.startsWith(DuckDbWarehouse.URL_PREFIX) || jdbcUrl.startsWith(PostgresWarehouse.URL_PREFIX));
  }

  /** Throws {@link IllegalArgumentException}, with a one-line message, unless {@link #open} supports the URL. */
  public static void checkSupported(String jdbcUrl) {
    if (!isSupported(jdbcUrl)) {
      throw new IllegalArgumentException(
          "unsupported warehouse URL '" + redact(jdbcUrl) + "': supported schemes are " + SUPPORTED_SCHEMES);
    }
  }

  /** The URL with any password parameter masked, so it can go into messages and logs. */
  public static String redact(String jdbcUrl) {
    return jdbcUrl == null ? null : jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
