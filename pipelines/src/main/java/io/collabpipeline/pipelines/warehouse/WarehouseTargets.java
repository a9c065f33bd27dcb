package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import io.collabpipeline.pipelines.warehouse.snowflake.SnowflakeConfig;

/**
 * Makes the {@link WarehouseTarget} a {@code --warehouseUrl} names: the one place that tells the
 * warehouses apart by their URL. {@code jdbc:duckdb:} and {@code jdbc:postgresql:} are JDBC
 * targets; {@value #SNOWFLAKE_URL_PREFIX} is Snowflake, configured by the {@code --snowflake*}
 * options ({@link SnowflakeConfig}), which are read only then. Every mistake is a one-line {@link
 * UsageException} naming {@code --warehouseUrl} with the URL redacted.
 */
public final class WarehouseTargets {
  /**
   * A {@code --warehouseUrl} with this prefix selects Snowflake, configured by the --snowflake*
   * options.
   */
  public static final String SNOWFLAKE_URL_PREFIX = "jdbc:snowflake:";

  private WarehouseTargets() {}

  /**
   * The JDBC warehouse at {@code jdbcUrl} ({@link Warehouses#openJdbc} says which); for tests,
   * tools and {@code GraphConfig} defaults. {@link IllegalArgumentException} for any other URL.
   */
  public static WarehouseTarget jdbc(String jdbcUrl) {
    return JdbcWarehouseTarget.of(jdbcUrl);
  }

  /**
   * The target a job writing live to {@code warehouseUrl} uses; Snowflake's settings come from
   * {@code snowflake}.
   */
  public static WarehouseTarget fromOptions(String warehouseUrl, SnowflakeOptions snowflake) {
    if (!selectsSnowflake(warehouseUrl)) {
      return jdbcOrRefuse(warehouseUrl);
    }
    if (!SnowflakeConfig.isGiven(snowflake)) {
      throw new UsageException(
          "--warehouseUrl="
              + Warehouses.redact(warehouseUrl)
              + " selects Snowflake: also give --snowflakeAccountUrl, "
              + "--snowflakeUser, a credential reference, --snowflakeStorageIntegration and --snowflakeStagingBucket");
    }
    try {
      return SnowflakeWarehouseTarget.of(warehouseUrl, SnowflakeConfig.fromOptions(snowflake));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * Snowflake at {@code warehouseUrl} (for messages only) with settings already made ({@link
   * SnowflakeConfig#of}); for tests and tools. The command line uses {@link #fromOptions}.
   */
  public static WarehouseTarget snowflake(String warehouseUrl, SnowflakeConfig config) {
    return SnowflakeWarehouseTarget.of(warehouseUrl, config);
  }

  private static boolean selectsSnowflake(String warehouseUrl) {
    return warehouseUrl != null && warehouseUrl.startsWith(SNOWFLAKE_URL_PREFIX);
  }

  private static WarehouseTarget jdbcOrRefuse(String warehouseUrl) {
    if (!Warehouses.isSupported(warehouseUrl)) {
      throw new UsageException(
          "--warehouseUrl="
              + Warehouses.redact(warehouseUrl)
              + " is not supported: use one of "
              + Warehouses.SUPPORTED_SCHEMES
              + ", "
              + SNOWFLAKE_URL_PREFIX
              + "//<account>.snowflakecomputing.com (with the --snowflake* options)");
    }
    return jdbc(warehouseUrl);
  }
}
