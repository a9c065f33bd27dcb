package io.collabpipeline.monitoring;

import com.sun.net.httpserver.HttpServer;
import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.canary.Canaries;
import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.warehouse.CanaryTables;
import io.collabpipeline.pipelines.warehouse.CanaryTables.CanaryRow;
import io.collabpipeline.pipelines.warehouse.CanaryTables.FreshnessRow;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.pipelines.warehouse.snowflake.SnowflakeCanaryTables;
import io.collabpipeline.pipelines.warehouse.snowflake.SnowflakeConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code bin/collab-canary}: the freshness probe (issue 9, point 2). Every {@code --interval} it
 * publishes one canary event ({@link Canaries}) into every partition of the job's topic, naming the
 * partition; the job carries it like any event through validation and dedup and writes it to {@code
 * pipeline_canary} (never to the curated metrics). Every {@code --pollInterval} the probe asks the
 * warehouse which of its canaries have a row there; a canary's latency is the first time the probe
 * saw its row minus its {@code occurred_at} (the moment the probe made it, just before publishing),
 * so it measures the real path from the producer to a query that finds the row. Each canary is
 * stored in {@code pipeline_freshness} (published, queryable, latency; queryable NULL while
 * missing), and {@code /metrics} serves, per topic:
 *
 * <ul>
 *   <li>{@value #TOTAL}: canaries published (the broker acknowledged them);
 *   <li>{@value #SLOW}: canaries not queryable within {@code --slowAfter} (3 minutes), counted once
 *       when they show up late or when the time has passed without them;
 *   <li>{@value #LATENCY}{@code {quantile="0.5"|"0.95"}}: nearest-rank P50 and P95 of the latencies
 *       of the canaries published in the last {@code --quantileWindow} (15 minutes) that became
 *       queryable (NaN when none did), with {@value #WINDOW_CANARIES} how many that is;
 *   <li>{@value #PENDING}, {@value #PUBLISH_ERRORS}, and {@value #UP}{@code {source}} for the
 *       broker and the warehouse.
 * </ul>
 *
 * The counting rules are {@link CanaryTracker}'s. Never runs on a worker.
 *
 * <pre>{@code
 * bin/collab-canary --port=9466 --kafkaBootstrapServers=127.0.0.1:9092 --kafkaTopics=collab-events \
 *     --warehouseUrl="$(bin/collab-postgres url)"
 * }</pre>
 *
 * On Snowflake ({@code --warehouseUrl=jdbc:snowflake://...} with the job's {@code --snowflake*}
 * connection options) the probe reads and writes through {@link SnowflakeCanaryTables}.
 */
public final class CollabCanary implements AutoCloseable {
  static final String TOTAL = "collab_probe_canaries_total";
  static final String SLOW = "collab_probe_canaries_slow_total";
  static final String LATENCY = "collab_probe_freshness_seconds";
  static final String WINDOW_CANARIES = "collab_probe_freshness_window_canaries";
  static final String PENDING = "collab_probe_canaries_pending";
  static final String PUBLISH_ERRORS = "collab_probe_publish_errors_total";
  static final String UP = "collab_probe_source_up";

  static final double[] QUANTILES = {0.5, 0.95};

  /** The probe's settings, checked. */
  record Settings(
      String topic,
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      String warehouseUrl,
      SnowflakeIO.@Nullable DataSourceConfiguration snowflake,
      long intervalMillis,
      long pollMillis,
      long slowAfterMillis,
      long windowMillis,
      long forgetAfterMillis,
      String bindAddress,
      int port) {

    /** Settings of a probe on a JDBC warehouse (DuckDB or PostgreSQL), no Snowflake connection. */
    Settings(
        String topic,
        String bootstrapServers,
        Map<String, String> kafkaProperties,
        String warehouseUrl,
        long intervalMillis,
        long pollMillis,
        long slowAfterMillis,
        long windowMillis,
        long forgetAfterMillis,
        String bindAddress,
        int port) {
      this(
          topic,
          bootstrapServers,
          kafkaProperties,
          warehouseUrl,
          null,
          intervalMillis,
          pollMillis,
          slowAfterMillis,
          windowMillis,
          forgetAfterMillis,
          bindAddress,
          port);
    }

    /**
     * From the command line; {@link IllegalArgumentException} (a {@link UsageException} among them)
     * with a one-line message naming the option.
     */
    static Settings from(CanaryOptions o) {
      KafkaSourceConfig kafka = KafkaSourceConfig.fromOptions(o);
      if (kafka.topics().size() != 1) {
        throw new UsageException(
            "--kafkaTopics: the probe publishes into one topic, got "
                + kafka.topics().size()
                + " (run one probe per topic)");
      }
      String url = o.getWarehouseUrl();
      if (url == null || url.isBlank()) {
        throw new UsageException(
            "--warehouseUrl is required: the job's warehouse, where pipeline_canary is");
      }
      SnowflakeIO.DataSourceConfiguration snowflake = null;
      if (url.startsWith(WarehouseTargets.SNOWFLAKE_URL_PREFIX)) {
        if (!SnowflakeConfig.isGiven(o)) {
          throw new UsageException(
              "--warehouseUrl="
                  + Warehouses.redact(url)
                  + " selects Snowflake: also give --snowflakeAccountUrl, --snowflakeUser, a"
                  + " credential reference, --snowflakeDatabase, --snowflakeSchema,"
                  + " --snowflakeWarehouse and --snowflakeRole");
        }
        snowflake = SnowflakeConfig.connectionFromOptions(o);
      } else {
        Warehouses.checkSupported(url);
      }
      if (url.startsWith("jdbc:duckdb:")) {
        throw new UsageException(
            "--warehouseUrl: the job's process holds the embedded DuckDB file, so the probe cannot"
                + " read it; run the job and the probe on PostgreSQL (bin/collab-postgres url)");
      }
      long interval = positive("interval", o.getInterval());
      long poll = positive("pollInterval", o.getPollInterval());
      long slow = positive("slowAfter", o.getSlowAfter());
      long window = positive("quantileWindow", o.getQuantileWindow());
      long forget = positive("forgetAfter", o.getForgetAfter());
      if (forget < slow) {
        throw new UsageException("--forgetAfter must be at least --slowAfter");
      }
      if (o.getPort() < 0 || o.getPort() > 65535) {
        throw new UsageException("--port must be 0..65535, got " + o.getPort());
      }
      return new Settings(
          kafka.topics().get(0),
          kafka.bootstrapServers(),
          kafka.consumerProperties(),
          url,
          snowflake,
          interval,
          poll,
          slow,
          window,
          forget,
          o.getBindAddress(),
          o.getPort());
    }

    private static long positive(String option, String value) {
      long millis = Durations.parse(option, value).getMillis();
      if (millis <= 0) {
        throw new UsageException("--" + option + " must be positive, got " + value);
      }
      return millis;
    }
  }

  private final Settings settings;
  private final PrintStream log;
  private final HttpServer server;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ScheduledExecutorService loop;
  private final CanaryTracker tracker;

  // Guarded by this (the loop writes, scrapes read).
  private long publishErrors;
  private boolean kafkaUp = true;
  private boolean warehouseUp = true;

  /** Used by the loop's thread only: the open warehouse, and its canary tables. */
  private AutoCloseable warehouse;

  private CanaryTables tables;

  private CollabCanary(Settings settings, PrintStream log) throws IOException {
    this.settings = settings;
    this.log = log;
    this.tracker =
        new CanaryTracker(
            settings.slowAfterMillis(), settings.windowMillis(), settings.forgetAfterMillis());
    Map<String, Object> config = new HashMap<>(settings.kafkaProperties());
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "collab-canary");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    this.producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    this.server =
        HttpServer.create(new InetSocketAddress(settings.bindAddress(), settings.port()), 0);
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body = scrape(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
          }
        });
    server.setExecutor(Executors.newSingleThreadExecutor());
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "collab-canary");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts publishing, polling and serving; {@link #port()} is the bound port. */
  static CollabCanary start(Settings settings, PrintStream log) throws IOException {
    CollabCanary probe = new CollabCanary(settings, log);
    probe.server.start();
    probe.loop.scheduleAtFixedRate(
        probe.guarded(probe::publishRound), 0, settings.intervalMillis(), TimeUnit.MILLISECONDS);
    probe.loop.scheduleWithFixedDelay(
        probe.guarded(probe::poll),
        settings.pollMillis(),
        settings.pollMillis(),
        TimeUnit.MILLISECONDS);
    return probe;
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** A scheduled task that never dies of an exception (which would cancel its schedule). */
  private Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.println("collab-canary: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      }
    };
  }

  /** One canary into every partition of the topic, each acknowledged by the broker. */
  private void publishRound() {
    List<FreshnessRow> rows = new ArrayList<>();
    boolean ok = true;
    try {
      List<PartitionInfo> partitions = producer.partitionsFor(settings.topic());
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      List<FreshnessRow> attempted = new ArrayList<>();
      for (PartitionInfo p : partitions) {
        long now = System.currentTimeMillis();
        String id = Canaries.eventId(p.partition(), now);
        byte[] value =
            Canaries.json(id, Instant.ofEpochMilli(now)).getBytes(StandardCharsets.UTF_8);
        sent.add(
            producer.send(
                new ProducerRecord<>(
                    settings.topic(), p.partition(), id.getBytes(StandardCharsets.UTF_8), value)));
        attempted.add(new FreshnessRow(id, settings.topic(), p.partition(), now, null));
      }
      for (int i = 0; i < sent.size(); i++) {
        try {
          sent.get(i).get(30, TimeUnit.SECONDS);
          rows.add(attempted.get(i));
        } catch (Exception e) {
          ok = false;
          synchronized (this) {
            publishErrors++;
          }
          log.println(
              "collab-canary: publishing "
                  + attempted.get(i).eventId()
                  + " failed: "
                  + CommandLine.firstLine(CommandLine.rootMessage(e)));
        }
      }
    } catch (RuntimeException e) {
      ok = false;
      log.println("collab-canary: kafka: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
    }
    synchronized (this) {
      kafkaUp = ok;
      for (FreshnessRow r : rows) {
        tracker.published(r.eventId(), r.publishedAtMillis());
      }
    }
    record(rows);
  }

  /** Which pending canaries the warehouse now has; the rest age towards slow. */
  private void poll() {
    long oldest;
    synchronized (this) {
      oldest = tracker.oldestPendingMillis();
    }
    List<FreshnessRow> rows = new ArrayList<>();
    if (oldest >= 0) {
      try {
        List<CanaryRow> found = warehouse().readCanaries(oldest);
        long now = System.currentTimeMillis();
        synchronized (this) {
          for (CanaryRow row : found) {
            if (tracker.seen(row.eventId(), now) >= 0) {
              rows.add(
                  new FreshnessRow(
                      row.eventId(),
                      settings.topic(),
                      row.sourcePartition(),
                      row.occurredAtMillis(),
                      now));
            }
          }
          warehouseUp = true;
        }
      } catch (SQLException | RuntimeException e) {
        warehouseFailed(e);
      }
    }
    synchronized (this) {
      tracker.expire(System.currentTimeMillis());
    }
    record(rows);
  }

  /** Stores rows in pipeline_freshness; a failure is reported and the rows are not retried. */
  private void record(List<FreshnessRow> rows) {
    if (rows.isEmpty()) {
      return;
    }
    try {
      warehouse().recordFreshness(rows);
    } catch (SQLException | RuntimeException e) {
      warehouseFailed(e);
    }
  }

  private CanaryTables warehouse() throws SQLException {
    if (warehouse == null) {
      AutoCloseable opened;
      CanaryTables openedTables;
      if (settings.snowflake() != null) {
        SnowflakeCanaryTables snowflake = SnowflakeCanaryTables.of(settings.snowflake());
        opened = snowflake;
        openedTables = snowflake;
      } else {
        JdbcWarehouse jdbc = Warehouses.openJdbc(settings.warehouseUrl());
        opened = jdbc;
        openedTables = jdbc.canaries();
      }
      try {
        openedTables.ensureTables();
      } catch (SQLException | RuntimeException e) {
        closeQuietly(opened);
        throw e;
      }
      warehouse = opened;
      tables = openedTables;
    }
    return tables;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception alreadyBroken) {
      // the connection is gone
    }
  }

  private void warehouseFailed(Exception e) {
    synchronized (this) {
      warehouseUp = false;
    }
    log.println("collab-canary: warehouse: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
    if (warehouse != null) {
      closeQuietly(warehouse);
      warehouse = null;
      tables = null;
    }
  }

  /** One scrape's body. */
  synchronized String scrape(long nowMillis) {
    String topic = settings.topic();
    PromText out = new PromText();
    out.family(TOTAL, "counter", "Canary events published into the topic (acknowledged).");
    out.sample(TOTAL, tracker.total(), "topic", topic);
    out.family(
        SLOW,
        "counter",
        "Canaries not queryable in the warehouse within "
            + settings.slowAfterMillis() / 1000
            + " s of publication (late or never).");
    out.sample(SLOW, tracker.slow(), "topic", topic);
    out.family(
        LATENCY,
        "gauge",
        "Publication to queryable, seconds, nearest-rank quantile over the canaries published in"
            + " the last "
            + settings.windowMillis() / 1000
            + " s that became queryable.");
    for (double q : QUANTILES) {
      double millis = tracker.quantile(q, nowMillis);
      out.sample(LATENCY, millis / 1000.0, "topic", topic, "quantile", Double.toString(q));
    }
    out.family(WINDOW_CANARIES, "gauge", "Canaries the quantiles are computed over.");
    out.sample(WINDOW_CANARIES, tracker.windowLatencies(nowMillis).length, "topic", topic);
    out.family(PENDING, "gauge", "Canaries published and not queryable yet.");
    out.sample(PENDING, tracker.pending(), "topic", topic);
    out.family(PUBLISH_ERRORS, "counter", "Canaries the broker did not acknowledge.");
    out.sample(PUBLISH_ERRORS, publishErrors, "topic", topic);
    out.family(UP, "gauge", "1 if the probe's last use of this source worked, else 0.");
    out.sample(UP, kafkaUp ? 1 : 0, "source", "kafka");
    out.sample(UP, warehouseUp ? 1 : 0, "source", "warehouse");
    return out.toString();
  }

  @Override
  public void close() {
    server.stop(0);
    loop.shutdownNow();
    try {
      loop.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(5));
    if (warehouse != null) {
      closeQuietly(warehouse);
      warehouse = null;
      tables = null;
    }
  }

  public static void main(String[] args) throws Exception {
    Settings settings;
    try {
      settings = Settings.from(CommandLine.parse(args, CanaryOptions.class));
    } catch (IllegalArgumentException | UsageException e) {
      System.err.println("collab-canary: " + CommandLine.firstLine(e.getMessage()));
      System.exit(2);
      return;
    }
    CollabCanary probe;
    try {
      probe = start(settings, System.err);
    } catch (IOException | RuntimeException e) {
      System.err.println("collab-canary: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      System.exit(2);
      return;
    }
    System.out.println(
        "collab-canary: publishing into every partition of "
            + settings.topic()
            + " every "
            + settings.intervalMillis() / 1000.0
            + " s; serving http://"
            + settings.bindAddress()
            + ":"
            + probe.port()
            + "/metrics");
    Runtime.getRuntime().addShutdownHook(new Thread(probe::close));
    Thread.currentThread().join();
  }
}
