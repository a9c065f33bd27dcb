package io.collabpipeline.it;

import static io.collabpipeline.it.StreamRuns.describeDifference;
import static io.collabpipeline.it.StreamRuns.rowsOf;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.it.StreamRuns.Published;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.kafka.KafkaRecords;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.benchmark.Visibility;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.devstack.LocalS3;
import io.collabpipeline.tools.publish.KafkaPublisher;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The whole production path on real components started by the test: generated events (with
 * duplicates, late, too-late and malformed ones) published at a steady rate to an in-process KRaft
 * Kafka broker, read by the Kafka source on embedded Flink in streaming mode with exactly-once
 * checkpoints, the raw store and quarantine on an S3-compatible endpoint (S3Mock, out of process),
 * the curated tables in a DuckDB warehouse.
 *
 * <p>Ground truth comes from the publisher: every delivery it sent and the broker's log-append time
 * of each (the arrival clock), fed to {@code ExpectedTables}, which computes the tables with no
 * pipeline code. While the job runs, a poller reads the warehouse every {@value #POLL_MILLIS} ms to
 * measure event-to-queryable latency: for each on-time task event, the time from its append to
 * Kafka to the first read in which its minute window's {@code task_updates} includes it. Figures
 * are printed and written to {@code target/e2e-latency.txt}; nothing asserts on timing.
 *
 * <p>The defaults are CI's (100,000 events at 2,500/s, the job's default early-firing delay,
 * checkpoints every 2 s); system properties select another scenario, e.g. the freshness run of the
 * README: {@code -Dit.e2e.events} (deliveries), {@code -Dit.e2e.rate} (records/s), {@code
 * -Dit.e2e.earlyFiringDelay} (the job's {@code --earlyFiringDelay}, e.g. {@code 2s}), {@code
 * -Dit.e2e.checkpointMillis} (the job's {@code --checkpointingInterval}) and {@code
 * -Dit.e2e.maxBundleMillis} (Flink's {@code --maxBundleTimeMills}: the warehouse sink commits at
 * the end of every bundle; unset = EmbeddedFlink.MAX_BUNDLE_MILLIS, 1 s, as the command line;
 * bundles also end at EmbeddedFlink.MAX_BUNDLE_SIZE, 250 records); {@code
 * -Dit.e2e.latencyWarmupSeconds=N} also prints the latency of the events appended after the first N
 * s of publishing (the steady state, without the job's warm-up).
 */
@RunWith(JUnit4.class)
public class StreamingEndToEndTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final long ALLOWED_LATENESS_MILLIS = 2 * 3_600_000L;
  private static final int PARTITIONS = 3;
  private static final long POLL_MILLIS = 500;
  private static final String RAW_BUCKET = "collab-raw";
  private static final String QUARANTINE_BUCKET = "collab-quarantine";

  private static LocalKafka kafka;
  private static LocalS3 s3;

  @BeforeClass
  public static void startServers() throws Exception {
    kafka = LocalKafka.start();
    s3 = LocalS3.start(TMP.newFolder("s3").toPath(), RAW_BUCKET, QUARANTINE_BUCKET);
  }

  @AfterClass
  public static void stopServers() throws Exception {
    if (s3 != null) {
      s3.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  public void streamsKafkaToS3AndTheWarehouseExactly() throws Exception {
    Scenario s =
        new Scenario(
            "steady",
            Integer.getInteger("it.e2e.events", 100_000),
            Double.parseDouble(System.getProperty("it.e2e.rate", "2500")));
    s.run();
  }

  /** One streaming run and its checks. */
  private static final class Scenario {
    final String name;
    final WorkloadSpec spec;
    final double rate;
    final Duration earlyFiringDelay;
    final long checkpointMillis;
    final Long maxBundleMillis;
    final String topic;
    final String raw;
    final String quarantine;
    final String warehouseUrl;

    Scenario(String name, int events, double rate) throws Exception {
      this.name = name;
      this.spec = KafkaPublisher.endToEndWorkload(events);
      this.rate = rate;
      this.earlyFiringDelay =
          Durations.parse(
              "it.e2e.earlyFiringDelay",
              System.getProperty(
                  "it.e2e.earlyFiringDelay",
                  WindowingPolicy.DEFAULT_EARLY_FIRING_DELAY_SECONDS + "s"));
      this.checkpointMillis = Long.getLong("it.e2e.checkpointMillis", 2_000L);
      this.maxBundleMillis = Long.getLong("it.e2e.maxBundleMillis");
      this.topic = "e2e-" + name;
      this.raw = "s3://" + RAW_BUCKET + "/" + name + "/raw";
      this.quarantine = "s3://" + QUARANTINE_BUCKET + "/" + name + "/quarantine";
      this.warehouseUrl =
          "jdbc:duckdb:" + TMP.newFolder(name + "-warehouse").toPath().resolve("w.duckdb");
    }

    void run() throws Exception {
      long started = System.currentTimeMillis();
      kafka.createTopic(topic, PARTITIONS);
      FlinkPipelineOptions options = EmbeddedFlink.options(true, 2);
      options.setAttachedMode(false); // run() returns a handle we can watch and cancel
      options.setCheckpointingInterval(checkpointMillis);
      if (maxBundleMillis != null) {
        options.setMaxBundleTimeMills(maxBundleMillis);
      }
      options.setMinPauseBetweenCheckpoints(500L);
      options.setNumberOfExecutionRetries(3);
      options.setExecutionRetryDelay(1_000L);
      options.setObjectReuse(true);
      // Checkpoints go to files, as in production (to S3 there): the raw store's open minute alone
      // outgrows the 5 MB
      // that Flink's JobManager-memory checkpoint storage permits.
      options.setStateBackend("filesystem");
      options.setStateBackendStoragePath(TMP.newFolder(name + "-checkpoints").toURI().toString());
      s3.applyTo(options);
      S3Setup.configure(options, raw, quarantine);
      FileSystems.setDefaultPipelineOptions(options);

      GraphConfig config =
          GraphConfig.builder()
              .setRawStore(raw)
              .setQuarantineStore(quarantine)
              .setWarehouse(WarehouseTargets.jdbc(warehouseUrl))
              .setWindowing(WindowingPolicy.defaults().withEarlyFiringDelay(earlyFiringDelay))
              .build();
      try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
        w.curated().ensureTables();
      }
      Pipeline p = Pipeline.create(options);
      PCollection<RawRecord> records =
          p.apply(
              "ReadKafka",
              KafkaRecords.read()
                  .withBootstrapServers(kafka.bootstrapServers())
                  .withTopics(topic)
                  .withGroupId("collab-e2e-" + name));
      CollabGraph.apply(records, config);
      PipelineResult job = p.run();
      awaitRunning(job);
      phase(started, "job running");

      LatencyPoller poller = new LatencyPoller(warehouseUrl);
      Thread pollThread = new Thread(poller, "latency-poller");
      pollThread.setDaemon(true);
      pollThread.start();

      List<Published> published = Collections.synchronizedList(new ArrayList<>());
      KafkaPublisher.PublishReport report =
          KafkaPublisher.to(kafka.bootstrapServers(), topic)
              .withRate(rate)
              .withListener(
                  (d, md) ->
                      published.add(new Published(d, md.timestamp(), md.partition(), md.offset())))
              .withProgress(System.out, java.time.Duration.ofSeconds(20))
              .publish(spec);
      assertThat(
          name + ": every delivery acknowledged",
          (long) published.size(),
          equalTo(spec.deliveries()));
      phase(started, "all published");

      ExpectedTables expected = StreamRuns.expected(published, ALLOWED_LATENESS_MILLIS);

      // The job never ends by itself (an unbounded source): wait until the warehouse holds the
      // expected tables.
      Map<CuratedTable, Set<CuratedRow>> actual = awaitTables(expected, 300_000L);
      phase(started, "warehouse = expected");
      poller.stop();
      pollThread.join(5_000L);
      // Let the last raw-store windows close (the arrival watermark passes them once the partitions
      // are idle).
      awaitRawStore(expected.acceptedEventIds.size(), 120_000L);
      phase(started, "raw store complete");
      assertThat(
          name + ": the job is still running",
          job.getState(),
          equalTo(PipelineResult.State.RUNNING));
      job.cancel();
      phase(started, "job cancelled");

      StringBuilder differences = new StringBuilder();
      for (CuratedTable table : CuratedTable.values()) {
        Set<CuratedRow> want = rowsOf(expected, table);
        Set<CuratedRow> got = actual.get(table);
        if (!want.equals(got)) {
          differences.append(describeDifference(table, want, got));
        }
      }
      assertThat(
          name + ": curated tables equal the independently computed ones\n" + differences,
          differences.length(),
          equalTo(0));

      // (d) Completeness adds up in every hour, and totals match the input.
      long received =
          StreamRuns.assertCompletenessAddsUp(actual.get(CuratedTable.PIPELINE_COMPLETENESS));
      assertThat(name + ": received in completeness", received, equalTo(spec.deliveries()));

      // (a) The raw store on S3 holds each accepted event exactly once.
      Map<String, Long> rawIds = rawEventIds();
      long copies = rawIds.values().stream().mapToLong(Long::longValue).sum();
      assertThat(
          name + ": raw store rows", copies, equalTo((long) expected.acceptedEventIds.size()));
      assertThat(name + ": raw store ids", rawIds.keySet(), equalTo(expected.acceptedEventIds));

      // (c) Every malformed record is quarantined with its reason and its Kafka coordinates.
      Map<String, String> malformedByCoordinate = new HashMap<>();
      for (Published x : published) {
        if (x.delivery.kind() == Delivery.Kind.MALFORMED) {
          malformedByCoordinate.put(
              x.partition + "@" + x.offset, x.delivery.expectedReason().code());
        }
      }
      Map<String, String> quarantinedByCoordinate = new HashMap<>();
      for (QuarantineRecord q : QuarantineIO.readRecords(quarantine)) {
        SourceRef ref = q.original().source();
        assertThat(name + ": quarantine source kind", ref.kind(), equalTo(SourceRef.Kind.KAFKA));
        assertThat(name + ": quarantine topic", ref.name(), equalTo(topic));
        String previous =
            quarantinedByCoordinate.put(ref.partition() + "@" + ref.offset(), q.reason().code());
        assertThat(name + ": quarantined once: " + ref.describe(), previous, equalTo(null));
      }
      assertThat(
          name + ": quarantine = malformed records, by coordinate and reason",
          quarantinedByCoordinate,
          equalTo(malformedByCoordinate));

      List<Published> byArrival = StreamRuns.byArrival(published);
      List<Long> latency = poller.latencies(byArrival, ALLOWED_LATENESS_MILLIS, Long.MIN_VALUE);
      // The steady state: events appended after the first warm-up seconds of publishing (the job's
      // JIT and first checkpoint are behind it).
      long warmupMillis = Long.getLong("it.e2e.latencyWarmupSeconds", 0L) * 1_000L;
      List<Long> steady =
          warmupMillis <= 0
              ? null
              : poller.latencies(
                  byArrival, ALLOWED_LATENESS_MILLIS, byArrival.get(0).appendMillis + warmupMillis);
      assertThat(name + ": latency samples", latency.size(), greaterThan(0));
      String line =
          String.format(
              "%s: %,d events at %.0f/s (achieved %.0f/s), %d partitions, Flink streaming parallelism 2, checkpoints"
                  + " every %d ms, early firings %s, bundles of at most %s ms; event-to-queryable latency over"
                  + " %,d on-time task events: P50 %.1f s, P95 %.1f s, max %.1f s (poll every %d ms)",
              name,
              spec.deliveries(),
              rate,
              report.recordsPerSecond(),
              PARTITIONS,
              checkpointMillis,
              config.windowing().earlyFiringDelay(),
              options.getMaxBundleTimeMills(),
              latency.size(),
              Visibility.percentile(latency, 50) / 1000.0,
              Visibility.percentile(latency, 95) / 1000.0,
              latency.get(latency.size() - 1) / 1000.0,
              POLL_MILLIS);
      if (steady != null && steady.size() > 0) {
        line +=
            String.format(
                "; appended after the first %d s: %,d events, P50 %.1f s, P95 %.1f s, max %.1f s",
                warmupMillis / 1000,
                steady.size(),
                Visibility.percentile(steady, 50) / 1000.0,
                Visibility.percentile(steady, 95) / 1000.0,
                steady.get(steady.size() - 1) / 1000.0);
      }
      phase(started, "checked");
      System.out.println(line);
      Path out = Path.of("target", "e2e-latency.txt");
      Files.writeString(
          out,
          line + System.lineSeparator(),
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    }

    /** Prints when a phase of the run ended, in seconds from its start (to see where time goes). */
    private void phase(long started, String what) {
      System.out.printf(
          java.util.Locale.ROOT,
          "%s: %s at +%.1f s%n",
          name,
          what,
          (System.currentTimeMillis() - started) / 1000.0);
    }

    private Map<CuratedTable, Set<CuratedRow>> awaitTables(
        ExpectedTables expected, long timeoutMillis) throws Exception {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      Map<CuratedTable, Set<CuratedRow>> actual = new HashMap<>();
      while (true) {
        boolean equal = true;
        try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
          for (CuratedTable table : CuratedTable.values()) {
            actual.put(table, new HashSet<>(w.curated().read(table)));
            equal &= actual.get(table).equals(rowsOf(expected, table));
          }
        }
        if (equal || System.currentTimeMillis() > deadline) {
          return actual;
        }
        Thread.sleep(1_000L);
      }
    }

    private void awaitRawStore(int acceptedEvents, long timeoutMillis) throws Exception {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (System.currentTimeMillis() < deadline) {
        long rows = rawEventIds().values().stream().mapToLong(Long::longValue).sum();
        if (rows >= acceptedEvents) {
          return;
        }
        Thread.sleep(1_000L);
      }
    }

    /**
     * Event id → copies, over every Parquet file of the raw store (copied from S3, read with
     * DuckDB).
     */
    private Map<String, Long> rawEventIds() throws Exception {
      Path local = Files.createTempDirectory(TMP.getRoot().toPath(), "raw-copy");
      MatchResult m = FileSystems.match(raw + "/dt=*/hr=*/*.parquet");
      int n = 0;
      for (MatchResult.Metadata md : m.metadata()) {
        try (InputStream in = Channels.newInputStream(FileSystems.open(md.resourceId()))) {
          Files.copy(
              in, local.resolve("part-" + (n++) + ".parquet"), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Map<String, Long> ids = new HashMap<>();
      if (n == 0) {
        return ids;
      }
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT event_id, count(*) FROM read_parquet('"
                      + local
                      + "/*.parquet') GROUP BY 1")) {
        while (rs.next()) {
          ids.put(rs.getString(1), rs.getLong(2));
        }
      }
      return ids;
    }
  }

  private static void awaitRunning(PipelineResult job) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000L;
    while (job.getState() != PipelineResult.State.RUNNING
        && System.currentTimeMillis() < deadline) {
      if (job.getState().isTerminal()) {
        throw new AssertionError("the job ended before it ran: " + job.getState());
      }
      Thread.sleep(200L);
    }
  }

  /**
   * Reads the minute rows of {@code task_update_velocity} every {@value #POLL_MILLIS} ms and
   * remembers, per window and workspace, when each value was first seen.
   */
  /**
   * Reads the minute rows of task_update_velocity every {@link #POLL_MILLIS} ms into a {@link
   * Visibility}, the freshness benchmark's record of when each value was first read, so that the
   * test and {@code bin/collab-benchmark --modes=freshness} compute a latency the same way.
   */
  private static final class LatencyPoller implements Runnable {
    private final String url;
    private final Visibility visibility = new Visibility();
    private volatile boolean running = true;

    LatencyPoller(String url) {
      this.url = url;
    }

    void stop() {
      running = false;
    }

    @Override
    public void run() {
      while (running) {
        // A new connection per read: the job's writer may hold the file for a moment.
        try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
          List<CuratedRow> rows = w.curated().read(CuratedTable.TASK_UPDATE_VELOCITY);
          visibility.read(rows, System.currentTimeMillis());
        } catch (Exception e) {
          // The writer may hold the file for a moment: read again at the next poll.
        }
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /**
     * The sorted latencies of the first deliveries of task events (in arrival order) appended at or
     * after {@code fromMillis}: the k-th of its minute window and workspace is visible once that
     * row's task_updates reaches k.
     */
    List<Long> latencies(List<Published> byArrival, long allowedLatenessMillis, long fromMillis)
        throws Exception {
      Set<String> ids = new HashSet<>();
      com.fasterxml.jackson.databind.ObjectMapper mapper =
          new com.fasterxml.jackson.databind.ObjectMapper();
      List<Visibility.TaskEvent> firsts = new ArrayList<>();
      for (Published x : byArrival) {
        if (x.delivery.kind() == Delivery.Kind.MALFORMED) {
          continue;
        }
        com.fasterxml.jackson.databind.JsonNode e = mapper.readTree(x.delivery.bytes());
        if (!ids.add(e.get("event_id").asText())
            || !e.get("event_type").asText().startsWith("task.")) {
          continue;
        }
        long occurred =
            java.time.OffsetDateTime.parse(e.get("occurred_at").asText())
                .toInstant()
                .toEpochMilli();
        firsts.add(
            new Visibility.TaskEvent(
                x.appendMillis,
                firsts.size(),
                Granularity.MINUTE.windowStart(occurred),
                e.get("workspace_gid").asText()));
      }
      return visibility.latencies(firsts, allowedLatenessMillis, fromMillis);
    }
  }
}
