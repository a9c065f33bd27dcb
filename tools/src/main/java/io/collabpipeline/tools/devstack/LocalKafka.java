package io.collabpipeline.tools.devstack;

import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.options.KafkaOptions;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.io.PrintStream;
import java.net.BindException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A single-node Kafka cluster (one combined KRaft broker and controller) running in this JVM, from
 * Maven artifacts only, for the tests and the dev stack: Kafka's own {@code KafkaClusterTestKit}.
 *
 * <p>The client listener binds {@code 127.0.0.1} on a fixed port ({@link #start(int)}, the dev
 * stack uses {@value #DEV_PORT}) or a free one ({@link #start()}); the test kit keeps a listener it
 * is given ({@code listeners} is only defaulted, to {@code localhost:0}), so a fixed port needs no
 * other launcher. The controller listener always takes a free port. Topics are created with {@code
 * message.timestamp.type=LogAppendTime} (the broker's own default is set to it too) so a record's
 * timestamp is its arrival time, and with {@code max.message.bytes} = {@value #MAX_MESSAGE_BYTES}
 * so records over the 1 MiB event limit reach the pipeline and are quarantined there.
 *
 * <p>The log lives in a temporary directory that {@link #close()} deletes: for the tests. The dev
 * stack runs the durable {@link KafkaBroker} instead, Kafka's own server process with its log under
 * {@code .collab-dev/kafka/}.
 */
public final class LocalKafka implements AutoCloseable {
  /** The dev stack's client port: the default of {@code --kafkaBootstrapServers}. */
  public static final int DEV_PORT = 9092;

  /** The dev stack's topic: the default of {@code --kafkaTopics}. */
  public static final String DEV_TOPIC = KafkaOptions.DEFAULT_TOPIC;

  /** Partitions of the dev stack's topic. */
  public static final int DEV_PARTITIONS = 4;

  /**
   * Largest record a topic accepts: the publisher's request limit, above the generator's too-large
   * records.
   */
  public static final int MAX_MESSAGE_BYTES = KafkaPublisher.MAX_REQUEST_BYTES;

  static final long ADMIN_TIMEOUT_SECONDS = 60;

  private final KafkaClusterTestKit cluster;
  private final String bootstrapServers;

  private LocalKafka(KafkaClusterTestKit cluster, String bootstrapServers) {
    this.cluster = cluster;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts a broker on a free loopback port. */
  public static LocalKafka start() throws Exception {
    return start(0);
  }

  /**
   * Starts a broker whose client listener is {@code 127.0.0.1:port} (0: a free port) and waits
   * until it is ready (a few seconds).
   *
   * @throws IllegalStateException if the port is taken, naming it
   */
  public static LocalKafka start(int port) throws Exception {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 (free) or 1-65535, got " + port);
    }
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .build();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
    for (Map.Entry<String, String> e : brokerConfig(port).entrySet()) {
      builder.setConfigProp(e.getKey(), e.getValue());
    }
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      BrokerServer broker = cluster.brokers().values().iterator().next();
      int bound = broker.boundPort(nodes.externalListenerName());
      return new LocalKafka(cluster, "127.0.0.1:" + bound);
    } catch (Exception e) {
      closeQuietly(cluster);
      if (hasCause(e, BindException.class)) {
        throw new IllegalStateException(
            "cannot start Kafka on 127.0.0.1:"
                + port
                + ": the port is in use (another broker or dev stack?)",
            e);
      }
      throw e;
    }
  }

  private static Map<String, String> brokerConfig(int port) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("listeners", "EXTERNAL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:0");
    config.putAll(brokerDefaults());
    return config;
  }

  /**
   * The broker settings of every dev and test broker, this one and the dev stack's durable {@link
   * KafkaBroker}: no automatic topics, LogAppendTime, the large-record limit, single-replica
   * internal topics.
   */
  static Map<String, String> brokerDefaults() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("auto.create.topics.enable", "false");
    config.put("log.message.timestamp.type", "LogAppendTime");
    config.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
    config.put("num.partitions", "1");
    // One broker: internal topics cannot have more replicas, and small ones start faster.
    config.put("offsets.topic.replication.factor", "1");
    config.put("offsets.topic.num.partitions", "4");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("transaction.state.log.num.partitions", "4");
    config.put("group.initial.rebalance.delay.ms", "0");
    return config;
  }

  /** {@code 127.0.0.1:port} of the client listener. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Client properties for an {@link Admin}, producer or consumer of this broker. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return config;
  }

  /** A new admin client of this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(clientConfig());
  }

  /**
   * Creates {@code topic} with {@code partitions} partitions, LogAppendTime timestamps and the
   * large-record limit, and waits until every partition has a leader.
   *
   * @throws IllegalStateException if the topic exists already
   */
  public void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = admin()) {
      if (!createTopic(admin, topic, partitions)) {
        throw new IllegalStateException(
            "topic " + topic + " exists already on " + bootstrapServers);
      }
    }
  }

  /**
   * Creates {@code topic} as {@link #createTopic(String, int)} does, through {@code admin}, and
   * waits until every partition has a leader; returns false, and changes nothing, if it exists.
   */
  public static boolean createTopic(Admin admin, String topic, int partitions) throws Exception {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
    configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
    try {
      admin
          .createTopics(
              Collections.singletonList(
                  new NewTopic(topic, partitions, (short) 1).configs(configs)))
          .all()
          .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw e;
    }
    awaitLeaders(admin, topic, partitions);
    return true;
  }

  static void awaitLeaders(Admin admin, String topic, int partitions) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
    while (true) {
      try {
        TopicDescription description =
            admin
                .describeTopics(Collections.singletonList(topic))
                .allTopicNames()
                .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .get(topic);
        int led = 0;
        for (TopicPartitionInfo p : description.partitions()) {
          if (p.leader() != null && !p.leader().isEmpty()) {
            led++;
          }
        }
        if (led == partitions && leadersServe(admin, topic, partitions)) {
          return;
        }
      } catch (ExecutionException e) {
        // UnknownTopicOrPartition until the metadata has propagated: try again.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "topic "
                + topic
                + " has no leader for every partition after "
                + ADMIN_TIMEOUT_SECONDS
                + " s");
      }
      Thread.sleep(50);
    }
  }

  /**
   * Whether the leader of every partition of {@code topic} answers as its leader: a request for the
   * latest offsets is served by the leader's replica manager, which takes up a new partition a
   * moment after the metadata names its leader. A produce request in that moment is refused ({@code
   * NOT_LEADER_OR_FOLLOWER}), and an idempotent producer whose first batch was refused so was seen
   * retrying it against a later sequence until its delivery timeout (a CI run of 2026-12-07). The
   * admin client retries a partition that is not led yet until its own timeout.
   */
  private static boolean leadersServe(Admin admin, String topic, int partitions)
      throws InterruptedException {
    Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
    for (int p = 0; p < partitions; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    try {
      admin.listOffsets(latest).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  /** Stops the broker and deletes its log. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }

  private static void closeQuietly(KafkaClusterTestKit cluster) {
    try {
      cluster.close();
    } catch (Exception ignored) {
      // Already failing: the original error matters more.
    }
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Starts the dev stack's broker and blocks until the process is killed: {@code --port=N} (default
   * {@value #DEV_PORT}, 0 = free), {@code --topics=a,b} (default {@value #DEV_TOPIC}), {@code
   * --partitions=N} (default {@value #DEV_PARTITIONS}). When ready it prints one line {@code kafka
   * ready: bootstrap=127.0.0.1:PORT topics=...}. Exit code 2 on bad options, 1 if the broker cannot
   * start.
   */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    int port = DEV_PORT;
    int partitions = DEV_PARTITIONS;
    List<String> topics = Collections.singletonList(DEV_TOPIC);
    try {
      for (String arg : args) {
        if (arg.startsWith("--port=")) {
          port = parseInt("--port", arg.substring("--port=".length()), 0, 65535);
        } else if (arg.startsWith("--partitions=")) {
          partitions = parseInt("--partitions", arg.substring("--partitions=".length()), 1, 1000);
        } else if (arg.startsWith("--topics=")) {
          topics = new ArrayList<>(KafkaSourceConfig.topics(arg.substring("--topics=".length())));
        } else {
          throw new IllegalArgumentException(
              "unknown option "
                  + arg.split("=", 2)[0]
                  + " (known: --port, --topics, --partitions)");
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("local-kafka: " + e.getMessage());
      return 2;
    }
    LocalKafka kafka;
    try {
      kafka = start(port);
      for (String topic : topics) {
        kafka.createTopic(topic, partitions);
      }
    } catch (Exception e) {
      err.println("local-kafka: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    LocalKafka running = kafka;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception ignored) {
                    // The process is ending anyway.
                  }
                  stopped.countDown();
                },
                "local-kafka-shutdown"));
    out.println(
        "kafka ready: bootstrap="
            + kafka.bootstrapServers()
            + " topics="
            + String.join(",", topics)
            + " partitions="
            + partitions
            + " timestamps=LogAppendTime");
    out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * {@code value} as an integer in {@code [min, max]}, else a one-line error naming {@code option}.
   */
  static int parseInt(String option, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        option + "=" + value + " must be an integer from " + min + " to " + max);
  }
}
