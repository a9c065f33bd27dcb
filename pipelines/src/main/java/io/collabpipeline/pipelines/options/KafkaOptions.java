package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The Kafka source of {@code --source=kafka} (and the topic the generator's publisher writes to).
 * The defaults match the local dev stack: its broker listens on {@code 127.0.0.1:9092} and creates
 * the topic {@code collab-events}.
 *
 * <p>Read only by {@code KafkaSourceConfig.fromOptions}, which checks every value (one-line
 * messages naming the option) and turns them into the typed config the source is built from.
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
}
