package io.collabpipeline.it.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.options.KafkaOptions;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link KafkaOptions} through {@link KafkaSourceConfig}: the dev-stack defaults, parsing, and
 * one-line errors naming the option.
 */
@RunWith(JUnit4.class)
public class KafkaOptionsTest {

  private static KafkaOptions parse(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(KafkaOptions.class);
  }

  @Test
  public void defaultsPointAtTheDevStack() {
    Map<String, Object> config = KafkaSourceConfig.fromOptions(parse()).read().consumerConfig();
    assertThat(config.get("bootstrap.servers"), equalTo("127.0.0.1:9092"));
    assertThat(config.get("group.id"), equalTo("collab-pipeline"));
    assertThat(parse().getKafkaTopics(), equalTo("collab-events"));
  }

  @Test
  public void valuesBecomeTheSourceConfiguration() {
    KafkaOptions o =
        parse(
            "--kafkaBootstrapServers=broker-1:9093, broker-2:9093",
            "--kafkaTopics=events-a,events-b",
            "--kafkaGroupId=collab-prod",
            "--kafkaConsumerProperties=security.protocol=SASL_SSL; sasl.jaas.config=${env:KAFKA_JAAS};;");
    Map<String, Object> config = KafkaSourceConfig.fromOptions(o).read().consumerConfig();
    assertThat(config.get("bootstrap.servers"), equalTo("broker-1:9093,broker-2:9093"));
    assertThat(config.get("group.id"), equalTo("collab-prod"));
    assertThat(config.get("security.protocol"), equalTo("SASL_SSL"));
    assertThat(config.get("sasl.jaas.config"), equalTo("${env:KAFKA_JAAS}"));
    assertThat(config.get("enable.auto.commit"), equalTo(false));
    assertThat(
        KafkaSourceConfig.topics(o.getKafkaTopics()),
        equalTo(java.util.Arrays.asList("events-a", "events-b")));
    // Display data names the extra properties but never their values.
    String display = DisplayData.from(KafkaSourceConfig.fromOptions(o).read()).toString();
    assertThat(display, containsString("sasl.jaas.config"));
    assertThat(display, not(containsString("KAFKA_JAAS")));
  }

  @Test
  public void badValuesGiveOneLineNamingTheOption() {
    assertBad("--kafkaBootstrapServers", "--kafkaBootstrapServers=localhost");
    assertBad("--kafkaBootstrapServers", "--kafkaBootstrapServers=h:99999");
    assertBad("--kafkaTopics", "--kafkaTopics=a,,b");
    assertBad("--kafkaTopics", "--kafkaTopics=bad topic");
    assertBad("--kafkaTopics", "--kafkaTopics=a,a");
    assertBad("--kafkaGroupId", "--kafkaGroupId= ");
    assertBad("--kafkaConsumerProperties", "--kafkaConsumerProperties=novalue");
    assertBad("--kafkaConsumerProperties", "--kafkaConsumerProperties=group.id=x");
    assertBad("--kafkaConsumerProperties", "--kafkaConsumerProperties=enable.auto.commit=true");
    assertBad("--kafkaConsumerProperties", "--kafkaConsumerProperties=a=1;a=2");
  }

  @Test
  public void aMalformedPropertyPairIsNotEchoed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KafkaSourceConfig.fromOptions(parse("--kafkaConsumerProperties=a=1;hunter2secret"))
                    .read());
    assertThat(e.getMessage(), not(containsString("hunter2secret")));
    assertThat(e.getMessage(), containsString("pair 2"));
  }

  private static void assertBad(String option, String arg) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> KafkaSourceConfig.fromOptions(parse(arg)).read());
    assertThat(arg, e.getMessage(), startsWith(option));
    assertThat(arg, e.getMessage().contains("\n"), equalTo(false));
  }
}
