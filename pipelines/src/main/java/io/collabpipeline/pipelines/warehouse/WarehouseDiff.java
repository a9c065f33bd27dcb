package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What {@link ReplayStaging#commitReplay} would change, computed by {@link ReplayStaging#diff} from
 * the staged rows of a generation and the stored rows of a {@link ReplayScope}, without writing
 * anything: per table of {@link ReplayScope#TABLES}, the windows whose rows would change, the rows
 * added, removed (stored keys the generation does not have) and changed (any non-key column
 * differs), and the largest changes.
 */
@AutoValue
public abstract class WarehouseDiff {

  public abstract long generation();

  public abstract ReplayScope scope();

  /** One entry per table of {@link ReplayScope#TABLES}, in that order. */
  public abstract List<TableDiff> tables();

  public static WarehouseDiff of(long generation, ReplayScope scope, List<TableDiff> tables) {
    return new AutoValue_WarehouseDiff(generation, scope, List.copyOf(tables));
  }

  /** Whether the commit would change no row. */
  public boolean isEmpty() {
    return tables().stream().allMatch(TableDiff::isEmpty);
  }

  /** Whether the commit would be refused because a newer generation holds a window of the scope. */
  public boolean wouldBeRefused() {
    return tables().stream().anyMatch(t -> t.newerGeneration() != null);
  }

  public TableDiff table(CuratedTable table) {
    for (TableDiff t : tables()) {
      if (t.table() == table) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "table " + table.tableName() + " is not in a replay's scope");
  }

  /** The diff of one table. */
  @AutoValue
  public abstract static class TableDiff {
    public abstract CuratedTable table();

    /** Stored rows in scope. */
    public abstract long rowsBefore();

    /** Staged rows in scope: the rows in scope after a commit. */
    public abstract long rowsAfter();

    public abstract long rowsAdded();

    public abstract long rowsRemoved();

    public abstract long rowsChanged();

    /** Staged rows outside the scope, which a commit drops. */
    public abstract long rowsOutsideScope();

    /** The windows with an added, removed or changed row, by window start then granularity. */
    public abstract List<Window> windowsChanged();

    /**
     * The largest changes, largest {@link RowChange#magnitude()} first (ties by key), at most the
     * number asked for; {@link #rowsAdded()} + {@link #rowsRemoved()} + {@link #rowsChanged()}
     * counts all of them.
     */
    public abstract List<RowChange> largestChanges();

    /**
     * The newest stored generation in scope if it is newer than the diffed one (a commit would be
     * refused).
     */
    public abstract @Nullable Long newerGeneration();

    public static TableDiff of(
        CuratedTable table,
        long rowsBefore,
        long rowsAfter,
        long rowsAdded,
        long rowsRemoved,
        long rowsChanged,
        long rowsOutsideScope,
        List<Window> windowsChanged,
        List<RowChange> largestChanges,
        @Nullable Long newerGeneration) {
      return new AutoValue_WarehouseDiff_TableDiff(
          table,
          rowsBefore,
          rowsAfter,
          rowsAdded,
          rowsRemoved,
          rowsChanged,
          rowsOutsideScope,
          List.copyOf(windowsChanged),
          List.copyOf(largestChanges),
          newerGeneration);
    }

    public boolean isEmpty() {
      return rowsAdded() == 0 && rowsRemoved() == 0 && rowsChanged() == 0;
    }
  }

  /** A window of a curated table: its start (UTC epoch milliseconds) and granularity code. */
  @AutoValue
  public abstract static class Window implements Comparable<Window> {
    public abstract long windowStart();

    public abstract String granularity();

    public static Window of(long windowStart, String granularity) {
      return new AutoValue_WarehouseDiff_Window(windowStart, granularity);
    }

    @Override
    public int compareTo(Window o) {
      int c = Long.compare(windowStart(), o.windowStart());
      return c != 0 ? c : granularity().compareTo(o.granularity());
    }
  }

  /** How a row changes. */
  public enum ChangeKind {
    ADDED,
    REMOVED,
    CHANGED
  }

  /** One row that a commit would add, remove or change. */
  @AutoValue
  public abstract static class RowChange {
    public abstract ChangeKind kind();

    /** The key values, in key-column order. */
    public abstract List<Object> key();

    /** The stored row; null when added. */
    public abstract @Nullable CuratedRow before();

    /** The staged row; null when removed. */
    public abstract @Nullable CuratedRow after();

    /**
     * The largest absolute difference over the numeric (LONG and DOUBLE) non-key columns, an absent
     * row counting as zeros.
     */
    public abstract double magnitude();

    public static RowChange of(@Nullable CuratedRow before, @Nullable CuratedRow after) {
      if (before == null && after == null) {
        throw new IllegalArgumentException("a row change needs a row before or after");
      }
      CuratedRow any = after != null ? after : before;
      ChangeKind kind =
          before == null
              ? ChangeKind.ADDED
              : after == null ? ChangeKind.REMOVED : ChangeKind.CHANGED;
      return new AutoValue_WarehouseDiff_RowChange(
          kind, any.key(), before, after, magnitude(before, after));
    }

    private static double magnitude(@Nullable CuratedRow before, @Nullable CuratedRow after) {
      CuratedTable table = (after != null ? after : before).table();
      double max = 0;
      for (int i = 0; i < table.columns().size(); i++) {
        CuratedTable.Column c = table.columns().get(i);
        if (c.isKey()
            || (c.type() != CuratedTable.ColumnType.LONG
                && c.type() != CuratedTable.ColumnType.DOUBLE)) {
          continue;
        }
        double b = before == null ? 0 : ((Number) before.values().get(i)).doubleValue();
        double a = after == null ? 0 : ((Number) after.values().get(i)).doubleValue();
        max = Math.max(max, Math.abs(a - b));
      }
      return max;
    }
  }
}
