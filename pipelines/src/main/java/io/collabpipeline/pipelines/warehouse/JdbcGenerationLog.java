package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;

import io.collabpipeline.model.CuratedTable;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The {@link GenerationLog} of a JDBC warehouse: the table {@value GenerationLog#TABLE}, written in
 * {@link JdbcSession#write} transactions. {@link JdbcReplayStaging#commitReplay} reads and finishes
 * an entry in its own transaction, on the same connection ({@link #readEntry}, {@link
 * #finishEntry}).
 */
final class JdbcGenerationLog implements GenerationLog {
  private final JdbcSession session;

  JdbcGenerationLog(JdbcSession session) {
    this.session = session;
  }

  /** The DDL of the log table; a no-op when it exists. */
  static List<String> ddl(JdbcSession session) {
    String ts = session.sqlType(CuratedTable.ColumnType.TIMESTAMP);
    String text = session.sqlType(CuratedTable.ColumnType.STRING);
    String bigint = session.sqlType(CuratedTable.ColumnType.LONG);
    return List.of(
        "CREATE TABLE IF NOT EXISTS "
            + q(TABLE)
            + " (generation "
            + bigint
            + " PRIMARY KEY, kind "
            + text
            + " NOT NULL, range_from DATE, range_to DATE, status "
            + text
            + " NOT NULL, started_at "
            + ts
            + " NOT NULL, finished_at "
            + ts
            + ", rows_staged "
            + bigint
            + ", rows_committed "
            + bigint
            + ")",
        "ALTER TABLE " + q(TABLE) + " ADD COLUMN IF NOT EXISTS seen_whole_from " + ts);
  }

  @Override
  public void recordSeenWholeFrom(long generation, java.time.Instant seenWholeFrom)
      throws SQLException {
    session.write(
        () -> {
          try (java.sql.PreparedStatement ps =
              session.connection.prepareStatement(
                  "UPDATE "
                      + q(TABLE)
                      + " SET seen_whole_from = "
                      + session.timestampOf("?")
                      + " WHERE generation = ?")) {
            ps.setLong(1, seenWholeFrom.toEpochMilli());
            ps.setLong(2, generation);
            if (ps.executeUpdate() != 1) {
              throw new IllegalStateException(
                  "cannot record seen_whole_from of generation "
                      + generation
                      + ": it was never begun");
            }
          }
          return null;
        });
  }

  @Override
  public Optional<java.time.Instant> seenWholeFrom(long generation) throws SQLException {
    try (java.sql.PreparedStatement ps =
        session.connection.prepareStatement(
            "SELECT "
                + session.epochMillis("seen_whole_from")
                + " FROM "
                + q(TABLE)
                + " WHERE generation = ? AND seen_whole_from IS NOT NULL")) {
      ps.setLong(1, generation);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(java.time.Instant.ofEpochMilli(rs.getLong(1)))
            : Optional.empty();
      }
    }
  }

  @Override
  public void begin(long generation, Kind kind, @Nullable ReplayScope range) throws SQLException {
    if (generation < 1) {
      throw new IllegalArgumentException("a generation must be positive, got " + generation);
    }
    session.write(
        () -> {
          Optional<Entry> existing = readEntry(generation);
          if (existing.isPresent() && existing.get().status() == Status.COMMITTED) {
            throw new IllegalStateException(
                "generation " + generation + " was committed already; start a new generation");
          }
          String sql =
              existing.isPresent()
                  ? "UPDATE "
                      + q(TABLE)
                      + " SET kind = ?, range_from = CAST(? AS DATE),"
                      + " range_to = CAST(? AS DATE), status = ?, started_at = "
                      + session.timestampOf("?")
                      + ", finished_at = NULL, rows_staged = NULL, rows_committed = NULL WHERE generation = ?"
                  : "INSERT INTO "
                      + q(TABLE)
                      + " (kind, range_from, range_to, status, started_at,"
                      + " generation) VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?, "
                      + session.timestampOf("?")
                      + ", ?)";
          try (PreparedStatement ps = session.connection.prepareStatement(sql)) {
            ps.setString(1, kind.code());
            ps.setString(2, range == null ? null : range.from().toString());
            ps.setString(3, range == null ? null : range.to().toString());
            ps.setString(4, Status.RUNNING.code());
            ps.setLong(5, System.currentTimeMillis());
            ps.setLong(6, generation);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void markCommitted(long generation) throws SQLException {
    session.write(
        () -> {
          Entry entry = requireRunning(generation, Status.COMMITTED);
          if (entry.kind() == Kind.REPLAY || entry.kind() == Kind.CORRECTION) {
            throw new IllegalStateException(
                "generation "
                    + generation
                    + " is a "
                    + entry.kind().code()
                    + ": it is committed by Warehouse.commitReplay, which replaces its windows");
          }
          finishEntry(generation, Status.COMMITTED, null, null);
          return null;
        });
  }

  @Override
  public void markDryRun(long generation) throws SQLException {
    session.write(
        () -> {
          requireRunning(generation, Status.DRY_RUN);
          finishEntry(
              generation, Status.DRY_RUN, JdbcReplayStaging.countStaged(session, generation), null);
          return null;
        });
  }

  @Override
  public boolean markFailed(long generation) throws SQLException {
    return session.write(
        () -> {
          Optional<Entry> entry = readEntry(generation);
          if (entry.isEmpty() || entry.get().status() == Status.COMMITTED) {
            return false;
          }
          finishEntry(
              generation, Status.FAILED, JdbcReplayStaging.countStaged(session, generation), null);
          return true;
        });
  }

  private Entry requireRunning(long generation, Status target) throws SQLException {
    return GenerationLog.requireRunning(readEntry(generation), generation, target);
  }

  /** Finishes the entry of {@code generation} with {@code status}, in the caller's transaction. */
  void finishEntry(
      long generation, Status status, @Nullable Long rowsStaged, @Nullable Long rowsCommitted)
      throws SQLException {
    try (PreparedStatement ps =
        session.connection.prepareStatement(
            "UPDATE "
                + q(TABLE)
                + " SET status = ?, finished_at = "
                + session.timestampOf("?")
                + ", rows_staged = ?, rows_committed = ? WHERE generation = ?")) {
      ps.setString(1, status.code());
      ps.setLong(2, System.currentTimeMillis());
      setNullableLong(ps, 3, rowsStaged);
      setNullableLong(ps, 4, rowsCommitted);
      ps.setLong(5, generation);
      ps.executeUpdate();
    }
  }

  private static void setNullableLong(PreparedStatement ps, int index, @Nullable Long value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, java.sql.Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  @Override
  public Optional<Entry> entry(long generation) throws SQLException {
    return readEntry(generation);
  }

  @Override
  public List<Entry> entries() throws SQLException {
    return readEntries(null);
  }

  /** The entry of {@code generation}, read in the caller's transaction. */
  Optional<Entry> readEntry(long generation) throws SQLException {
    List<Entry> entries = readEntries(generation);
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(0));
  }

  private List<Entry> readEntries(@Nullable Long generation) throws SQLException {
    String sql =
        "SELECT generation, kind, CAST(range_from AS VARCHAR), CAST(range_to AS VARCHAR), status, "
            + session.epochMillis("started_at")
            + ", "
            + session.epochMillis("finished_at")
            + ", rows_staged, rows_committed FROM "
            + q(TABLE)
            + (generation == null ? "" : " WHERE generation = " + generation)
            + " ORDER BY generation";
    List<Entry> entries = new ArrayList<>();
    try (Statement st = session.connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        long finished = rs.getLong(7);
        Instant finishedAt = rs.wasNull() ? null : Instant.ofEpochMilli(finished);
        long staged = rs.getLong(8);
        Long rowsStaged = rs.wasNull() ? null : staged;
        long committed = rs.getLong(9);
        Long rowsCommitted = rs.wasNull() ? null : committed;
        entries.add(
            Entry.of(
                rs.getLong(1),
                Kind.fromCode(rs.getString(2)),
                range(rs.getString(3), rs.getString(4)),
                Status.fromCode(rs.getString(5)),
                Instant.ofEpochMilli(rs.getLong(6)),
                finishedAt,
                rowsStaged,
                rowsCommitted));
      }
    }
    return entries;
  }

  private static @Nullable ReplayScope range(@Nullable String from, @Nullable String to) {
    return from == null || to == null
        ? null
        : ReplayScope.of(LocalDate.parse(from), LocalDate.parse(to));
  }
}
