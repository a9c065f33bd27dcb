package io.collabpipeline.it.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.kafka.KafkaRecords;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link KafkaRecords} against a real in-process broker on the DirectRunner: every record comes
 * through with its bytes, coordinates and log-append time; malformed, empty, null and oversized
 * values are not dropped and validation quarantines them with their Kafka coordinates; offsets are
 * committed to the group only when the read finalizes.
 */
@RunWith(JUnit4.class)
public class KafkaRecordsTest {
  private static final int PARTITIONS = 3;
  private static final int PER_PARTITION = 16;
  private static final int RECORDS = PARTITIONS * PER_PARTITION;
  private static final Duration SAFETY_NET = Duration.standardMinutes(2);

  private static LocalKafka kafka;

  /** What was produced to topic {@code records}, by coordinates ({@code SourceRef.describe()}). */
  private static final Map<String, Produced> produced = new TreeMap<>();

  private static final class Produced {
    final byte[] value; // null for a tombstone
    final long appendMillis;
    final ReasonCode expectedReason; // null for a valid event

    Produced(byte[] value, long appendMillis, ReasonCode expectedReason) {
      this.value = value;
      this.appendMillis = appendMillis;
      this.expectedReason = expectedReason;
    }
  }

  @BeforeClass
  public static void startKafkaAndProduce() throws Exception {
    kafka = LocalKafka.start();
    kafka.createTopic("records", PARTITIONS);

    List<byte[]> values = new ArrayList<>();
    List<ReasonCode> reasons = new ArrayList<>();
    addBad(
        values, reasons, "this is not json".getBytes(StandardCharsets.UTF_8), ReasonCode.NOT_JSON);
    addBad(values, reasons, new byte[0], ReasonCode.EMPTY_RECORD);
    addBad(values, reasons, null, ReasonCode.EMPTY_RECORD);
    addBad(
        values,
        reasons,
        new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'},
        ReasonCode.NOT_UTF8);
    byte[] huge = new byte[ValidateEvents.DEFAULT_MAX_RECORD_BYTES + 10];
    Arrays.fill(huge, (byte) 'x');
    addBad(values, reasons, huge, ReasonCode.TOO_LARGE);
    // Events occur now: the broker's append time is their arrival, and validation quarantines
    // events that occurred
    // more than 180 days before it (a fixed start would turn every event OCCURRED_TOO_LONG_AGO half
    // a year later).
    WorkloadGenerator generator =
        new WorkloadGenerator(
            WorkloadSpec.defaults()
                .withDeliveries(1_000)
                .withSeed(3L)
                .withMalformedShare(0)
                .withStart(java.time.Instant.now()));
    for (long i = 0; values.size() < RECORDS; i++) {
      Delivery d = generator.delivery(i);
      if (d.kind() == Delivery.Kind.ORIGINAL) {
        values.add(d.bytes());
        reasons.add(null);
      }
    }

    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, LocalKafka.MAX_MESSAGE_BYTES);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < values.size(); i++) {
        // Even partitions: KafkaIO splits withMaxNumRecords evenly over its readers.
        RecordMetadata md =
            producer
                .send(new ProducerRecord<>("records", i % PARTITIONS, null, values.get(i)))
                .get(60, TimeUnit.SECONDS);
        produced.put(
            "kafka:records/" + md.partition() + "@" + md.offset(),
            new Produced(values.get(i), md.timestamp(), reasons.get(i)));
      }
    }
  }

  private static void addBad(
      List<byte[]> values, List<ReasonCode> reasons, byte[] value, ReasonCode reason) {
    values.add(value);
    reasons.add(reason);
  }

  @AfterClass
  public static void stopKafka() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static KafkaRecords source(String topic, String group, long records) {
    return KafkaRecords.read()
        .withBootstrapServers(kafka.bootstrapServers())
        .withTopics(topic)
        .withGroupId(group)
        .withMaxNumRecords(records)
        .withMaxReadTime(SAFETY_NET);
  }

  /**
   * Coordinates, arrival time, element timestamp and payload of a raw record, as one comparable
   * string.
   */
  private static final class DescribeFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, @Timestamp Instant ts, OutputReceiver<String> out) {
      out.output(
          r.source().describe()
              + "|"
              + r.receivedAtMillis()
              + "|"
              + ts.getMillis()
              + "|"
              + fingerprint(r.payload()));
    }
  }

  /**
   * Length and SHA-256 of a payload: exact, and keeps a failure message short (one record is over 1
   * MiB).
   */
  private static String fingerprint(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      StringBuilder hex = new StringBuilder(bytes.length + ":");
      for (byte b : digest) {
        hex.append(String.format("%02x", b));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class QuarantineFn extends DoFn<QuarantineRecord, String> {
    @ProcessElement
    public void process(@Element QuarantineRecord q, OutputReceiver<String> out) {
      out.output(q.original().source().describe() + "|" + q.reason().code());
    }
  }

  @Test
  public void everyRecordComesThroughWithItsBytesCoordinatesAndAppendTime() {
    List<String> expected = new ArrayList<>();
    for (Map.Entry<String, Produced> e : produced.entrySet()) {
      Produced p = e.getValue();
      byte[] bytes = p.value == null ? new byte[0] : p.value;
      expected.add(
          e.getKey() + "|" + p.appendMillis + "|" + p.appendMillis + "|" + fingerprint(bytes));
    }
    assertThat(expected.size(), equalTo(RECORDS));

    Pipeline p = pipeline();
    PCollection<String> read =
        p.apply("ReadKafka", source("records", "it-read", RECORDS))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(read).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    result.waitUntilFinish();

    assertThat(counter(result, KafkaRecords.RECORDS_READ), equalTo((long) RECORDS));
    assertThat(counter(result, KafkaRecords.NULL_VALUES), equalTo(1L));
    assertThat(counter(result, KafkaRecords.NOT_LOG_APPEND_TIME), equalTo(0L));
  }

  @Test
  public void validationQuarantinesMalformedKafkaRecordsWithTheirCoordinates() {
    List<String> expectedQuarantine = new ArrayList<>();
    long valid = 0;
    for (Map.Entry<String, Produced> e : produced.entrySet()) {
      if (e.getValue().expectedReason == null) {
        valid++;
      } else {
        expectedQuarantine.add(e.getKey() + "|" + e.getValue().expectedReason.code());
      }
    }
    assertThat(expectedQuarantine.size(), equalTo(5));

    Pipeline p = pipeline();
    ValidateEvents.Result validated =
        p.apply("ReadKafka", source("records", "it-validate", RECORDS))
            .apply("ValidateEvents", ValidateEvents.create().withPseudonymKey(KeyReference.dev()));
    PAssert.that(validated.quarantined().apply("DescribeQuarantine", ParDo.of(new QuarantineFn())))
        .containsInAnyOrder(expectedQuarantine);
    PAssert.thatSingleton(validated.events().apply("CountEvents", Count.globally()))
        .isEqualTo(valid);
    p.run().waitUntilFinish();
  }

  @Test
  public void offsetsAreCommittedWhenTheReadFinalizesAndAFreshReadResumesThere() throws Exception {
    String topic = "offsets";
    kafka.createTopic(topic, 2);
    produceEvenly(topic, 2, 0, 10);

    Pipeline first = pipeline();
    PCollection<RawRecord> firstRead = first.apply("ReadKafka", source(topic, "it-offsets", 20));
    PAssert.that(firstRead.apply("Values", ParDo.of(new ValueFn())))
        .containsInAnyOrder(values(0, 20));
    try (Admin admin = kafka.admin()) {
      assertThat(
          "nothing is committed before the read",
          committed(admin, "it-offsets"),
          equalTo(Collections.emptyMap()));
      first.run().waitUntilFinish();
      Map<Integer, Long> expected = new TreeMap<>();
      expected.put(0, 10L);
      expected.put(1, 10L);
      assertThat(committed(admin, "it-offsets"), equalTo(expected));
    }

    // A fresh job of the same group starts where the finalized read stopped: only the new records.
    produceEvenly(topic, 2, 20, 10);
    Pipeline second = pipeline();
    PCollection<RawRecord> secondRead = second.apply("ReadKafka", source(topic, "it-offsets", 20));
    PAssert.that(secondRead.apply("Values", ParDo.of(new ValueFn())))
        .containsInAnyOrder(values(20, 20));
    second.run().waitUntilFinish();
  }

  @Test
  public void consumerConfigNeverAutoCommitsAndStartsAtTheEarliestOffset() {
    Map<String, Object> config =
        KafkaRecords.read()
            .withBootstrapServers("127.0.0.1:1")
            .withTopics("t")
            .withGroupId("g")
            .withConsumerProperties(Collections.singletonMap("fetch.min.bytes", "1"))
            .consumerConfig();
    assertThat(config.get("enable.auto.commit"), equalTo(false));
    assertThat(config.get("group.id"), equalTo("g"));
    assertThat(config.get("auto.offset.reset"), equalTo("earliest"));
    assertThat(config.get("bootstrap.servers"), equalTo("127.0.0.1:1"));
    assertThat(config.get("fetch.min.bytes"), equalTo("1"));
  }

  @Test
  public void missingGroupOrReservedPropertiesFailExpansionNamingTheFix() {
    Pipeline p = pipeline();
    KafkaRecords noGroup =
        KafkaRecords.read().withBootstrapServers(kafka.bootstrapServers()).withTopics("records");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.apply("NoGroup", noGroup));
    assertThat(e.getMessage(), containsString("withGroupId"));

    KafkaRecords autoCommit =
        noGroup
            .withGroupId("g")
            .withConsumerProperties(Collections.singletonMap("enable.auto.commit", "true"));
    e = assertThrows(IllegalArgumentException.class, () -> p.apply("AutoCommit", autoCommit));
    assertThat(e.getMessage(), containsString("enable.auto.commit"));

    KafkaRecords noTopic =
        KafkaRecords.read().withBootstrapServers(kafka.bootstrapServers()).withGroupId("g");
    e = assertThrows(IllegalArgumentException.class, () -> p.apply("NoTopic", noTopic));
    assertThat(e.getMessage(), containsString("withTopics"));

    KafkaRecords noServers = KafkaRecords.read().withTopics("records").withGroupId("g");
    e = assertThrows(IllegalArgumentException.class, () -> p.apply("NoServers", noServers));
    assertThat(e.getMessage(), containsString("withBootstrapServers"));
  }

  private static final class ValueFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<String> out) {
      out.output(new String(r.payload(), StandardCharsets.UTF_8));
    }
  }

  private static List<String> values(int from, int count) {
    List<String> values = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      values.add("record-" + i);
    }
    return values;
  }

  private static void produceEvenly(String topic, int partitions, int from, int perPartition)
      throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = from; i < from + partitions * perPartition; i++) {
        producer
            .send(
                new ProducerRecord<>(
                    topic, i % partitions, null, ("record-" + i).getBytes(StandardCharsets.UTF_8)))
            .get(60, TimeUnit.SECONDS);
      }
    }
  }

  private static Map<Integer, Long> committed(Admin admin, String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(60, TimeUnit.SECONDS);
    Map<Integer, Long> byPartition = new TreeMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
      if (e.getValue() != null) {
        byPartition.put(e.getKey().partition(), e.getValue().offset());
      }
    }
    return byPartition;
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.committedOrAttempted(result, KafkaRecords.METRICS_NAMESPACE, name);
  }
}
