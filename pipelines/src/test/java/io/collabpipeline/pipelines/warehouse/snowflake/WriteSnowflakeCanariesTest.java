package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.canary.Canaries;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import io.collabpipeline.pipelines.warehouse.WriteCanaries;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The whole live graph ({@link CollabGraph}) on the DirectRunner writing to the Snowflake sink,
 * with the PostgreSQL stand-in for Snowflake ({@link PostgresLoadingServices}, tables from the
 * repository's DDL): a few canary events made by {@link Canaries#json} among product events, one
 * canary delivered twice. {@code pipeline_canary} then holds exactly one row per canary (id,
 * partition, occurred_at, first arrival), none for a product event, through SnowflakeIO's staging,
 * the COPY and {@code merge_pipeline_canary.sql}; a re-run of the same input changes nothing, and
 * no curated metric counts workspace 0. Expected values are written out from the inputs by hand.
 */
public class WriteSnowflakeCanariesTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final String TOPIC = "collab-events";

  private PostgresSnowflakeSchema db;

  @Before
  public void createTables() throws Exception {
    db = PostgresSnowflakeSchema.create(POSTGRES.newDatabaseUrl());
  }

  /**
   * Snowflake as the graph's warehouse, written by the production writes ({@link
   * WriteSnowflakeCurated}, {@link WriteSnowflakeCanaries}) whose loading services are the
   * PostgreSQL stand-in, as SnowflakeWarehouseTarget would build them from a SnowflakeConfig.
   */
  private static final class StandInTarget implements WarehouseTarget {
    private static final long serialVersionUID = 1L;

    private final String url;
    private final String staging;

    StandInTarget(String url, String staging) {
      this.url = url;
      this.staging = staging;
    }

    private SnowflakeIO.DataSourceConfiguration connection() {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(url);
      return SnowflakeIO.DataSourceConfiguration.create(ds)
          .withDatabase("collab")
          .withSchema("curated");
    }

    @Override
    public PTransform<PCollection<CuratedRow>, PDone> writeLive(long generation) {
      return WriteSnowflakeCurated.write()
          .withDataSourceConfiguration(connection())
          .withStagingBucketName(staging)
          .withStorageIntegrationName("collab_curated_s3")
          .withGeneration(generation)
          .withSnowflakeServices(new PostgresLoadingServices(url));
    }

    @Override
    public Optional<PTransform<PCollection<CollabEvent>, PDone>> writeCanaries() {
      return Optional.of(
          WriteSnowflakeCanaries.write()
              .withDataSourceConfiguration(connection())
              .withStagingBucketName(staging)
              .withStorageIntegrationName("collab_curated_s3")
              .withSnowflakeServices(new PostgresLoadingServices(url)));
    }

    @Override
    public Optional<PTransform<PCollection<CuratedRow>, PDone>> writeStaged(long generation) {
      return Optional.empty();
    }

    @Override
    public Warehouse open() {
      throw new UnsupportedOperationException("the graph never opens the warehouse");
    }

    @Override
    public String describe() {
      return "snowflake stand-in " + url;
    }
  }

  private static String product(String eventId, String occurredAt) {
    return "{\"event_id\":\""
        + eventId
        + "\",\"event_type\":\"task.updated\",\"schema_version\":1,\"occurred_at\":\""
        + occurredAt
        + "\",\"workspace_gid\":\"42\",\"actor\":{\"user_gid\":\"7\"}"
        + ",\"source\":{\"platform\":\"web\"},\"resource\":{\"type\":\"task\",\"gid\":\"9\"}"
        + ",\"payload\":{\"task_gid\":\"9\",\"project_gids\":[\"5\"],\"changed_fields\":[\"name\"]}}";
  }

  private static RawRecord record(String json, int partition, long offset, long receivedAt) {
    return RawRecord.of(
        json.getBytes(StandardCharsets.UTF_8),
        SourceRef.kafka(TOPIC, partition, offset),
        receivedAt);
  }

  private static long counter(PipelineResult result, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private PipelineResult run(TestPipeline p, List<RawRecord> input) throws Exception {
    String dir = tmp.getRoot().getAbsolutePath();
    GraphConfig config =
        GraphConfig.builder()
            .setRawStore(dir + "/raw")
            .setQuarantineStore(dir + "/quarantine")
            .setWarehouse(new StandInTarget(db.url(), dir + "/staging/"))
            .setGeneration(1_000L)
            .build();
    CollabGraph.apply(p.apply("Records", Create.of(input).withCoder(RawRecordCoder.of())), config);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  @Test
  public void aRunWritesOneCanaryRowPerCanaryAndNoneForProductEventsAndARerunChangesNothing()
      throws Exception {
    // Whole seconds a few minutes ago, so validation accepts every event.
    long base = (System.currentTimeMillis() / 1000 - 300) * 1000;
    String c0 = Canaries.eventId(0, base);
    String c1 = Canaries.eventId(1, base + 10);
    String c2 = Canaries.eventId(1, base + 10_000);
    List<RawRecord> input = new ArrayList<>();
    input.add(record(Canaries.json(c0, Instant.ofEpochMilli(base)), 0, 100, base + 120));
    input.add(record(Canaries.json(c1, Instant.ofEpochMilli(base + 10)), 1, 200, base + 130));
    input.add(
        record(Canaries.json(c2, Instant.ofEpochMilli(base + 10_000)), 1, 201, base + 10_400));
    // c0 delivered again (a producer retry): a duplicate, dropped by dedup.
    input.add(record(Canaries.json(c0, Instant.ofEpochMilli(base)), 0, 101, base + 900));
    String occurred = Instant.ofEpochMilli(base + 1_000).toString();
    for (int i = 0; i < 4; i++) {
      input.add(record(product("product-event-000" + i, occurred), i % 2, 300 + i, base + 2_000));
    }

    PipelineResult result = run(pipeline, input);

    List<String> expected =
        List.of(
            c0 + " 0 " + base + " " + (base + 120),
            c1 + " 1 " + (base + 10) + " " + (base + 130),
            c2 + " 1 " + (base + 10_000) + " " + (base + 10_400));
    assertThat(db.canaries(), equalTo(expected));
    assertThat(db.strings("SELECT event_id FROM pipeline_canary_stage"), is(empty()));
    assertThat(
        db.strings(
            "SELECT DISTINCT table_name FROM loaded_files WHERE service = 'copy' AND"
                + " table_name = 'pipeline_canary_stage'"),
        contains("pipeline_canary_stage"));
    assertThat(
        counter(result, WriteCanaries.METRICS_NAMESPACE, WriteCanaries.ROWS_COUNTER), is(3L));
    assertThat(
        counter(result, WriteCanaries.METRICS_NAMESPACE, WriteSnowflakeCurated.ROWS_MERGED_COUNTER),
        is(3L));
    // The curated metrics never count a canary: only the product events' workspace.
    assertThat(db.strings("SELECT DISTINCT workspace_gid FROM active_editors"), contains("42"));
    assertThat(
        db.strings("SELECT DISTINCT workspace_gid FROM task_update_velocity"), contains("42"));
    Map<String, Long> writtenAt = db.canaryWrittenAt();

    PipelineResult again = run(rerun, input);
    assertThat(db.canaries(), equalTo(expected));
    assertThat(db.canaryWrittenAt(), equalTo(writtenAt));
    assertThat(db.strings("SELECT event_id FROM pipeline_canary_stage"), is(empty()));
    assertThat(
        counter(again, WriteCanaries.METRICS_NAMESPACE, WriteSnowflakeCurated.ROWS_MERGED_COUNTER),
        is(0L));
  }
}
