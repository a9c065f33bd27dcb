package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.collector.AppKeys;
import io.collabpipeline.collector.CollectorServer;
import io.collabpipeline.collector.EdgeProducer;
import io.collabpipeline.collector.LoadClient;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.tools.devstack.KafkaBroker;
import io.collabpipeline.transforms.pii.KeyReference;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The collector rides out a broker restart under load without losing an acknowledged event: the dev
 * stack's durable broker process is stopped and started while clients post batches; clients retry
 * what was not answered {@code 200}; then the raw topic (edge-minimized events, copies of retried
 * batches included) goes through the pipeline (its files source, embedded Flink) and every event
 * the collector acknowledged is in the raw store exactly once.
 */
@RunWith(JUnit4.class)
public class CollectorBrokerRestartTest {
  private static final String APP_KEY = "restart-test-app-key-0123456789";
  private static final int EVENTS = 8_000;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** How long the broker stays down while clients post. */
  private static final long OUTAGE_MILLIS = 5_000L;

  private Path kafkaDir;

  @After
  public void stopBroker() throws Exception {
    if (kafkaDir != null) {
      KafkaBroker.stop(kafkaDir);
    }
  }

  @Test
  public void everyAcknowledgedEventIsInTheRawStoreExactlyOnceAfterABrokerRestart()
      throws Exception {
    kafkaDir = tmp.newFolder("kafka").toPath();
    KafkaBroker.Settings settings =
        KafkaBroker.Settings.in(kafkaDir)
            .ports(freePort(), freePort())
            .topics(List.of(EdgeProducer.DEFAULT_TOPIC), 4)
            .heap("512m")
            .classpath(
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")));
    KafkaBroker broker = KafkaBroker.start(settings);
    String bootstrap = broker.bootstrapServers();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      EdgeProducer.ensureQuarantineTopic(admin, EdgeProducer.DEFAULT_QUARANTINE_TOPIC, 1);
    }
    Path keyFile = tmp.newFile("app.key").toPath();
    Files.writeString(keyFile, APP_KEY);
    EdgeProducer edge =
        new EdgeProducer(
            new KafkaProducer<>(EdgeProducer.producerConfig(bootstrap, Duration.ofSeconds(3))),
            EdgeProducer.DEFAULT_TOPIC,
            EdgeProducer.DEFAULT_QUARANTINE_TOPIC,
            KeyReference.dev());
    java.util.Set<String> acknowledgedIds = new java.util.HashSet<>();
    long retries;
    try (CollectorServer server =
        CollectorServer.start(
            new CollectorServer.Config().port(0).ackTimeout(Duration.ofSeconds(3)),
            AppKeys.resolve("test=file:" + keyFile),
            edge)) {
      URI uri =
          URI.create(
              "http://127.0.0.1:" + server.address().getPort() + CollectorServer.EVENTS_PATH);
      List<byte[]> bodies = LoadClient.batches(generate(), 100);
      // A quarter of the batches with the broker up; then the broker stops, and the rest is
      // posted while it is down (clients are answered 503 and retry) and after it is back. The
      // outage cannot miss the load: the second part starts only once the broker is down.
      int split = bodies.size() / 4;
      LoadClient.Report before =
          new LoadClient(uri, APP_KEY, 2, true)
              .run(bodies.subList(0, split), Duration.ofMinutes(3));
      long acceptedBeforeOutage = server.accepted();
      broker.stop();
      CompletableFuture<LoadClient.Report> load =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new LoadClient(uri, APP_KEY, 2, true)
                      .run(bodies.subList(split, bodies.size()), Duration.ofMinutes(3));
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(OUTAGE_MILLIS);
      broker = KafkaBroker.start(settings);
      LoadClient.Report after = load.get(4, TimeUnit.MINUTES);
      acknowledgedIds.addAll(before.acknowledgedIds);
      acknowledgedIds.addAll(after.acknowledgedIds);
      retries = before.retries + after.retries;
      assertThat(
          "every batch was answered 200 in the end",
          before.batches + after.batches,
          equalTo((long) bodies.size()));
      assertThat("clients had to retry during the outage", after.retries, greaterThan(0L));
      assertThat(acceptedBeforeOutage, greaterThan(0L));
    }
    edge.close();

    // The raw topic, as the pipeline's Kafka source would read it, into one NDJSON file.
    Path input = tmp.newFolder("input").toPath().resolve("raw-topic.ndjson");
    long copies = dumpTopic(bootstrap, input);
    assertThat(copies, greaterThan(0L));

    Path dataDir = tmp.newFolder("data").toPath();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    int code =
        CollabPipeline.runCli(
            new String[] {
              "--source=files",
              "--input=" + input,
              "--dataDir=" + dataDir,
              "--parallelism=2",
              "--progressSeconds=0"
            },
            out,
            out);
    assertThat(printed.toString(StandardCharsets.UTF_8), code, equalTo(0));

    Map<String, Long> raw = StreamRuns.rawEventIds(dataDir);
    List<String> missingOrRepeated = new ArrayList<>();
    for (String id : acknowledgedIds) {
      if (raw.getOrDefault(id, 0L) != 1L) {
        missingOrRepeated.add(id + "=" + raw.getOrDefault(id, 0L));
      }
    }
    assertThat(
        "acknowledged events not exactly once in the raw store: " + missingOrRepeated,
        missingOrRepeated.size(),
        equalTo(0));
    assertThat(acknowledgedIds.size(), greaterThan(EVENTS / 2));
    assertThat(
        "no event id twice in the raw store",
        raw.values().stream().filter(n -> n != 1L).count(),
        equalTo(0L));
    assertThat(
        "the raw topic holds copies (the workload's duplicates, retried batches)",
        copies,
        greaterThan((long) raw.size()));
    System.out.printf(
        "CollectorBrokerRestartTest: %d acknowledged event ids, %d records in the raw topic, %d"
            + " retries, raw store %d ids%n",
        acknowledgedIds.size(), copies, retries, raw.size());
  }

  private static List<byte[]> generate() {
    WorkloadGenerator g =
        new WorkloadGenerator(
            WorkloadSpec.defaults()
                .withDeliveries(EVENTS)
                .withStart(Instant.now().minus(Duration.ofHours(2)))
                .withSyntheticRate(EVENTS / 3600.0));
    List<byte[]> out = new ArrayList<>(EVENTS);
    for (long i = 0; i < EVENTS; i++) {
      out.add(g.delivery(i).bytes());
    }
    return out;
  }

  /** Every record of the raw topic, one per line; how many. */
  private static long dumpTopic(String bootstrap, Path file) throws Exception {
    Map<String, Object> c =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
            ByteArrayDeserializer.class,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed");
    long n = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
        OutputStream out = Files.newOutputStream(file)) {
      List<TopicPartition> parts = new ArrayList<>();
      consumer
          .partitionsFor(EdgeProducer.DEFAULT_TOPIC)
          .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          out.write(r.value());
          out.write('\n');
          n++;
        }
        boolean done = true;
        for (TopicPartition p : parts) {
          done &= consumer.position(p) >= end.get(p);
        }
        if (done) {
          break;
        }
      }
    }
    return n;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
