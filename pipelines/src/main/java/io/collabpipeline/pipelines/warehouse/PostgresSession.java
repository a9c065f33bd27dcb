package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.Driver;

/**
 * A session on a PostgreSQL warehouse ({@code jdbc:postgresql://host:port/database}, e.g. the local
 * one {@code bin/collab-postgres} starts): PostgreSQL's side of {@link JdbcSession}.
 *
 * <p><b>Credentials</b> come from the URL ({@code user=}, {@code password=}) or, when the URL has
 * none, from the standard {@code PGUSER} and {@code PGPASSWORD} environment variables. They are
 * never logged: messages carry the URL through {@link Warehouses#redact}.
 *
 * <p><b>Tables.</b> Timestamp columns are {@code timestamptz}: they hold instants, so neither the
 * JVM's nor the session's time zone can shift them. Values travel as epoch milliseconds and are
 * converted in SQL with exact integer arithmetic ({@code 'epoch' + ms * 1 ms} in, {@code
 * extract(epoch) * 1000} out). DDL ({@link #runDdl}) runs under a transaction-scoped advisory lock,
 * because concurrent {@code CREATE TABLE IF NOT EXISTS} of the same table can fail in PostgreSQL,
 * and every DoFn instance of {@link WriteCurated} creates the tables at setup.
 *
 * <p><b>Writes.</b> A batch is de-duplicated by key (the greatest (generation, pane index) wins),
 * bulk-loaded into a temporary load table (dropped at commit) with multi-row prepared inserts, and
 * written with ONE set-based {@code INSERT INTO t ... SELECT ... ON CONFLICT (key) DO UPDATE SET
 * ... WHERE EXCLUDED.generation > t.generation OR (EXCLUDED.generation = t.generation AND
 * EXCLUDED.pane_index >= t.pane_index)} per table, all in one transaction. {@code ON CONFLICT}
 * rather than {@code MERGE}: it is the statement that stays correct when concurrent writers insert
 * the same new key (PostgreSQL's {@code MERGE} can then fail with a unique violation), and its
 * WHERE is evaluated against the row as locked, so the fence holds under concurrent writers. Rows
 * are applied in key order, and a transaction that still loses a deadlock is retried. A replay
 * commit locks the replayed tables ({@link #lockForReplayCommit}), checks the fence, deletes the
 * stored keys in scope the generation did not stage and writes the staged rows with an unfenced
 * {@code ON CONFLICT DO UPDATE}, in one transaction.
 */
final class PostgresSession extends JdbcSession {
  static final String URL_PREFIX = "jdbc:postgresql:";

  /** Attempts of one upsert transaction that fails with a deadlock or a serialization failure. */
  private static final int MAX_ATTEMPTS = 5;

  /**
   * The advisory lock key that serializes {@link #runDdl} across connections ("collab" in ASCII).
   */
  private static final long DDL_LOCK_KEY = 0x636f6c6c6162L;

  private PostgresSession(String url, Connection connection) {
    super(url, connection);
  }

  @Override
  String epochMillis(String quotedColumn) {
    return "(extract(epoch FROM " + quotedColumn + ") * 1000)::bigint";
  }

  static PostgresSession open(String url) throws SQLException {
    Properties credentials = new Properties();
    String query =
        url.indexOf('?') >= 0 ? url.substring(url.indexOf('?')).toLowerCase(Locale.ROOT) : "";
    String user = System.getenv("PGUSER");
    if (!query.matches(".*[?&]user=.*") && user != null && !user.isEmpty()) {
      credentials.setProperty("user", user);
    }
    String password = System.getenv("PGPASSWORD");
    if (!query.matches(".*[?&]password=.*") && password != null) {
      credentials.setProperty("password", password);
    }
    // The driver is used directly rather than through DriverManager, which does not see drivers
    // loaded by a runner's
    // user-code class loader (Flink).
    Connection connection;
    try {
      connection = new Driver().connect(url, credentials);
    } catch (SQLException e) {
      throw new SQLException(
          "cannot connect to the PostgreSQL warehouse "
              + Warehouses.redact(url)
              + ": "
              + e.getMessage(),
          e.getSQLState(),
          e);
    }
    if (connection == null) {
      throw new SQLException("the PostgreSQL driver did not accept " + Warehouses.redact(url));
    }
    return new PostgresSession(url, connection);
  }

  @Override
  String timestampOf(String millis) {
    return "(timestamptz 'epoch' + " + millis + " * interval '1 millisecond')";
  }

  @Override
  String createLoadTableSql(String quotedName, String columnsDdl) {
    return "CREATE TEMP TABLE " + quotedName + " " + columnsDdl + " ON COMMIT DROP";
  }

  @Override
  void runDdl(List<String> statements) throws SQLException {
    inTransaction(
        () -> {
          try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(" + DDL_LOCK_KEY + ")");
            for (String ddl : statements) {
              st.execute(ddl);
            }
          }
        });
  }

  @Override
  <T> T write(SqlCall<T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        return inTransaction(work);
      } catch (SQLException e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) {
          throw e;
        }
      }
    }
  }

  /**
   * Deadlock detected or serialization failure: the transaction was rolled back and can simply run
   * again.
   */
  private static boolean isRetryable(SQLException e) {
    return "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
  }

  /**
   * {@code SHARE ROW EXCLUSIVE} on the replayed tables, in their fixed order: live writers of those
   * tables wait until the commit ends, so none can slip a row of a newer generation into the scope
   * between the fence check and the replacement; readers are not blocked.
   */
  @Override
  void lockForReplayCommit(Statement st) throws SQLException {
    st.execute(
        "LOCK TABLE "
            + ReplayScope.TABLES.stream()
                .map(t -> q(t.tableName()))
                .collect(Collectors.joining(", "))
            + " IN SHARE ROW EXCLUSIVE MODE");
  }

  @Override
  String upsertSql(
      String target,
      List<String> columns,
      List<String> keyColumns,
      String sourceSelect,
      boolean fenced) {
    List<String> values = new ArrayList<>();
    for (String c : columns) {
      if (!keyColumns.contains(c)) {
        values.add(c);
      }
    }
    String list = columns.stream().map(PostgresSession::q).collect(Collectors.joining(", "));
    StringBuilder sql =
        new StringBuilder("INSERT INTO ")
            .append(target)
            .append(" AS t (")
            .append(list)
            .append(") SELECT ")
            .append(list)
            .append(" FROM (")
            .append(sourceSelect)
            .append(") s ORDER BY ")
            .append(keyColumns.stream().map(PostgresSession::q).collect(Collectors.joining(", ")))
            .append(" ON CONFLICT (")
            .append(keyColumns.stream().map(PostgresSession::q).collect(Collectors.joining(", ")))
            .append(") DO UPDATE SET ")
            .append(
                values.stream()
                    .map(c -> q(c) + " = EXCLUDED." + q(c))
                    .collect(Collectors.joining(", ")));
    if (fenced) {
      sql.append(" WHERE ").append(fenceCondition("EXCLUDED", "t"));
    }
    return sql.toString();
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot close the PostgreSQL warehouse " + Warehouses.redact(url), e);
    }
  }

  @Override
  String sqlType(CuratedTable.ColumnType type) {
    switch (type) {
      case TIMESTAMP:
        return "timestamptz";
      case STRING:
        return "text";
      case LONG:
        return "bigint";
      case DOUBLE:
        return "double precision";
      default:
        throw new IllegalArgumentException("no PostgreSQL type for " + type);
    }
  }

  /**
   * Key order independent of the database's collation: strings compare by code point, as in the
   * other warehouses.
   */
  @Override
  String keyOrder(List<CuratedTable.Column> keys) {
    return codePointOrder(keys);
  }

  private static String codePointOrder(List<CuratedTable.Column> keys) {
    return keys.stream()
        .map(
            c -> q(c.name()) + (c.type() == CuratedTable.ColumnType.STRING ? " COLLATE \"C\"" : ""))
        .collect(Collectors.joining(", "));
  }
}
