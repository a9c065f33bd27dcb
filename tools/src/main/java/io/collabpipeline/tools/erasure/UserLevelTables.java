package io.collabpipeline.tools.erasure;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The warehouse tables that hold a row per user, and the column that holds the user's pseudonym:
 * what an erasure deletes from. The one list of them: {@code UserLevelTablesTest} compares it with
 * the dbt models materialized as tables whose columns dbt's yml flags {@code meta: {pii:
 * pseudonymized}}, so a new user-level model cannot be forgotten here. Views (staging,
 * intermediate) hold no rows of their own; the pipeline's curated tables hold no user id.
 */
public final class UserLevelTables {
  /** Table name to user column. */
  public static final Map<String, String> TABLES;

  static {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("user_activity_daily", "user_id");
    t.put("dim_workspace_membership", "user_id");
    t.put("dim_project_membership", "user_id");
    TABLES = Collections.unmodifiableMap(t);
  }

  /** One user-level table as found in a warehouse. */
  static final class Found {
    final String schema;
    final String table;
    final String userColumn;

    Found(String schema, String table, String userColumn) {
      this.schema = schema;
      this.table = table;
      this.userColumn = userColumn;
    }

    String qualified() {
      return quoteIdent(schema) + "." + quoteIdent(table);
    }

    String label() {
      return schema + "." + table;
    }
  }

  private UserLevelTables() {}

  /**
   * The user-level tables that exist where {@code c} looks, in any schema (dbt builds into its own,
   * e.g. {@code analytics}), ordered by {@link #TABLES} and schema.
   */
  static List<Found> find(Connection c) throws SQLException {
    List<Found> found = new ArrayList<>();
    String in = String.join(",", Collections.nCopies(TABLES.size(), "?"));
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT table_schema, table_name FROM information_schema.tables"
                + " WHERE table_type = 'BASE TABLE' AND lower(table_name) IN ("
                + in
                + ") ORDER BY table_schema, table_name")) {
      int i = 1;
      for (String t : TABLES.keySet()) {
        st.setString(i++, t);
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String table = rs.getString(2);
          found.add(new Found(rs.getString(1), table, TABLES.get(table.toLowerCase(Locale.ROOT))));
        }
      }
    }
    List<String> order = new ArrayList<>(TABLES.keySet());
    found.sort(
        (a, b) -> {
          int byTable =
              Integer.compare(
                  order.indexOf(a.table.toLowerCase(Locale.ROOT)),
                  order.indexOf(b.table.toLowerCase(Locale.ROOT)));
          return byTable != 0 ? byTable : a.schema.compareTo(b.schema);
        });
    return found;
  }

  /** Deletes (or, for a dry run, counts) the rows of {@code pseudonym} in {@code t}. */
  static long remove(Connection c, Found t, String pseudonym, boolean dryRun) throws SQLException {
    String where = " WHERE " + quoteIdent(t.userColumn) + " = ?";
    if (dryRun) {
      try (PreparedStatement st =
          c.prepareStatement("SELECT count(*) FROM " + t.qualified() + where)) {
        st.setString(1, pseudonym);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }
    try (PreparedStatement st = c.prepareStatement("DELETE FROM " + t.qualified() + where)) {
      st.setString(1, pseudonym);
      return st.executeUpdate();
    }
  }

  static String quoteIdent(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }
}
