package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The repository's Snowflake curated and stage tables, created in a PostgreSQL database from the
 * DDL files themselves ({@link DdlTables}), plus what the tests need to drive and read them: the
 * MERGE files run verbatim, and rows read back with their fencing columns.
 */
final class PostgresSnowflakeSchema {
  private final String url;

  private PostgresSnowflakeSchema(String url) {
    this.url = url;
  }

  /**
   * Creates every table of 02_curated_tables.sql and 03_stage_tables.sql, and {@code loaded_files},
   * in {@code url}.
   */
  static PostgresSnowflakeSchema create(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      for (String file : new String[] {"02_curated_tables.sql", "03_stage_tables.sql"}) {
        for (DdlTables.Table t : DdlTables.of(file).values()) {
          st.execute(t.postgresDdl());
        }
      }
      st.execute(PostgresLoadingServices.LOADED_FILES_DDL);
    }
    return new PostgresSnowflakeSchema(url);
  }

  String url() {
    return url;
  }

  /**
   * Runs the MERGE file of {@code table} in one transaction, as the batch service and the Snowflake
   * task do.
   */
  void merge(CuratedTable table) throws SQLException {
    merge(table.tableName());
  }

  /** Runs the MERGE file of the table named {@code tableName} (e.g. pipeline_canary) likewise. */
  void merge(String tableName) throws SQLException {
    try (Connection c = DriverManager.getConnection(url)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String sql : SnowflakeSql.mergeStatements(tableName)) {
          st.executeUpdate(sql);
        }
      }
      c.commit();
    }
  }

  void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * The rows of {@code pipeline_corrections_due} as {@code "<window_start UTC, to the minute>
   * <granularity> <generation>"}, duplicates kept, in that order.
   */
  List<String> correctionsDue() throws SQLException {
    return strings(
        "SELECT to_char(window_start, 'YYYY-MM-DD\"T\"HH24:MI') || ' ' || granularity || ' ' ||"
            + " generation FROM pipeline_corrections_due ORDER BY 1");
  }

  /**
   * The rows of {@code pipeline_canary} as {@code "<event_id> <source_partition> <occurred_at ms>
   * <arrived_at ms>"}, in event id order ({@code written_at} is read by {@link #canaryWrittenAt}).
   */
  List<String> canaries() throws SQLException {
    return strings(
        "SELECT event_id || ' ' || source_partition || ' ' ||"
            + " (extract(epoch FROM occurred_at) * 1000)::bigint || ' ' ||"
            + " (extract(epoch FROM arrived_at) * 1000)::bigint FROM pipeline_canary ORDER BY"
            + " event_id");
  }

  /** The {@code written_at} of each {@code pipeline_canary} row in epoch ms, by event id. */
  java.util.Map<String, Long> canaryWrittenAt() throws SQLException {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT event_id, (extract(epoch FROM written_at) * 1000)::bigint FROM"
                    + " pipeline_canary")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  /** The rows of the curated table, in key order. */
  List<Stored> read(CuratedTable table) throws SQLException {
    return read(table, table.tableName());
  }

  /** The rows of the stage table of {@code table}, in key, generation and pane order. */
  List<Stored> readStage(CuratedTable table) throws SQLException {
    return read(table, SnowflakeSql.stageTable(table));
  }

  /** The rows of the replay stage table of {@code table}, in key, generation and pane order. */
  List<Stored> readReplayStage(CuratedTable table) throws SQLException {
    return read(table, SnowflakeSql.replayStageTable(table));
  }

  /**
   * Everything a replay commit may change, as text: the curated rows with their fencing columns,
   * the replay stage tables, the corrections due and the generation log (without its timestamps).
   */
  List<String> snapshot() throws SQLException {
    List<String> out = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      read(t).forEach(r -> out.add(r.toString()));
    }
    for (CuratedTable t : io.collabpipeline.pipelines.warehouse.ReplayScope.TABLES) {
      readReplayStage(t).forEach(r -> out.add("replay stage " + r));
    }
    correctionsDue().forEach(d -> out.add("due " + d));
    out.addAll(
        strings(
            "SELECT generation || ' ' || kind || ' ' || coalesce(range_from::text, '-') || ' '"
                + " || coalesce(range_to::text, '-') || ' ' || status || ' ' ||"
                + " coalesce(rows_staged::text, '-') || ' ' || coalesce(rows_committed::text, '-')"
                + " FROM pipeline_generations ORDER BY generation"));
    return out;
  }

  private List<Stored> read(CuratedTable table, String relation) throws SQLException {
    String columns =
        table.columns().stream()
            .map(
                c ->
                    c.type() == CuratedTable.ColumnType.TIMESTAMP
                        ? "(extract(epoch FROM " + c.name() + ") * 1000)::bigint"
                        : c.name())
            .collect(Collectors.joining(", "));
    String keys =
        table.keyColumns().stream()
            .map(CuratedTable.Column::name)
            .collect(Collectors.joining(", "));
    String sql =
        "SELECT "
            + columns
            + ", generation, pane_index FROM "
            + relation
            + " ORDER BY "
            + keys
            + ", generation, pane_index";
    List<Stored> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = table.columns().size();
      while (rs.next()) {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          switch (table.columns().get(i).type()) {
            case STRING:
              values.add(rs.getString(i + 1));
              break;
            case DOUBLE:
              values.add(rs.getDouble(i + 1));
              break;
            default:
              values.add(rs.getLong(i + 1));
          }
        }
        rows.add(new Stored(CuratedRow.of(table, values), rs.getLong(n + 1), rs.getLong(n + 2)));
      }
    }
    return rows;
  }

  /** A stored row with its fencing columns. */
  static final class Stored {
    final CuratedRow row;
    final long generation;
    final long paneIndex;

    Stored(CuratedRow row, long generation, long paneIndex) {
      this.row = row;
      this.generation = generation;
      this.paneIndex = paneIndex;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Stored)) {
        return false;
      }
      Stored s = (Stored) o;
      return row.equals(s.row) && generation == s.generation && paneIndex == s.paneIndex;
    }

    @Override
    public int hashCode() {
      return Objects.hash(row, generation, paneIndex);
    }

    @Override
    public String toString() {
      return row.table().tableName() + row.values() + " g=" + generation + " p=" + paneIndex;
    }
  }
}
