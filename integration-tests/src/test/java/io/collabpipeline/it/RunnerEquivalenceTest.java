package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The same generated input (duplicates, late, too-late and malformed records, crossing an hour and
 * a day boundary) through the DirectRunner, embedded Flink batch and embedded Flink streaming:
 * every curated table must be identical across the three and equal to the values {@link
 * ExpectedTables} computes from the input on its own; the raw store must hold each accepted event
 * exactly once and the quarantine every malformed record with its reason.
 */
@RunWith(JUnit4.class)
public class RunnerEquivalenceTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(2_500)
          .withSeed(7L)
          .withStart(Instant.parse("2026-11-02T22:40:00Z"))
          .withSyntheticRate(0.5)
          .withDuplicateShare(0.06)
          .withLateShare(0.10)
          .withTooLateShare(0.02)
          .withMalformedShare(0.04);

  static ExpectedTables expected;

  @BeforeClass
  public static void computeExpected() throws Exception {
    GraphConfig defaults = GraphConfig.underDataDir("unused");
    expected = ExpectedTables.compute(SPEC, defaults.windowing().allowedLateness().getMillis());
    // The input must exercise what the test claims to prove.
    assertThat(expected.stageTotals.get("duplicate"), greaterThan(50L));
    assertThat(expected.stageTotals.get("quarantined"), greaterThan(50L));
  }

  @Test
  public void directRunnerMatchesTheIndependentComputation() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    assertRunMatches("direct", options);
  }

  @Test
  public void flinkBatchMatchesTheIndependentComputation() throws Exception {
    assertRunMatches("flink-batch", flinkOptions(false));
  }

  @Test
  public void flinkStreamingMatchesTheIndependentComputation() throws Exception {
    assertRunMatches("flink-streaming", flinkOptions(true));
  }

  private static PipelineOptions flinkOptions(boolean streaming) {
    FlinkPipelineOptions options = EmbeddedFlink.options(streaming, 2);
    options.setObjectReuse(Boolean.parseBoolean(System.getProperty("it.objectReuse", "true")));
    return options;
  }

  private void assertRunMatches(String name, PipelineOptions options) throws Exception {
    Path dir = TMP.newFolder(name).toPath();
    GraphConfig config = GraphConfig.underDataDir(dir.toString());
    FileSystems.setDefaultPipelineOptions(options);
    Pipeline p = Pipeline.create(options);
    CollabGraph.apply(p.apply("ReadGenerator", GeneratorSource.of(SPEC)), config);
    PipelineResult result = p.run();
    PipelineResult.State state = result.waitUntilFinish();
    assertThat(name + " state", state, equalTo(PipelineResult.State.DONE));

    // Every stage counts what passed through it, and the counts agree with the input, on every
    // runner.
    long deliveries = SPEC.deliveries();
    long quarantinedCount = expected.stageTotals.get("quarantined");
    long accepted = expected.stageTotals.get("accepted");
    long duplicates = expected.stageTotals.get("duplicate");
    assertCounter(
        result, name, GeneratorSource.METRICS_NAMESPACE, GeneratorSource.GENERATED, deliveries);
    assertCounter(
        result, name, ValidateEvents.METRIC_NAMESPACE, ValidateEvents.RECEIVED, deliveries);
    assertCounter(
        result,
        name,
        ValidateEvents.METRIC_NAMESPACE,
        ValidateEvents.QUARANTINED,
        quarantinedCount);
    assertCounter(
        result,
        name,
        ValidateEvents.METRIC_NAMESPACE,
        ValidateEvents.ACCEPTED,
        accepted + duplicates);
    assertCounter(result, name, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE, accepted);
    assertCounter(
        result, name, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES, duplicates);
    assertCounter(
        result,
        name,
        RawStoreIO.Write.METRICS_NAMESPACE,
        RawStoreIO.Write.RECORDS_COUNTER,
        accepted);
    assertCounter(
        result,
        name,
        QuarantineIO.Write.METRICS_NAMESPACE,
        QuarantineIO.Write.RECORDS_COUNTER,
        quarantinedCount);
    // raw_written ticks come from the rows of the committed raw files, read back.
    assertCounter(
        result, name, CompletenessTicks.METRICS_NAMESPACE, Stage.RAW_WRITTEN.code(), accepted);

    Set<CuratedRow> actual = new HashSet<>();
    try (Warehouse w = config.warehouse().open()) {
      for (CuratedTable table : CuratedTable.values()) {
        List<CuratedRow> rows = w.tables().get().read(table);
        assertThat(name + " " + table.tableName() + " has rows", rows.size(), greaterThan(0));
        actual.addAll(rows);
      }
    }
    StringBuilder differences = new StringBuilder();
    for (CuratedTable table : CuratedTable.values()) {
      try {
        assertSameRows(
            name + ": " + table.tableName(), only(expected.rows, table), only(actual, table));
      } catch (AssertionError e) {
        differences.append(e.getMessage()).append('\n');
      }
    }
    if (differences.length() > 0) {
      throw new AssertionError(differences.toString());
    }

    // The raw store holds each accepted event exactly once.
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(DISTINCT event_id) FROM read_parquet('"
                    + config.rawStore()
                    + "/**/*.parquet', hive_partitioning = true)")) {
      rs.next();
      assertThat(
          name + " raw rows", rs.getLong(1), equalTo((long) expected.acceptedEventIds.size()));
      assertThat(
          name + " raw distinct ids",
          rs.getLong(2),
          equalTo((long) expected.acceptedEventIds.size()));
    }

    // Every malformed record is in the quarantine with its reason.
    Map<String, Long> reasons = new TreeMap<>();
    for (QuarantineRecord q : QuarantineIO.readRecords(config.quarantineStore())) {
      reasons.merge(q.reason().code(), 1L, Long::sum);
    }
    assertThat(name + " quarantine reasons", reasons, equalTo(expected.quarantineReasons));
  }

  private static void assertCounter(
      PipelineResult result, String run, String namespace, String counter, long expectedValue) {
    long sum = Counters.committedOrAttempted(result, namespace, counter);
    assertThat(run + " counter " + namespace + "/" + counter, sum, equalTo(expectedValue));
  }

  /**
   * Equal sets, and where not, a message that names the first differing rows rather than thousands
   * of them.
   */
  private static void assertSameRows(
      String what, Set<CuratedRow> expected, Set<CuratedRow> actual) {
    Set<CuratedRow> missing = new HashSet<>(expected);
    missing.removeAll(actual);
    Set<CuratedRow> unexpected = new HashSet<>(actual);
    unexpected.removeAll(expected);
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new AssertionError(
          what
              + ": "
              + expected.size()
              + " rows expected, "
              + actual.size()
              + " found; "
              + missing.size()
              + " missing, e.g. "
              + first(missing)
              + "; "
              + unexpected.size()
              + " unexpected, e.g. "
              + first(unexpected));
    }
  }

  private static String first(Set<CuratedRow> rows) {
    return rows.stream()
        .map(Object::toString)
        .sorted()
        .limit(5)
        .collect(java.util.stream.Collectors.joining(", "));
  }

  private static Set<CuratedRow> only(Set<CuratedRow> rows, CuratedTable table) {
    Set<CuratedRow> out = new HashSet<>();
    for (CuratedRow r : rows) {
      if (r.table() == table) {
        out.add(r);
      }
    }
    return out;
  }
}
