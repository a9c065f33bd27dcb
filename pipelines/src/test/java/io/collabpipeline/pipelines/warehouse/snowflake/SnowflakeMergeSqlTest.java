package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.PartialWindows;
import io.collabpipeline.pipelines.warehouse.snowflake.PostgresSnowflakeSchema.Stored;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The MERGE files (merge_&lt;table&gt;.sql), run verbatim on a real PostgreSQL against the tables
 * of the repository's DDL, with hand-built stage rows: the fencing rule of CuratedTables on every
 * kind of conflict, the within-batch choice, the clearing of the stage table, and idempotence; and
 * the partial-window rule of a stream that started without state (rows staged {@code seen_whole =
 * false}): kept out where another generation holds the key, recorded in {@code
 * pipeline_corrections_due} once.
 */
public class SnowflakeMergeSqlTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();

  private PostgresSnowflakeSchema db;

  @Before
  public void createTables() throws Exception {
    db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
  }

  private static CuratedRow editors(String workspace, long count) {
    return CuratedRow.activeEditors(T0, Granularity.MINUTE, workspace, count);
  }

  private void stage(CuratedRow row, long generation, long paneIndex) throws Exception {
    stage(row, generation, paneIndex, true);
  }

  private void stage(CuratedRow row, long generation, long paneIndex, boolean seenWhole)
      throws Exception {
    Object[] fields =
        new StagedRowCsvMapper(generation).mapRow(org.apache.beam.sdk.values.KV.of(paneIndex, row));
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
  }

  @Test
  public void aNewerPaneReplacesTheStoredRowAndAnOlderPaneNeverDoes() throws Exception {
    stage(editors("1", 10), 5, 2);
    db.merge(CuratedTable.ACTIVE_EDITORS);

    stage(editors("1", 7), 5, 1);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 10), 5, 2)));

    stage(editors("1", 12), 5, 3);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 12), 5, 3)));
  }

  @Test
  public void anOlderGenerationNeverOverwritesANewerOneWhateverItsPane() throws Exception {
    stage(editors("1", 1), 9, 0);
    db.merge(CuratedTable.ACTIVE_EDITORS);

    stage(editors("1", 2), 8, 7);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 1), 9, 0)));

    stage(editors("1", 3), 10, 0);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 3), 10, 0)));
  }

  @Test
  public void withinOneStagedBatchTheNewestGenerationThenPaneWinsPerKey() throws Exception {
    stage(editors("1", 20), 2, 1);
    stage(editors("1", 30), 1, 9);
    stage(editors("1", 40), 2, 3);
    stage(editors("1", 25), 2, 2);
    stage(editors("2", 5), 1, 0);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(new Stored(editors("1", 40), 2, 3), new Stored(editors("2", 5), 1, 0)));
  }

  @Test
  public void theSamePaneAgainLeavesTheTableUnchanged() throws Exception {
    CuratedRow fanout =
        CuratedRow.notificationFanout(T0, Granularity.HOUR, "7", "comment.added", 3, 10, 6);
    stage(fanout, 4, 1);
    stage(editors("1", 3), 4, 0);
    db.merge(CuratedTable.NOTIFICATION_FANOUT);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    List<Stored> fanoutOnce = db.read(CuratedTable.NOTIFICATION_FANOUT);
    List<Stored> editorsOnce = db.read(CuratedTable.ACTIVE_EDITORS);

    stage(fanout, 4, 1);
    stage(editors("1", 3), 4, 0);
    db.merge(CuratedTable.NOTIFICATION_FANOUT);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    db.merge(CuratedTable.ACTIVE_EDITORS);

    assertThat(db.read(CuratedTable.NOTIFICATION_FANOUT), equalTo(fanoutOnce));
    assertThat(fanoutOnce, contains(new Stored(fanout, 4, 1)));
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), equalTo(editorsOnce));
  }

  @Test
  public void theMergeClearsStagedRowsItMergedOrThatTheTableSupersedes() throws Exception {
    stage(editors("1", 10), 5, 2);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    stage(editors("1", 7), 5, 1);
    stage(editors("1", 8), 4, 9);
    stage(editors("2", 1), 5, 0);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.readStage(CuratedTable.ACTIVE_EDITORS), is(empty()));
  }

  @Test
  public void aStagedRowNewerThanTheTableSurvivesTheClearingOfAnotherKey() throws Exception {
    // The clearing statement alone, as when Snowpipe lands a newer pane between the MERGE and the
    // DELETE.
    stage(editors("1", 10), 5, 2);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    stage(editors("1", 11), 5, 3);
    List<String> statements = SnowflakeSql.mergeStatements(CuratedTable.ACTIVE_EDITORS);
    db.execute(statements.get(statements.size() - 1));
    assertThat(
        db.readStage(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 11), 5, 3)));
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 10), 5, 2)));
  }

  @Test
  public void everyTableMergesItsOwnKeyAndValues() throws Exception {
    List<CuratedRow> rows = new ArrayList<>();
    rows.add(CuratedRow.activeEditors(T0, Granularity.DAY, "11", 4));
    rows.add(CuratedRow.taskUpdateVelocity(T0, Granularity.MINUTE, "11", 9, 4, 2));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.MINUTE, "11", "task.updated", 2, 5, 3));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.MINUTE, "11", "comment.added", 1, 1, 1));
    rows.add(CuratedRow.completeness(T0, Granularity.HOUR, "received", 100));
    rows.add(CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 97));
    for (CuratedRow r : rows) {
      stage(r, 1, 0);
    }
    for (CuratedTable t : CuratedTable.values()) {
      db.merge(t);
    }
    List<CuratedRow> stored = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      for (Stored s : db.read(t)) {
        stored.add(s.row);
      }
    }
    assertThat(new java.util.HashSet<>(stored), equalTo(new java.util.HashSet<>(rows)));
    assertThat(stored.size(), is(rows.size()));
  }

  private static final String WINDOW_DUE_GEN_2 = "2026-03-02T10:00 minute 2";

  @Test
  public void aPartialRowNeverReplacesAnotherGenerationsRowAndItsWindowIsRecordedOnce()
      throws Exception {
    stage(editors("1", 10), 1, 3);
    db.merge(CuratedTable.ACTIVE_EDITORS);

    stage(editors("1", 4), 2, 0, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 10), 1, 3)));
    assertThat(db.correctionsDue(), contains(WINDOW_DUE_GEN_2));
    assertThat("the kept-out row is cleared", db.readStage(CuratedTable.ACTIVE_EDITORS), empty());

    stage(editors("1", 4), 2, 0, false);
    stage(editors("1", 6), 2, 1, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 10), 1, 3)));
    assertThat(db.correctionsDue(), contains(WINDOW_DUE_GEN_2));
    assertThat(db.readStage(CuratedTable.ACTIVE_EDITORS), empty());
  }

  @Test
  public void aPartialRowFillsAMissingKeyAndAdvancesOnlyItsOwnGeneration() throws Exception {
    stage(editors("1", 4), 2, 0, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 4), 2, 0)));

    stage(editors("1", 6), 2, 1, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    stage(editors("1", 5), 2, 0, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 6), 2, 1)));

    // A later generation that saw the window whole replaces the partial count.
    stage(editors("1", 9), 3, 0);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 9), 3, 0)));
    assertThat(db.correctionsDue(), contains(WINDOW_DUE_GEN_2));
  }

  @Test
  public void inOneStagedBatchAnotherGenerationsWholeRowWinsOverANewerPartialOne()
      throws Exception {
    // Snowpipe may load the previous job's last files in the same task run as the new job's first.
    stage(editors("1", 8), 1, 5);
    stage(editors("1", 3), 2, 0, false);
    stage(editors("2", 2), 2, 0, false);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(
        db.read(CuratedTable.ACTIVE_EDITORS),
        contains(new Stored(editors("1", 8), 1, 5), new Stored(editors("2", 2), 2, 0)));
    assertThat(db.readStage(CuratedTable.ACTIVE_EDITORS), empty());
    assertThat(db.correctionsDue(), contains(WINDOW_DUE_GEN_2));
  }

  @Test
  public void aPartialRowStagedAfterTheRecordingStaysStagedUntilItsWindowIsRecorded()
      throws Exception {
    stage(editors("1", 10), 1, 3);
    db.merge(CuratedTable.ACTIVE_EDITORS);
    stage(editors("1", 4), 2, 0, false);
    // The MERGE and the clearing alone, as when Snowpipe lands the row after the recording ran.
    for (String sql : SnowflakeSql.mergeStatements(CuratedTable.ACTIVE_EDITORS)) {
      if (SnowflakeSql.stepOf(CuratedTable.ACTIVE_EDITORS, sql)
          != SnowflakeSql.MergeStep.RECORD_DUE) {
        db.execute(sql);
      }
    }
    assertThat(db.read(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 10), 1, 3)));
    assertThat(
        db.readStage(CuratedTable.ACTIVE_EDITORS), contains(new Stored(editors("1", 4), 2, 0)));
    assertThat(db.correctionsDue(), empty());

    db.merge(CuratedTable.ACTIVE_EDITORS);
    assertThat(db.correctionsDue(), contains(WINDOW_DUE_GEN_2));
    assertThat(db.readStage(CuratedTable.ACTIVE_EDITORS), empty());
  }

  @Test
  public void partialCompletenessHoursAreFencedButNeverRecorded() throws Exception {
    CuratedRow received = CuratedRow.completeness(T0, Granularity.HOUR, "received", 100);
    CuratedRow earlier =
        CuratedRow.completeness(T0 - 3 * 3_600_000L, Granularity.HOUR, "received", 7);
    stage(received, 1, 2);
    db.merge(CuratedTable.PIPELINE_COMPLETENESS);
    stage(CuratedRow.completeness(T0, Granularity.HOUR, "received", 40), 2, 0, false);
    stage(earlier, 2, 0, false);
    db.merge(CuratedTable.PIPELINE_COMPLETENESS);
    assertThat(
        db.read(CuratedTable.PIPELINE_COMPLETENESS),
        contains(new Stored(earlier, 2, 0), new Stored(received, 1, 2)));
    assertThat(db.readStage(CuratedTable.PIPELINE_COMPLETENESS), empty());
    assertThat(db.correctionsDue(), empty());
  }

  @Test
  public void theWriterFlagsARowSeenWholeFromTheBoundOfItsTable() {
    // T0 10:30 and events up to 1 h ahead: metric windows from 11:30 on are whole; completeness
    // hours from 11:00 (the end of T0's hour) on.
    PartialWindows partial =
        PartialWindows.of(Instant.parse("2026-03-02T10:30:00Z"), Duration.ofHours(1));
    StagedRowCsvMapper mapper = new StagedRowCsvMapper(2, partial);
    long at1129 = Instant.parse("2026-03-02T11:29:00Z").toEpochMilli();
    long at1130 = Instant.parse("2026-03-02T11:30:00Z").toEpochMilli();
    long at1000 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
    long at1100 = Instant.parse("2026-03-02T11:00:00Z").toEpochMilli();
    assertThat(
        seenWhole(mapper, CuratedRow.activeEditors(at1129, Granularity.MINUTE, "1", 1)), is(false));
    assertThat(
        seenWhole(mapper, CuratedRow.activeEditors(at1130, Granularity.MINUTE, "1", 1)), is(true));
    assertThat(
        seenWhole(
            mapper, CuratedRow.notificationFanout(at1000, Granularity.DAY, "1", "x", 1, 1, 1)),
        is(false));
    assertThat(
        seenWhole(mapper, CuratedRow.completeness(at1000, Granularity.HOUR, "received", 1)),
        is(false));
    assertThat(
        seenWhole(mapper, CuratedRow.completeness(at1100, Granularity.HOUR, "received", 1)),
        is(true));
    assertThat(
        seenWhole(
            new StagedRowCsvMapper(2),
            CuratedRow.activeEditors(at1000, Granularity.MINUTE, "1", 1)),
        is(true));
  }

  private static Object seenWhole(StagedRowCsvMapper mapper, CuratedRow row) {
    Object[] fields = mapper.mapRow(org.apache.beam.sdk.values.KV.of(0L, row));
    return fields[fields.length - 1];
  }
}
