package io.collabpipeline.tools.devstack;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link KafkaBroker}, the dev stack's broker process ({@code kafka.Kafka}), keeps its records
 * across a controlled stop and start and across a {@code kill -9}: the same records, at the same
 * offsets, with the same broker-assigned timestamps, in the topic the first start created.
 */
@RunWith(JUnit4.class)
public class KafkaBrokerDurabilityTest {
  private static final String TOPIC = LocalKafka.DEV_TOPIC;
  private static final int PARTITIONS = LocalKafka.DEV_PARTITIONS;
  private static final int N = 2_000;

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;

  @After
  public void stopBroker() throws Exception {
    if (dir != null) {
      KafkaBroker.stop(dir);
    }
  }

  private KafkaBroker.Settings settings(int port, int controllerPort) {
    // The broker JVM runs on the test classpath (surefire's real one, not its manifest jar).
    return KafkaBroker.Settings.in(dir)
        .ports(port, controllerPort)
        .heap("512m")
        .classpath(
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
  }

  @Test
  public void recordsSurviveAStopAndStartAndAKillMinus9OfTheBrokerProcess() throws Exception {
    dir = tmp.newFolder("kafka").toPath();
    int port = freePort();
    int controllerPort = freePort();

    KafkaBroker first = KafkaBroker.start(settings(port, controllerPort));
    assertThat(first.createdTopics(), equalTo(List.of(TOPIC)));
    assertThat(KafkaBroker.running(dir).map(ProcessHandle::pid), equalTo(Optional.of(first.pid())));
    String clusterId = clusterId();
    Map<String, String> firstBatch = produce(first.bootstrapServers(), "a", N);

    // A controlled stop: the process is gone, its log is not.
    first.stop();
    assertThat(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false), is(false));
    assertThat(KafkaBroker.running(dir), equalTo(Optional.empty()));

    KafkaBroker second = KafkaBroker.start(settings(port, controllerPort));
    assertThat(second.pid(), not(first.pid()));
    assertThat("the topic was kept, not created again", second.createdTopics(), empty());
    assertThat("the log was not formatted again", clusterId(), equalTo(clusterId));
    assertTopicConfig(second.bootstrapServers());
    assertThat(consume(second.bootstrapServers()), equalTo(firstBatch));
    Map<String, String> secondBatch = produce(second.bootstrapServers(), "b", N);

    // kill -9: no controlled shutdown; the next start recovers the log.
    ProcessHandle.of(second.pid()).orElseThrow().destroyForcibly();
    ProcessHandle.of(second.pid()).ifPresent(h -> h.onExit().join());

    KafkaBroker third = KafkaBroker.start(settings(port, controllerPort));
    assertThat(third.createdTopics(), empty());
    Map<String, String> all = new HashMap<>(firstBatch);
    all.putAll(secondBatch);
    assertThat(consume(third.bootstrapServers()), equalTo(all));
    third.stop();
  }

  @Test
  public void theCommandLineStartsReportsAndStopsTheBroker() throws Exception {
    dir = tmp.newFolder("kafka-cli").toPath();
    int port = freePort();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    // main() runs the broker on this JVM's java.class.path: the test passes the same classpath
    // through Settings, so run() is exercised for status and stop and for its option errors.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(out, err, "status", "--dir=" + dir), is(3));
    assertThat(out.toString(StandardCharsets.UTF_8), containsString("kafka: not running"));

    KafkaBroker broker =
        KafkaBroker.start(
            KafkaBroker.Settings.in(dir).ports(port, freePort()).heap("512m").classpath(classpath));
    out.reset();
    assertThat(run(out, err, "status", "--dir=" + dir), is(0));
    assertThat(
        out.toString(StandardCharsets.UTF_8),
        containsString("kafka: running (pid " + broker.pid() + ","));
    assertThat(
        Files.readString(dir.resolve(KafkaBroker.SERVER_PROPERTIES)),
        containsString("process.roles=broker,controller"));

    out.reset();
    assertThat(run(out, err, "stop", "--dir=" + dir), is(0));
    assertThat(out.toString(StandardCharsets.UTF_8), containsString("kafka: stopped"));
    assertThat(KafkaBroker.running(dir), equalTo(Optional.empty()));

    err.reset();
    assertThat(run(out, err, "start", "--dir=" + dir, "--port=x"), is(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("--port=x"));
    assertThat(run(out, err, "start", "--port=1"), is(2));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("--dir=DIR is required"));
  }

  private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
    return KafkaBroker.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String clusterId() throws Exception {
    for (String line :
        Files.readAllLines(dir.resolve(KafkaBroker.DATA_DIR).resolve("meta.properties"))) {
      if (line.startsWith("cluster.id=")) {
        return line;
      }
    }
    throw new AssertionError("no cluster.id in meta.properties");
  }

  /** Sends {@code n} keyed records, spread over the partitions, each acknowledged by the log. */
  private static Map<String, String> produce(String bootstrap, String prefix, int n)
      throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    Map<String, String> sent = new HashMap<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(
            producer.send(
                new ProducerRecord<>(TOPIC, i % PARTITIONS, prefix + i, "value-" + prefix + i)));
      }
      for (int i = 0; i < n; i++) {
        RecordMetadata md = futures.get(i).get(60, TimeUnit.SECONDS);
        sent.put(prefix + i, where(md.partition(), md.offset(), md.timestamp()));
      }
    }
    return sent;
  }

  /**
   * Every record of the topic from the beginning, by key: where it is, as {@link #where} of the
   * producer's acknowledgements.
   */
  private static Map<String, String> consume(String bootstrap) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, String> read = new HashMap<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(TOPIC, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!caughtUp(consumer, end) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          assertThat(r.value(), equalTo("value-" + r.key()));
          read.put(r.key(), where(r.partition(), r.offset(), r.timestamp()));
        }
      }
    }
    return read;
  }

  /** Partition, offset and (broker-assigned) timestamp of a record. */
  private static String where(int partition, long offset, long timestamp) {
    return partition + "@" + offset + " t=" + timestamp;
  }

  private static boolean caughtUp(
      KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static void assertTopicConfig(String bootstrap) throws Exception {
    try (Admin admin =
        Admin.create(
            Collections.<String, Object>singletonMap(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      assertThat(
          admin
              .describeTopics(List.of(TOPIC))
              .allTopicNames()
              .get(60, TimeUnit.SECONDS)
              .get(TOPIC)
              .partitions()
              .size(),
          is(PARTITIONS));
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
      Config config =
          admin.describeConfigs(List.of(resource)).all().get(60, TimeUnit.SECONDS).get(resource);
      assertThat(config.get("message.timestamp.type").value(), equalTo("LogAppendTime"));
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
