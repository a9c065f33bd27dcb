package io.collabpipeline.pipelines;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.options.KafkaOptions;
import io.collabpipeline.pipelines.replay.QuarantineRevalidation;
import io.collabpipeline.pipelines.replay.RawReplay;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.sources.NdjsonFiles;
import io.collabpipeline.pipelines.sources.RawStoreReplay;
import io.collabpipeline.pipelines.warehouse.CuratedTables;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The main job (contract 3). With no options it runs the embedded default end to end: the generator, the embedded
 * Flink runner, and a raw store, quarantine and DuckDB warehouse under {@code ./collab-data}, then prints a summary.
 */
public final class CollabPipeline {
  static final String NAME = "collab-pipeline";

  private CollabPipeline() {}

  public static void main(String[] args) {
    System.exit(runCli(args, System.out, System.err));
  }

  /** Runs the command line; returns the process exit code. Usage mistakes print one line and return 2. */
  public static int runCli(String[] args, PrintStream out, PrintStream err) {
    CollabPipelineOptions options;
    JobConfig job;
    try {
      options = parseOptions(args);
      // Registers the S3 file system when a location is s3:// (and checks its options); sets the default options.
      S3Setup.configure(options, locations(options));
      job = JobConfig.from(options);
      if (job.streaming) {
        options.setStreaming(true); // --source=kafka is always a streaming job
      }
      if (job.source == JobConfig.SourceKind.KAFKA) {
        checkpointByDefault(options, job);
      }
    } catch (UsageException | IllegalArgumentException e) {
      err.println(NAME + ": " + firstLine(e.getMessage()));
      return 2;
    }
    if (job.source.isReplay()) {
      return runReplay(options, job, out, err);
    }
    try {
      RunSummary summary = run(options, job, out);
      summary.print(out);
      if (!summary.addsUp()) {
        err.println(NAME + ": the completeness counts do not add up (see above): records are unaccounted for");
        return 1;
      }
      return 0;
    } catch (UsageException e) {
      err.println(NAME + ": " + firstLine(e.getMessage()));
      return 2;
    } catch (Exception e) {
      Path log = writeErrorLog(job, e);
      err.println(NAME + ": the job failed: " + firstLine(rootMessage(e))
          + (log == null ? "" : " (stack trace in " + log + ")"));
      return 1;
    }
  }

  /**
   * A replay ({@code --source=raw} or {@code --source=quarantine}): returns the exit code. A failed replay (the job, the
   * diff or a commit refused by a newer generation) changes no curated row, leaves its generation {@code failed} and
   * exits 1.
   */
  static int runReplay(CollabPipelineOptions options, JobConfig job, PrintStream out, PrintStream err) {
    try {
      Files.createDirectories(Paths.get(job.dataDir));
      if (job.source == JobConfig.SourceKind.RAW) {
        RawReplay.run(options, RawReplay.Request.of(job.graph, job.replayRange, job.dryRun, reportDir(job)), out);
        return 0;
      }
      QuarantineRevalidation.Result r =
          QuarantineRevalidation.run(options, job.graph, job.replayRange, job.dryRun, out);
      if (job.dryRun || r.eventDates.isEmpty()) {
        return 0;
      }
      // Fold the re-validated events into the curated tables: a raw replay of their event dates.
      ReplayScope dates = ReplayScope.of(r.eventDates.first(), r.eventDates.last());
      List<java.time.LocalDate> empty = RawStoreReplay.datesWithoutFiles(job.graph.rawStore(), dates);
      if (dates.days() > JobConfig.MAX_REPLAY_DAYS || !empty.isEmpty()) {
        err.println(NAME + ": the re-validated events occurred on " + r.eventDates + "; replay those dates with "
            + "--source=raw --from=D --to=D (at most " + JobConfig.MAX_REPLAY_DAYS + " days a run, dates with raw files)");
        return 1;
      }
      RawReplay.run(
          options,
          RawReplay.Request.of(JobConfig.forRawReplay(job.graph, dates), dates, false, reportDir(job))
              .withKind(GenerationLog.Kind.QUARANTINE_REPLAY),
          out);
      return 0;
    } catch (UsageException e) {
      err.println(NAME + ": " + firstLine(e.getMessage()));
      return 2;
    } catch (Exception e) {
      Path log = writeErrorLog(job, e);
      err.println(NAME + ": the replay (generation " + job.graph.generation() + ") failed and committed nothing; the "
          + "curated tables keep their previous values: " + firstLine(rootMessage(e))
          + (log == null ? "" : " (stack trace in " + log + ")"));
      return 1;
    }
  }

  /** Where dry runs save their diff reports: {@code <dataDir>/replays}. */
  static Path reportDir(JobConfig job) {
    return Paths.get(job.dataDir, "replays");
  }

  /** Parses Beam-style options; the runner defaults to the embedded Flink runner. */
  public static CollabPipelineOptions parseOptions(String[] args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    for (String a : args) {
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument '" + a + "': options are written --name=value");
      }
    }
    checkValueTypes(args);
    if (all.stream().noneMatch(a -> a.startsWith("--runner="))) {
      all.add("--runner=FlinkRunner");
    }
    boolean flink = all.stream().anyMatch(a -> a.equalsIgnoreCase("--runner=FlinkRunner"));
    if (flink && all.stream().noneMatch(a -> a.startsWith("--objectReuse"))) {
      // Our DoFns never mutate their inputs, so Flink may hand objects between chained operators without a copy.
      all.add("--objectReuse=true");
    }
    PipelineOptionsFactory.register(CollabPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(all.toArray(new String[0]))
        .withValidation()
        .as(CollabPipelineOptions.class);
  }

  /**
   * Checks the values of our numeric and boolean options before Beam parses them, so that a wrong value gets a message
   * naming the option (Beam's own names only the Java type).
   */
  private static void checkValueTypes(String[] args) {
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String name = a.substring(2, eq);
      String value = a.substring(eq + 1);
      Class<?> type = optionType(name);
      try {
        if (type == Long.class || type == long.class) {
          Long.parseLong(value);
        } else if (type == Integer.class || type == int.class) {
          Integer.parseInt(value);
        } else if (type == Double.class || type == double.class) {
          Double.parseDouble(value);
        } else if ((type == Boolean.class || type == boolean.class)
            && !value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
          throw new UsageException("--" + name + "=" + value + " must be true or false");
        }
      } catch (NumberFormatException e) {
        throw new UsageException(
            "--" + name + "=" + value + " must be a " + (type == Double.class ? "number, e.g. 0.05" : "whole number"));
      }
    }
  }

  private static Class<?> optionType(String name) {
    String getter = "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    String is = "is" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (java.lang.reflect.Method m : CollabPipelineOptions.class.getMethods()) {
      if (m.getParameterCount() == 0 && (m.getName().equals(getter) || m.getName().equals(is))) {
        return m.getReturnType();
      }
    }
    return String.class;
  }

  /** Builds and runs the job, showing progress; returns the summary of its outputs. */
  public static RunSummary run(CollabPipelineOptions options, JobConfig job, PrintStream out) throws Exception {
    prepareOutputs(job);
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, job);

    String runner = options.getRunner().getSimpleName() + (job.streaming ? " (streaming)" : " (batch)");
    out.printf("%s: running on %s, source %s; outputs under %s%n", NAME, runner, job.source.name().toLowerCase(),
        job.dataDir);
    LocalProgress.reset();
    long started = System.nanoTime();
    ScheduledExecutorService progress = startProgress(job, out, started);
    PipelineResult result;
    try {
      result = pipeline.run();
      result.waitUntilFinish();
      PipelineResult.State state = result.getState();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the job ended in state " + state);
      }
      logGeneration(job, true);
    } catch (Exception | Error e) {
      try {
        logGeneration(job, false);
      } catch (Exception logFailure) {
        e.addSuppressed(logFailure);
      }
      throw e;
    } finally {
      progress.shutdownNow();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    return RunSummary.collect(job, result, runner, seconds);
  }

  /** Builds the live job on {@code pipeline}: the source, progress counters and the one graph. */
  static CollabGraph.Outputs build(Pipeline pipeline, JobConfig job) {
    PCollection<RawRecord> records = readSource(pipeline, job);
    records.apply("TrackProgress", ParDo.of(LocalProgress.<RawRecord>counter("received")));
    CollabGraph.Outputs outputs = CollabGraph.apply(records, job.graph);
    outputs.accepted.apply("TrackAccepted", ParDo.of(LocalProgress.counter("accepted")));
    return outputs;
  }

  /** Default checkpoint interval of a Kafka job when none is given: offsets are committed with checkpoints only. */
  static final long KAFKA_CHECKPOINT_MILLIS = 10_000L;

  /**
   * A Kafka job without checkpoints would never commit its offsets and could not recover exactly once: unless the
   * command line sets them, checkpoint every {@value #KAFKA_CHECKPOINT_MILLIS} ms, exactly once, into
   * {@code <dataDir>/checkpoints} (Flink's in-memory checkpoint storage is capped at 5 MB, which one minute of the raw
   * store's open window exceeds). With {@code --flinkConfDir} the configuration decides (runner-configs/flink/local for
   * the dev stack; production sets RocksDB and S3).
   */
  static void checkpointByDefault(CollabPipelineOptions options, JobConfig job) {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    if (flink.getFlinkConfDir() != null) {
      return; // a Flink configuration (e.g. runner-configs/flink/local) sets checkpoints and the state backend
    }
    if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
      flink.setCheckpointingInterval(KAFKA_CHECKPOINT_MILLIS);
    }
    if (flink.getStateBackend() == null && flink.getStateBackendFactory() == null) {
      flink.setStateBackend("filesystem");
      flink.setStateBackendStoragePath(Paths.get(job.dataDir, "checkpoints").toUri().toString());
    }
  }

  /** The store locations and input glob given on the command line, for {@link S3Setup#configure}. */
  private static String[] locations(CollabPipelineOptions o) {
    List<String> l = new ArrayList<>();
    for (String s : new String[] {o.getRawStore(), o.getQuarantineStore(), o.getInput()}) {
      if (s != null) {
        l.add(s);
      }
    }
    return l.toArray(new String[0]);
  }

  static PCollection<RawRecord> readSource(Pipeline pipeline, JobConfig job) {
    switch (job.source) {
      case KAFKA:
        return pipeline.apply("ReadKafka", KafkaOptions.kafkaRecords(pipeline.getOptions().as(KafkaOptions.class)));
      case FILES:
        return pipeline.apply(
            "ReadFiles", NdjsonFiles.read(job.input).withMaxRecordBytes(job.graph.maxRecordBytes()));
      case GENERATOR:
      default:
        GeneratorSource generator = GeneratorSource.of(job.workload);
        if (job.streaming && job.ratePerSecond > 0) {
          generator = generator.withUnbounded(job.ratePerSecond);
        }
        return pipeline.apply("ReadGenerator", generator);
    }
  }

  /**
   * Creates the warehouse tables up front, so a bad warehouse URL fails before the job starts, and begins the job's
   * generation in the generation log, where the job reaches them (not Snowflake: its tables come from the DDL in the
   * repo, resources/io/collabpipeline/snowflake, applied by ops).
   */
  private static void prepareOutputs(JobConfig job) throws Exception {
    Files.createDirectories(Paths.get(job.dataDir));
    try (Warehouse warehouse = job.graph.warehouse().open()) {
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isPresent()) {
        tables.get().ensureTables();
      }
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isPresent()) {
        log.get().begin(
            job.graph.generation(), job.streaming ? GenerationLog.Kind.STREAM : GenerationLog.Kind.BATCH, null);
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("--warehouseUrl: " + e.getMessage());
    }
  }

  /** Marks a live run's generation committed (its rows were written as it ran) or failed, where there is a log. */
  private static void logGeneration(JobConfig job, boolean succeeded) throws Exception {
    try (Warehouse warehouse = job.graph.warehouse().open()) {
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isEmpty()) {
        return;
      }
      if (succeeded) {
        log.get().markCommitted(job.graph.generation());
      } else {
        log.get().markFailed(job.graph.generation());
      }
    }
  }

  private static ScheduledExecutorService startProgress(JobConfig job, PrintStream out, long started) {
    ScheduledExecutorService ex =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "progress");
              t.setDaemon(true);
              return t;
            });
    if (job.progressSeconds > 0) {
      long total = job.source == JobConfig.SourceKind.GENERATOR ? job.workload.deliveries() : -1;
      ex.scheduleAtFixedRate(
          () -> {
            double s = (System.nanoTime() - started) / 1e9;
            long received = LocalProgress.get("received");
            long accepted = LocalProgress.get("accepted");
            String of = total > 0 ? String.format(" of %,d (%.0f%%)", total, 100.0 * received / total) : "";
            out.printf("  %6.0f s  received %,d%s, %,.0f records/s; accepted %,d%n",
                s, received, of, received / Math.max(s, 0.001), accepted);
          },
          job.progressSeconds, job.progressSeconds, TimeUnit.SECONDS);
    }
    return ex;
  }

  private static Path writeErrorLog(JobConfig job, Exception e) {
    try {
      Path log = Paths.get(job.dataDir, "last-error.log");
      Files.createDirectories(log.getParent());
      StringWriter sw = new StringWriter();
      e.printStackTrace(new PrintWriter(sw));
      Files.write(log, sw.toString().getBytes(StandardCharsets.UTF_8));
      return log;
    } catch (Exception ignored) {
      return null;
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  static String firstLine(String message) {
    if (message == null) {
      return "invalid arguments";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).trim();
  }
}
