package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedTable;
import java.util.Map;

/** What {@link ReplayStaging#commitReplay} did, per table of {@link ReplayScope#TABLES}. */
@AutoValue
public abstract class ReplayCommit {

  public abstract long generation();

  public abstract ReplayScope scope();

  /** Stored rows in scope whose key the generation does not have: removed. */
  public abstract Map<CuratedTable, Long> rowsRemoved();

  /**
   * Staged rows in scope written to the curated table (inserted or replacing the stored row of
   * their key).
   */
  public abstract Map<CuratedTable, Long> rowsWritten();

  /** Staged rows outside the scope (windows the replay saw only partly): dropped, never written. */
  public abstract Map<CuratedTable, Long> rowsOutsideScope();

  public static ReplayCommit of(
      long generation,
      ReplayScope scope,
      Map<CuratedTable, Long> rowsRemoved,
      Map<CuratedTable, Long> rowsWritten,
      Map<CuratedTable, Long> rowsOutsideScope) {
    return new AutoValue_ReplayCommit(
        generation,
        scope,
        Map.copyOf(rowsRemoved),
        Map.copyOf(rowsWritten),
        Map.copyOf(rowsOutsideScope));
  }

  public long totalRowsRemoved() {
    return rowsRemoved().values().stream().mapToLong(Long::longValue).sum();
  }

  public long totalRowsWritten() {
    return rowsWritten().values().stream().mapToLong(Long::longValue).sum();
  }
}
