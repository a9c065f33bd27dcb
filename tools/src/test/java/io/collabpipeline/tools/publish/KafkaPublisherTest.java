package io.collabpipeline.tools.publish;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher.Category;
import io.collabpipeline.tools.publish.KafkaPublisher.PublishReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link KafkaPublisher} against a real in-process broker: it publishes exactly the generator's
 * deliveries (bytes, keys and counts by kind), idempotently, on LogAppendTime timestamps within the
 * publishing window.
 */
@RunWith(JUnit4.class)
public class KafkaPublisherTest {
  private static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(400)
          .withSeed(11L)
          .withDuplicateShare(0.08)
          .withLateShare(0.10)
          .withTooLateShare(0.05)
          .withMalformedShare(0.08);

  private static LocalKafka kafka;

  @BeforeClass
  public static void startKafka() throws Exception {
    kafka = LocalKafka.start();
  }

  @AfterClass
  public static void stopKafka() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Counts by kind computed from the generator's ground truth, independently of the publisher. */
  private static Map<Category, Long> expectedCounts(WorkloadSpec spec) {
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    Map<Category, Long> counts = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      counts.put(c, 0L);
    }
    for (long i = 0; i < spec.deliveries(); i++) {
      Delivery d = generator.delivery(i);
      Category c;
      if (d.kind() == Delivery.Kind.DUPLICATE) {
        c = Category.DUPLICATE;
      } else if (d.kind() == Delivery.Kind.MALFORMED) {
        c = Category.MALFORMED;
      } else {
        long delay = d.arrivalMillis() - d.occurredAtMillis();
        c =
            delay >= spec.tooLateDelay().toMillis()
                ? Category.TOO_LATE
                : delay > 5_000 ? Category.LATE : Category.PLAIN;
      }
      counts.merge(c, 1L, Long::sum);
    }
    return counts;
  }

  @Test
  public void publishesExactlyTheGeneratorsDeliveries() throws Exception {
    kafka.createTopic("published", 3);
    Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
    PublishReport report =
        KafkaPublisher.to(kafka.bootstrapServers(), "published")
            .withRate(2_000)
            .withListener(
                (d, md) -> acknowledgedAt.put(md.partition() + "@" + md.offset(), md.timestamp()))
            .publish(SPEC);

    Map<Category, Long> expected = expectedCounts(SPEC);
    for (Category c : Category.values()) {
      assertThat("the workload exercises " + c, expected.get(c), greaterThan(0L));
    }
    assertThat(report.counts(), equalTo(expected));
    assertThat(report.total(), equalTo(SPEC.deliveries()));
    assertThat(report.recordsPerSecond(), greaterThan(0.0));
    assertThat(acknowledgedAt.size(), equalTo((int) SPEC.deliveries()));

    // The published timeline: the same workload on the wall clock, at the asked rate.
    WorkloadSpec published = report.publishedSpec();
    assertThat(published.start().toEpochMilli(), equalTo(report.startMillis()));
    assertThat(published.syntheticRate(), equalTo(2_000.0));
    assertThat(
        published.withStart(SPEC.start()).withSyntheticRate(SPEC.syntheticRate()), equalTo(SPEC));

    // The topic holds exactly the deliveries' bytes, keyed by event id, stamped by the broker while
    // publishing.
    List<ConsumerRecord<byte[], byte[]>> records = readAll("published", (int) SPEC.deliveries());
    List<String> expectedValues = new ArrayList<>();
    Map<String, String> expectedKeyByValue = new HashMap<>();
    WorkloadGenerator generator = new WorkloadGenerator(published);
    for (long i = 0; i < published.deliveries(); i++) {
      Delivery d = generator.delivery(i);
      String value = Base64.getEncoder().encodeToString(d.bytes());
      expectedValues.add(value);
      expectedKeyByValue.put(value, d.eventId() == null ? null : d.eventId());
    }
    List<String> values = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String value = Base64.getEncoder().encodeToString(r.value());
      values.add(value);
      assertThat(
          r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
          equalTo(expectedKeyByValue.get(value)));
      assertThat(r.timestampType(), equalTo(TimestampType.LOG_APPEND_TIME));
      assertThat(r.timestamp(), greaterThanOrEqualTo(report.startMillis()));
      assertThat(r.timestamp(), lessThanOrEqualTo(report.endMillis()));
      assertThat(acknowledgedAt.get(r.partition() + "@" + r.offset()), equalTo(r.timestamp()));
    }
    Collections.sort(values);
    Collections.sort(expectedValues);
    assertThat(values, equalTo(expectedValues));
  }

  @Test
  public void producerIsIdempotentWithAcksAll() {
    Map<String, Object> config =
        KafkaPublisher.to("127.0.0.1:1", "t")
            .withProducerProperties(Collections.singletonMap("linger.ms", "20"))
            .producerConfig();
    assertThat(config.get("acks"), equalTo("all"));
    assertThat(config.get("enable.idempotence"), equalTo(true));
    assertThat(config.get("linger.ms"), equalTo("20"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KafkaPublisher.to("127.0.0.1:1", "t")
                    .withProducerProperties(Collections.singletonMap("acks", "1")));
    assertThat(e.getMessage(), containsString("acks"));
  }

  @Test
  public void commandLineRejectsBadOptionsWithOneLineAndExitCode2() {
    assertCliUsageError(new String[] {"--kafkaTopics=a,b"}, "--kafkaTopics");
    assertCliUsageError(new String[] {"--rate=-5"}, "--rate");
    assertCliUsageError(new String[] {"--kafkaBootstrapServers=nohost"}, "--kafkaBootstrapServers");
  }

  @Test
  public void commandLinePublishesAndPrintsTheCounts() throws Exception {
    kafka.createTopic("cli", 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        KafkaPublisher.runCli(
            new String[] {
              "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
              "--kafkaTopics=cli",
              "--events=50",
              "--rate=0"
            },
            new PrintStream(out, true, "UTF-8"),
            new PrintStream(err, true, "UTF-8"));
    assertThat(err.toString("UTF-8"), code, equalTo(0));
    assertThat(out.toString("UTF-8"), containsString("published 50 records to cli"));
    assertThat(readAll("cli", 50).size(), equalTo(50));
  }

  private static void assertCliUsageError(String[] args, String option) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = KafkaPublisher.runCli(args, new PrintStream(out, true), new PrintStream(err, true));
    String message = err.toString().trim();
    assertThat(code, equalTo(2));
    assertThat(message, containsString(option));
    assertThat(message.split("\n").length, equalTo(1));
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
      // Anything beyond the expected count would be a duplicate append: give it a moment to show.
      consumer.poll(Duration.ofMillis(500)).forEach(records::add);
    }
    return records;
  }
}
