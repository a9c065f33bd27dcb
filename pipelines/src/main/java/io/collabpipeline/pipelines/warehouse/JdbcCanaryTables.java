package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;

import io.collabpipeline.model.CuratedTable.ColumnType;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * {@link CanaryTables} on DuckDB and PostgreSQL: the same SQL on both ({@code INSERT ... ON
 * CONFLICT DO NOTHING} and a conditional {@code UPDATE}), the dialect's types and timestamp
 * conversions from the {@link JdbcSession}.
 */
final class JdbcCanaryTables implements CanaryTables {
  private final JdbcSession session;

  JdbcCanaryTables(JdbcSession session) {
    this.session = session;
  }

  static List<String> ddl(JdbcSession session) {
    String ts = session.sqlType(ColumnType.TIMESTAMP);
    String str = session.sqlType(ColumnType.STRING);
    String bigint = session.sqlType(ColumnType.LONG);
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + q(CANARY_TABLE)
            + " (event_id "
            + str
            + " NOT NULL PRIMARY KEY, source_partition "
            + bigint
            + " NOT NULL, occurred_at "
            + ts
            + " NOT NULL, arrived_at "
            + ts
            + " NOT NULL, written_at "
            + ts
            + " NOT NULL)",
        "CREATE TABLE IF NOT EXISTS "
            + q(FRESHNESS_TABLE)
            + " (event_id "
            + str
            + " NOT NULL PRIMARY KEY, topic "
            + str
            + " NOT NULL, source_partition "
            + bigint
            + " NOT NULL, published_at "
            + ts
            + " NOT NULL, queryable_at "
            + ts
            + ", latency_ms "
            + bigint
            + ")");
  }

  @Override
  public void ensureTables() throws SQLException {
    session.runDdl(ddl(session));
  }

  private String ts() {
    return session.timestampOf("CAST(? AS BIGINT)");
  }

  @Override
  public void insertCanaries(List<CanaryRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    String sql =
        "INSERT INTO "
            + q(CANARY_TABLE)
            + " (event_id, source_partition, occurred_at, arrived_at, written_at) VALUES (?, ?, "
            + ts()
            + ", "
            + ts()
            + ", "
            + ts()
            + ") ON CONFLICT (event_id) DO NOTHING";
    session.write(
        () -> {
          try (PreparedStatement st = session.connection.prepareStatement(sql)) {
            for (CanaryRow row : rows) {
              st.setString(1, row.eventId());
              st.setLong(2, row.sourcePartition());
              st.setLong(3, row.occurredAtMillis());
              st.setLong(4, row.arrivedAtMillis());
              st.setLong(5, row.writtenAtMillis());
              st.executeUpdate();
            }
          }
          return null;
        });
  }

  @Override
  public List<CanaryRow> readCanaries(long occurredFromMillis) throws SQLException {
    String sql =
        "SELECT event_id, source_partition, "
            + session.epochMillis("occurred_at")
            + ", "
            + session.epochMillis("arrived_at")
            + ", "
            + session.epochMillis("written_at")
            + " FROM "
            + q(CANARY_TABLE)
            + " WHERE occurred_at >= "
            + ts()
            + " ORDER BY event_id";
    try (PreparedStatement st = session.connection.prepareStatement(sql)) {
      st.setLong(1, occurredFromMillis);
      return CanaryTables.canaryRows(st);
    }
  }

  @Override
  public void recordFreshness(List<FreshnessRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    String insert =
        "INSERT INTO "
            + q(FRESHNESS_TABLE)
            + " (event_id, topic, source_partition, published_at, queryable_at, latency_ms)"
            + " VALUES (?, ?, ?, "
            + ts()
            + ", "
            + ts()
            + ", CAST(? AS BIGINT)) ON CONFLICT (event_id) DO NOTHING";
    String update =
        "UPDATE "
            + q(FRESHNESS_TABLE)
            + " SET queryable_at = "
            + ts()
            + ", latency_ms = CAST(? AS BIGINT) WHERE event_id = ? AND queryable_at IS NULL";
    session.write(
        () -> {
          try (PreparedStatement ins = session.connection.prepareStatement(insert);
              PreparedStatement upd = session.connection.prepareStatement(update)) {
            for (FreshnessRow row : rows) {
              ins.setString(1, row.eventId());
              ins.setString(2, row.topic());
              ins.setLong(3, row.sourcePartition());
              ins.setLong(4, row.publishedAtMillis());
              setNullableLong(ins, 5, row.queryableAtMillis());
              setNullableLong(ins, 6, row.latencyMillis());
              if (ins.executeUpdate() == 0 && row.queryableAtMillis() != null) {
                upd.setLong(1, row.queryableAtMillis());
                upd.setLong(2, row.latencyMillis());
                upd.setString(3, row.eventId());
                upd.executeUpdate();
              }
            }
          }
          return null;
        });
  }

  private static void setNullableLong(PreparedStatement st, int index, Long value)
      throws SQLException {
    if (value == null) {
      st.setNull(index, java.sql.Types.BIGINT);
    } else {
      st.setLong(index, value);
    }
  }

  @Override
  public List<FreshnessRow> readFreshness(long publishedFromMillis) throws SQLException {
    String sql =
        "SELECT event_id, topic, source_partition, "
            + session.epochMillis("published_at")
            + ", "
            + session.epochMillis("queryable_at")
            + " FROM "
            + q(FRESHNESS_TABLE)
            + " WHERE published_at >= "
            + ts()
            + " ORDER BY published_at, event_id";
    try (PreparedStatement st = session.connection.prepareStatement(sql)) {
      st.setLong(1, publishedFromMillis);
      return CanaryTables.freshnessRows(st);
    }
  }
}
