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
    if (jdbcUrl != null && jdbcUrl.startsWith(DuckDbWarehouse.URL_PREFIX)) {
      return DuckDbWarehouse.open(jdbcUrl);
    }
    throw new IllegalArgumentException(
        "unsupported warehouse URL '" + jdbcUrl + "': supported schemes are " + SUPPORTED_SCHEMES);
  }
}
