package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.warehouse.CanaryTables.CanaryRow;
import io.collabpipeline.pipelines.warehouse.CanaryTables.FreshnessRow;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 9, point 2, with real components only: an in-process Kafka broker (2 partitions), the main
 * job as its own JVM streaming from it on the embedded Flink into a PostgreSQL warehouse, product
 * events from the generator, and the probe publishing canaries into both partitions. It proves that
 * the canaries take the real path to {@code pipeline_canary} from every partition, that the probe's
 * counters and quantiles come from them, that the curated metric tables hold no row of the canary
 * workspace, and that completeness still adds up with the canaries counted as records.
 */
public class CanaryProbeEndToEndTest {
  static final String TOPIC = "collab-events";
  static final String GROUP = "collab-pipeline-canary-test";
  static final int PARTITIONS = 2;
  static final int EVENTS = 400;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public LocalPostgres postgres = new LocalPostgres();

  @Test
  public void canariesFromEveryPartitionBecomeQueryableAndStayOutOfTheMetrics() throws Exception {
    String url = postgres.newDatabaseUrl();
    Path data = tmp.newFolder("data").toPath();
    Path jobLog = tmp.getRoot().toPath().resolve("job.log");
    ByteArrayOutputStream probeLog = new ByteArrayOutputStream();
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(TOPIC, PARTITIONS);
      Process job = startJob(kafka, data, url, jobLog);
      long canariesPublished;
      String finalScrape;
      try {
        long published =
            KafkaPublisher.to(kafka.bootstrapServers(), TOPIC)
                .withRate(200)
                .publish(
                    WorkloadSpec.defaults().withDeliveries(EVENTS).withTooLateShare(0).withSeed(29))
                .total();
        // The job is up and has read the product events: from here on the canaries measure the
        // running path, not the job's start.
        awaitCompleteness(url, published, 120, jobLog);
        CollabCanary.Settings settings =
            new CollabCanary.Settings(
                TOPIC,
                kafka.bootstrapServers(),
                Map.of(),
                url,
                2_000,
                500,
                180_000,
                900_000,
                3_600_000,
                "127.0.0.1",
                0);
        try (CollabCanary probe =
            CollabCanary.start(settings, new PrintStream(probeLog, true, "UTF-8"))) {
          // A real Prometheus scrapes the probe every second with the project's recording rules.
          try (LocalPrometheus prometheus =
              LocalPrometheus.start(
                  tmp.newFolder("prometheus").toPath(),
                  Map.of("collab-canary", "127.0.0.1:" + probe.port()),
                  List.of(PrometheusScrapeTest.RULES))) {
            // At least 4 rounds seen queryable: 8 canaries, 4 per partition.
            awaitScrape(probe, CollabCanary.WINDOW_CANARIES, 4.0 * PARTITIONS, 150, jobLog);
            finalScrape = probe.scrape(System.currentTimeMillis());
            awaitPrometheus(
                prometheus, "sum(" + CollabCanary.TOTAL + ")", 4.0 * PARTITIONS, 30, jobLog);
            double p95 =
                prometheus.value(
                    CollabCanary.LATENCY + "{topic=\"" + TOPIC + "\",quantile=\"0.95\"}");
            assertThat("P95 freshness as Prometheus holds it", p95, greaterThan(0.0));
            // The SLI's recording rule, once it has two samples of each counter: no canary slow.
            double slowRatio = Double.NaN;
            for (int i = 0; i < 60 && Double.isNaN(slowRatio); i++) {
              slowRatio = prometheus.value("collab:freshness_slow:ratio_rate5m");
              if (Double.isNaN(slowRatio)) {
                Thread.sleep(500);
              }
            }
            assertThat("no canary slow: the SLI's recording rule", slowRatio, is(0.0));
          }
        }
        // The probe is closed: what it published is all there will be.
        try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
          canariesPublished = w.canaries().readFreshness(0).size();
        }
        long expectedReceived = published + canariesPublished;
        // Completeness catches up with every record (early firings every 5 s).
        awaitCompleteness(url, expectedReceived, 90, jobLog);
      } finally {
        job.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }

      // Every partition's canaries reached pipeline_canary through validation, dedup and the write.
      try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
        List<CanaryRow> canaries = w.canaries().readCanaries(0);
        TreeSet<Integer> partitions = new TreeSet<>();
        for (CanaryRow row : canaries) {
          partitions.add(row.sourcePartition());
          assertThat(row.writtenAtMillis() >= row.arrivedAtMillis(), is(true));
          assertThat(row.arrivedAtMillis() >= row.occurredAtMillis() - 1_000, is(true));
        }
        assertThat(partitions, is(new TreeSet<>(List.of(0, 1))));

        // The probe's table: every canary it published, latency > 0 for the queryable ones.
        List<FreshnessRow> freshness = w.canaries().readFreshness(0);
        List<Long> latencies = new ArrayList<>();
        for (FreshnessRow row : freshness) {
          if (row.latencyMillis() != null) {
            latencies.add(row.latencyMillis());
            assertThat(row.latencyMillis(), greaterThan(0L));
          }
        }
        assertThat(latencies.size(), greaterThanOrEqualTo(4 * PARTITIONS));
        System.out.println(
            "canaries: published "
                + freshness.size()
                + ", queryable "
                + latencies.size()
                + ", in pipeline_canary "
                + canaries.size()
                + "; latencies (ms) "
                + latencies);
      }

      // The probe's series.
      System.out.println(finalScrape);
      double total = sample(finalScrape, CollabCanary.TOTAL + "{topic=\"" + TOPIC + "\"}");
      double inWindow =
          sample(finalScrape, CollabCanary.WINDOW_CANARIES + "{topic=\"" + TOPIC + "\"}");
      double p50 =
          sample(finalScrape, CollabCanary.LATENCY + "{topic=\"" + TOPIC + "\",quantile=\"0.5\"}");
      double p95 =
          sample(finalScrape, CollabCanary.LATENCY + "{topic=\"" + TOPIC + "\",quantile=\"0.95\"}");
      assertThat(total, greaterThanOrEqualTo(inWindow));
      assertThat(total, greaterThanOrEqualTo(4.0 * PARTITIONS));
      assertThat(total <= canariesPublished, is(true));
      assertThat(p50, greaterThan(0.0));
      assertThat(p95, greaterThanOrEqualTo(p50));
      assertThat(sample(finalScrape, CollabCanary.SLOW + "{topic=\"" + TOPIC + "\"}"), is(0.0));
      System.out.printf(
          "freshness P50 %.3f s, P95 %.3f s over %.0f canaries%n", p50, p95, inWindow);

      // No curated metric row of the canary workspace; product rows exist.
      try (Connection c = DriverManager.getConnection(url);
          Statement st = c.createStatement()) {
        for (String table :
            List.of("active_editors", "task_update_velocity", "notification_fanout")) {
          assertThat(
              table + " rows of workspace 0",
              count(st, "SELECT count(*) FROM " + table + " WHERE workspace_gid = '0'"),
              is(0L));
        }
        assertThat(count(st, "SELECT count(*) FROM task_update_velocity"), greaterThan(0L));
        // "P50/P95 in a table": the query docs/monitoring.md documents, on the probe's table.
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(queryable_at),"
                    + " percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) / 1000.0,"
                    + " percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) / 1000.0"
                    + " FROM pipeline_freshness")) {
          rs.next();
          assertThat(rs.getLong(1), is(canariesPublished));
          assertThat(rs.getLong(2), greaterThanOrEqualTo(4L * PARTITIONS));
          assertThat(rs.getDouble(3), greaterThan(0.0));
          assertThat(rs.getDouble(4), greaterThanOrEqualTo(rs.getDouble(3)));
          System.out.printf(
              "pipeline_freshness: %d canaries, %d queryable, P50 %.3f s, P95 %.3f s%n",
              rs.getLong(1), rs.getLong(2), rs.getDouble(3), rs.getDouble(4));
        }
      }
      assertThat(probeLog.toString("UTF-8"), probeLog.toString("UTF-8").lines().toList(), empty());
    }
  }

  /** The main job, streaming from Kafka into PostgreSQL, as its own JVM. */
  private static Process startJob(LocalKafka kafka, Path data, String url, Path log)
      throws Exception {
    return new ProcessBuilder(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx1g",
            "-XX:TieredStopAtLevel=1", // C1 only, as surefire's JVM (the root pom's argLine)
            "-cp",
            System.getProperty("java.class.path"),
            "io.collabpipeline.pipelines.CollabPipeline",
            "--source=kafka",
            "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
            "--kafkaTopics=" + TOPIC,
            "--kafkaGroupId=" + GROUP,
            "--allowDevKey=true",
            "--dataDir=" + data,
            "--warehouseUrl=" + url,
            "--checkpointingInterval=2000",
            "--earlyFiringDelay=5s",
            "--parallelism=2",
            "--progressSeconds=0")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void awaitScrape(
      CollabCanary probe, String family, double atLeast, int seconds, Path jobLog)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = probe.scrape(System.currentTimeMillis());
      if (sample(last, family + "{topic=\"" + TOPIC + "\"}") >= atLeast) {
        return;
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError(
        family + " did not reach " + atLeast + " in " + seconds + " s:\n" + last + tail(jobLog));
  }

  /**
   * Waits until the newest generation's hour rows say received = expected and received =
   * quarantined + duplicate + accepted.
   */
  private static void awaitCompleteness(String url, long expected, int seconds, Path jobLog)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Map<String, Long> stages = Map.of();
    while (System.nanoTime() < deadline) {
      stages = completeness(url);
      long received = stages.getOrDefault("received", 0L);
      long sorted =
          stages.getOrDefault("quarantined", 0L)
              + stages.getOrDefault("duplicate", 0L)
              + stages.getOrDefault("accepted", 0L);
      if (received == expected && sorted == received) {
        System.out.println("completeness: " + stages);
        return;
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError(
        "completeness did not reach received = "
            + expected
            + " = quarantined + duplicate + accepted in "
            + seconds
            + " s: "
            + stages
            + tail(jobLog));
  }

  private static Map<String, Long> completeness(String url) throws Exception {
    Map<String, Long> stages = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT stage, sum(events) FROM pipeline_completeness WHERE granularity = 'hour'"
                    + " GROUP BY stage")) {
      while (rs.next()) {
        stages.put(rs.getString(1), rs.getLong(2));
      }
    } catch (java.sql.SQLException notYetCreated) {
      return stages;
    }
    return stages;
  }

  private static long count(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The value of the sample {@code series} (name and labels as served), or NaN if absent. */
  /** Waits until Prometheus's value of {@code promql} reaches {@code atLeast}. */
  private static void awaitPrometheus(
      LocalPrometheus prometheus, String promql, double atLeast, int seconds, Path jobLog)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    double last = Double.NaN;
    while (System.nanoTime() < deadline) {
      last = prometheus.value(promql);
      if (last >= atLeast) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        promql + " stayed at " + last + " < " + atLeast + "; job log:\n" + tail(jobLog));
  }

  static double sample(String scrape, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = java.nio.file.Files.readAllLines(log);
      return "\n--- job log\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (Exception e) {
      return "";
    }
  }
}
