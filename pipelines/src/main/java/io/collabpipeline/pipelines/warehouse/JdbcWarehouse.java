package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What the JDBC warehouses share: the DDL (curated tables with {@code generation} and {@code pane_index}, the replay
 * staging tables, the generation log), the batch de-duplication by key and version, the bulk load of a temporary load
 * table with multi-row prepared inserts, the fenced set-based write, the replay stage / diff / commit, and reading rows
 * back. Each dialect adds its types, its timestamp conversions, its set-based upsert statement, its write
 * serialization and the lock a replay commit takes.
 */
abstract class JdbcWarehouse implements Warehouse {
  /** Rows per multi-row INSERT into a load table (well below any driver's bind-parameter limit). */
  private static final int INSERT_CHUNK_ROWS = 500;

  /** Rows fetched per round trip when a diff streams the differing rows. */
  private static final int DIFF_FETCH_SIZE = 1_000;

  static final String GENERATION = "generation";
  static final String PANE_INDEX = "pane_index";

  /** The prefix of a curated table's replay staging table. */
  static final String STAGING_PREFIX = "replay_staging_";

  protected final String url;
  protected final Connection connection;

  JdbcWarehouse(String url, Connection connection) {
    this.url = url;
    this.connection = connection;
  }

  // ---------------------------------------------------------------- dialect

  /** The dialect's column type for a curated column type. */
  abstract String sqlType(CuratedTable.ColumnType type);

  /** SQL that reads the TIMESTAMP column {@code quotedColumn} as UTC epoch milliseconds. */
  abstract String epochMillis(String quotedColumn);

  /** SQL that turns the BIGINT epoch-milliseconds expression {@code millis} into the dialect's TIMESTAMP. */
  abstract String timestampOf(String millis);

  /** The statement creating a temporary load table that lives until the end of the transaction at most. */
  abstract String createLoadTableSql(String quotedName, String columnsDdl);

  /**
   * One set-based statement writing the rows of {@code sourceSelect} (a SELECT yielding {@code columns}, in order) into
   * {@code target}: insert the new keys, and replace the stored row of an existing key, if {@code fenced} only when
   * {@link #fenceCondition} holds. Conflicts are on {@code keyColumns}; the source has at most one row per key.
   */
  abstract String upsertSql(String target, List<String> columns, List<String> keyColumns, String sourceSelect,
      boolean fenced);

  /** Runs a write: in one transaction, serialized or retried as the dialect needs. */
  abstract <T> T write(SqlCall<T> work) throws SQLException;

  /** Takes the locks a replay commit needs so that no concurrent write changes its scope before it commits. */
  abstract void lockForReplayCommit(Statement st) throws SQLException;

  /** The ORDER BY list that sorts rows by key, strings by code point. */
  String keyOrder(List<CuratedTable.Column> keys) {
    return names(keys, "");
  }

  /**
   * The version rule of a fenced write: the incoming row (alias {@code incoming}) wins iff its (generation, pane_index)
   * is at least the stored row's (alias {@code stored}), lexicographically.
   */
  static String fenceCondition(String incoming, String stored) {
    String ig = incoming + "." + q(GENERATION);
    String sg = stored + "." + q(GENERATION);
    return "(" + ig + " > " + sg + " OR (" + ig + " = " + sg + " AND " + incoming + "." + q(PANE_INDEX) + " >= "
        + stored + "." + q(PANE_INDEX) + "))";
  }

  // ---------------------------------------------------------------- DDL

  /** The curated table: every column NOT NULL, the version columns last, the key columns as primary key. */
  String createTableSql(CuratedTable table) {
    StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(q(table.tableName())).append(" (");
    for (CuratedTable.Column c : table.columns()) {
      sql.append(q(c.name())).append(' ').append(sqlType(c.type())).append(" NOT NULL, ");
    }
    sql.append(q(GENERATION)).append(' ').append(sqlType(CuratedTable.ColumnType.LONG)).append(" NOT NULL, ");
    sql.append(q(PANE_INDEX)).append(' ').append(sqlType(CuratedTable.ColumnType.LONG)).append(" NOT NULL, ");
    sql.append("PRIMARY KEY (").append(names(table.keyColumns(), "")).append("))");
    return sql.toString();
  }

  /** Adds a version column to a curated table created before generations existed, 0 for the rows it holds. */
  String addVersionColumnSql(CuratedTable table, String column) {
    return "ALTER TABLE " + q(table.tableName()) + " ADD COLUMN IF NOT EXISTS " + q(column) + " "
        + sqlType(CuratedTable.ColumnType.LONG) + " NOT NULL DEFAULT 0";
  }

  /**
   * The replay staging table of a curated table: the same columns, keyed by (generation, key). Non-key columns may be
   * NULL here: a staging table is a scratch area, and the curated table's constraints check what a commit writes.
   */
  String createStagingTableSql(CuratedTable table) {
    StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(q(stagingTable(table))).append(" (");
    for (CuratedTable.Column c : table.columns()) {
      sql.append(q(c.name())).append(' ').append(sqlType(c.type())).append(c.isKey() ? " NOT NULL, " : ", ");
    }
    sql.append(q(GENERATION)).append(' ').append(sqlType(CuratedTable.ColumnType.LONG)).append(" NOT NULL, ");
    sql.append(q(PANE_INDEX)).append(' ').append(sqlType(CuratedTable.ColumnType.LONG)).append(" NOT NULL, ");
    sql.append("PRIMARY KEY (").append(q(GENERATION)).append(", ").append(names(table.keyColumns(), "")).append("))");
    return sql.toString();
  }

  String createGenerationLogSql() {
    String ts = sqlType(CuratedTable.ColumnType.TIMESTAMP);
    String text = sqlType(CuratedTable.ColumnType.STRING);
    String bigint = sqlType(CuratedTable.ColumnType.LONG);
    return "CREATE TABLE IF NOT EXISTS " + q(GenerationLog.TABLE) + " (generation " + bigint + " PRIMARY KEY, kind "
        + text + " NOT NULL, range_from DATE, range_to DATE, status " + text + " NOT NULL, started_at " + ts
        + " NOT NULL, finished_at " + ts + ", rows_staged " + bigint + ", rows_committed " + bigint + ")";
  }

  /** Every DDL statement of {@link #ensureTables}, in order; each is a no-op when its object exists. */
  List<String> ddl() {
    List<String> ddl = new ArrayList<>();
    for (CuratedTable table : CuratedTable.values()) {
      ddl.add(createTableSql(table));
      ddl.add(addVersionColumnSql(table, GENERATION));
      ddl.add(addVersionColumnSql(table, PANE_INDEX));
    }
    for (CuratedTable table : ReplayScope.TABLES) {
      ddl.add(createStagingTableSql(table));
    }
    ddl.add(createGenerationLogSql());
    return ddl;
  }

  static String stagingTable(CuratedTable table) {
    return STAGING_PREFIX + table.tableName();
  }

  /**
   * The column list of a load table for {@code table}: timestamps travel as epoch milliseconds (BIGINT) and become
   * timestamps in the statement that reads the load table; the version columns last.
   */
  String loadColumns(CuratedTable table) {
    StringBuilder ddl = new StringBuilder("(");
    for (CuratedTable.Column c : table.columns()) {
      String type = c.type() == CuratedTable.ColumnType.TIMESTAMP ? "BIGINT" : sqlType(c.type());
      ddl.append(q(c.name())).append(' ').append(type).append(", ");
    }
    return ddl.append(q(GENERATION)).append(" BIGINT, ").append(q(PANE_INDEX)).append(" BIGINT)").toString();
  }

  // ---------------------------------------------------------------- transactions

  /** Work on the connection that must commit as a whole. */
  interface SqlWork {
    void run() throws SQLException;
  }

  /** Work on the connection that must commit as a whole, with a result. */
  interface SqlCall<T> {
    T call() throws SQLException;
  }

  /** Runs {@code work} in one transaction: committed if it completes, rolled back if it throws. */
  void inTransaction(SqlWork work) throws SQLException {
    inTransaction(
        () -> {
          work.run();
          return null;
        });
  }

  /** Runs {@code work} in one transaction: committed if it completes, rolled back if it throws. */
  <T> T inTransaction(SqlCall<T> work) throws SQLException {
    connection.setAutoCommit(false);
    try {
      T result = work.call();
      connection.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        connection.rollback();
      } catch (SQLException rollbackFailure) {
        e.addSuppressed(rollbackFailure);
      }
      throw e;
    } finally {
      try {
        connection.setAutoCommit(true);
      } catch (SQLException ignored) {
        // the connection is broken; the caller already has the error
      }
    }
  }

  // ---------------------------------------------------------------- live writes

  /**
   * The rows of a batch grouped by table, tables in a fixed order and only those with rows, keeping per key (and per
   * generation if {@code perGeneration}) the row of the greatest (generation, pane index), the later one on ties: a
   * set-based write must not touch one key twice.
   */
  static Map<CuratedTable, List<VersionedRow>> newestPerKey(List<VersionedRow> rows, boolean perGeneration) {
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

  @Override
  public void upsertVersioned(List<VersionedRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Map<CuratedTable, List<VersionedRow>> byTable = newestPerKey(rows, false);
    write(
        () -> {
          for (Map.Entry<CuratedTable, List<VersionedRow>> e : byTable.entrySet()) {
            CuratedTable table = e.getKey();
            loadAndWrite(table, e.getValue(), q(table.tableName()), columnNames(table.keyColumns()));
          }
          return null;
        });
  }

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
    Map<CuratedTable, List<VersionedRow>> byTable = newestPerKey(replayed, true);
    write(
        () -> {
          for (Map.Entry<CuratedTable, List<VersionedRow>> e : byTable.entrySet()) {
            CuratedTable table = e.getKey();
            List<String> keys = new ArrayList<>();
            keys.add(GENERATION);
            keys.addAll(columnNames(table.keyColumns()));
            loadAndWrite(table, e.getValue(), q(stagingTable(table)), keys);
          }
          return null;
        });
  }

  /** Bulk-loads rows into a temporary load table and writes them into {@code target} with one fenced statement. */
  private void loadAndWrite(CuratedTable table, List<VersionedRow> rows, String target, List<String> conflictKeys)
      throws SQLException {
    String load = q("load_" + table.tableName());
    try (Statement st = connection.createStatement()) {
      st.execute(createLoadTableSql(load, loadColumns(table)));
      insertChunks(load, table, rows);
      st.execute(upsertSql(target, allColumns(table), conflictKeys, loadSelect(table, load), true));
      st.execute("DROP TABLE " + load);
    }
  }

  /** SELECT over a load table yielding the curated columns, timestamps converted, then the version columns. */
  private String loadSelect(CuratedTable table, String load) {
    String columns =
        table.columns().stream()
            .map(
                c ->
                    c.type() == CuratedTable.ColumnType.TIMESTAMP
                        ? timestampOf(q(c.name())) + " AS " + q(c.name())
                        : q(c.name()))
            .collect(Collectors.joining(", "));
    return "SELECT " + columns + ", " + q(GENERATION) + ", " + q(PANE_INDEX) + " FROM " + load;
  }

  /** Loads {@code rows} into the load table, timestamps as epoch milliseconds, in multi-row inserts. */
  void insertChunks(String load, CuratedTable table, List<VersionedRow> rows) throws SQLException {
    int width = table.columns().size() + 2;
    String tuple = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
    PreparedStatement full = null;
    try {
      for (int from = 0; from < rows.size(); from += INSERT_CHUNK_ROWS) {
        int n = Math.min(INSERT_CHUNK_ROWS, rows.size() - from);
        PreparedStatement ps;
        if (n == INSERT_CHUNK_ROWS) {
          if (full == null) {
            full = connection.prepareStatement(insertSql(load, tuple, n));
          }
          ps = full;
        } else {
          ps = connection.prepareStatement(insertSql(load, tuple, n));
        }
        try {
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

  private static String insertSql(String load, String tuple, int rows) {
    return "INSERT INTO " + load + " VALUES " + String.join(", ", Collections.nCopies(rows, tuple));
  }

  private static void bind(PreparedStatement ps, int index, CuratedTable.ColumnType type, Object value)
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

  // ---------------------------------------------------------------- reads

  @Override
  public List<CuratedRow> read(CuratedTable table) throws SQLException {
    List<CuratedRow> rows = new ArrayList<>();
    for (VersionedRow row : readRows(q(table.tableName()), table, null)) {
      rows.add(row.row());
    }
    return rows;
  }

  @Override
  public List<VersionedRow> readVersioned(CuratedTable table) throws SQLException {
    return readRows(q(table.tableName()), table, null);
  }

  @Override
  public List<VersionedRow> readStaged(long generation, CuratedTable table) throws SQLException {
    if (!ReplayScope.isReplayed(table)) {
      return List.of();
    }
    return readRows(q(stagingTable(table)), table, q(GENERATION) + " = " + generation);
  }

  private List<VersionedRow> readRows(String from, CuratedTable table, @Nullable String where) throws SQLException {
    String sql =
        "SELECT " + selectMillis(table, "") + ", " + q(GENERATION) + ", " + q(PANE_INDEX) + " FROM " + from
            + (where == null ? "" : " WHERE " + where) + " ORDER BY " + keyOrder(table.keyColumns());
    List<VersionedRow> rows = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int width = table.columns().size();
      while (rs.next()) {
        rows.add(VersionedRow.of(rowAt(rs, 1, table), rs.getLong(width + 1), rs.getLong(width + 2)));
      }
    }
    return rows;
  }

  /** The curated columns of {@code table} under {@code qualifier}, timestamps as epoch milliseconds. */
  private String selectMillis(CuratedTable table, String qualifier) {
    return table.columns().stream()
        .map(
            c ->
                c.type() == CuratedTable.ColumnType.TIMESTAMP
                    ? epochMillis(qualifier + q(c.name()))
                    : qualifier + q(c.name()))
        .collect(Collectors.joining(", "));
  }

  /** The row whose columns start at result column {@code first}. */
  private static CuratedRow rowAt(ResultSet rs, int first, CuratedTable table) throws SQLException {
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < table.columns().size(); i++) {
      switch (table.columns().get(i).type()) {
        case STRING:
          values.add(rs.getString(first + i));
          break;
        case DOUBLE:
          double d = rs.getDouble(first + i);
          values.add(rs.wasNull() ? null : d);
          break;
        default:
          long l = rs.getLong(first + i);
          values.add(rs.wasNull() ? null : l);
      }
    }
    return CuratedRow.of(table, values);
  }

  @Override
  public long countStaged(long generation) throws SQLException {
    long n = 0;
    try (Statement st = connection.createStatement()) {
      for (CuratedTable table : ReplayScope.TABLES) {
        n += count(st, q(stagingTable(table)), q(GENERATION) + " = " + generation);
      }
    }
    return n;
  }

  private static long count(Statement st, String from, String where) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + from + " WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The newest stored generation in scope, or -1 if the scope holds no row. */
  private long newestGeneration(Statement st, CuratedTable table, ReplayScope scope) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT max(" + q(GENERATION) + ") FROM " + q(table.tableName()) + " WHERE " + inScope("", scope))) {
      rs.next();
      long newest = rs.getLong(1);
      return rs.wasNull() ? -1 : newest;
    }
  }

  /** The predicate "window_start of {@code qualifier} is in the scope". */
  String inScope(String qualifier, ReplayScope scope) {
    String ws = qualifier + q("window_start");
    return "(" + ws + " >= " + timestampOf(Long.toString(scope.startMillis())) + " AND " + ws + " < "
        + timestampOf(Long.toString(scope.endMillisExclusive())) + ")";
  }

  // ---------------------------------------------------------------- diff

  @Override
  public WarehouseDiff diff(long generation, ReplayScope scope, int maxChangesPerTable) throws SQLException {
    if (maxChangesPerTable < 0) {
      throw new IllegalArgumentException("maxChangesPerTable must be >= 0, got " + maxChangesPerTable);
    }
    return inTransaction(
        () -> {
          List<WarehouseDiff.TableDiff> tables = new ArrayList<>();
          for (CuratedTable table : ReplayScope.TABLES) {
            tables.add(diffTable(table, generation, scope, maxChangesPerTable));
          }
          return WarehouseDiff.of(generation, scope, tables);
        });
  }

  private WarehouseDiff.TableDiff diffTable(CuratedTable table, long generation, ReplayScope scope, int max)
      throws SQLException {
    String staged = q(stagingTable(table));
    String stored = q(table.tableName());
    String ofGeneration = q(GENERATION) + " = " + generation;
    long before;
    long after;
    long outside;
    long newest;
    try (Statement st = connection.createStatement()) {
      before = count(st, stored, inScope("", scope));
      after = count(st, staged, ofGeneration + " AND " + inScope("", scope));
      outside = count(st, staged, ofGeneration + " AND NOT " + inScope("", scope));
      newest = newestGeneration(st, table, scope);
    }
    List<CuratedTable.Column> keys = table.keyColumns();
    String on = keys.stream().map(c -> "s." + q(c.name()) + " = t." + q(c.name())).collect(Collectors.joining(" AND "));
    List<String> differs = new ArrayList<>();
    differs.add("s." + q(keys.get(0).name()) + " IS NULL");
    differs.add("t." + q(keys.get(0).name()) + " IS NULL");
    for (CuratedTable.Column c : table.columns()) {
      if (!c.isKey()) {
        differs.add("s." + q(c.name()) + " IS DISTINCT FROM t." + q(c.name()));
      }
    }
    String sql =
        "SELECT s." + q(keys.get(0).name()) + " IS NULL, t." + q(keys.get(0).name()) + " IS NULL, "
            + selectMillis(table, "s.") + ", " + selectMillis(table, "t.") + " FROM (SELECT * FROM " + staged
            + " WHERE " + ofGeneration + " AND " + inScope("", scope) + ") s FULL OUTER JOIN (SELECT * FROM " + stored
            + " WHERE " + inScope("", scope) + ") t ON " + on + " WHERE " + String.join(" OR ", differs);
    long added = 0;
    long removed = 0;
    long changed = 0;
    TreeSet<WarehouseDiff.Window> windows = new TreeSet<>();
    Comparator<WarehouseDiff.RowChange> largestFirst = largestFirst();
    // A min-heap of the largest changes so far: its head is the smallest one kept.
    PriorityQueue<WarehouseDiff.RowChange> largest = new PriorityQueue<>(largestFirst.reversed());
    int width = table.columns().size();
    try (Statement st = connection.createStatement()) {
      st.setFetchSize(DIFF_FETCH_SIZE);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          boolean noStaged = rs.getBoolean(1);
          boolean noStored = rs.getBoolean(2);
          CuratedRow after2 = noStaged ? null : rowAt(rs, 3, table);
          CuratedRow before2 = noStored ? null : rowAt(rs, 3 + width, table);
          WarehouseDiff.RowChange change = WarehouseDiff.RowChange.of(before2, after2);
          switch (change.kind()) {
            case ADDED:
              added++;
              break;
            case REMOVED:
              removed++;
              break;
            default:
              changed++;
          }
          CuratedRow any = after2 != null ? after2 : before2;
          windows.add(WarehouseDiff.Window.of(any.getLong("window_start"), any.getString("granularity")));
          if (max > 0) {
            largest.add(change);
            if (largest.size() > max) {
              largest.poll();
            }
          }
        }
      }
    }
    List<WarehouseDiff.RowChange> top = new ArrayList<>(largest);
    top.sort(largestFirst);
    return WarehouseDiff.TableDiff.of(
        table, before, after, added, removed, changed, outside, new ArrayList<>(windows), top,
        newest > generation ? newest : null);
  }

  /** Largest magnitude first; ties by key, so the order does not depend on the engine. */
  private static Comparator<WarehouseDiff.RowChange> largestFirst() {
    return Comparator.comparingDouble(WarehouseDiff.RowChange::magnitude)
        .reversed()
        .thenComparing(WarehouseDiff.RowChange::key, JdbcWarehouse::compareKeys);
  }

  @SuppressWarnings("unchecked")
  private static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = ((Comparable<Object>) a.get(i)).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  // ---------------------------------------------------------------- commit

  @Override
  public ReplayCommit commitReplay(long generation, ReplayScope scope) throws SQLException {
    return write(
        () -> {
          Map<CuratedTable, Long> removed = new LinkedHashMap<>();
          Map<CuratedTable, Long> written = new LinkedHashMap<>();
          Map<CuratedTable, Long> outside = new LinkedHashMap<>();
          try (Statement st = connection.createStatement()) {
            lockForReplayCommit(st);
            GenerationLog.Entry entry =
                readEntry(generation)
                    .orElseThrow(
                        () ->
                            new IllegalStateException(
                                "cannot commit generation " + generation + ": it was never begun"
                                    + " (Warehouse.beginGeneration)"));
            if (entry.status() != GenerationLog.Status.RUNNING) {
              throw new IllegalStateException(
                  "cannot commit generation " + generation + ": its status is " + entry.status().code()
                      + ", only a running generation can be committed");
            }
            if (entry.range() == null || !entry.range().contains(scope)) {
              throw new IllegalStateException(
                  "cannot commit generation " + generation + " for " + scope + ": it was begun for "
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
                      .map(c -> "s." + q(c.name()) + " = " + q(table.tableName()) + "." + q(c.name()))
                      .collect(Collectors.joining(" AND "));
              removed.put(
                  table,
                  (long)
                      st.executeUpdate(
                          "DELETE FROM " + q(table.tableName()) + " WHERE " + inScope("", scope)
                              + " AND NOT EXISTS (SELECT 1 FROM " + stagingTable + " s WHERE s." + q(GENERATION)
                              + " = " + generation + " AND " + sameKey + ")"));
              String select =
                  "SELECT " + names(table.columns(), "") + ", " + q(GENERATION) + ", " + q(PANE_INDEX) + " FROM "
                      + stagingTable + " WHERE " + ofGeneration + " AND " + inScope("", scope);
              written.put(
                  table,
                  (long)
                      st.executeUpdate(
                          upsertSql(
                              q(table.tableName()), allColumns(table), columnNames(table.keyColumns()), select,
                              false)));
              outside.put(table, (long) st.executeUpdate("DELETE FROM " + stagingTable + " WHERE " + ofGeneration
                  + " AND NOT " + inScope("", scope)));
              st.executeUpdate("DELETE FROM " + stagingTable + " WHERE " + ofGeneration);
            }
            long total = written.values().stream().mapToLong(Long::longValue).sum();
            finishEntry(generation, GenerationLog.Status.COMMITTED, staged, total);
          }
          return ReplayCommit.of(generation, scope, removed, written, outside);
        });
  }

  @Override
  public long discardStaged(long generation) throws SQLException {
    return write(
        () -> {
          long n = 0;
          try (Statement st = connection.createStatement()) {
            for (CuratedTable table : ReplayScope.TABLES) {
              n += st.executeUpdate("DELETE FROM " + q(stagingTable(table)) + " WHERE " + q(GENERATION) + " = "
                  + generation);
            }
          }
          return n;
        });
  }

  // ---------------------------------------------------------------- generation log

  @Override
  public void beginGeneration(long generation, GenerationLog.Kind kind, @Nullable ReplayScope range)
      throws SQLException {
    if (generation < 1) {
      throw new IllegalArgumentException("a generation must be positive, got " + generation);
    }
    write(
        () -> {
          Optional<GenerationLog.Entry> existing = readEntry(generation);
          if (existing.isPresent() && existing.get().status() == GenerationLog.Status.COMMITTED) {
            throw new IllegalStateException(
                "generation " + generation + " was committed already; start a new generation");
          }
          String sql =
              existing.isPresent()
                  ? "UPDATE " + q(GenerationLog.TABLE) + " SET kind = ?, range_from = CAST(? AS DATE),"
                      + " range_to = CAST(? AS DATE), status = ?, started_at = " + timestampOf("?")
                      + ", finished_at = NULL, rows_staged = NULL, rows_committed = NULL WHERE generation = ?"
                  : "INSERT INTO " + q(GenerationLog.TABLE) + " (kind, range_from, range_to, status, started_at,"
                      + " generation) VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?, " + timestampOf("?") + ", ?)";
          try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, kind.code());
            ps.setString(2, range == null ? null : range.from().toString());
            ps.setString(3, range == null ? null : range.to().toString());
            ps.setString(4, GenerationLog.Status.RUNNING.code());
            ps.setLong(5, System.currentTimeMillis());
            ps.setLong(6, generation);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void markCommitted(long generation) throws SQLException {
    write(
        () -> {
          GenerationLog.Entry entry = requireRunning(generation, GenerationLog.Status.COMMITTED);
          if (entry.kind() == GenerationLog.Kind.REPLAY || entry.kind() == GenerationLog.Kind.CORRECTION) {
            throw new IllegalStateException(
                "generation " + generation + " is a " + entry.kind().code()
                    + ": it is committed by Warehouse.commitReplay, which replaces its windows");
          }
          finishEntry(generation, GenerationLog.Status.COMMITTED, null, null);
          return null;
        });
  }

  @Override
  public void markDryRun(long generation) throws SQLException {
    write(
        () -> {
          requireRunning(generation, GenerationLog.Status.DRY_RUN);
          finishEntry(generation, GenerationLog.Status.DRY_RUN, countStaged(generation), null);
          return null;
        });
  }

  @Override
  public boolean markFailed(long generation) throws SQLException {
    return write(
        () -> {
          Optional<GenerationLog.Entry> entry = readEntry(generation);
          if (entry.isEmpty() || entry.get().status() == GenerationLog.Status.COMMITTED) {
            return false;
          }
          finishEntry(generation, GenerationLog.Status.FAILED, countStaged(generation), null);
          return true;
        });
  }

  private GenerationLog.Entry requireRunning(long generation, GenerationLog.Status target) throws SQLException {
    GenerationLog.Entry entry =
        readEntry(generation)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "cannot mark generation " + generation + " " + target.code() + ": it was never begun"));
    if (entry.status() != GenerationLog.Status.RUNNING) {
      throw new IllegalStateException(
          "cannot mark generation " + generation + " " + target.code() + ": its status is "
              + entry.status().code());
    }
    return entry;
  }

  private void finishEntry(
      long generation, GenerationLog.Status status, @Nullable Long rowsStaged, @Nullable Long rowsCommitted)
      throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "UPDATE " + q(GenerationLog.TABLE) + " SET status = ?, finished_at = " + timestampOf("?")
                + ", rows_staged = ?, rows_committed = ? WHERE generation = ?")) {
      ps.setString(1, status.code());
      ps.setLong(2, System.currentTimeMillis());
      setNullableLong(ps, 3, rowsStaged);
      setNullableLong(ps, 4, rowsCommitted);
      ps.setLong(5, generation);
      ps.executeUpdate();
    }
  }

  private static void setNullableLong(PreparedStatement ps, int index, @Nullable Long value) throws SQLException {
    if (value == null) {
      ps.setNull(index, java.sql.Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  @Override
  public Optional<GenerationLog.Entry> generation(long generation) throws SQLException {
    return readEntry(generation);
  }

  @Override
  public List<GenerationLog.Entry> generations() throws SQLException {
    return readEntries(null);
  }

  private Optional<GenerationLog.Entry> readEntry(long generation) throws SQLException {
    List<GenerationLog.Entry> entries = readEntries(generation);
    return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(0));
  }

  private List<GenerationLog.Entry> readEntries(@Nullable Long generation) throws SQLException {
    String sql =
        "SELECT generation, kind, CAST(range_from AS VARCHAR), CAST(range_to AS VARCHAR), status, "
            + epochMillis("started_at") + ", " + epochMillis("finished_at") + ", rows_staged, rows_committed FROM "
            + q(GenerationLog.TABLE) + (generation == null ? "" : " WHERE generation = " + generation)
            + " ORDER BY generation";
    List<GenerationLog.Entry> entries = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        long finished = rs.getLong(7);
        Instant finishedAt = rs.wasNull() ? null : Instant.ofEpochMilli(finished);
        long staged = rs.getLong(8);
        Long rowsStaged = rs.wasNull() ? null : staged;
        long committed = rs.getLong(9);
        Long rowsCommitted = rs.wasNull() ? null : committed;
        entries.add(
            GenerationLog.Entry.of(
                rs.getLong(1),
                GenerationLog.Kind.fromCode(rs.getString(2)),
                GenerationLog.range(rs.getString(3), rs.getString(4)),
                GenerationLog.Status.fromCode(rs.getString(5)),
                Instant.ofEpochMilli(rs.getLong(6)),
                finishedAt,
                rowsStaged,
                rowsCommitted));
      }
    }
    return entries;
  }

  // ---------------------------------------------------------------- names

  /** The curated columns then the version columns. */
  static List<String> allColumns(CuratedTable table) {
    List<String> columns = columnNames(table.columns());
    columns.add(GENERATION);
    columns.add(PANE_INDEX);
    return columns;
  }

  static List<String> columnNames(List<CuratedTable.Column> columns) {
    List<String> names = new ArrayList<>();
    for (CuratedTable.Column c : columns) {
      names.add(c.name());
    }
    return names;
  }

  static String names(List<CuratedTable.Column> columns, String qualifier) {
    return columns.stream().map(c -> qualifier + q(c.name())).collect(Collectors.joining(", "));
  }

  static String q(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
