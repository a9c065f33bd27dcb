package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.tools.devstack.LocalKafka;
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
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the tests that run the pipeline as a process of its own on a Kafka stream share ({@link
 * ResumeAfterKillTest}, {@link StatelessStartTest}): the child process, waiting on it, reading its
 * checkpoints, raw store and warehouse back, the independent expected tables and how they differ.
 */
final class StreamRuns {
  private StreamRuns() {}

  /** The expected tables: every acknowledged delivery at the broker's append time. */
  static ExpectedTables expected(List<Published> published, long allowedLatenessMillis)
      throws IOException {
    List<ExpectedTables.Observed> arrivals = new ArrayList<>();
    for (Published x : byArrival(published)) {
      arrivals.add(new ExpectedTables.Observed(x.delivery, x.appendMillis));
    }
    return ExpectedTables.compute(arrivals, allowedLatenessMillis);
  }

  /** A copy of {@code published} in arrival order (append time, then partition and offset). */
  static List<Published> byArrival(List<Published> published) {
    List<Published> byArrival;
    synchronized (published) {
      byArrival = new ArrayList<>(published);
    }
    byArrival.sort(
        Comparator.<Published>comparingLong(x -> x.appendMillis)
            .thenComparingInt(x -> x.partition)
            .thenComparingLong(x -> x.offset));
    return byArrival;
  }

  /** For every hour, received = quarantined + duplicate + accepted; returns received over all. */
  static long assertCompletenessAddsUp(Set<CuratedRow> completeness) {
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
  static long latestCheckpoint(Path checkpoints) {
    long max = 0;
    for (Path job : list(checkpoints)) {
      max = Math.max(max, completedIn(job));
    }
    return max;
  }

  /** Completed checkpoints of the jobs other than {@code job}. */
  static long checkpointsOfOtherJobs(Path checkpoints, String job) {
    long n = 0;
    for (Path dir : list(checkpoints)) {
      if (!dir.getFileName().toString().equals(job) && completedIn(dir) > 0) {
        n++;
      }
    }
    return n;
  }

  static long completedIn(Path jobDir) {
    long max = 0;
    for (Path chk : list(jobDir)) {
      String name = chk.getFileName().toString();
      if (name.matches("chk-\\d+") && Files.isRegularFile(chk.resolve("_metadata"))) {
        max = Math.max(max, Long.parseLong(name.substring(4)));
      }
    }
    return max;
  }

  static String onlyJobDirectory(Path checkpoints) {
    List<Path> jobs = list(checkpoints);
    assertThat("run 1 left one job directory: " + jobs, jobs.size(), equalTo(1));
    return jobs.get(0).getFileName().toString();
  }

  static List<Path> list(Path dir) {
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
  static boolean committedAtEnd(LocalKafka kafka, String group, String topic, int partitions) {
    return committedAtEnd(kafka.clientConfig(), group, topic, partitions);
  }

  /** The same, for a broker reached with {@code adminConfig}. */
  static boolean committedAtEnd(
      Map<String, Object> adminConfig, String group, String topic, int partitions) {
    try (Admin admin = Admin.create(adminConfig)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
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
  static Map<String, Long> rawEventIds(Path dataDir) throws Exception {
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

  static long rawRows(Path dataDir) {
    try {
      return rawEventIds(dataDir).values().stream().mapToLong(Long::longValue).sum();
    } catch (Exception e) {
      return -1; // a file being renamed into place: read again at the next poll
    }
  }

  /** The generations of kind stream in the warehouse's generation log. */
  static List<Long> streamGenerations(String warehouseUrl) throws Exception {
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

  static void await(String what, long timeoutMillis, Child child, BooleanSupplier done)
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

  static Set<CuratedRow> rowsOf(ExpectedTables expected, CuratedTable table) {
    Set<CuratedRow> rows = new HashSet<>();
    for (CuratedRow r : expected.rows) {
      if (r.table() == table) {
        rows.add(r);
      }
    }
    return rows;
  }

  static String describeDifference(CuratedTable table, Set<CuratedRow> want, Set<CuratedRow> got) {
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

  /** This test's classpath, which the pipeline's JVM gets (surefire's real one, not its jar). */
  static String testClasspath() {
    String classpath = System.getProperty("surefire.test.class.path");
    if (classpath == null || classpath.isEmpty()) {
      classpath = System.getProperty("java.class.path");
    }
    return classpath;
  }

  /**
   * The JIT of the JVMs the tests start, as of surefire's own (the root pom's {@code argLine}): C1
   * only, which costs these short, small runs much less CPU than C2's compiling.
   */
  static final String TEST_JIT = "-XX:TieredStopAtLevel=1";

  /** The pipeline's main class as a JVM of its own on this test's classpath; add its options. */
  static List<String> pipelineJvm() {
    return new ArrayList<>(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx1500m",
            TEST_JIT,
            "-cp",
            testClasspath(),
            CollabPipeline.class.getName()));
  }

  /**
   * The command a user types for a stream from Kafka that checkpoints every 2 s into {@code
   * <dataDir>/checkpoints}, as a JVM of its own.
   */
  static List<String> kafkaStreamCommand(
      String bootstrap,
      String topic,
      String group,
      Path dataDir,
      String warehouseUrl,
      long earlyFiringMillis) {
    List<String> c = pipelineJvm();
    c.addAll(
        List.of(
            "--source=kafka",
            "--allowDevKey=true",
            "--kafkaBootstrapServers=" + bootstrap,
            "--kafkaTopics=" + topic,
            "--kafkaGroupId=" + group,
            "--dataDir=" + dataDir,
            "--warehouseUrl=" + warehouseUrl,
            "--checkpointingInterval=2000",
            "--minPauseBetweenCheckpoints=500",
            "--earlyFiringDelay=" + (earlyFiringMillis / 1000) + "s",
            "--parallelism=2",
            "--progressSeconds=5"));
    return c;
  }

  /** A raw replay of {@code from..to} into {@code warehouseUrl}, as a JVM of its own. */
  static List<String> rawReplayCommand(
      Path dataDir, String warehouseUrl, LocalDate from, LocalDate to, List<String> extraArgs) {
    List<String> c = pipelineJvm();
    c.addAll(
        List.of(
            "--source=raw",
            "--from=" + from,
            "--to=" + to,
            "--dataDir=" + dataDir,
            "--warehouseUrl=" + warehouseUrl,
            "--parallelism=2"));
    c.addAll(extraArgs);
    return c;
  }

  /** One record the publisher got an acknowledgement for. */
  static final class Published {
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
  static final class Child {
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

    /** Copies stdout and stderr to {@code target/<test>/<name>-*.txt}, to read later. */
    void keepLogs(String test, String name) {
      try {
        Path dir = Files.createDirectories(Path.of("target", test));
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
