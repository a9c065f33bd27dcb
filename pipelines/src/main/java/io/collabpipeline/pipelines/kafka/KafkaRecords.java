package io.collabpipeline.pipelines.kafka;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Kafka topics as a source of {@link RawRecord}s, through Beam's {@link KafkaIO}: every record's
 * value, byte for byte, with its topic, partition and offset, received at the record's Kafka
 * timestamp.
 *
 * <p>Semantics:
 *
 * <ul>
 *   <li><b>Nothing is dropped or decoded.</b> The value bytes are passed on unchanged, however
 *       malformed or large they are; an empty value and a null value (a tombstone) both become an
 *       empty record, which validation quarantines as empty. An oversized value is passed whole and
 *       quarantined as too large by validation; how large a record can reach the pipeline at all is
 *       the topic's {@code max.message.bytes}. Keys and headers are not used.
 *   <li><b>Arrival clock.</b> A record is received at, and its element is timestamped with, its
 *       Kafka timestamp. On the topics this project creates ({@code
 *       message.timestamp.type=LogAppendTime}) that is when the broker appended it: a property of
 *       the log, so re-reading a topic gives every record the same arrival time and the same
 *       answer. Records of a CreateTime topic carry their producer's clock instead (counted as
 *       {@value #NOT_LOG_APPEND_TIME}).
 *   <li><b>Watermark</b> (per partition, the minimum over a reader's partitions; see {@link
 *       KafkaArrivalTimePolicy}): the newest timestamp read, capped at now, minus {@link
 *       #withMaxOutOfOrderness} (default {@value #DEFAULT_MAX_OUT_OF_ORDERNESS_SECONDS} s), and on
 *       a caught-up or empty partition the time of the last end-offset check minus the same bound,
 *       so idle partitions do not hold it back.
 *   <li><b>Offsets.</b> {@code enable.auto.commit} is always false; the offsets read are committed
 *       to the consumer group ({@link #withGroupId}, required) only when the runner finalizes a
 *       checkpoint: on Flink, when a checkpoint has completed; in a bounded read ({@link
 *       #withMaxNumRecords}, {@link #withMaxReadTime}), at its end. Committed offsets never run
 *       ahead of what a completed checkpoint holds.
 *   <li><b>Restart.</b> Restored from a Flink checkpoint or savepoint, the job resumes at the
 *       offsets in that checkpoint (Kafka's committed offsets are ignored then). Started fresh, it
 *       resumes at the group's committed offsets, so the records read after the last completed
 *       checkpoint are read again (at least once: dedup by event id absorbs them); a group without
 *       committed offsets starts at the earliest retained offset ({@code
 *       auto.offset.reset=earliest}, overridable), so nothing retained is skipped silently.
 * </ul>
 *
 * <p>Secrets: {@link #withConsumerProperties} values reach the consumer config (and KafkaIO's
 * display data), so pass credentials by reference with Kafka's config providers, e.g. {@code
 * config.providers=env}, {@code
 * config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider}, {@code
 * sasl.jaas.config=${env:KAFKA_SASL_JAAS_CONFIG}}: the Kafka client resolves them on the worker.
 *
 * <p>Counters in namespace {@value #METRICS_NAMESPACE}: {@value #RECORDS_READ}, {@value
 * #NULL_VALUES}, {@value #NOT_LOG_APPEND_TIME}.
 */
@AutoValue
public abstract class KafkaRecords extends PTransform<PBegin, PCollection<RawRecord>> {
  private static final long serialVersionUID = 1L;

  /** Namespace of this source's metrics. */
  public static final String METRICS_NAMESPACE = "kafka";

  /** Counter of records emitted. */
  public static final String RECORDS_READ = "records_read";

  /** Counter of records whose value was null (tombstones); they are emitted as empty records. */
  public static final String NULL_VALUES = "null_values";

  /**
   * Counter of records whose timestamp is not the broker's log-append time (a misconfigured topic).
   */
  public static final String NOT_LOG_APPEND_TIME = "not_log_append_time";

  /** Default bound of out-of-order timestamps and of broker/worker clock skew. */
  public static final long DEFAULT_MAX_OUT_OF_ORDERNESS_SECONDS = 2;

  /** Consumer properties this transform owns; each has its own {@code withX()} or is fixed. */
  private static final Map<String, String> RESERVED_PROPERTIES = reservedProperties();

  abstract @Nullable String bootstrapServers();

  abstract List<String> topics();

  abstract @Nullable String groupId();

  abstract Map<String, String> consumerProperties();

  abstract long maxNumRecords();

  abstract @Nullable Duration maxReadTime();

  abstract @Nullable Instant startReadTime();

  abstract Duration maxOutOfOrderness();

  abstract Builder toBuilder();

  /** A source with no servers, topics or group yet: set them with the {@code withX()} methods. */
  public static KafkaRecords read() {
    return new AutoValue_KafkaRecords.Builder()
        .setTopics(Collections.emptyList())
        .setConsumerProperties(Collections.emptyMap())
        .setMaxNumRecords(Long.MAX_VALUE)
        .setMaxOutOfOrderness(Duration.standardSeconds(DEFAULT_MAX_OUT_OF_ORDERNESS_SECONDS))
        .build();
  }

  /** The brokers to bootstrap from, {@code host:port[,host:port...]}. Required. */
  public KafkaRecords withBootstrapServers(String bootstrapServers) {
    return toBuilder().setBootstrapServers(bootstrapServers).build();
  }

  /** The topics to read, all partitions of each. Required: at least one. */
  public KafkaRecords withTopics(List<String> topics) {
    return toBuilder().setTopics(Collections.unmodifiableList(new ArrayList<>(topics))).build();
  }

  /** As {@link #withTopics(List)}. */
  public KafkaRecords withTopics(String... topics) {
    return withTopics(Arrays.asList(topics));
  }

  /** The consumer group whose offsets are committed when checkpoints finalize. Required. */
  public KafkaRecords withGroupId(String groupId) {
    return toBuilder().setGroupId(groupId).build();
  }

  /**
   * Extra Kafka consumer properties (security settings, fetch tuning, {@code auto.offset.reset}),
   * replacing earlier ones. They may not set {@code bootstrap.servers}, {@code group.id}, {@code
   * enable.auto.commit} or the deserializers: those belong to this transform.
   */
  public KafkaRecords withConsumerProperties(Map<String, String> properties) {
    return toBuilder()
        .setConsumerProperties(Collections.unmodifiableMap(new TreeMap<>(properties)))
        .build();
  }

  /**
   * Bounded read: stop after this many records in all (KafkaIO splits the number evenly over its
   * readers).
   */
  public KafkaRecords withMaxNumRecords(long maxNumRecords) {
    if (maxNumRecords < 1) {
      throw new IllegalArgumentException("withMaxNumRecords(n) needs n >= 1, got " + maxNumRecords);
    }
    return toBuilder().setMaxNumRecords(maxNumRecords).build();
  }

  /**
   * Bounded read: stop after reading for this long. Add it to every bounded read as a safety net.
   */
  public KafkaRecords withMaxReadTime(Duration maxReadTime) {
    if (maxReadTime == null || maxReadTime.getMillis() <= 0) {
      throw new IllegalArgumentException("withMaxReadTime(d) needs d > 0, got " + maxReadTime);
    }
    return toBuilder().setMaxReadTime(maxReadTime).build();
  }

  /**
   * Start each partition at the first record with a timestamp at or after this instant instead of
   * the group's committed offsets.
   */
  public KafkaRecords withStartReadTime(Instant startReadTime) {
    return toBuilder().setStartReadTime(startReadTime).build();
  }

  /**
   * How far behind the newest timestamp already read in a partition a later record's timestamp may
   * be, and how far the reader's clock may be ahead of the broker's; the watermark stays this far
   * behind. Default {@value #DEFAULT_MAX_OUT_OF_ORDERNESS_SECONDS} s, enough for LogAppendTime
   * topics; raise it for CreateTime topics.
   */
  public KafkaRecords withMaxOutOfOrderness(Duration maxOutOfOrderness) {
    if (maxOutOfOrderness == null || maxOutOfOrderness.getMillis() < 0) {
      throw new IllegalArgumentException(
          "withMaxOutOfOrderness(d) needs d >= 0, got " + maxOutOfOrderness);
    }
    return toBuilder().setMaxOutOfOrderness(maxOutOfOrderness).build();
  }

  /**
   * The consumer properties this transform gives KafkaIO besides its own defaults: bootstrap
   * servers, the group, {@code enable.auto.commit=false}, {@code auto.offset.reset=earliest} unless
   * overridden, then the extra properties.
   *
   * @throws IllegalArgumentException naming the {@code withX()} call to fix
   */
  public Map<String, Object> consumerConfig() {
    String servers = bootstrapServers();
    if (servers == null || servers.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "KafkaRecords needs brokers: call withBootstrapServers(\"host:port[,host:port]\")");
    }
    String group = groupId();
    if (group == null || group.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "KafkaRecords needs a consumer group: call withGroupId(id); offsets are committed to it when a checkpoint "
              + "finalizes (auto-commit is off)");
    }
    for (String key : consumerProperties().keySet()) {
      String owner = RESERVED_PROPERTIES.get(key.trim().toLowerCase(Locale.ROOT));
      if (owner != null) {
        throw new IllegalArgumentException(
            "withConsumerProperties(...) must not set " + key + ": " + owner);
      }
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.trim());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group.trim());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(consumerProperties());
    return Collections.unmodifiableMap(config);
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    if (topics().isEmpty()) {
      throw new IllegalArgumentException(
          "KafkaRecords needs at least one topic: call withTopics(\"name\", ...)");
    }
    for (String topic : topics()) {
      if (topic == null || topic.trim().isEmpty()) {
        throw new IllegalArgumentException("withTopics(...) got an empty topic name: " + topics());
      }
    }
    Map<String, Object> config = consumerConfig();
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>read()
            .withBootstrapServers((String) config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG))
            .withTopics(topics())
            .withKeyDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withValueDeserializerAndCoder(
                ByteArrayDeserializer.class, NullableCoder.of(ByteArrayCoder.of()))
            .withConsumerConfigUpdates(config)
            .withTimestampPolicyFactory(KafkaArrivalTimePolicy.factory(maxOutOfOrderness()))
            .commitOffsetsInFinalize();
    if (maxNumRecords() != Long.MAX_VALUE) {
      read = read.withMaxNumRecords(maxNumRecords());
    }
    if (maxReadTime() != null) {
      read = read.withMaxReadTime(maxReadTime());
    }
    if (startReadTime() != null) {
      read = read.withStartReadTime(startReadTime());
    }
    return input
        .apply("ReadKafkaRecords", read)
        .apply("ToRawRecords", ParDo.of(new ToRawRecordFn()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(DisplayData.item("bootstrapServers", bootstrapServers()))
        .add(DisplayData.item("topics", String.join(",", topics())))
        .addIfNotNull(DisplayData.item("groupId", groupId()))
        // Keys only: values may hold credentials.
        .add(
            DisplayData.item(
                "consumerPropertyKeys", String.join(",", consumerProperties().keySet())))
        .add(DisplayData.item("maxOutOfOrderness", maxOutOfOrderness()))
        .addIfNotDefault(DisplayData.item("maxNumRecords", maxNumRecords()), Long.MAX_VALUE)
        .addIfNotNull(DisplayData.item("maxReadTime", maxReadTime()))
        .addIfNotNull(DisplayData.item("startReadTime", startReadTime()));
  }

  private static Map<String, String> reservedProperties() {
    Map<String, String> reserved = new LinkedHashMap<>();
    reserved.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "use withBootstrapServers(...)");
    reserved.put(ConsumerConfig.GROUP_ID_CONFIG, "use withGroupId(...)");
    reserved.put(
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
        "offsets are committed only when a checkpoint finalizes, auto-commit stays off");
    reserved.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "records are read as bytes");
    reserved.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "records are read as bytes");
    return Collections.unmodifiableMap(reserved);
  }

  /**
   * A Kafka record becomes a raw record: value bytes, coordinates, and the element timestamp as
   * arrival time.
   */
  private static final class ToRawRecordFn extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
    private static final long serialVersionUID = 1L;
    private static final byte[] EMPTY = new byte[0];

    private final Counter recordsRead = Metrics.counter(METRICS_NAMESPACE, RECORDS_READ);
    private final Counter nullValues = Metrics.counter(METRICS_NAMESPACE, NULL_VALUES);
    private final Counter notLogAppendTime =
        Metrics.counter(METRICS_NAMESPACE, NOT_LOG_APPEND_TIME);

    @ProcessElement
    public void processElement(
        @Element KafkaRecord<byte[], byte[]> record,
        @Timestamp Instant arrival,
        OutputReceiver<RawRecord> out) {
      byte[] value = record.getKV().getValue();
      if (value == null) {
        nullValues.inc();
        value = EMPTY;
      }
      if (record.getTimestampType() != KafkaTimestampType.LOG_APPEND_TIME) {
        notLogAppendTime.inc();
      }
      recordsRead.inc();
      // The element timestamp is the arrival policy's timestamp of the record: its Kafka timestamp.
      out.output(
          RawRecord.of(
              value,
              SourceRef.kafka(record.getTopic(), record.getPartition(), record.getOffset()),
              arrival.getMillis()));
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setBootstrapServers(String value);

    abstract Builder setTopics(List<String> value);

    abstract Builder setGroupId(String value);

    abstract Builder setConsumerProperties(Map<String, String> value);

    abstract Builder setMaxNumRecords(long value);

    abstract Builder setMaxReadTime(Duration value);

    abstract Builder setStartReadTime(Instant value);

    abstract Builder setMaxOutOfOrderness(Duration value);

    abstract KafkaRecords build();
  }
}
