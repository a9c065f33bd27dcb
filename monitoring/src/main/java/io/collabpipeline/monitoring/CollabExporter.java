package io.collabpipeline.monitoring;

import com.sun.net.httpserver.HttpServer;
import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.warehouse.WarehouseConnections;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * {@code bin/collab-exporter}: serves {@code /metrics} in Prometheus's text format with what the
 * job's own metrics (Flink's Prometheus reporter) cannot say: the consumer lag measured at the
 * broker ({@link KafkaLag}) and the completeness of the curated output ({@link WarehouseSeries}).
 * Each source is read on each scrape; one that fails exports {@code collab_exporter_source_up 0}
 * and the others still answer. Never runs on a worker.
 *
 * <pre>{@code
 * bin/collab-exporter --port=9464 --kafkaBootstrapServers=127.0.0.1:9092 --kafkaGroupId=collab-pipeline \
 *     --warehouseUrl="$(bin/collab-postgres url)"
 * }</pre>
 */
public final class CollabExporter implements AutoCloseable {
  static final String UP = "collab_exporter_source_up";
  static final String SECONDS = "collab_exporter_collect_seconds";

  private final HttpServer server;
  private final KafkaLag kafka;
  private final WarehouseSeries warehouse;
  private final PrintStream log;

  private CollabExporter(ExporterOptions options, PrintStream log) throws IOException {
    if (options.getPort() < 0 || options.getPort() > 65535) {
      throw new UsageException("--port must be 0..65535, got " + options.getPort());
    }
    this.log = log;
    if (options.getExportKafkaLag()) {
      KafkaSourceConfig kafkaConfig = KafkaSourceConfig.fromOptions(options);
      this.kafka =
          new KafkaLag(
              kafkaConfig.bootstrapServers(),
              kafkaConfig.topics(),
              kafkaConfig.groupId(),
              kafkaConfig.consumerProperties());
    } else {
      this.kafka = null;
    }
    String url = options.getWarehouseUrl();
    if (url != null && !url.isEmpty()) {
      this.warehouse =
          new WarehouseSeries(
              WarehouseConnections.of(url, options, true),
              millis("--completenessLookback", options.getCompletenessLookback()),
              millis("--completenessGrace", options.getCompletenessGrace()));
    } else {
      this.warehouse = null;
    }
    this.server =
        HttpServer.create(new InetSocketAddress(options.getBindAddress(), options.getPort()), 0);
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
          }
        });
    server.setExecutor(Executors.newSingleThreadExecutor());
  }

  private static Duration millis(String option, String value) {
    return Duration.ofMillis(Durations.parse(option, value).getMillis());
  }

  /** Starts serving; {@link #port()} is the bound port. */
  public static CollabExporter start(ExporterOptions options, PrintStream log) throws IOException {
    CollabExporter exporter = new CollabExporter(options, log);
    exporter.server.start();
    return exporter;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** One scrape's body: every source, each fenced from the others' failures. */
  String scrape() {
    PromText out = new PromText();
    List<String[]> health = new ArrayList<>();
    if (kafka != null) {
      health.add(collect("kafka", () -> kafka.collect(out)));
    }
    if (warehouse != null) {
      health.add(collect("warehouse", () -> warehouse.collect(out, Instant.now())));
    }
    out.family(UP, "gauge", "1 if the exporter read this source on this scrape, else 0.");
    for (String[] h : health) {
      out.sample(UP, Double.parseDouble(h[1]), "source", h[0]);
    }
    out.family(SECONDS, "gauge", "Time this scrape spent reading the source.");
    for (String[] h : health) {
      out.sample(SECONDS, Double.parseDouble(h[2]), "source", h[0]);
    }
    return out.toString();
  }

  private interface Source {
    void collect() throws Exception;
  }

  private String[] collect(String name, Source source) {
    long start = System.nanoTime();
    String up = "1";
    try {
      source.collect();
    } catch (Exception e) {
      up = "0";
      // One line, the cause's class and message: never a record, never a credential-bearing URL.
      log.println(
          "collab-exporter: " + name + ": " + CommandLine.firstLine(CommandLine.rootMessage(e)));
    }
    return new String[] {name, up, Double.toString((System.nanoTime() - start) / 1e9)};
  }

  @Override
  public void close() {
    server.stop(0);
    if (kafka != null) {
      kafka.close();
    }
  }

  public static void main(String[] args) throws Exception {
    ExporterOptions options;
    try {
      options = CommandLine.parse(args, ExporterOptions.class);
    } catch (IllegalArgumentException | UsageException e) {
      System.err.println("collab-exporter: " + CommandLine.firstLine(e.getMessage()));
      System.exit(2);
      return;
    }
    CollabExporter exporter;
    try {
      exporter = start(options, System.err);
    } catch (UsageException e) {
      System.err.println("collab-exporter: " + CommandLine.firstLine(e.getMessage()));
      System.exit(2);
      return;
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("collab-exporter: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      System.exit(2);
      return;
    }
    System.out.println(
        "collab-exporter: serving http://"
            + options.getBindAddress()
            + ":"
            + exporter.port()
            + "/metrics");
    Runtime.getRuntime().addShutdownHook(new Thread(exporter::close));
    Thread.currentThread().join();
  }
}
