package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.pipelines.warehouse.snowflake.SnowflakeConfig;
import io.collabpipeline.pipelines.warehouse.snowflake.WriteSnowflakeCurated;
import java.util.Optional;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Snowflake as a {@link WarehouseTarget}: written live by SnowflakeIO ({@link
 * WriteSnowflakeCurated}, from the typed {@link SnowflakeConfig}), with the same fencing rule in
 * its MERGE, partial windows of a stateless start included (kept from other generations and
 * recorded in Snowflake's {@code pipeline_corrections_due}), and the freshness probe's canaries
 * ({@link #writeCanaries()}). What is not built yet is empty: a replay's staged write, and every
 * concern of {@link #open()}'s handle (Snowflake's tables come from the repository's DDL, applied
 * by operations; the job neither creates them nor reads them back, and keeps no generation log
 * there).
 */
@AutoValue
abstract class SnowflakeWarehouseTarget implements WarehouseTarget {
  private static final long serialVersionUID = 1L;

  /** The {@code --warehouseUrl} that selected Snowflake; only for messages, redacted. */
  abstract String url();

  abstract SnowflakeConfig config();

  static SnowflakeWarehouseTarget of(String url, SnowflakeConfig config) {
    return new AutoValue_SnowflakeWarehouseTarget(url, config);
  }

  @Override
  public PTransform<PCollection<CuratedRow>, PDone> writeLive(long generation) {
    return config().write(generation);
  }

  @Override
  public PTransform<PCollection<CuratedRow>, PDone> writeLive(
      long generation, @Nullable PartialWindows partial) {
    WriteSnowflakeCurated write = config().write(generation);
    return partial == null
        ? write
        : write.withSeenWholeFrom(partial.seenWholeFrom(), partial.maxEventTimeAhead());
  }

  /**
   * True: the MERGE files keep other generations' rows of partial windows and record the windows in
   * Snowflake's {@code pipeline_corrections_due}. Their correction replay is not built for
   * Snowflake ({@link #writeStaged} is empty).
   */
  @Override
  public boolean fencesPartialWindows() {
    return true;
  }

  /** Empty: the Snowflake replay (stage, diff and commit there) is not built yet. */
  @Override
  public Optional<PTransform<PCollection<CuratedRow>, PDone>> writeStaged(long generation) {
    return Optional.empty();
  }

  /**
   * The canaries staged into Snowflake's {@code pipeline_canary} like the curated rows ({@link
   * WriteSnowflakeCanaries}: COPY then merge_pipeline_canary.sql in batch, Snowpipe then its task
   * in streaming).
   */
  @Override
  public Optional<PTransform<PCollection<CollabEvent>, PDone>> writeCanaries() {
    return Optional.of(config().writeCanaries());
  }

  /** A handle with no concern: nothing is opened. */
  @Override
  public Warehouse open() {
    return new WriteOnly();
  }

  @Override
  public String describe() {
    return Warehouses.redact(url());
  }

  /** The redacted URL and the config, which holds no credential. */
  @Override
  public final String toString() {
    return describe() + " " + config();
  }

  /** The handle of a warehouse the job only writes to through its Beam write. */
  private static final class WriteOnly implements Warehouse {
    @Override
    public Optional<CuratedTables> tables() {
      return Optional.empty();
    }

    @Override
    public Optional<ReplayStaging> replays() {
      return Optional.empty();
    }

    @Override
    public Optional<GenerationLog> generationLog() {
      return Optional.empty();
    }

    @Override
    public void close() {}
  }
}
