package io.collabpipeline.monitoring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The job's consumer lag as the broker sees it: per partition of the job's topics, the log end
 * offset against the offset the job's consumer group committed. The job commits offsets only when a
 * Flink checkpoint completes, so this lag includes up to one checkpoint interval of records the job
 * has read but not yet checkpointed: it is the input a restart would have to read again, which is
 * what an operator needs to know. A partition without a committed offset counts from its earliest
 * retained offset (everything retained is unread by the group).
 */
final class KafkaLag implements AutoCloseable {
  static final String LAG = "collab_kafka_consumer_lag_records";
  static final String END = "collab_kafka_log_end_offset";
  static final String COMMITTED = "collab_kafka_committed_offset";
  private static final long TIMEOUT_SECONDS = 10;

  private final Admin admin;
  private final List<String> topics;
  private final String groupId;

  KafkaLag(
      String bootstrapServers, List<String> topics, String groupId, Map<String, String> props) {
    Map<String, Object> config = new HashMap<>(props);
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "collab-exporter");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
    this.admin = Admin.create(config);
    this.topics = List.copyOf(topics);
    this.groupId = groupId;
  }

  /** Reads the offsets now and writes the three families; throws if the broker does not answer. */
  void collect(PromText out) throws Exception {
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    List<TopicPartition> partitions = new ArrayList<>();
    for (TopicDescription d : described.values()) {
      for (TopicPartitionInfo p : d.partitions()) {
        partitions.add(new TopicPartition(d.name(), p.partition()));
      }
    }
    Map<TopicPartition, ListOffsetsResultInfo> ends = offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, ListOffsetsResultInfo> starts = offsets(partitions, OffsetSpec.earliest());
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(groupId)
            .partitionsToOffsetAndMetadata()
            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    out.family(
        END, "gauge", "Log end offset of each partition of the job's topics (the broker's).");
    out.family(
        COMMITTED,
        "gauge",
        "Offset the job's consumer group committed (on completed Flink checkpoints), per partition.");
    out.family(
        LAG,
        "gauge",
        "Records of each partition not yet covered by the group's committed offset: log end minus"
            + " committed (minus the earliest retained offset where nothing is committed).");
    partitions.sort(
        (a, b) ->
            a.topic().equals(b.topic())
                ? Integer.compare(a.partition(), b.partition())
                : a.topic().compareTo(b.topic()));
    for (TopicPartition tp : partitions) {
      String partition = Integer.toString(tp.partition());
      long end = ends.get(tp).offset();
      out.sample(END, end, "topic", tp.topic(), "partition", partition);
      OffsetAndMetadata c = committed.get(tp);
      long from = c == null ? starts.get(tp).offset() : c.offset();
      if (c != null) {
        out.sample(
            COMMITTED, c.offset(), "group", groupId, "topic", tp.topic(), "partition", partition);
      }
      out.sample(
          LAG,
          Math.max(0, end - from),
          "group",
          groupId,
          "topic",
          tp.topic(),
          "partition",
          partition);
    }
  }

  private Map<TopicPartition, ListOffsetsResultInfo> offsets(
      List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (TopicPartition tp : partitions) {
      request.put(tp, spec);
    }
    return admin.listOffsets(request).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    admin.close();
  }
}
