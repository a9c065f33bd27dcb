package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes curated rows to the warehouse a JDBC URL names ({@link Warehouses#openJdbc}), fenced by
 * generation and pane.
 *
 * <p>Rows arrive as panes of accumulating windows: each pane carries the full value of its window
 * so far. Every row is written with the job's {@link #withGeneration generation} and the index of
 * its pane ({@link PaneInfo#getIndex()}), and the warehouse keeps per key the row of the greatest
 * (generation, pane index) ({@link CuratedTables}): an older pane or an older generation never
 * overwrites a newer one, and rewriting a pane is idempotent. The pane index is read where the rows
 * enter this transform, so the rows must come straight from the windowed aggregation (a re-window
 * into the global window keeps it; a GroupByKey or Reshuffle in between would reset it).
 *
 * <p>Modes: {@link Mode#LIVE} (the default; step {@value #STEP_NAME}) writes the curated tables
 * directly ({@link CuratedTables#upsertVersioned}); {@link Mode#STAGING} (step {@value
 * #STAGE_STEP_NAME}), for replays, writes only the replay staging tables ({@link
 * ReplayStaging#stage(java.util.List)}) under the generation, for a later {@link
 * ReplayStaging#diff} and {@link ReplayStaging#commitReplay} by the driver; it skips {@code
 * pipeline_completeness} rows, which a replay does not rewrite (counter {@value
 * #ROWS_NOT_STAGED_COUNTER}).
 *
 * <p>Both modes buffer rows per bundle, keeping per table key the row of the highest pane index
 * seen (the later one on ties), and write the buffer at the end of the bundle and whenever it
 * reaches {@link #withMaxBufferedRows} rows (5,000 by default). The tables are created on first
 * use.
 *
 * <p><b>Outages.</b> A flush that fails because the warehouse cannot be reached (down, restarting,
 * a dropped connection) is retried with bounded exponential backoff, on a new connection each time:
 * by default 6 attempts with waits of 1, 2, 4, 8 and 16 s, i.e. a 31 s outage is ridden out inside
 * the bundle ({@link #withRetry}). This is safe because a flush is one transaction of upserts by
 * table key fenced by (generation, pane): repeating it, even after a commit whose acknowledgement
 * was lost, writes the same rows. Opening the warehouse at setup is retried the same way. After the
 * last attempt, and at once for an error that is not about reaching the warehouse (a bug), the
 * bundle fails and the runner's restart strategy takes over (runner-configs: at least 157 s more in
 * the dev profiles, without limit in production).
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counters {@value #ROWS_UPSERTED_COUNTER} (rows
 * written, in either mode), {@value #BATCHES_COUNTER}, {@value #ROWS_NOT_STAGED_COUNTER} and
 * {@value #RETRIES_COUNTER} (attempts, of a flush or of opening the warehouse, that failed and were
 * retried).
 */
@AutoValue
public abstract class WriteCurated extends PTransform<PCollection<CuratedRow>, PDone> {
  private static final long serialVersionUID = 1L;

  public static final String STEP_NAME = "UpsertCuratedRows";
  public static final String STAGE_STEP_NAME = "StageCuratedRows";
  public static final String METRICS_NAMESPACE = "warehouse";
  public static final String ROWS_UPSERTED_COUNTER = "rows_upserted";
  public static final String BATCHES_COUNTER = "batches";
  public static final String ROWS_NOT_STAGED_COUNTER = "rows_not_staged";
  public static final String RETRIES_COUNTER = "write_retries";

  /** Where the rows go. */
  public enum Mode {
    /** Fenced upserts into the curated tables. */
    LIVE,
    /** The replay staging tables, under the generation; the curated tables are not touched. */
    STAGING
  }

  abstract String jdbcUrl();

  abstract int maxBufferedRows();

  abstract long generation();

  abstract Mode mode();

  abstract WarehouseRetry retry();

  abstract @Nullable PartialWindows partialWindows();

  abstract Builder toBuilder();

  /**
   * Writes to the warehouse at {@code jdbcUrl}, e.g. {@code jdbc:duckdb:/data/warehouse.duckdb}.
   */
  public static WriteCurated to(String jdbcUrl) {
    return new AutoValue_WriteCurated.Builder()
        .setJdbcUrl(jdbcUrl)
        .setMaxBufferedRows(5_000)
        .setGeneration(0L)
        .setMode(Mode.LIVE)
        .setRetry(WarehouseRetry.defaults())
        .build();
  }

  /**
   * The generation every row is written with: the job's stream epoch or replay id, a positive long
   * fixed when the job is submitted. Default 0 (rows of a job without a generation; any generation
   * replaces them). Required (positive) in {@link Mode#STAGING}.
   */
  public WriteCurated withGeneration(long generation) {
    return toBuilder().setGeneration(generation).build();
  }

  /**
   * For a stream that started without the state of the previous job and reads arrivals from {@code
   * seenWholeFrom} (T0) on: the windows it cannot have seen whole (metric windows starting before
   * T0 + {@code maxEventTimeAhead}, completeness hours before the end of T0's hour) never replace a
   * stored row of another generation, and their metric windows are recorded as due for a correction
   * replay ({@link CuratedTables#upsertVersioned(List, PartialWindows)}). Null (the default): every
   * window was seen whole. {@link Mode#LIVE} only.
   */
  public WriteCurated withSeenWholeFrom(
      @Nullable Instant seenWholeFrom, java.time.Duration maxEventTimeAhead) {
    return toBuilder()
        .setPartialWindows(
            seenWholeFrom == null ? null : PartialWindows.of(seenWholeFrom, maxEventTimeAhead))
        .build();
  }

  /** {@link Mode#LIVE} (default) or {@link Mode#STAGING}. */
  public WriteCurated withMode(Mode mode) {
    return toBuilder().setMode(mode).build();
  }

  /** Distinct keys buffered before an upsert inside a bundle. Default 5,000. */
  public WriteCurated withMaxBufferedRows(int maxBufferedRows) {
    return toBuilder().setMaxBufferedRows(maxBufferedRows).build();
  }

  /**
   * How a flush (or opening the warehouse) that cannot reach the warehouse is retried: at most
   * {@code maxAttempts} attempts, waiting {@code initialBackoff} after the first failure and twice
   * as long after each further one, up to {@code maxBackoff}. Default 6 attempts, 1 s to 16 s (31 s
   * of waits in all). {@code maxAttempts = 1} turns retries off.
   */
  public WriteCurated withRetry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    return toBuilder()
        .setRetry(new WarehouseRetry(maxAttempts, initialBackoff.toMillis(), maxBackoff.toMillis()))
        .build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setJdbcUrl(String value);

    abstract Builder setMaxBufferedRows(int value);

    abstract Builder setGeneration(long value);

    abstract Builder setMode(Mode value);

    abstract Builder setRetry(WarehouseRetry value);

    abstract Builder setPartialWindows(@Nullable PartialWindows value);

    abstract WriteCurated build();
  }

  @Override
  public PDone expand(PCollection<CuratedRow> rows) {
    if (jdbcUrl() == null || jdbcUrl().isEmpty()) {
      throw new IllegalArgumentException("WriteCurated.to(jdbcUrl) needs a JDBC URL");
    }
    if (maxBufferedRows() < 1) {
      throw new IllegalArgumentException(
          "WriteCurated.withMaxBufferedRows(n) needs n >= 1, got " + maxBufferedRows());
    }
    if (mode() == null) {
      throw new IllegalArgumentException("WriteCurated.withMode(mode) needs a mode");
    }
    if (generation() < 0 || (mode() == Mode.STAGING && generation() < 1)) {
      throw new IllegalArgumentException(
          "WriteCurated.withGeneration(n) needs n >= 1 in STAGING mode and n >= 0 in LIVE mode, got "
              + generation());
    }
    if (mode() == Mode.STAGING && partialWindows() != null) {
      throw new IllegalArgumentException(
          "WriteCurated.withSeenWholeFrom is for a live stream; a replay sees its windows whole");
    }
    // Fail when the graph is built, not on the first worker.
    Warehouses.checkSupported(jdbcUrl());
    rows.apply(
        mode() == Mode.STAGING ? STAGE_STEP_NAME : STEP_NAME,
        ParDo.of(
            new WriteFn(
                jdbcUrl(),
                maxBufferedRows(),
                generation(),
                mode(),
                retry(),
                WarehouseRetry.THREAD_SLEEP,
                partialWindows())));
    return PDone.in(rows.getPipeline());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("jdbcUrl", Warehouses.redact(jdbcUrl())).withLabel("Warehouse URL"))
        .add(
            DisplayData.item("maxBufferedRows", maxBufferedRows())
                .withLabel("Rows buffered per upsert"))
        .add(DisplayData.item("generation", generation()).withLabel("Generation"))
        .add(DisplayData.item("mode", mode().name()).withLabel("Write mode"))
        .addIfNotNull(
            DisplayData.item(
                    "seenWholeFrom",
                    partialWindows() == null ? null : partialWindows().seenWholeFrom().toString())
                .withLabel("Windows seen whole from (stateless start)"))
        .add(
            DisplayData.item("retryAttempts", retry().maxAttempts)
                .withLabel("Attempts of a write that cannot reach the warehouse"))
        .add(
            DisplayData.item("retryToleratedMillis", retry().toleratedMillis())
                .withLabel("Backoff before a write gives up (ms)"));
  }

  /**
   * The version a row of a pane is stored with, in the {@code pane_index} column: its table's
   * {@link CuratedTable#growingColumn() growing column}. Within one run of a window it grows with
   * every pane, as Beam's pane index does; unlike the pane index it also orders the panes across a
   * restore from a checkpoint, where the restored run re-reads the input after the checkpoint and
   * may fold in one pane what the failed run fired as several (a backlog read in one bundle): with
   * pane indexes, the failed run's last rows would keep a higher index and fence out the restored
   * run's fuller rows for good. Equal versions mean equal content, so rewriting stays idempotent.
   */
  public static long paneVersion(CuratedRow row) {
    return row.getLong(row.table().growingColumn());
  }

  /** The step's DoFn; package-private so tests can drive a bundle against a warehouse outage. */
  static final class WriteFn extends DoFn<CuratedRow, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WriteCurated.class);

    private final String jdbcUrl;
    private final int maxBufferedRows;
    private final long generation;
    private final Mode mode;
    private final WarehouseRetry retry;
    private final WarehouseRetry.Sleeper sleeper;
    private final @Nullable PartialWindows partialWindows;
    private final Counter rowsUpserted = Metrics.counter(METRICS_NAMESPACE, ROWS_UPSERTED_COUNTER);
    private final Counter batches = Metrics.counter(METRICS_NAMESPACE, BATCHES_COUNTER);
    private final Counter rowsNotStaged =
        Metrics.counter(METRICS_NAMESPACE, ROWS_NOT_STAGED_COUNTER);
    private final Counter retries = Metrics.counter(METRICS_NAMESPACE, RETRIES_COUNTER);

    private transient JdbcWarehouse warehouse;

    /** Per table key: the newest row of this bundle not yet written. */
    private transient Map<List<Object>, VersionedRow> buffer;

    /**
     * Per table key: the highest pane index seen in this bundle, including rows already upserted.
     */
    private transient Map<List<Object>, Long> paneIndexes;

    WriteFn(
        String jdbcUrl,
        int maxBufferedRows,
        long generation,
        Mode mode,
        WarehouseRetry retry,
        WarehouseRetry.Sleeper sleeper) {
      this(jdbcUrl, maxBufferedRows, generation, mode, retry, sleeper, null);
    }

    WriteFn(
        String jdbcUrl,
        int maxBufferedRows,
        long generation,
        Mode mode,
        WarehouseRetry retry,
        WarehouseRetry.Sleeper sleeper,
        @Nullable PartialWindows partialWindows) {
      this.partialWindows = partialWindows;
      this.jdbcUrl = jdbcUrl;
      this.maxBufferedRows = maxBufferedRows;
      this.generation = generation;
      this.mode = mode;
      this.retry = retry;
      this.sleeper = sleeper;
    }

    @Setup
    public void setup() throws SQLException {
      retry.run(
          "opening the warehouse " + Warehouses.redact(jdbcUrl),
          () -> {
            open();
            warehouse.curated().ensureTables();
          },
          this::beforeRetry,
          sleeper);
    }

    /** The warehouse handle, opened again if a failed attempt dropped it. */
    private JdbcWarehouse open() throws SQLException {
      if (warehouse == null) {
        warehouse = Warehouses.openJdbc(jdbcUrl);
      }
      return warehouse;
    }

    /**
     * A failed attempt: count it, say so (no row content), and drop the connection, which may be
     * broken; the next attempt opens a new one.
     */
    private void beforeRetry(int attempt, SQLException failure, long waitMillis) {
      retries.inc();
      LOG.warn(
          "warehouse {} unreachable (attempt {} of {}, SQLState {}: {}); retrying in {} ms",
          Warehouses.redact(jdbcUrl),
          attempt,
          retry.maxAttempts,
          failure.getSQLState(),
          failure.getMessage(),
          waitMillis);
      closeWarehouse();
    }

    @StartBundle
    public void startBundle() {
      buffer = new LinkedHashMap<>();
      paneIndexes = new HashMap<>();
    }

    @ProcessElement
    public void processElement(@Element CuratedRow row, PaneInfo pane) throws SQLException {
      if (mode == Mode.STAGING && !ReplayScope.isReplayed(row.table())) {
        rowsNotStaged.inc();
        return;
      }
      List<Object> key = new ArrayList<>(row.key().size() + 1);
      key.add(row.table().tableName());
      key.addAll(row.key());
      Long seen = paneIndexes.get(key);
      if (seen != null && pane.getIndex() < seen) {
        return; // an older pane of a window whose newer pane this bundle already has
      }
      paneIndexes.put(key, pane.getIndex());
      buffer.put(key, VersionedRow.of(row, generation, paneVersion(row)));
      if (buffer.size() >= maxBufferedRows) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle() throws SQLException {
      flush();
      paneIndexes.clear();
    }

    private void flush() throws SQLException {
      if (buffer.isEmpty()) {
        return;
      }
      List<VersionedRow> rows = new ArrayList<>(buffer.values());
      retry.run(
          (mode == Mode.STAGING ? "staging " : "upserting ")
              + rows.size()
              + " rows into "
              + Warehouses.redact(jdbcUrl),
          () -> {
            if (mode == Mode.STAGING) {
              open().staging().stage(rows);
            } else {
              open().curated().upsertVersioned(rows, partialWindows);
            }
          },
          this::beforeRetry,
          sleeper);
      rowsUpserted.inc(rows.size());
      batches.inc();
      buffer.clear();
    }

    @Teardown
    public void teardown() {
      closeWarehouse();
    }

    private void closeWarehouse() {
      if (warehouse != null) {
        try {
          warehouse.close();
        } catch (RuntimeException alreadyBroken) {
          // the connection is gone with the warehouse; nothing to release
        }
        warehouse = null;
      }
    }
  }
}
