package io.collabpipeline.tools.benchmark;

import io.collabpipeline.collector.AppKeys;
import io.collabpipeline.collector.CollectorServer;
import io.collabpipeline.collector.EdgeProducer;
import io.collabpipeline.collector.LoadClient;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.tools.devstack.KafkaBroker;
import io.collabpipeline.transforms.pii.KeyReference;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * {@code bin/collab-benchmark --modes=collector}: the collector under HTTP load. Starts the dev
 * stack's durable broker process ({@link KafkaBroker}, on free ports, its own JVM) unless {@code
 * --kafkaBootstrapServers} names one, starts the collector in this JVM, and drives it with the
 * project's load client ({@link LoadClient}: {@code --connections} closed-loop HTTP/1.1 clients
 * posting JSON arrays of {@code --batch} generated events, the default mix with 1% malformed).
 * Prints accepted events/s and P50/P99/max request latency, per repeat after a warm-up.
 */
final class CollectorBenchmark {
  private static final String APP_KEY = "benchmark-app-key-0123456789";

  private CollectorBenchmark() {}

  static int run(String[] args) throws Exception {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            " for --modes=collector",
            "--events=N",
            "--batch=N",
            "--connections=N",
            "--repeats=N",
            "--kafkaBootstrapServers=HOST:PORT");
    long events = o.positive("events", 200_000);
    int batch = o.positiveInt("batch", 100);
    int connections = o.positiveInt("connections", 16);
    int repeats = o.positiveOrZero("repeats", 3);
    String bootstrap = o.get("kafkaBootstrapServers", null);
    Path dir = WorkDirs.temporary("collab-bench-collector");
    KafkaBroker broker = null;
    if (bootstrap == null) {
      broker =
          KafkaBroker.start(
              KafkaBroker.Settings.in(dir.resolve("kafka"))
                  .ports(freePort(), freePort())
                  .topics(List.of(EdgeProducer.DEFAULT_TOPIC), 4));
      bootstrap = broker.bootstrapServers();
    }
    try {
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        EdgeProducer.ensureQuarantineTopic(admin, EdgeProducer.DEFAULT_QUARANTINE_TOPIC, 1);
      }
      Path keyFile = dir.resolve("app.key");
      Files.writeString(keyFile, APP_KEY);
      EdgeProducer edge =
          new EdgeProducer(
              new KafkaProducer<>(EdgeProducer.producerConfig(bootstrap, Duration.ofSeconds(10))),
              EdgeProducer.DEFAULT_TOPIC,
              EdgeProducer.DEFAULT_QUARANTINE_TOPIC,
              KeyReference.dev());
      try (CollectorServer server =
          CollectorServer.start(
              new CollectorServer.Config().port(0).rateLimit(1e9, 1e9),
              AppKeys.resolve("bench=file:" + keyFile),
              edge)) {
        URI uri =
            URI.create(
                "http://127.0.0.1:" + server.address().getPort() + CollectorServer.EVENTS_PATH);
        System.out.printf(
            Locale.ROOT,
            "collab-benchmark collector: %,d generated events per repeat in batches of %d, %d"
                + " connections; broker %s (%s); collector and load client in this JVM; %d cores,"
                + " Java %s%n",
            events,
            batch,
            connections,
            bootstrap,
            broker == null ? "given" : "a KafkaBroker process on this machine",
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.version"));
        for (int r = 0; r <= repeats; r++) {
          List<byte[]> bodies = LoadClient.batches(generate(events, r), batch);
          LoadClient.Report report =
              new LoadClient(uri, APP_KEY, connections, false).run(bodies, Duration.ofMinutes(10));
          System.out.printf(
              Locale.ROOT,
              "  %-9s %,9d accepted + %,6d quarantined in %6.2f s: %,8.0f events/s accepted;"
                  + " request latency P50 %6.1f ms, P99 %6.1f ms, max %6.1f ms; %d retries, %d"
                  + " batches refused%n",
              r == 0 ? "warm-up" : "repeat " + r,
              report.acceptedEvents,
              report.quarantinedEvents,
              report.seconds,
              report.eventsPerSecond(),
              report.latencyMillis(0.50),
              report.latencyMillis(0.99),
              report.latencyMillis(1.0),
              report.retries,
              report.failedBatches);
        }
      }
      edge.close();
    } finally {
      if (broker != null) {
        broker.stop();
      }
    }
    return 0;
  }

  /** The generator's deliveries, each repeat with its own event ids, occurring around now. */
  private static List<byte[]> generate(long events, int repeat) {
    WorkloadGenerator g =
        new WorkloadGenerator(
            WorkloadSpec.defaults()
                .withDeliveries(events)
                .withSeed(20261201L + repeat)
                .withStart(Instant.now().minus(Duration.ofHours(2)))
                .withSyntheticRate(Math.max(1.0, events / 3600.0)));
    List<byte[]> out = new ArrayList<>((int) events);
    for (long i = 0; i < events; i++) {
      out.add(g.delivery(i).bytes());
    }
    return out;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
