package io.collabpipeline.it.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.kafka.KafkaTopics;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.tools.devstack.LocalKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A Kafka job on a topic the brokers do not have is refused before it starts, with one line that
 * names the topic and exit code 2, where it used to start and fail in its source at every restart.
 */
@RunWith(JUnit4.class)
public class KafkaTopicCheckTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  public void theTopicsTheBrokersDoNotHaveAreNamedInTheOrderGiven() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic("present", 2);
      Map<String, Object> consumer = new HashMap<>(kafka.clientConfig());
      consumer.put(ConsumerConfig.GROUP_ID_CONFIG, "topic-check");
      assertThat(
          KafkaTopics.missing(consumer, List.of("absent-b", "present", "absent-a"), TIMEOUT),
          equalTo(List.of("absent-b", "absent-a")));
      assertThat(KafkaTopics.missing(consumer, List.of("present"), TIMEOUT), equalTo(List.of()));
    }
  }

  @Test
  public void brokersThatDoNotAnswerAreATimeoutNotAMissingTopic() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, Object> consumer = new HashMap<>();
    consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + closedPort);
    consumer.put(ConsumerConfig.GROUP_ID_CONFIG, "topic-check");
    assertThrows(
        org.apache.kafka.common.errors.TimeoutException.class,
        () -> KafkaTopics.missing(consumer, List.of("any"), Duration.ofSeconds(2)));
  }

  @Test
  public void aJobOnAMissingTopicIsOneLineAndExitCodeTwo() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic("present", 1);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          JobLauncher.runCli(
              new String[] {
                "--source=kafka",
                "--allowDevKey=true",
                "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
                "--kafkaTopics=present,no-such-topic",
                "--kafkaGroupId=topic-check",
                "--dataDir=" + tmp.newFolder("data")
              },
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      String message = err.toString(StandardCharsets.UTF_8);
      assertThat(message, code, equalTo(2));
      assertThat(
          message,
          equalTo(
              "collab-pipeline: --kafkaTopics: the brokers "
                  + kafka.bootstrapServers()
                  + " have no topic no-such-topic; create it first (the dev stack creates"
                  + " collab-events; elsewhere kafka-topics.sh --create), or name an existing"
                  + " topic: the job never creates one"
                  + System.lineSeparator()));
      assertThat(out.toString(StandardCharsets.UTF_8), not(containsString("Exception")));
      try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
        assertThat(
            "the check created no topic",
            admin.listTopics().names().get(),
            equalTo(java.util.Set.of("present")));
      }
    }
  }
}
