package io.collabpipeline.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The curated tables of contract 2: their columns in order, their types and their key. Sinks build
 * DDL and idempotent MERGE statements from this one description, so a table is defined once.
 */
public enum CuratedTable {
  ACTIVE_EDITORS(
      "active_editors",
      cols(
          key("window_start", ColumnType.TIMESTAMP),
          col("window_end", ColumnType.TIMESTAMP),
          key("granularity", ColumnType.STRING),
          key("workspace_gid", ColumnType.STRING),
          col("active_editors", ColumnType.LONG))),
  TASK_UPDATE_VELOCITY(
      "task_update_velocity",
      cols(
          key("window_start", ColumnType.TIMESTAMP),
          col("window_end", ColumnType.TIMESTAMP),
          key("granularity", ColumnType.STRING),
          key("workspace_gid", ColumnType.STRING),
          col("task_updates", ColumnType.LONG),
          col("tasks_touched", ColumnType.LONG),
          col("tasks_completed", ColumnType.LONG))),
  NOTIFICATION_FANOUT(
      "notification_fanout",
      cols(
          key("window_start", ColumnType.TIMESTAMP),
          col("window_end", ColumnType.TIMESTAMP),
          key("granularity", ColumnType.STRING),
          key("workspace_gid", ColumnType.STRING),
          key("trigger_event_type", ColumnType.STRING),
          col("trigger_events", ColumnType.LONG),
          col("notifications", ColumnType.LONG),
          col("fanout_avg", ColumnType.DOUBLE),
          col("fanout_max", ColumnType.LONG))),
  PIPELINE_COMPLETENESS(
      "pipeline_completeness",
      cols(
          key("window_start", ColumnType.TIMESTAMP),
          key("granularity", ColumnType.STRING),
          key("stage", ColumnType.STRING),
          col("events", ColumnType.LONG)));

  /**
   * The column that only grows as a window accumulates events: the distinct editors, the task
   * updates, the notifications, the completeness count. Of two rows of one key computed from the
   * same input, the one with the greater value has absorbed more events, and two rows with equal
   * values hold the same content (each is a count or a distinct count over a growing set, from
   * which the other columns derive). It is what orders the panes of one window across a restore
   * from a checkpoint, where Beam's pane index starts again from the checkpoint's.
   */
  public String growingColumn() {
    switch (this) {
      case ACTIVE_EDITORS:
        return "active_editors";
      case TASK_UPDATE_VELOCITY:
        return "task_updates";
      case NOTIFICATION_FANOUT:
        return "notifications";
      case PIPELINE_COMPLETENESS:
      default:
        return "events";
    }
  }

  /**
   * Column types, mapped by each warehouse dialect. TIMESTAMP values are UTC epoch milliseconds.
   */
  public enum ColumnType {
    TIMESTAMP,
    STRING,
    LONG,
    DOUBLE
  }

  /** One column of a curated table. */
  public static final class Column {
    private final String name;
    private final ColumnType type;
    private final boolean key;

    private Column(String name, ColumnType type, boolean key) {
      this.name = name;
      this.type = type;
      this.key = key;
    }

    public String name() {
      return name;
    }

    public ColumnType type() {
      return type;
    }

    public boolean isKey() {
      return key;
    }
  }

  private final String tableName;
  private final List<Column> columns;

  CuratedTable(String tableName, List<Column> columns) {
    this.tableName = tableName;
    this.columns = columns;
  }

  public String tableName() {
    return tableName;
  }

  public List<Column> columns() {
    return columns;
  }

  public List<Column> keyColumns() {
    List<Column> keys = new ArrayList<>();
    for (Column c : columns) {
      if (c.isKey()) {
        keys.add(c);
      }
    }
    return keys;
  }

  /** The position of a column, or an exception naming the table if it has no such column. */
  public int indexOf(String columnName) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(columnName)) {
        return i;
      }
    }
    throw new IllegalArgumentException("table " + tableName + " has no column " + columnName);
  }

  /** {@code values()} once: it copies the array on every call, and every decode of a row asks. */
  private static final CuratedTable[] TABLES = values();

  public static CuratedTable fromTableName(String name) {
    for (CuratedTable t : TABLES) {
      if (t.tableName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown curated table '" + name + "'");
  }

  private static Column key(String name, ColumnType type) {
    return new Column(name, type, true);
  }

  private static Column col(String name, ColumnType type) {
    return new Column(name, type, false);
  }

  private static List<Column> cols(Column... columns) {
    List<Column> list = new ArrayList<>();
    Collections.addAll(list, columns);
    return Collections.unmodifiableList(list);
  }
}
