package io.collabpipeline.monitoring;

import io.collabpipeline.pipelines.warehouse.WarehouseConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Series only the warehouse can give, read on each scrape: the completeness identity of the hours
 * that have closed (per hour only the rows of its newest generation, as the README says a dashboard
 * must read them), so an alert fires on a gap in the curated output itself, whatever the job's
 * counters say. DuckDB is opened read-only (it refuses a second process while the job writes it);
 * PostgreSQL and Snowflake take concurrent readers ({@link WarehouseConnections}).
 */
final class WarehouseSeries {
  static final String UNACCOUNTED = "collab_completeness_unaccounted_events";
  static final String UNWRITTEN = "collab_completeness_unwritten_events";
  static final String HOURS = "collab_completeness_closed_hours";
  static final String NEWEST = "collab_completeness_newest_hour_timestamp_seconds";
  static final String STAGE_EVENTS = "collab_completeness_closed_hours_events";
  static final String AUDIT_LOST = "collab_audit_lost_events";
  static final String AUDIT_LAST = "collab_audit_last_run_timestamp_seconds";

  private static final DateTimeFormatter SQL_TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final WarehouseConnections.Source warehouse;
  private final Duration lookback;
  private final Duration grace;

  /**
   * @param lookback how many hours back closed hours are checked
   * @param grace how long after its end an hour is still open (late records, early-firing delay,
   *     the warehouse write): its counts are not checked yet
   */
  WarehouseSeries(WarehouseConnections.Source warehouse, Duration lookback, Duration grace) {
    this.warehouse = warehouse;
    this.lookback = lookback;
    this.grace = grace;
  }

  void collect(PromText out, Instant now) throws SQLException {
    Instant closedBefore = now.minus(grace).minus(Duration.ofHours(1));
    Instant from = now.minus(lookback).truncatedTo(ChronoUnit.HOURS);
    Map<Instant, Map<String, Long>> hours = new TreeMap<>();
    Instant newest = null;
    Long auditLost = null;
    long auditId = 0;
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT CAST(c.window_start AS VARCHAR), c.stage, c.events"
                    + " FROM pipeline_completeness c JOIN ("
                    + "   SELECT window_start, max(generation) AS g FROM pipeline_completeness"
                    + "   WHERE granularity = 'hour' AND window_start >= CAST(? AS TIMESTAMP)"
                    + "   GROUP BY window_start) n"
                    + " ON c.window_start = n.window_start AND c.generation = n.g"
                    + " WHERE c.granularity = 'hour'")) {
      st.setString(1, SQL_TS.format(LocalDateTime.ofInstant(from, ZoneOffset.UTC)));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          Instant hour = parse(rs.getString(1));
          newest = newest == null || hour.isAfter(newest) ? hour : newest;
          if (hour.isBefore(closedBefore)) {
            hours
                .computeIfAbsent(hour, h -> new HashMap<>())
                .merge(rs.getString(2), rs.getLong(3), Long::sum);
          }
        }
      }
      if (hasTable(c, "pipeline_audit")) {
        try (Statement audit = c.createStatement();
            ResultSet rs =
                audit.executeQuery(
                    "SELECT audit_id, lost FROM pipeline_audit WHERE source_kind = '*'"
                        + " ORDER BY audit_id DESC LIMIT 1")) {
          if (rs.next()) {
            auditId = rs.getLong(1);
            auditLost = rs.getLong(2);
          }
        }
      }
    }
    long unaccounted = 0;
    long unwritten = 0;
    Map<String, Long> byStage = new TreeMap<>();
    for (Map<String, Long> stages : hours.values()) {
      long received = stages.getOrDefault("received", 0L);
      long sorted =
          stages.getOrDefault("quarantined", 0L)
              + stages.getOrDefault("duplicate", 0L)
              + stages.getOrDefault("accepted", 0L);
      unaccounted += Math.abs(received - sorted);
      unwritten +=
          Math.max(0, stages.getOrDefault("accepted", 0L) - stages.getOrDefault("raw_written", 0L));
      stages.forEach((stage, n) -> byStage.merge(stage, n, Long::sum));
    }
    out.family(
        UNACCOUNTED,
        "gauge",
        "Over the closed hours of the lookback: sum of |received - (quarantined + duplicate +"
            + " accepted)| per hour (pipeline_completeness, newest generation per hour). Must be 0.");
    out.sample(UNACCOUNTED, unaccounted);
    out.family(
        UNWRITTEN,
        "gauge",
        "Over the closed hours of the lookback: accepted events not (yet) counted raw_written.");
    out.sample(UNWRITTEN, unwritten);
    out.family(HOURS, "gauge", "Closed hours of the lookback that hold completeness rows.");
    out.sample(HOURS, hours.size());
    out.family(
        STAGE_EVENTS,
        "gauge",
        "Events per completeness stage over the closed hours of the lookback.");
    byStage.forEach((stage, n) -> out.sample(STAGE_EVENTS, n, "stage", stage));
    out.family(NEWEST, "gauge", "Start of the newest hour with completeness rows (epoch seconds).");
    if (newest != null) {
      out.sample(NEWEST, newest.getEpochSecond());
    }
    if (auditLost != null) {
      out.family(
          AUDIT_LOST,
          "gauge",
          "Source offsets the last lost-event audit (bin/collab-audit, pipeline_audit) found neither"
              + " raw-written, quarantined nor duplicate.");
      out.sample(AUDIT_LOST, auditLost);
      out.family(AUDIT_LAST, "gauge", "When the last lost-event audit ran (epoch seconds).");
      out.sample(AUDIT_LAST, auditId / 1000);
    }
  }

  private static boolean hasTable(Connection c, String table) throws SQLException {
    return WarehouseConnections.hasTable(c, table);
  }

  private Connection connect() throws SQLException {
    return warehouse.open();
  }

  static Instant parse(String sqlTimestamp) {
    String s = sqlTimestamp.length() > 19 ? sqlTimestamp.substring(0, 19) : sqlTimestamp;
    return LocalDateTime.parse(s.replace('T', ' '), SQL_TS).toInstant(ZoneOffset.UTC);
  }
}
