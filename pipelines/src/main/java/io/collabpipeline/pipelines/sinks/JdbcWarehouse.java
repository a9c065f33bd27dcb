package io.collabpipeline.pipelines.sinks;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the JDBC warehouses share: the batch de-duplication by key, the bulk load of a staging table with multi-row
 * prepared inserts, and reading a table back as {@link CuratedRow}s. Each dialect adds its DDL, its set-based upsert and
 * its conversion of timestamps to epoch milliseconds.
 */
abstract class JdbcWarehouse implements Warehouse {
  /** Rows per multi-row INSERT into a staging table (well below any driver's bind-parameter limit). */
  private static final int INSERT_CHUNK_ROWS = 500;

  protected final String url;
  protected final Connection connection;

  JdbcWarehouse(String url, Connection connection) {
    this.url = url;
    this.connection = connection;
  }

  /** The dialect's column type for a curated column type. */
  abstract String sqlType(CuratedTable.ColumnType type);

  /** SQL that reads the TIMESTAMP column {@code quotedColumn} as UTC epoch milliseconds. */
  abstract String epochMillis(String quotedColumn);

  /** The ORDER BY list that sorts rows by key, strings by code point. */
  String keyOrder(List<CuratedTable.Column> keys) {
    return names(keys, "");
  }

  /** The table with every column NOT NULL and the key columns as its primary key; a no-op if it exists. */
  String createTableSql(CuratedTable table) {
    StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(q(table.tableName())).append(" (");
    for (CuratedTable.Column c : table.columns()) {
      sql.append(q(c.name())).append(' ').append(sqlType(c.type())).append(" NOT NULL, ");
    }
    sql.append("PRIMARY KEY (").append(names(table.keyColumns(), "")).append("))");
    return sql.toString();
  }

  /**
   * The column list of a staging table for {@code table}: timestamps travel as epoch milliseconds (BIGINT) and become
   * timestamps in the dialect's upsert.
   */
  String stagingColumns(CuratedTable table) {
    StringBuilder ddl = new StringBuilder("(");
    List<CuratedTable.Column> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      CuratedTable.Column c = columns.get(i);
      String type = c.type() == CuratedTable.ColumnType.TIMESTAMP ? "BIGINT" : sqlType(c.type());
      ddl.append(i == 0 ? "" : ", ").append(q(c.name())).append(' ').append(type);
    }
    return ddl.append(')').toString();
  }

  /** Work on the connection that must commit as a whole. */
  interface SqlWork {
    void run() throws SQLException;
  }

  /** Runs {@code work} in one transaction: committed if it completes, rolled back if it throws. */
  void inTransaction(SqlWork work) throws SQLException {
    connection.setAutoCommit(false);
    try {
      work.run();
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /**
   * The rows of a batch grouped by table, tables in a fixed order and only those with rows, keeping the last row per
   * key: an upsert batch must not touch one key twice.
   */
  static Map<CuratedTable, List<CuratedRow>> lastRowPerKey(List<CuratedRow> rows) {
    Map<CuratedTable, Map<List<Object>, CuratedRow>> byTable = new LinkedHashMap<>();
    for (CuratedTable t : CuratedTable.values()) {
      byTable.put(t, new LinkedHashMap<>());
    }
    for (CuratedRow row : rows) {
      byTable.get(row.table()).put(row.key(), row);
    }
    Map<CuratedTable, List<CuratedRow>> out = new LinkedHashMap<>();
    for (Map.Entry<CuratedTable, Map<List<Object>, CuratedRow>> e : byTable.entrySet()) {
      if (!e.getValue().isEmpty()) {
        out.put(e.getKey(), new ArrayList<>(e.getValue().values()));
      }
    }
    return out;
  }

  /** Loads {@code rows} into the staging table, timestamps as epoch milliseconds, in multi-row inserts. */
  void insertChunks(String staging, CuratedTable table, List<CuratedRow> rows) throws SQLException {
    int width = table.columns().size();
    String tuple = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
    PreparedStatement full = null;
    try {
      for (int from = 0; from < rows.size(); from += INSERT_CHUNK_ROWS) {
        int n = Math.min(INSERT_CHUNK_ROWS, rows.size() - from);
        PreparedStatement ps;
        if (n == INSERT_CHUNK_ROWS) {
          if (full == null) {
            full = connection.prepareStatement(insertSql(staging, tuple, n));
          }
          ps = full;
        } else {
          ps = connection.prepareStatement(insertSql(staging, tuple, n));
        }
        try {
          int p = 1;
          for (int r = from; r < from + n; r++) {
            List<Object> values = rows.get(r).values();
            for (int i = 0; i < width; i++) {
              bind(ps, p++, table.columns().get(i).type(), values.get(i));
            }
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

  private static String insertSql(String staging, String tuple, int rows) {
    return "INSERT INTO " + staging + " VALUES " + String.join(", ", Collections.nCopies(rows, tuple));
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

  @Override
  public List<CuratedRow> read(CuratedTable table) throws SQLException {
    String select =
        table.columns().stream()
            .map(c -> c.type() == CuratedTable.ColumnType.TIMESTAMP ? epochMillis(q(c.name())) : q(c.name()))
            .collect(Collectors.joining(", "));
    String sql = "SELECT " + select + " FROM " + q(table.tableName()) + " ORDER BY " + keyOrder(table.keyColumns());
    List<CuratedRow> rows = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < table.columns().size(); i++) {
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
        rows.add(CuratedRow.of(table, values));
      }
    }
    return rows;
  }

  static String names(List<CuratedTable.Column> columns, String qualifier) {
    return columns.stream().map(c -> qualifier + q(c.name())).collect(Collectors.joining(", "));
  }

  static String q(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
