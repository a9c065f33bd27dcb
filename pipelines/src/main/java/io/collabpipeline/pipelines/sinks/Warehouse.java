package io.collabpipeline.pipelines.sinks;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.List;

/**
 * A SQL warehouse holding the curated tables ({@link CuratedTable}): the seam behind which DuckDB (the embedded
 * default), PostgreSQL and Snowflake sit. Open one with {@link Warehouses#open}.
 *
 * <p>Writes are idempotent by the table key: {@link #upsert} of the same rows twice leaves the tables as once, and a
 * later row for a key replaces the earlier one. Timestamp columns hold UTC instants (epoch milliseconds in a
 * {@link CuratedRow}).
 */
public interface Warehouse extends AutoCloseable {

  /** Creates every curated table that does not exist yet ({@code CREATE TABLE IF NOT EXISTS}, key = primary key). */
  void ensureTables() throws SQLException;

  /**
   * Inserts or replaces the rows by their table key, all in one transaction. If several rows share a key, the last one
   * in the list wins.
   */
  void upsert(List<CuratedRow> rows) throws SQLException;

  /** All rows of a table, ordered by the key columns. */
  List<CuratedRow> read(CuratedTable table) throws SQLException;

  /** Releases this handle; the tables stay. */
  @Override
  void close();
}
