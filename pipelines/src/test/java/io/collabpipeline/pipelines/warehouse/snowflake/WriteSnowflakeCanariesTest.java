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
import io.collabpipeline.transforms.Counters;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
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
    return Counters.committedOrAttempted(result, namespace, name);
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

  private static CollabEvent canary(String eventId, int partition, long occurred, long received) {
    return CollabEvent.builder()
        .setEventId(eventId)
        .setEventType(Canaries.EVENT_TYPE)
        .setSchemaVersion(1)
        .setOccurredAtMillis(occurred)
        .setReceivedAtMillis(received)
        .setWorkspaceGid(Canaries.WORKSPACE_GID)
        .setActorId("0")
        .setPlatform("backend")
        .setService("collab-canary")
        .setAppVersion(null)
        .setResourceType("task")
        .setResourceGid("0")
        .setTaskGid("0")
        .setTriggerEventId(null)
        .setTriggerEventType(null)
        .setPayloadJson("{}")
        .setSource(SourceRef.kafka(TOPIC, partition, 1))
        .build();
  }

  @Test
  public void streamingStagesCanariesForTheirSnowpipeAndTheTasksMergeInsertsThemOnce()
      throws Exception {
    long t0 = 1_772_445_600_000L; // 2026-03-02T10:00:00Z
    org.joda.time.Instant start = new org.joda.time.Instant(t0);
    List<CollabEvent> canaries =
        List.of(
            canary(Canaries.eventId(0, t0), 0, t0, t0 + 80),
            canary(Canaries.eventId(1, t0 + 5), 1, t0 + 5, t0 + 90),
            canary(Canaries.eventId(0, t0 + 10_000), 0, t0 + 10_000, t0 + 10_070));
    org.apache.beam.sdk.testing.TestStream<CollabEvent> stream =
        org.apache.beam.sdk.testing.TestStream.create(
                io.collabpipeline.coders.CollabEventCoder.of())
            .advanceWatermarkTo(start)
            .addElements(
                org.apache.beam.sdk.values.TimestampedValue.of(canaries.get(0), start),
                org.apache.beam.sdk.values.TimestampedValue.of(canaries.get(1), start))
            .advanceProcessingTime(org.joda.time.Duration.standardSeconds(5))
            .addElements(
                org.apache.beam.sdk.values.TimestampedValue.of(
                    canaries.get(2), start.plus(org.joda.time.Duration.standardSeconds(10))))
            .advanceProcessingTime(org.joda.time.Duration.standardSeconds(5))
            .advanceWatermarkToInfinity();

    java.security.KeyPairGenerator keys = java.security.KeyPairGenerator.getInstance("RSA");
    keys.initialize(2048);
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.url());
    // What SnowflakeIO's streaming write needs to build its Snowpipe client (never called: the
    // stand-in's streaming service replaces it), as in WriteSnowflakeCuratedTest.
    SnowflakeIO.DataSourceConfiguration snowpipe =
        SnowflakeIO.DataSourceConfiguration.create(ds)
            .withServerName("offline-test.snowflakecomputing.com")
            .withKeyPairAuth("collab_loader", keys.generateKeyPair().getPrivate())
            .withDatabase("collab")
            .withSchema("curated");
    String staging = tmp.getRoot().getAbsolutePath() + "/staging/";
    pipeline
        .apply("Canaries", stream)
        .apply(
            "WriteCanaries",
            WriteSnowflakeCanaries.write()
                .withDataSourceConfiguration(snowpipe)
                .withStagingBucketName(staging)
                .withStorageIntegrationName("collab_curated_s3")
                .withFlushTimeLimit(org.joda.time.Duration.standardSeconds(1))
                .withSnowflakeServices(new PostgresLoadingServices(db.url())));
    pipeline.run().waitUntilFinish();

    // Snowpipe (the stand-in) loaded every staged file into the stage table, nothing merged yet.
    assertThat(
        db.strings("SELECT DISTINCT table_name FROM loaded_files WHERE service = 'snowpipe'"),
        contains("pipeline_canary_stage"));
    assertThat(db.count("SELECT COUNT(*) FROM pipeline_canary_stage"), is(3L));
    assertThat(db.canaries(), is(empty()));

    // The task merge_pipeline_canary runs the MERGE file, as often as the stream has rows.
    db.merge(SnowflakeSql.CANARY_TABLE);
    db.merge(SnowflakeSql.CANARY_TABLE);
    assertThat(
        db.canaries(),
        contains(
            Canaries.eventId(0, t0) + " 0 " + t0 + " " + (t0 + 80),
            Canaries.eventId(0, t0 + 10_000) + " 0 " + (t0 + 10_000) + " " + (t0 + 10_070),
            Canaries.eventId(1, t0 + 5) + " 1 " + (t0 + 5) + " " + (t0 + 90)));
    assertThat(db.count("SELECT COUNT(*) FROM pipeline_canary_stage"), is(0L));
  }
}
