package io.collabpipeline.tools.sql;

import io.collabpipeline.pipelines.launch.CommandLine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/collab-sql "SELECT ..."}: runs one SQL statement on the local DuckDB warehouse and
 * prints the result as a table, so a user can look at the curated tables (and, through {@code
 * read_parquet}, the raw store) without installing a database client.
 */
public final class CollabSql {
  private static final int MAX_ROWS = 200;

  private CollabSql() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String db = "collab-data/warehouse.duckdb";
    String sql = null;
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        out.println(
            "usage: collab-sql [--db=FILE] \"SQL\"   runs one statement on the embedded default's"
                + " DuckDB warehouse (default collab-data/warehouse.duckdb) and prints at most "
                + MAX_ROWS
                + " rows");
        return 0;
      }
      if (a.startsWith("--db=")) {
        db = a.substring("--db=".length());
      } else if (a.startsWith("--")) {
        err.println("collab-sql: unknown option " + a + " (usage: collab-sql [--db=FILE] \"SQL\")");
        return 2;
      } else if (sql == null) {
        sql = a;
      } else {
        err.println(
            "collab-sql: give the SQL as one quoted argument (usage: collab-sql [--db=FILE] \"SQL\")");
        return 2;
      }
    }
    if (sql == null) {
      err.println("collab-sql: no SQL given (usage: collab-sql [--db=FILE] \"SQL\")");
      return 2;
    }
    Path file = Paths.get(db).toAbsolutePath();
    if (!Files.exists(file)) {
      err.println(
          "collab-sql: no warehouse at "
              + file
              + ": run bin/collab-pipeline first, or pass --db=FILE");
      return 2;
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file);
        Statement st = c.createStatement()) {
      if (!st.execute(sql)) {
        out.println("ok, " + st.getUpdateCount() + " rows changed");
        return 0;
      }
      try (ResultSet rs = st.getResultSet()) {
        printTable(rs, out);
      }
      return 0;
    } catch (SQLException e) {
      err.println("collab-sql: " + CommandLine.firstLine(e.getMessage()));
      return 1;
    }
  }

  private static void printTable(ResultSet rs, PrintStream out) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String[]> rows = new ArrayList<>();
    String[] header = new String[n];
    int[] width = new int[n];
    for (int i = 0; i < n; i++) {
      header[i] = md.getColumnLabel(i + 1);
      width[i] = header[i].length();
    }
    int total = 0;
    while (rs.next()) {
      total++;
      if (rows.size() < MAX_ROWS) {
        String[] r = new String[n];
        for (int i = 0; i < n; i++) {
          Object v = rs.getObject(i + 1);
          r[i] = v == null ? "NULL" : v.toString();
          width[i] = Math.max(width[i], r[i].length());
        }
        rows.add(r);
      }
    }
    out.println(line(header, width));
    StringBuilder sep = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sep.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
    }
    out.println(sep);
    for (String[] r : rows) {
      out.println(line(r, width));
    }
    out.println(
        "("
            + total
            + " row"
            + (total == 1 ? "" : "s")
            + (total > MAX_ROWS ? ", first " + MAX_ROWS + " shown" : "")
            + ")");
  }

  private static String line(String[] cells, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      sb.append(i == 0 ? "" : " | ").append(String.format("%-" + width[i] + "s", cells[i]));
    }
    return sb.toString();
  }
}
