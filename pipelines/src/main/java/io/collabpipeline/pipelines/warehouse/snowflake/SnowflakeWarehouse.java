package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.pipelines.warehouse.CuratedTables;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayStaging;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The driver's {@link Warehouse} handle on Snowflake: the {@link GenerationLog} ({@value
 * SnowflakeSql#GENERATIONS_TABLE}) and the {@link ReplayStaging} of raw replays (the replay stage
 * tables that {@link WriteSnowflakeCurated#withReplayStaging} COPYs into, a diff, and the commit
 * {@value SnowflakeSql#COMMIT_REPLAY_FILE}), over one JDBC connection from SnowflakeIO's own data
 * source (the same account, user, credentials by reference, database, schema, warehouse and role as
 * the write). The connection is opened on first use, so a handle nobody uses never connects.
 *
 * <p>{@link #tables()} stays empty: the curated tables come from the repository's DDL, applied by
 * operations, and the job does not read them back. All SQL here is the portable subset the MERGE
 * files use, so the offline tests run it on PostgreSQL.
 */
public final class SnowflakeWarehouse implements Warehouse {
  private final SerializableFunction<Void, DataSource> dataSource;
  private @Nullable Connection connection;

  private SnowflakeWarehouse(SerializableFunction<Void, DataSource> dataSource) {
    this.dataSource = dataSource;
  }

  /** A handle that connects, when first used, through {@code dataSource}. */
  public static SnowflakeWarehouse of(SerializableFunction<Void, DataSource> dataSource) {
    return new SnowflakeWarehouse(dataSource);
  }

  /** The handle's connection, opened on first use, autocommit off. */
  Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = dataSource.apply(null).getConnection();
      c.setAutoCommit(false);
      connection = c;
    }
    return connection;
  }

  @Override
  public Optional<CuratedTables> tables() {
    return Optional.empty();
  }

  @Override
  public Optional<ReplayStaging> replays() {
    return Optional.of(new SnowflakeReplayStaging(this));
  }

  @Override
  public Optional<GenerationLog> generationLog() {
    return Optional.of(new SnowflakeGenerationLog(this));
  }

  /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
  <T> T inTransaction(SqlWork<T> work) throws SQLException {
    Connection c = connection();
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    }
  }

  /** Work on the handle's connection. */
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // closing a handle never fails the run: the work was committed or rolled back already
      } finally {
        connection = null;
      }
    }
  }
}
