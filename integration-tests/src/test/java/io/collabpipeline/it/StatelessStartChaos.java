package io.collabpipeline.it;

import static io.collabpipeline.it.StreamRuns.*;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.it.StreamRuns.Child;
import io.collabpipeline.it.StreamRuns.Published;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.warehouse.CorrectionDue;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.audit.CollabAudit;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A stream that starts without the state of the previous one never makes the curated tables worse,
 * and the correction replay it asks for makes them exact. Run 1 (the command a user types, its own
 * JVM, on the in-process broker) reads the first part of a stream and is killed with SIGKILL; run 2
 * starts with {@code --fresh=true} (a new generation, no window state) at the group's committed
 * offsets while the rest is published. Run 2 must say where it sees windows whole from (T0: the
 * broker's timestamp of the record at the committed offsets, earliest over partitions), keep every
 * row run 1 wrote of a window starting before T0 + the event-time-ahead bound (its partial counts
 * would be smaller), record those windows in {@code pipeline_corrections_due} and its T0 in the
 * generation log; the raw replay of the due dates must then make the metric tables equal the ones
 * computed independently from what was published ({@link ExpectedTables}), and clear the due
 * windows.
 */
@RunWith(JUnit4.class)
public class StatelessStartChaos {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final int EVENTS = Integer.getInteger("it.stateless.events", 3_000);
  private static final double RATE = 60;
  private static final int PARTITIONS = 3;
  private static final String TOPIC = "stateless-start";
  private static final String GROUP = "collab-stateless-it";
  private static final long EARLY_FIRING_MILLIS = 5_000L;
  private static final long MAX_EVENT_TIME_AHEAD_MILLIS = 24 * 3_600_000L;
  private static final Pattern NEW_GENERATION = Pattern.compile("; generation (\\d+) \\(new\\)$");
  private static final Pattern SEEN_WHOLE_FROM =
      Pattern.compile("sees windows whole from arrival (\\S+) ");

  @Test
  public void aStatelessStartKeepsTheFullerRowsRecordsTheWindowsAndTheReplayMakesThemExact()
      throws Exception {
    Path dataDir = TMP.newFolder("data").toPath();
    Path checkpoints = dataDir.resolve("checkpoints");
    String warehouseUrl = "jdbc:duckdb:" + dataDir.resolve("w.duckdb");
    WorkloadSpec spec =
        WorkloadSpec.defaults()
            .withDeliveries(EVENTS)
            .withSeed(7_117)
            .withDuplicateShare(0.03)
            .withLateShare(0.05)
            .withMalformedShare(0.01);
    List<Published> published = Collections.synchronizedList(new ArrayList<>());
    ExecutorService publishing = Executors.newSingleThreadExecutor();
    Child first = null;
    Child second = null;
    Child replay = null;
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(TOPIC, PARTITIONS);
      List<String> command = command(kafka.bootstrapServers(), dataDir, warehouseUrl);

      // ---- Run 1: a first start (no committed offsets: sees everything); killed mid-stream.
      first = Child.start(command, TMP.newFolder("run1").toPath());
      String started = first.awaitOut("collab-pipeline: starting fresh", 60_000L);
      Matcher g1 = NEW_GENERATION.matcher(started);
      assertThat(started, g1.find(), equalTo(true));
      long generation1 = Long.parseLong(g1.group(1));
      first.awaitOut("has no committed offsets", 60_000L);
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
      // Killed once dedup has accepted a part of the stream and the early panes of its windows
      // (every 5 s) were written, while the rest is still being published.
      Child run1 = first;
      await(
          "a part of the stream accepted and three checkpoints",
          150_000L,
          first,
          () -> accepted(run1) >= EVENTS / 8 && latestCheckpoint(checkpoints) >= 3);
      Thread.sleep(2 * EARLY_FIRING_MILLIS + 2_000L);
      assertThat("still publishing when run 1 is killed", published.size() < EVENTS, equalTo(true));
      first.kill();
      long killedAt = System.currentTimeMillis();
      String firstJob = onlyJobDirectory(checkpoints);
      Map<TopicPartition, Long> committedAtKill = committed(kafka);

      // What run 1 left in the warehouse (DuckDB replays its write-ahead log on open).
      Map<CuratedTable, List<VersionedRow>> afterRun1 = readVersioned(warehouseUrl);
      assertThat(
          "run 1 wrote metric rows before it was killed",
          afterRun1.get(CuratedTable.ACTIVE_EDITORS).isEmpty(),
          equalTo(false));

      // ---- Run 2: the same command with --fresh=true: no window state, a new generation.
      List<String> fresh = new ArrayList<>(command);
      fresh.add("--fresh=true");
      second = Child.start(fresh, TMP.newFolder("run2").toPath());
      String started2 = second.awaitOut("collab-pipeline: starting fresh (--fresh)", 60_000L);
      Matcher g2 = NEW_GENERATION.matcher(started2);
      assertThat(started2, g2.find(), equalTo(true));
      long generation2 = Long.parseLong(g2.group(1));
      assertThat("a new generation", generation2 > generation1, equalTo(true));
      String seen = second.awaitOut("sees windows whole from arrival", 60_000L);
      Matcher t = SEEN_WHOLE_FROM.matcher(seen);
      assertThat(seen, t.find(), equalTo(true));
      long t0 = Instant.parse(t.group(1)).toEpochMilli();
      await(
          "run 2's first checkpoint",
          120_000L,
          second,
          () -> checkpointsOfOtherJobs(checkpoints, firstJob) >= 1);
      long recoveredAt = System.currentTimeMillis();

      KafkaPublisher.PublishReport report = publisher.get(180_000L, TimeUnit.MILLISECONDS);
      assertThat("every record acknowledged", (long) published.size(), equalTo(spec.deliveries()));
      assertThat(
          "T0 is the start of the minute 2 minutes before the broker's time of the first record at"
              + " the committed offsets (it reads again from there)",
          t0,
          equalTo(
              Instant.ofEpochMilli(expectedT0(published, committedAtKill))
                  .truncatedTo(java.time.temporal.ChronoUnit.MINUTES)
                  .minus(java.time.Duration.ofMinutes(2))
                  .toEpochMilli()));
      long bound = t0 + MAX_EVENT_TIME_AHEAD_MILLIS;

      await(
          "offsets committed at the end",
          120_000L,
          second,
          () -> committedAtEnd(kafka, GROUP, TOPIC, PARTITIONS));
      ExpectedTables exact = expected(published, JobConfig.REPLAY_ALLOWED_LATENESS.getMillis());
      await(
          "each accepted event in the raw store",
          150_000L,
          second,
          () -> rawEventIds0(dataDir).keySet().containsAll(exact.acceptedEventIds));
      Thread.sleep(3 * EARLY_FIRING_MILLIS);
      second.stop();

      // ---- Never worse: every row run 1 wrote of a window run 2 could not see whole is kept.
      Map<CuratedTable, List<VersionedRow>> afterRun2 = readVersioned(warehouseUrl);
      long hourEndOfT0 = (t0 / 3_600_000L + 1) * 3_600_000L;
      int kept = 0;
      for (CuratedTable table : CuratedTable.values()) {
        long partialBefore = table == CuratedTable.PIPELINE_COMPLETENESS ? hourEndOfT0 : bound;
        Set<VersionedRow> now = new HashSet<>(afterRun2.get(table));
        for (VersionedRow r : afterRun1.get(table)) {
          if (r.row().getLong("window_start") < partialBefore) {
            assertThat(
                table.tableName() + ": run 1's row of a partial window is kept: " + r,
                now.contains(r),
                equalTo(true));
            kept++;
          }
        }
      }
      assertThat("run 1 had rows of partial windows", kept > 0, equalTo(true));
      List<CorrectionDue> due;
      try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
        due = w.curated().correctionsDue();
        assertThat(
            "the generation log keeps T0",
            w.log().seenWholeFrom(generation2).map(Instant::toEpochMilli).orElse(-1L),
            equalTo(t0));
      }
      assertThat("run 2 recorded windows due for correction", due.isEmpty(), equalTo(false));
      Set<String> dueKeys = new HashSet<>();
      for (CorrectionDue d : due) {
        assertThat(d.generation(), equalTo(generation2));
        assertThat(
            "due windows start before T0 + bound: " + d,
            d.windowStart().toEpochMilli() < bound,
            equalTo(true));
        dueKeys.add(d.windowStart().toEpochMilli() + "/" + d.granularity());
      }
      for (CuratedTable table : ReplayScope.TABLES) {
        for (VersionedRow r : afterRun2.get(table)) {
          if (r.generation() == generation1) {
            assertThat(
                "a window run 2 wrote next to run 1's rows is due: " + r,
                !windowWrittenBy(afterRun2.get(table), r, generation2)
                    || dueKeys.contains(
                        r.row().getLong("window_start") + "/" + r.row().getString("granularity")),
                equalTo(true));
          }
        }
      }

      // ---- The correction replay of the due dates makes the metric tables exact.
      LocalDate from = null;
      LocalDate to = null;
      for (CorrectionDue d : due) {
        LocalDate day = d.windowStart().atZone(ZoneOffset.UTC).toLocalDate();
        if (!java.nio.file.Files.isDirectory(dataDir.resolve("raw").resolve("dt=" + day))) {
          continue; // a day recorded at the start (the day before T0) with no events: as the DAG
        }
        from = from == null || day.isBefore(from) ? day : from;
        to = to == null || day.isAfter(to) ? day : to;
      }
      // Run 2 read again from T0, before the committed offsets: the raw-store files of run 1's
      // open arrival windows, lost with its state, are written again, so the raw store holds
      // every accepted event.
      Set<String> missing = new HashSet<>(exact.acceptedEventIds);
      missing.removeAll(rawEventIds(dataDir).keySet());
      assertThat("accepted events missing from the raw store: " + missing, missing, empty());
      replay =
          Child.start(
              replayCommand(dataDir, warehouseUrl, from, to), TMP.newFolder("replay").toPath());
      assertThat(
          "the replay finished", replay.process.waitFor(240, TimeUnit.SECONDS), equalTo(true));
      assertThat("the replay succeeded\n" + replay.tail(), replay.process.exitValue(), equalTo(0));

      StringBuilder differences = new StringBuilder();
      Map<CuratedTable, List<VersionedRow>> afterReplay = readVersioned(warehouseUrl);
      for (CuratedTable table : ReplayScope.TABLES) {
        Set<CuratedRow> got = new HashSet<>();
        for (VersionedRow r : afterReplay.get(table)) {
          got.add(r.row());
        }
        Set<CuratedRow> want = rowsOf(exact, table);
        if (!want.equals(got)) {
          differences.append(describeDifference(table, want, got));
        }
      }
      assertThat(
          "after the replay the metric tables equal the independently computed ones\n"
              + differences,
          differences.length(),
          equalTo(0));
      try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
        List<CorrectionDue> left = new ArrayList<>();
        for (CorrectionDue d : w.curated().correctionsDue()) {
          LocalDate day = d.windowStart().atZone(ZoneOffset.UTC).toLocalDate();
          if (java.nio.file.Files.isDirectory(dataDir.resolve("raw").resolve("dt=" + day))) {
            left.add(d);
          }
        }
        assertThat("the replay cleared the due windows of every day with events", left, empty());
      }
      long receivedBefore = receivedOf(afterReplay);

      // ---- Completeness of the hours neither job saw whole, rewritten from the per-offset
      // account of the lost-event audit (every offset once: raw, quarantined or duplicate).
      long firstArrival = Long.MAX_VALUE;
      long lastArrival = Long.MIN_VALUE;
      for (Published p : published) {
        firstArrival = Math.min(firstArrival, p.appendMillis);
        lastArrival = Math.max(lastArrival, p.appendMillis);
      }
      java.io.ByteArrayOutputStream auditOut = new java.io.ByteArrayOutputStream();
      java.io.PrintStream auditPrint =
          new java.io.PrintStream(auditOut, true, StandardCharsets.UTF_8);
      int auditExit =
          CollabAudit.run(
              new String[] {
                "--dataDir=" + dataDir,
                "--warehouseUrl=" + warehouseUrl,
                "--from=" + Instant.ofEpochMilli(firstArrival).atZone(ZoneOffset.UTC).toLocalDate(),
                "--to=" + Instant.ofEpochMilli(lastArrival).atZone(ZoneOffset.UTC).toLocalDate(),
                "--" + CollabAudit.REWRITE_OPTION + "=true"
              },
              auditPrint,
              auditPrint);
      String auditReport = auditOut.toString(StandardCharsets.UTF_8);
      assertThat(auditReport, auditExit, equalTo(CollabAudit.EXIT_OK));
      assertThat(auditReport, containsString("rewrote pipeline_completeness of "));
      Map<CuratedTable, List<VersionedRow>> afterAudit = readVersioned(warehouseUrl);
      Map<CuratedTable, Set<CuratedRow>> actual = new HashMap<>();
      for (CuratedTable table : CuratedTable.values()) {
        Set<CuratedRow> rows = new HashSet<>();
        for (VersionedRow r : afterAudit.get(table)) {
          rows.add(r.row());
        }
        actual.put(table, rows);
      }
      long received = assertCompletenessAddsUp(actual.get(CuratedTable.PIPELINE_COMPLETENESS));
      assertThat(
          "received over all hours = published, after the rewrite (before it: "
              + receivedBefore
              + ")",
          received,
          equalTo((long) published.size()));
      Map<String, Long> rawIds = rawEventIds(dataDir);
      ChaosRun.Result result = new ChaosRun.Result();
      result.fault =
          "the pipeline killed with kill -9, then started without its state (--fresh=true)";
      result.profile = "embedded default";
      result.published = published.size();
      result.received = received;
      result.accepted = exact.acceptedEventIds.size();
      result.lost = missing.size();
      result.doubleCounted = ChaosRun.overCounted(exact, actual);
      result.rawCopies = rawIds.values().stream().mapToLong(Long::longValue).sum() - rawIds.size();
      result.recoverySeconds = (recoveredAt - killedAt) / 1000.0;
      result.recovery =
          "a fresh job re-read the stream from T0; "
              + due.size()
              + " windows it could not see whole recorded as due; the correction replay of their"
              + String.format(
                  " dates; the completeness of the hours neither job saw whole (%,d of %,d"
                      + " received) rewritten from the lost-event audit's per-offset account"
                      + " (bin/collab-audit --rewriteCompleteness=true)",
                  receivedBefore, published.size());
      result.testSeconds = (System.currentTimeMillis() - killedAt) / 1000;
      long[] audit = ChaosRun.audit(dataDir, warehouseUrl, published);
      result.audited = audit[0];
      result.lost += audit[1];
      assertThat("offsets the audit found lost", audit[1], equalTo(0L));
      assertThat(
          "offsets the audit accounted for = published",
          audit[0],
          equalTo((long) published.size()));
      ChaosReport.record(result);

      String figures =
          String.format(
              "stateless start: %,d events (achieved %.0f/s), T0 %s, %,d rows of run 1 kept, %,d"
                  + " windows due, replayed %s..%s; %,d accepted events not in the raw store",
              spec.deliveries(),
              report.recordsPerSecond(),
              Instant.ofEpochMilli(t0),
              kept,
              due.size(),
              from,
              to,
              missing.size());
      System.out.println(figures);
      Files.writeString(
          Path.of("target", "stateless-start.txt"),
          figures + System.lineSeparator(),
          StandardCharsets.UTF_8);
    } finally {
      publishing.shutdownNow();
      for (Child c : new Child[] {first, second, replay}) {
        if (c != null) {
          c.kill();
        }
      }
      if (first != null) {
        first.keepLogs("stateless-start", "run1");
      }
      if (second != null) {
        second.keepLogs("stateless-start", "run2");
      }
      if (replay != null) {
        replay.keepLogs("stateless-start", "replay");
      }
    }
  }

  /** Whether {@code rows} hold a row of {@code generation} in the window of {@code r}. */
  private static boolean windowWrittenBy(List<VersionedRow> rows, VersionedRow r, long generation) {
    for (VersionedRow x : rows) {
      if (x.generation() == generation
          && x.row().getLong("window_start") == r.row().getLong("window_start")
          && x.row().getString("granularity").equals(r.row().getString("granularity"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * T0 as the test computes it from the acknowledgements: per partition, the append time of the
   * record at the committed offset (offset 0 where none is committed), the earliest.
   */
  private static long expectedT0(List<Published> published, Map<TopicPartition, Long> committed) {
    long t0 = Long.MAX_VALUE;
    synchronized (published) {
      for (Published p : published) {
        Long c = committed.get(new TopicPartition(TOPIC, p.partition));
        if (p.offset == (c == null ? 0L : c)) {
          t0 = Math.min(t0, p.appendMillis);
        }
      }
    }
    return t0;
  }

  private static Map<TopicPartition, Long> committed(LocalKafka kafka) throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      admin
          .listConsumerGroupOffsets(GROUP)
          .partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS)
          .forEach((p, o) -> out.put(p, o.offset()));
    }
    return out;
  }

  /** Received over the hour rows of pipeline_completeness. */
  private static long receivedOf(Map<CuratedTable, List<VersionedRow>> tables) {
    long received = 0;
    for (VersionedRow r : tables.get(CuratedTable.PIPELINE_COMPLETENESS)) {
      if (r.row().getString("granularity").equals(Granularity.HOUR.code())
          && r.row().getString("stage").equals("received")) {
        received += r.row().getLong("events");
      }
    }
    return received;
  }

  private static Map<CuratedTable, List<VersionedRow>> readVersioned(String warehouseUrl)
      throws Exception {
    Map<CuratedTable, List<VersionedRow>> rows = new HashMap<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
      w.curated().ensureTables();
      for (CuratedTable table : CuratedTable.values()) {
        rows.put(table, w.curated().readVersioned(table));
      }
    }
    return rows;
  }

  private static List<String> replayCommand(
      Path dataDir, String warehouseUrl, LocalDate from, LocalDate to) {
    return rawReplayCommand(dataDir, warehouseUrl, from, to, List.of());
  }

  private static final Pattern ACCEPTED = Pattern.compile("accepted ([\\d,]+)");

  /** The last "accepted N" of the job's progress lines (0 before the first). */
  private static long accepted(Child child) {
    long n = 0;
    try {
      for (String line : Files.readAllLines(child.out.toPath(), StandardCharsets.UTF_8)) {
        Matcher m = ACCEPTED.matcher(line);
        if (m.find()) {
          n = Long.parseLong(m.group(1).replace(",", ""));
        }
      }
    } catch (IOException e) {
      return n;
    }
    return n;
  }

  private static Map<String, Long> rawEventIds0(Path dataDir) {
    try {
      return rawEventIds(dataDir);
    } catch (Exception e) {
      return new HashMap<>(); // a file being renamed into place: read again at the next poll
    }
  }

  /** The command a user types, as a JVM of its own on this test's classpath. */
  private static List<String> command(String bootstrap, Path dataDir, String warehouseUrl) {
    return kafkaStreamCommand(bootstrap, TOPIC, GROUP, dataDir, warehouseUrl, EARLY_FIRING_MILLIS);
  }
}
