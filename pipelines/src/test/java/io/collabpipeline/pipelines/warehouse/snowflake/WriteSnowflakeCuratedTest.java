package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.WriteCurated;
import io.collabpipeline.pipelines.warehouse.snowflake.PostgresSnowflakeSchema.Stored;
import io.collabpipeline.transforms.Counters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link WriteSnowflakeCurated} end to end on the DirectRunner, through SnowflakeIO's real write
 * path (CSV mapping, gzip files staged by FileIO, the file list handed to the loading services)
 * with {@code withSnowflakeServices}: the staged files are loaded into a real PostgreSQL whose
 * tables come from the repository's DDL, and the batch MERGE is the repository's MERGE file, run by
 * the production {@code MergeAfterCopyServices}. The staging location is a local folder
 * (SnowflakeIO only requires a trailing '/'); Snowflake itself is not involved anywhere.
 */
public class WriteSnowflakeCuratedTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();
  @Rule public final transient TestPipeline third = TestPipeline.create();
  @Rule public final TemporaryFolder staging = new TemporaryFolder();

  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();

  private PostgresSnowflakeSchema db;

  @Before
  public void createTables() throws Exception {
    db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
  }

  static List<CuratedRow> rows() {
    List<CuratedRow> rows = new ArrayList<>();
    for (int w = 1; w <= 3; w++) {
      String ws = String.valueOf(1000 + w);
      rows.add(CuratedRow.activeEditors(T0, Granularity.MINUTE, ws, w));
      rows.add(CuratedRow.activeEditors(T0, Granularity.HOUR, ws, 10 * w));
      rows.add(CuratedRow.taskUpdateVelocity(T0 + 60_000, Granularity.MINUTE, ws, 5 * w, 2 * w, w));
      rows.add(
          CuratedRow.notificationFanout(T0, Granularity.MINUTE, ws, "task.updated", 3, 7 * w, 4));
      // Quotes and commas in a string must survive SnowflakeIO's CSV quoting and the COPY.
      rows.add(
          CuratedRow.notificationFanout(
              T0, Granularity.DAY, ws, "odd 'type', with comma", 1, w, w));
    }
    rows.add(CuratedRow.completeness(T0, Granularity.HOUR, "received", 100));
    rows.add(CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 96));
    rows.add(CuratedRow.completeness(T0, Granularity.DAY, "received", 2400));
    return rows;
  }

  private SnowflakeIO.DataSourceConfiguration postgres() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    return SnowflakeIO.DataSourceConfiguration.create(ds)
        .withDatabase("collab")
        .withSchema("curated");
  }

  private WriteSnowflakeCurated write(long generation) {
    return WriteSnowflakeCurated.write()
        .withDataSourceConfiguration(postgres())
        .withStagingBucketName(staging.getRoot().getAbsolutePath() + "/")
        .withStorageIntegrationName("collab_curated_s3")
        .withGeneration(generation)
        .withSnowflakeServices(new PostgresLoadingServices(db.url()));
  }

  private List<Stored> readAll() throws Exception {
    List<Stored> all = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      all.addAll(db.read(t));
    }
    return all;
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.committedOrAttempted(result, WriteSnowflakeCurated.METRICS_NAMESPACE, name);
  }

  @Test
  public void aBatchWriteLandsEveryRowWithExactValuesAndARerunChangesNothing() throws Exception {
    List<CuratedRow> rows = rows();
    pipeline.apply("CreateRows", Create.of(rows)).apply("WriteSnowflake", write(1_000L));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    List<Stored> first = readAll();
    assertThat(
        first.stream().map(s -> s.row).collect(Collectors.toSet()), equalTo(new HashSet<>(rows)));
    assertThat(first, hasSize(rows.size()));
    assertThat(first.stream().map(s -> s.generation).collect(Collectors.toSet()), contains(1_000L));
    // Each row is staged and merged with its pane version: its table's growing column.
    for (Stored s : first) {
      assertThat(s.row.toString(), s.paneIndex, is(WriteCurated.paneVersion(s.row)));
    }
    for (CuratedTable t : CuratedTable.values()) {
      assertThat("staged rows of " + t + " are cleared", db.readStage(t), is(empty()));
    }
    // Every table went through COPY (from staged gzip files) and then its MERGE.
    assertThat(
        db.strings(
            "SELECT DISTINCT table_name FROM loaded_files WHERE service = 'copy' ORDER BY 1"),
        contains(
            "active_editors_stage",
            "notification_fanout_stage",
            "pipeline_completeness_stage",
            "task_update_velocity_stage"));
    assertThat(db.strings("SELECT file_name FROM loaded_files"), everyItem(containsString(".csv")));
    assertThat(counter(result, WriteSnowflakeCurated.ROWS_STAGED_COUNTER), is((long) rows.size()));
    assertThat(
        counter(result, WriteSnowflakeCurated.MERGES_COUNTER),
        is((long) CuratedTable.values().length));
    assertThat(counter(result, WriteSnowflakeCurated.ROWS_MERGED_COUNTER), is((long) rows.size()));

    rerun.apply("CreateRows", Create.of(rows)).apply("WriteSnowflake", write(1_000L));
    rerun.run().waitUntilFinish();
    assertThat(readAll(), equalTo(first));
  }

  @Test
  public void aReplayStagesOnlyIntoTheReplayStageTablesAndItsCommitWritesExactlyThoseRows()
      throws Exception {
    List<CuratedRow> rows = rows();
    pipeline
        .apply("CreateRows", Create.of(rows))
        .apply("ReplayStage", write(2_000L).withReplayStaging());
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    List<CuratedRow> metricRows =
        rows.stream()
            .filter(r -> io.collabpipeline.pipelines.warehouse.ReplayScope.isReplayed(r.table()))
            .collect(Collectors.toList());
    assertThat(metricRows, hasSize(15));
    // COPY only: nothing merged, no live stage table or curated table touched, completeness
    // dropped.
    assertThat(readAll(), is(empty()));
    List<Stored> staged = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      assertThat(db.readStage(t), is(empty()));
      if (io.collabpipeline.pipelines.warehouse.ReplayScope.isReplayed(t)) {
        staged.addAll(db.readReplayStage(t));
      }
    }
    assertThat(
        staged.stream().map(s -> s.row).collect(Collectors.toSet()),
        equalTo(new HashSet<>(metricRows)));
    assertThat(staged, hasSize(metricRows.size()));
    assertThat(
        staged.stream().map(s -> s.generation).collect(Collectors.toSet()), contains(2_000L));
    assertThat(
        db.strings(
            "SELECT DISTINCT table_name FROM loaded_files WHERE service = 'copy' ORDER BY 1"),
        contains(
            "active_editors_replay_stage",
            "notification_fanout_replay_stage",
            "task_update_velocity_replay_stage"));
    assertThat(counter(result, WriteSnowflakeCurated.MERGES_COUNTER), is(0L));

    // The launcher's close: begin (done before the job), diff, commit.
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    io.collabpipeline.pipelines.warehouse.ReplayScope day =
        io.collabpipeline.pipelines.warehouse.ReplayScope.day(
            java.time.LocalDate.parse("2026-03-02"));
    try (SnowflakeWarehouse w =
        SnowflakeWarehouse.of(
            SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(
                SnowflakeIO.DataSourceConfiguration.create(ds)))) {
      w.generationLog()
          .get()
          .begin(2_000L, io.collabpipeline.pipelines.warehouse.GenerationLog.Kind.REPLAY, day);
      assertThat(
          w.replays().get().diff(2_000L, day).table(CuratedTable.ACTIVE_EDITORS).rowsAdded(),
          is(6L));
      w.replays().get().commitReplay(2_000L, day);
    }
    List<Stored> committed = readAll();
    assertThat(
        committed.stream().map(s -> s.row).collect(Collectors.toSet()),
        equalTo(new HashSet<>(metricRows)));
    assertThat(committed, hasSize(metricRows.size()));
  }

  @Test
  public void aRunOfAnOlderGenerationNeverOverwritesANewerOne() throws Exception {
    List<CuratedRow> newer =
        List.of(
            CuratedRow.activeEditors(T0, Granularity.MINUTE, "1", 10),
            CuratedRow.activeEditors(T0, Granularity.MINUTE, "2", 20));
    List<CuratedRow> older =
        List.of(
            CuratedRow.activeEditors(T0, Granularity.MINUTE, "1", 99),
            CuratedRow.activeEditors(T0, Granularity.MINUTE, "3", 30));

    pipeline.apply("CreateRows", Create.of(newer)).apply("WriteSnowflake", write(2_000L));
    pipeline.run().waitUntilFinish();
    rerun.apply("CreateRows", Create.of(older)).apply("WriteSnowflake", write(1_000L));
    rerun.run().waitUntilFinish();

    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(
            new Stored(newer.get(0), 2_000L, WriteCurated.paneVersion(newer.get(0))),
            new Stored(newer.get(1), 2_000L, WriteCurated.paneVersion(newer.get(1))),
            new Stored(older.get(1), 1_000L, WriteCurated.paneVersion(older.get(1)))));

    third.apply("CreateRows", Create.of(older)).apply("WriteSnowflake", write(3_000L));
    third.run().waitUntilFinish();
    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(
            new Stored(older.get(0), 3_000L, WriteCurated.paneVersion(older.get(0))),
            new Stored(newer.get(1), 2_000L, WriteCurated.paneVersion(newer.get(1))),
            new Stored(older.get(1), 3_000L, WriteCurated.paneVersion(older.get(1)))));
  }

  private static Stored stored(CuratedRow row, long generation) {
    return new Stored(row, generation, WriteCurated.paneVersion(row));
  }

  @Test
  public void aStreamStartedWithoutStateNeverReplacesAFullerRowAndRecordsItsPartialWindowsOnce()
      throws Exception {
    long minute = 60_000L;
    long hour = 60 * minute;
    long dayStart = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli();
    // Generation 1 saw everything whole.
    CuratedRow editorsMinute = CuratedRow.activeEditors(T0, Granularity.MINUTE, "1", 5);
    CuratedRow editorsHour = CuratedRow.activeEditors(T0, Granularity.HOUR, "1", 50);
    CuratedRow editorsAtBound =
        CuratedRow.activeEditors(T0 + 90 * minute, Granularity.MINUTE, "1", 7);
    CuratedRow velocity11 =
        CuratedRow.taskUpdateVelocity(T0 + hour, Granularity.MINUTE, "1", 4, 2, 1);
    CuratedRow received10 = CuratedRow.completeness(T0, Granularity.HOUR, "received", 100);
    CuratedRow received11 = CuratedRow.completeness(T0 + hour, Granularity.HOUR, "received", 200);
    pipeline
        .apply(
            "CreateRows",
            Create.of(
                editorsMinute, editorsHour, editorsAtBound, velocity11, received10, received11))
        .apply("WriteSnowflake", write(1_000L));
    pipeline.run().waitUntilFinish();

    // Generation 2 sees windows whole from arrival 10:30 with events up to 1 h ahead: metric
    // windows before 11:30 and completeness hours before 11:00 are partial.
    CuratedRow editorsAtBound2 =
        CuratedRow.activeEditors(T0 + 90 * minute, Granularity.MINUTE, "1", 9);
    CuratedRow newEditors = CuratedRow.activeEditors(T0 + 5 * minute, Granularity.MINUTE, "2", 4);
    CuratedRow newVelocity = CuratedRow.taskUpdateVelocity(T0, Granularity.MINUTE, "1", 1, 1, 1);
    CuratedRow newFanout =
        CuratedRow.notificationFanout(dayStart, Granularity.DAY, "1", "task.updated", 1, 2, 2);
    CuratedRow received11b = CuratedRow.completeness(T0 + hour, Granularity.HOUR, "received", 250);
    CuratedRow received08 =
        CuratedRow.completeness(T0 - 2 * hour, Granularity.HOUR, "received", 10);
    List<CuratedRow> second =
        List.of(
            CuratedRow.activeEditors(T0, Granularity.MINUTE, "1", 3),
            CuratedRow.activeEditors(T0, Granularity.HOUR, "1", 30),
            editorsAtBound2,
            newEditors,
            CuratedRow.taskUpdateVelocity(T0 + hour, Granularity.MINUTE, "1", 2, 1, 0),
            newVelocity,
            newFanout,
            CuratedRow.completeness(T0, Granularity.HOUR, "received", 40),
            received11b,
            received08);
    WriteSnowflakeCurated stateless =
        write(2_000L)
            .withSeenWholeFrom(
                Instant.parse("2026-03-02T10:30:00Z"), java.time.Duration.ofHours(1));
    rerun.apply("CreateRows", Create.of(second)).apply("WriteSnowflake", stateless);
    PipelineResult result = rerun.run();
    result.waitUntilFinish();

    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(
            stored(editorsHour, 1_000L),
            stored(editorsMinute, 1_000L),
            stored(newEditors, 2_000L),
            stored(editorsAtBound2, 2_000L)));
    assertThat(
        db.read(CuratedTable.TASK_UPDATE_VELOCITY),
        contains(stored(newVelocity, 2_000L), stored(velocity11, 1_000L)));
    assertThat(db.read(CuratedTable.NOTIFICATION_FANOUT), contains(stored(newFanout, 2_000L)));
    assertThat(
        db.read(CuratedTable.PIPELINE_COMPLETENESS),
        contains(
            stored(received08, 2_000L), stored(received10, 1_000L), stored(received11b, 2_000L)));
    // Every metric window below 11:30 the stream wrote, once (10:00 minute is in two tables); not
    // the window at the bound, nor the completeness hour 08:00.
    List<String> due =
        List.of(
            "2026-03-02T00:00 day 2000",
            "2026-03-02T10:00 hour 2000",
            "2026-03-02T10:00 minute 2000",
            "2026-03-02T10:05 minute 2000",
            "2026-03-02T11:00 minute 2000");
    assertThat(db.correctionsDue(), equalTo(due));
    assertThat(counter(result, WriteSnowflakeCurated.CORRECTIONS_RECORDED_COUNTER), is(5L));
    for (CuratedTable t : CuratedTable.values()) {
      assertThat("staged rows of " + t + " are cleared", db.readStage(t), is(empty()));
    }

    List<Stored> before = readAll();
    List<String> recordedAt =
        db.strings("SELECT recorded_at::text FROM pipeline_corrections_due ORDER BY 1");
    third.apply("CreateRows", Create.of(second)).apply("WriteSnowflake", stateless);
    PipelineResult again = third.run();
    again.waitUntilFinish();
    assertThat(readAll(), equalTo(before));
    assertThat(db.correctionsDue(), equalTo(due));
    assertThat(
        db.strings("SELECT recorded_at::text FROM pipeline_corrections_due ORDER BY 1"),
        equalTo(recordedAt));
    assertThat(counter(again, WriteSnowflakeCurated.CORRECTIONS_RECORDED_COUNTER), is(0L));
  }

  /**
   * Counts per workspace in 1-minute windows, one accumulating pane per element: what
   * ComputeMetrics emits.
   */
  private static final class ToActiveEditorsFn extends DoFn<KV<String, Long>, CuratedRow> {
    @ProcessElement
    public void process(
        @Element KV<String, Long> count, IntervalWindow window, OutputReceiver<CuratedRow> out) {
      out.output(
          CuratedRow.activeEditors(
              window.start().getMillis(), Granularity.MINUTE, count.getKey(), count.getValue()));
    }
  }

  @Test
  public void streamingStagesEveryPaneForSnowpipeAndTheMergeKeepsTheLastPane() throws Exception {
    org.joda.time.Instant start = new org.joda.time.Instant(T0);
    TestStream<KV<String, Long>> events =
        TestStream.create(
                org.apache.beam.sdk.coders.KvCoder.of(
                    org.apache.beam.sdk.coders.StringUtf8Coder.of(),
                    org.apache.beam.sdk.coders.VarLongCoder.of()))
            .advanceWatermarkTo(start)
            .addElements(
                TimestampedValue.of(KV.of("1", 1L), start.plus(Duration.standardSeconds(1))))
            .addElements(
                TimestampedValue.of(KV.of("1", 1L), start.plus(Duration.standardSeconds(2))))
            .addElements(
                TimestampedValue.of(KV.of("2", 1L), start.plus(Duration.standardSeconds(3))))
            .addElements(
                TimestampedValue.of(KV.of("1", 1L), start.plus(Duration.standardSeconds(4))))
            .advanceProcessingTime(Duration.standardSeconds(10))
            .advanceWatermarkTo(start.plus(Duration.standardMinutes(2)))
            .advanceProcessingTime(Duration.standardSeconds(10))
            .advanceWatermarkToInfinity();

    KeyPairGenerator keys = KeyPairGenerator.getInstance("RSA");
    keys.initialize(2048);
    PrivateKey key = keys.generateKeyPair().getPrivate();
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    // What StreamToTableFn (SnowflakeIO 2.52) needs to build its Snowpipe client: a key pair and
    // the account's server
    // name. The client is never called: the streaming service below replaces it.
    SnowflakeIO.DataSourceConfiguration snowpipe =
        SnowflakeIO.DataSourceConfiguration.create(ds)
            .withServerName("offline-test.snowflakecomputing.com")
            .withKeyPairAuth("collab_loader", key)
            .withDatabase("collab")
            .withSchema("curated");

    pipeline
        .apply("Events", events)
        .apply(
            "MinuteWindows",
            Window.<KV<String, Long>>into(FixedWindows.of(Duration.standardMinutes(1)))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withEarlyFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.ZERO)
                .accumulatingFiredPanes())
        .apply("Count", Sum.longsPerKey())
        .apply("ToRows", ParDo.of(new ToActiveEditorsFn()))
        .apply(
            "WriteSnowflake",
            write(5_000L)
                .withDataSourceConfiguration(snowpipe)
                .withFlushTimeLimit(Duration.standardSeconds(1))
                .withFlushRowLimit(1));
    pipeline.run().waitUntilFinish();

    // Snowpipe was given the staged files of active_editors, by name relative to the table's
    // staging folder, and they
    // are the files the write staged there.
    List<String> announced =
        db.strings("SELECT file_name FROM loaded_files WHERE service = 'snowpipe' ORDER BY 1");
    assertThat(announced.size(), greaterThan(0));
    assertThat(
        db.strings("SELECT DISTINCT table_name FROM loaded_files"),
        contains("active_editors_stage"));
    Path folder = staging.getRoot().toPath().resolve("active_editors");
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(
          new HashSet<>(announced),
          equalTo(
              files
                  .filter(Files::isRegularFile)
                  .map(p -> p.getFileName().toString())
                  .collect(Collectors.toSet())));
    }

    // The stage holds several panes of workspace 1, so the MERGE's choice matters; the task's MERGE
    // keeps the last.
    List<Stored> staged = db.readStage(CuratedTable.ACTIVE_EDITORS);
    long workspace1Panes =
        staged.stream().filter(s -> s.row.getString("workspace_gid").equals("1")).count();
    assertThat(workspace1Panes, greaterThan(1L));
    long lastPane1 =
        staged.stream()
            .filter(s -> s.row.getString("workspace_gid").equals("1"))
            .mapToLong(s -> s.paneIndex)
            .max()
            .getAsLong();
    long lastPane2 =
        staged.stream()
            .filter(s -> s.row.getString("workspace_gid").equals("2"))
            .mapToLong(s -> s.paneIndex)
            .max()
            .getAsLong();
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(
            new Stored(CuratedRow.activeEditors(T0, Granularity.MINUTE, "1", 3), 5_000L, lastPane1),
            new Stored(
                CuratedRow.activeEditors(T0, Granularity.MINUTE, "2", 1), 5_000L, lastPane2)));
    assertThat(db.readStage(CuratedTable.ACTIVE_EDITORS), is(empty()));
  }

  @Test
  public void expandNamesTheMissingSetting() {
    WriteSnowflakeCurated complete = write(1L);
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    complete
                        .withStagingBucketName("s3://bucket/no-slash")
                        .expand(pipeline.apply(Create.of(rows()))))
            .getMessage(),
        containsString("withStagingBucketName"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () -> complete.withGeneration(0).expand(pipeline.apply("Again", Create.of(rows()))))
            .getMessage(),
        containsString("withGeneration"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    WriteSnowflakeCurated.write()
                        .expand(pipeline.apply("Third", Create.of(rows()))))
            .getMessage(),
        containsString("withDataSourceConfiguration"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
