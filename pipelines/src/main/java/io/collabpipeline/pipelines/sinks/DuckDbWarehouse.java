package io.collabpipeline.pipelines.sinks;

import io.collabpipeline.model.CuratedRow;
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
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;

/**
 * The embedded DuckDB warehouse ({@code jdbc:duckdb:/path/file.duckdb}).
 *
 * <p><b>One database per JVM and URL, one writer at a time.</b> DuckDB lets one process hold a database file, and a
 * commit fails when two connections of that process touch the same key concurrently (a write-write conflict), which
 * is what parallel DoFn instances flushing panes of the same window would do. So all handles for one URL in a JVM
 * share one database instance (each handle is a duplicate of its root connection) and every write takes a JVM-wide
 * lock for that URL. The instance is closed, and the file released for other processes, when its last handle closes.
 *
 * <p><b>Upsert.</b> A batch is de-duplicated by key (last wins), bulk-loaded into a temporary staging table with
 * multi-row inserts, and merged with ONE set-based {@code MERGE INTO ... USING staging} per table, in one
 * transaction: row-by-row upserts are orders of magnitude slower. Timestamps are stored as {@code TIMESTAMP} holding
 * UTC and converted with {@code epoch_ms} on both sides, so no JVM or session time zone is involved.
 */
final class DuckDbWarehouse extends JdbcWarehouse {
  static final String URL_PREFIX = "jdbc:duckdb:";

  /** Guarded by itself. */
  private static final Map<String, SharedDatabase> DATABASES = new HashMap<>();

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

  private DuckDbWarehouse(String url, SharedDatabase database, Connection connection) {
    super(url, connection);
    this.database = database;
  }

  @Override
  String epochMillis(String quotedColumn) {
    return "epoch_ms(" + quotedColumn + ")";
  }

  static DuckDbWarehouse open(String url) throws SQLException {
    synchronized (DATABASES) {
      SharedDatabase db = DATABASES.get(url);
      if (db == null) {
        createParentDirectory(url);
        // The driver is used directly rather than through DriverManager, which does not see drivers loaded by a
        // runner's user-code class loader (Flink).
        Connection root = new DuckDBDriver().connect(url, new Properties());
        if (root == null) {
          throw new SQLException("the DuckDB driver did not accept " + Warehouses.redact(url));
        }
        db = new SharedDatabase((DuckDBConnection) root);
        DATABASES.put(url, db);
      }
      Connection handle = db.root.duplicate();
      db.handles++;
      return new DuckDbWarehouse(url, db, handle);
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
        throw new UncheckedIOException("cannot create the directory of the warehouse file " + path, e);
      }
    }
  }

  @Override
  public void ensureTables() throws SQLException {
    database.writeLock.lock();
    try (Statement st = connection.createStatement()) {
      for (CuratedTable table : CuratedTable.values()) {
        st.execute(createTableSql(table));
      }
    } finally {
      database.writeLock.unlock();
    }
  }

  @Override
  public void upsert(List<CuratedRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Map<CuratedTable, List<CuratedRow>> byTable = lastRowPerKey(rows);
    database.writeLock.lock();
    try {
      inTransaction(
          () -> {
            for (Map.Entry<CuratedTable, List<CuratedRow>> e : byTable.entrySet()) {
              mergeTable(e.getKey(), e.getValue());
            }
          });
    } finally {
      database.writeLock.unlock();
    }
  }

  private void mergeTable(CuratedTable table, List<CuratedRow> rows) throws SQLException {
    String staging = q("staging_" + table.tableName());
    try (Statement st = connection.createStatement()) {
      st.execute("CREATE OR REPLACE TEMP TABLE " + staging + " " + stagingColumns(table));

      insertChunks(staging, table, rows);

      st.execute(mergeSql(table, staging));
      st.execute("DROP TABLE " + staging);
    }
  }

  static String mergeSql(CuratedTable table, String staging) {
    List<CuratedTable.Column> columns = table.columns();
    String source =
        columns.stream()
            .map(
                c ->
                    c.type() == CuratedTable.ColumnType.TIMESTAMP
                        ? "epoch_ms(" + q(c.name()) + ") AS " + q(c.name())
                        : q(c.name()))
            .collect(Collectors.joining(", "));
    String on =
        table.keyColumns().stream()
            .map(c -> "t." + q(c.name()) + " = s." + q(c.name()))
            .collect(Collectors.joining(" AND "));
    List<CuratedTable.Column> values = new ArrayList<>();
    for (CuratedTable.Column c : columns) {
      if (!c.isKey()) {
        values.add(c);
      }
    }
    StringBuilder sql =
        new StringBuilder("MERGE INTO ")
            .append(q(table.tableName()))
            .append(" AS t USING (SELECT ")
            .append(source)
            .append(" FROM ")
            .append(staging)
            .append(") AS s ON ")
            .append(on);
    if (!values.isEmpty()) {
      sql.append(" WHEN MATCHED THEN UPDATE SET ")
          .append(values.stream().map(c -> q(c.name()) + " = s." + q(c.name())).collect(Collectors.joining(", ")));
    }
    sql.append(" WHEN NOT MATCHED THEN INSERT (")
        .append(names(columns, ""))
        .append(") VALUES (")
        .append(names(columns, "s."))
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
        throw new IllegalStateException("cannot close the DuckDB warehouse " + Warehouses.redact(url), e);
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
