package io.collabpipeline.pipelines.sinks;

import java.sql.SQLException;

/** Opens the {@link Warehouse} a JDBC URL names. */
public final class Warehouses {
  /** The URL schemes this build supports. */
  public static final String SUPPORTED_SCHEMES = "jdbc:duckdb:";

  private Warehouses() {}

  /**
   * Opens a warehouse handle for {@code jdbcUrl}: {@code jdbc:duckdb:/path/file.duckdb} (the file and its directory are
   * created on first use). Throws {@link IllegalArgumentException} for any other URL.
   */
  public static Warehouse open(String jdbcUrl) throws SQLException {
    checkSupported(jdbcUrl);
    return DuckDbWarehouse.open(jdbcUrl);
  }

  /** Throws {@link IllegalArgumentException}, with a one-line message, unless {@link #open} supports the URL. */
  public static void checkSupported(String jdbcUrl) {
    if (jdbcUrl == null || !jdbcUrl.startsWith(DuckDbWarehouse.URL_PREFIX)) {
      throw new IllegalArgumentException(
          "unsupported warehouse URL '" + redact(jdbcUrl) + "': supported schemes are " + SUPPORTED_SCHEMES);
    }
  }

  /** The URL with any password parameter masked, so it can go into messages and logs. */
  static String redact(String jdbcUrl) {
    return jdbcUrl == null ? null : jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
