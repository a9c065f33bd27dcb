package io.collabpipeline.pipelines.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a Kafka stream that starts without state (no checkpoint restored) begins reading, as an
 * arrival time: T0, the earliest timestamp of the records at its start offsets. Such a job reads
 * every partition from the consumer group's committed offset (records before it were consumed by
 * the previous job, whose window state is lost), or, on a partition without one, from the earliest
 * retained offset ({@code auto.offset.reset=earliest}; {@code latest} reads nothing already there).
 * So it sees every arrival at or after T0 and none of the committed ones before it.
 *
 * <p>T0 is the minimum over partitions of the timestamp of the first record at or after the start
 * offset; a partition with nothing to read there contributes nothing. If no partition of the topics
 * has a committed offset (a first start), the job reads everything retained and sees every window
 * whole: empty. If there is nothing to read at any start offset (the previous job consumed
 * everything retained), T0 is the first arrival after this start, not known yet: {@code now}, the
 * start time, which is never earlier than that arrival by the broker's clock unless the clocks
 * disagree, and a later T0 only marks more windows partial. The group's offsets are only read:
 * nothing is committed and the group is not joined (partitions are assigned, not subscribed).
 */
public final class KafkaStartPosition {
  private KafkaStartPosition() {}

  /** T0 of a stateless start of {@code source}; empty when the job sees every window whole. */
  public static Optional<Instant> seenWholeFrom(
      KafkaSourceConfig source, Duration timeout, Instant now) {
    return seenWholeFrom(source.read().consumerConfig(), source.topics(), timeout, now);
  }

  /**
   * T0 of a stateless start of a consumer with {@code consumerConfig} (its group, brokers and
   * security settings) reading {@code topics}.
   */
  public static Optional<Instant> seenWholeFrom(
      Map<String, Object> consumerConfig, List<String> topics, Duration timeout, Instant now) {
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    boolean resetToLatest =
        "latest"
            .equals(
                String.valueOf(
                        config.getOrDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"))
                    .trim()
                    .toLowerCase(Locale.ROOT));
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      Set<TopicPartition> partitions = new HashSet<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos != null) {
          for (PartitionInfo p : infos) {
            partitions.add(new TopicPartition(p.topic(), p.partition()));
          }
        }
      }
      if (partitions.isEmpty()) {
        return Optional.empty(); // no topic yet: nothing was consumed before this start
      }
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions, timeout);
      boolean anyCommitted = committed.values().stream().anyMatch(o -> o != null);
      if (!anyCommitted) {
        return Optional.empty(); // a first start: everything retained is read, every window whole
      }
      Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, timeout);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      Instant earliest = null;
      List<TopicPartition> sorted = new ArrayList<>(partitions);
      sorted.sort((a, b) -> a.toString().compareTo(b.toString()));
      for (TopicPartition p : sorted) {
        OffsetAndMetadata c = committed.get(p);
        long start;
        if (c != null) {
          // a committed offset below the log start (retention) resets to the earliest
          start = Math.max(c.offset(), beginning.get(p));
        } else if (resetToLatest) {
          continue; // starts at the end: reads only what arrives after it started
        } else {
          start = beginning.get(p);
        }
        if (start >= end.get(p)) {
          continue; // nothing to read there now
        }
        Optional<Instant> first = firstTimestamp(consumer, p, start, timeout);
        if (first.isPresent() && (earliest == null || first.get().isBefore(earliest))) {
          earliest = first.get();
        }
      }
      return Optional.of(earliest == null ? now : earliest);
    }
  }

  /** The timestamp of the first record of {@code p} at or after {@code offset}. */
  private static Optional<Instant> firstTimestamp(
      KafkaConsumer<byte[], byte[]> consumer, TopicPartition p, long offset, Duration timeout) {
    consumer.assign(List.of(p));
    consumer.seek(p, offset);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(p)) {
        return Optional.of(Instant.ofEpochMilli(r.timestamp()));
      }
      if (consumer.position(p, timeout) >= consumer.endOffsets(List.of(p), timeout).get(p)) {
        return Optional.empty(); // only gaps (compaction, transaction markers) up to the end
      }
    }
    throw new IllegalStateException(
        "could not read the record at offset "
            + offset
            + " of "
            + p
            + " within "
            + timeout
            + " to find where a stateless start begins");
  }
}
