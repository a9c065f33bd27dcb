package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.stores.RawStoreIOTest;
import io.collabpipeline.transforms.Counters;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class WriteCuratedTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** 2026-11-22T01:00:00Z */
  private static final long T0 = RawStoreIOTest.T0;

  private String url() {
    return "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("warehouse.duckdb");
  }

  static List<CuratedRow> rows() {
    List<CuratedRow> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(CuratedRow.activeEditors(T0 + 60_000L * i, Granularity.MINUTE, "ws" + (i % 3), i));
      rows.add(CuratedRow.completeness(T0 + 3_600_000L * i, Granularity.HOUR, "accepted", 100 + i));
    }
    rows.add(CuratedRow.taskUpdateVelocity(T0, Granularity.DAY, "ws0", 5, 3, 1));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.HOUR, "ws1", "comment.added", 2, 5, 4));
    return rows;
  }

  /**
   * A counter's committed value: the DirectRunner commits it with each bundle, before {@code
   * waitUntilFinish} returns. Its attempted value is folded in later, on an executor, and once
   * stayed one update short for good (a 30 s poll saw {@code batches} at 8 with all 62 rows
   * counted).
   */
  private static long counter(PipelineResult result, String name) {
    return Counters.committedOrAttempted(result, WriteCurated.METRICS_NAMESPACE, name);
  }

  private List<CuratedRow> readAll() throws Exception {
    List<CuratedRow> all = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      for (CuratedTable t : CuratedTable.values()) {
        all.addAll(w.curated().read(t));
      }
    }
    return all;
  }

  @Test
  public void writesEveryRowOnTheDirectRunnerAndARerunChangesNothing() throws Exception {
    pipeline.apply("CreateRows", Create.of(rows())).apply("WriteCurated", WriteCurated.to(url()));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    List<CuratedRow> first = readAll();
    assertThat(new HashSet<>(first), equalTo(new HashSet<>(rows())));
    assertThat(first.size(), is(rows().size()));
    assertThat(counter(result, WriteCurated.ROWS_UPSERTED_COUNTER), is((long) rows().size()));
    assertThat(counter(result, WriteCurated.BATCHES_COUNTER), greaterThan(0L));

    rerun
        .apply("CreateRows", Create.of(rows()))
        .apply("WriteCurated", WriteCurated.to(url()).withMaxBufferedRows(7));
    PipelineResult second = rerun.run();
    second.waitUntilFinish();
    assertThat(readAll(), equalTo(first));
    // Every row was upserted again, and the rows went in buffers of at most 7 distinct keys: at
    // least 9 upserts. Both figures are asserted with their values, so that a failure says whether
    // a row was not counted or the rows went in fewer, larger upserts.
    assertThat(counter(second, WriteCurated.ROWS_UPSERTED_COUNTER), is((long) rows().size()));
    assertThat(counter(second, WriteCurated.BATCHES_COUNTER), greaterThanOrEqualTo(9L));
  }

  /** Turns per-window sums into active_editors rows of that window. */
  private static final class ToRowFn extends DoFn<KV<String, Long>, CuratedRow> {
    @ProcessElement
    public void processElement(
        @Element KV<String, Long> sum, BoundedWindow window, OutputReceiver<CuratedRow> out) {
      out.output(
          CuratedRow.activeEditors(
              ((IntervalWindow) window).start().getMillis(),
              Granularity.MINUTE,
              sum.getKey(),
              sum.getValue()));
    }
  }

  @Test
  public void theLastAccumulatingPaneOfAWindowWins() throws Exception {
    TestStream<KV<String, Long>> input =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(TimestampedValue.of(KV.of("ws1", 1L), new Instant(T0 + 1_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 2L), new Instant(T0 + 2_000)))
            .addElements(TimestampedValue.of(KV.of("ws2", 10L), new Instant(T0 + 3_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 4L), new Instant(T0 + 4_000)))
            .advanceWatermarkTo(new Instant(T0 + 120_000))
            .addElements(
                TimestampedValue.of(
                    KV.of("ws1", 8L), new Instant(T0 + 5_000))) // late, still allowed
            .advanceWatermarkToInfinity();
    PCollection<CuratedRow> rows =
        pipeline
            .apply("Events", input)
            .apply(
                "WindowPerMinute",
                Window.<KV<String, Long>>into(FixedWindows.of(Duration.standardMinutes(1)))
                    .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(Duration.standardHours(1))
                    .accumulatingFiredPanes())
            .apply("SumPerWorkspace", Sum.longsPerKey())
            .apply("ToRows", ParDo.of(new ToRowFn()))
            .apply("ToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows()));
    rows.apply("WriteCurated", WriteCurated.to(url()));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      assertThat(
          w.curated().read(CuratedTable.ACTIVE_EDITORS),
          equalTo(
              List.of(
                  CuratedRow.activeEditors(T0, Granularity.MINUTE, "ws1", 15),
                  CuratedRow.activeEditors(T0, Granularity.MINUTE, "ws2", 10))));
    }
    // Several panes were written for ws1: the table holds the last, not the first one upserted.
    assertThat(counter(result, WriteCurated.ROWS_UPSERTED_COUNTER) > 2, is(true));
  }

  @Test
  public void unsupportedUrlFailsWhenTheGraphIsBuilt() {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<CuratedRow> rows = pipeline.apply("CreateRows", Create.of(rows()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply("WriteCurated", WriteCurated.to("jdbc:snowflake://x")));
    assertThat(e.getMessage(), containsString("jdbc:snowflake://x"));
    assertThat(e.getMessage(), containsString("jdbc:duckdb:"));
  }

  @Test
  public void theLastPaneIsStoredWithItsVersionAndTheGeneration() throws Exception {
    TestStream<KV<String, Long>> input =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(TimestampedValue.of(KV.of("ws1", 1L), new Instant(T0 + 1_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 2L), new Instant(T0 + 2_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 4L), new Instant(T0 + 3_000)))
            .advanceWatermarkToInfinity();
    pipeline
        .apply("Events", input)
        .apply(
            "WindowPerMinute",
            Window.<KV<String, Long>>into(FixedWindows.of(Duration.standardMinutes(1)))
                .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.ZERO)
                .accumulatingFiredPanes())
        .apply("SumPerWorkspace", Sum.longsPerKey())
        .apply("ToRows", ParDo.of(new ToRowFn()))
        .apply("ToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows()))
        .apply("WriteCurated", WriteCurated.to(url()).withGeneration(77));
    pipeline.run().waitUntilFinish();

    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      List<VersionedRow> stored = w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS);
      assertThat(stored, hasSize(1));
      assertThat(
          stored.get(0).row(), equalTo(CuratedRow.activeEditors(T0, Granularity.MINUTE, "ws1", 7)));
      assertThat(stored.get(0).generation(), is(77L));
      // three elements, a pane each, then the on-time pane at the end of the window; the row is
      // stored with its version, the growing column's value (7), not Beam's pane index (3)
      assertThat(stored.get(0).paneIndex(), is(7L));
    }
  }

  /**
   * A run restored from a checkpoint re-reads the input after it, and may fold into ONE pane what
   * the failed run fired as several: the restored run's fuller row has a LOWER Beam pane index than
   * the failed run's last row of the same window. It must still replace it (before, the failed
   * run's row kept the higher pane index and fenced the restored run's rows out for good).
   */
  @Test
  public void aRestoredRunsFullerRowReplacesTheFailedRunsRowOfTheSameGeneration() throws Exception {
    TestStream<KV<String, Long>> failedRun =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(TimestampedValue.of(KV.of("ws1", 1L), new Instant(T0 + 1_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 2L), new Instant(T0 + 2_000)))
            .addElements(TimestampedValue.of(KV.of("ws1", 4L), new Instant(T0 + 3_000)))
            .advanceWatermarkToInfinity();
    pipeline
        .apply("Events", failedRun)
        .apply(
            "WindowPerMinute",
            Window.<KV<String, Long>>into(FixedWindows.of(Duration.standardMinutes(1)))
                .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.ZERO)
                .accumulatingFiredPanes())
        .apply("SumPerWorkspace", Sum.longsPerKey())
        .apply("ToRows", ParDo.of(new ToRowFn()))
        .apply("ToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows()))
        .apply("WriteCurated", WriteCurated.to(url()).withGeneration(77));
    pipeline.run().waitUntilFinish();

    // The restored run (same generation): the same window in one pane (index 0), with one more
    // element than the failed run saw.
    CuratedRow fuller = CuratedRow.activeEditors(T0, Granularity.MINUTE, "ws1", 15);
    rerun
        .apply("CreateRows", Create.of(fuller))
        .apply("WriteCurated", WriteCurated.to(url()).withGeneration(77));
    rerun.run().waitUntilFinish();

    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      List<VersionedRow> stored = w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS);
      assertThat(stored, hasSize(1));
      assertThat(stored.get(0).row(), equalTo(fuller));
    }
  }

  @Test
  public void aJobOfAnOlderGenerationCannotOverwriteTheRowsOfANewerOne() throws Exception {
    pipeline
        .apply("CreateRows", Create.of(rows()))
        .apply("WriteCurated", WriteCurated.to(url()).withGeneration(20));
    pipeline.run().waitUntilFinish();
    List<CuratedRow> stale = new ArrayList<>();
    for (CuratedRow row : rows()) {
      List<Object> values = new ArrayList<>(row.values());
      int last = values.size() - 1;
      values.set(last, values.get(last) instanceof Double ? (Object) 99.0 : (Object) 999L);
      stale.add(CuratedRow.of(row.table(), values));
    }
    rerun
        .apply("CreateRows", Create.of(stale))
        .apply("WriteCurated", WriteCurated.to(url()).withGeneration(10));
    rerun.run().waitUntilFinish();

    assertThat(new HashSet<>(readAll()), equalTo(new HashSet<>(rows())));
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      for (VersionedRow row : w.curated().readVersioned(CuratedTable.PIPELINE_COMPLETENESS)) {
        assertThat(row.generation(), is(20L));
      }
    }
  }

  @Test
  public void stagingModeStagesTheMetricRowsUnderTheGenerationAndNeverTouchesTheCuratedTables()
      throws Exception {
    pipeline
        .apply("CreateRows", Create.of(rows()))
        .apply(
            "WriteCurated",
            WriteCurated.to(url()).withGeneration(42).withMode(WriteCurated.Mode.STAGING));
    List<String> stepNames = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            stepNames.add(node.getFullName());
          }
        });
    pipeline.run().waitUntilFinish();

    assertThat(
        stepNames.stream().anyMatch(n -> n.startsWith("WriteCurated/StageCuratedRows")), is(true));
    assertThat(readAll(), empty());
    List<CuratedRow> expected = new ArrayList<>();
    for (CuratedRow row : rows()) {
      if (row.table() == CuratedTable.ACTIVE_EDITORS) {
        expected.add(row);
      }
    }
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      List<CuratedRow> staged = new ArrayList<>();
      for (VersionedRow row : w.staging().readStaged(42, CuratedTable.ACTIVE_EDITORS)) {
        assertThat(row.generation(), is(42L));
        staged.add(row.row());
      }
      assertThat(new HashSet<>(staged), equalTo(new HashSet<>(expected)));
      assertThat(w.staging().countStaged(42), is(32L));
    }
  }

  @Test
  public void stagingModeNeedsAGeneration() {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<CuratedRow> rows = pipeline.apply("CreateRows", Create.of(rows()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                rows.apply(
                    "WriteCurated", WriteCurated.to(url()).withMode(WriteCurated.Mode.STAGING)));
    assertThat(e.getMessage(), containsString("WriteCurated.withGeneration(n)"));
  }

  @Test
  public void aStreamSeeingWindowsWholeOnlyFromT0KeepsAnotherGenerationsRowsOfPartialWindows()
      throws Exception {
    CuratedRow partialOld = CuratedRow.activeEditors(T0, Granularity.HOUR, "ws1", 50);
    CuratedRow wholeOld =
        CuratedRow.activeEditors(T0 + 3 * 3_600_000L, Granularity.HOUR, "ws1", 30);
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated()
          .upsertVersioned(
              List.of(VersionedRow.of(partialOld, 5, 2), VersionedRow.of(wholeOld, 5, 0)));
    }
    // T0 one hour after the first window, 1 h ahead bound: windows before T0 + 2 h are partial
    java.time.Instant t0 = java.time.Instant.ofEpochMilli(T0 + 3_600_000L);
    pipeline
        .apply(
            "CreateRows",
            Create.of(
                CuratedRow.activeEditors(T0, Granularity.HOUR, "ws1", 5),
                CuratedRow.activeEditors(T0 + 3 * 3_600_000L, Granularity.HOUR, "ws1", 3)))
        .apply(
            "WriteCurated",
            WriteCurated.to(url())
                .withGeneration(7)
                .withSeenWholeFrom(t0, java.time.Duration.ofHours(1)));
    pipeline.run().waitUntilFinish();
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          equalTo(
              List.of(
                  VersionedRow.of(partialOld, 5, 2),
                  VersionedRow.of(
                      CuratedRow.activeEditors(T0 + 3 * 3_600_000L, Granularity.HOUR, "ws1", 3),
                      7,
                      3)))); // stored with its version, the growing column
      assertThat(
          w.curated().correctionsDue(),
          equalTo(List.of(CorrectionDue.of(java.time.Instant.ofEpochMilli(T0), "hour", 7))));
    }
  }

  @Test
  public void aReplayCannotBeGivenASeenWholeFrom() {
    PCollection<CuratedRow> rows = pipeline.apply(Create.of(rows()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                rows.apply(
                    "WriteCurated",
                    WriteCurated.to(url())
                        .withGeneration(3)
                        .withMode(WriteCurated.Mode.STAGING)
                        .withSeenWholeFrom(
                            java.time.Instant.ofEpochMilli(T0), java.time.Duration.ofHours(1))));
    assertThat(e.getMessage(), containsString("withSeenWholeFrom"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
