package io.collabpipeline.pipelines.warehouse.snowflake;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.pipelines.warehouse.CanaryTables;
import io.collabpipeline.pipelines.warehouse.WriteCanaries;
import java.time.Instant;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Writes the freshness probe's canary events to Snowflake's {@code pipeline_canary} ({@link
 * CanaryTables}), the Snowflake counterpart of {@link WriteCanaries}: each canary is staged as one
 * gzip CSV line (event id, source partition, {@code occurred_at}, arrival time; {@link
 * #CSV_COLUMNS}) into {@code pipeline_canary_stage} by the same SnowflakeIO write as the curated
 * rows ({@link SnowflakeStaging}), and {@code merge_pipeline_canary.sql} inserts the canaries whose
 * event id is missing, with {@code written_at} the MERGE's {@code CURRENT_TIMESTAMP}, then clears
 * the stage rows the table holds. Insert once: a re-run, a retried bundle or a re-staged file
 * changes nothing.
 *
 * <p>Batch: canaries are re-windowed into the global window (SnowflakeIO's batch write needs it),
 * loaded by COPY, and merged by {@link MergeAfterCopyServices} right after it. Streaming: staged
 * files go to the Snowpipe {@code pipeline_canary_stage_pipe} (the snow-pipe template with {@code
 * pipeline_canary} for the table), and the task {@code merge_pipeline_canary} runs the MERGE file
 * (04_loading.sql). The flush limits default to the curated write's, so a canary waits for exactly
 * what a curated row waits for: that is the latency the probe is there to measure.
 *
 * <p>Metrics: namespace {@value WriteCanaries#METRICS_NAMESPACE}, {@value
 * WriteCanaries#ROWS_COUNTER} (canaries handed to SnowflakeIO), and in batch the MERGE's counters
 * named as {@link WriteSnowflakeCurated}'s ({@value WriteSnowflakeCurated#MERGES_COUNTER}, {@value
 * WriteSnowflakeCurated#ROWS_MERGED_COUNTER}, {@value
 * WriteSnowflakeCurated#STAGED_ROWS_CLEARED_COUNTER}).
 */
@AutoValue
public abstract class WriteSnowflakeCanaries extends PTransform<PCollection<CollabEvent>, PDone> {
  private static final long serialVersionUID = 1L;

  /** Step names (stable: Flink savepoints depend on them). */
  public static final String COUNT_STEP = "CountCanaryRows";

  public static final String REWINDOW_STEP = "RewindowForStaging";
  public static final String STAGE_STEP = "StageCanaryRows";

  /** The stage table's columns, in the order the CSV mapper writes them (03_stage_tables.sql). */
  public static final java.util.List<String> CSV_COLUMNS =
      java.util.List.of("event_id", "source_partition", "occurred_at", "arrived_at");

  abstract SnowflakeIO.@Nullable DataSourceConfiguration dataSourceConfiguration();

  abstract @Nullable String stagingBucketName();

  abstract @Nullable String storageIntegrationName();

  abstract String snowPipeTemplate();

  abstract @Nullable SnowflakeServices snowflakeServices();

  abstract Duration flushTimeLimit();

  abstract int flushRowLimit();

  abstract Builder toBuilder();

  /**
   * A write with no connection yet; set at least the data source, staging bucket and integration.
   * Defaults as {@link WriteSnowflakeCurated#write()}'s.
   */
  public static WriteSnowflakeCanaries write() {
    WriteSnowflakeCurated curated = WriteSnowflakeCurated.write();
    return new AutoValue_WriteSnowflakeCanaries.Builder()
        .setSnowPipeTemplate(curated.snowPipeTemplate())
        .setFlushTimeLimit(curated.flushTimeLimit())
        .setFlushRowLimit(curated.flushRowLimit())
        .build();
  }

  /** The Snowflake connection, as {@link WriteSnowflakeCurated#withDataSourceConfiguration}. */
  public WriteSnowflakeCanaries withDataSourceConfiguration(
      SnowflakeIO.DataSourceConfiguration config) {
    return toBuilder().setDataSourceConfiguration(config).build();
  }

  /**
   * Where files are staged, {@code s3://bucket/prefix/}; canaries go under {@code
   * pipeline_canary/}.
   */
  public WriteSnowflakeCanaries withStagingBucketName(String stagingBucketName) {
    return toBuilder().setStagingBucketName(stagingBucketName).build();
  }

  /** The storage integration through which Snowflake reads the staging bucket. */
  public WriteSnowflakeCanaries withStorageIntegrationName(String storageIntegrationName) {
    return toBuilder().setStorageIntegrationName(storageIntegrationName).build();
  }

  /**
   * The Snowpipe template of the job ({@value SnowflakeSql#TABLE_PLACEHOLDER} becomes {@code
   * pipeline_canary}).
   */
  public WriteSnowflakeCanaries withSnowPipe(String snowPipeTemplate) {
    return toBuilder().setSnowPipeTemplate(snowPipeTemplate).build();
  }

  /** The services that load staged files; SnowflakeIO's own by default. Tests load PostgreSQL. */
  public WriteSnowflakeCanaries withSnowflakeServices(SnowflakeServices services) {
    return toBuilder().setSnowflakeServices(services).build();
  }

  /** Streaming: the longest a canary waits before its file is staged. */
  public WriteSnowflakeCanaries withFlushTimeLimit(Duration flushTimeLimit) {
    return toBuilder().setFlushTimeLimit(flushTimeLimit).build();
  }

  /** Streaming: rows per staged file before it is flushed early. */
  public WriteSnowflakeCanaries withFlushRowLimit(int flushRowLimit) {
    return toBuilder().setFlushRowLimit(flushRowLimit).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDataSourceConfiguration(SnowflakeIO.DataSourceConfiguration value);

    abstract Builder setStagingBucketName(String value);

    abstract Builder setStorageIntegrationName(String value);

    abstract Builder setSnowPipeTemplate(String value);

    abstract Builder setSnowflakeServices(SnowflakeServices value);

    abstract Builder setFlushTimeLimit(Duration value);

    abstract Builder setFlushRowLimit(int value);

    abstract WriteSnowflakeCanaries build();
  }

  @Override
  public PDone expand(PCollection<CollabEvent> canaries) {
    boolean streaming = canaries.isBounded() == PCollection.IsBounded.UNBOUNDED;
    SnowflakeStaging.check(
        "WriteSnowflakeCanaries",
        dataSourceConfiguration(),
        stagingBucketName(),
        storageIntegrationName(),
        streaming,
        snowPipeTemplate(),
        flushTimeLimit(),
        flushRowLimit());
    PCollection<CollabEvent> counted =
        canaries.apply(COUNT_STEP, ParDo.of(new CountFn())).setCoder(canaries.getCoder());
    if (!streaming) {
      // As for the curated rows: SnowflakeIO's batch write collects the staged file names in the
      // global window.
      counted = counted.apply(REWINDOW_STEP, Window.into(new GlobalWindows()));
    }
    counted.apply(
        STAGE_STEP,
        SnowflakeStaging.write(
            SnowflakeSql.CANARY_TABLE,
            dataSourceConfiguration(),
            stagingBucketName(),
            storageIntegrationName(),
            new CanaryCsvMapper(),
            new MergeAfterCopyServices(snowflakeServices(), WriteCanaries.METRICS_NAMESPACE),
            streaming,
            snowPipeTemplate(),
            flushTimeLimit(),
            flushRowLimit()));
    return PDone.in(canaries.getPipeline());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(
            DisplayData.item("stagingBucketName", stagingBucketName())
                .withLabel("Staging location"))
        .addIfNotNull(
            DisplayData.item("storageIntegrationName", storageIntegrationName())
                .withLabel("Storage integration"))
        .add(
            DisplayData.item("snowPipe", snowPipeTemplate())
                .withLabel("Snowpipe per table (streaming)"));
  }

  /** Counts the canaries handed to SnowflakeIO, as {@link WriteCanaries} counts its rows. */
  private static final class CountFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;

    private final Counter rows =
        Metrics.counter(WriteCanaries.METRICS_NAMESPACE, WriteCanaries.ROWS_COUNTER);

    @ProcessElement
    public void process(@Element CollabEvent canary, OutputReceiver<CollabEvent> out) {
      rows.inc();
      out.output(canary);
    }
  }

  /**
   * One canary as the fields of its staged CSV line, {@link #CSV_COLUMNS}: the timestamps as UTC
   * text with milliseconds, as {@link StagedRowCsvMapper} writes the curated windows (parsed by the
   * same file format, without any session time zone involved).
   */
  static final class CanaryCsvMapper implements SnowflakeIO.UserDataMapper<CollabEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public Object[] mapRow(CollabEvent canary) {
      return new Object[] {
        canary.eventId(),
        (long) canary.source().partition(),
        StagedRowCsvMapper.UTC_MILLIS.format(Instant.ofEpochMilli(canary.occurredAtMillis())),
        StagedRowCsvMapper.UTC_MILLIS.format(Instant.ofEpochMilli(canary.receivedAtMillis()))
      };
    }
  }
}
