package io.collabpipeline.it.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.pipelines.kafka.KafkaStartPosition;
import io.collabpipeline.tools.devstack.LocalKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Where a stateless start of a Kafka stream begins, as an arrival time (T0), on the in-process
 * broker: the broker's timestamp of the record at the group's committed offset, the minimum over
 * partitions; a partition without a committed offset from its earliest record; a partition read to
 * its end contributes nothing; no committed offset at all is a first start (empty); everything
 * consumed is the start time. Looking it up commits nothing.
 */
@RunWith(JUnit4.class)
public class KafkaStartPositionTest {
  private static final String TOPIC = "start-position";
  private static final String GROUP = "start-position-it";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  public void t0IsTheEarliestArrivalAtTheStartOffsets() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(TOPIC, 3);
      // 5 records per partition, partition 0 first, then 1, then 2: LogAppendTime increases
      Map<TopicPartition, long[]> appended = new HashMap<>();
      Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
      producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
        for (int p = 0; p < 3; p++) {
          long[] ts = new long[5];
          for (int i = 0; i < 5; i++) {
            RecordMetadata md =
                producer
                    .send(new ProducerRecord<>(TOPIC, p, null, new byte[] {(byte) i}))
                    .get(30, TimeUnit.SECONDS);
            assertThat(md.offset(), equalTo((long) i));
            ts[i] = md.timestamp();
            Thread.sleep(5);
          }
          appended.put(new TopicPartition(TOPIC, p), ts);
        }
      }
      TopicPartition p0 = new TopicPartition(TOPIC, 0);
      TopicPartition p1 = new TopicPartition(TOPIC, 1);
      TopicPartition p2 = new TopicPartition(TOPIC, 2);
      Map<String, Object> consumer = new HashMap<>(kafka.clientConfig());
      consumer.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
      consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      Instant now = Instant.parse("2030-01-01T00:00:00Z");

      assertThat(
          "no committed offset: a first start sees everything retained",
          t0(consumer, now),
          equalTo(Optional.empty()));

      commit(kafka, Map.of(p0, 2L, p1, 5L));
      assertThat(
          "p0 from its committed offset 2, p1 read to its end, p2 from its earliest record",
          t0(consumer, now),
          equalTo(Optional.of(at(Math.min(appended.get(p0)[2], appended.get(p2)[0])))));
      assertThat("the lookup committed nothing", committed(kafka), equalTo(Map.of(p0, 2L, p1, 5L)));

      commit(kafka, Map.of(p0, 5L, p2, 3L));
      assertThat(
          "only p2 has records after its committed offset",
          t0(consumer, now),
          equalTo(Optional.of(at(appended.get(p2)[3]))));

      Map<String, Object> latest = new HashMap<>(consumer);
      latest.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
      commit(kafka, Map.of(p2, 5L));
      assertThat(
          "everything consumed: the first arrival after the start, so the start time",
          t0(latest, now),
          equalTo(Optional.of(now)));
    }
  }

  private static Instant at(long millis) {
    return Instant.ofEpochMilli(millis);
  }

  private static Optional<Instant> t0(Map<String, Object> consumer, Instant now) {
    return KafkaStartPosition.seenWholeFrom(consumer, List.of(TOPIC), TIMEOUT, now);
  }

  private static void commit(LocalKafka kafka, Map<TopicPartition, Long> offsets) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> o = new LinkedHashMap<>();
    offsets.forEach((p, offset) -> o.put(p, new OffsetAndMetadata(offset)));
    try (Admin admin = kafka.admin()) {
      admin.alterConsumerGroupOffsets(GROUP, o).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static Map<TopicPartition, Long> committed(LocalKafka kafka) throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    try (Admin admin = kafka.admin()) {
      admin
          .listConsumerGroupOffsets(GROUP)
          .partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS)
          .forEach((p, o) -> out.put(p, o.offset()));
    }
    return out;
  }
}
