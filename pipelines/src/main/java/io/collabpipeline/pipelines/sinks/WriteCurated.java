package io.collabpipeline.pipelines.sinks;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;
import java.sql.SQLException;
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

/**
 * Writes curated rows to the warehouse a JDBC URL names ({@link Warehouses#open}), idempotently by table key.
 *
 * <p>Rows arrive as panes of accumulating windows: each pane carries the full value of its window so far. The step
 * {@value #STEP_NAME} buffers rows per bundle, keeping per table key the row of the highest pane index seen (the later
 * one on ties), and upserts the buffer at the end of the bundle and whenever it reaches {@link #withMaxBufferedRows}
 * rows (5,000 by default). Since the warehouse upserts by key, the last pane wins, and re-running any window (in
 * stream or replay) leaves exactly the values of a single clean run. The tables are created on first use.
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counters {@value #ROWS_UPSERTED_COUNTER} and
 * {@value #BATCHES_COUNTER}.
 */
@AutoValue
public abstract class WriteCurated extends PTransform<PCollection<CuratedRow>, PDone> {
  private static final long serialVersionUID = 1L;

  public static final String STEP_NAME = "UpsertCuratedRows";
  public static final String METRICS_NAMESPACE = "warehouse";
  public static final String ROWS_UPSERTED_COUNTER = "rows_upserted";
  public static final String BATCHES_COUNTER = "batches";

  abstract String jdbcUrl();

  abstract int maxBufferedRows();

  abstract Builder toBuilder();

  /** Writes to the warehouse at {@code jdbcUrl}, e.g. {@code jdbc:duckdb:/data/warehouse.duckdb}. */
  public static WriteCurated to(String jdbcUrl) {
    return new AutoValue_WriteCurated.Builder().setJdbcUrl(jdbcUrl).setMaxBufferedRows(5_000).build();
  }

  /** Distinct keys buffered before an upsert inside a bundle. Default 5,000. */
  public WriteCurated withMaxBufferedRows(int maxBufferedRows) {
    return toBuilder().setMaxBufferedRows(maxBufferedRows).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setJdbcUrl(String value);

    abstract Builder setMaxBufferedRows(int value);

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
    // Fail when the graph is built, not on the first worker.
    Warehouses.checkSupported(jdbcUrl());
    rows.apply(STEP_NAME, ParDo.of(new UpsertFn(jdbcUrl(), maxBufferedRows())));
    return PDone.in(rows.getPipeline());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("jdbcUrl", Warehouses.redact(jdbcUrl())).withLabel("Warehouse URL"))
        .add(DisplayData.item("maxBufferedRows", maxBufferedRows()).withLabel("Rows buffered per upsert"));
  }

  private static final class UpsertFn extends DoFn<CuratedRow, Void> {
    private static final long serialVersionUID = 1L;

    private final String jdbcUrl;
    private final int maxBufferedRows;
    private final Counter rowsUpserted = Metrics.counter(METRICS_NAMESPACE, ROWS_UPSERTED_COUNTER);
    private final Counter batches = Metrics.counter(METRICS_NAMESPACE, BATCHES_COUNTER);

    private transient Warehouse warehouse;
    /** Per table key: the newest row of this bundle not yet upserted. */
    private transient Map<List<Object>, CuratedRow> buffer;
    /** Per table key: the highest pane index seen in this bundle, including rows already upserted. */
    private transient Map<List<Object>, Long> paneIndexes;

    UpsertFn(String jdbcUrl, int maxBufferedRows) {
      this.jdbcUrl = jdbcUrl;
      this.maxBufferedRows = maxBufferedRows;
    }

    @Setup
    public void setup() throws SQLException {
      warehouse = Warehouses.open(jdbcUrl);
      warehouse.ensureTables();
    }

    @StartBundle
    public void startBundle() {
      buffer = new LinkedHashMap<>();
      paneIndexes = new HashMap<>();
    }

    @ProcessElement
    public void processElement(@Element CuratedRow row, PaneInfo pane) throws SQLException {
      List<Object> key = new ArrayList<>(row.key().size() + 1);
      key.add(row.table().tableName());
      key.addAll(row.key());
      Long seen = paneIndexes.get(key);
      if (seen != null && pane.getIndex() < seen) {
        return; // an older pane of a window whose newer pane this bundle already has
      }
      paneIndexes.put(key, pane.getIndex());
      buffer.put(key, row);
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
      List<CuratedRow> rows = new ArrayList<>(buffer.values());
      warehouse.upsert(rows);
      rowsUpserted.inc(rows.size());
      batches.inc();
      buffer.clear();
    }

    @Teardown
    public void teardown() {
      if (warehouse != null) {
        warehouse.close();
        warehouse = null;
      }
    }
  }
}
