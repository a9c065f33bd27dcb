package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.GENERATION;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.PANE_INDEX;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.allColumns;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.columnNames;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.count;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.names;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.rowAt;

import io.collabpipeline.model.CuratedTable;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@link ReplayStaging} on a JDBC warehouse: one staging table per replayed table ({@value
 * #STAGING_PREFIX}{@code <table>}, keyed by (generation, key)), written through {@link JdbcLoad};
 * the diff as one full outer join of the staged and stored rows in scope per table, streamed; and
 * the commit, in one {@link JdbcSession#write} transaction that takes the dialect's replay lock,
 * checks the generation log entry ({@link JdbcGenerationLog}, on the same connection) and the
 * fence, replaces the scope and marks the entry committed.
 */
final class JdbcReplayStaging implements ReplayStaging {
  /** The prefix of a curated table's replay staging table. */
  static final String STAGING_PREFIX = "replay_staging_";

  /** Rows fetched per round trip when a diff streams the differing rows. */
  private static final int DIFF_FETCH_SIZE = 1_000;

  private final JdbcSession session;
  private final JdbcGenerationLog log;

  JdbcReplayStaging(JdbcSession session, JdbcGenerationLog log) {
    this.session = session;
    this.log = log;
  }

  static String stagingTable(CuratedTable table) {
    return STAGING_PREFIX + table.tableName();
  }

  /** The DDL of the staging tables, in order; each statement is a no-op when its table exists. */
  static List<String> ddl(JdbcSession session) {
    List<String> ddl = new ArrayList<>();
    for (CuratedTable table : ReplayScope.TABLES) {
      ddl.add(createStagingTableSql(session, table));
    }
    return ddl;
  }

  /**
   * The replay staging table of a curated table: the same columns, keyed by (generation, key), as
   * its primary key where the session indexes it ({@link JdbcSession#stagingKeyIsIndexed}; the
   * staging writes keep one row per key either way). Non-key columns may be NULL here: a staging
   * table is a scratch area, and the curated table's constraints check what a commit writes.
   */
  private static String createStagingTableSql(JdbcSession session, CuratedTable table) {
    StringBuilder sql =
        new StringBuilder("CREATE TABLE IF NOT EXISTS ")
            .append(q(stagingTable(table)))
            .append(" (");
    for (CuratedTable.Column c : table.columns()) {
      sql.append(q(c.name()))
          .append(' ')
          .append(session.sqlType(c.type()))
          .append(c.isKey() ? " NOT NULL, " : ", ");
    }
    String bigint = session.sqlType(CuratedTable.ColumnType.LONG);
    sql.append(q(GENERATION)).append(' ').append(bigint).append(" NOT NULL, ");
    sql.append(q(PANE_INDEX)).append(' ').append(bigint).append(" NOT NULL");
    if (session.stagingKeyIsIndexed()) {
      sql.append(", PRIMARY KEY (")
          .append(q(GENERATION))
          .append(", ")
          .append(names(table.keyColumns(), ""))
          .append(')');
    }
    return sql.append(')').toString();
  }

  /** The predicate "window_start is in the scope". */
  private String inScope(ReplayScope scope) {
    return session.inScope("", scope);
  }

  // ---------------------------------------------------------------- stage

  @Override
  public void stage(List<VersionedRow> rows) throws SQLException {
    List<VersionedRow> replayed = new ArrayList<>(rows.size());
    for (VersionedRow row : rows) {
      if (ReplayScope.isReplayed(row.row().table())) {
        replayed.add(row);
      }
    }
    if (replayed.isEmpty()) {
      return;
    }
    Map<CuratedTable, List<VersionedRow>> byTable = JdbcLoad.newestPerKey(replayed, true);
    session.write(
        () -> {
          for (Map.Entry<CuratedTable, List<VersionedRow>> e : byTable.entrySet()) {
            CuratedTable table = e.getKey();
            List<String> keys = new ArrayList<>();
            keys.add(GENERATION);
            keys.addAll(columnNames(table.keyColumns()));
            JdbcLoad.loadAndWrite(session, table, e.getValue(), q(stagingTable(table)), keys);
          }
          return null;
        });
  }

  @Override
  public List<VersionedRow> readStaged(long generation, CuratedTable table) throws SQLException {
    if (!ReplayScope.isReplayed(table)) {
      return List.of();
    }
    return session.readRows(q(stagingTable(table)), table, q(GENERATION) + " = " + generation);
  }

  @Override
  public long countStaged(long generation) throws SQLException {
    return countStaged(session, generation);
  }

  /**
   * The staged rows of {@code generation} on {@code session}, over all tables (also for the
   * generation log).
   */
  static long countStaged(JdbcSession session, long generation) throws SQLException {
    long n = 0;
    try (Statement st = session.connection.createStatement()) {
      for (CuratedTable table : ReplayScope.TABLES) {
        n += count(st, q(stagingTable(table)), q(GENERATION) + " = " + generation);
      }
    }
    return n;
  }

  /** The newest stored generation in scope, or -1 if the scope holds no row. */
  private long newestGeneration(Statement st, CuratedTable table, ReplayScope scope)
      throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT max("
                + q(GENERATION)
                + ") FROM "
                + q(table.tableName())
                + " WHERE "
                + inScope(scope))) {
      rs.next();
      long newest = rs.getLong(1);
      return rs.wasNull() ? -1 : newest;
    }
  }

  // ---------------------------------------------------------------- diff

  @Override
  public WarehouseDiff diff(long generation, ReplayScope scope, int maxChangesPerTable)
      throws SQLException {
    if (maxChangesPerTable < 0) {
      throw new IllegalArgumentException(
          "maxChangesPerTable must be >= 0, got " + maxChangesPerTable);
    }
    return session.inTransaction(
        () -> {
          List<WarehouseDiff.TableDiff> tables = new ArrayList<>();
          for (CuratedTable table : ReplayScope.TABLES) {
            tables.add(diffTable(table, generation, scope, maxChangesPerTable));
          }
          return WarehouseDiff.of(generation, scope, tables);
        });
  }

  private WarehouseDiff.TableDiff diffTable(
      CuratedTable table, long generation, ReplayScope scope, int max) throws SQLException {
    String staged = q(stagingTable(table));
    String stored = q(table.tableName());
    String ofGeneration = q(GENERATION) + " = " + generation;
    long before;
    long after;
    long outside;
    long newest;
    try (Statement st = session.connection.createStatement()) {
      before = count(st, stored, inScope(scope));
      after = count(st, staged, ofGeneration + " AND " + inScope(scope));
      outside = count(st, staged, ofGeneration + " AND NOT " + inScope(scope));
      newest = newestGeneration(st, table, scope);
    }
    List<CuratedTable.Column> keys = table.keyColumns();
    String on =
        keys.stream()
            .map(c -> "s." + q(c.name()) + " = t." + q(c.name()))
            .collect(Collectors.joining(" AND "));
    List<String> differs = new ArrayList<>();
    differs.add("s." + q(keys.get(0).name()) + " IS NULL");
    differs.add("t." + q(keys.get(0).name()) + " IS NULL");
    for (CuratedTable.Column c : table.columns()) {
      if (!c.isKey()) {
        differs.add("s." + q(c.name()) + " IS DISTINCT FROM t." + q(c.name()));
      }
    }
    String sql =
        "SELECT s."
            + q(keys.get(0).name())
            + " IS NULL, t."
            + q(keys.get(0).name())
            + " IS NULL, "
            + session.selectMillis(table, "s.")
            + ", "
            + session.selectMillis(table, "t.")
            + " FROM (SELECT * FROM "
            + staged
            + " WHERE "
            + ofGeneration
            + " AND "
            + inScope(scope)
            + ") s FULL OUTER JOIN (SELECT * FROM "
            + stored
            + " WHERE "
            + inScope(scope)
            + ") t ON "
            + on
            + " WHERE "
            + String.join(" OR ", differs);
    DiffTally tally = new DiffTally(max);
    int width = table.columns().size();
    try (Statement st = session.connection.createStatement()) {
      st.setFetchSize(DIFF_FETCH_SIZE);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          boolean noStaged = rs.getBoolean(1);
          boolean noStored = rs.getBoolean(2);
          tally.add(
              noStored ? null : rowAt(rs, 3 + width, table), noStaged ? null : rowAt(rs, 3, table));
        }
      }
    }
    return tally.toTableDiff(table, before, after, outside, newest > generation ? newest : null);
  }

  // ---------------------------------------------------------------- commit

  @Override
  public ReplayCommit commitReplay(long generation, ReplayScope scope) throws SQLException {
    return session.write(
        () -> {
          Map<CuratedTable, Long> removed = new LinkedHashMap<>();
          Map<CuratedTable, Long> written = new LinkedHashMap<>();
          Map<CuratedTable, Long> outside = new LinkedHashMap<>();
          try (Statement st = session.connection.createStatement()) {
            session.lockForReplayCommit(st);
            GenerationLog.Entry entry =
                log.readEntry(generation)
                    .orElseThrow(
                        () ->
                            new IllegalStateException(
                                "cannot commit generation "
                                    + generation
                                    + ": it was never begun"
                                    + " (Warehouse.beginGeneration)"));
            if (entry.status() != GenerationLog.Status.RUNNING) {
              throw new IllegalStateException(
                  "cannot commit generation "
                      + generation
                      + ": its status is "
                      + entry.status().code()
                      + ", only a running generation can be committed");
            }
            if (entry.range() == null || !entry.range().contains(scope)) {
              throw new IllegalStateException(
                  "cannot commit generation "
                      + generation
                      + " for "
                      + scope
                      + ": it was begun for "
                      + (entry.range() == null ? "no date range" : entry.range().toString())
                      + ", and a commit may only replace windows the replay recomputed");
            }
            for (CuratedTable table : ReplayScope.TABLES) {
              long newest = newestGeneration(st, table, scope);
              if (newest > generation) {
                throw new GenerationFencedException(table, generation, newest, scope);
              }
            }
            long staged = countStaged(generation);
            for (CuratedTable table : ReplayScope.TABLES) {
              String stagingTable = q(stagingTable(table));
              String ofGeneration = q(GENERATION) + " = " + generation;
              String sameKey =
                  table.keyColumns().stream()
                      .map(
                          c ->
                              "s." + q(c.name()) + " = " + q(table.tableName()) + "." + q(c.name()))
                      .collect(Collectors.joining(" AND "));
              removed.put(
                  table,
                  (long)
                      st.executeUpdate(
                          "DELETE FROM "
                              + q(table.tableName())
                              + " WHERE "
                              + inScope(scope)
                              + " AND NOT EXISTS (SELECT 1 FROM "
                              + stagingTable
                              + " s WHERE s."
                              + q(GENERATION)
                              + " = "
                              + generation
                              + " AND "
                              + sameKey
                              + ")"));
              String select =
                  "SELECT "
                      + names(table.columns(), "")
                      + ", "
                      + q(GENERATION)
                      + ", "
                      + q(PANE_INDEX)
                      + " FROM "
                      + stagingTable
                      + " WHERE "
                      + ofGeneration
                      + " AND "
                      + inScope(scope);
              written.put(
                  table,
                  (long)
                      st.executeUpdate(
                          session.upsertSql(
                              q(table.tableName()),
                              allColumns(table),
                              columnNames(table.keyColumns()),
                              select,
                              false)));
              outside.put(
                  table,
                  (long)
                      st.executeUpdate(
                          "DELETE FROM "
                              + stagingTable
                              + " WHERE "
                              + ofGeneration
                              + " AND NOT "
                              + inScope(scope)));
              st.executeUpdate("DELETE FROM " + stagingTable + " WHERE " + ofGeneration);
            }
            // the replay recomputed every window of the range whole: none is due for correction
            st.executeUpdate(
                "DELETE FROM " + q(JdbcCuratedTables.CORRECTIONS_DUE) + " WHERE " + inScope(scope));
            long total = written.values().stream().mapToLong(Long::longValue).sum();
            log.finishEntry(generation, GenerationLog.Status.COMMITTED, staged, total);
          }
          return ReplayCommit.of(generation, scope, removed, written, outside);
        });
  }

  @Override
  public long discardStaged(long generation) throws SQLException {
    return session.write(
        () -> {
          long n = 0;
          try (Statement st = session.connection.createStatement()) {
            for (CuratedTable table : ReplayScope.TABLES) {
              n +=
                  st.executeUpdate(
                      "DELETE FROM "
                          + q(stagingTable(table))
                          + " WHERE "
                          + q(GENERATION)
                          + " = "
                          + generation);
            }
          }
          return n;
        });
  }
}
