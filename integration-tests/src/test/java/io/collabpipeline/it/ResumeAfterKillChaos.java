package io.collabpipeline.it;

import static io.collabpipeline.it.StreamRuns.*;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.it.StreamRuns.Child;
import io.collabpipeline.it.StreamRuns.Published;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Resume is one step: the pipeline, run as its own JVM with the command a user types ({@code
 * CollabPipeline --source=kafka ...}), is killed with SIGKILL in the middle of a stream and the
 * same command is run again. The second run must say at start that it resumes from the latest
 * checkpoint the first one completed (number and job), keep the first run's generation, and Flink
 * must confirm the restore in its log; over the whole run, completeness must add up to what was
 * published, the curated tables must equal the ones computed independently from what was published
 * and when the broker appended it ({@link ExpectedTables}), and the raw store must hold each
 * accepted event exactly once.
 *
 * <p>The warehouse is DuckDB, which one process at a time may open: the test never reads it while
 * the job runs. It decides that the job has consumed everything from the broker instead (the
 * consumer group's offsets, committed only when a checkpoint completes, reach the end of every
 * partition) and from the raw store's Parquet files (each accepted event there once the arrival
 * windows closed), waits for the early firings of the open windows ({@code --earlyFiringDelay=5s})
 * to be written, stops the job with SIGTERM and then reads the warehouse. What that relies on:
 * every pane is upserted in the bundle it fires in (WriteCurated writes at the end of each bundle,
 * and the job's bundles last at most 1 s), each upsert is its own committed DuckDB transaction, and
 * DuckDB replays its write-ahead log when the file is next opened.
 */
@RunWith(JUnit4.class)
public class ResumeAfterKillChaos {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final int EVENTS = Integer.getInteger("it.resume.events", 4_000);
  private static final double RATE = 160;
  private static final int PARTITIONS = 3;
  private static final String TOPIC = "resume-after-kill";
  private static final String GROUP = "collab-resume-it";
  private static final long ALLOWED_LATENESS_MILLIS = 2 * 3_600_000L;
  private static final long EARLY_FIRING_MILLIS = 5_000L;
  private static final Pattern NEW_GENERATION = Pattern.compile("; generation (\\d+) \\(new\\)$");

  @Test
  public void aKilledStreamResumesFromItsLatestCheckpointWithTheSameResults() throws Exception {
    Path dataDir = TMP.newFolder("data").toPath();
    Path checkpoints = dataDir.resolve("checkpoints");
    String warehouseUrl = "jdbc:duckdb:" + dataDir.resolve("w.duckdb");
    WorkloadSpec spec =
        WorkloadSpec.defaults()
            .withDeliveries(EVENTS)
            .withSeed(4_242)
            .withDuplicateShare(0.03)
            .withLateShare(0.05)
            .withTooLateShare(0.01)
            .withMalformedShare(0.01);
    List<Published> published = Collections.synchronizedList(new ArrayList<>());
    ExecutorService publishing = Executors.newSingleThreadExecutor();
    Child first = null;
    Child second = null;
    long testStart = System.currentTimeMillis();
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(TOPIC, PARTITIONS);
      List<String> command = command(kafka.bootstrapServers(), dataDir, warehouseUrl);

      // ---- Run 1: starts fresh, reads the stream, checkpoints every 2 s; killed mid-stream.
      first = Child.start(command, TMP.newFolder("run1").toPath());
      String started = first.awaitOut("collab-pipeline: starting fresh", 60_000L);
      assertThat(
          started,
          startsWith(
              "collab-pipeline: starting fresh (no retained checkpoint under " + checkpoints));
      Matcher g = NEW_GENERATION.matcher(started);
      assertThat(started, g.find(), equalTo(true));
      long generation = Long.parseLong(g.group(1));
      // The job reads once its first checkpoint has completed; then the stream begins.
      await("run 1's first checkpoint", 120_000L, first, () -> latestCheckpoint(checkpoints) >= 1);
      Future<KafkaPublisher.PublishReport> publisher =
          publishing.submit(
              () ->
                  KafkaPublisher.to(kafka.bootstrapServers(), TOPIC)
                      .withRate(RATE)
                      .withListener(
                          (d, md) ->
                              published.add(
                                  new Published(d, md.timestamp(), md.partition(), md.offset())))
                      .publish(spec));
      await(
          "a third of the stream published and three checkpoints completed",
          120_000L,
          first,
          () -> published.size() >= EVENTS / 3 && latestCheckpoint(checkpoints) >= 3);
      first.kill();
      long killedAt = System.currentTimeMillis();
      int publishedAtKill = published.size();
      String firstJob = onlyJobDirectory(checkpoints);
      long chk = latestCheckpoint(checkpoints);
      Path chkDir = checkpoints.resolve(firstJob).resolve("chk-" + chk);
      assertThat("run 1 retained its checkpoint", Files.isRegularFile(chkDir.resolve("_metadata")));

      // ---- Run 2: the same command; resumes from chk-<n> of run 1, in run 1's generation.
      second = Child.start(command, TMP.newFolder("run2").toPath());
      String resumed = second.awaitOut("collab-pipeline: resuming from ", 60_000L);
      assertThat(
          resumed,
          startsWith(
              "collab-pipeline: resuming from checkpoint "
                  + chk
                  + " of job "
                  + firstJob
                  + " at "
                  + chkDir
                  + " (taken "));
      assertThat(resumed, endsWith("; generation " + generation + " (continued)"));
      String restored = second.awaitErr("Restoring job ", 120_000L);
      long restoredAt = System.currentTimeMillis();
      // Flink restores a retained checkpoint given as the restore path as a savepoint of its id.
      assertThat(restored, containsString(" from Savepoint " + chk + " @ "));
      assertThat(restored, endsWith(" located at file:" + chkDir + "."));
      await(
          "run 2's first checkpoint",
          120_000L,
          second,
          () -> checkpointsOfOtherJobs(checkpoints, firstJob) >= 1);
      long resumedCheckpointAt = System.currentTimeMillis();

      KafkaPublisher.PublishReport report = publisher.get(180_000L, TimeUnit.MILLISECONDS);
      assertThat("every record acknowledged", (long) published.size(), equalTo(spec.deliveries()));
      ExpectedTables expected = expected(published, ALLOWED_LATENESS_MILLIS);

      // ---- Everything consumed: offsets committed at the end of the log (with a checkpoint), the
      // raw store's arrival windows closed, and the early panes of the open windows written.
      await(
          "offsets committed at the end",
          120_000L,
          second,
          () -> committedAtEnd(kafka, GROUP, TOPIC, PARTITIONS));
      await(
          "each accepted event in the raw store",
          150_000L,
          second,
          () -> rawRows(dataDir) >= expected.acceptedEventIds.size());
      // raw_written is counted from the committed files, read back after the write: give their
      // ticks the same early firings as the rest, from when the last file was there.
      long quietUntil = System.currentTimeMillis() + 3 * EARLY_FIRING_MILLIS;
      Thread.sleep(Math.max(0L, quietUntil - System.currentTimeMillis()));
      second.stop();
      long seconds = (System.currentTimeMillis() - testStart) / 1000;

      // ---- The whole run, read after the job stopped.
      Map<CuratedTable, Set<CuratedRow>> actual = new HashMap<>();
      try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
        for (CuratedTable table : CuratedTable.values()) {
          actual.put(table, new HashSet<>(w.curated().read(table)));
        }
      }
      long received = assertCompletenessAddsUp(actual.get(CuratedTable.PIPELINE_COMPLETENESS));
      assertThat("received over all hours = published", received, equalTo(spec.deliveries()));
      StringBuilder differences = new StringBuilder();
      for (CuratedTable table : CuratedTable.values()) {
        Set<CuratedRow> want = rowsOf(expected, table);
        if (!want.equals(actual.get(table))) {
          differences.append(describeDifference(table, want, actual.get(table)));
        }
      }
      assertThat(
          "curated tables equal the independently computed ones\n" + differences,
          differences.length(),
          equalTo(0));
      Map<String, Long> raw = rawEventIds(dataDir);
      assertThat("raw store ids", raw.keySet(), equalTo(expected.acceptedEventIds));
      assertThat(
          "raw store rows: each accepted event once",
          raw.values().stream().mapToLong(Long::longValue).sum(),
          equalTo((long) expected.acceptedEventIds.size()));
      assertThat(
          "one stream generation over both runs",
          streamGenerations(warehouseUrl),
          equalTo(List.of(generation)));

      ChaosRun.Result result = new ChaosRun.Result();
      result.fault = "the pipeline process killed with kill -9 mid-stream, the same command re-run";
      result.profile = "embedded default";
      result.published = spec.deliveries();
      result.received = received;
      result.accepted = expected.acceptedEventIds.size();
      result.lost = Math.max(0, spec.deliveries() - received);
      result.doubleCounted =
          Math.max(0, received - spec.deliveries()) + ChaosRun.overCounted(expected, actual);
      result.rawCopies = raw.values().stream().mapToLong(Long::longValue).sum() - raw.size();
      result.recoverySeconds = (resumedCheckpointAt - killedAt) / 1000.0;
      result.recovery =
          "re-running the command resumed from the killed job's checkpoint "
              + chk
              + " in the same generation";
      result.testSeconds = seconds;
      long[] audit = ChaosRun.audit(dataDir, warehouseUrl, published);
      result.audited = audit[0];
      result.lost += audit[1];
      assertThat("offsets the audit found lost", audit[1], equalTo(0L));
      assertThat(
          "offsets the audit accounted for = published", audit[0], equalTo(spec.deliveries()));
      ChaosReport.record(result);

      String figures =
          String.format(
              "resume after kill -9: %,d events published at %.0f/s (achieved %.0f/s), %,d of them"
                  + " before the kill; killed after checkpoint %d of job %s; received %,d; resumed"
                  + " (Flink's restore line) %.1f s after the kill, first checkpoint of the resumed"
                  + " job %.1f s after the kill; whole test %d s",
              spec.deliveries(),
              RATE,
              report.recordsPerSecond(),
              publishedAtKill,
              chk,
              firstJob,
              received,
              (restoredAt - killedAt) / 1000.0,
              (resumedCheckpointAt - killedAt) / 1000.0,
              seconds);
      System.out.println(figures);
      Files.writeString(
          Path.of("target", "resume-after-kill.txt"),
          figures + System.lineSeparator(),
          StandardCharsets.UTF_8);
    } finally {
      publishing.shutdownNow();
      if (first != null) {
        first.kill();
        first.keepLogs("resume-after-kill", "run1");
      }
      if (second != null) {
        second.kill();
        second.keepLogs("resume-after-kill", "run2");
      }
    }
  }

  /** The command a user types, as a JVM of its own on this test's classpath. */
  private static List<String> command(String bootstrap, Path dataDir, String warehouseUrl) {
    return kafkaStreamCommand(bootstrap, TOPIC, GROUP, dataDir, warehouseUrl, EARLY_FIRING_MILLIS);
  }
}
