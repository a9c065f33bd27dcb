package io.collabpipeline.pipelines.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Which of a job's topics the brokers know, asked before the job starts. Without it a Kafka job on
 * a topic that does not exist starts anyway and fails in its source ("Could not find any partitions
 * info") at every attempt of its restart strategy, with a stack trace each time and no line that
 * says what to fix.
 *
 * <p>The question is a metadata request with the job's own consumer settings (brokers, security)
 * that never creates a topic ({@code allow.auto.create.topics=false}, whatever the brokers allow),
 * joins no group and commits nothing.
 */
public final class KafkaTopics {
  private KafkaTopics() {}

  /**
   * The topics of {@code topics} that the brokers reached with {@code consumerConfig} have no
   * partitions of, in the order given; empty when every topic exists.
   *
   * @throws org.apache.kafka.common.errors.TimeoutException when the brokers do not answer within
   *     {@code timeout}
   */
  public static List<String> missing(
      Map<String, Object> consumerConfig, List<String> topics, Duration timeout) {
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<String> missing = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      for (String topic : topics) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
        if (partitions == null || partitions.isEmpty()) {
          missing.add(topic);
        }
      }
    }
    return missing;
  }
}
