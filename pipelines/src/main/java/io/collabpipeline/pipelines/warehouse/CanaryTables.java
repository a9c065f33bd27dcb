package io.collabpipeline.pipelines.warehouse;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The freshness probe's two tables in a warehouse ({@code JdbcCanaryTables} on DuckDB and
 * PostgreSQL, {@code SnowflakeCanaryTables} on Snowflake):
 *
 * <ul>
 *   <li>{@code pipeline_canary(event_id, source_partition, occurred_at, arrived_at, written_at)}:
 *       written by the live graph (step {@code WriteCanaries}), one row per canary event that went
 *       through validation and dedup. {@code written_at} is the writer's wall clock when the row
 *       was first written (on Snowflake, the {@code CURRENT_TIMESTAMP} of the MERGE that inserted
 *       it, {@code merge_pipeline_canary.sql}); a row is never replaced, so re-running changes
 *       nothing.
 *   <li>{@code pipeline_freshness(event_id, topic, source_partition, published_at, queryable_at,
 *       latency_ms)}: written by the probe, one row per canary it published, at publication with
 *       {@code queryable_at} and {@code latency_ms} NULL, which are set once, when the probe first
 *       sees the canary's {@code pipeline_canary} row. A row whose {@code queryable_at} stays NULL
 *       is a canary that never became queryable.
 * </ul>
 */
public interface CanaryTables {
  String CANARY_TABLE = "pipeline_canary";
  String FRESHNESS_TABLE = "pipeline_freshness";

  /** One row of {@code pipeline_canary}; times in UTC epoch milliseconds. */
  record CanaryRow(
      String eventId,
      int sourcePartition,
      long occurredAtMillis,
      long arrivedAtMillis,
      long writtenAtMillis) {}

  /** One row of {@code pipeline_freshness}; times in UTC epoch milliseconds. */
  record FreshnessRow(
      String eventId,
      String topic,
      int sourcePartition,
      long publishedAtMillis,
      @Nullable Long queryableAtMillis) {
    /** Queryable minus published, or null while not queryable. */
    public @Nullable Long latencyMillis() {
      return queryableAtMillis == null ? null : queryableAtMillis - publishedAtMillis;
    }
  }

  /** Creates both tables if missing. */
  void ensureTables() throws SQLException;

  /** Inserts the canaries whose event id is not stored yet; stored rows are never changed. */
  void insertCanaries(List<CanaryRow> rows) throws SQLException;

  /** The canaries that occurred at or after {@code occurredFromMillis}, by event id. */
  List<CanaryRow> readCanaries(long occurredFromMillis) throws SQLException;

  /**
   * Records the probe's canaries: a row not stored yet is inserted as given; of a stored row only a
   * NULL {@code queryable_at} (and its latency) is set, from the first row that has one.
   * Idempotent.
   */
  void recordFreshness(List<FreshnessRow> rows) throws SQLException;

  /** The probe's rows of canaries published at or after {@code publishedFromMillis}. */
  List<FreshnessRow> readFreshness(long publishedFromMillis) throws SQLException;

  /**
   * The canaries of {@code st}, a query with its one bound parameter set that selects {@code
   * event_id, source_partition} and {@code occurred_at, arrived_at, written_at} as epoch
   * milliseconds: what every implementation's {@link #readCanaries} runs, in its dialect.
   */
  static List<CanaryRow> canaryRows(PreparedStatement st) throws SQLException {
    List<CanaryRow> rows = new ArrayList<>();
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        rows.add(
            new CanaryRow(
                rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
      }
    }
    return rows;
  }

  /**
   * The probe's rows of {@code st}, a query that selects {@code event_id, topic, source_partition}
   * and {@code published_at, queryable_at} as epoch milliseconds (queryable_at NULL while not
   * queryable): what every implementation's {@link #readFreshness} runs.
   */
  static List<FreshnessRow> freshnessRows(PreparedStatement st) throws SQLException {
    List<FreshnessRow> rows = new ArrayList<>();
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        long queryable = rs.getLong(5);
        boolean missing = rs.wasNull();
        rows.add(
            new FreshnessRow(
                rs.getString(1),
                rs.getString(2),
                rs.getInt(3),
                rs.getLong(4),
                missing ? null : queryable));
      }
    }
    return rows;
  }
}
