package io.collabpipeline.tools.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.benchmark.Visibility.Completeness;
import io.collabpipeline.tools.benchmark.Visibility.TaskEvent;
import io.collabpipeline.tools.devstack.KafkaBroker;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.publish.KafkaPublisher;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * {@code bin/collab-benchmark --modes=freshness}: the event-to-queryable latency of the live job on
 * the dev stack (issue 11, point 4), each part in a process of its own as a deployment runs them.
 *
 * <p>The dev stack ({@code bin/collab-devstack start}) must be running: its Kafka broker, S3Mock
 * and PostgreSQL are each a process of their own. The run creates a topic and a PostgreSQL database
 * of its own, starts the job with {@code bin/collab-pipeline} and the dev stack's options ({@code
 * bin/collab-devstack pipeline-args}) on them in a JVM of its own, waits until the job reports
 * progress, publishes the generated workload at {@code --rate} from this JVM and reads the
 * warehouse every {@value #POLL_MILLIS} ms.
 *
 * <p>The latency of an on-time task event is the time from its append to Kafka (the broker's
 * log-append time) to the end of the first read in which its minute window's {@code
 * task_update_velocity} row counts it: the k-th first delivery of a task event, in append order, of
 * a window and workspace is counted once that row's {@code task_updates} reaches k. The read's end
 * is an upper bound of the moment the row became visible (by at most the poll interval and the
 * read). The expected counts come from the publisher's acknowledgements alone (no pipeline code):
 * the run fails if the warehouse does not reach them within {@code --timeoutSeconds} of the last
 * append, or exceeds one (an event counted twice).
 *
 * <p>Printed: P50, P95 and max over all measured events and over those appended after {@code
 * --warmupSeconds} (the steady state, without the job's start), when the warehouse equalled the
 * expected counts, and the CPU the job's process and this one (publisher and poller) used while
 * publishing. The job is stopped at the end; the topic and the database are deleted unless {@code
 * --keep}; the job's log stays under {@code .collab-dev/freshness/<run>/}.
 */
final class FreshnessBenchmark {
  static final long POLL_MILLIS = 500;

  /** How long the job may take to stop after SIGTERM before it is killed. */
  private static final Duration JOB_STOP_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern PROGRESS = Pattern.compile("(?m)^\\s+\\d+ s\\s+received ");
  private static final Pattern POSTGRES_URL =
      Pattern.compile("^(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?$");

  private FreshnessBenchmark() {}

  static int run(String[] args) throws Exception {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            " for --modes=freshness",
            "--rate=N",
            "--events=N",
            "--warmupSeconds=N",
            "--earlyFiringDelay=DURATION",
            "--maxBundleTimeMills=N",
            "--partitions=N",
            "--timeoutSeconds=N",
            "--jobJavaOpts=OPTIONS",
            "--jobArgs=OPTIONS",
            "--keep");
    long rate = o.positive("rate", 5_000);
    long events = o.positive("events", 600_000);
    int warmupSeconds = o.positiveOrZero("warmupSeconds", 60);
    String earlyFiringDelay = o.get("earlyFiringDelay", "2s");
    int partitions = o.positiveInt("partitions", 4);
    int timeoutSeconds = o.positiveInt("timeoutSeconds", 300);
    String root = System.getenv("COLLAB_ROOT");
    if (root == null || root.isEmpty()) {
      throw new UsageException(
          "--modes=freshness runs from bin/collab-benchmark (COLLAB_ROOT unset)");
    }
    Path rootDir = Path.of(root);

    List<String> stackArgs = devStackArgs(rootDir);
    String servers = value(stackArgs, "--kafkaBootstrapServers");
    String stackUrl = value(stackArgs, "--warehouseUrl");
    Matcher url = POSTGRES_URL.matcher(stackUrl);
    if (!url.matches()) {
      throw new UsageException(
          "the dev stack's warehouse "
              + stackUrl
              + " is not a PostgreSQL URL; restart the dev stack");
    }

    String run =
        "freshness_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"));
    String topic = run.replace('_', '-');
    String runUrl = url.group(1) + run + (url.group(3) == null ? "" : url.group(3));
    Path runDir = rootDir.resolve(".collab-dev").resolve("freshness").resolve(run);
    Files.createDirectories(runDir);

    List<String> command = new ArrayList<>();
    command.add(rootDir.resolve("bin").resolve("collab-pipeline").toString());
    for (String a : stackArgs) {
      if (a.startsWith("--rawStore=") || a.startsWith("--quarantineStore=")) {
        // The run's own prefix in the dev stack's buckets.
        a = a.replaceFirst("=(s3://[^/]+)/", "=$1/freshness/" + run + "/");
      } else if (a.startsWith("--warehouseUrl=")) {
        a = "--warehouseUrl=" + runUrl;
      }
      command.add(a);
    }
    command.add("--kafkaTopics=" + topic);
    command.add("--kafkaGroupId=" + topic);
    command.add("--earlyFiringDelay=" + earlyFiringDelay);
    command.add("--dataDir=" + runDir.resolve("data"));
    command.add("--fresh=true");
    if (o.has("maxBundleTimeMills")) {
      command.add("--maxBundleTimeMills=" + o.positive("maxBundleTimeMills", 100));
    }
    List<String> jobArgs = new ArrayList<>();
    for (String a : o.get("jobArgs", "").trim().split("\\s+")) {
      if (!a.isEmpty()) {
        jobArgs.add(a);
      }
    }
    command.addAll(jobArgs);

    PrintStream out = System.out;
    out.printf(
        Locale.ROOT,
        "collab-benchmark freshness: %,d events at %,d/s on the dev stack; topic %s (%d partitions),"
            + " warehouse %s, job log %s%n",
        events,
        rate,
        topic,
        partitions,
        runUrl,
        runDir.resolve("job.log"));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
      LocalKafka.createTopic(admin, topic, partitions);
    }
    try (Connection c = DriverManager.getConnection(stackUrl);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + run);
    }

    Process job = null;
    Thread stopJob = null;
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(rootDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(runDir.resolve("job.log").toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      if (o.has("jobJavaOpts")) {
        pb.environment().put("JAVA_OPTS", o.get("jobJavaOpts", ""));
      } else {
        pb.environment().remove("JAVA_OPTS");
      }
      job = pb.start();
      Process started = job;
      stopJob =
          new Thread(
              () -> KafkaBroker.stopProcess(started.toHandle(), JOB_STOP_TIMEOUT),
              "stop-freshness-job");
      Runtime.getRuntime().addShutdownHook(stopJob);
      awaitProgress(job, runDir.resolve("job.log"), Duration.ofMinutes(5));
      out.println("collab-benchmark freshness: the job is running (pid " + job.pid() + ")");
      String settings =
          "--earlyFiringDelay="
              + earlyFiringDelay
              + (o.has("maxBundleTimeMills")
                  ? " --maxBundleTimeMills=" + o.get("maxBundleTimeMills", "")
                  : "")
              + (jobArgs.isEmpty() ? "" : " " + String.join(" ", jobArgs));
      return measure(
          job,
          runUrl,
          servers,
          topic,
          events,
          rate,
          warmupSeconds,
          timeoutSeconds,
          runDir,
          settings,
          out);
    } finally {
      if (job != null) {
        KafkaBroker.stopProcess(job.toHandle(), JOB_STOP_TIMEOUT);
        Runtime.getRuntime().removeShutdownHook(stopJob);
      }
      if (!o.has("keep")) {
        try (Admin admin =
            Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
          admin.deleteTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
        }
        try (Connection c = DriverManager.getConnection(stackUrl);
            Statement s = c.createStatement()) {
          s.execute("DROP DATABASE IF EXISTS " + run + " WITH (FORCE)");
        }
        out.println(
            "collab-benchmark freshness: topic and database deleted (--keep keeps them); the"
                + " run's objects stay under freshness/"
                + run
                + "/ in the dev stack's buckets");
      } else {
        out.println(
            "collab-benchmark freshness: kept topic "
                + topic
                + " and database "
                + run
                + " (--keep)");
      }
    }
  }

  /** One publishing run against the running job, and its report; returns the exit code. */
  private static int measure(
      Process job,
      String runUrl,
      String servers,
      String topic,
      long events,
      long rate,
      int warmupSeconds,
      int timeoutSeconds,
      Path runDir,
      String settings,
      PrintStream out)
      throws Exception {
    WorkloadSpec spec = KafkaPublisher.endToEndWorkload(events);
    Poller poller = new Poller(runUrl);
    Thread pollThread = new Thread(poller, "freshness-poller");
    pollThread.setDaemon(true);
    pollThread.start();
    TaskEvents tasks = new TaskEvents();
    Thread parseThread = new Thread(tasks, "freshness-parser");
    parseThread.setDaemon(true);
    parseThread.start();

    long jobCpu0 = cpuMillis(job.pid());
    long ownCpu0 = ownCpuMillis();
    long wall0 = System.nanoTime();
    KafkaPublisher.PublishReport report =
        KafkaPublisher.to(servers, topic)
            .withRate(rate)
            .withListener(
                (d, md) -> {
                  if (d.kind() == Delivery.Kind.ORIGINAL
                      && d.eventType() != null
                      && d.eventType().startsWith("task.")) {
                    tasks.offer(d, md.timestamp());
                  }
                })
            .withProgress(out, Duration.ofSeconds(20))
            .publish(spec);
    double wallSeconds = (System.nanoTime() - wall0) / 1e9;
    long jobCpu = cpuMillis(job.pid()) - jobCpu0;
    long ownCpu = ownCpuMillis() - ownCpu0;
    out.println("collab-benchmark freshness: " + report);
    List<TaskEvent> byAppend = tasks.finish(parseThread);

    long allowedLateness = WindowingPolicy.DEFAULT_ALLOWED_LATENESS.getMillis();
    Map<String, Long> expected = new HashMap<>();
    for (TaskEvent e : byAppend) {
      if (e.onTime(allowedLateness)) {
        expected.merge(e.key(), 1L, Long::sum);
      }
    }
    // Wait until every window and workspace holds its count, or one holds more.
    long deadline = report.lastAppendMillis() + timeoutSeconds * 1_000L;
    String verdict;
    while (true) {
      Completeness c = poller.visibility().completeness(expected);
      if (c.rowsOver > 0) {
        verdict =
            String.format(
                Locale.ROOT,
                "FAILED: %d window rows count more task events than were published (counted twice)",
                c.rowsOver);
        break;
      }
      if (c.rowsShort == 0) {
        verdict =
            String.format(
                Locale.ROOT,
                "the warehouse equalled the published counts %.1f s after the last append",
                (c.atMillis - report.lastAppendMillis()) / 1000.0);
        break;
      }
      if (!job.isAlive()) {
        verdict = "FAILED: the job exited (code " + job.exitValue() + "); see " + runDir;
        break;
      }
      if (System.currentTimeMillis() > deadline) {
        verdict =
            String.format(
                Locale.ROOT,
                "FAILED: %d of %d window rows short of the published counts %d s after the last"
                    + " append",
                c.rowsShort,
                expected.size(),
                timeoutSeconds);
        break;
      }
      Thread.sleep(POLL_MILLIS);
    }
    poller.stop();
    pollThread.join(5_000L);

    long firstAppend = report.firstAppendMillis();
    List<Long> all = poller.visibility().latencies(byAppend, allowedLateness, Long.MIN_VALUE);
    List<Long> steady =
        poller
            .visibility()
            .latencies(byAppend, allowedLateness, firstAppend + warmupSeconds * 1000L);
    // Every sample, for a look at where the tail is (e.g. against the job's checkpoints).
    StringBuilder csv = new StringBuilder("append_millis,latency_millis\n");
    for (long[] sample : poller.visibility().samples(byAppend, allowedLateness)) {
      csv.append(sample[0]).append(',').append(sample[1]).append('\n');
    }
    Files.writeString(runDir.resolve("latencies.csv"), csv);
    String summary =
        String.format(
            Locale.ROOT,
            "collab-benchmark freshness: %,d records at %,.0f/s achieved, job %s;"
                + " event-to-queryable over %,d on-time task events: %s; appended after the first"
                + " %d s: %s; CPU while publishing (%.0f s): job %.2f cores, publisher and poller"
                + " %.2f cores; %s",
            report.total(),
            report.recordsPerSecond(),
            settings,
            all.size(),
            describe(all),
            warmupSeconds,
            describe(steady),
            wallSeconds,
            jobCpu / 1000.0 / wallSeconds,
            ownCpu / 1000.0 / wallSeconds,
            verdict);
    out.println(summary);
    Files.writeString(
        runDir.resolve("summary.txt"),
        summary + System.lineSeparator(),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    return verdict.startsWith("FAILED") ? 1 : 0;
  }

  static String describe(List<Long> sorted) {
    if (sorted.isEmpty()) {
      return "no samples";
    }
    return String.format(
        Locale.ROOT,
        "P50 %.1f s, P95 %.1f s, max %.1f s",
        Visibility.percentile(sorted, 50) / 1000.0,
        Visibility.percentile(sorted, 95) / 1000.0,
        sorted.get(sorted.size() - 1) / 1000.0);
  }

  /** The dev stack's pipeline options ({@code bin/collab-devstack pipeline-args}). */
  private static List<String> devStackArgs(Path root) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                root.resolve("bin").resolve("collab-devstack").toString(), "pipeline-args")
            .directory(root.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String stdout = readAll(p.getInputStream());
    String stderr = readAll(p.getErrorStream());
    if (p.waitFor() != 0) {
      throw new UsageException(
          CommandLine.firstLine(stderr.strip()).replaceFirst("^collab-devstack: ", ""));
    }
    List<String> args = new ArrayList<>();
    for (String line : stdout.split("\n")) {
      if (!line.isBlank()) {
        args.add(line.strip());
      }
    }
    return args;
  }

  private static String value(List<String> args, String name) {
    for (String a : args) {
      if (a.startsWith(name + "=")) {
        return a.substring(name.length() + 1);
      }
    }
    throw new UsageException(
        "bin/collab-devstack pipeline-args gave no " + name + "; restart the dev stack");
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    in.transferTo(buffer);
    return buffer.toString(StandardCharsets.UTF_8);
  }

  /** Waits until the job's log shows its first progress line: its Flink job runs. */
  private static void awaitProgress(Process job, Path log, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      if (PROGRESS.matcher(text).find()) {
        return;
      }
      if (!job.isAlive()) {
        throw new IllegalStateException(
            "the job exited (code " + job.exitValue() + ") before it ran: " + tail(text));
      }
      Thread.sleep(500L);
    }
    throw new IllegalStateException(
        "the job showed no progress within " + timeout.toSeconds() + " s; see " + log);
  }

  private static String tail(String text) {
    String[] lines = text.strip().split("\n");
    return String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 3), lines.length));
  }

  /** User and system CPU of a process, from {@code /proc/<pid>/stat}; -1 where there is none. */
  static long cpuMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The fields after the command name (which may hold spaces) in its parentheses.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
      return ticks * 10L; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1L;
    }
  }

  private static long ownCpuMillis() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1_000_000L;
    }
    return -1L;
  }

  /**
   * Reads the workspace of each acknowledged task event off the producer's I/O thread, into {@link
   * TaskEvent}s (the bytes are not kept).
   */
  private static final class TaskEvents implements Runnable {
    private static final Object[] END = new Object[0];
    private final BlockingQueue<Object[]> queue = new LinkedBlockingQueue<>();
    private final List<TaskEvent> events = new ArrayList<>();
    private final ObjectMapper mapper = new ObjectMapper();
    private volatile Exception failure;

    void offer(Delivery d, long appendMillis) {
      queue.add(new Object[] {d, appendMillis});
    }

    @Override
    public void run() {
      try {
        while (true) {
          Object[] item = queue.take();
          if (item == END) {
            return;
          }
          Delivery d = (Delivery) item[0];
          String workspace = mapper.readTree(d.bytes()).get("workspace_gid").asText();
          events.add(
              new TaskEvent(
                  (Long) item[1],
                  d.index(),
                  Granularity.MINUTE.windowStart(d.occurredAtMillis()),
                  workspace));
        }
      } catch (Exception e) {
        failure = e;
      }
    }

    /** All of them, in append order (the generator's order among equal times). */
    List<TaskEvent> finish(Thread thread) throws Exception {
      queue.add(END);
      thread.join();
      if (failure != null) {
        throw failure;
      }
      events.sort(
          Comparator.comparingLong((TaskEvent e) -> e.appendMillis)
              .thenComparingLong(e -> e.index));
      return events;
    }
  }

  /**
   * Reads the minute rows of {@code task_update_velocity} every {@value #POLL_MILLIS} ms into a
   * {@link Visibility}.
   */
  private static final class Poller implements Runnable {
    private final String url;
    private final Visibility visibility = new Visibility();
    private volatile boolean running = true;

    Poller(String url) {
      this.url = url;
    }

    Visibility visibility() {
      return visibility;
    }

    void stop() {
      running = false;
    }

    @Override
    public void run() {
      JdbcWarehouse w = null;
      while (running) {
        try {
          if (w == null) {
            w = Warehouses.openJdbc(url);
          }
          List<CuratedRow> rows = w.curated().read(CuratedTable.TASK_UPDATE_VELOCITY);
          visibility.read(rows, System.currentTimeMillis());
        } catch (Exception e) {
          // The tables may not exist yet, or the connection broke: read again at the next poll.
          closeQuietly(w);
          w = null;
        }
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          break;
        }
      }
      closeQuietly(w);
    }

    private static void closeQuietly(JdbcWarehouse w) {
      if (w != null) {
        try {
          w.close();
        } catch (Exception ignored) {
          // nothing to do
        }
      }
    }
  }
}
