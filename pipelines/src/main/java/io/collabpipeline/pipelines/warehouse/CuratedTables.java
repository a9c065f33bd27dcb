package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The curated tables of a warehouse ({@link CuratedTable}) and their live, fenced writes: one of
 * the concerns a {@link Warehouse} handle gives.
 *
 * <p><b>Generations and fencing.</b> Every stored row carries, besides its contract columns, the
 * {@code generation} (stream epoch or replay id) and the {@code pane_index} that wrote it. A live
 * write ({@link #upsertVersioned}) replaces the stored row of a key iff {@code (generation,
 * pane_index) >= (stored generation, stored pane_index)} lexicographically: an older pane or an
 * older generation never overwrites a newer one, and rewriting the same pane is idempotent. The
 * pipeline's writes ({@code WriteCurated}) store as {@code pane_index} the pane's version, the
 * table's {@link CuratedTable#growingColumn() growing column}, which orders a window's panes across
 * a restore from a checkpoint too (Beam's pane index does not). A replay never writes these tables
 * row by row: it stages and commits through {@link ReplayStaging}. Timestamp columns hold UTC
 * instants (epoch milliseconds in a {@link CuratedRow}).
 */
public interface CuratedTables {

  /**
   * Creates every curated table, and what the warehouse's other concerns keep (the replay staging
   * tables and the generation log, where it has them), where they do not exist yet (key = primary
   * key). Curated tables created before generations existed get {@code generation} and {@code
   * pane_index} added, with 0 for the rows they hold, so any generation replaces those rows.
   */
  void ensureTables() throws SQLException;

  /**
   * The live, fenced write, in one transaction with one set-based statement per table: a row
   * replaces the stored row of its key iff its {@code (generation, paneIndex)} is greater than or
   * equal to the stored one. If several rows of the call share a key, the greatest {@code
   * (generation, paneIndex)} wins (the later one on ties).
   */
  default void upsertVersioned(List<VersionedRow> rows) throws SQLException {
    upsertVersioned(rows, null);
  }

  /**
   * {@link #upsertVersioned(List)} by a stream that started without the previous job's state
   * ({@code partial} non-null): a row of a window that stream could not see whole ({@link
   * PartialWindows#partialBeforeMillis}) replaces a stored row only if the stored row is of the
   * same generation (or there is none), so a partial count never replaces another generation's row;
   * and every metric window of the call below the bound is recorded in {@code
   * pipeline_corrections_due} under the row's generation (idempotently), in the same transaction.
   * Rows of other windows are written as by {@link #upsertVersioned(List)}.
   */
  void upsertVersioned(List<VersionedRow> rows, @Nullable PartialWindows partial)
      throws SQLException;

  /**
   * The metric windows due for a correction replay ({@code pipeline_corrections_due}), by window
   * start, granularity and generation.
   */
  List<CorrectionDue> correctionsDue() throws SQLException;

  /**
   * Records {@code due} in {@code pipeline_corrections_due}; a window recorded already under the
   * same generation is left as it is (idempotent).
   */
  void recordCorrectionsDue(List<CorrectionDue> due) throws SQLException;

  /**
   * {@link #upsertVersioned} with every row at generation 0, pane 0: a later call for a key
   * replaces it.
   */
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
}
