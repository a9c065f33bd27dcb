package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a replay reaches the curated tables of a warehouse: it {@link #stage stages} its rows under
 * its generation without touching the curated tables, can {@link #diff} them against the stored
 * rows, and {@link #commitReplay commits} them in one transaction that replaces exactly the windows
 * of its {@link ReplayScope}, or discards them. One of the concerns a {@link Warehouse} handle
 * gives, when the warehouse can replay.
 */
public interface ReplayStaging {

  /**
   * Puts replay rows into the staging table of their curated table, keyed by (generation, key),
   * never touching the curated tables. Idempotent: a row replaces the staged row of its generation
   * and key iff its pane index is greater than or equal to the staged one (so a retried or
   * reordered bundle cannot put back an earlier pane). Rows of tables a replay does not rewrite
   * ({@code pipeline_completeness}) are skipped.
   */
  void stage(List<VersionedRow> rows) throws SQLException;

  /** {@link #stage(List)} with every row at {@code generation}, pane 0. */
  default void stage(long generation, List<CuratedRow> rows) throws SQLException {
    List<VersionedRow> versioned = new ArrayList<>(rows.size());
    for (CuratedRow row : rows) {
      versioned.add(VersionedRow.of(row, generation, 0));
    }
    stage(versioned);
  }

  /** The staged rows of a generation for a table, ordered by key. */
  List<VersionedRow> readStaged(long generation, CuratedTable table) throws SQLException;

  /** The number of staged rows of a generation, over all tables. */
  long countStaged(long generation) throws SQLException;

  /** The default number of largest changes per table a {@link #diff(long, ReplayScope)} reports. */
  int DEFAULT_MAX_CHANGES = 20;

  /** {@link #diff(long, ReplayScope, int)} with {@link #DEFAULT_MAX_CHANGES}. */
  default WarehouseDiff diff(long generation, ReplayScope scope) throws SQLException {
    return diff(generation, scope, DEFAULT_MAX_CHANGES);
  }

  /**
   * What {@link #commitReplay} of {@code generation} over {@code scope} would change, writing
   * nothing: per table of {@link ReplayScope#TABLES}, counts of the rows added, removed and
   * changed, the changed windows, and the {@code maxChangesPerTable} largest changes.
   */
  WarehouseDiff diff(long generation, ReplayScope scope, int maxChangesPerTable)
      throws SQLException;

  /**
   * Replaces the windows of {@code scope} with the staged rows of {@code generation}, in ONE
   * transaction: per table of {@link ReplayScope#TABLES}, the stored rows in scope whose key the
   * generation did not stage are deleted, the staged rows in scope are written (with their staged
   * pane index), and every staged row of the generation is dropped (rows outside the scope belong
   * to windows the replay saw only partly, and are never written). The generation log entry becomes
   * {@link GenerationLog.Status#COMMITTED} in the same transaction.
   *
   * <p>The generation must have been begun ({@link GenerationLog#begin}) with a range that contains
   * {@code scope} and be {@link GenerationLog.Status#RUNNING}: a commit twice, or of a dry run, a
   * failed run or a mistyped generation, would otherwise wipe windows.
   *
   * <p><b>Refused, not mixed.</b> If any stored row in scope has a NEWER generation (a later replay
   * or stream epoch has written that window), the whole commit is refused with {@link
   * GenerationFencedException} and nothing changes. Committing only the windows the newer
   * generation does not hold would leave the tables as a mix of two computations over the same
   * range (e.g. a day window from one and its hours from the other, or a workspace's rows that
   * disagree with each other), which no single run produced and no later read can detect;
   * overwriting would let an older computation replace a newer one. Refusing keeps every window the
   * result of one complete generation; replay again with a new generation to take over.
   *
   * <p>If anything fails, the transaction rolls back: the previous values stay and the staged rows
   * remain.
   */
  ReplayCommit commitReplay(long generation, ReplayScope scope) throws SQLException;

  /** Drops every staged row of {@code generation}; returns how many. */
  long discardStaged(long generation) throws SQLException;
}
