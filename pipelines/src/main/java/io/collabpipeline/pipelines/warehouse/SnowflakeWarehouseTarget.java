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
 * recorded in Snowflake's {@code pipeline_corrections_due}), the freshness probe's canaries ({@link
 * #writeCanaries()}), and a raw replay that COPYs into the replay stage tables and commits with
 * {@code commit_replay.sql}. Its {@link #open()} handle gives the generation log and the replay
 * staging; the curated tables come from the repository's DDL, applied by operations, and are not
 * read back.
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
   * Snowflake's {@code pipeline_corrections_due}; a raw replay of their dates corrects them ({@link
   * #writeStaged}, then {@code commit_replay.sql}).
   */
  @Override
  public boolean fencesPartialWindows() {
    return true;
  }

  /**
   * A raw replay's write: COPY into the replay stage tables under {@code generation}, no MERGE
   * ({@link WriteSnowflakeCurated#withReplayStaging}).
   */
  @Override
  public Optional<PTransform<PCollection<CuratedRow>, PDone>> writeStaged(long generation) {
    return Optional.of(config().writeStaged(generation));
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

  /**
   * The generation log and the replay staging, diff and commit, over a JDBC connection to Snowflake
   * opened on first use ({@link SnowflakeWarehouse}); no curated-table concern (the DDL creates
   * them, and the job does not read them back).
   */
  @Override
  public Warehouse open() {
    return config().open();
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
}
