package io.collabpipeline.it;

import static io.collabpipeline.it.StreamRuns.*;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.it.StreamRuns.Child;
import io.collabpipeline.it.StreamRuns.Published;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.audit.CollabAudit;
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
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One run of the chaos suite ({@link ChaosSuiteTest}): the pipeline, as a JVM of its own started
 * with the command a user types ({@code --source=kafka}, the dev or production Flink profile's
 * restart strategy and checkpointing), reads a stream published at a steady rate with duplicates,
 * late and malformed records; a fault is injected once a third of it is published; the run ends
 * when the job has consumed everything. Then, with the job stopped, it asserts what the suite
 * promises: completeness adds up, hour by hour, to what was published; the raw store holds every
 * accepted event (exactly once, or, where the fault allows copies, every copy of the same id is
 * counted once by the correction replay); and the curated tables equal the ones computed
 * independently from what was published and when the broker appended it ({@link ExpectedTables}),
 * after the correction replay where the scenario needs one. It measures how long the job took to be
 * healthy again (the first checkpoint completed after the fault ended) and returns the figures for
 * RELIABILITY.md.
 */
final class ChaosRun {
  static final double RATE = Double.parseDouble(System.getProperty("it.chaos.rate", "50"));

  /**
   * The stream's length: 24 s at 50/s, of which the fault comes 8 s in (once a third is published)
   * and each run asserts that the stream was still being published when it did.
   */
  static final int EVENTS = Integer.getInteger("it.chaos.events", 1_200);

  static final int PARTITIONS = 3;
  static final String TOPIC = "chaos";
  static final long ALLOWED_LATENESS_MILLIS = 2 * 3_600_000L;
  static final long EARLY_FIRING_MILLIS = 5_000L;
  static final long CHECKPOINT_MILLIS = 2_000L;

  /** The fault: injected while the stream runs; returns when it is over. */
  interface Fault {
    /**
     * Injects the fault and returns when it has ended (the service is back, the kill is done);
     * {@code published} holds what the broker acknowledged so far (add to it what the fault sends).
     */
    FaultOutcome inject(Child job, List<Published> published) throws Exception;
  }

  /**
   * A Flink cluster the job runs on instead of the embedded one ({@link TaskManagerKillChaos}): its
   * own configuration decides checkpoints and restarts, so the run derives no profile
   * configuration.
   */
  interface Cluster {
    /** The command that runs the pipeline with {@code pipelineArgs} as a client of the cluster. */
    List<String> command(List<String> pipelineArgs) throws IOException;

    /** Ends the job on the cluster: stopping its client does not. */
    void cancelJobs() throws Exception;

    /** What the cluster did to bring the job back, in the words of RELIABILITY.md. */
    String recovery() throws Exception;
  }

  /** When a fault ended and what it was, in the words of RELIABILITY.md. */
  static final class FaultOutcome {
    final long endedMillis;
    final String what;

    FaultOutcome(long endedMillis, String what) {
      this.endedMillis = endedMillis;
      this.what = what;
    }
  }

  /** What a run adds to RELIABILITY.md. */
  static final class Result {
    String fault;
    String profile;
    long published;
    long received;
    long accepted;
    long lost;
    long doubleCounted;
    long rawCopies;
    double recoverySeconds;
    String recovery;
    long testSeconds;

    /** Source offsets the lost-event audit accounted for (-1: not audited, e.g. S3 stores). */
    long audited = -1;

    String line() {
      return String.join(
          "\t",
          fault,
          profile,
          Long.toString(published),
          Long.toString(received),
          Long.toString(accepted),
          Long.toString(lost),
          Long.toString(doubleCounted),
          Long.toString(rawCopies),
          String.format(java.util.Locale.ROOT, "%.1f", recoverySeconds),
          recovery,
          Long.toString(testSeconds),
          Long.toString(audited));
    }
  }

  private final String name;
  private final Path dir;
  private String profile = "dev";
  private String bootstrap;
  private Map<String, Object> adminConfig;
  private String warehouseUrl;
  private List<String> extraArgs = List.of();
  private WorkloadSpec spec = standardWorkload(1);
  private Fault fault;
  private RawStore raw;
  private boolean localStores = true;
  private boolean replayAfter;
  private ExpectedTables expected;
  private List<Published> published = List.of();
  private Cluster cluster;

  /** Reads the raw store back: event id → copies. */
  interface RawStore {
    Map<String, Long> eventIds() throws Exception;
  }

  private ChaosRun(String name, Path dir) {
    this.name = name;
    this.dir = dir;
    this.raw = () -> rawEventIds(dir.resolve("data"));
  }

  static ChaosRun named(String name, Path dir) {
    return new ChaosRun(name, dir);
  }

  /** The suite's stream: steady, with duplicates, late and malformed records. */
  static WorkloadSpec standardWorkload(long seed) {
    return WorkloadSpec.defaults()
        .withDeliveries(EVENTS)
        .withSeed(seed)
        .withDuplicateShare(0.03)
        .withLateShare(0.05)
        .withMalformedShare(0.02);
  }

  ChaosRun profile(String p) {
    this.profile = p;
    return this;
  }

  ChaosRun kafka(String bootstrapServers, Map<String, Object> admin) {
    this.bootstrap = bootstrapServers;
    this.adminConfig = admin;
    return this;
  }

  ChaosRun warehouse(String url) {
    this.warehouseUrl = url;
    return this;
  }

  ChaosRun extraArgs(List<String> args) {
    this.extraArgs = List.copyOf(args);
    return this;
  }

  ChaosRun workload(WorkloadSpec s) {
    this.spec = s;
    return this;
  }

  ChaosRun fault(Fault f) {
    this.fault = f;
    return this;
  }

  /** Runs the job on {@code c} (submitted by its client) instead of embedded in the child. */
  ChaosRun onCluster(Cluster c) {
    this.cluster = c;
    return this;
  }

  /**
   * The raw store is elsewhere (S3, named with its endpoint in {@link #extraArgs}), read by {@code
   * r}; the audit runs as {@code bin/collab-audit} does, with those options.
   */
  ChaosRun rawStore(RawStore r) {
    this.raw = r;
    this.localStores = false;
    return this;
  }

  /**
   * The fault makes the stream's tables differ from the exact ones by design (a duplicate re-sent
   * after the dedup horizon is accepted again): a raw replay of the event dates corrects them, and
   * the raw store may hold copies of an id.
   */
  ChaosRun replayAfter() {
    this.replayAfter = true;
    return this;
  }

  /** The tables computed independently from what was published (after {@link #run}). */
  ExpectedTables expectedTables() {
    return expected;
  }

  /** Every record the broker acknowledged, with its partition and offset (after {@link #run}). */
  List<Published> published() {
    return published;
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  Path checkpoints() {
    return dir.resolve("checkpoints");
  }

  String warehouseUrl() {
    if (warehouseUrl == null) {
      warehouseUrl = "jdbc:duckdb:" + dataDir().resolve("warehouse.duckdb");
    }
    return warehouseUrl;
  }

  Result run() throws Exception {
    long testStart = System.currentTimeMillis();
    Files.createDirectories(dataDir());
    Path conf =
        cluster == null ? flinkConf(profile, checkpoints(), dir.resolve("flink-conf")) : null;
    published = Collections.synchronizedList(new ArrayList<>());
    ExecutorService publishing = Executors.newSingleThreadExecutor();
    Child job = null;
    Result result = new Result();
    result.profile = profile;
    try {
      job = Child.start(command(conf), Files.createDirectories(dir.resolve("job")));
      Child running = job;
      phase(testStart, "job started");
      await(
          "the job's first checkpoint", 180_000L, job, () -> latestCheckpoint(checkpoints()) >= 1);
      phase(testStart, "first checkpoint");
      Future<KafkaPublisher.PublishReport> publisher =
          publishing.submit(
              () ->
                  KafkaPublisher.to(bootstrap, TOPIC)
                      .withRate(RATE)
                      // ride out a broker restart: wait for metadata and acknowledgements
                      .withProducerProperties(
                          Map.of("max.block.ms", "180000", "delivery.timeout.ms", "300000"))
                      .withListener(
                          (d, md) ->
                              published.add(
                                  new Published(d, md.timestamp(), md.partition(), md.offset())))
                      .publish(spec));
      await(
          "a third of the stream published and two checkpoints",
          180_000L,
          job,
          () -> published.size() >= spec.deliveries() / 3 && latestCheckpoint(checkpoints()) >= 2);
      phase(testStart, "a third published: fault injected");
      assertThat(
          "still publishing when the fault is injected (the fault happens during the load)",
          published.size() < spec.deliveries() && !publisher.isDone(),
          equalTo(true));

      FaultOutcome outcome = fault.inject(job, published);
      result.fault = outcome.what;
      phase(testStart, "fault over");
      long checkpointAtEnd = latestCheckpoint(checkpoints());
      await(
          "a checkpoint after the fault ended",
          300_000L,
          running,
          () -> latestCheckpoint(checkpoints()) > checkpointAtEnd);
      result.recoverySeconds = (System.currentTimeMillis() - outcome.endedMillis) / 1000.0;
      result.recovery = cluster == null ? recoveryOf(job) : cluster.recovery();
      phase(testStart, "checkpoint after the fault");

      publisher.get(600_000L, TimeUnit.MILLISECONDS);
      phase(testStart, "all published");
      ExpectedTables stream = expected(published, ALLOWED_LATENESS_MILLIS);
      ExpectedTables exact = expected(published, JobConfig.REPLAY_ALLOWED_LATENESS.getMillis());
      expected = stream;
      await(
          "offsets committed at the end of the log",
          300_000L,
          job,
          () -> committedAtEnd(adminConfig, jobGroup(), TOPIC, PARTITIONS));
      phase(testStart, "offsets committed at the end");
      await(
          "each accepted event in the raw store",
          300_000L,
          job,
          () -> distinctRaw() >= stream.acceptedEventIds.size());
      phase(testStart, "raw store complete");
      // The quarantine and the duplicates ledger write a record when its arrival minute closes,
      // like the raw store; the last records may be malformed or copies that arrived in a later
      // minute than the last accepted one, so the raw store alone does not say they are written.
      long lastArrival;
      synchronized (published) {
        lastArrival = published.stream().mapToLong(p -> p.appendMillis).max().orElse(0L);
      }
      long lastMinuteClosed = (lastArrival / 60_000L + 1) * 60_000L;
      await(
          "the arrival minute of every published record closed",
          300_000L,
          job,
          () -> System.currentTimeMillis() > lastMinuteClosed + 5_000L);
      phase(testStart, "last arrival minute closed");
      Thread.sleep(3 * EARLY_FIRING_MILLIS);
      job.stop();
      if (cluster != null) {
        cluster.cancelJobs(); // a client's end leaves its job running on the cluster
      }
      phase(testStart, "job stopped");

      Map<CuratedTable, Set<CuratedRow>> actual = read(warehouseUrl());
      result.published = published.size();
      result.received = assertCompletenessAddsUp(actual.get(CuratedTable.PIPELINE_COMPLETENESS));
      result.accepted = exact.acceptedEventIds.size();
      Map<String, Long> rawIds = raw.eventIds();
      Set<String> missing = new HashSet<>(exact.acceptedEventIds);
      missing.removeAll(rawIds.keySet());
      result.lost = missing.size();
      result.rawCopies = rawIds.values().stream().mapToLong(Long::longValue).sum() - rawIds.size();
      long[] audit =
          localStores
              ? audit(dataDir(), warehouseUrl(), published)
              : auditCommand(dataDir(), warehouseUrl(), published, extraArgs);
      result.audited = audit[0];
      long auditLost = audit[1];
      result.lost += auditLost;
      phase(testStart, "read back and audited");
      long extraReceived = Math.max(0, result.received - result.published);

      StringBuilder differences = new StringBuilder();
      if (replayAfter) {
        Child replay =
            Child.start(
                replayCommand(eventDates(exact)), Files.createDirectories(dir.resolve("r")));
        assertThat(
            "the replay finished", replay.process.waitFor(300, TimeUnit.SECONDS), equalTo(true));
        assertThat(
            "the replay succeeded\n" + replay.tail(), replay.process.exitValue(), equalTo(0));
        actual = read(warehouseUrl());
        for (CuratedTable table : ReplayScope.TABLES) {
          differences.append(differenceOf(table, exact, actual));
        }
        result.recovery += "; then the correction replay of the event dates";
        phase(testStart, "correction replay done");
      } else {
        for (CuratedTable table : CuratedTable.values()) {
          differences.append(differenceOf(table, stream, actual));
        }
      }
      result.doubleCounted = extraReceived + overCounted(exact, actual);
      result.testSeconds = (System.currentTimeMillis() - testStart) / 1000;
      System.out.println("chaos: " + name + ": " + result.line());

      assertThat("received over all hours = published", result.received, equalTo(result.published));
      assertThat(
          "lost: accepted events not in the raw store " + sample(missing),
          result.lost,
          equalTo(0L));
      assertThat("raw store ids = accepted ids", rawIds.keySet(), equalTo(exact.acceptedEventIds));
      assertThat("offsets the audit found lost", auditLost, equalTo(0L));
      assertThat(
          "offsets the audit accounted for = published", result.audited, equalTo(result.published));
      if (!replayAfter) {
        assertThat("raw store: each accepted event once", result.rawCopies, equalTo(0L));
      }
      assertThat(
          "curated tables equal the independently computed ones\n" + differences,
          differences.toString(),
          equalTo(""));
      return result;
    } finally {
      publishing.shutdownNow();
      if (job != null) {
        job.kill();
        job.keepLogs("chaos", name);
      }
    }
  }

  /** Prints when a phase of the run ended, in seconds from its start (to see where time goes). */
  private void phase(long testStart, String what) {
    System.out.printf(
        java.util.Locale.ROOT,
        "chaos: %s: %s at +%.1f s%n",
        name,
        what,
        (System.currentTimeMillis() - testStart) / 1000.0);
  }

  private long distinctRaw() {
    try {
      return raw.eventIds().size();
    } catch (Exception e) {
      return -1; // a file being renamed into place: read again at the next poll
    }
  }

  private String jobGroup() {
    return "collab-chaos-" + name;
  }

  private static final Pattern FAILED_ATTEMPT =
      Pattern.compile("\\)#(\\d+) \\([0-9a-f_]+\\) switched from \\w+ to FAILED");

  /**
   * How the job came back, from its log: a task attempt that failed ({@code name (1/2)#k ...
   * switched from RUNNING to FAILED}) was followed by a restart from the last checkpoint, so the
   * highest failed attempt number + 1 is the number of restarts; none, and the job rode it out.
   */
  static String recoveryOf(Child job) throws IOException {
    int restarts = 0;
    try (Stream<String> lines = Files.lines(job.err.toPath(), StandardCharsets.UTF_8)) {
      for (String l : (Iterable<String>) lines::iterator) {
        Matcher m = FAILED_ATTEMPT.matcher(l);
        if (m.find()) {
          restarts = Math.max(restarts, Integer.parseInt(m.group(1)) + 1);
        }
      }
    }
    return restarts == 0
        ? "no restart: the job rode it out"
        : "Flink restarted the job from its last checkpoint "
            + restarts
            + (restarts == 1 ? " time" : " times")
            + " (restart strategy)";
  }

  private static Map<CuratedTable, Set<CuratedRow>> read(String url) throws Exception {
    Map<CuratedTable, Set<CuratedRow>> actual = new HashMap<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      for (CuratedTable table : CuratedTable.values()) {
        actual.put(table, new HashSet<>(w.curated().read(table)));
      }
    }
    return actual;
  }

  private static String differenceOf(
      CuratedTable table, ExpectedTables expected, Map<CuratedTable, Set<CuratedRow>> actual) {
    Set<CuratedRow> want = rowsOf(expected, table);
    return want.equals(actual.get(table)) ? "" : describeDifference(table, want, actual.get(table));
  }

  /**
   * Events counted more than once in the metric tables: per hour window, task updates and
   * notifications above the independently computed ones, summed.
   */
  static long overCounted(ExpectedTables exact, Map<CuratedTable, Set<CuratedRow>> actual) {
    return Math.max(
            0,
            hourSum(actual.get(CuratedTable.TASK_UPDATE_VELOCITY), "task_updates")
                - hourSum(rowsOf(exact, CuratedTable.TASK_UPDATE_VELOCITY), "task_updates"))
        + Math.max(
            0,
            hourSum(actual.get(CuratedTable.NOTIFICATION_FANOUT), "notifications")
                - hourSum(rowsOf(exact, CuratedTable.NOTIFICATION_FANOUT), "notifications"));
  }

  private static long hourSum(Set<CuratedRow> rows, String column) {
    return rows.stream()
        .filter(r -> r.getString("granularity").equals(Granularity.HOUR.code()))
        .mapToLong(r -> r.getLong(column))
        .sum();
  }

  private static String sample(Set<String> ids) {
    return ids.stream()
        .limit(5)
        .collect(Collectors.joining(", ", "[", ids.size() > 5 ? ", ...]" : "]"));
  }

  /**
   * The lost-event audit ({@code bin/collab-audit}) over the arrival dates of what was published:
   * {offsets accounted for as raw, quarantined or duplicate; offsets lost}.
   */
  static long[] audit(Path dataDir, String warehouseUrl, List<Published> published)
      throws Exception {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    synchronized (published) {
      for (Published p : published) {
        min = Math.min(min, p.appendMillis);
        max = Math.max(max, p.appendMillis);
      }
    }
    CollabAudit.Scope scope =
        new CollabAudit.Scope(
            dataDir.resolve("raw").toString(),
            dataDir.resolve("quarantine").toString(),
            warehouseUrl,
            Instant.ofEpochMilli(min).atZone(ZoneOffset.UTC).toLocalDate(),
            Instant.ofEpochMilli(max).atZone(ZoneOffset.UTC).toLocalDate());
    long accounted = 0;
    long lost = 0;
    for (CollabAudit.Line line : CollabAudit.audit(scope)) {
      accounted += line.raw + line.quarantined + line.duplicate;
      lost += line.lost;
    }
    return new long[] {accounted, lost};
  }

  private static final java.util.regex.Pattern REPORT_LINE =
      java.util.regex.Pattern.compile(
          "raw (\\d+), quarantined (\\d+), duplicate (\\d+), lost (\\d+)");

  /**
   * The audit as the command runs it ({@code CollabAudit.run}, the main of {@code
   * bin/collab-audit}), with the job's store options {@code storeArgs} (S3): {accounted, lost}
   * summed from its report lines; a failed audit (exit 1 or 2) fails the test.
   */
  static long[] auditCommand(
      Path dataDir, String warehouseUrl, List<Published> published, List<String> storeArgs) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    synchronized (published) {
      for (Published p : published) {
        min = Math.min(min, p.appendMillis);
        max = Math.max(max, p.appendMillis);
      }
    }
    List<String> args = new ArrayList<>(storeArgs);
    args.add("--dataDir=" + dataDir);
    args.add("--warehouseUrl=" + warehouseUrl);
    args.add("--from=" + Instant.ofEpochMilli(min).atZone(ZoneOffset.UTC).toLocalDate());
    args.add("--to=" + Instant.ofEpochMilli(max).atZone(ZoneOffset.UTC).toLocalDate());
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit =
        CollabAudit.run(
            args.toArray(new String[0]),
            new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
            new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    String report = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(
        "the audit ran (exit 0 or 3)\n"
            + report
            + err.toString(java.nio.charset.StandardCharsets.UTF_8),
        exit == CollabAudit.EXIT_OK || exit == CollabAudit.EXIT_LOST,
        equalTo(true));
    long accounted = 0;
    long lost = 0;
    java.util.regex.Matcher m = REPORT_LINE.matcher(report);
    while (m.find()) {
      accounted +=
          Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)) + Long.parseLong(m.group(3));
      lost += Long.parseLong(m.group(4));
    }
    return new long[] {accounted, lost};
  }

  /** The event dates of the metric rows the oracle has: what a correction replay must cover. */
  private static TreeSet<LocalDate> eventDates(ExpectedTables exact) {
    TreeSet<LocalDate> dates = new TreeSet<>();
    for (CuratedTable table : ReplayScope.TABLES) {
      for (CuratedRow r : rowsOf(exact, table)) {
        if (r.getString("granularity").equals(Granularity.DAY.code())) {
          dates.add(
              Instant.ofEpochMilli(r.getLong("window_start")).atZone(ZoneOffset.UTC).toLocalDate());
        }
      }
    }
    return dates;
  }

  /**
   * The command a user types, as a JVM of its own on this test's classpath; on a cluster, its
   * client's command, and the cluster's configuration instead of {@code flinkConf} (null).
   */
  private List<String> command(Path flinkConf) throws IOException {
    List<String> c = new ArrayList<>();
    c.addAll(
        List.of(
            "--source=kafka",
            "--allowDevKey=true",
            "--kafkaBootstrapServers=" + bootstrap,
            "--kafkaTopics=" + TOPIC,
            "--kafkaGroupId=" + jobGroup(),
            "--dataDir=" + dataDir(),
            "--warehouseUrl=" + warehouseUrl()));
    if (cluster == null) {
      c.add("--flinkConfDir=" + flinkConf);
    }
    c.addAll(
        List.of(
            "--earlyFiringDelay=" + (EARLY_FIRING_MILLIS / 1000) + "s",
            "--parallelism=2",
            "--progressSeconds=5"));
    c.addAll(extraArgs);
    if (cluster != null) {
      return cluster.command(c);
    }
    List<String> command = pipelineJvm();
    command.addAll(c);
    return command;
  }

  private List<String> replayCommand(TreeSet<LocalDate> dates) {
    return rawReplayCommand(dataDir(), warehouseUrl(), dates.first(), dates.last(), extraArgs);
  }

  private static final Pattern KEY = Pattern.compile("^([a-z0-9.-]+):\\s*(.*)$");

  /**
   * The Flink configuration of a profile ({@code runner-configs/flink/local} for "dev", {@code
   * .../production} for "production") as this machine can run it: its restart strategy and
   * checkpointing semantics as they are, with checkpoints every 2 s into {@code checkpoints} and
   * the heap state backend (production's RocksDB and S3 are not on the job's classpath here; the
   * restart strategy is what the suite tests).
   */
  static Path flinkConf(String profile, Path checkpoints, Path confDir) throws IOException {
    String folder = profile.equals("dev") ? "local" : profile;
    Path source = repositoryRoot().resolve("runner-configs/flink/" + folder + "/config.yaml");
    List<String> kept = new ArrayList<>();
    kept.add("# derived by the chaos suite from " + source);
    for (String line : Files.readAllLines(source, StandardCharsets.UTF_8)) {
      Matcher m = KEY.matcher(line.trim());
      if (m.matches()
          && (m.group(1).startsWith("restart-strategy.")
              || m.group(1).equals("execution.checkpointing.mode")
              || m.group(1).equals("execution.checkpointing.externalized-checkpoint-retention")
              || m.group(1).equals("execution.checkpointing.tolerable-failed-checkpoints")
              || m.group(1).equals("state.checkpoints.num-retained"))) {
        kept.add(m.group(1) + ": " + m.group(2));
      }
    }
    kept.add("state.backend.type: hashmap");
    kept.add("state.checkpoints.dir: " + checkpoints.toUri());
    kept.add("execution.checkpointing.interval: " + CHECKPOINT_MILLIS + " ms");
    kept.add("execution.checkpointing.min-pause: 500 ms");
    kept.add("execution.checkpointing.timeout: 2 min");
    Files.createDirectories(confDir);
    Files.write(confDir.resolve("config.yaml"), kept, StandardCharsets.UTF_8);
    return confDir;
  }

  static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("runner-configs/flink"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "runner-configs/flink not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
