package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.GENERATION;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.PANE_INDEX;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.allColumns;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;

import io.collabpipeline.model.CuratedTable;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The bulk write the JDBC warehouses share for live upserts ({@link JdbcCuratedTables}) and replay
 * staging ({@link JdbcReplayStaging}): the batch de-duplicated by key and version, loaded into a
 * temporary load table ({@link JdbcSession#fillLoadTable}: multi-row prepared inserts, on DuckDB
 * its appender), and written into its target with ONE fenced set-based statement per table.
 * Row-by-row upserts are orders of magnitude slower. A streaming job flushes at the end of every
 * bundle (at most 250 records or 1 s), and creating, filling, reading and dropping a load table for
 * each took four statements per table and flush, two of them DDL. So a batch with no partial
 * windows takes a shorter way, as the dialect says ({@link JdbcSession#keepsLoadTables}):
 *
 * <ul>
 *   <li>DuckDB: through a load table the session keeps per target and table, filled by the
 *       appender, written and emptied by two statements prepared once ({@link
 *       #writeThroughKeptLoad});
 *   <li>PostgreSQL: a table's rows of a small batch (at most {@value #INSERT_CHUNK_ROWS}) are
 *       written by the fenced statement alone, reading them from a VALUES list of bound parameters.
 * </ul>
 */
final class JdbcLoad {
  /** Rows per multi-row INSERT into a load table (well below any driver's bind-parameter limit). */
  private static final int INSERT_CHUNK_ROWS = 500;

  private JdbcLoad() {}

  /**
   * The rows of a batch grouped by table, tables in a fixed order and only those with rows, keeping
   * per key (and per generation if {@code perGeneration}) the row of the greatest (generation, pane
   * index), the later one on ties: a set-based write must not touch one key twice.
   */
  static Map<CuratedTable, List<VersionedRow>> newestPerKey(
      List<VersionedRow> rows, boolean perGeneration) {
    Map<CuratedTable, Map<List<Object>, VersionedRow>> byTable = new LinkedHashMap<>();
    for (CuratedTable t : CuratedTable.values()) {
      byTable.put(t, new LinkedHashMap<>());
    }
    for (VersionedRow row : rows) {
      List<Object> key = new ArrayList<>(row.row().key());
      if (perGeneration) {
        key.add(row.generation());
      }
      Map<List<Object>, VersionedRow> table = byTable.get(row.row().table());
      VersionedRow seen = table.get(key);
      if (seen == null || row.isAtLeast(seen.generation(), seen.paneIndex())) {
        table.put(key, row);
      }
    }
    Map<CuratedTable, List<VersionedRow>> out = new LinkedHashMap<>();
    for (Map.Entry<CuratedTable, Map<List<Object>, VersionedRow>> e : byTable.entrySet()) {
      if (!e.getValue().isEmpty()) {
        out.put(e.getKey(), new ArrayList<>(e.getValue().values()));
      }
    }
    return out;
  }

  /**
   * Bulk-loads rows into a temporary load table (a small batch: a VALUES list) and writes them into
   * {@code target} with one fenced statement, on {@code session}'s connection, inside the caller's
   * transaction.
   */
  static void loadAndWrite(
      JdbcSession session,
      CuratedTable table,
      List<VersionedRow> rows,
      String target,
      List<String> conflictKeys)
      throws SQLException {
    loadAndWrite(session, table, rows, target, conflictKeys, null);
  }

  /**
   * {@link #loadAndWrite} for a stream that did not see the windows starting before {@code
   * partialBeforeMillis} whole (null: it saw every window whole). Before the fenced statement, in
   * the same transaction and set-based: the metric windows of the batch below the bound are
   * recorded in {@code pipeline_corrections_due} (insert, ignoring those recorded already), and the
   * batch's rows below the bound whose key holds a stored row of another generation are removed
   * from the load table, so a partial count replaces only its own generation's rows (or inserts).
   * With no bound and at most {@value #INSERT_CHUNK_ROWS} rows, the fenced statement reads the rows
   * from a VALUES list under the load table's name and columns, and no load table is made.
   */
  static void loadAndWrite(
      JdbcSession session,
      CuratedTable table,
      List<VersionedRow> rows,
      String target,
      List<String> conflictKeys,
      @Nullable Long partialBeforeMillis)
      throws SQLException {
    if (partialBeforeMillis == null && session.keepsLoadTables()) {
      writeThroughKeptLoad(session, table, rows, target, conflictKeys);
      return;
    }
    String loadName = "load_" + table.tableName();
    String load = q(loadName);
    if (partialBeforeMillis == null && rows.size() <= INSERT_CHUNK_ROWS) {
      String sql =
          session.upsertSql(
              target,
              allColumns(table),
              conflictKeys,
              loadSelect(session, table, valuesRelation(session, table, rows.size(), load)),
              true);
      try (PreparedStatement ps = session.connection.prepareStatement(sql)) {
        bindRows(ps, table, rows, 0, rows.size());
        ps.executeUpdate();
      }
      return;
    }
    try (Statement st = session.connection.createStatement()) {
      st.execute(session.createLoadTableSql(load, loadColumns(session, table)));
      session.fillLoadTable(loadName, table, rows);
      if (partialBeforeMillis != null) {
        String partial = load + "." + q("window_start") + " < " + partialBeforeMillis;
        if (table != CuratedTable.PIPELINE_COMPLETENESS) {
          st.execute(recordDueSql(session, load, partial));
        }
        st.execute(
            "DELETE FROM "
                + load
                + " WHERE "
                + partial
                + " AND EXISTS (SELECT 1 FROM "
                + target
                + " t WHERE "
                + sameKey(session, table, load)
                + " AND t."
                + q(GENERATION)
                + " <> "
                + load
                + "."
                + q(GENERATION)
                + ")");
      }
      st.execute(
          session.upsertSql(
              target, allColumns(table), conflictKeys, loadSelect(session, table, load), true));
      st.execute("DROP TABLE " + load);
    }
  }

  /**
   * The write of a batch without partial windows through the load table {@code session} keeps for
   * {@code target} and {@code table} ({@link JdbcSession#keepsLoadTables}): filled ({@link
   * JdbcSession#fillLoadTable}, DuckDB's appender), written into the target by the fenced statement
   * prepared when the table was made, and emptied by the prepared DELETE, all in the caller's
   * transaction. DuckDB planned the VALUES statement of every batch anew: in a streaming run that
   * flushes at the end of every bundle, preparing took more of the writer's time than writing.
   */
  private static void writeThroughKeptLoad(
      JdbcSession session,
      CuratedTable table,
      List<VersionedRow> rows,
      String target,
      List<String> conflictKeys)
      throws SQLException {
    JdbcSession.KeptLoad kept = session.keptLoad(target);
    if (kept == null) {
      // One target holds one table's rows: the load table is named after it.
      String name = "kept_load_" + target.replace("\"", "");
      try (Statement st = session.connection.createStatement()) {
        st.execute(
            "CREATE TEMP TABLE IF NOT EXISTS " + q(name) + " " + loadColumns(session, table));
      }
      kept =
          new JdbcSession.KeptLoad(
              name,
              session.connection.prepareStatement(
                  session.upsertSql(
                      target,
                      allColumns(table),
                      conflictKeys,
                      loadSelect(session, table, q(name)),
                      true)),
              session.connection.prepareStatement("DELETE FROM " + q(name)));
      // Empty whatever a forgotten table was left holding, before it is written again.
      kept.empty.executeUpdate();
      session.keepLoad(target, kept);
    }
    session.fillLoadTable(kept.name, table, rows);
    kept.write.executeUpdate();
    kept.empty.executeUpdate();
  }

  /**
   * INSERT of the distinct (window_start, granularity, generation) of the load table's rows that
   * satisfy {@code partial} into {@code pipeline_corrections_due}; a window recorded already is
   * left as it is (same statement on DuckDB and PostgreSQL).
   */
  private static String recordDueSql(JdbcSession session, String load, String partial) {
    return "INSERT INTO "
        + q(JdbcCuratedTables.CORRECTIONS_DUE)
        + " (window_start, granularity, generation, recorded_at) SELECT DISTINCT "
        + session.timestampOf(load + "." + q("window_start"))
        + ", "
        + load
        + "."
        + q("granularity")
        + ", "
        + load
        + "."
        + q(GENERATION)
        + ", "
        + session.timestampOf(Long.toString(System.currentTimeMillis()))
        + " FROM "
        + load
        + " WHERE "
        + partial
        + " ON CONFLICT DO NOTHING";
  }

  /**
   * The key columns of the stored row {@code t} equal to those of the load table row (timestamps
   * converted from the load table's epoch milliseconds).
   */
  private static String sameKey(JdbcSession session, CuratedTable table, String load) {
    return table.keyColumns().stream()
        .map(
            c ->
                "t."
                    + q(c.name())
                    + " = "
                    + (c.type() == CuratedTable.ColumnType.TIMESTAMP
                        ? session.timestampOf(load + "." + q(c.name()))
                        : load + "." + q(c.name())))
        .collect(Collectors.joining(" AND "));
  }

  /**
   * The column list of a load table for {@code table}: timestamps travel as epoch milliseconds
   * (BIGINT) and become timestamps in the statement that reads the load table; the version columns
   * last.
   */
  private static String loadColumns(JdbcSession session, CuratedTable table) {
    StringBuilder ddl = new StringBuilder("(");
    for (CuratedTable.Column c : table.columns()) {
      ddl.append(q(c.name())).append(' ').append(loadType(session, c)).append(", ");
    }
    return ddl.append(q(GENERATION))
        .append(" BIGINT, ")
        .append(q(PANE_INDEX))
        .append(" BIGINT)")
        .toString();
  }

  /** A column's type in a load table: BIGINT epoch milliseconds for a timestamp. */
  private static String loadType(JdbcSession session, CuratedTable.Column c) {
    return c.type() == CuratedTable.ColumnType.TIMESTAMP ? "BIGINT" : session.sqlType(c.type());
  }

  /**
   * SELECT over a load table yielding the curated columns, timestamps converted, then the version
   * columns.
   */
  private static String loadSelect(JdbcSession session, CuratedTable table, String load) {
    String columns =
        table.columns().stream()
            .map(
                c ->
                    c.type() == CuratedTable.ColumnType.TIMESTAMP
                        ? session.timestampOf(q(c.name())) + " AS " + q(c.name())
                        : q(c.name()))
            .collect(Collectors.joining(", "));
    return "SELECT " + columns + ", " + q(GENERATION) + ", " + q(PANE_INDEX) + " FROM " + load;
  }

  /**
   * A relation of {@code rows} rows of bound parameters with the load table's columns and name
   * ({@link #loadColumns}: timestamps as epoch milliseconds, the version columns last), each
   * parameter cast to its column's type so that neither dialect has to infer it.
   */
  private static String valuesRelation(
      JdbcSession session, CuratedTable table, int rows, String name) {
    List<String> params = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (CuratedTable.Column c : table.columns()) {
      params.add("CAST(? AS " + loadType(session, c) + ")");
      names.add(q(c.name()));
    }
    params.add("CAST(? AS BIGINT)");
    names.add(q(GENERATION));
    params.add("CAST(? AS BIGINT)");
    names.add(q(PANE_INDEX));
    String tuple = "(" + String.join(", ", params) + ")";
    return "(VALUES "
        + String.join(", ", Collections.nCopies(rows, tuple))
        + ") AS "
        + name
        + " ("
        + String.join(", ", names)
        + ")";
  }

  /**
   * Loads {@code rows} into the load table, timestamps as epoch milliseconds, in multi-row inserts.
   */
  static void insertChunks(
      JdbcSession session, String load, CuratedTable table, List<VersionedRow> rows)
      throws SQLException {
    int width = table.columns().size() + 2;
    String tuple = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
    PreparedStatement full = null;
    try {
      for (int from = 0; from < rows.size(); from += INSERT_CHUNK_ROWS) {
        int n = Math.min(INSERT_CHUNK_ROWS, rows.size() - from);
        PreparedStatement ps;
        if (n == INSERT_CHUNK_ROWS) {
          if (full == null) {
            full = session.connection.prepareStatement(insertSql(load, tuple, n));
          }
          ps = full;
        } else {
          ps = session.connection.prepareStatement(insertSql(load, tuple, n));
        }
        try {
          bindRows(ps, table, rows, from, n);
          ps.executeUpdate();
        } finally {
          if (ps != full) {
            ps.close();
          }
        }
      }
    } finally {
      if (full != null) {
        full.close();
      }
    }
  }

  /**
   * Binds rows {@code from} to {@code from + n - 1}, in order, to the parameters from the first on:
   * each row's columns (timestamps as epoch milliseconds), then its generation and pane index.
   */
  private static void bindRows(
      PreparedStatement ps, CuratedTable table, List<VersionedRow> rows, int from, int n)
      throws SQLException {
    int p = 1;
    for (int r = from; r < from + n; r++) {
      VersionedRow row = rows.get(r);
      List<Object> values = row.row().values();
      for (int i = 0; i < table.columns().size(); i++) {
        bind(ps, p++, table.columns().get(i).type(), values.get(i));
      }
      ps.setLong(p++, row.generation());
      ps.setLong(p++, row.paneIndex());
    }
  }

  private static String insertSql(String load, String tuple, int rows) {
    return "INSERT INTO " + load + " VALUES " + String.join(", ", Collections.nCopies(rows, tuple));
  }

  private static void bind(
      PreparedStatement ps, int index, CuratedTable.ColumnType type, Object value)
      throws SQLException {
    switch (type) {
      case STRING:
        ps.setString(index, (String) value);
        break;
      case DOUBLE:
        ps.setDouble(index, (Double) value);
        break;
      default:
        ps.setLong(index, (Long) value);
    }
  }
}
