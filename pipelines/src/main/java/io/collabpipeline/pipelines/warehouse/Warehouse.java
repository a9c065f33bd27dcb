package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A SQL warehouse holding the curated tables ({@link CuratedTable}): the seam behind which DuckDB (the embedded
 * default), PostgreSQL and Snowflake sit. Open one with {@link Warehouses#open}.
 *
 * <p><b>Generations and fencing.</b> Every stored row carries, besides its contract columns, the {@code generation}
 * (stream epoch or replay id) and the {@code pane_index} that wrote it. A live write ({@link #upsertVersioned})
 * replaces the stored row of a key iff {@code (generation, pane_index) >= (stored generation, stored pane_index)}
 * lexicographically: an older pane or an older generation never overwrites a newer one, and rewriting the same pane is
 * idempotent. A replay never writes the curated tables directly: it {@link #stage stages} its rows under its
 * generation, can {@link #diff} them against the stored rows, and {@link #commitReplay commits} them in one
 * transaction that replaces exactly the windows of its {@link ReplayScope}. The {@link GenerationLog} records each
 * generation. Timestamp columns hold UTC instants (epoch milliseconds in a {@link CuratedRow}).
 */
public interface Warehouse extends AutoCloseable {

  /**
   * Creates every curated table, the replay staging tables and the generation log where they do not exist yet (key =
   * primary key). Curated tables created before generations existed get {@code generation} and {@code pane_index}
   * added, with 0 for the rows they hold, so any generation replaces those rows.
   */
  void ensureTables() throws SQLException;

  /**
   * The live, fenced write, in one transaction with one set-based statement per table: a row replaces the stored row
   * of its key iff its {@code (generation, paneIndex)} is greater than or equal to the stored one. If several rows of
   * the call share a key, the greatest {@code (generation, paneIndex)} wins (the later one on ties).
   */
  void upsertVersioned(List<VersionedRow> rows) throws SQLException;

  /** {@link #upsertVersioned} with every row at generation 0, pane 0: a later call for a key replaces it. */
  default void upsert(List<CuratedRow> rows) throws SQLException {
    List<VersionedRow> versioned = new ArrayList<>(rows.size());
    for (CuratedRow row : rows) {
      versioned.add(VersionedRow.of(row, 0, 0));
    }
    upsertVersioned(versioned);
  }

  /** All rows of a table (contract columns only), ordered by the key columns. */
  List<CuratedRow> read(CuratedTable table) throws SQLException;

  /** All rows of a table with their generation and pane index, ordered by the key columns. */
  List<VersionedRow> readVersioned(CuratedTable table) throws SQLException;

  /**
   * Puts replay rows into the staging table of their curated table, keyed by (generation, key), never touching the
   * curated tables. Idempotent: a row replaces the staged row of its generation and key iff its pane index is greater
   * than or equal to the staged one (so a retried or reordered bundle cannot put back an earlier pane). Rows of
   * tables a replay does not rewrite ({@code pipeline_completeness}) are skipped.
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
   * What {@link #commitReplay} of {@code generation} over {@code scope} would change, writing nothing: per table of
   * {@link ReplayScope#TABLES}, counts of the rows added, removed and changed, the changed windows, and the
   * {@code maxChangesPerTable} largest changes.
   */
  WarehouseDiff diff(long generation, ReplayScope scope, int maxChangesPerTable) throws SQLException;

  /**
   * Replaces the windows of {@code scope} with the staged rows of {@code generation}, in ONE transaction: per table of
   * {@link ReplayScope#TABLES}, the stored rows in scope whose key the generation did not stage are deleted, the staged
   * rows in scope are written (with their staged pane index), and every staged row of the generation is dropped (rows
   * outside the scope belong to windows the replay saw only partly, and are never written). The generation log entry
   * becomes {@link GenerationLog.Status#COMMITTED} in the same transaction.
   *
   * <p>The generation must have been begun ({@link #beginGeneration}) with a range that contains {@code scope} and be
   * {@link GenerationLog.Status#RUNNING}: a commit twice, or of a dry run, a failed run or a mistyped generation, would
   * otherwise wipe windows.
   *
   * <p><b>Refused, not mixed.</b> If any stored row in scope has a NEWER generation (a later replay or stream epoch has
   * written that window), the whole commit is refused with {@link GenerationFencedException} and nothing changes.
   * Committing only the windows the newer generation does not hold would leave the tables as a mix of two
   * computations over the same range (e.g. a day window from one and its hours from the other, or a workspace's rows
   * that disagree with each other), which no single run produced and no later read can detect; overwriting would let an
   * older computation replace a newer one. Refusing keeps every window the result of one complete generation; replay
   * again with a new generation to take over.
   *
   * <p>If anything fails, the transaction rolls back: the previous values stay and the staged rows remain.
   */
  ReplayCommit commitReplay(long generation, ReplayScope scope) throws SQLException;

  /** Drops every staged row of {@code generation}; returns how many. */
  long discardStaged(long generation) throws SQLException;

  /**
   * Records {@code generation} as {@link GenerationLog.Status#RUNNING} with its kind and range (null for stream and
   * batch generations), started now. Beginning a generation again restarts its entry, unless it was committed: a
   * committed generation is final ({@link IllegalStateException}).
   */
  void beginGeneration(long generation, GenerationLog.Kind kind, @Nullable ReplayScope range) throws SQLException;

  /** Marks a live (stream or batch) generation finished successfully: {@link GenerationLog.Status#COMMITTED}. */
  void markCommitted(long generation) throws SQLException;

  /** Marks a replay that staged and diffed but did not commit: {@link GenerationLog.Status#DRY_RUN}. */
  void markDryRun(long generation) throws SQLException;

  /**
   * Marks a generation that failed: {@link GenerationLog.Status#FAILED}. Never changes a committed entry and never
   * throws for a missing one (it runs on error paths): returns whether it marked the entry.
   */
  boolean markFailed(long generation) throws SQLException;

  /** The log entry of a generation, if it was begun. */
  Optional<GenerationLog.Entry> generation(long generation) throws SQLException;

  /** Every log entry, by generation. */
  List<GenerationLog.Entry> generations() throws SQLException;

  /** Releases this handle; the tables stay. */
  @Override
  void close();
}
