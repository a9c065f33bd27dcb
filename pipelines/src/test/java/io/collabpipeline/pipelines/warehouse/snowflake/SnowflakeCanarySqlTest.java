package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.warehouse.CanaryTables.CanaryRow;
import io.collabpipeline.pipelines.warehouse.CanaryTables.FreshnessRow;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The freshness probe's Snowflake SQL, run verbatim on a real PostgreSQL against the tables of the
 * repository's DDL: {@code merge_pipeline_canary.sql} (insert once with the MERGE's {@code
 * written_at}, duplicates in the stage, stage clearing, re-runs), and {@link SnowflakeCanaryTables}
 * (the probe's reads and its insert-or-set-once MERGE) with {@link
 * SnowflakeCanaryTables.Dialect#POSTGRESQL}, the only words that differ from what runs on
 * Snowflake. Expected values are written out by hand.
 */
public class SnowflakeCanarySqlTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  /** 2026-03-02T10:00:00Z, 1772445600000 ms. */
  private static final long T0 = 1_772_445_600_000L;

  private PostgresSnowflakeSchema db;

  @Before
  public void createTables() throws Exception {
    db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
  }

  private void stage(String eventId, int partition, String occurredUtc, String arrivedUtc)
      throws Exception {
    db.execute(
        "INSERT INTO pipeline_canary_stage VALUES ('"
            + eventId
            + "', "
            + partition
            + ", '"
            + occurredUtc
            + "', '"
            + arrivedUtc
            + "')");
  }

  @Test
  public void theMergeInsertsEachStagedCanaryOnceAtItsFirstArrivalAndClearsTheStage()
      throws Exception {
    stage("canary-0-1772445600000", 0, "2026-03-02 10:00:00.000", "2026-03-02 10:00:00.250");
    stage("canary-1-1772445600001", 1, "2026-03-02 10:00:00.001", "2026-03-02 10:00:00.300");
    // The same canary staged twice (a retried bundle): inserted once, from its first arrival.
    stage("canary-0-1772445600000", 0, "2026-03-02 10:00:00.000", "2026-03-02 10:00:01.000");
    long before = System.currentTimeMillis();
    db.merge(SnowflakeSql.CANARY_TABLE);
    long after = System.currentTimeMillis();

    assertThat(
        db.canaries(),
        contains(
            "canary-0-1772445600000 0 1772445600000 1772445600250",
            "canary-1-1772445600001 1 1772445600001 1772445600300"));
    Map<String, Long> writtenAt = db.canaryWrittenAt();
    // written_at is the MERGE's CURRENT_TIMESTAMP: when the row landed, not a staged value.
    assertThat(writtenAt.values(), everyItem(greaterThanOrEqualTo(before - 1_000)));
    assertThat(writtenAt.values(), everyItem(lessThanOrEqualTo(after + 1_000)));
    assertThat(db.count("SELECT COUNT(*) FROM pipeline_canary_stage"), is(0L));

    // Staged again (a re-run, a re-staged file), with another arrival: nothing changes.
    stage("canary-0-1772445600000", 0, "2026-03-02 10:00:00.000", "2026-03-02 10:05:00.000");
    stage("canary-1-1772445600001", 1, "2026-03-02 10:00:00.001", "2026-03-02 10:05:00.000");
    Thread.sleep(20);
    db.merge(SnowflakeSql.CANARY_TABLE);
    db.merge(SnowflakeSql.CANARY_TABLE);
    assertThat(
        db.canaries(),
        contains(
            "canary-0-1772445600000 0 1772445600000 1772445600250",
            "canary-1-1772445600001 1 1772445600001 1772445600300"));
    assertThat(db.canaryWrittenAt(), equalTo(writtenAt));
    assertThat(db.count("SELECT COUNT(*) FROM pipeline_canary_stage"), is(0L));
  }

  @Test
  public void aCanaryStagedAfterTheMergeSurvivesTheClearing() throws Exception {
    stage("canary-0-1772445600000", 0, "2026-03-02 10:00:00.000", "2026-03-02 10:00:00.250");
    db.merge(SnowflakeSql.CANARY_TABLE);
    // Snowpipe lands a new canary between the MERGE and the DELETE: only the DELETE runs on it.
    stage("canary-0-1772445610000", 0, "2026-03-02 10:00:10.000", "2026-03-02 10:00:10.100");
    List<String> statements = SnowflakeSql.mergeStatements(SnowflakeSql.CANARY_TABLE);
    db.execute(statements.get(statements.size() - 1));
    assertThat(
        db.strings("SELECT event_id FROM pipeline_canary_stage"),
        contains("canary-0-1772445610000"));
    db.merge(SnowflakeSql.CANARY_TABLE);
    assertThat(
        db.canaries(),
        contains(
            "canary-0-1772445600000 0 1772445600000 1772445600250",
            "canary-0-1772445610000 0 1772445610000 1772445610100"));
    assertThat(db.strings("SELECT event_id FROM pipeline_canary_stage"), is(empty()));
  }

  private SnowflakeCanaryTables probeTables() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    return SnowflakeCanaryTables.of(
        SnowflakeIO.DataSourceConfiguration.create(ds), SnowflakeCanaryTables.Dialect.POSTGRESQL);
  }

  @Test
  public void theProbeReadsCanariesFromItsOldestPendingAndRecordsEachQueryableAtOnce()
      throws Exception {
    stage("canary-0-1772445600000", 0, "2026-03-02 10:00:00.000", "2026-03-02 10:00:00.250");
    stage("canary-1-1772445610000", 1, "2026-03-02 10:00:10.000", "2026-03-02 10:00:10.500");
    db.merge(SnowflakeSql.CANARY_TABLE);
    Map<String, Long> writtenAt = db.canaryWrittenAt();

    try (SnowflakeCanaryTables probe = probeTables()) {
      probe.ensureTables();
      assertThat(
          probe.readCanaries(T0),
          contains(
              new CanaryRow(
                  "canary-0-1772445600000",
                  0,
                  T0,
                  T0 + 250,
                  writtenAt.get("canary-0-1772445600000")),
              new CanaryRow(
                  "canary-1-1772445610000",
                  1,
                  T0 + 10_000,
                  T0 + 10_500,
                  writtenAt.get("canary-1-1772445610000"))));
      assertThat(
          probe.readCanaries(T0 + 1).stream().map(CanaryRow::eventId).toList(),
          contains("canary-1-1772445610000"));
      assertThrows(UnsupportedOperationException.class, () -> probe.insertCanaries(List.of()));

      // Published (queryable unknown), then seen: queryable_at and latency are set once.
      probe.recordFreshness(
          List.of(
              new FreshnessRow("canary-0-1772445600000", "collab-events", 0, T0, null),
              new FreshnessRow("canary-1-1772445610000", "collab-events", 1, T0 + 10_000, null)));
      probe.recordFreshness(
          List.of(new FreshnessRow("canary-0-1772445600000", "collab-events", 0, T0, T0 + 4_200)));
      probe.recordFreshness(
          List.of(
              new FreshnessRow("canary-0-1772445600000", "collab-events", 0, T0, T0 + 9_999),
              new FreshnessRow("canary-2-1772445620000", "collab-events", 2, T0 + 20_000, null)));
      assertThat(
          probe.readFreshness(T0),
          contains(
              new FreshnessRow("canary-0-1772445600000", "collab-events", 0, T0, T0 + 4_200),
              new FreshnessRow("canary-1-1772445610000", "collab-events", 1, T0 + 10_000, null),
              new FreshnessRow("canary-2-1772445620000", "collab-events", 2, T0 + 20_000, null)));
      assertThat(
          db.strings(
              "SELECT event_id || ' ' || latency_ms FROM pipeline_freshness WHERE"
                  + " latency_ms IS NOT NULL"),
          contains("canary-0-1772445600000 4200"));
      assertThat(
          probe.readFreshness(T0 + 10_001).stream().map(FreshnessRow::eventId).toList(),
          contains("canary-2-1772445620000"));
    }
  }

  @Test
  public void theProbesMergeTakesManyRowsInBatchesAndOneEventIdOnce() throws Exception {
    List<FreshnessRow> rows = new ArrayList<>();
    int n = SnowflakeCanaryTables.ROWS_PER_MERGE + 7;
    for (int i = 0; i < n; i++) {
      rows.add(new FreshnessRow("canary-" + i + "-1772445600000", "t", i, T0, null));
    }
    // The same canary twice in one call, the second with its queryable_at: that one wins.
    rows.add(new FreshnessRow("canary-0-1772445600000", "t", 0, T0, T0 + 1_000));
    try (SnowflakeCanaryTables probe = probeTables()) {
      probe.recordFreshness(rows);
      assertThat(db.count("SELECT COUNT(*) FROM pipeline_freshness"), is((long) n));
      assertThat(
          db.strings("SELECT event_id FROM pipeline_freshness WHERE latency_ms = 1000"),
          contains("canary-0-1772445600000"));
    }
  }

  @Test
  public void ensureTablesNamesTheDdlWhenATableIsMissing() throws Exception {
    db.execute("DROP TABLE pipeline_freshness");
    try (SnowflakeCanaryTables probe = probeTables()) {
      String message = assertThrows(java.sql.SQLException.class, probe::ensureTables).getMessage();
      assertThat(message, org.hamcrest.Matchers.startsWith("pipeline_freshness is not readable"));
      assertThat(message, org.hamcrest.Matchers.containsString("02_curated_tables.sql"));
    }
  }

  @Test
  public void t0IsTheInstantTheStagedTextsName() {
    assertThat(Instant.parse("2026-03-02T10:00:00Z").toEpochMilli(), is(T0));
  }
}
