package io.collabpipeline.it.replay;

import static io.collabpipeline.it.replay.StreamedWarehouse.assertSameTables;
import static io.collabpipeline.it.replay.StreamedWarehouse.tables;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.tools.devstack.LocalS3;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A replay whose raw store is on S3 (S3Mock, out of process), run through the command line as an
 * operator would: a batch run writes the raw store to {@code s3://} and the tables to DuckDB; a
 * curated row is then corrupted; the replay of the raw store's dates from S3 repairs it and leaves
 * every other row as the batch run wrote it.
 */
@RunWith(JUnit4.class)
public class ReplayFromS3Test {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String BUCKET = "collab-raw";

  /** Crosses midnight (two event dates), with duplicates, late and malformed records. */
  private static final WorkloadSpec SPEC =
      ReplayEndToEndTest.SPEC.withDeliveries(800).withSeed(4242L);

  private static LocalS3 s3;

  @BeforeClass
  public static void startS3() throws Exception {
    s3 = LocalS3.start(TMP.newFolder("s3").toPath(), BUCKET, "collab-quarantine");
  }

  @AfterClass
  public static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  public void aReplayFromAnS3RawStoreRepairsTheCorruptedRowAndChangesNothingElse()
      throws Exception {
    String raw = "s3://" + BUCKET + "/replay/raw";
    String quarantine = "s3://collab-quarantine/replay/quarantine";
    String dataDir = TMP.newFolder("data").getPath();
    String url = "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";

    FlinkPipelineOptions options = StreamedWarehouse.flink(false);
    s3.applyTo(options);
    S3Setup.configure(options, raw, quarantine);
    Pipeline p = Pipeline.create(options);
    CollabGraph.apply(
        p.apply("ReadGenerator", GeneratorSource.of(SPEC)),
        GraphConfig.builder()
            .setRawStore(raw)
            .setQuarantineStore(quarantine)
            .setWarehouse(WarehouseTargets.jdbc(url))
            .setGeneration(1_000L)
            .build());
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    Map<CuratedTable, Set<CuratedRow>> written = tables(url);
    assertThat(written.get(CuratedTable.ACTIVE_EDITORS).size(), greaterThan(0));

    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      assertThat(
          st.executeUpdate(
              "UPDATE active_editors SET active_editors = active_editors + 1000 "
                  + "WHERE granularity = 'day'"),
          greaterThan(0));
    }
    assertThat(tables(url), not(equalTo(written)));

    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=FlinkRunner",
                "--parallelism=2",
                "--source=raw",
                "--from=2026-11-02",
                "--to=2026-11-03",
                "--rawStore=" + raw,
                "--quarantineStore=" + quarantine,
                "--warehouseUrl=" + url,
                "--dataDir=" + dataDir,
                "--progressSeconds=0"));
    args.addAll(s3.pipelineArgs());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        CollabPipeline.runCli(
            args.toArray(new String[0]),
            StreamedWarehouse.capture(out),
            StreamedWarehouse.capture(err));
    assertThat("exit code; stderr: " + err.toString(StandardCharsets.UTF_8), code, equalTo(0));

    // Completeness is not the replay's to rewrite, and the metric tables are back to what the batch
    // run wrote.
    assertSameTables(
        "after the replay from S3", written, tables(url), List.of(CuratedTable.values()));
  }
}
