package io.collabpipeline.model;

import com.google.auto.value.AutoValue;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One row of a curated table, values in the table's column order ({@link CuratedTable#columns()}).
 * Rows are keyed by the table's key columns; writing the same row twice leaves the table as writing
 * it once.
 */
@AutoValue
public abstract class CuratedRow {

  public abstract CuratedTable table();

  /**
   * Values in column order: TIMESTAMP and LONG as {@link Long}, STRING as {@link String}, DOUBLE as
   * {@link Double}.
   */
  public abstract List<Object> values();

  public static CuratedRow of(CuratedTable table, List<Object> values) {
    if (values.size() != table.columns().size()) {
      throw new IllegalArgumentException(
          "table "
              + table.tableName()
              + " has "
              + table.columns().size()
              + " columns, got "
              + values.size());
    }
    for (int i = 0; i < values.size(); i++) {
      Object v = values.get(i);
      CuratedTable.Column c = table.columns().get(i);
      boolean ok =
          v != null
              && (c.type() == CuratedTable.ColumnType.STRING
                  ? v instanceof String
                  : c.type() == CuratedTable.ColumnType.DOUBLE
                      ? v instanceof Double
                      : v instanceof Long);
      if (!ok) {
        throw new IllegalArgumentException(
            "column " + table.tableName() + "." + c.name() + " expects " + c.type() + ", got " + v);
      }
    }
    return new AutoValue_CuratedRow(
        table, Collections.unmodifiableList(Arrays.asList(values.toArray())));
  }

  public static CuratedRow activeEditors(
      long windowStart, Granularity granularity, String workspaceGid, long activeEditors) {
    return of(
        CuratedTable.ACTIVE_EDITORS,
        Arrays.asList(
            windowStart,
            windowStart + granularity.size().getMillis(),
            granularity.code(),
            workspaceGid,
            activeEditors));
  }

  public static CuratedRow taskUpdateVelocity(
      long windowStart,
      Granularity granularity,
      String workspaceGid,
      long taskUpdates,
      long tasksTouched,
      long tasksCompleted) {
    return of(
        CuratedTable.TASK_UPDATE_VELOCITY,
        Arrays.asList(
            windowStart,
            windowStart + granularity.size().getMillis(),
            granularity.code(),
            workspaceGid,
            taskUpdates,
            tasksTouched,
            tasksCompleted));
  }

  /**
   * {@code fanout_avg} is derived here, as notifications / trigger_events, so every sink agrees on
   * it.
   */
  public static CuratedRow notificationFanout(
      long windowStart,
      Granularity granularity,
      String workspaceGid,
      String triggerEventType,
      long triggerEvents,
      long notifications,
      long fanoutMax) {
    double avg = triggerEvents == 0 ? 0.0 : (double) notifications / (double) triggerEvents;
    return of(
        CuratedTable.NOTIFICATION_FANOUT,
        Arrays.asList(
            windowStart,
            windowStart + granularity.size().getMillis(),
            granularity.code(),
            workspaceGid,
            triggerEventType,
            triggerEvents,
            notifications,
            avg,
            fanoutMax));
  }

  public static CuratedRow completeness(
      long windowStart, Granularity granularity, String stage, long events) {
    return of(
        CuratedTable.PIPELINE_COMPLETENESS,
        Arrays.asList(windowStart, granularity.code(), stage, events));
  }

  public Object get(String column) {
    return values().get(table().indexOf(column));
  }

  public long getLong(String column) {
    return (Long) get(column);
  }

  public String getString(String column) {
    return (String) get(column);
  }

  public double getDouble(String column) {
    return (Double) get(column);
  }

  /** The key values, in key-column order; equal keys mean the same warehouse row. */
  public List<Object> key() {
    Object[] k = new Object[table().keyColumns().size()];
    int j = 0;
    for (int i = 0; i < values().size(); i++) {
      if (table().columns().get(i).isKey()) {
        k[j++] = values().get(i);
      }
    }
    return Arrays.asList(k);
  }
}
