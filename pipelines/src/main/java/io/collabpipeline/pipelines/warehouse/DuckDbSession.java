package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;

/**
 * A session on the embedded DuckDB warehouse ({@code jdbc:duckdb:/path/file.duckdb}): DuckDB's side
 * of {@link JdbcSession}.
 *
 * <p><b>One database per JVM and URL, one writer at a time.</b> DuckDB lets one process hold a
 * database file, and a commit fails when two connections of that process touch the same key
 * concurrently (a write-write conflict), which is what parallel DoFn instances flushing panes of
 * the same window would do. So all handles for one URL in a JVM share one database instance (each
 * handle is a duplicate of its root connection) and every write takes a JVM-wide lock for that URL.
 * The instance is closed, and the file released for other processes, when its last handle closes.
 *
 * <p><b>Writes.</b> A batch is de-duplicated by key (the greatest (generation, pane index) wins),
 * appended to a temporary load table the session keeps for its target and table (made once, then
 * emptied after each write; {@link #keepsLoadTables}; a batch with partial windows, of a stateless
 * start, gets a load table made and dropped in its write), and merged with ONE set-based statement
 * per table, in one transaction: {@code MERGE INTO t USING (SELECT ... FROM load) s ON key WHEN
 * MATCHED AND (s.generation > t.generation OR (s.generation = t.generation AND s.pane_index >=
 * t.pane_index)) THEN UPDATE ... WHEN NOT MATCHED THEN INSERT ...}. Row-by-row upserts are orders
 * of magnitude slower. A replay commit runs, per table and in one transaction, {@code DELETE} of
 * the stored keys in scope that the generation did not stage and an unconditional {@code MERGE} of
 * the staged rows in scope (the same result as deleting the scope and inserting the staged rows,
 * with no primary-key entry deleted and re-inserted for the keys that stay). Timestamps are stored
 * as {@code TIMESTAMP} holding UTC and converted with {@code epoch_ms} on both sides, so no JVM or
 * session time zone is involved.
 *
 * <p><b>Older files.</b> Curated tables created before generations existed get {@code generation}
 * and {@code pane_index} added by {@link CuratedTables#ensureTables}, as nullable columns with
 * default 0 (DuckDB cannot add a NOT NULL column to an existing table); every write sets them.
 */
final class DuckDbSession extends JdbcSession {
  static final String URL_PREFIX = "jdbc:duckdb:";

  /** Guarded by itself. */
  private static final Map<String, SharedDatabase> DATABASES = new HashMap<>();

  /** Database instances opened in this JVM, over all URLs; guarded by {@link #DATABASES}. */
  private static long instancesOpened;

  private static final class SharedDatabase {
    final DuckDBConnection root;
    final ReentrantLock writeLock = new ReentrantLock();
    int handles;

    SharedDatabase(DuckDBConnection root) {
      this.root = root;
    }
  }

  private final SharedDatabase database;
  private boolean closed;

  private DuckDbSession(String url, SharedDatabase database, Connection connection) {
    super(url, connection);
    this.database = database;
  }

  @Override
  String epochMillis(String quotedColumn) {
    return "epoch_ms(" + quotedColumn + ")";
  }

  static DuckDbSession open(String url) throws SQLException {
    synchronized (DATABASES) {
      SharedDatabase db = DATABASES.get(url);
      if (db == null) {
        createParentDirectory(url);
        // The driver is used directly rather than through DriverManager, which does not see drivers
        // loaded by a
        // runner's user-code class loader (Flink).
        Connection root = new DuckDBDriver().connect(url, new Properties());
        if (root == null) {
          throw new SQLException("the DuckDB driver did not accept " + Warehouses.redact(url));
        }
        db = new SharedDatabase((DuckDBConnection) root);
        DATABASES.put(url, db);
        instancesOpened++;
      }
      Connection handle = db.root.duplicate();
      db.handles++;
      return new DuckDbSession(url, db, handle);
    }
  }

  /**
   * How many times a database instance was opened in this JVM (a first handle on a URL with no
   * other handle open): each reads the file, and each last close checkpoints it.
   */
  static long instancesOpened() {
    synchronized (DATABASES) {
      return instancesOpened;
    }
  }

  private static void createParentDirectory(String url) {
    String path = url.substring(URL_PREFIX.length());
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (path.isEmpty() || path.startsWith(":memory:")) {
      return;
    }
    Path parent = Paths.get(path).toAbsolutePath().getParent();
    if (parent != null) {
      try {
        Files.createDirectories(parent);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot create the directory of the warehouse file " + path, e);
      }
    }
  }

  @Override
  String timestampOf(String millis) {
    return "epoch_ms(" + millis + ")";
  }

  /**
   * Through DuckDB's appender: a replay stages tens of thousands of rows per flush, and binding
   * them as parameters of 500-row inserts (each statement parsed and planned) took most of the
   * write. A load table is a temporary table, in DuckDB's {@code temp} catalog.
   */
  @Override
  void fillLoadTable(String loadName, CuratedTable table, List<VersionedRow> rows)
      throws SQLException {
    List<CuratedTable.Column> columns = table.columns();
    try (DuckDBAppender appender =
        connection.unwrap(DuckDBConnection.class).createAppender("temp", "main", loadName)) {
      for (VersionedRow row : rows) {
        List<Object> values = row.row().values();
        appender.beginRow();
        for (int i = 0; i < columns.size(); i++) {
          Object value = values.get(i);
          if (value == null) {
            appender.appendNull();
          } else {
            switch (columns.get(i).type()) {
              case STRING:
                appender.append((String) value);
                break;
              case DOUBLE:
                appender.append((double) (Double) value);
                break;
              default:
                appender.append((long) (Long) value);
            }
          }
        }
        appender.append(row.generation());
        appender.append(row.paneIndex());
        appender.endRow();
      }
    }
  }

  /**
   * Yes: DuckDB plans a statement of bound parameters anew at each batch, where a kept load table
   * filled by the appender is written by statements prepared once (measured in round 30: a batch of
   * 25 rows 4.8 ms through a VALUES list, 3.1 ms through the kept table; of 250 rows 23.4 ms
   * against 4.0 ms).
   */
  @Override
  boolean keepsLoadTables() {
    return true;
  }

  @Override
  String createLoadTableSql(String quotedName, String columnsDdl) {
    return "CREATE OR REPLACE TEMP TABLE " + quotedName + " " + columnsDdl;
  }

  /** Under the database's write lock, like every write of this JVM. */
  @Override
  void runDdl(List<String> statements) throws SQLException {
    database.writeLock.lock();
    try (Statement st = connection.createStatement()) {
      for (String ddl : statements) {
        st.execute(ddl);
      }
    } finally {
      database.writeLock.unlock();
    }
  }

  /**
   * DuckDB cannot add a column with a NOT NULL constraint to an existing table: the column is added
   * with its default (0 for the rows the table holds) and every writer sets it.
   */
  @Override
  String addVersionColumnSql(CuratedTable table, String column) {
    return "ALTER TABLE "
        + q(table.tableName())
        + " ADD COLUMN IF NOT EXISTS "
        + q(column)
        + " BIGINT DEFAULT 0";
  }

  @Override
  <T> T write(SqlCall<T> work) throws SQLException {
    database.writeLock.lock();
    try {
      return inTransaction(work);
    } finally {
      database.writeLock.unlock();
    }
  }

  /**
   * Nothing to lock: every write of this JVM holds the database's write lock, and no other process
   * can open it.
   */
  @Override
  void lockForReplayCommit(Statement st) {}

  /**
   * No index on a staging table: DuckDB's {@code MERGE} finds a key by joining, not through an
   * index, and every write of a process to one database takes the same lock (the class comment), so
   * the writes of one generation never race. An index made every staged row an entry in an ART
   * index: a replay of 287,875 events spent 40–160 ms per table deleting its 5,800–11,700 staged
   * rows at the commit (0.6 ms without the index), and more inserting them. Staging tables created
   * with the key before keep it.
   */
  @Override
  boolean stagingKeyIsIndexed() {
    return false;
  }

  @Override
  String upsertSql(
      String target,
      List<String> columns,
      List<String> keyColumns,
      String sourceSelect,
      boolean fenced) {
    String on =
        keyColumns.stream()
            .map(c -> "t." + q(c) + " = s." + q(c))
            .collect(Collectors.joining(" AND "));
    List<String> values = new ArrayList<>();
    for (String c : columns) {
      if (!keyColumns.contains(c)) {
        values.add(c);
      }
    }
    StringBuilder sql =
        new StringBuilder("MERGE INTO ")
            .append(target)
            .append(" AS t USING (")
            .append(sourceSelect)
            .append(") AS s ON ")
            .append(on)
            .append(" WHEN MATCHED");
    if (fenced) {
      sql.append(" AND ").append(fenceCondition("s", "t"));
    }
    sql.append(" THEN UPDATE SET ")
        .append(values.stream().map(c -> q(c) + " = s." + q(c)).collect(Collectors.joining(", ")))
        .append(" WHEN NOT MATCHED THEN INSERT (")
        .append(columns.stream().map(JdbcSession::q).collect(Collectors.joining(", ")))
        .append(") VALUES (")
        .append(columns.stream().map(c -> "s." + q(c)).collect(Collectors.joining(", ")))
        .append(')');
    return sql.toString();
  }

  @Override
  public void close() {
    synchronized (DATABASES) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        connection.close();
        if (--database.handles == 0) {
          DATABASES.remove(url);
          database.root.close();
        }
      } catch (SQLException e) {
        throw new IllegalStateException(
            "cannot close the DuckDB warehouse " + Warehouses.redact(url), e);
      }
    }
  }

  @Override
  String sqlType(CuratedTable.ColumnType type) {
    switch (type) {
      case TIMESTAMP:
        return "TIMESTAMP";
      case STRING:
        return "VARCHAR";
      case LONG:
        return "BIGINT";
      case DOUBLE:
        return "DOUBLE";
      default:
        throw new IllegalArgumentException("no DuckDB type for " + type);
    }
  }
}
