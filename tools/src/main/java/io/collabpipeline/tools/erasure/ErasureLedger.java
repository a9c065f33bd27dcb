package io.collabpipeline.tools.erasure;

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
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The erasure ledger in the warehouse: {@value #TABLE}, one row per request (the dbt models drop
 * the rows of every {@code pseudonym} in it), and {@value #REMOVALS}, what each run removed per
 * target. Timestamps are UTC. Plain SQL that DuckDB and PostgreSQL both run; the Snowflake DDL is
 * in {@code snowflake/erasure.sql}.
 */
final class ErasureLedger {
  static final String TABLE = "erasure_ledger";
  static final String REMOVALS = "erasure_ledger_removals";

  /** The request id of a run's removals that belong to no single request (the quarantine's). */
  static final String RUN_WIDE = "*";

  /** How long after its request an erasure must be complete. */
  static final Duration DEADLINE = Duration.ofHours(72);

  private static final DateTimeFormatter SQL_TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  /** One row of the ledger. */
  static final class Request {
    final String requestId;
    final @Nullable String pseudonym;
    final @Nullable String keyIndex;
    final String source;
    final Instant requestedAt;
    final Instant filedAt;
    final Instant dueAt;
    final @Nullable Instant completedAt;

    Request(
        String requestId,
        @Nullable String pseudonym,
        @Nullable String keyIndex,
        String source,
        Instant requestedAt,
        Instant filedAt,
        @Nullable Instant completedAt) {
      this.requestId = requestId;
      this.pseudonym = pseudonym;
      this.keyIndex = keyIndex;
      this.source = source;
      this.requestedAt = requestedAt;
      this.filedAt = filedAt;
      this.dueAt = requestedAt.plus(DEADLINE);
      this.completedAt = completedAt;
    }

    boolean pending() {
      return completedAt == null;
    }
  }

  private final Connection c;

  ErasureLedger(Connection c) {
    this.c = c;
  }

  /** Creates both tables if missing. */
  void ensureTables() throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (request_id VARCHAR PRIMARY KEY, pseudonym VARCHAR, key_index VARCHAR,"
              + " source VARCHAR NOT NULL CHECK (source IN ('event', 'operator')),"
              + " requested_at TIMESTAMP NOT NULL, filed_at TIMESTAMP NOT NULL,"
              + " due_at TIMESTAMP NOT NULL, completed_at TIMESTAMP)");
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + REMOVALS
              + " (request_id VARCHAR NOT NULL, run_at TIMESTAMP NOT NULL,"
              + " target VARCHAR NOT NULL, rows_removed BIGINT NOT NULL)");
    }
  }

  /** Whether the ledger's tables exist (a dry run on a fresh warehouse creates nothing). */
  boolean exists() throws SQLException {
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = '"
                    + TABLE
                    + "'")) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }

  /** Every request, in filing order. */
  List<Request> all() throws SQLException {
    List<Request> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT request_id, pseudonym, key_index, source, CAST(requested_at AS VARCHAR),"
                    + " CAST(filed_at AS VARCHAR), CAST(completed_at AS VARCHAR) FROM "
                    + TABLE
                    + " ORDER BY filed_at, requested_at, request_id")) {
      while (rs.next()) {
        out.add(
            new Request(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                instant(rs.getString(5)),
                instant(rs.getString(6)),
                rs.getString(7) == null ? null : instant(rs.getString(7))));
      }
    }
    return out;
  }

  void file(Request r) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO "
                + TABLE
                + " (request_id, pseudonym, key_index, source, requested_at, filed_at, due_at,"
                + " completed_at) VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP),"
                + " CAST(? AS TIMESTAMP), NULL)")) {
      st.setString(1, r.requestId);
      st.setString(2, r.pseudonym);
      st.setString(3, r.keyIndex);
      st.setString(4, r.source);
      st.setString(5, ts(r.requestedAt));
      st.setString(6, ts(r.filedAt));
      st.setString(7, ts(r.dueAt));
      st.executeUpdate();
    }
  }

  /**
   * Marks {@code requestId} complete at {@code at} and forgets its key index: the index (the
   * global-key hash of the user id) next to the pseudonym would let a holder of the global key link
   * the user id to the raw history again.
   */
  void complete(String requestId, Instant at) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE "
                + TABLE
                + " SET completed_at = CAST(? AS TIMESTAMP), key_index = NULL WHERE request_id = ?")) {
      st.setString(1, ts(at));
      st.setString(2, requestId);
      st.executeUpdate();
    }
  }

  void recordRemoval(String requestId, Instant runAt, String target, long rows)
      throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement("INSERT INTO " + REMOVALS + " VALUES (?, CAST(? AS TIMESTAMP), ?, ?)")) {
      st.setString(1, requestId);
      st.setString(2, ts(runAt));
      st.setString(3, target);
      st.setLong(4, rows);
      st.executeUpdate();
    }
  }

  static String ts(Instant t) {
    return SQL_TS.format(t);
  }

  /** A TIMESTAMP cast to text by DuckDB or PostgreSQL ({@code 2026-11-02 10:00:00[.fff]}). */
  static Instant instant(String sqlText) {
    return LocalDateTime.parse(sqlText.trim().replace(' ', 'T')).toInstant(ZoneOffset.UTC);
  }
}
