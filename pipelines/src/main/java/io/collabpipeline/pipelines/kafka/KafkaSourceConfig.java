package io.collabpipeline.pipelines.kafka;

import com.google.auto.value.AutoValue;
import io.collabpipeline.pipelines.options.KafkaOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Kafka source of a job as typed, checked values: brokers, topics, consumer group and extra
 * consumer properties. Built once from the command line by {@link #fromOptions} (the only code that
 * reads {@link KafkaOptions}), then turned into the source transform by {@link #read()}.
 *
 * <pre>{@code
 * KafkaSourceConfig kafka = KafkaSourceConfig.fromOptions(options.as(KafkaOptions.class));
 * PCollection<RawRecord> records = pipeline.apply("ReadKafka", kafka.read());
 * }</pre>
 */
@AutoValue
public abstract class KafkaSourceConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Kafka's own rule for topic names. */
  private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  /** {@code host:port[,host:port...]}, without blanks. */
  public abstract String bootstrapServers();

  /** The topics to read (all partitions of each), at least one, no repeats. */
  public abstract List<String> topics();

  /** The consumer group offsets are committed to when a checkpoint finalizes. */
  public abstract String groupId();

  /**
   * Extra consumer properties (security settings, say); never one that {@link KafkaRecords} owns.
   */
  public abstract Map<String, String> consumerProperties();

  /**
   * Checks the Kafka options and returns them as a config.
   *
   * @throws IllegalArgumentException with a one-line message naming the bad option
   */
  public static KafkaSourceConfig fromOptions(KafkaOptions options) {
    KafkaSourceConfig config =
        new AutoValue_KafkaSourceConfig(
            bootstrapServers(options.getKafkaBootstrapServers()),
            topics(options.getKafkaTopics()),
            groupId(options.getKafkaGroupId()),
            Collections.unmodifiableMap(consumerProperties(options.getKafkaConsumerProperties())));
    config.read().consumerConfig(); // the transform's own checks, so a mistake shows now and not at
    // expansion
    return config;
  }

  /**
   * The source these settings describe (unbounded; offsets committed when checkpoints finalize).
   */
  public KafkaRecords read() {
    return KafkaRecords.read()
        .withBootstrapServers(bootstrapServers())
        .withTopics(topics())
        .withGroupId(groupId())
        .withConsumerProperties(consumerProperties());
  }

  /**
   * Checks {@code host:port[,host:port...]} ({@code --kafkaBootstrapServers}); returns it without
   * blanks.
   */
  public static String bootstrapServers(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "--kafkaBootstrapServers is empty: give host:port[,host:port...]");
    }
    List<String> servers = new ArrayList<>();
    for (String server : value.split(",", -1)) {
      String s = server.trim();
      int colon = s.lastIndexOf(':');
      boolean ok = colon > 0 && colon < s.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(s.substring(colon + 1));
          ok = port >= 1 && port <= 65535;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "--kafkaBootstrapServers=" + value + ": '" + s + "' is not host:port (port 1-65535)");
      }
      servers.add(s);
    }
    return String.join(",", servers);
  }

  /** Splits and checks the comma-separated topic names of {@code --kafkaTopics}. */
  public static List<String> topics(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "--kafkaTopics is empty: give one or more topics, e.g. --kafkaTopics="
              + KafkaOptions.DEFAULT_TOPIC);
    }
    List<String> topics = new ArrayList<>();
    for (String topic : value.split(",", -1)) {
      String t = topic.trim();
      if (!TOPIC_NAME.matcher(t).matches() || t.equals(".") || t.equals("..")) {
        throw new IllegalArgumentException(
            "--kafkaTopics="
                + value
                + ": '"
                + t
                + "' is not a Kafka topic name (1-249 of [A-Za-z0-9._-])");
      }
      if (topics.contains(t)) {
        throw new IllegalArgumentException("--kafkaTopics=" + value + " names '" + t + "' twice");
      }
      topics.add(t);
    }
    return Collections.unmodifiableList(topics);
  }

  private static String groupId(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "--kafkaGroupId is empty: offsets are committed to a consumer group, give one, e.g. --kafkaGroupId="
              + KafkaOptions.DEFAULT_GROUP_ID);
    }
    return value.trim();
  }

  /**
   * Parses {@code key=value;key=value} (blank pairs ignored; a value may contain '='); null gives
   * no properties.
   */
  private static Map<String, String> consumerProperties(String value) {
    Map<String, String> properties = new LinkedHashMap<>();
    if (value == null) {
      return properties;
    }
    String[] pairs = value.split(";", -1);
    for (int i = 0; i < pairs.length; i++) {
      String pair = pairs[i];
      if (pair.trim().isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? "" : pair.substring(0, eq).trim();
      if (key.isEmpty()) {
        // Never echo the text: it may be (part of) a credential.
        throw new IllegalArgumentException(
            "--kafkaConsumerProperties: pair "
                + (i + 1)
                + " is not key=value (separate pairs with ';')");
      }
      if (properties.containsKey(key)) {
        throw new IllegalArgumentException("--kafkaConsumerProperties sets " + key + " twice");
      }
      String owner = reservedConsumerProperty(key);
      if (owner != null) {
        throw new IllegalArgumentException(
            "--kafkaConsumerProperties must not set " + key + ": " + owner);
      }
      properties.put(key, pair.substring(eq + 1).trim());
    }
    return properties;
  }

  /** Why a consumer property may not be set through --kafkaConsumerProperties; null when it may. */
  private static String reservedConsumerProperty(String key) {
    switch (key) {
      case "bootstrap.servers":
        return "use --kafkaBootstrapServers";
      case "group.id":
        return "use --kafkaGroupId";
      case "enable.auto.commit":
        return "offsets are committed only when a checkpoint completes, auto-commit stays off";
      case "key.deserializer":
      case "value.deserializer":
        return "records are read as bytes";
      default:
        return null;
    }
  }
}
