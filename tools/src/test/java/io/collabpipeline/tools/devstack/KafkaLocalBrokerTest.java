package io.collabpipeline.tools.devstack;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertThrows;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link LocalKafka}: starts on a fixed or free loopback port, creates LogAppendTime topics, and
 * closes cleanly.
 */
@RunWith(JUnit4.class)
public class KafkaLocalBrokerTest {

  @Test
  public void startsCreatesLogAppendTimeTopicsAndReleasesItsPortOnClose() throws Exception {
    int port = freePort();
    LocalKafka kafka = LocalKafka.start(port);
    try {
      assertThat(kafka.bootstrapServers(), equalTo("127.0.0.1:" + port));
      kafka.createTopic("events", 3);
      try (Admin admin = kafka.admin()) {
        TopicDescription description =
            admin
                .describeTopics(Collections.singletonList("events"))
                .allTopicNames()
                .get(60, TimeUnit.SECONDS)
                .get("events");
        assertThat(description.partitions().size(), equalTo(3));
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "events");
        Config config =
            admin
                .describeConfigs(Collections.singletonList(resource))
                .all()
                .get(60, TimeUnit.SECONDS)
                .get(resource);
        assertThat(config.get("message.timestamp.type").value(), equalTo("LogAppendTime"));
        assertThat(
            config.get("max.message.bytes").value(),
            equalTo(Integer.toString(LocalKafka.MAX_MESSAGE_BYTES)));
      }
      IllegalStateException exists =
          assertThrows(IllegalStateException.class, () -> kafka.createTopic("events", 3));
      assertThat(exists.getMessage(), containsString("exists"));

      // The broker, not the producer, stamps the record: a producer timestamp far in the past is
      // replaced.
      long before = System.currentTimeMillis();
      RecordMetadata md;
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              kafka.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
        md =
            producer
                .send(
                    new ProducerRecord<>(
                        "events", 0, 1_000L, null, "x".getBytes(StandardCharsets.UTF_8)))
                .get(60, TimeUnit.SECONDS);
      }
      long after = System.currentTimeMillis();
      assertThat(md.timestamp(), greaterThanOrEqualTo(before));
      assertThat(md.timestamp(), lessThanOrEqualTo(after));
    } finally {
      kafka.close();
    }
    // Closed: the port is free again.
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(socket.getLocalPort(), equalTo(port));
    }
  }

  @Test
  public void aTakenPortIsReportedByNumber() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> LocalKafka.start(taken.getLocalPort()));
      assertThat(e.getMessage(), containsString("127.0.0.1:" + taken.getLocalPort()));
      assertThat(e.getMessage(), containsString("in use"));
    }
  }

  @Test
  public void freePortBrokerServesClients() throws Exception {
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic("free", 1);
      try (Admin admin = kafka.admin()) {
        Map<String, ?> topics = admin.listTopics().namesToListings().get(60, TimeUnit.SECONDS);
        assertThat(topics.containsKey("free"), equalTo(true));
      }
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
