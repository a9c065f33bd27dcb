package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
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
 * and Flink's bundles last at most a second), each upsert is its own committed DuckDB transaction,
 * and DuckDB replays its write-ahead log when the file is next opened.
 */
@RunWith(JUnit4.class)
public class ResumeAfterKillTest {
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
      ExpectedTables expected = expected(published);

      // ---- Everything consumed: offsets committed at the end of the log (with a checkpoint), the
      // raw store's arrival windows closed, and the early panes of the open windows written.
      await("offsets committed at the end", 120_000L, second, () -> committedAtEnd(kafka));
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
        first.keepLogs("run1");
      }
      if (second != null) {
        second.kill();
        second.keepLogs("run2");
      }
    }
  }

  /** The command a user types, as a JVM of its own on this test's classpath. */
  private static List<String> command(String bootstrap, Path dataDir, String warehouseUrl) {
    String classpath = System.getProperty("surefire.test.class.path");
    if (classpath == null || classpath.isEmpty()) {
      classpath = System.getProperty("java.class.path");
    }
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1500m",
        "-cp",
        classpath,
        CollabPipeline.class.getName(),
        "--source=kafka",
        "--allowDevKey=true",
        "--kafkaBootstrapServers=" + bootstrap,
        "--kafkaTopics=" + TOPIC,
        "--kafkaGroupId=" + GROUP,
        "--dataDir=" + dataDir,
        "--warehouseUrl=" + warehouseUrl,
        "--checkpointingInterval=2000",
        "--minPauseBetweenCheckpoints=500",
        "--earlyFiringDelay=" + (EARLY_FIRING_MILLIS / 1000) + "s",
        "--parallelism=2",
        "--progressSeconds=5");
  }

  /** The expected tables: every acknowledged delivery at the broker's append time. */
  private static ExpectedTables expected(List<Published> published) throws IOException {
    List<Published> byArrival;
    synchronized (published) {
      byArrival = new ArrayList<>(published);
    }
    byArrival.sort(
        Comparator.<Published>comparingLong(x -> x.appendMillis)
            .thenComparingInt(x -> x.partition)
            .thenComparingLong(x -> x.offset));
    List<ExpectedTables.Observed> arrivals = new ArrayList<>();
    for (Published x : byArrival) {
      arrivals.add(new ExpectedTables.Observed(x.delivery, x.appendMillis));
    }
    return ExpectedTables.compute(arrivals, ALLOWED_LATENESS_MILLIS);
  }

  /** For every hour, received = quarantined + duplicate + accepted; returns received over all. */
  private static long assertCompletenessAddsUp(Set<CuratedRow> completeness) {
    Map<Long, Map<String, Long>> hours = new TreeMap<>();
    for (CuratedRow r : completeness) {
      if (r.getString("granularity").equals(Granularity.HOUR.code())) {
        hours
            .computeIfAbsent(r.getLong("window_start"), k -> new HashMap<>())
            .put(r.getString("stage"), r.getLong("events"));
      }
    }
    long received = 0;
    for (Map.Entry<Long, Map<String, Long>> h : hours.entrySet()) {
      Map<String, Long> st = h.getValue();
      long r = st.getOrDefault("received", 0L);
      received += r;
      assertThat(
          "hour " + h.getKey() + ": received = quarantined + duplicate + accepted",
          r,
          equalTo(
              st.getOrDefault("quarantined", 0L)
                  + st.getOrDefault("duplicate", 0L)
                  + st.getOrDefault("accepted", 0L)));
    }
    return received;
  }

  /** The highest completed checkpoint number under {@code checkpoints} (0: none yet). */
  private static long latestCheckpoint(Path checkpoints) {
    long max = 0;
    for (Path job : list(checkpoints)) {
      max = Math.max(max, completedIn(job));
    }
    return max;
  }

  /** Completed checkpoints of the jobs other than {@code job}. */
  private static long checkpointsOfOtherJobs(Path checkpoints, String job) {
    long n = 0;
    for (Path dir : list(checkpoints)) {
      if (!dir.getFileName().toString().equals(job) && completedIn(dir) > 0) {
        n++;
      }
    }
    return n;
  }

  private static long completedIn(Path jobDir) {
    long max = 0;
    for (Path chk : list(jobDir)) {
      String name = chk.getFileName().toString();
      if (name.matches("chk-\\d+") && Files.isRegularFile(chk.resolve("_metadata"))) {
        max = Math.max(max, Long.parseLong(name.substring(4)));
      }
    }
    return max;
  }

  private static String onlyJobDirectory(Path checkpoints) {
    List<Path> jobs = list(checkpoints);
    assertThat("run 1 left one job directory: " + jobs, jobs.size(), equalTo(1));
    return jobs.get(0).getFileName().toString();
  }

  private static List<Path> list(Path dir) {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return dirs;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
      s.forEach(dirs::add);
    } catch (IOException e) {
      // a directory Flink removed while we listed it: the next poll sees the new state
    }
    return dirs;
  }

  /** Whether the group's committed offsets are at the end of every partition of the topic. */
  private static boolean committedAtEnd(LocalKafka kafka) {
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < PARTITIONS; p++) {
        latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
      }
      for (Map.Entry<
              TopicPartition,
              org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo>
          e : admin.listOffsets(latest).all().get().entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        if (c == null || c.offset() < e.getValue().offset()) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Event id → copies over the raw store's Parquet files (read with an in-memory DuckDB). */
  private static Map<String, Long> rawEventIds(Path dataDir) throws Exception {
    Map<String, Long> ids = new HashMap<>();
    String glob = dataDir.resolve("raw") + "/dt=*/hr=*/*.parquet";
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT event_id, count(*) FROM read_parquet('" + glob + "') GROUP BY 1")) {
      while (rs.next()) {
        ids.put(rs.getString(1), rs.getLong(2));
      }
    } catch (java.sql.SQLException e) {
      if (!String.valueOf(e.getMessage()).contains("No files found")) {
        throw e;
      }
    }
    return ids;
  }

  private static long rawRows(Path dataDir) {
    try {
      return rawEventIds(dataDir).values().stream().mapToLong(Long::longValue).sum();
    } catch (Exception e) {
      return -1; // a file being renamed into place: read again at the next poll
    }
  }

  /** The generations of kind stream in the warehouse's generation log. */
  private static List<Long> streamGenerations(String warehouseUrl) throws Exception {
    List<Long> g = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(warehouseUrl);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT generation FROM pipeline_generations WHERE kind = 'stream' ORDER BY 1")) {
      while (rs.next()) {
        g.add(rs.getLong(1));
      }
    }
    return g;
  }

  private static void await(String what, long timeoutMillis, Child child, BooleanSupplier done)
      throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (!done.getAsBoolean()) {
      if (!child.process.isAlive()) {
        throw new AssertionError(
            "waiting for "
                + what
                + ", the job exited ("
                + child.process.exitValue()
                + ")\n"
                + child.tail());
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(
            "waiting for "
                + what
                + ": timed out after "
                + timeoutMillis / 1000
                + " s\n"
                + child.tail());
      }
      Thread.sleep(250L);
    }
  }

  private static Set<CuratedRow> rowsOf(ExpectedTables expected, CuratedTable table) {
    Set<CuratedRow> rows = new HashSet<>();
    for (CuratedRow r : expected.rows) {
      if (r.table() == table) {
        rows.add(r);
      }
    }
    return rows;
  }

  private static String describeDifference(
      CuratedTable table, Set<CuratedRow> want, Set<CuratedRow> got) {
    Set<CuratedRow> missing = new HashSet<>(want);
    missing.removeAll(got);
    Set<CuratedRow> extra = new HashSet<>(got);
    extra.removeAll(want);
    StringBuilder sb =
        new StringBuilder(table.tableName())
            .append(": ")
            .append(missing.size())
            .append(" expected rows missing, ")
            .append(extra.size())
            .append(" unexpected\n");
    missing.stream().limit(5).forEach(r -> sb.append("  missing ").append(r).append('\n'));
    extra.stream().limit(5).forEach(r -> sb.append("  unexpected ").append(r).append('\n'));
    return sb.toString();
  }

  /** One record the publisher got an acknowledgement for. */
  private static final class Published {
    final Delivery delivery;
    final long appendMillis;
    final int partition;
    final long offset;

    Published(Delivery delivery, long appendMillis, int partition, long offset) {
      this.delivery = delivery;
      this.appendMillis = appendMillis;
      this.partition = partition;
      this.offset = offset;
    }
  }

  /** The pipeline in a JVM of its own, its stdout and stderr in files. */
  private static final class Child {
    final Process process;
    final File out;
    final File err;

    private Child(Process process, File out, File err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    static Child start(List<String> command, Path dir) throws IOException {
      File out = dir.resolve("stdout.txt").toFile();
      File err = dir.resolve("stderr.txt").toFile();
      Process p =
          new ProcessBuilder(command)
              .redirectOutput(out)
              .redirectError(err)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      return new Child(p, out, err);
    }

    String awaitOut(String prefix, long timeoutMillis) throws Exception {
      return awaitLine(out, prefix, timeoutMillis);
    }

    String awaitErr(String fragment, long timeoutMillis) throws Exception {
      return awaitLine(err, fragment, timeoutMillis);
    }

    /** The first line of {@code file} that contains {@code fragment}. */
    private String awaitLine(File file, String fragment, long timeoutMillis) throws Exception {
      long deadline = System.currentTimeMillis() + timeoutMillis;
      while (true) {
        for (String line : Files.readAllLines(file.toPath(), StandardCharsets.UTF_8)) {
          if (line.contains(fragment)) {
            return line;
          }
        }
        if (!process.isAlive()) {
          throw new AssertionError(
              "the job exited ("
                  + process.exitValue()
                  + ") before printing '"
                  + fragment
                  + "'\n"
                  + tail());
        }
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("no line with '" + fragment + "' in " + file + "\n" + tail());
        }
        Thread.sleep(200L);
      }
    }

    /** SIGKILL, like kill -9: no shutdown hook runs. */
    void kill() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }

    /** SIGTERM, then SIGKILL if it has not exited after 30 s. */
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }

    /** Copies stdout and stderr to {@code target/resume-after-kill/<name>-*.txt}, to read later. */
    void keepLogs(String name) {
      try {
        Path dir = Files.createDirectories(Path.of("target", "resume-after-kill"));
        Files.copy(
            out.toPath(),
            dir.resolve(name + "-stdout.txt"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(
            err.toPath(),
            dir.resolve(name + "-stderr.txt"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        System.err.println("cannot keep the logs of " + name + ": " + e);
      }
    }

    String tail() {
      return "--- stdout\n" + last(out, 30) + "--- stderr\n" + last(err, 30);
    }

    private static String last(File f, int n) {
      try {
        List<String> lines = Files.readAllLines(f.toPath(), StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size())) + "\n";
      } catch (IOException e) {
        return "(" + e + ")\n";
      }
    }
  }
}
