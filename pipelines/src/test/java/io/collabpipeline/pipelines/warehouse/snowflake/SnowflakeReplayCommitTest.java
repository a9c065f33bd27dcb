package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.warehouse.GenerationFencedException;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.ReplayCommit;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import io.collabpipeline.pipelines.warehouse.snowflake.PostgresSnowflakeSchema.Stored;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.values.KV;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The Snowflake replay commit ({@code commit_replay.sql}, run by {@link SnowflakeReplayStaging})
 * and generation log ({@link SnowflakeGenerationLog}) on the PostgreSQL stand-in whose tables come
 * from the repository's DDL. The live rows get there the way they do in Snowflake: staged and moved
 * by the repository's MERGE files, a stateless start (generation 2) fencing and recording the
 * windows it could not see whole. Every expected value below is written out by hand from the
 * scenario.
 */
public class SnowflakeReplayCommitTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  private static final LocalDate D = LocalDate.parse("2026-11-02");
  private static final ReplayScope SCOPE = ReplayScope.day(D);

  private static long at(String utc) {
    return Instant.parse(utc).toEpochMilli();
  }

  private static final long D_1000 = at("2026-11-02T10:00:00Z");
  private static final long D_1001 = at("2026-11-02T10:01:00Z");
  private static final long D_1100 = at("2026-11-02T11:00:00Z");
  private static final long D_DAY = at("2026-11-02T00:00:00Z");
  private static final long NEXT_1000 = at("2026-11-03T10:00:00Z");

  private PostgresSnowflakeSchema db;
  private SnowflakeWarehouse warehouse;

  @Before
  public void createTables() throws Exception {
    db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    // The production path: SnowflakeIO's own data source provider over the configuration.
    warehouse =
        SnowflakeWarehouse.of(
            SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(
                SnowflakeIO.DataSourceConfiguration.create(ds)));
  }

  private static CuratedRow editors(long start, Granularity g, String ws, long n) {
    return CuratedRow.activeEditors(start, g, ws, n);
  }

  private static CuratedRow velocity(long start, String ws, long updates) {
    return CuratedRow.taskUpdateVelocity(start, Granularity.MINUTE, ws, updates, 2, 1);
  }

  private static CuratedRow fanout(long start, String ws) {
    return CuratedRow.notificationFanout(start, Granularity.MINUTE, ws, "task.updated", 2, 5, 3);
  }

  /** A live row staged as the live write stages it, then its table's MERGE file. */
  private void live(CuratedRow row, long generation, long pane, boolean seenWhole)
      throws Exception {
    Object[] fields = new StagedRowCsvMapper(generation).mapRow(KV.of(pane, row));
    fields[fields.length - 1] = seenWhole;
    List<String> literals = new ArrayList<>();
    for (Object f : fields) {
      literals.add(
          f instanceof String ? "'" + ((String) f).replace("'", "''") + "'" : String.valueOf(f));
    }
    db.execute(
        "INSERT INTO "
            + SnowflakeSql.stageTable(row.table())
            + " VALUES ("
            + String.join(", ", literals)
            + ")");
    db.merge(row.table());
  }

  /**
   * Generation 1, a stream that saw everything whole; generation 2, a start without state on the
   * next day at 12:00, whose rows of earlier windows are partial.
   */
  private void liveGenerations1And2() throws Exception {
    GenerationLog log = warehouse.generationLog().get();
    log.begin(1, GenerationLog.Kind.STREAM, null);
    live(editors(D_1000, Granularity.MINUTE, "1001", 5), 1, 0, true);
    live(editors(D_1000, Granularity.MINUTE, "1002", 3), 1, 0, true);
    live(editors(D_1000, Granularity.HOUR, "1001", 7), 1, 1, true);
    live(editors(D_DAY, Granularity.DAY, "1001", 9), 1, 2, true);
    live(editors(NEXT_1000, Granularity.MINUTE, "1001", 4), 1, 0, true);
    live(velocity(D_1001, "1001", 4), 1, 0, true);
    live(velocity(NEXT_1000, "1001", 8), 1, 0, true);
    live(fanout(D_1000, "1001"), 1, 0, true);
    log.markCommitted(1);

    log.begin(2, GenerationLog.Kind.STREAM, null);
    log.recordSeenWholeFrom(2, Instant.parse("2026-11-03T12:00:00Z"));
    live(editors(D_DAY, Granularity.DAY, "1001", 2), 2, 0, false); // kept out, due
    live(editors(D_1100, Granularity.HOUR, "1003", 1), 2, 0, false); // a new key, due
    live(editors(NEXT_1000, Granularity.MINUTE, "1001", 1), 2, 0, false); // kept out, due
  }

  private static final Stored OUTSIDE_EDITORS =
      new Stored(editors(NEXT_1000, Granularity.MINUTE, "1001", 4), 1, 0);
  private static final Stored OUTSIDE_VELOCITY = new Stored(velocity(NEXT_1000, "1001", 8), 1, 0);

  /** The replay of D as generation 3: begun, then its rows staged (two panes of one key). */
  private void replayGeneration3Staged() throws Exception {
    warehouse.generationLog().get().begin(3, GenerationLog.Kind.CORRECTION, SCOPE);
    warehouse
        .replays()
        .get()
        .stage(
            List.of(
                VersionedRow.of(editors(D_1000, Granularity.MINUTE, "1001", 99), 3, 0),
                VersionedRow.of(editors(D_1000, Granularity.MINUTE, "1001", 6), 3, 1),
                VersionedRow.of(editors(D_1000, Granularity.HOUR, "1001", 7), 3, 0),
                VersionedRow.of(editors(D_DAY, Granularity.DAY, "1001", 10), 3, 0),
                VersionedRow.of(editors(D_1100, Granularity.HOUR, "1003", 2), 3, 0),
                // the next day: a window the replay saw only partly, never written
                VersionedRow.of(editors(NEXT_1000, Granularity.MINUTE, "1001", 77), 3, 0),
                VersionedRow.of(velocity(D_1001, "1001", 4), 3, 0),
                // completeness is never staged by a replay
                VersionedRow.of(
                    CuratedRow.completeness(D_1000, Granularity.HOUR, "received", 5), 3, 0)));
    // fanout: nothing staged, so its stored key of D is stale
  }

  @Test
  public void theLiveScenarioFencesAndRecordsAsExpected() throws Exception {
    liveGenerations1And2();
    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        containsInAnyOrder(
            new Stored(editors(D_1000, Granularity.MINUTE, "1001", 5), 1, 0),
            new Stored(editors(D_1000, Granularity.MINUTE, "1002", 3), 1, 0),
            new Stored(editors(D_1000, Granularity.HOUR, "1001", 7), 1, 1),
            new Stored(editors(D_DAY, Granularity.DAY, "1001", 9), 1, 2),
            new Stored(editors(D_1100, Granularity.HOUR, "1003", 1), 2, 0),
            OUTSIDE_EDITORS));
    assertThat(
        db.correctionsDue(),
        containsInAnyOrder(
            "2026-11-02T00:00 day 2", "2026-11-02T11:00 hour 2", "2026-11-03T10:00 minute 2"));
    assertThat(
        warehouse.generationLog().get().seenWholeFrom(2).get(),
        equalTo(Instant.parse("2026-11-03T12:00:00Z")));
  }

  @Test
  public void theDiffCountsWhatTheCommitWillChange() throws Exception {
    liveGenerations1And2();
    replayGeneration3Staged();
    WarehouseDiff diff = warehouse.replays().get().diff(3, SCOPE);
    WarehouseDiff.TableDiff ae = diff.table(CuratedTable.ACTIVE_EDITORS);
    assertThat(
        List.of(
            ae.rowsBefore(),
            ae.rowsAfter(),
            ae.rowsAdded(),
            ae.rowsRemoved(),
            ae.rowsChanged(),
            ae.rowsOutsideScope()),
        equalTo(List.of(5L, 4L, 0L, 1L, 3L, 1L)));
    assertThat(ae.windowsChanged().size(), is(3)); // 10:00 minute, 00:00 day, 11:00 hour
    assertThat(ae.largestChanges().size(), is(4));
    WarehouseDiff.TableDiff tuv = diff.table(CuratedTable.TASK_UPDATE_VELOCITY);
    assertThat(tuv.isEmpty(), is(true));
    WarehouseDiff.TableDiff nf = diff.table(CuratedTable.NOTIFICATION_FANOUT);
    assertThat(
        List.of(nf.rowsBefore(), nf.rowsAfter(), nf.rowsRemoved()), equalTo(List.of(1L, 0L, 1L)));
    assertThat(diff.wouldBeRefused(), is(false));
  }

  @Test
  public void aCommitMakesTheScopeExactlyTheStagedRowsAndLeavesTheRestAlone() throws Exception {
    liveGenerations1And2();
    replayGeneration3Staged();

    ReplayCommit commit = warehouse.replays().get().commitReplay(3, SCOPE);

    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        containsInAnyOrder(
            new Stored(editors(D_1000, Granularity.MINUTE, "1001", 6), 3, 1), // newest pane
            new Stored(editors(D_1000, Granularity.HOUR, "1001", 7), 3, 0),
            new Stored(editors(D_DAY, Granularity.DAY, "1001", 10), 3, 0),
            new Stored(editors(D_1100, Granularity.HOUR, "1003", 2), 3, 0),
            OUTSIDE_EDITORS)); // 1002's minute was not staged: deleted; the next day untouched
    assertThat(
        db.read(CuratedTable.TASK_UPDATE_VELOCITY),
        containsInAnyOrder(new Stored(velocity(D_1001, "1001", 4), 3, 0), OUTSIDE_VELOCITY));
    assertThat(db.read(CuratedTable.NOTIFICATION_FANOUT), is(empty()));
    assertThat(db.correctionsDue(), containsInAnyOrder("2026-11-03T10:00 minute 2"));
    for (CuratedTable t : ReplayScope.TABLES) {
      assertThat(t + " replay stage", db.readReplayStage(t), is(empty()));
    }
    GenerationLog.Entry entry = warehouse.generationLog().get().entry(3).get();
    assertThat(entry.status(), is(GenerationLog.Status.COMMITTED));
    assertThat(entry.rowsStaged(), is(7L)); // 6 active_editors rows (two panes of one key) + 1
    assertThat(entry.rowsCommitted(), is(5L));
    assertThat(entry.range(), equalTo(SCOPE));
    assertThat(entry.finishedAt() != null, is(true));
    assertThat(commit.rowsRemoved(), equalTo(counts(1, 0, 1)));
    assertThat(commit.rowsWritten(), equalTo(counts(4, 1, 0)));
    assertThat(commit.rowsOutsideScope(), equalTo(counts(1, 0, 0)));
    assertThat(
        warehouse.generationLog().get().entry(1).get().status(),
        is(GenerationLog.Status.COMMITTED));
    assertThat(
        warehouse.generationLog().get().entry(2).get().status(), is(GenerationLog.Status.RUNNING));

    // Committing again: refused by the runner, and the script itself changes nothing.
    List<String> after = db.snapshot();
    IllegalStateException again =
        assertThrows(
            IllegalStateException.class, () -> warehouse.replays().get().commitReplay(3, SCOPE));
    assertThat(again.getMessage(), containsString("its status is committed"));
    runScriptVerbatim(3, SCOPE);
    assertThat(db.snapshot(), equalTo(after));
  }

  @Test
  public void aScopeHoldingANewerGenerationIsRefusedAndNothingChanges() throws Exception {
    liveGenerations1And2();
    replayGeneration3Staged();
    GenerationLog log = warehouse.generationLog().get();
    log.begin(5, GenerationLog.Kind.STREAM, null);
    live(editors(D_1000, Granularity.MINUTE, "1009", 1), 5, 0, true);
    List<String> before = db.snapshot();

    GenerationFencedException e =
        assertThrows(
            GenerationFencedException.class,
            () -> warehouse.replays().get().commitReplay(3, SCOPE));
    assertThat(e.newerGeneration(), is(5L));
    assertThat(db.snapshot(), equalTo(before));

    // The file refuses on its own too (its first statement decides nothing, every later one waits
    // for that decision).
    runScriptVerbatim(3, SCOPE);
    assertThat(db.snapshot(), equalTo(before));
    assertThat(log.entry(3).get().status(), is(GenerationLog.Status.RUNNING));
  }

  @Test
  public void aScopeOutsideTheBegunRangeOrADryRunIsNeverCommitted() throws Exception {
    liveGenerations1And2();
    replayGeneration3Staged();
    List<String> before = db.snapshot();
    ReplayScope twoDays = ReplayScope.of(D, D.plusDays(1));
    assertThrows(
        IllegalStateException.class, () -> warehouse.replays().get().commitReplay(3, twoDays));
    runScriptVerbatim(3, twoDays);
    assertThat(db.snapshot(), equalTo(before));

    GenerationLog log = warehouse.generationLog().get();
    log.markDryRun(3);
    assertThat(log.entry(3).get().rowsStaged(), is(7L));
    assertThat(warehouse.replays().get().discardStaged(3), is(7L));
    assertThrows(
        IllegalStateException.class, () -> warehouse.replays().get().commitReplay(3, SCOPE));
    assertThat(db.correctionsDue().size(), is(3));
  }

  private static Map<CuratedTable, Long> counts(long editors, long velocity, long fanout) {
    return Map.of(
        CuratedTable.ACTIVE_EDITORS,
        editors,
        CuratedTable.TASK_UPDATE_VELOCITY,
        velocity,
        CuratedTable.NOTIFICATION_FANOUT,
        fanout);
  }

  /** commit_replay.sql with its parameters bound by hand, BEGIN to COMMIT, no runner checks. */
  private void runScriptVerbatim(long generation, ReplayScope scope) throws Exception {
    Map<String, Object> values =
        Map.of(
            "generation",
            generation,
            "scope_start",
            SnowflakeReplayStaging.utcText(scope.startMillis()),
            "scope_end",
            SnowflakeReplayStaging.utcText(scope.endMillisExclusive()));
    try (Connection c = DriverManager.getConnection(db.url())) {
      c.setAutoCommit(false);
      for (SnowflakeSql.Bound statement : SnowflakeSql.commitReplayStatements()) {
        if (statement.is("BEGIN")) {
          continue;
        }
        if (statement.is("COMMIT")) {
          c.commit();
          continue;
        }
        try (PreparedStatement ps = c.prepareStatement(statement.sql)) {
          for (int i = 0; i < statement.parameters.size(); i++) {
            ps.setObject(i + 1, values.get(statement.parameters.get(i)));
          }
          ps.executeUpdate();
        }
      }
    }
  }
}
