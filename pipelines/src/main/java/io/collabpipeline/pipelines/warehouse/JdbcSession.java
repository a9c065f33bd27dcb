package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One open connection to a JDBC warehouse and its SQL dialect: the one place where DuckDB ({@link
 * DuckDbSession}) and PostgreSQL ({@link PostgresSession}) differ, shared by the classes of each
 * concern ({@link JdbcCuratedTables}, {@link JdbcReplayStaging}, {@link JdbcGenerationLog}) of a
 * {@link JdbcWarehouse} handle. A dialect gives its column types, its timestamp conversions, its
 * temporary load table, its set-based upsert statement, how DDL and writes are serialized (and
 * retried), and the lock a replay commit takes; everything else here is the same for both: the
 * transactions, the version columns and their fencing rule, the replay scope predicate and reading
 * rows back.
 */
abstract class JdbcSession implements AutoCloseable {
  static final String GENERATION = "generation";
  static final String PANE_INDEX = "pane_index";

  protected final String url;
  protected final Connection connection;

  JdbcSession(String url, Connection connection) {
    this.url = url;
    this.connection = connection;
  }

  // ---------------------------------------------------------------- dialect

  /** The dialect's column type for a curated column type. */
  abstract String sqlType(CuratedTable.ColumnType type);

  /** SQL that reads the TIMESTAMP column {@code quotedColumn} as UTC epoch milliseconds. */
  abstract String epochMillis(String quotedColumn);

  /**
   * SQL that turns the BIGINT epoch-milliseconds expression {@code millis} into the dialect's
   * TIMESTAMP.
   */
  abstract String timestampOf(String millis);

  /**
   * The statement creating a temporary load table that lives until the end of the transaction at
   * most.
   */
  abstract String createLoadTableSql(String quotedName, String columnsDdl);

  /**
   * Fills the load table {@code loadName} (made by {@link #createLoadTableSql}, unquoted here) with
   * {@code rows}, in the load table's layout (timestamps as epoch milliseconds, then generation and
   * pane index): multi-row prepared inserts, unless the database has a faster way.
   */
  void fillLoadTable(String loadName, CuratedTable table, List<VersionedRow> rows)
      throws SQLException {
    JdbcLoad.insertChunks(this, q(loadName), table, rows);
  }

  /**
   * Whether a replay's staging tables carry their key, (generation, the curated key), as a primary
   * key: where {@link #upsertSql} needs a unique index to find a conflict ({@code ON CONFLICT}),
   * and where writers of one generation may write at the same time.
   */
  boolean stagingKeyIsIndexed() {
    return true;
  }

  /**
   * One set-based statement writing the rows of {@code sourceSelect} (a SELECT yielding {@code
   * columns}, in order) into {@code target}: insert the new keys, and replace the stored row of an
   * existing key, if {@code fenced} only when {@link #fenceCondition} holds. Conflicts are on
   * {@code keyColumns}; the source has at most one row per key.
   */
  abstract String upsertSql(
      String target,
      List<String> columns,
      List<String> keyColumns,
      String sourceSelect,
      boolean fenced);

  /**
   * Adds a version column to a curated table created before generations existed, 0 for the rows it
   * holds.
   */
  String addVersionColumnSql(CuratedTable table, String column) {
    return "ALTER TABLE "
        + q(table.tableName())
        + " ADD COLUMN IF NOT EXISTS "
        + q(column)
        + " "
        + sqlType(CuratedTable.ColumnType.LONG)
        + " NOT NULL DEFAULT 0";
  }

  /** The ORDER BY list that sorts rows by key, strings by code point. */
  String keyOrder(List<CuratedTable.Column> keys) {
    return names(keys, "");
  }

  /**
   * Whether a batch without partial windows is loaded through a load table this session keeps
   * ({@link #keptLoad}), its write and its emptying prepared once, instead of a VALUES list of
   * bound parameters prepared for each batch. No by default (PostgreSQL plans a VALUES statement
   * quickly); DuckDB says yes.
   */
  boolean keepsLoadTables() {
    return false;
  }

  /**
   * A load table kept for the session and the statements that write it into its target and empty
   * it, both prepared once: made by {@link JdbcLoad} on first use inside a write's transaction, and
   * forgotten when a transaction rolls back (which undoes the table's creation, if it was made in
   * it, and leaves it empty otherwise).
   */
  static final class KeptLoad {
    final String name;
    final PreparedStatement write;
    final PreparedStatement empty;

    KeptLoad(String name, PreparedStatement write, PreparedStatement empty) {
      this.name = name;
      this.write = write;
      this.empty = empty;
    }
  }

  /** The kept load tables by their target (quoted); see {@link #keepsLoadTables}. */
  private final Map<String, KeptLoad> keptLoads = new HashMap<>();

  @Nullable KeptLoad keptLoad(String key) {
    return keptLoads.get(key);
  }

  void keepLoad(String key, KeptLoad load) {
    keptLoads.put(key, load);
  }

  /**
   * Forgets the kept load tables' statements, after a transaction that may have made one rolled
   * back: the next write prepares them again (and makes the table again if it was undone).
   */
  private void forgetKeptLoads() {
    for (KeptLoad load : keptLoads.values()) {
      closeQuietly(load.write);
      closeQuietly(load.empty);
    }
    keptLoads.clear();
  }

  private static void closeQuietly(PreparedStatement statement) {
    try {
      statement.close();
    } catch (SQLException ignored) {
      // closing the connection closes it in any case
    }
  }

  /**
   * Runs DDL statements, each a no-op when its object exists, so that concurrent handles (every
   * DoFn instance of {@link WriteCurated} creates the tables at setup) cannot fail each other.
   */
  abstract void runDdl(List<String> statements) throws SQLException;

  /** Runs a write: in one transaction, serialized or retried as the dialect needs. */
  abstract <T> T write(SqlCall<T> work) throws SQLException;

  /**
   * Takes the locks a replay commit needs so that no concurrent write changes its scope before it
   * commits.
   */
  abstract void lockForReplayCommit(Statement st) throws SQLException;

  /** Releases the connection. */
  @Override
  public abstract void close();

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
      forgetKeptLoads();
      throw e;
    } finally {
      try {
        connection.setAutoCommit(true);
      } catch (SQLException ignored) {
        // the connection is broken; the caller already has the error
      }
    }
  }

  // ---------------------------------------------------------------- versions and scope

  /**
   * The version rule of a fenced write: the incoming row (alias {@code incoming}) wins iff its
   * (generation, pane_index) is at least the stored row's (alias {@code stored}),
   * lexicographically.
   */
  static String fenceCondition(String incoming, String stored) {
    String ig = incoming + "." + q(GENERATION);
    String sg = stored + "." + q(GENERATION);
    return "("
        + ig
        + " > "
        + sg
        + " OR ("
        + ig
        + " = "
        + sg
        + " AND "
        + incoming
        + "."
        + q(PANE_INDEX)
        + " >= "
        + stored
        + "."
        + q(PANE_INDEX)
        + "))";
  }

  /** The predicate "window_start of {@code qualifier} is in the scope". */
  String inScope(String qualifier, ReplayScope scope) {
    String ws = qualifier + q("window_start");
    return "("
        + ws
        + " >= "
        + timestampOf(Long.toString(scope.startMillis()))
        + " AND "
        + ws
        + " < "
        + timestampOf(Long.toString(scope.endMillisExclusive()))
        + ")";
  }

  // ---------------------------------------------------------------- reads

  /**
   * The rows of {@code from} (a curated or staging table of {@code table}), with their version,
   * ordered by key.
   */
  List<VersionedRow> readRows(String from, CuratedTable table, @Nullable String where)
      throws SQLException {
    String sql =
        "SELECT "
            + selectMillis(table, "")
            + ", "
            + q(GENERATION)
            + ", "
            + q(PANE_INDEX)
            + " FROM "
            + from
            + (where == null ? "" : " WHERE " + where)
            + " ORDER BY "
            + keyOrder(table.keyColumns());
    List<VersionedRow> rows = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int width = table.columns().size();
      while (rs.next()) {
        rows.add(
            VersionedRow.of(rowAt(rs, 1, table), rs.getLong(width + 1), rs.getLong(width + 2)));
      }
    }
    return rows;
  }

  /**
   * The curated columns of {@code table} under {@code qualifier}, timestamps as epoch milliseconds.
   */
  String selectMillis(CuratedTable table, String qualifier) {
    return table.columns().stream()
        .map(
            c ->
                c.type() == CuratedTable.ColumnType.TIMESTAMP
                    ? epochMillis(qualifier + q(c.name()))
                    : qualifier + q(c.name()))
        .collect(Collectors.joining(", "));
  }

  /** The row whose columns start at result column {@code first}. */
  static CuratedRow rowAt(ResultSet rs, int first, CuratedTable table) throws SQLException {
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

  static long count(Statement st, String from, String where) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + from + " WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
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
