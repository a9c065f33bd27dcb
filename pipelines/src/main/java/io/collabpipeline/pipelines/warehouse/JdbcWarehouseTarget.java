package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import java.sql.SQLException;
import java.util.Optional;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A JDBC warehouse (DuckDB, PostgreSQL) as a {@link WarehouseTarget}: written live and staged by
 * {@link WriteCurated}, opened as a {@link JdbcWarehouse} with every concern.
 */
@AutoValue
abstract class JdbcWarehouseTarget implements WarehouseTarget {
  private static final long serialVersionUID = 1L;

  abstract String jdbcUrl();

  /**
   * The target at {@code jdbcUrl}; {@link IllegalArgumentException} unless {@link
   * Warehouses#isSupported}.
   */
  static JdbcWarehouseTarget of(String jdbcUrl) {
    Warehouses.checkSupported(jdbcUrl);
    return new AutoValue_JdbcWarehouseTarget(jdbcUrl);
  }

  @Override
  public PTransform<PCollection<CuratedRow>, PDone> writeLive(long generation) {
    return WriteCurated.to(jdbcUrl()).withGeneration(generation);
  }

  @Override
  public PTransform<PCollection<CuratedRow>, PDone> writeLive(
      long generation, @Nullable PartialWindows partial) {
    WriteCurated write = WriteCurated.to(jdbcUrl()).withGeneration(generation);
    return partial == null
        ? write
        : write.withSeenWholeFrom(partial.seenWholeFrom(), partial.maxEventTimeAhead());
  }

  @Override
  public boolean fencesPartialWindows() {
    return true;
  }

  /**
   * Rows a replay's staging write gathers per flush. A replay writes all its rows at its end, where
   * the live stream writes a few per bundle: each flush is a transaction with a load table per
   * table, so ten times the live default makes a tenth of the statements for the same rows (some
   * tens of MB of rows held per worker).
   */
  static final int STAGED_ROWS_PER_FLUSH = 50_000;

  @Override
  public Optional<PTransform<PCollection<CuratedRow>, PDone>> writeStaged(long generation) {
    return Optional.of(
        WriteCurated.to(jdbcUrl())
            .withGeneration(generation)
            .withMode(WriteCurated.Mode.STAGING)
            .withMaxBufferedRows(STAGED_ROWS_PER_FLUSH));
  }

  @Override
  public Optional<PTransform<PCollection<CollabEvent>, PDone>> writeCanaries() {
    return Optional.of(WriteCanaries.to(jdbcUrl()));
  }

  @Override
  public JdbcWarehouse open() throws SQLException {
    return Warehouses.openJdbc(jdbcUrl());
  }

  @Override
  public boolean heldOpenForInProcessJobs() {
    return jdbcUrl().startsWith(DuckDbSession.URL_PREFIX);
  }

  @Override
  public String describe() {
    return Warehouses.redact(jdbcUrl());
  }

  /** The redacted URL: a URL may carry a password. */
  @Override
  public final String toString() {
    return describe();
  }
}
