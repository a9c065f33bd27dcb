package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import io.collabpipeline.pipelines.warehouse.snowflake.SnowflakeConfig;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;

/**
 * Plain JDBC connections to the warehouse for the operations tools that query it beside the job
 * (the exporter's completeness and audit series, the lost-event audit's stored report): DuckDB
 * opened read-only when asked (the job's process holds the file), PostgreSQL by its URL, Snowflake
 * from the job's {@code --snowflake*} connection options (credentials by reference, resolved here
 * when connecting). The SQL these tools send is the part DuckDB, PostgreSQL and Snowflake share.
 *
 * <pre>{@code
 * WarehouseConnections.Source source = WarehouseConnections.of(url, options, true);
 * try (Connection c = source.open()) { ... }
 * }</pre>
 */
public final class WarehouseConnections {
  private WarehouseConnections() {}

  /** Opens a new connection each call. */
  @FunctionalInterface
  public interface Source extends Serializable {
    Connection open() throws SQLException;
  }

  /** Whether {@code url} selects Snowflake. */
  public static boolean isSnowflake(String url) {
    return url.startsWith(WarehouseTargets.SNOWFLAKE_URL_PREFIX);
  }

  /**
   * The connections of {@code url}: Snowflake's from {@code snowflake} (checked now: a missing
   * setting is a {@link UsageException} naming it), the others' from the URL ({@link
   * Warehouses#checkSupported}); DuckDB read-only if {@code readOnly}.
   */
  public static Source of(String url, SnowflakeOptions snowflake, boolean readOnly) {
    if (isSnowflake(url)) {
      if (!SnowflakeConfig.isGiven(snowflake)) {
        throw new UsageException(
            "--warehouseUrl="
                + Warehouses.redact(url)
                + " selects Snowflake: also give --snowflakeAccountUrl, --snowflakeUser, a"
                + " credential reference, --snowflakeDatabase, --snowflakeSchema,"
                + " --snowflakeWarehouse and --snowflakeRole");
      }
      SnowflakeIO.DataSourceConfiguration config = SnowflakeConfig.connectionFromOptions(snowflake);
      return () ->
          SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(config)
              .apply(null)
              .getConnection();
    }
    Warehouses.checkSupported(url);
    boolean duckDbReadOnly = readOnly && url.startsWith("jdbc:duckdb:");
    return () -> {
      Properties props = new Properties();
      if (duckDbReadOnly) {
        props.setProperty("duckdb.read_only", "true");
      }
      return DriverManager.getConnection(url, props);
    };
  }

  /**
   * Whether {@code table} exists where {@code c} looks (as written, or upper case: Snowflake keeps
   * unquoted names upper case).
   */
  public static boolean hasTable(Connection c, String table) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    for (String name : new String[] {table, table.toUpperCase(Locale.ROOT)}) {
      try (ResultSet rs = meta.getTables(null, null, name, null)) {
        if (rs.next()) {
          return true;
        }
      }
    }
    return false;
  }
}
