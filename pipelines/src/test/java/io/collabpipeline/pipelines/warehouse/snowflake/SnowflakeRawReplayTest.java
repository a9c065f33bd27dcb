package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.launch.RawReplayJob;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.pipelines.warehouse.snowflake.PostgresSnowflakeSchema.Stored;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.values.KV;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The actual {@code --source=raw} replay job, through the launcher, into the Snowflake stand-in
 * (SnowflakeIO's write with the PostgreSQL loading services, then {@code commit_replay.sql}),
 * against the oracle: the same replay of the same raw store through the command line into DuckDB.
 * Two independent warehouses must hold the same rows for the replayed date, and Snowflake's stale
 * key and due corrections of that date must be gone, while the next date keeps its rows and dues.
 */
public class SnowflakeRawReplayTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return CollabPipeline.runCli(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  public void aRawReplayIntoSnowflakeEqualsTheSameReplayIntoDuckDb() throws Exception {
    // A raw store written by the pipeline (a files run on the DirectRunner).
    WorkloadSpec spec =
        WorkloadSpec.defaults().withDeliveries(60).withSeed(7L).withDuplicateShare(0.05);
    File input = tmp.newFile("events.ndjson");
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = tmp.newFolder("data").getPath();
    String duckdb = "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    assertThat(
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=100"),
        equalTo(0));
    LocalDate date = LocalDate.parse(spec.start().toString().substring(0, 10));
    ReplayScope scope = ReplayScope.day(date);
    String[] replayArgs = {
      "--runner=DirectRunner",
      "--source=raw",
      "--from=" + date,
      "--to=" + date,
      "--dataDir=" + dataDir,
      "--progressSeconds=0",
      "--generation=300"
    };

    // The oracle: the JDBC replay on DuckDB, through the command line.
    assertThat(err.toString(StandardCharsets.UTF_8), run(replayArgs), equalTo(0));
    List<CuratedRow> oracle = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(duckdb)) {
      for (CuratedTable t : ReplayScope.TABLES) {
        for (CuratedRow r : w.curated().read(t)) {
          if (scope.covers(r)) {
            oracle.add(r);
          }
        }
      }
    }
    assertThat(oracle.size(), greaterThan(20));

    // Snowflake, played by PostgreSQL: what a stream left there before the replay.
    PostgresSnowflakeSchema db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
    long dayStart = scope.startMillis();
    long nextDay = scope.endMillisExclusive();
    CuratedRow stale = CuratedRow.activeEditors(dayStart, Granularity.DAY, "999999", 3);
    CuratedRow partial =
        CuratedRow.activeEditors(dayStart + 3_600_000L, Granularity.HOUR, "999998", 1);
    CuratedRow nextDayRow = CuratedRow.activeEditors(nextDay, Granularity.DAY, "999999", 5);
    CuratedRow nextDayPartial =
        CuratedRow.activeEditors(nextDay + 60_000L, Granularity.MINUTE, "999997", 2);
    stageAndMerge(db, stale, 100, true);
    stageAndMerge(db, nextDayRow, 100, true);
    stageAndMerge(db, partial, 200, false);
    stageAndMerge(db, nextDayPartial, 200, false);
    assertThat(db.correctionsDue().size(), is(2));

    // The same replay, through the launcher, into the Snowflake target.
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    SnowflakeConfig snowflake =
        SnowflakeConfig.of(
                SnowflakeIO.DataSourceConfiguration.create(ds),
                tmp.newFolder("staging").getAbsolutePath() + "/",
                "collab_curated_s3")
            .withSnowflakeServices(new PostgresLoadingServices(db.url()));
    CollabPipelineOptions options = CommandLine.parseOptions(replayArgs);
    JobConfig config = JobConfig.from(options);
    GraphConfig graph =
        config.graph.toBuilder()
            .setWarehouse(WarehouseTargets.snowflake("jdbc:snowflake://stand-in", snowflake))
            .build();
    RawReplayJob job = RawReplayJob.of(graph, scope, false, tmp.newFolder("reports").toPath());
    JobLauncher.Finished finished =
        JobLauncher.forConfig(options, config, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(job);
    String report = RawReplayJob.report(job, finished);
    assertThat(report, containsString("replay generation 300 committed for " + scope));

    List<Stored> inScope = new ArrayList<>();
    List<Stored> outside = new ArrayList<>();
    for (CuratedTable t : ReplayScope.TABLES) {
      for (Stored s : db.read(t)) {
        (scope.covers(s.row) ? inScope : outside).add(s);
      }
    }
    assertThat(
        inScope.stream().map(s -> s.row).collect(Collectors.toSet()),
        equalTo(new HashSet<>(oracle)));
    assertThat(inScope.size(), is(oracle.size()));
    assertThat(
        inScope.stream().map(s -> s.generation).collect(Collectors.toSet()),
        equalTo(java.util.Set.of(300L)));
    // The next day is not the replay's: its rows (the partial one filled a missing key) and its due
    // window stay.
    assertThat(
        outside,
        containsInAnyOrder(new Stored(nextDayRow, 100, 0), new Stored(nextDayPartial, 200, 0)));
    assertThat(
        db.correctionsDue(),
        containsInAnyOrder(
            Instant.ofEpochMilli(nextDay + 60_000L).toString().substring(0, 16) + " minute 200"));
    assertThat(db.read(CuratedTable.PIPELINE_COMPLETENESS).isEmpty(), is(true));
    try (SnowflakeWarehouse w =
        SnowflakeWarehouse.of(
            SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(
                SnowflakeIO.DataSourceConfiguration.create(ds)))) {
      GenerationLog.Entry entry = w.generationLog().get().entry(300).get();
      assertThat(entry.status(), is(GenerationLog.Status.COMMITTED));
      assertThat(entry.rowsCommitted(), is((long) oracle.size()));
    }
  }

  private static void stageAndMerge(
      PostgresSnowflakeSchema db, CuratedRow row, long generation, boolean seenWhole)
      throws Exception {
    Object[] fields = new StagedRowCsvMapper(generation).mapRow(KV.of(0L, row));
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
}
