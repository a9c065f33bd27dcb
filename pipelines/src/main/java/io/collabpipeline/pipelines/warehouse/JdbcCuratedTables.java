package io.collabpipeline.pipelines.warehouse;

import static io.collabpipeline.pipelines.warehouse.JdbcSession.GENERATION;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.PANE_INDEX;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.columnNames;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.names;
import static io.collabpipeline.pipelines.warehouse.JdbcSession.q;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@link CuratedTables} on a JDBC warehouse: the curated tables' DDL (every column NOT NULL, {@code
 * generation} and {@code pane_index} last, the key as primary key), the fenced live write through
 * {@link JdbcLoad} in one {@link JdbcSession#write} transaction, and reading rows back in key
 * order.
 */
final class JdbcCuratedTables implements CuratedTables {
  static final String CORRECTIONS_DUE = "pipeline_corrections_due";

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
    ddl.add(correctionsDueDdl(session));
    return ddl;
  }

  /**
   * {@code pipeline_corrections_due}: the metric windows a stateless start could not see whole, one
   * row per (window, granularity, generation), so recording a window twice is a no-op.
   */
  private static String correctionsDueDdl(JdbcSession session) {
    String ts = session.sqlType(CuratedTable.ColumnType.TIMESTAMP);
    return "CREATE TABLE IF NOT EXISTS "
        + q(CORRECTIONS_DUE)
        + " (window_start "
        + ts
        + " NOT NULL, granularity "
        + session.sqlType(CuratedTable.ColumnType.STRING)
        + " NOT NULL, generation "
        + session.sqlType(CuratedTable.ColumnType.LONG)
        + " NOT NULL, recorded_at "
        + ts
        + " NOT NULL, PRIMARY KEY (window_start, granularity, generation))";
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
  public void upsertVersioned(List<VersionedRow> rows, @Nullable PartialWindows partial)
      throws SQLException {
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
                columnNames(table.keyColumns()),
                partial == null ? null : partial.partialBeforeMillis(table));
          }
          return null;
        });
  }

  @Override
  public List<CorrectionDue> correctionsDue() throws SQLException {
    List<CorrectionDue> due = new ArrayList<>();
    try (Statement st = session.connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT "
                    + session.epochMillis("window_start")
                    + ", granularity, generation FROM "
                    + q(CORRECTIONS_DUE)
                    + " ORDER BY window_start, granularity, generation")) {
      while (rs.next()) {
        due.add(
            CorrectionDue.of(Instant.ofEpochMilli(rs.getLong(1)), rs.getString(2), rs.getLong(3)));
      }
    }
    return due;
  }

  @Override
  public void recordCorrectionsDue(List<CorrectionDue> due) throws SQLException {
    if (due.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    session.write(
        () -> {
          try (Statement st = session.connection.createStatement()) {
            for (CorrectionDue d : due) {
              st.execute(
                  "INSERT INTO "
                      + q(CORRECTIONS_DUE)
                      + " (window_start, granularity, generation, recorded_at) VALUES ("
                      + session.timestampOf(Long.toString(d.windowStart().toEpochMilli()))
                      + ", '"
                      + io.collabpipeline.model.Granularity.valueOf(
                              d.granularity().toUpperCase(java.util.Locale.ROOT))
                          .code()
                      + "', "
                      + d.generation()
                      + ", "
                      + session.timestampOf(Long.toString(now))
                      + ") ON CONFLICT DO NOTHING");
            }
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
