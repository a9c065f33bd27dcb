package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.GENERATION;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.PANE_INDEX;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.columnNames;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.names;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link CuratedTables} on a JDBC warehouse: the curated tables' DDL (every column NOT NULL, {@code
 * generation} and {@code pane_index} last, the key as primary key), the fenced live write through
 * {@link JdbcLoad} in one {@link JdbcSession#write} transaction, and reading rows back in key
 * order.
 */
final class JdbcCuratedTables implements CuratedTables {
  private final JdbcSession session;

  JdbcCuratedTables(JdbcSession session) {
    this.session = session;
  }

  /** The DDL of the curated tables, in order; each statement is a no-op when its object exists. */
  static List<String> ddl(JdbcSession session) {
    List<String> ddl = new ArrayList<>();
    for (CuratedTable table : CuratedTable.values()) {
      ddl.add(createTableSql(session, table));
      ddl.add(session.addVersionColumnSql(table, GENERATION));
      ddl.add(session.addVersionColumnSql(table, PANE_INDEX));
    }
    return ddl;
  }

  /**
   * The curated table: every column NOT NULL, the version columns last, the key columns as primary
   * key.
   */
  private static String createTableSql(JdbcSession session, CuratedTable table) {
    StringBuilder sql =
        new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(q(table.tableName())).append(" (");
    for (CuratedTable.Column c : table.columns()) {
      sql.append(q(c.name())).append(' ').append(session.sqlType(c.type())).append(" NOT NULL, ");
    }
    String bigint = session.sqlType(CuratedTable.ColumnType.LONG);
    sql.append(q(GENERATION)).append(' ').append(bigint).append(" NOT NULL, ");
    sql.append(q(PANE_INDEX)).append(' ').append(bigint).append(" NOT NULL, ");
    sql.append("PRIMARY KEY (").append(names(table.keyColumns(), "")).append("))");
    return sql.toString();
  }

  /**
   * The curated tables, then the replay staging tables, then the generation log: what this
   * warehouse keeps.
   */
  @Override
  public void ensureTables() throws SQLException {
    List<String> ddl = new ArrayList<>(ddl(session));
    ddl.addAll(JdbcReplayStaging.ddl(session));
    ddl.addAll(JdbcGenerationLog.ddl(session));
    session.runDdl(ddl);
  }

  @Override
  public void upsertVersioned(List<VersionedRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Map<CuratedTable, List<VersionedRow>> byTable = JdbcLoad.newestPerKey(rows, false);
    session.write(
        () -> {
          for (Map.Entry<CuratedTable, List<VersionedRow>> e : byTable.entrySet()) {
            CuratedTable table = e.getKey();
            JdbcLoad.loadAndWrite(
                session,
                table,
                e.getValue(),
                q(table.tableName()),
                columnNames(table.keyColumns()));
          }
          return null;
        });
  }

  @Override
  public List<CuratedRow> read(CuratedTable table) throws SQLException {
    List<CuratedRow> rows = new ArrayList<>();
    for (VersionedRow row : readVersioned(table)) {
      rows.add(row.row());
    }
    return rows;
  }

  @Override
  public List<VersionedRow> readVersioned(CuratedTable table) throws SQLException {
    return session.readRows(q(table.tableName()), table, null);
  }
}
