package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.io.Closeable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * {@link WriteCurated}'s step rides out a real warehouse outage: the test's PostgreSQL server is
 * stopped ({@code pg_ctl stop -m fast}, which also drops the step's open connection) and started
 * again while a bundle is being written. The step's DoFn is driven directly, so the outage falls
 * exactly between buffering the rows and flushing them.
 */
public class WriteCuratedRetryTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  private final MetricsContainerImpl metrics = new MetricsContainerImpl("WriteCurated");
  private boolean down;

  @After
  public void warehouseIsUpAgain() throws Exception {
    if (down) {
      POSTGRES.start();
      down = false;
    }
  }

  private void stopWarehouse() throws Exception {
    POSTGRES.stop();
    down = true;
  }

  /** Starts the warehouse again after {@code millis}, in the background. */
  private CompletableFuture<Void> startWarehouseAfter(long millis) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            Thread.sleep(millis);
            POSTGRES.start();
            down = false;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private long retries() {
    return metrics
        .getCounter(MetricName.named(WriteCurated.METRICS_NAMESPACE, WriteCurated.RETRIES_COUNTER))
        .getCumulative();
  }

  private static WriteCurated.WriteFn writeFn(String url, WarehouseRetry retry) {
    return new WriteCurated.WriteFn(
        url, 5_000, 7L, WriteCurated.Mode.LIVE, retry, WarehouseRetry.THREAD_SLEEP);
  }

  private static void buffer(WriteCurated.WriteFn fn) throws SQLException {
    fn.startBundle();
    for (CuratedRow row : WriteCuratedTest.rows()) {
      fn.processElement(row, PaneInfo.NO_FIRING);
    }
  }

  private static List<CuratedRow> readAll(String url) throws Exception {
    List<CuratedRow> all = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      for (CuratedTable t : CuratedTable.values()) {
        all.addAll(w.curated().read(t));
      }
    }
    return all;
  }

  @Test
  public void aFlushRidesOutAWarehouseOutageAndWritesEveryRowOnce() throws Exception {
    String url = POSTGRES.newDatabaseUrl();
    // 250 ms doubling to 2 s, 8 attempts: 9.75 s of backoff, for an outage of ~3 s.
    WriteCurated.WriteFn fn = writeFn(url, new WarehouseRetry(8, 250, 2_000));
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      fn.setup();
      buffer(fn);
      stopWarehouse();
      long started = System.nanoTime();
      CompletableFuture<Void> back = startWarehouseAfter(3_000);
      fn.finishBundle();
      back.get(60, TimeUnit.SECONDS);
      assertThat(
          "the flush waited for the warehouse",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          greaterThanOrEqualTo(3_000L));
    } finally {
      fn.teardown();
    }
    assertThat(retries(), greaterThan(0L));
    List<CuratedRow> stored = readAll(url);
    assertThat(stored.size(), is(WriteCuratedTest.rows().size()));
    assertThat(new HashSet<>(stored), equalTo(new HashSet<>(WriteCuratedTest.rows())));
  }

  @Test
  public void aWarehouseThatStaysDownFailsTheBundleAfterTheBoundAndTheNextAttemptWritesIt()
      throws Exception {
    String url = POSTGRES.newDatabaseUrl();
    WriteCurated.WriteFn fn = writeFn(url, new WarehouseRetry(3, 100, 100));
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      fn.setup();
      buffer(fn);
      stopWarehouse();
      SQLException e = assertThrows(SQLException.class, fn::finishBundle);
      assertThat(e.getMessage(), containsString("upserting 62 rows into"));
      assertThat(e.getMessage(), containsString("failed 3 times over 200 ms of backoff"));
      assertThat(WarehouseRetry.isTransient(e), is(true));
      assertThat(retries(), is(2L));

      // The runner retries the bundle (here: the same DoFn, a new bundle) once the warehouse is
      // back; it opens a new connection and writes everything.
      POSTGRES.start();
      down = false;
      buffer(fn);
      fn.finishBundle();
    } finally {
      fn.teardown();
    }
    assertThat(new HashSet<>(readAll(url)), equalTo(new HashSet<>(WriteCuratedTest.rows())));
  }

  @Test
  public void openingTheWarehouseAtSetupRidesOutAnOutage() throws Exception {
    String url = POSTGRES.newDatabaseUrl();
    WriteCurated.WriteFn fn = writeFn(url, new WarehouseRetry(8, 250, 2_000));
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
      stopWarehouse();
      CompletableFuture<Void> back = startWarehouseAfter(2_000);
      fn.setup();
      back.get(60, TimeUnit.SECONDS);
      buffer(fn);
      fn.finishBundle();
    } finally {
      fn.teardown();
    }
    assertThat(retries(), greaterThan(0L));
    assertThat(new HashSet<>(readAll(url)), equalTo(new HashSet<>(WriteCuratedTest.rows())));
  }
}
