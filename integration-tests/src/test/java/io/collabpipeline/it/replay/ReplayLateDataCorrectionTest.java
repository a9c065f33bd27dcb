package io.collabpipeline.it.replay;

import static io.collabpipeline.it.replay.StreamedWarehouse.assertSameTables;
import static io.collabpipeline.it.replay.StreamedWarehouse.tables;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.it.ExpectedTables;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * (d) Late-data correction: events that arrive later than the allowed lateness are left out of the
 * streamed metrics and counted as {@code late} in {@code pipeline_completeness}; a correction
 * replay of their dates folds them in, and the metric tables then equal the values {@link
 * ExpectedTables} computes from the input with every event on time, while {@code
 * pipeline_completeness} stays as streamed.
 */
@RunWith(JUnit4.class)
public class ReplayLateDataCorrectionTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(1_000)
          .withSeed(43L)
          .withStart(Instant.parse("2026-11-04T22:50:00Z"))
          .withSyntheticRate(0.5)
          .withDuplicateShare(0.04)
          .withLateShare(0.05)
          .withTooLateShare(0.06)
          .withMalformedShare(0.02);

  static final List<CuratedTable> METRIC_TABLES = ReplayScope.TABLES;

  @Test
  public void tooLateEventsAreCountedLateAndACorrectionReplayFoldsThemIn() throws Exception {
    long lateness = WindowingPolicy.DEFAULT_ALLOWED_LATENESS.getMillis();
    ExpectedTables asStreamed = ExpectedTables.compute(SPEC, lateness);
    ExpectedTables onTime =
        ExpectedTables.compute(SPEC, JobConfig.REPLAY_ALLOWED_LATENESS.getMillis());
    assertThat(
        "the input has too-late events",
        asStreamed.stageTotals.getOrDefault("late", 0L),
        greaterThan(30L));
    assertThat(
        "they matter to the metrics", byTable(asStreamed.rows), not(equalTo(byTable(onTime.rows))));

    StreamedWarehouse stream =
        StreamedWarehouse.run(SPEC, TMP.newFolder("stream").toPath(), true, 1_048_576);
    String url = stream.warehouseUrl();
    Map<CuratedTable, Set<CuratedRow>> streamed = tables(url);
    // After the stream: too-late events are missing from the metrics and counted late (completeness
    // included).
    assertSameTables(
        "streamed", byTable(asStreamed.rows), streamed, List.of(CuratedTable.values()));

    ReplayScope range = stream.rawDates();
    JobLauncher.Finished r =
        JobLauncher.withOptions(
                StreamedWarehouse.flink(false),
                StreamedWarehouse.capture(new ByteArrayOutputStream()))
            .run(stream.replay(url, 2_000L, range, false, stream.dir));
    assertThat("the correction changed rows", r.diff.isEmpty(), equalTo(false));

    Map<CuratedTable, Set<CuratedRow>> corrected = tables(url);
    assertSameTables("after the correction replay", byTable(onTime.rows), corrected, METRIC_TABLES);
    assertSameTables(
        "completeness stays as streamed",
        streamed,
        corrected,
        List.of(CuratedTable.PIPELINE_COMPLETENESS));
  }

  private static Map<CuratedTable, Set<CuratedRow>> byTable(Set<CuratedRow> rows) {
    Map<CuratedTable, Set<CuratedRow>> out = new EnumMap<>(CuratedTable.class);
    for (CuratedTable t : CuratedTable.values()) {
      out.put(t, StreamedWarehouse.only(rows, t));
    }
    return out;
  }
}
