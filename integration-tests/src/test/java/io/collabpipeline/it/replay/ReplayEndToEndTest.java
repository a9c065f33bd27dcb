package io.collabpipeline.it.replay;

import static io.collabpipeline.it.replay.StreamedWarehouse.assertSameTables;
import static io.collabpipeline.it.replay.StreamedWarehouse.tables;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.launch.RawReplayJob;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.duckdb.DuckDBDriver;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A generated input streamed on embedded Flink into a DuckDB warehouse, then replayed from the raw
 * store on embedded Flink batch: (a) a replay of the whole range leaves every table as the stream
 * wrote it, (b) so does a second one, (f) the dry-run diff of a corruption names exactly the
 * corrupted rows and writes nothing, (c) a replay then repairs them and removes a bogus key, (e) a
 * replay that fails halfway, or whose driver dies before the commit, leaves the previous values and
 * its generation uncommitted.
 */
@RunWith(JUnit4.class)
public class ReplayEndToEndTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  /**
   * Crosses midnight (two event dates) with duplicates, late (but never too late) and malformed
   * records.
   */
  static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(1_200)
          .withSeed(41L)
          .withStart(Instant.parse("2026-11-02T23:20:00Z"))
          .withSyntheticRate(0.3)
          .withDuplicateShare(0.05)
          .withLateShare(0.10)
          .withTooLateShare(0.0)
          .withMalformedShare(0.03);

  static StreamedWarehouse stream;
  static Map<CuratedTable, Set<CuratedRow>> streamed;
  static ReplayScope range;

  @BeforeClass
  public static void streamTheInput() throws Exception {
    stream = StreamedWarehouse.run(SPEC, TMP.newFolder("stream").toPath(), true, 1_048_576);
    streamed = tables(stream.warehouseUrl());
    range = stream.rawDates();
    assertThat("the input spans two event dates", range.days(), equalTo(2L));
    for (CuratedTable t : CuratedTable.values()) {
      assertThat(t.tableName() + " has rows", streamed.get(t).size(), greaterThan(0));
    }
  }

  private static JobLauncher.Finished replay(
      String url, long generation, boolean dryRun, Path reports, StringBuilder out)
      throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try {
      RawReplayJob job = stream.replay(url, generation, range, dryRun, reports);
      PrintStream printed = StreamedWarehouse.capture(sink);
      JobLauncher.Finished finished =
          JobLauncher.withOptions(StreamedWarehouse.flink(false), printed).run(job);
      printed.print(RawReplayJob.report(job, finished));
      return finished;
    } finally {
      out.append(sink.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  public void replaysOfTheWholeRangeLeaveEveryTableAsStreamedAndTheRawStoreUntouched()
      throws Exception {
    Path dir = TMP.newFolder("ab").toPath();
    String url = stream.copyWarehouse(dir);
    Map<String, String> rawBefore = StreamedWarehouse.fileStamps(stream.live.rawStore());

    // (a) one replay
    JobLauncher.Finished r = replay(url, 2_000L, false, dir, new StringBuilder());

    assertThat("events read", RawReplayJob.eventsRead(r), greaterThan(1_000L));
    assertThat("diff is empty: " + r.diff, r.diff.isEmpty(), equalTo(true));
    assertSameTables("after one replay", streamed, tables(url), List.of(CuratedTable.values()));
    assertThat(
        "raw store untouched",
        StreamedWarehouse.fileStamps(stream.live.rawStore()),
        equalTo(rawBefore));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThat(w.log().entry(2_000L).get().status(), equalTo(GenerationLog.Status.COMMITTED));
      assertThat("no staged rows left", w.staging().countStaged(2_000L), equalTo(0L));
      // Every metric row in the range now belongs to the replay's generation; completeness stays
      // the stream's.
      for (CuratedTable t : CuratedTable.values()) {
        long expected =
            t == CuratedTable.PIPELINE_COMPLETENESS ? StreamedWarehouse.STREAM_GENERATION : 2_000L;
        for (VersionedRow v : w.curated().readVersioned(t)) {
          assertThat(t.tableName() + " generation", v.generation(), equalTo(expected));
        }
      }
    }

    // (b) and a second one
    JobLauncher.Finished second = replay(url, 3_000L, false, dir, new StringBuilder());

    assertThat("second diff is empty: " + second.diff, second.diff.isEmpty(), equalTo(true));
    assertSameTables("after two replays", streamed, tables(url), List.of(CuratedTable.values()));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThat(w.log().entry(3_000L).get().status(), equalTo(GenerationLog.Status.COMMITTED));
    }
  }

  @Test
  public void theDryRunDiffNamesExactlyTheCorruptedRowsAndWritesNothingThenAReplayRepairsThem()
      throws Exception {
    Path dir = TMP.newFolder("cf").toPath();
    String url = stream.copyWarehouse(dir);
    Corruption corruption = Corruption.apply(url);
    Map<CuratedTable, Set<CuratedRow>> corrupted = tables(url);
    assertThat("the corruption changed the tables", corrupted, not(equalTo(streamed)));

    // (f) the dry run
    StringBuilder printed = new StringBuilder();
    JobLauncher.Finished dry = replay(url, 2_000L, true, dir.resolve("reports"), printed);

    corruption.assertNamedExactly(dry.diff);
    assertSameTables(
        "a dry run writes nothing", corrupted, tables(url), List.of(CuratedTable.values()));
    assertThat(dry.commit == null, equalTo(true));
    assertThat(
        "the saved text is what was printed",
        printed.toString(),
        containsString(Files.readString(dry.report.text)));
    assertThat(printed.toString(), containsString("dry run: nothing was written"));
    assertThat(Files.readString(dry.report.json), containsString("999999999"));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThat(w.log().entry(2_000L).get().status(), equalTo(GenerationLog.Status.DRY_RUN));
      assertThat("staged rows discarded", w.staging().countStaged(2_000L), equalTo(0L));
    }

    // (c) the replay
    printed.setLength(0);
    JobLauncher.Finished r = replay(url, 3_000L, false, dir, printed);

    corruption.assertNamedExactly(r.diff);
    assertSameTables("after repair", streamed, tables(url), List.of(CuratedTable.values()));
    assertThat("the bogus key is removed", r.commit.totalRowsRemoved(), equalTo(1L));
    assertThat(printed.toString(), containsString("replay generation 3000 committed"));
  }

  @Test
  public void aReplayThatFailsHalfwayLeavesThePreviousValues() throws Exception {
    Path dir = TMP.newFolder("e").toPath();
    String url = stream.copyWarehouse(dir);
    Corruption.apply(url);
    Map<CuratedTable, Set<CuratedRow>> before = tables(url);

    RawReplayJob failing =
        stream.replay(url, 2_000L, range, false, dir).withEventsHook(new FailAfter(250));
    Exception e =
        assertThrows(
            Exception.class,
            () ->
                JobLauncher.withOptions(
                        StreamedWarehouse.flink(false),
                        StreamedWarehouse.capture(new ByteArrayOutputStream()))
                    .run(failing));
    assertThat(String.valueOf(rootMessage(e)), containsString(FailAfter.MESSAGE));

    assertSameTables("after a failed replay", before, tables(url), List.of(CuratedTable.values()));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThat(w.log().entry(2_000L).get().status(), equalTo(GenerationLog.Status.FAILED));
      assertThat("staged rows discarded", w.staging().countStaged(2_000L), equalTo(0L));
    }
  }

  @Test
  public void aReplayWhoseDriverDiesBeforeTheCommitIsNeverCommittedAndANewerOneTakesOver()
      throws Exception {
    Path dir = TMP.newFolder("e2").toPath();
    String url = stream.copyWarehouse(dir);
    Corruption.apply(url);
    Map<CuratedTable, Set<CuratedRow>> before = tables(url);

    // The job runs and stages, then the driver is gone: nobody diffs or commits.
    RawReplayJob killed = stream.replay(url, 2_000L, range, false, dir);
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      w.log().begin(2_000L, GenerationLog.Kind.REPLAY, range);
    }
    Pipeline p = Pipeline.create(StreamedWarehouse.flink(false));
    killed.build(p);
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));

    assertSameTables(
        "staged but not committed", before, tables(url), List.of(CuratedTable.values()));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThat(w.log().entry(2_000L).get().status(), equalTo(GenerationLog.Status.RUNNING));
      assertThat("the job staged its rows", w.staging().countStaged(2_000L), greaterThan(0L));
    }

    // A newer replay commits; the orphaned older generation can no longer be committed over it.
    replay(url, 3_000L, false, dir, new StringBuilder());
    assertSameTables(
        "after the newer replay", streamed, tables(url), List.of(CuratedTable.values()));
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      assertThrows(SQLException.class, () -> w.staging().commitReplay(2_000L, range));
      assertThat(
          w.log().entry(2_000L).get().status(), not(equalTo(GenerationLog.Status.COMMITTED)));
    }
    assertSameTables(
        "the older generation did not win", streamed, tables(url), List.of(CuratedTable.values()));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    StringBuilder all = new StringBuilder();
    while (t != null) {
      all.append(t.getMessage()).append(" | ");
      t = t.getCause() == t ? null : t.getCause();
    }
    return all.toString();
  }

  /**
   * A step that fails once it has seen {@code limit} events in one worker: a replay killed halfway.
   */
  static final class FailAfter
      extends PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> {
    static final String MESSAGE = "injected failure halfway through the replay";
    private final int limit;

    FailAfter(int limit) {
      this.limit = limit;
    }

    @Override
    public PCollection<CollabEvent> expand(PCollection<CollabEvent> input) {
      return input.apply("FailHalfway", ParDo.of(new FailFn(limit))).setCoder(input.getCoder());
    }
  }

  private static final class FailFn extends DoFn<CollabEvent, CollabEvent> {
    private final int limit;
    private transient int seen;

    FailFn(int limit) {
      this.limit = limit;
    }

    @ProcessElement
    public void process(@Element CollabEvent e, OutputReceiver<CollabEvent> out) {
      if (++seen > limit) {
        throw new IllegalStateException(FailAfter.MESSAGE);
      }
      out.output(e);
    }
  }

  /**
   * Corrupts a copy of the streamed warehouse with plain SQL: two active_editors rows get wrong
   * values, one task_update_velocity row is deleted, and a bogus notification_fanout key is
   * inserted inside the range.
   */
  static final class Corruption {
    final Set<List<Object>> changedEditors = new HashSet<>();
    final Set<List<Object>> deletedVelocity = new HashSet<>();
    final Set<List<Object>> bogusFanout = new HashSet<>();

    static Corruption apply(String url) throws Exception {
      Corruption c = new Corruption();
      List<CuratedRow> editors = sorted(streamed.get(CuratedTable.ACTIVE_EDITORS), "hour");
      List<CuratedRow> velocity = sorted(streamed.get(CuratedTable.TASK_UPDATE_VELOCITY), "day");
      long bogusStart =
          range.from().atTime(LocalTime.of(23, 0)).toInstant(ZoneOffset.UTC).toEpochMilli();
      try (Connection conn = new DuckDBDriver().connect(url, new java.util.Properties())) {
        for (CuratedRow r : editors.subList(0, 2)) {
          try (PreparedStatement st =
              conn.prepareStatement(
                  "UPDATE active_editors SET active_editors = "
                      + "active_editors + 7 WHERE epoch_ms(window_start) = ? AND granularity = ? AND workspace_gid = ?")) {
            bindKey(st, r);
            assertThat(st.executeUpdate(), equalTo(1));
          }
          c.changedEditors.add(r.key());
        }
        CuratedRow gone = velocity.get(0);
        try (PreparedStatement st =
            conn.prepareStatement(
                "DELETE FROM task_update_velocity WHERE "
                    + "epoch_ms(window_start) = ? AND granularity = ? AND workspace_gid = ?")) {
          bindKey(st, gone);
          assertThat(st.executeUpdate(), equalTo(1));
        }
        c.deletedVelocity.add(gone.key());
        try (PreparedStatement st =
            conn.prepareStatement(
                "INSERT INTO notification_fanout (window_start, window_end,"
                    + " granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max,"
                    + " generation, pane_index) VALUES (epoch_ms(?::BIGINT), epoch_ms(?::BIGINT), 'hour', '999999999',"
                    + " 'task.bogus', 1, 5, 5.0, 5, ?, 0)")) {
          st.setLong(1, bogusStart);
          st.setLong(2, bogusStart + 3_600_000L);
          st.setLong(3, StreamedWarehouse.STREAM_GENERATION);
          assertThat(st.executeUpdate(), equalTo(1));
        }
      }
      c.bogusFanout.add(
          CuratedRow.notificationFanout(
                  bogusStart,
                  io.collabpipeline.model.Granularity.HOUR,
                  "999999999",
                  "task.bogus",
                  1,
                  5,
                  5)
              .key());
      return c;
    }

    private static void bindKey(PreparedStatement st, CuratedRow r) throws SQLException {
      st.setLong(1, r.getLong("window_start"));
      st.setString(2, r.getString("granularity"));
      st.setString(3, r.getString("workspace_gid"));
    }

    private static List<CuratedRow> sorted(Set<CuratedRow> rows, String granularity) {
      List<CuratedRow> out =
          rows.stream()
              .filter(r -> r.getString("granularity").equals(granularity))
              .collect(Collectors.toList());
      out.sort(Comparator.comparing(Object::toString));
      return new ArrayList<>(out);
    }

    /** The diff holds exactly the corrupted rows: changed, added back, removed; nothing else. */
    void assertNamedExactly(WarehouseDiff diff) {
      assertKeys(
          diff.table(CuratedTable.ACTIVE_EDITORS),
          WarehouseDiff.ChangeKind.CHANGED,
          changedEditors);
      assertKeys(
          diff.table(CuratedTable.TASK_UPDATE_VELOCITY),
          WarehouseDiff.ChangeKind.ADDED,
          deletedVelocity);
      assertKeys(
          diff.table(CuratedTable.NOTIFICATION_FANOUT),
          WarehouseDiff.ChangeKind.REMOVED,
          bogusFanout);
      for (WarehouseDiff.RowChange change :
          diff.table(CuratedTable.ACTIVE_EDITORS).largestChanges()) {
        assertThat("the replay undoes the +7", change.magnitude(), equalTo(7.0));
      }
    }

    private static void assertKeys(
        WarehouseDiff.TableDiff t, WarehouseDiff.ChangeKind kind, Set<List<Object>> keys) {
      String table = t.table().tableName();
      assertThat(
          table + " added",
          t.rowsAdded(),
          equalTo(kind == WarehouseDiff.ChangeKind.ADDED ? (long) keys.size() : 0L));
      assertThat(
          table + " removed",
          t.rowsRemoved(),
          equalTo(kind == WarehouseDiff.ChangeKind.REMOVED ? (long) keys.size() : 0L));
      assertThat(
          table + " changed",
          t.rowsChanged(),
          equalTo(kind == WarehouseDiff.ChangeKind.CHANGED ? (long) keys.size() : 0L));
      Set<List<Object>> named = new HashSet<>();
      for (WarehouseDiff.RowChange change : t.largestChanges()) {
        assertThat(table + " change kind", change.kind(), equalTo(kind));
        named.add(change.key());
      }
      assertThat(table + " keys named", named, equalTo(keys));
      long windows = keys.stream().map(k -> List.of(k.get(0), k.get(1))).distinct().count();
      assertThat(table + " windows changed", (long) t.windowsChanged().size(), equalTo(windows));
    }
  }
}
