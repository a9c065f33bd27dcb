package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One table's part of a replay's {@link WarehouseDiff}, tallied row by row as a warehouse's diff
 * query returns the rows that differ (every {@link ReplayStaging} counts them alike): added,
 * removed and changed rows, the windows they are in, and the {@code max} largest changes, largest
 * first with ties broken by key so the order does not depend on the engine.
 */
public final class DiffTally {
  private static final Comparator<WarehouseDiff.RowChange> LARGEST_FIRST =
      Comparator.comparingDouble(WarehouseDiff.RowChange::magnitude)
          .reversed()
          .thenComparing(WarehouseDiff.RowChange::key, DiffTally::compareKeys);

  private final int max;
  private long added;
  private long removed;
  private long changed;
  private final TreeSet<WarehouseDiff.Window> windows = new TreeSet<>();
  // A min-heap of the largest changes so far: its head is the smallest one kept.
  private final PriorityQueue<WarehouseDiff.RowChange> largest =
      new PriorityQueue<>(LARGEST_FIRST.reversed());

  /** A tally that keeps the {@code max} largest changes (none if {@code max <= 0}). */
  public DiffTally(int max) {
    this.max = max;
  }

  /** One differing key: its stored row {@code before} and staged row {@code after}, either null. */
  public void add(@Nullable CuratedRow before, @Nullable CuratedRow after) {
    WarehouseDiff.RowChange change = WarehouseDiff.RowChange.of(before, after);
    switch (change.kind()) {
      case ADDED:
        added++;
        break;
      case REMOVED:
        removed++;
        break;
      default:
        changed++;
    }
    CuratedRow any = after != null ? after : before;
    windows.add(WarehouseDiff.Window.of(any.getLong("window_start"), any.getString("granularity")));
    if (max > 0) {
      largest.add(change);
      if (largest.size() > max) {
        largest.poll();
      }
    }
  }

  /** The table's diff from what was tallied and the counts its warehouse read around it. */
  public WarehouseDiff.TableDiff toTableDiff(
      CuratedTable table,
      long rowsBefore,
      long rowsAfter,
      long rowsOutsideScope,
      @Nullable Long newerGeneration) {
    List<WarehouseDiff.RowChange> top = new ArrayList<>(largest);
    top.sort(LARGEST_FIRST);
    return WarehouseDiff.TableDiff.of(
        table,
        rowsBefore,
        rowsAfter,
        added,
        removed,
        changed,
        rowsOutsideScope,
        new ArrayList<>(windows),
        top,
        newerGeneration);
  }

  @SuppressWarnings("unchecked")
  private static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = ((Comparable<Object>) a.get(i)).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
