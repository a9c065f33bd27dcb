package io.collabpipeline.pipelines.warehouse.snowflake;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.warehouse.PartialWindows;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WriteCurated;
import java.time.Instant;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServicesImpl;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Partition;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Writes curated rows to Snowflake with SnowflakeIO: each row is staged, tagged with the job's
 * generation and the index of the pane that produced it, into its table's stage table, and a MERGE
 * (one SQL file per table, {@link SnowflakeSql}) moves the staged rows into the curated table,
 * idempotently by the table key of contract 2.
 *
 * <p><b>Merge rule</b> (CuratedTables, "generations and fencing"): per key, the staged row with the
 * greatest {@code (generation, pane_index)} wins, and it replaces the stored row iff {@code
 * (generation, pane_index) >= (stored generation, stored pane_index)}. So the last pane of a window
 * wins, an older pane or a job of an older generation never overwrites a newer one, and writing the
 * same rows again changes nothing.
 *
 * <p><b>A stream that started without the previous job's state</b> ({@link #withSeenWholeFrom}):
 * every staged row also carries {@code seen_whole}, false for a window starting before {@link
 * PartialWindows#partialBeforeMillis} of its table. The MERGE never lets such a row replace a
 * stored row of another generation (it may replace its own generation's rows, pane by pane, or
 * insert a missing key), and records its metric window in {@code pipeline_corrections_due}
 * (window_start, granularity, generation, recorded_at), once; completeness hours are fenced but not
 * recorded. The rule lives in the MERGE files, so the batch MERGE and the streaming task apply it
 * alike.
 *
 * <p><b>Bounded input (batch, replay)</b>: rows are re-windowed into the global window (their pane
 * indexes are kept in the staged rows), split by table, written as gzip CSV under {@code
 * <stagingBucket><table>/} and loaded with SnowflakeIO's COPY ({@code COPY INTO <table>_stage ...
 * STORAGE_INTEGRATION = ...}). SnowflakeIO returns {@code PDone}, so the MERGE cannot be a later
 * step of the graph: it runs inside SnowflakeIO's batch service call, right after the COPY of that
 * table has completed (see {@code MergeAfterCopyServices} for why that is both ordered and
 * retry-safe). When the pipeline has finished, every table is merged.
 *
 * <p><b>Unbounded input (streaming)</b>: SnowflakeIO flushes staged files every {@link
 * #withFlushTimeLimit} or {@link #withFlushRowLimit} rows and hands their names to Snowpipe ({@link
 * #withSnowPipe}: one pipe per table). Snowpipe loads asynchronously, and the job cannot see when,
 * so the MERGE runs in Snowflake: a task per table, triggered every minute while a stream over the
 * stage table has new rows, runs the same MERGE file (04_loading.sql). Event-to-queryable latency
 * is thus the flush interval + Snowpipe's load time + up to a minute of task schedule. Streaming
 * needs key-pair authentication with the account's server name (a SnowflakeIO requirement for the
 * Snowpipe REST client).
 *
 * <p>The tables, stage tables, pipes, streams, tasks and grants are created from the repository's
 * DDL (SnowflakeIO's create disposition is {@code CREATE_NEVER}, so the loader role needs no CREATE
 * privilege).
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}; {@value #ROWS_STAGED_COUNTER} counts rows
 * handed to SnowflakeIO, and in batch {@value #MERGES_COUNTER}, {@value #ROWS_MERGED_COUNTER} (rows
 * inserted or updated by the MERGE), {@value #STAGED_ROWS_CLEARED_COUNTER} and {@value
 * #CORRECTIONS_RECORDED_COUNTER} (windows newly recorded in {@code pipeline_corrections_due}) count
 * the MERGE's work.
 */
@AutoValue
public abstract class WriteSnowflakeCurated extends PTransform<PCollection<CuratedRow>, PDone> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "snowflake";
  public static final String ROWS_STAGED_COUNTER = "rows_staged";
  public static final String MERGES_COUNTER = "merges";
  public static final String ROWS_MERGED_COUNTER = "rows_merged";
  public static final String STAGED_ROWS_CLEARED_COUNTER = "staged_rows_cleared";
  public static final String CORRECTIONS_RECORDED_COUNTER = "corrections_due_recorded";

  /**
   * Step names (stable: Flink savepoints depend on them). The per-table writes are named {@code
   * Stage<Table>}.
   */
  public static final String TAG_STEP = "TagGenerationAndPane";

  public static final String REWINDOW_STEP = "RewindowForStaging";
  public static final String PARTITION_STEP = "SplitByTable";

  abstract SnowflakeIO.@Nullable DataSourceConfiguration dataSourceConfiguration();

  abstract @Nullable String stagingBucketName();

  abstract @Nullable String storageIntegrationName();

  abstract long generation();

  abstract @Nullable PartialWindows partialWindows();

  abstract String snowPipeTemplate();

  abstract @Nullable SnowflakeServices snowflakeServices();

  abstract Duration flushTimeLimit();

  abstract int flushRowLimit();

  abstract boolean replayStaging();

  abstract Builder toBuilder();

  /**
   * A write with no connection yet; set at least the data source, staging bucket, integration and
   * generation.
   */
  public static WriteSnowflakeCurated write() {
    return new AutoValue_WriteSnowflakeCurated.Builder()
        .setGeneration(0L)
        .setSnowPipeTemplate(SnowflakeSql.DEFAULT_SNOW_PIPE_TEMPLATE)
        .setFlushTimeLimit(Duration.standardSeconds(30))
        .setFlushRowLimit(10_000)
        .setReplayStaging(false)
        .build();
  }

  /**
   * The Snowflake connection (account, user, credentials, database, schema, warehouse, role).
   * Unqualified table names in the COPY and the MERGE resolve in its database and schema.
   */
  public WriteSnowflakeCurated withDataSourceConfiguration(
      SnowflakeIO.DataSourceConfiguration config) {
    return toBuilder().setDataSourceConfiguration(config).build();
  }

  /**
   * Where files are staged, {@code s3://bucket/prefix/} (trailing slash); each table gets {@code
   * <table>/} under it.
   */
  public WriteSnowflakeCurated withStagingBucketName(String stagingBucketName) {
    return toBuilder().setStagingBucketName(stagingBucketName).build();
  }

  /** The storage integration through which Snowflake reads the staging bucket. */
  public WriteSnowflakeCurated withStorageIntegrationName(String storageIntegrationName) {
    return toBuilder().setStorageIntegrationName(storageIntegrationName).build();
  }

  /** The job's generation (positive), written on every staged row and compared by the MERGE. */
  public WriteSnowflakeCurated withGeneration(long generation) {
    return toBuilder().setGeneration(generation).build();
  }

  /**
   * For a stream that started without the previous job's state: it sees windows whole only from
   * arrival {@code seenWholeFrom} (T0) on, an event arriving before T0 having occurred up to {@code
   * maxEventTimeAhead} later ({@link PartialWindows}). Its rows of earlier windows are staged with
   * {@code seen_whole = false}: the MERGE keeps other generations' rows of those windows and
   * records them as due for correction. Null (the default): every window is seen whole.
   */
  public WriteSnowflakeCurated withSeenWholeFrom(
      @Nullable Instant seenWholeFrom, java.time.Duration maxEventTimeAhead) {
    return toBuilder()
        .setPartialWindows(
            seenWholeFrom == null ? null : PartialWindows.of(seenWholeFrom, maxEventTimeAhead))
        .build();
  }

  /**
   * The Snowpipe of each table in streaming, {@value SnowflakeSql#TABLE_PLACEHOLDER} standing for
   * the curated table's name. Default {@value SnowflakeSql#DEFAULT_SNOW_PIPE_TEMPLATE}, as in
   * 04_loading.sql.
   */
  public WriteSnowflakeCurated withSnowPipe(String snowPipeTemplate) {
    return toBuilder().setSnowPipeTemplate(snowPipeTemplate).build();
  }

  /**
   * The services that load staged files (COPY in batch, Snowpipe in streaming); SnowflakeIO's own
   * by default. The batch MERGE runs after whatever these services load. Tests pass services that
   * load into a local SQL engine.
   */
  public WriteSnowflakeCurated withSnowflakeServices(SnowflakeServices services) {
    return toBuilder().setSnowflakeServices(services).build();
  }

  /**
   * Streaming: the longest a row waits before its file is staged and handed to Snowpipe. Default 30
   * s.
   */
  public WriteSnowflakeCurated withFlushTimeLimit(Duration flushTimeLimit) {
    return toBuilder().setFlushTimeLimit(flushTimeLimit).build();
  }

  /** Streaming: rows per staged file before it is flushed early. Default 10,000. */
  public WriteSnowflakeCurated withFlushRowLimit(int flushRowLimit) {
    return toBuilder().setFlushRowLimit(flushRowLimit).build();
  }

  /**
   * A raw replay's write: the rows of the metric tables ({@link ReplayScope#TABLES}) are COPYed
   * into their replay stage tables ({@link SnowflakeSql#replayStageTable}, staged under {@code
   * <stagingBucket>replay/<table>/}) under the replay's generation, and nothing else: no MERGE
   * runs, no curated table and no live stage table is touched (the streaming tasks merge the live
   * ones), and {@code pipeline_completeness} rows are dropped (a replay never rewrites it). The
   * launcher then diffs and commits them with {@value SnowflakeSql#COMMIT_REPLAY_FILE} ({@link
   * SnowflakeWarehouse}). Bounded input only.
   */
  public WriteSnowflakeCurated withReplayStaging() {
    return toBuilder().setReplayStaging(true).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDataSourceConfiguration(SnowflakeIO.DataSourceConfiguration value);

    abstract Builder setStagingBucketName(String value);

    abstract Builder setStorageIntegrationName(String value);

    abstract Builder setGeneration(long value);

    abstract Builder setPartialWindows(@Nullable PartialWindows value);

    abstract Builder setSnowPipeTemplate(String value);

    abstract Builder setSnowflakeServices(SnowflakeServices value);

    abstract Builder setFlushTimeLimit(Duration value);

    abstract Builder setFlushRowLimit(int value);

    abstract Builder setReplayStaging(boolean value);

    abstract WriteSnowflakeCurated build();
  }

  /** The Snowpipe of {@code table} under {@code template}. */
  public static String snowPipeName(String template, CuratedTable table) {
    return template.replace(SnowflakeSql.TABLE_PLACEHOLDER, table.tableName());
  }

  @Override
  public PDone expand(PCollection<CuratedRow> rows) {
    boolean streaming = rows.isBounded() == PCollection.IsBounded.UNBOUNDED;
    String bucket = stagingBucketName();
    SnowflakeStaging.check(
        "WriteSnowflakeCurated",
        dataSourceConfiguration(),
        bucket,
        storageIntegrationName(),
        streaming,
        snowPipeTemplate(),
        flushTimeLimit(),
        flushRowLimit());
    if (generation() <= 0) {
      throw new IllegalArgumentException(
          "WriteSnowflakeCurated needs withGeneration(n) with n > 0 (the job's generation), got "
              + generation());
    }
    if (streaming && replayStaging()) {
      throw new IllegalArgumentException(
          "WriteSnowflakeCurated.withReplayStaging() stages a bounded replay; its input is unbounded");
    }

    PCollection<KV<Long, CuratedRow>> tagged =
        rows.apply(TAG_STEP, ParDo.of(new TagPaneIndexFn()))
            .setCoder(KvCoder.of(VarLongCoder.of(), rows.getCoder()));
    if (!streaming) {
      // SnowflakeIO's batch write collects the staged file names as a side input in the global
      // window: rows must be
      // in it, or the files of the metric windows would never reach the COPY. The pane index is
      // already captured.
      // The default trigger too: the graph's rows arrive in the global window with a per-element
      // trigger (MetricWindows.toGlobalWindow), and SnowflakeIO's COPY reads the staged file names
      // as a side input, which sees only the FIRST pane: with that trigger, only the files of the
      // first pane were loaded (found by the raw replay test against DuckDB). One pane, at the
      // end of the bounded input, carries every file.
      tagged =
          tagged.apply(
              REWINDOW_STEP,
              Window.<KV<Long, CuratedRow>>into(new GlobalWindows())
                  .triggering(DefaultTrigger.of())
                  .withAllowedLateness(Duration.ZERO)
                  .discardingFiredPanes());
    }
    PCollectionList<KV<Long, CuratedRow>> byTable =
        tagged.apply(PARTITION_STEP, Partition.of(CuratedTable.values().length, new ByTable()));

    // A replay only COPYs into its replay stage tables: the launcher diffs and commits them.
    SnowflakeServices services =
        replayStaging()
            ? (snowflakeServices() == null ? new SnowflakeServicesImpl() : snowflakeServices())
            : new MergeAfterCopyServices(snowflakeServices());
    for (CuratedTable table : CuratedTable.values()) {
      if (replayStaging() && !ReplayScope.isReplayed(table)) {
        continue;
      }
      SnowflakeIO.Write<KV<Long, CuratedRow>> write =
          SnowflakeStaging.write(
              table.tableName(),
              replayStaging()
                  ? SnowflakeSql.replayStageTable(table)
                  : table.tableName() + SnowflakeSql.STAGE_TABLE_SUFFIX,
              bucket + (replayStaging() ? "replay/" : "") + table.tableName() + "/",
              dataSourceConfiguration(),
              storageIntegrationName(),
              new StagedRowCsvMapper(generation(), partialWindows()),
              services,
              streaming,
              snowPipeTemplate(),
              flushTimeLimit(),
              flushRowLimit());
      byTable
          .get(table.ordinal())
          .apply(
              (replayStaging() ? "ReplayStage" : "Stage") + upperCamel(table.tableName()), write);
    }
    return PDone.in(rows.getPipeline());
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
        .add(DisplayData.item("generation", generation()).withLabel("Generation"))
        .addIfNotNull(
            DisplayData.item(
                    "seenWholeFrom",
                    partialWindows() == null ? null : partialWindows().seenWholeFrom().toString())
                .withLabel("Windows seen whole from arrival"))
        .add(
            DisplayData.item("snowPipe", snowPipeTemplate())
                .withLabel("Snowpipe per table (streaming)"))
        .add(
            DisplayData.item("replayStaging", replayStaging())
                .withLabel("Replay staging (COPY only, no MERGE)"));
  }

  static String upperCamel(String snake) {
    StringBuilder out = new StringBuilder();
    for (String part : snake.split("_")) {
      if (!part.isEmpty()) {
        out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return out.toString();
  }

  /**
   * Keys each row by its pane version ({@link WriteCurated#paneVersion}): the MERGE's tie-breaker
   * within one generation, robust to a restore from a checkpoint.
   */
  private static final class TagPaneIndexFn extends DoFn<CuratedRow, KV<Long, CuratedRow>> {
    private static final long serialVersionUID = 1L;

    private final Counter rowsStaged = Metrics.counter(METRICS_NAMESPACE, ROWS_STAGED_COUNTER);

    @ProcessElement
    public void processElement(
        @Element CuratedRow row, PaneInfo pane, OutputReceiver<KV<Long, CuratedRow>> out) {
      rowsStaged.inc();
      out.output(KV.of(WriteCurated.paneVersion(row), row));
    }
  }

  private static final class ByTable implements Partition.PartitionFn<KV<Long, CuratedRow>> {
    private static final long serialVersionUID = 1L;

    @Override
    public int partitionFor(KV<Long, CuratedRow> paneAndRow, int numPartitions) {
      return paneAndRow.getValue().table().ordinal();
    }
  }
}
