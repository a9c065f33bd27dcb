package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.pipelines.warehouse.CanaryTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@link CanaryTables} on Snowflake, for the freshness probe ({@code bin/collab-canary
 * --warehouseUrl=jdbc:snowflake://...}): reads {@code pipeline_canary} and records {@code
 * pipeline_freshness} over the Snowflake JDBC driver, connected from the same {@link
 * SnowflakeIO.DataSourceConfiguration} the job's sink uses ({@link
 * SnowflakeConfig#connectionFromOptions}, credentials by reference).
 *
 * <p>The tables come from the repository's DDL (02_curated_tables.sql); {@link #ensureTables()}
 * only checks that they are there (the probe's role, {@code collab_probe}, creates nothing). The
 * canary rows are written only by {@code merge_pipeline_canary.sql} (their {@code written_at} is
 * the MERGE's), so {@link #insertCanaries} refuses. Snowflake has no {@code INSERT ... ON
 * CONFLICT}: the probe's "insert, or set {@code queryable_at} once" is one {@code MERGE} per batch
 * over a {@code VALUES} list, SQL that PostgreSQL 15 runs too. The only words that differ are the
 * timestamp conversions, the {@link Dialect}; with {@link Dialect#POSTGRESQL} the same statements
 * run on the PostgreSQL stand-in of the offline tests.
 */
public final class SnowflakeCanaryTables implements CanaryTables, AutoCloseable {
  /** Rows per MERGE of {@link #recordFreshness} (Snowflake's VALUES takes up to 16,384). */
  static final int ROWS_PER_MERGE = 500;

  /** The two timestamp conversions, the only SQL that differs between the engines. */
  public enum Dialect {
    /**
     * Snowflake: {@code TO_TIMESTAMP_NTZ(ms, 3)} and {@code DATE_PART(EPOCH_MILLISECOND, ts)}, UTC
     * on NTZ columns and absolute on LTZ ({@code written_at}), whatever the session time zone.
     */
    SNOWFLAKE {
      @Override
      String timestampOf(String millis) {
        return "TO_TIMESTAMP_NTZ(" + millis + ", 3)";
      }

      @Override
      String epochMillis(String column) {
        return "CAST(DATE_PART(EPOCH_MILLISECOND, " + column + ") AS BIGINT)";
      }
    },
    /**
     * The offline stand-in (DdlTables maps TIMESTAMP_NTZ to {@code timestamp}, TIMESTAMP_LTZ to
     * {@code timestamptz}): the same values, without any session time zone.
     */
    POSTGRESQL {
      @Override
      String timestampOf(String millis) {
        return "(timestamp 'epoch' + " + millis + " * interval '1 millisecond')";
      }

      @Override
      String epochMillis(String column) {
        return "CAST(extract(epoch FROM " + column + ") * 1000 AS BIGINT)";
      }
    };

    /** A TIMESTAMP_NTZ holding the UTC instant of the BIGINT epoch-milliseconds {@code millis}. */
    abstract String timestampOf(String millis);

    /** The epoch milliseconds of the timestamp {@code column}, as BIGINT. */
    abstract String epochMillis(String column);
  }

  private final SnowflakeIO.DataSourceConfiguration dataSource;
  private final Dialect dialect;
  private @Nullable Connection connection;

  private SnowflakeCanaryTables(SnowflakeIO.DataSourceConfiguration dataSource, Dialect dialect) {
    this.dataSource = dataSource;
    this.dialect = dialect;
  }

  /** The probe's tables in the Snowflake of {@code dataSource}; connects on first use. */
  public static SnowflakeCanaryTables of(SnowflakeIO.DataSourceConfiguration dataSource) {
    return of(dataSource, Dialect.SNOWFLAKE);
  }

  /** The same over another engine's data source (tests: {@link Dialect#POSTGRESQL}). */
  public static SnowflakeCanaryTables of(
      SnowflakeIO.DataSourceConfiguration dataSource, Dialect dialect) {
    return new SnowflakeCanaryTables(dataSource, dialect);
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      // Resolves the credential references here, on the probe's host, and nowhere else.
      connection =
          SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(dataSource)
              .apply(null)
              .getConnection();
    }
    return connection;
  }

  private String ts() {
    return dialect.timestampOf("CAST(? AS BIGINT)");
  }

  /** Checks that the DDL's two tables are there and readable; creates nothing. */
  @Override
  public void ensureTables() throws SQLException {
    for (String table : new String[] {CANARY_TABLE, FRESHNESS_TABLE}) {
      try (Statement st = connection().createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE 1 = 0")) {
        rs.next();
      } catch (SQLException e) {
        throw new SQLException(
            table
                + " is not readable in Snowflake (apply the repository's DDL,"
                + " io/collabpipeline/snowflake/02_curated_tables.sql and 05_grants.sql): "
                + e.getMessage(),
            e.getSQLState(),
            e);
      }
    }
  }

  /** Refused: on Snowflake only merge_pipeline_canary.sql writes canary rows. */
  @Override
  public void insertCanaries(List<CanaryRow> rows) {
    throw new UnsupportedOperationException(
        "on Snowflake, pipeline_canary is written only by merge_pipeline_canary.sql"
            + " (WriteSnowflakeCanaries and the merge_pipeline_canary task)");
  }

  @Override
  public List<CanaryRow> readCanaries(long occurredFromMillis) throws SQLException {
    String sql =
        "SELECT event_id, source_partition, "
            + dialect.epochMillis("occurred_at")
            + ", "
            + dialect.epochMillis("arrived_at")
            + ", "
            + dialect.epochMillis("written_at")
            + " FROM "
            + CANARY_TABLE
            + " WHERE occurred_at >= "
            + ts()
            + " ORDER BY event_id";
    try (PreparedStatement st = connection().prepareStatement(sql)) {
      st.setLong(1, occurredFromMillis);
      return CanaryTables.canaryRows(st);
    }
  }

  /** The MERGE of {@code n} probe rows: insert a missing canary; set a NULL queryable_at once. */
  static String recordFreshnessSql(Dialect dialect, int n) {
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < n; i++) {
      values
          .append(i == 0 ? "" : ", ")
          .append(
              "(CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS BIGINT), CAST(? AS BIGINT),"
                  + " CAST(? AS BIGINT), CAST(? AS BIGINT))");
    }
    return "MERGE INTO "
        + FRESHNESS_TABLE
        + " AS t USING (SELECT v.event_id, v.topic, v.source_partition, "
        + dialect.timestampOf("v.published_ms")
        + " AS published_at, "
        + dialect.timestampOf("v.queryable_ms")
        + " AS queryable_at, v.latency_ms FROM (VALUES "
        + values
        + ") AS v (event_id, topic, source_partition, published_ms, queryable_ms, latency_ms)) AS s"
        + " ON t.event_id = s.event_id"
        + " WHEN MATCHED AND t.queryable_at IS NULL AND s.queryable_at IS NOT NULL THEN"
        + " UPDATE SET queryable_at = s.queryable_at, latency_ms = s.latency_ms"
        + " WHEN NOT MATCHED THEN INSERT"
        + " (event_id, topic, source_partition, published_at, queryable_at, latency_ms)"
        + " VALUES (s.event_id, s.topic, s.source_partition, s.published_at, s.queryable_at,"
        + " s.latency_ms)";
  }

  @Override
  public void recordFreshness(List<FreshnessRow> rows) throws SQLException {
    // One source row per event id (a MERGE must not match a target row twice): the first that
    // has a queryable_at, else the first.
    Map<String, FreshnessRow> byId = new LinkedHashMap<>();
    for (FreshnessRow row : rows) {
      FreshnessRow kept = byId.get(row.eventId());
      if (kept == null || (kept.queryableAtMillis() == null && row.queryableAtMillis() != null)) {
        byId.put(row.eventId(), row);
      }
    }
    List<FreshnessRow> distinct = new ArrayList<>(byId.values());
    for (int from = 0; from < distinct.size(); from += ROWS_PER_MERGE) {
      List<FreshnessRow> chunk =
          distinct.subList(from, Math.min(distinct.size(), from + ROWS_PER_MERGE));
      try (PreparedStatement st =
          connection().prepareStatement(recordFreshnessSql(dialect, chunk.size()))) {
        int p = 1;
        for (FreshnessRow row : chunk) {
          st.setString(p++, row.eventId());
          st.setString(p++, row.topic());
          st.setLong(p++, row.sourcePartition());
          st.setLong(p++, row.publishedAtMillis());
          setNullableLong(st, p++, row.queryableAtMillis());
          setNullableLong(st, p++, row.latencyMillis());
        }
        st.executeUpdate();
      }
    }
  }

  private static void setNullableLong(PreparedStatement st, int index, @Nullable Long value)
      throws SQLException {
    if (value == null) {
      st.setNull(index, Types.BIGINT);
    } else {
      st.setLong(index, value);
    }
  }

  @Override
  public List<FreshnessRow> readFreshness(long publishedFromMillis) throws SQLException {
    String sql =
        "SELECT event_id, topic, source_partition, "
            + dialect.epochMillis("published_at")
            + ", "
            + dialect.epochMillis("queryable_at")
            + " FROM "
            + FRESHNESS_TABLE
            + " WHERE published_at >= "
            + ts()
            + " ORDER BY published_at, event_id";
    try (PreparedStatement st = connection().prepareStatement(sql)) {
      st.setLong(1, publishedFromMillis);
      return CanaryTables.freshnessRows(st);
    }
  }

  /** Closes the connection, if one was opened; the tables can be used again (reconnecting). */
  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException alreadyBroken) {
        // the connection is gone
      }
      connection = null;
    }
  }
}
