package io.collabpipeline.pipelines.options;

import io.collabpipeline.pipelines.sources.KafkaRecords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The Kafka source of {@code --source=kafka} (and the topic the generator's publisher writes to). The defaults match
 * the local dev stack: its broker listens on {@code 127.0.0.1:9092} and creates the topic {@code collab-events}.
 *
 * <p>Turn the options into a source with {@link #kafkaRecords(KafkaOptions)}; it checks every value and throws an
 * {@link IllegalArgumentException} whose one line names the option.
 */
public interface KafkaOptions extends PipelineOptions {

  /** The dev stack's broker address (bin/collab-devstack); production passes its own. */
  String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

  String DEFAULT_TOPIC = "collab-events";

  String DEFAULT_GROUP_ID = "collab-pipeline";

  @Description(
      "Kafka brokers to bootstrap from, host:port[,host:port...]. The default is the local dev stack's broker.")
  @Default.String(DEFAULT_BOOTSTRAP_SERVERS)
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String value);

  @Description("Comma-separated Kafka topics to read (all partitions of each).")
  @Default.String(DEFAULT_TOPIC)
  String getKafkaTopics();

  void setKafkaTopics(String value);

  @Description(
      "Kafka consumer group: offsets are committed to it only when a Flink checkpoint completes (no auto-commit); "
          + "a fresh start resumes there.")
  @Default.String(DEFAULT_GROUP_ID)
  String getKafkaGroupId();

  void setKafkaGroupId(String value);

  @Description(
      "Extra Kafka consumer properties, key=value;key=value (e.g. security.protocol=SASL_SSL). Pass secrets by "
          + "reference through Kafka config providers, e.g. config.providers=env;config.providers.env.class="
          + "org.apache.kafka.common.config.provider.EnvVarConfigProvider;sasl.jaas.config=${env:KAFKA_JAAS}.")
  String getKafkaConsumerProperties();

  void setKafkaConsumerProperties(String value);

  /** Kafka's own rule for topic names. */
  Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  /**
   * The Kafka source these options describe (unbounded; offsets committed when checkpoints finalize).
   *
   * @throws IllegalArgumentException with a one-line message naming the bad option
   */
  static KafkaRecords kafkaRecords(KafkaOptions options) {
    KafkaRecords source =
        KafkaRecords.read()
            .withBootstrapServers(bootstrapServers(options.getKafkaBootstrapServers()))
            .withTopics(topics(options.getKafkaTopics()))
            .withGroupId(groupId(options.getKafkaGroupId()))
            .withConsumerProperties(consumerProperties(options.getKafkaConsumerProperties()));
    source.consumerConfig(); // the transform's own checks, so a mistake shows now and not at expansion
    return source;
  }

  /** Checks {@code host:port[,host:port...]}; returns it without blanks. */
  static String bootstrapServers(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException("--kafkaBootstrapServers is empty: give host:port[,host:port...]");
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

  /** Splits and checks the comma-separated topic names. */
  static List<String> topics(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException("--kafkaTopics is empty: give one or more topics, e.g. --kafkaTopics=" + DEFAULT_TOPIC);
    }
    List<String> topics = new ArrayList<>();
    for (String topic : value.split(",", -1)) {
      String t = topic.trim();
      if (!TOPIC_NAME.matcher(t).matches() || t.equals(".") || t.equals("..")) {
        throw new IllegalArgumentException(
            "--kafkaTopics=" + value + ": '" + t + "' is not a Kafka topic name (1-249 of [A-Za-z0-9._-])");
      }
      if (topics.contains(t)) {
        throw new IllegalArgumentException("--kafkaTopics=" + value + " names '" + t + "' twice");
      }
      topics.add(t);
    }
    return Collections.unmodifiableList(topics);
  }

  /** Checks the consumer group id. */
  static String groupId(String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "--kafkaGroupId is empty: offsets are committed to a consumer group, give one, e.g. --kafkaGroupId="
              + DEFAULT_GROUP_ID);
    }
    return value.trim();
  }

  /** Parses {@code key=value;key=value} (blank pairs ignored; a value may contain '='); null gives no properties. */
  static Map<String, String> consumerProperties(String value) {
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
            "--kafkaConsumerProperties: pair " + (i + 1) + " is not key=value (separate pairs with ';')");
      }
      if (properties.containsKey(key)) {
        throw new IllegalArgumentException("--kafkaConsumerProperties sets " + key + " twice");
      }
      String owner = reservedConsumerProperty(key);
      if (owner != null) {
        throw new IllegalArgumentException("--kafkaConsumerProperties must not set " + key + ": " + owner);
      }
      properties.put(key, pair.substring(eq + 1).trim());
    }
    return properties;
  }

  /** Why a consumer property may not be set through --kafkaConsumerProperties; null when it may. */
  static String reservedConsumerProperty(String key) {
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
