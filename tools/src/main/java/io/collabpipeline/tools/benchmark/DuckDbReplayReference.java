package io.collabpipeline.tools.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The reference for the benchmark's replay mode: the same recompute as a raw-store replay, written
 * as plain SQL for an in-process DuckDB over the same raw Parquet files. Deduplicates by event id
 * (the earliest arrival, ties broken by the source coordinate, as {@code DedupByEventId}), leaves
 * the canaries out (workspace {@code 0}) and computes the nine metric windowings (three tables by
 * minute, hour and day, as {@code ComputeMetrics} with every event on time) into temporary tables,
 * so DuckDB computes every row. Written independently of the pipeline's code, from the metric
 * definitions: the benchmark times it and a test checks it gives the replay's rows.
 */
public final class DuckDbReplayReference {
  private DuckDbReplayReference() {}

  /** Result tables, in the order of {@link #statements}. */
  static final List<String> TABLES =
      List.of("ref_active_editors", "ref_task_update_velocity", "ref_notification_fanout");

  /** The Parquet files of the raw store under {@code prefix} (a local directory). */
  static String glob(String prefix) {
    String dir = prefix.endsWith("/") ? prefix : prefix + "/";
    return dir + "dt=*/hr=*/*.parquet";
  }

  /** The statements of the recompute over the raw store under {@code prefix}. */
  static List<String> statements(String prefix) {
    String files = "'" + glob(prefix).replace("'", "''") + "'";
    String editors =
        "('task.created','task.updated','task.completed','comment.added','comment.edited',"
            + "'project.member_added','project.member_removed')";
    String tasks = "('task.created','task.updated','task.completed','task.deleted')";
    // Every event once per granularity, with the start of its window (UTC epoch millis).
    String windowed =
        "(SELECT u.*, g.granularity, (u.occurred_ms // g.size_ms) * g.size_ms AS window_start,"
            + " g.size_ms FROM ref_unique u CROSS JOIN (VALUES ('minute', 60000::BIGINT),"
            + " ('hour', 3600000::BIGINT), ('day', 86400000::BIGINT)) g(granularity, size_ms))";
    List<String> s = new ArrayList<>();
    s.add(
        "CREATE OR REPLACE TEMP TABLE ref_unique AS SELECT event_type, epoch_ms(occurred_at) AS"
            + " occurred_ms, workspace_gid, actor_id, task_gid, trigger_event_id,"
            + " trigger_event_type FROM read_parquet("
            + files
            + ", hive_partitioning = false) QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER"
            + " BY received_at, source_kind, source_name, source_partition, source_offset) = 1"
            + " AND workspace_gid <> '0'");
    s.add(
        "CREATE OR REPLACE TEMP TABLE ref_active_editors AS SELECT window_start, granularity,"
            + " workspace_gid, COUNT(DISTINCT actor_id) AS active_editors FROM "
            + windowed
            + " WHERE event_type IN "
            + editors
            + " GROUP BY window_start, granularity, workspace_gid");
    s.add(
        "CREATE OR REPLACE TEMP TABLE ref_task_update_velocity AS SELECT window_start, granularity,"
            + " workspace_gid, COUNT(*) AS task_updates, COUNT(DISTINCT task_gid) AS tasks_touched,"
            + " COUNT(*) FILTER (WHERE event_type = 'task.completed') AS tasks_completed FROM "
            + windowed
            + " WHERE event_type IN "
            + tasks
            + " GROUP BY window_start, granularity, workspace_gid");
    s.add(
        "CREATE OR REPLACE TEMP TABLE ref_notification_fanout AS SELECT window_start, granularity,"
            + " workspace_gid, trigger_event_type, COUNT(*) AS trigger_events, SUM(n) AS"
            + " notifications, SUM(n) / COUNT(*) AS fanout_avg, MAX(n) AS fanout_max FROM (SELECT"
            + " window_start, granularity, workspace_gid, trigger_event_type, trigger_event_id,"
            + " COUNT(*) AS n FROM "
            + windowed
            + " WHERE event_type = 'notification.sent' AND trigger_event_id IS NOT NULL AND"
            + " trigger_event_type IS NOT NULL GROUP BY window_start, granularity, workspace_gid,"
            + " trigger_event_type, trigger_event_id) GROUP BY window_start, granularity,"
            + " workspace_gid, trigger_event_type");
    return s;
  }

  /**
   * Runs the recompute once on a fresh in-memory DuckDB limited to {@code threads} threads; returns
   * the seconds it took (reading the files included, connecting excluded).
   */
  static double time(String prefix, int threads) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("SET threads = " + threads);
      long started = System.nanoTime();
      for (String sql : statements(prefix)) {
        st.execute(sql);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long rows = 0;
      for (String t : TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
          rs.next();
          rows += rs.getLong(1);
        }
      }
      if (rows == 0) {
        throw new IllegalStateException("the DuckDB reference computed no rows over " + prefix);
      }
      return seconds;
    }
  }

  /**
   * The rows of the recompute, one line per row: {@code table|window_start|granularity|key
   * columns|value columns}, sorted; the form a test compares with the replay's committed rows.
   */
  static List<String> rows(String prefix, int threads) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("SET threads = " + threads);
      for (String sql : statements(prefix)) {
        st.execute(sql);
      }
      for (String t : TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + t)) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            StringBuilder line = new StringBuilder(t.substring("ref_".length()));
            for (int i = 1; i <= md.getColumnCount(); i++) {
              line.append('|').append(format(rs.getObject(i)));
            }
            out.add(line.toString());
          }
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** One value as {@link #rows} prints it: whole numbers as such, fractions with 6 decimals. */
  static String format(Object v) {
    if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
      return String.format(Locale.ROOT, "%.6f", ((Number) v).doubleValue());
    }
    if (v instanceof Number) {
      return Long.toString(((Number) v).longValue());
    }
    return String.valueOf(v);
  }
}
