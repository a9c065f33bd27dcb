package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The {@link GenerationLog} of Snowflake: the table {@value SnowflakeSql#GENERATIONS_TABLE} of
 * 02_curated_tables.sql, with the same rules as on the JDBC warehouses. A replay's entry is
 * committed only by {@value SnowflakeSql#COMMIT_REPLAY_FILE}. Instants are written with {@code
 * CURRENT_TIMESTAMP} or as UTC text with an explicit offset, and read back as epoch seconds (the
 * log needs no finer precision).
 */
final class SnowflakeGenerationLog implements GenerationLog {
  private static final String T = SnowflakeSql.GENERATIONS_TABLE;

  private final SnowflakeWarehouse warehouse;

  SnowflakeGenerationLog(SnowflakeWarehouse warehouse) {
    this.warehouse = warehouse;
  }

  /** Epoch milliseconds of a timestamp column, in SQL Snowflake and PostgreSQL both accept. */
  static String epochMillis(String column) {
    return "CAST(EXTRACT(EPOCH FROM " + column + ") * 1000 AS BIGINT)";
  }

  @Override
  public void begin(long generation, Kind kind, @Nullable ReplayScope range) throws SQLException {
    if (generation < 1) {
      throw new IllegalArgumentException("a generation must be positive, got " + generation);
    }
    warehouse.inTransaction(
        c -> {
          Optional<Entry> existing = readEntry(c, generation);
          if (existing.isPresent() && existing.get().status() == Status.COMMITTED) {
            throw new IllegalStateException(
                "generation " + generation + " was committed already; start a new generation");
          }
          String sql =
              existing.isPresent()
                  ? "UPDATE "
                      + T
                      + " SET kind = ?, range_from = CAST(? AS DATE), range_to = CAST(? AS DATE),"
                      + " status = ?, started_at = CURRENT_TIMESTAMP, finished_at = NULL,"
                      + " rows_staged = NULL, rows_committed = NULL WHERE generation = ?"
                  : "INSERT INTO "
                      + T
                      + " (kind, range_from, range_to, status, started_at, generation)"
                      + " VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?, CURRENT_TIMESTAMP, ?)";
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, kind.code());
            setNullableString(ps, 2, range == null ? null : range.from().toString());
            setNullableString(ps, 3, range == null ? null : range.to().toString());
            ps.setString(4, Status.RUNNING.code());
            ps.setLong(5, generation);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void markCommitted(long generation) throws SQLException {
    warehouse.inTransaction(
        c -> {
          Entry entry = requireRunning(c, generation, Status.COMMITTED);
          if (entry.kind() == Kind.REPLAY || entry.kind() == Kind.CORRECTION) {
            throw new IllegalStateException(
                "generation "
                    + generation
                    + " is a "
                    + entry.kind().code()
                    + ": it is committed by "
                    + SnowflakeSql.COMMIT_REPLAY_FILE
                    + ", which replaces its windows");
          }
          finish(c, generation, Status.COMMITTED, null);
          return null;
        });
  }

  @Override
  public void markDryRun(long generation) throws SQLException {
    warehouse.inTransaction(
        c -> {
          requireRunning(c, generation, Status.DRY_RUN);
          finish(c, generation, Status.DRY_RUN, SnowflakeReplayStaging.countStaged(c, generation));
          return null;
        });
  }

  @Override
  public boolean markFailed(long generation) throws SQLException {
    return warehouse.inTransaction(
        c -> {
          Optional<Entry> entry = readEntry(c, generation);
          if (entry.isEmpty() || entry.get().status() == Status.COMMITTED) {
            return false;
          }
          finish(c, generation, Status.FAILED, SnowflakeReplayStaging.countStaged(c, generation));
          return true;
        });
  }

  @Override
  public void recordSeenWholeFrom(long generation, Instant seenWholeFrom) throws SQLException {
    warehouse.inTransaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE "
                      + T
                      + " SET seen_whole_from = CAST(? AS TIMESTAMP WITH TIME ZONE)"
                      + " WHERE generation = ?")) {
            ps.setString(1, StagedRowCsvMapper.UTC_MILLIS.format(seenWholeFrom) + " +00:00");
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
  public Optional<Instant> seenWholeFrom(long generation) throws SQLException {
    return warehouse.inTransaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + epochMillis("seen_whole_from")
                      + " FROM "
                      + T
                      + " WHERE generation = ? AND seen_whole_from IS NOT NULL")) {
            ps.setLong(1, generation);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next()
                  ? Optional.of(Instant.ofEpochMilli(rs.getLong(1)))
                  : Optional.empty();
            }
          }
        });
  }

  @Override
  public Optional<Entry> entry(long generation) throws SQLException {
    return warehouse.inTransaction(c -> readEntry(c, generation));
  }

  @Override
  public List<Entry> entries() throws SQLException {
    return warehouse.inTransaction(c -> readEntries(c, null));
  }

  private static Entry requireRunning(Connection c, long generation, Status target)
      throws SQLException {
    return GenerationLog.requireRunning(readEntry(c, generation), generation, target);
  }

  private static void finish(
      Connection c, long generation, Status status, @Nullable Long rowsStaged) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE "
                + T
                + " SET status = ?, finished_at = CURRENT_TIMESTAMP, rows_staged = ?,"
                + " rows_committed = NULL WHERE generation = ?")) {
      ps.setString(1, status.code());
      if (rowsStaged == null) {
        ps.setNull(2, Types.BIGINT);
      } else {
        ps.setLong(2, rowsStaged);
      }
      ps.setLong(3, generation);
      ps.executeUpdate();
    }
  }

  static Optional<Entry> readEntry(Connection c, long generation) throws SQLException {
    List<Entry> entries = readEntries(c, generation);
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(0));
  }

  private static List<Entry> readEntries(Connection c, @Nullable Long generation)
      throws SQLException {
    String sql =
        "SELECT generation, kind, CAST(range_from AS VARCHAR), CAST(range_to AS VARCHAR), status, "
            + epochMillis("started_at")
            + ", "
            + epochMillis("finished_at")
            + ", rows_staged, rows_committed FROM "
            + T
            + (generation == null ? "" : " WHERE generation = ?")
            + " ORDER BY generation";
    List<Entry> entries = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (generation != null) {
        ps.setLong(1, generation);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long finished = rs.getLong(7);
          Instant finishedAt = rs.wasNull() ? null : Instant.ofEpochMilli(finished);
          long staged = rs.getLong(8);
          Long rowsStaged = rs.wasNull() ? null : staged;
          long committed = rs.getLong(9);
          Long rowsCommitted = rs.wasNull() ? null : committed;
          String from = rs.getString(3);
          String to = rs.getString(4);
          entries.add(
              Entry.of(
                  rs.getLong(1),
                  Kind.fromCode(rs.getString(2)),
                  from == null || to == null
                      ? null
                      : ReplayScope.of(LocalDate.parse(from), LocalDate.parse(to)),
                  Status.fromCode(rs.getString(5)),
                  Instant.ofEpochMilli(rs.getLong(6)),
                  finishedAt,
                  rowsStaged,
                  rowsCommitted));
        }
      }
    }
    return entries;
  }

  private static void setNullableString(PreparedStatement ps, int index, @Nullable String value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.VARCHAR);
    } else {
      ps.setString(index, value);
    }
  }
}
