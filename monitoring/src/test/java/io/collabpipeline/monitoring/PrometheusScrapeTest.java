package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 9, point 1, against a real Prometheus (Debian's package): the main job streams from a real
 * Kafka broker as its own JVM on the embedded Flink cluster with the dev profile
 * (runner-configs/flink/local, its Prometheus reporter moved to a free port), the exporter reads
 * the job's consumer group's lag from the broker, and Prometheus scrapes both every second and
 * evaluates the project's recording rules. The test asks Prometheus what arrived: every stage
 * counter, the quarantine reasons, dedup and late counts with values that add up to what was
 * published, the lag and committed offsets the broker has, Flink's checkpoint, restart and
 * backpressure series, and the recording rules' series built from them, including the ingestion
 * SLI's bad moment before the job starts.
 */
public class PrometheusScrapeTest {
  static final Path LOCAL_PROFILE =
      Paths.get("..", "runner-configs", "flink", "local", "config.yaml");
  static final Path RULES =
      Paths.get("prometheus", "rules", "collab-pipeline-recording.yml").toAbsolutePath();
  static final String J = "flink_taskmanager_job_task_operator_";
  static final int EVENTS = 3_000;
  static final String TOPIC = "collab-events";
  static final String GROUP = "collab-pipeline-scrape-test";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theJobsCountersTheLagAndTheRecordingRulesArriveInPrometheus() throws Exception {
    Path conf = tmp.newFolder("flink-conf").toPath();
    Path data = tmp.newFolder("data").toPath();
    int reporterPort = LocalPrometheus.freePort();
    Files.writeString(
        conf.resolve("config.yaml"), devProfileWith(reporterPort, tmp.getRoot().toPath()));

    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(TOPIC, 2);
      ExporterOptions exporterOptions =
          PipelineOptionsFactory.fromArgs(
                  "--port=0",
                  "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
                  "--kafkaTopics=" + TOPIC,
                  "--kafkaGroupId=" + GROUP)
              .as(ExporterOptions.class);
      Path jobLog = tmp.getRoot().toPath().resolve("job.log");
      Process job = null;
      try (CollabExporter exporter = CollabExporter.start(exporterOptions, System.err);
          LocalPrometheus prometheus =
              LocalPrometheus.start(
                  tmp.newFolder("prometheus").toPath(),
                  Map.of(
                      "flink", "127.0.0.1:" + reporterPort,
                      "collab-exporter", "127.0.0.1:" + exporter.port()),
                  List.of(RULES))) {
        // Records waiting, nothing reading them: the ingestion SLI is bad.
        KafkaPublisher.to(kafka.bootstrapServers(), TOPIC)
            .publish(WorkloadSpec.defaults().withDeliveries(50).withSeed(7));
        awaitValue(prometheus, "collab:ingestion_bad:bool", 1.0, 30);

        job = startJob(kafka, conf, data, jobLog);
        // The stream is published once the job reads: its counters then rise over several scrapes.
        // Published before, it could all be counted within one scrape, and a counter whose first
        // sample already holds everything has no rate (collab:stage_events:rate1m below).
        awaitValue(prometheus, sum("completeness_received"), 50.0, 240);
        long published =
            50
                + KafkaPublisher.to(kafka.bootstrapServers(), TOPIC)
                    .withRate(400)
                    .publish(
                        WorkloadSpec.defaults()
                            .withDeliveries(EVENTS)
                            .withTooLateShare(0.03)
                            .withSeed(11))
                    .total();
        // Everything received and sorted, written raw, and committed back to the group.
        awaitValue(prometheus, sum("completeness_received"), published, 240);
        awaitValue(prometheus, sum("completeness_raw_written"), sum("completeness_accepted"), 180);
        awaitValue(prometheus, "collab:kafka_consumer_lag_records:sum", 0.0, 60);
        Thread.sleep(3_000); // one more rule evaluation over the last scrape
        assertThat(jobLog + " still runs", job.isAlive(), is(true));

        List<String> names = prometheus.names();
        assertThat(names, hasItems(ExportedSeries.FROM_JOB.toArray(new String[0])));
        assertThat(
            names,
            hasItems(
                KafkaLag.LAG,
                KafkaLag.COMMITTED,
                KafkaLag.END,
                CollabExporter.UP,
                CollabExporter.SECONDS,
                "collab:stage_events:rate5m",
                "collab:quarantined_by_reason:rate5m",
                "collab:quarantine:ratio_rate5m",
                "collab:late:ratio_rate5m",
                "collab:dedup_state_ids:estimate",
                "collab:backpressure:max_ratio",
                "collab:kafka_consumer_lag:seconds_of_input",
                "collab:ingestion_bad:ratio_rate5m"));

        // The values add up, and are the run's.
        double received = prometheus.value(sum("completeness_received"));
        double quarantined = prometheus.value(sum("completeness_quarantined"));
        double duplicate = prometheus.value(sum("completeness_duplicate"));
        double accepted = prometheus.value(sum("completeness_accepted"));
        assertThat(received, is((double) published));
        assertThat(quarantined + duplicate + accepted, is(received));
        assertThat(prometheus.value(sum("validate_received")), is(received));
        assertThat(prometheus.value(sum("dedup_unique")), is(accepted));
        assertThat(prometheus.value(sum("dedup_duplicates")), is(duplicate));
        assertThat(prometheus.value("collab:dedup_state_ids:estimate"), is(accepted));
        assertThat(prometheus.value(sum("completeness_late")), greaterThan(0.0));
        assertThat(
            prometheus.value("sum(collab:validate_quarantined_by_reason:value)"),
            is(prometheus.value(sum("validate_quarantined"))));
        assertThat(
            prometheus.query("collab:validate_quarantined_by_reason:value").size(), greaterThan(3));
        // The broker's view: every partition's end offset committed by the job's checkpoints.
        assertThat(prometheus.value("sum(" + KafkaLag.END + ")"), is((double) published));
        assertThat(prometheus.value("sum(" + KafkaLag.COMMITTED + ")"), is((double) published));
        assertThat(prometheus.value(CollabExporter.UP + "{source=\"kafka\"}"), is(1.0));
        assertThat(prometheus.value("collab:ingestion_bad:bool"), is(0.0));
        assertThat(
            prometheus.value("max_over_time(collab:stage_events:rate1m{stage=\"received\"}[10m])"),
            greaterThan(0.0));
        assertThat(
            prometheus.value("max(flink_jobmanager_job_numberOfCompletedCheckpoints)"),
            greaterThan(0.0));
      } finally {
        if (job != null) {
          job.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** The main job, streaming from Kafka, as its own JVM (a stream never ends: it is killed). */
  private static Process startJob(LocalKafka kafka, Path conf, Path data, Path log)
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
            "--flinkConfDir=" + conf,
            "--dataDir=" + data,
            "--progressSeconds=0")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static String sum(String counter) {
    return "sum(" + J + counter + ")";
  }

  private static void awaitValue(
      LocalPrometheus prometheus, String query, double expected, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    double last = Double.NaN;
    while (System.nanoTime() < deadline) {
      last = prometheus.value(query);
      if (last == expected) {
        return;
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError(
        query + " did not reach " + expected + " in " + seconds + " s: " + last);
  }

  private static void awaitValue(
      LocalPrometheus prometheus, String query, String equalTo, int seconds) throws Exception {
    awaitValue(prometheus, query + " - " + equalTo, 0.0, seconds);
  }

  /** The dev profile with its reporter on {@code port} and its checkpoints under {@code dir}. */
  static String devProfileWith(int port, Path dir) throws Exception {
    String profile = Files.readString(LOCAL_PROFILE);
    String moved =
        profile
            .replaceAll(
                "(?m)^metrics\\.reporter\\.prom\\.port: .*$", "metrics.reporter.prom.port: " + port)
            .replace("file:///tmp/collab-pipeline/flink", dir.toUri().toString() + "flink");
    if (moved.equals(profile) || !moved.contains("metrics.reporter.prom.port: " + port)) {
      throw new IllegalStateException("the dev profile has no metrics.reporter.prom.port to move");
    }
    return moved;
  }
}
