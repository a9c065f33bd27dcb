package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.warehouse.DiffTally;
import io.collabpipeline.pipelines.warehouse.GenerationFencedException;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayCommit;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.ReplayStaging;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@link ReplayStaging} on Snowflake. A raw replay's Beam write COPYs its rows into the replay
 * stage tables ({@link SnowflakeSql#replayStageTable}, no key: the newest pane per key of a
 * generation counts); the diff is one full outer join of those and the stored rows of the scope per
 * table; the commit runs {@value SnowflakeSql#COMMIT_REPLAY_FILE} with its bind parameters, in one
 * transaction, after checking (in that transaction) what the file's first statement decides, so a
 * refusal says why: the entry must be running with a range containing the scope, and no stored row
 * of the scope may carry a newer generation ({@link GenerationFencedException}).
 *
 * <p>Concurrency: Snowflake has no lock statement. The file decides once (its first statement turns
 * the entry into {@code committing}), and its writes never replace or delete a row of a newer
 * generation, so a live stream of a newer generation writing into the range while the commit runs
 * keeps its rows; the range can then mix the two, which is why the README says to stop such a
 * stream first (the JDBC warehouses lock instead).
 */
final class SnowflakeReplayStaging implements ReplayStaging {
  /** Rows fetched per round trip when a diff streams the differing rows. */
  private static final int DIFF_FETCH_SIZE = 1_000;

  private final SnowflakeWarehouse warehouse;

  SnowflakeReplayStaging(SnowflakeWarehouse warehouse) {
    this.warehouse = warehouse;
  }

  /** A UTC instant as the text the window columns are compared with (and staged as). */
  static String utcText(long epochMillis) {
    return StagedRowCsvMapper.UTC_MILLIS.format(Instant.ofEpochMilli(epochMillis));
  }

  /** "{@code qualifier}window_start is in the scope", with the bounds as UTC literals. */
  private static String inScope(String qualifier, ReplayScope scope) {
    return qualifier
        + "window_start >= CAST('"
        + utcText(scope.startMillis())
        + "' AS TIMESTAMP) AND "
        + qualifier
        + "window_start < CAST('"
        + utcText(scope.endMillisExclusive())
        + "' AS TIMESTAMP)";
  }

  private static String keyNames(CuratedTable table) {
    return table.keyColumns().stream()
        .map(CuratedTable.Column::name)
        .collect(Collectors.joining(", "));
  }

  /**
   * The newest pane per key of a generation's staged rows of {@code table} matching {@code where}.
   */
  private static String newestStaged(CuratedTable table, long generation, String where) {
    String columns =
        table.columns().stream().map(CuratedTable.Column::name).collect(Collectors.joining(", "));
    return "SELECT "
        + columns
        + ", generation, pane_index FROM (SELECT staged.*, ROW_NUMBER() OVER (PARTITION BY "
        + keyNames(table)
        + " ORDER BY pane_index DESC) AS newest_first FROM "
        + SnowflakeSql.replayStageTable(table)
        + " AS staged WHERE staged.generation = "
        + generation
        + (where.isEmpty() ? "" : " AND " + where)
        + ") AS ranked WHERE newest_first = 1";
  }

  /** The columns of {@code table} under {@code qualifier}, timestamps as epoch milliseconds. */
  private static String selectValues(CuratedTable table, String qualifier) {
    return table.columns().stream()
        .map(
            c ->
                c.type() == CuratedTable.ColumnType.TIMESTAMP
                    ? SnowflakeGenerationLog.epochMillis(qualifier + c.name())
                    : qualifier + c.name())
        .collect(Collectors.joining(", "));
  }

  /** The row whose columns start at {@code first} (as {@link #selectValues} selects them). */
  private static CuratedRow rowAt(ResultSet rs, int first, CuratedTable table) throws SQLException {
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < table.columns().size(); i++) {
      switch (table.columns().get(i).type()) {
        case STRING:
          values.add(rs.getString(first + i));
          break;
        case DOUBLE:
          values.add(rs.getDouble(first + i));
          break;
        default:
          values.add(rs.getLong(first + i));
      }
    }
    return CuratedRow.of(table, values);
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---------------------------------------------------------------- stage

  /**
   * Inserts rows into the replay stage tables (the Beam write COPYs instead; this is for tools and
   * tests). Rows of tables a replay does not rewrite are skipped.
   */
  @Override
  public void stage(List<VersionedRow> rows) throws SQLException {
    Map<CuratedTable, List<VersionedRow>> byTable = new LinkedHashMap<>();
    for (VersionedRow row : rows) {
      if (ReplayScope.isReplayed(row.row().table())) {
        byTable.computeIfAbsent(row.row().table(), t -> new ArrayList<>()).add(row);
      }
    }
    if (byTable.isEmpty()) {
      return;
    }
    warehouse.inTransaction(
        c -> {
          for (Map.Entry<CuratedTable, List<VersionedRow>> e : byTable.entrySet()) {
            CuratedTable table = e.getKey();
            List<String> names = new ArrayList<>();
            List<String> markers = new ArrayList<>();
            for (CuratedTable.Column col : table.columns()) {
              names.add(col.name());
              markers.add(
                  col.type() == CuratedTable.ColumnType.TIMESTAMP ? "CAST(? AS TIMESTAMP)" : "?");
            }
            String sql =
                "INSERT INTO "
                    + SnowflakeSql.replayStageTable(table)
                    + " ("
                    + String.join(", ", names)
                    + ", generation, pane_index, seen_whole) VALUES ("
                    + String.join(", ", markers)
                    + ", ?, ?, TRUE)";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
              for (VersionedRow v : e.getValue()) {
                int i = 1;
                for (int k = 0; k < table.columns().size(); k++) {
                  Object value = v.row().values().get(k);
                  switch (table.columns().get(k).type()) {
                    case TIMESTAMP:
                      ps.setString(i++, utcText((Long) value));
                      break;
                    case STRING:
                      ps.setString(i++, (String) value);
                      break;
                    case DOUBLE:
                      ps.setDouble(i++, ((Number) value).doubleValue());
                      break;
                    default:
                      ps.setLong(i++, ((Number) value).longValue());
                  }
                }
                ps.setLong(i++, v.generation());
                ps.setLong(i, v.paneIndex());
                ps.addBatch();
              }
              ps.executeBatch();
            }
          }
          return null;
        });
  }

  @Override
  public List<VersionedRow> readStaged(long generation, CuratedTable table) throws SQLException {
    if (!ReplayScope.isReplayed(table)) {
      return List.of();
    }
    String sql =
        "SELECT "
            + selectValues(table, "s.")
            + ", s.generation, s.pane_index FROM ("
            + newestStaged(table, generation, "")
            + ") AS s ORDER BY "
            + table.keyColumns().stream()
                .map(c -> "s." + c.name())
                .collect(Collectors.joining(", "));
    return warehouse.inTransaction(
        c -> {
          List<VersionedRow> rows = new ArrayList<>();
          int n = table.columns().size();
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
              rows.add(VersionedRow.of(rowAt(rs, 1, table), rs.getLong(n + 1), rs.getLong(n + 2)));
            }
          }
          return rows;
        });
  }

  @Override
  public long countStaged(long generation) throws SQLException {
    return warehouse.inTransaction(c -> countStaged(c, generation));
  }

  /** The staged rows of {@code generation} over all replay stage tables, on {@code c}. */
  static long countStaged(Connection c, long generation) throws SQLException {
    long n = 0;
    for (CuratedTable table : ReplayScope.TABLES) {
      n +=
          count(
              c,
              "SELECT COUNT(*) FROM "
                  + SnowflakeSql.replayStageTable(table)
                  + " WHERE generation = "
                  + generation);
    }
    return n;
  }

  /** The newest stored generation in scope, or -1 if the scope holds no row. */
  private static long newestGeneration(Connection c, CuratedTable table, ReplayScope scope)
      throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT MAX(generation) FROM "
                    + table.tableName()
                    + " WHERE "
                    + inScope("", scope))) {
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
    return warehouse.inTransaction(
        c -> {
          List<WarehouseDiff.TableDiff> tables = new ArrayList<>();
          for (CuratedTable table : ReplayScope.TABLES) {
            tables.add(diffTable(c, table, generation, scope, maxChangesPerTable));
          }
          return WarehouseDiff.of(generation, scope, tables);
        });
  }

  private static WarehouseDiff.TableDiff diffTable(
      Connection c, CuratedTable table, long generation, ReplayScope scope, int max)
      throws SQLException {
    String stage = SnowflakeSql.replayStageTable(table);
    long before =
        count(c, "SELECT COUNT(*) FROM " + table.tableName() + " WHERE " + inScope("", scope));
    long after =
        count(
            c,
            "SELECT COUNT(*) FROM ("
                + newestStaged(table, generation, inScope("staged.", scope))
                + ") AS s");
    long outside =
        count(
            c,
            "SELECT COUNT(*) FROM ("
                + newestStaged(table, generation, "NOT (" + inScope("staged.", scope) + ")")
                + ") AS s");
    long newest = newestGeneration(c, table, scope);
    List<CuratedTable.Column> keys = table.keyColumns();
    String firstKey = keys.get(0).name();
    String on =
        keys.stream()
            .map(k -> "s." + k.name() + " = t." + k.name())
            .collect(Collectors.joining(" AND "));
    List<String> differs = new ArrayList<>();
    differs.add("s." + firstKey + " IS NULL");
    differs.add("t." + firstKey + " IS NULL");
    for (CuratedTable.Column col : table.columns()) {
      if (!col.isKey()) {
        differs.add("s." + col.name() + " IS DISTINCT FROM t." + col.name());
      }
    }
    String sql =
        "SELECT CASE WHEN s."
            + firstKey
            + " IS NULL THEN 1 ELSE 0 END, CASE WHEN t."
            + firstKey
            + " IS NULL THEN 1 ELSE 0 END, "
            + selectValues(table, "s.")
            + ", "
            + selectValues(table, "t.")
            + " FROM ("
            + newestStaged(table, generation, inScope("staged.", scope))
            + ") AS s FULL OUTER JOIN (SELECT * FROM "
            + table.tableName()
            + " WHERE "
            + inScope("", scope)
            + ") AS t ON "
            + on
            + " WHERE "
            + String.join(" OR ", differs);
    DiffTally tally = new DiffTally(max);
    int width = table.columns().size();
    try (Statement st = c.createStatement()) {
      st.setFetchSize(DIFF_FETCH_SIZE);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          boolean noStaged = rs.getInt(1) == 1;
          boolean noStored = rs.getInt(2) == 1;
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
    List<SnowflakeSql.Bound> script = SnowflakeSql.commitReplayStatements();
    return warehouse.inTransaction(
        c -> {
          GenerationLog.Entry entry =
              SnowflakeGenerationLog.readEntry(c, generation)
                  .orElseThrow(
                      () ->
                          new IllegalStateException(
                              "cannot commit generation " + generation + ": it was never begun"));
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
            long newest = newestGeneration(c, table, scope);
            if (newest > generation) {
              throw new GenerationFencedException(table, generation, newest, scope);
            }
          }
          Map<CuratedTable, Long> outside = new LinkedHashMap<>();
          for (CuratedTable table : ReplayScope.TABLES) {
            outside.put(
                table,
                count(
                    c,
                    "SELECT COUNT(*) FROM ("
                        + newestStaged(table, generation, "NOT (" + inScope("staged.", scope) + ")")
                        + ") AS s"));
          }
          Map<CuratedTable, Long> removed = new LinkedHashMap<>();
          Map<CuratedTable, Long> written = new LinkedHashMap<>();
          Map<String, Object> values =
              Map.of(
                  "generation", generation,
                  "scope_start", utcText(scope.startMillis()),
                  "scope_end", utcText(scope.endMillisExclusive()));
          boolean decided = false;
          // BEGIN and COMMIT are this connection's transaction (autocommit off): the caller
          // commits.
          for (SnowflakeSql.Bound statement : script.subList(1, script.size() - 1)) {
            int n;
            try (PreparedStatement ps = c.prepareStatement(statement.sql)) {
              for (int i = 0; i < statement.parameters.size(); i++) {
                Object v = values.get(statement.parameters.get(i));
                if (v instanceof Long) {
                  ps.setLong(i + 1, (Long) v);
                } else {
                  ps.setString(i + 1, (String) v);
                }
              }
              n = ps.executeUpdate();
            }
            String head = statement.sql.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
            if (head.startsWith(
                "update " + SnowflakeSql.GENERATIONS_TABLE + " set status = 'committing'")) {
              decided = n == 1;
              if (!decided) {
                throw new IllegalStateException(
                    SnowflakeSql.COMMIT_REPLAY_FILE
                        + " refused to commit generation "
                        + generation
                        + " for "
                        + scope
                        + ": its entry or the range changed while the commit ran; nothing was changed");
              }
            }
            for (CuratedTable table : ReplayScope.TABLES) {
              if (head.startsWith("delete from " + table.tableName() + " ")) {
                removed.merge(table, (long) n, Long::sum);
              } else if (head.startsWith("merge into " + table.tableName() + " ")) {
                written.merge(table, (long) n, Long::sum);
              }
            }
          }
          if (!decided) {
            throw new IllegalStateException(
                SnowflakeSql.COMMIT_REPLAY_FILE + " has no deciding statement");
          }
          return ReplayCommit.of(generation, scope, removed, written, outside);
        });
  }

  @Override
  public long discardStaged(long generation) throws SQLException {
    return warehouse.inTransaction(
        c -> {
          long n = 0;
          try (Statement st = c.createStatement()) {
            for (CuratedTable table : ReplayScope.TABLES) {
              n +=
                  st.executeUpdate(
                      "DELETE FROM "
                          + SnowflakeSql.replayStageTable(table)
                          + " WHERE generation = "
                          + generation);
            }
          }
          return n;
        });
  }
}
