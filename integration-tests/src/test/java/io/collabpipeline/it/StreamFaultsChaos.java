package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.it.ChaosRun.FaultOutcome;
import io.collabpipeline.it.StreamRuns.Published;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.s3.CollabS3ClientBuilderFactory;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.tools.devstack.KafkaBroker;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.devstack.LocalS3;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The chaos suite's faults during a running stream ({@link ChaosRun}): the warehouse down for 60 s,
 * the S3 endpoint down for 60 s, the Kafka broker restarted, a duplicate storm, and the malformed
 * corpus through Kafka. Run by {@link ChaosSuiteTest}, which writes RELIABILITY.md.
 */
@RunWith(JUnit4.class)
public class StreamFaultsChaos {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  static final long OUTAGE_MILLIS = 60_000L;

  /** PostgreSQL stopped ({@code pg_ctl stop -m fast}) for 60 s, then started on the same data. */
  @Test
  public void theWarehouseDownFor60Seconds() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(ChaosRun.TOPIC, ChaosRun.PARTITIONS);
      ChaosReport.record(
          ChaosRun.named("warehouse-down", TMP.newFolder("warehouse").toPath())
              .profile("dev")
              .kafka(kafka.bootstrapServers(), kafka.clientConfig())
              .warehouse(POSTGRES.newDatabaseUrl())
              .workload(ChaosRun.standardWorkload(101))
              .fault(
                  (job, published) -> {
                    POSTGRES.stop();
                    Thread.sleep(OUTAGE_MILLIS);
                    POSTGRES.start();
                    return new FaultOutcome(
                        System.currentTimeMillis(),
                        "warehouse (PostgreSQL) down 60 s (pg_ctl stop -m fast, then start)");
                  })
              .run());
    }
  }

  /**
   * S3Mock stopped for 60 s, then started on the same port and store. Production's profile. The
   * outage must make Flink restart the job from its last checkpoint (writes to S3 fail): besides
   * the suite's assertions, every malformed record is in the quarantine on S3 exactly once, by its
   * Kafka coordinates, with its reason, across those restores.
   */
  @Test
  public void theS3EndpointDownFor60Seconds() throws Exception {
    Path s3Dir = TMP.newFolder("s3").toPath();
    LocalS3[] s3 = {LocalS3.start(s3Dir, "chaos-raw", "chaos-quarantine")};
    int port = s3[0].port();
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(ChaosRun.TOPIC, ChaosRun.PARTITIONS);
      List<String> args = new ArrayList<>(s3[0].pipelineArgs());
      args.add("--rawStore=s3://chaos-raw/raw");
      args.add("--quarantineStore=s3://chaos-quarantine/quarantine");
      Path download = TMP.newFolder("s3-download").toPath();
      ChaosRun run =
          ChaosRun.named("s3-down", TMP.newFolder("s3run").toPath())
              .profile("production")
              .kafka(kafka.bootstrapServers(), kafka.clientConfig())
              .extraArgs(args)
              .workload(ChaosRun.standardWorkload(202))
              .rawStore(() -> rawIdsOnS3(s3[0], "chaos-raw", "raw/", download))
              .fault(
                  (job, published) -> {
                    s3[0].close();
                    long down = System.currentTimeMillis();
                    Thread.sleep(OUTAGE_MILLIS);
                    s3[0] = LocalS3.start(s3Dir, port, "chaos-raw", "chaos-quarantine");
                    return new FaultOutcome(
                        System.currentTimeMillis(),
                        String.format(
                            "S3 endpoint (S3Mock) down %d s (stopped, then started on the same"
                                + " store)",
                            (System.currentTimeMillis() - down) / 1000));
                  });
      ChaosRun.Result result = run.run();
      assertThat(
          "the S3 outage made Flink restore the job from a checkpoint: " + result.recovery,
          result.recovery.startsWith("Flink restarted the job from its last checkpoint"),
          equalTo(true));
      assertQuarantinedByCoordinate(
          s3[0], "s3://chaos-quarantine/quarantine", ChaosRun.TOPIC, run.published());
      ChaosReport.record(result);
    } finally {
      s3[0].close();
    }
  }

  /**
   * The quarantine under {@code prefix} on {@code s3} holds each malformed record of {@code
   * published} once, by its Kafka coordinates (topic, partition, offset), with its expected reason,
   * and nothing else.
   */
  private static void assertQuarantinedByCoordinate(
      LocalS3 s3, String prefix, String topic, List<Published> published) throws Exception {
    Map<String, String> malformed = new HashMap<>();
    synchronized (published) {
      for (Published x : published) {
        if (x.delivery.kind() == Delivery.Kind.MALFORMED) {
          malformed.put(x.partition + "@" + x.offset, x.delivery.expectedReason().code());
        }
      }
    }
    PipelineOptions options = s3.applyTo(PipelineOptionsFactory.create());
    S3Setup.configure(options, prefix);
    FileSystems.setDefaultPipelineOptions(options);
    Map<String, String> quarantined = new HashMap<>();
    for (QuarantineRecord q : QuarantineIO.readRecords(prefix)) {
      SourceRef ref = q.original().source();
      assertThat("quarantine source kind", ref.kind(), equalTo(SourceRef.Kind.KAFKA));
      assertThat("quarantine topic", ref.name(), equalTo(topic));
      String previous = quarantined.put(ref.partition() + "@" + ref.offset(), q.reason().code());
      assertThat("quarantined once: " + ref.describe(), previous, equalTo(null));
    }
    assertThat("malformed records in the stream", malformed.isEmpty(), equalTo(false));
    assertThat(
        "quarantine on S3 = malformed records, by coordinate and reason",
        quarantined,
        equalTo(malformed));
  }

  /**
   * The dev stack's durable broker process stopped and started again on the same log (its topic
   * keeps every record); the publisher and the job both ride it out.
   */
  @Test
  public void theKafkaBrokerRestarted() throws Exception {
    Path brokerDir = TMP.newFolder("broker").toPath();
    String classpath = System.getProperty("surefire.test.class.path");
    if (classpath == null || classpath.isEmpty()) {
      classpath = System.getProperty("java.class.path");
    }
    KafkaBroker.Settings settings =
        KafkaBroker.Settings.in(brokerDir)
            .ports(freePort(), freePort())
            .topics(List.of(ChaosRun.TOPIC), ChaosRun.PARTITIONS)
            .heap("512m")
            .classpath(classpath);
    KafkaBroker[] broker = {KafkaBroker.start(settings)};
    Map<String, Object> admin = Map.of("bootstrap.servers", broker[0].bootstrapServers());
    try {
      ChaosReport.record(
          ChaosRun.named("broker-restart", TMP.newFolder("brokerrun").toPath())
              .profile("dev")
              .kafka(broker[0].bootstrapServers(), admin)
              .workload(ChaosRun.standardWorkload(303))
              .fault(
                  (job, published) -> {
                    long down = System.currentTimeMillis();
                    broker[0].stop();
                    Thread.sleep(10_000L);
                    broker[0] = KafkaBroker.start(settings);
                    return new FaultOutcome(
                        System.currentTimeMillis(),
                        String.format(
                            "Kafka broker restarted (durable broker process stopped, down %d s,"
                                + " started on the same log)",
                            (System.currentTimeMillis() - down) / 1000));
                  })
              .run());
    } finally {
      broker[0].stop();
    }
  }

  /**
   * Half of the valid events re-sent: a first half of those while the dedup horizon (20 s here)
   * remembers them, the rest after it has forgotten them. The stream drops the first as duplicates
   * and accepts the others again (the horizon's documented trade-off); the correction replay, which
   * deduplicates over the whole range, then makes the metric tables equal the ones computed with
   * every event counted once.
   */
  @Test
  public void aDuplicateStorm() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(ChaosRun.TOPIC, ChaosRun.PARTITIONS);
      ChaosReport.record(
          ChaosRun.named("duplicate-storm", TMP.newFolder("storm").toPath())
              .profile("dev")
              .kafka(kafka.bootstrapServers(), kafka.clientConfig())
              .extraArgs(List.of("--dedupHorizon=20s"))
              .workload(ChaosRun.standardWorkload(404))
              .fault(
                  (job, published) -> {
                    List<Published> sent;
                    synchronized (published) {
                      sent = new ArrayList<>(published);
                    }
                    List<Delivery> again = new ArrayList<>();
                    for (int i = 0; i < sent.size(); i += 2) {
                      if (sent.get(i).delivery.kind() == Delivery.Kind.ORIGINAL) {
                        again.add(sent.get(i).delivery);
                      }
                    }
                    List<Delivery> early = again.subList(0, again.size() / 2);
                    List<Delivery> afterHorizon = again.subList(again.size() / 2, again.size());
                    resend(kafka.bootstrapServers(), early, published);
                    Thread.sleep(30_000L);
                    resend(kafka.bootstrapServers(), afterHorizon, published);
                    return new FaultOutcome(
                        System.currentTimeMillis(),
                        String.format(
                            "duplicate storm: %d valid events re-sent (half of those published so"
                                + " far), %d within the 20 s dedup horizon, %d after it",
                            again.size(), early.size(), afterHorizon.size()));
                  })
              .replayAfter()
              .run());
    }
  }

  /**
   * The malformed corpus through Kafka: half the records malformed in every way the validator
   * names, oversized records and bad clocks included. Every one is quarantined with its reason.
   */
  @Test
  public void theMalformedCorpusThroughKafka() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(ChaosRun.TOPIC, ChaosRun.PARTITIONS);
      Path dir = TMP.newFolder("malformed").toPath();
      ChaosRun run =
          ChaosRun.named("malformed-corpus", dir)
              .profile("dev")
              .kafka(kafka.bootstrapServers(), kafka.clientConfig())
              .workload(
                  ChaosRun.standardWorkload(505)
                      .withMalformedShare(0.5)
                      .withTooLargeEnabled(true)
                      .withClockSkewEnabled(true))
              .fault(
                  (job, published) ->
                      new FaultOutcome(
                          System.currentTimeMillis(),
                          "malformed corpus through Kafka: half the records malformed (every"
                              + " reason code, oversized records and bad clocks included)"));
      ChaosRun.Result result = run.run();
      Map<String, Long> reasons = new TreeMap<>();
      for (QuarantineRecord r :
          QuarantineIO.readRecords(run.dataDir().resolve("quarantine").toString())) {
        reasons.merge(r.reason().code(), 1L, Long::sum);
      }
      assertThat(
          "quarantine reasons = the corpus's",
          reasons,
          equalTo(run.expectedTables().quarantineReasons));
      ChaosReport.record(result);
    }
  }

  /** Sends {@code deliveries} again (same bytes, same key), each acknowledged into {@code into}. */
  private static void resend(String bootstrap, List<Delivery> deliveries, List<Published> into)
      throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, LocalKafka.MAX_MESSAGE_BYTES);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Delivery d : deliveries) {
        byte[] key = d.eventId() == null ? null : d.eventId().getBytes(StandardCharsets.UTF_8);
        RecordMetadata md =
            producer.send(new ProducerRecord<>(ChaosRun.TOPIC, key, d.bytes())).get();
        into.add(new Published(d, md.timestamp(), md.partition(), md.offset()));
      }
    }
  }

  /** Event id → copies in the raw store on S3: its Parquet objects downloaded, read by DuckDB. */
  private static Map<String, Long> rawIdsOnS3(LocalS3 s3, String bucket, String prefix, Path into)
      throws Exception {
    S3Options options = s3.applyTo(PipelineOptionsFactory.create()).as(S3Options.class);
    Path dir = Files.createTempDirectory(into, "raw");
    try (S3Client client = new CollabS3ClientBuilderFactory().createBuilder(options).build()) {
      for (S3Object o :
          client
              .listObjectsV2Paginator(
                  ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
              .contents()) {
        if (o.key().endsWith(".parquet")) {
          Path target = dir.resolve(o.key());
          Files.createDirectories(target.getParent());
          client.getObject(GetObjectRequest.builder().bucket(bucket).key(o.key()).build(), target);
        }
      }
    }
    return StreamRuns.rawEventIds(dir);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
