package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.pipelines.warehouse.CanaryTables.CanaryRow;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the freshness probe's canary events, once they went through validation and dedup, to
 * {@code pipeline_canary} of a JDBC warehouse ({@link CanaryTables}): one row per event id with its
 * source partition, {@code occurred_at}, arrival time and {@code written_at}, the writer's wall
 * clock when the row is written (the one wall-clock value the graph stores; nothing computes with
 * it). The row is written at the end of the bundle the canary is in, not windowed, so a canary is
 * queryable as soon as the real path (source, validation, dedup, this write) has carried it.
 * Inserts never replace a stored row: a re-run, a replayed bundle or a restore writes nothing new.
 * A flush that cannot reach the warehouse is retried like {@link WriteCurated}'s.
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #ROWS_COUNTER} (rows handed to
 * the warehouse, including ones already there).
 */
public final class WriteCanaries extends PTransform<PCollection<CollabEvent>, PDone> {
  private static final long serialVersionUID = 1L;

  public static final String STEP_NAME = "InsertCanaryRows";
  public static final String METRICS_NAMESPACE = "canary";
  public static final String ROWS_COUNTER = "rows_written";

  private final String jdbcUrl;

  private WriteCanaries(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  /** Writes to the JDBC warehouse at {@code jdbcUrl} (DuckDB or PostgreSQL). */
  public static WriteCanaries to(String jdbcUrl) {
    return new WriteCanaries(jdbcUrl);
  }

  @Override
  public PDone expand(PCollection<CollabEvent> canaries) {
    if (jdbcUrl == null || jdbcUrl.isEmpty()) {
      throw new IllegalArgumentException("WriteCanaries.to(jdbcUrl) needs a JDBC URL");
    }
    Warehouses.checkSupported(jdbcUrl);
    canaries.apply(STEP_NAME, ParDo.of(new WriteFn(jdbcUrl, WarehouseRetry.defaults())));
    return PDone.in(canaries.getPipeline());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("jdbcUrl", Warehouses.redact(jdbcUrl)).withLabel("Warehouse URL"));
  }

  private static final class WriteFn extends DoFn<CollabEvent, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(WriteCanaries.class);

    private final String jdbcUrl;
    private final WarehouseRetry retry;
    private final Counter rows = Metrics.counter(METRICS_NAMESPACE, ROWS_COUNTER);

    private transient JdbcWarehouse warehouse;
    private transient List<CollabEvent> buffer;

    WriteFn(String jdbcUrl, WarehouseRetry retry) {
      this.jdbcUrl = jdbcUrl;
      this.retry = retry;
    }

    @Setup
    public void setup() throws SQLException {
      retry.run(
          "opening the warehouse " + Warehouses.redact(jdbcUrl),
          () -> open().canaries().ensureTables(),
          this::beforeRetry,
          WarehouseRetry.THREAD_SLEEP);
    }

    private JdbcWarehouse open() throws SQLException {
      if (warehouse == null) {
        warehouse = Warehouses.openJdbc(jdbcUrl);
      }
      return warehouse;
    }

    private void beforeRetry(int attempt, SQLException failure, long waitMillis) {
      LOG.warn(
          "warehouse {} unreachable for canary rows (attempt {} of {}, SQLState {}); retrying in"
              + " {} ms",
          Warehouses.redact(jdbcUrl),
          attempt,
          retry.maxAttempts,
          failure.getSQLState(),
          waitMillis);
      closeWarehouse();
    }

    @StartBundle
    public void startBundle() {
      buffer = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element CollabEvent canary) {
      buffer.add(canary);
    }

    @FinishBundle
    public void finishBundle() throws SQLException {
      if (buffer.isEmpty()) {
        return;
      }
      long now = System.currentTimeMillis();
      List<CanaryRow> batch = new ArrayList<>(buffer.size());
      for (CollabEvent e : buffer) {
        batch.add(
            new CanaryRow(
                e.eventId(),
                e.source().partition(),
                e.occurredAtMillis(),
                e.receivedAtMillis(),
                now));
      }
      retry.run(
          "inserting " + batch.size() + " canary rows into " + Warehouses.redact(jdbcUrl),
          () -> open().canaries().insertCanaries(batch),
          this::beforeRetry,
          WarehouseRetry.THREAD_SLEEP);
      rows.inc(batch.size());
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
          // gone with the warehouse
        }
        warehouse = null;
      }
    }
  }
}
