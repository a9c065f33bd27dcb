package io.collabpipeline.pipelines.warehouse.snowflake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CREATE TABLE statements of a DDL file of the repository, parsed into names, columns (in
 * order) and primary keys: what the DDL tests check against {@code CuratedTable}, and what the
 * PostgreSQL tests build their tables from (so the offline engine has exactly the DDL's column
 * order, which positional COPY relies on).
 */
final class DdlTables {
  private static final Pattern CREATE_TABLE =
      Pattern.compile(
          "(?is)CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TRANSIENT\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*\\((.*)");
  private static final Pattern PRIMARY_KEY =
      Pattern.compile("(?is).*PRIMARY\\s+KEY\\s*\\(([^)]*)\\).*");

  /**
   * One column: name and the type as written (e.g. {@code TIMESTAMP_NTZ(3)}), and whether it is NOT
   * NULL.
   */
  static final class Column {
    final String name;
    final String type;
    final boolean notNull;

    Column(String name, String type, boolean notNull) {
      this.name = name;
      this.type = type;
      this.notNull = notNull;
    }
  }

  /**
   * One table: columns in order, the primary key (may be empty), and the column list as written.
   */
  static final class Table {
    final String name;
    final List<Column> columns;
    final List<String> primaryKey;
    final String body;

    Table(String name, List<Column> columns, List<String> primaryKey, String body) {
      this.name = name;
      this.columns = columns;
      this.primaryKey = primaryKey;
      this.body = body;
    }

    List<String> columnNames() {
      List<String> names = new ArrayList<>();
      for (Column c : columns) {
        names.add(c.name);
      }
      return names;
    }

    /**
     * The same table for PostgreSQL: Snowflake's timestamp types mapped, every other word as
     * written.
     */
    String postgresDdl() {
      String pg =
          body.replaceAll("(?i)TIMESTAMP_NTZ", "timestamp")
              .replaceAll("(?i)TIMESTAMP_LTZ", "timestamptz");
      return "CREATE TABLE " + name + " (" + pg + ")";
    }
  }

  private DdlTables() {}

  /** The tables created by the statements of {@code file}, by name, in file order. */
  static Map<String, Table> of(String file) {
    Map<String, Table> tables = new LinkedHashMap<>();
    for (String statement : SnowflakeSql.statements(SnowflakeSql.resource(file))) {
      Matcher m = CREATE_TABLE.matcher(statement);
      if (!m.matches()) {
        continue;
      }
      String rest = m.group(2);
      int depth = 1;
      int end = 0;
      while (depth > 0) {
        char c = rest.charAt(end++);
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      }
      String body = rest.substring(0, end - 1);
      List<Column> columns = new ArrayList<>();
      List<String> key = new ArrayList<>();
      for (String item : splitTopLevel(body)) {
        String trimmed = item.trim();
        if (trimmed.toUpperCase(Locale.ROOT).startsWith("CONSTRAINT")
            || trimmed.toUpperCase(Locale.ROOT).startsWith("PRIMARY KEY")) {
          Matcher pk = PRIMARY_KEY.matcher(trimmed);
          if (pk.matches()) {
            for (String k : pk.group(1).split(",")) {
              key.add(k.trim().toLowerCase(Locale.ROOT));
            }
          }
          continue;
        }
        String[] words = trimmed.split("\\s+");
        columns.add(
            new Column(
                words[0].toLowerCase(Locale.ROOT),
                words[1].toUpperCase(Locale.ROOT),
                trimmed.toUpperCase(Locale.ROOT).contains("NOT NULL")));
      }
      tables.put(
          m.group(1).toLowerCase(Locale.ROOT),
          new Table(m.group(1).toLowerCase(Locale.ROOT), columns, key, body));
    }
    return tables;
  }

  private static List<String> splitTopLevel(String body) {
    List<String> items = new ArrayList<>();
    int depth = 0;
    int from = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        items.add(body.substring(from, i));
        from = i + 1;
      }
    }
    items.add(body.substring(from));
    items.removeIf(s -> s.trim().isEmpty());
    return items;
  }
}
