package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.kafka.KafkaStartPosition;
import io.collabpipeline.pipelines.kafka.KafkaTopics;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.CorrectionDue;
import io.collabpipeline.pipelines.warehouse.CuratedTables;
import io.collabpipeline.pipelines.warehouse.DiffReports;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayCommit;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.ReplayStaging;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one place that creates and runs a Beam pipeline. Every job — the live run, a raw-store
 * replay, a quarantine re-validation, the benchmark's runs — goes through {@link #run}: it begins
 * the job's generation in the warehouse's generation log, builds the job's graph, runs it, and
 * closes the generation (committed for a live run; diffed and committed in one transaction, or only
 * diffed, for a replay), or marks it failed and discards what it staged. The command line ({@link
 * #runCli}) adds the edge around it: options become a {@link JobConfig} once, the runner and the
 * file systems are set up from it, the run summary is printed, a failure's stack trace goes to the
 * error log, and the exit code says how it went.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.from(options);
 * JobLauncher launcher = JobLauncher.forConfig(options, config, System.out);
 * JobLauncher.Finished finished = launcher.run(LiveJob.of(config));
 * RunSummary summary = launcher.summarize(config, finished);
 * }</pre>
 */
public final class JobLauncher {
  /** The command's name, the prefix of every message it prints. */
  public static final String NAME = "collab-pipeline";

  /**
   * Default checkpoint interval of a Kafka job when none is given: offsets are committed with
   * checkpoints only.
   */
  public static final long KAFKA_CHECKPOINT_MILLIS = 10_000L;

  private final PipelineOptions options;
  private final PrintStream out;

  /** The live graph's step names, where its checkpoints are recorded; else null. */
  private final @Nullable List<String> steps;

  /** The state of the checkpoint resumed from that the graph drops; null when none is dropped. */
  private final CheckpointSteps.@Nullable Dropped dropped;

  private JobLauncher(PipelineOptions options, PrintStream out) {
    this(options, out, null, null);
  }

  private JobLauncher(
      PipelineOptions options,
      PrintStream out,
      @Nullable List<String> steps,
      CheckpointSteps.@Nullable Dropped dropped) {
    this.options = options;
    this.out = out;
    this.steps = steps;
    this.dropped = dropped;
  }

  /**
   * A launcher for jobs built by hand (tests, the benchmark): the pipelines are created with {@code
   * options} as they are.
   */
  public static JobLauncher withOptions(PipelineOptions options, PrintStream out) {
    return new JobLauncher(options, out);
  }

  /**
   * A launcher for the job {@code config} describes: sets up the runner options it implies
   * (streaming for Kafka, the default checkpointing of a Kafka job). The file systems of its stores
   * must have been set up before {@code config} was built ({@link #runCli} does: {@code
   * S3Setup.configure}), since building it checks the stores and the input.
   */
  public static JobLauncher forConfig(PipelineOptions options, JobConfig config, PrintStream out) {
    if (config.streaming) {
      options.as(org.apache.beam.sdk.options.StreamingOptions.class).setStreaming(true);
    }
    if (config.source == JobConfig.SourceKind.KAFKA) {
      checkpointByDefault(options.as(FlinkPipelineOptions.class), config.dataDir);
    }
    List<String> steps = null;
    CheckpointSteps.Dropped dropped = null;
    ResumeConfig resume = config.resume;
    if (!config.source.isReplay()
        && (resume.checkpointDir != null || resume.start == ResumeConfig.Start.RESUME)) {
      Pipeline graph = Pipeline.create(options);
      LiveJob.build(graph, config);
      steps = CheckpointSteps.names(graph);
      if (resume.start == ResumeConfig.Start.RESUME && resume.from != null) {
        dropped = checkDroppedState(resume, steps);
        if (dropped.worst == CheckpointSteps.Kind.NOTHING
            && !dropped.isEmpty()
            && !resume.allowNonRestoredState) {
          // Only the local progress counters, which output nothing: Flink may skip their state.
          resume = resume.allowingNonRestoredState();
        }
        if (dropped.isEmpty()) {
          dropped = null;
        }
      }
    }
    // After the defaults above, which look at whether a Flink configuration was given.
    FlinkRestore.apply(options.as(FlinkPipelineOptions.class), resume);
    return new JobLauncher(options, out, steps, dropped);
  }

  /**
   * The state of the checkpoint {@code resume} restores that the graph of {@code steps} has no step
   * for ({@link CheckpointSteps}); refuses, with one line, a resume that would lose what nothing
   * rebuilds, or drop replayable state without {@code --allowNonRestoredState=true}.
   */
  private static CheckpointSteps.Dropped checkDroppedState(
      ResumeConfig resume, List<String> steps) {
    RetainedCheckpoints.Snapshot from = resume.from;
    CheckpointSteps.Dropped dropped;
    try {
      Path jobDir = from.dir.getParent();
      Path recordedIn =
          resume.checkpointDir != null
              ? resume.checkpointDir
              : jobDir == null ? null : jobDir.getParent();
      dropped =
          CheckpointSteps.check(
              CheckpointSteps.statefulOperators(from.dir),
              steps,
              recordedIn == null ? Map.of() : CheckpointSteps.recorded(recordedIn));
    } catch (java.io.IOException e) {
      throw new UsageException(
          from.dir
              + ": its operators' state cannot be read ("
              + CommandLine.firstLine(CommandLine.rootMessage(e))
              + "); give another checkpoint with --savepointPath, or start with --fresh=true");
    }
    if (dropped.isEmpty()) {
      return dropped;
    }
    boolean one = dropped.steps.size() == 1;
    String held =
        from.describe()
            + " holds state of "
            + (one ? "a step" : dropped.steps.size() + " steps")
            + " that this build's graph does not have, renamed or removed ("
            + dropped.describe(null)
            + ")";
    if (dropped.worst == CheckpointSteps.Kind.LOST) {
      throw new UsageException(
          held
              + "; nothing rebuilds what "
              + dropped.describe(CheckpointSteps.Kind.LOST)
              + " held (Kafka offsets, dedup memory, files not yet committed, or state of a step"
              + " no recorded graph names), so this build does not resume from it: start it with"
              + " --fresh=true, which reads again from the consumer group's committed offsets"
              + " (README: Changing the live graph), or resume with the build that took the"
              + " checkpoint");
    }
    if (!resume.restoreByLauncher) {
      throw new UsageException(
          held
              + "; the Flink configuration names the checkpoint (execution.savepoint.path), so the"
              + " launcher cannot have its state dropped: remove that key and give"
              + " --savepointPath="
              + from.dir
              + " --allowNonRestoredState=true");
    }
    if (dropped.worst == CheckpointSteps.Kind.NOTHING) {
      return dropped;
    }
    if (!resume.allowNonRestoredState) {
      throw new UsageException(
          held
              + "; a correction replay rebuilds what "
              + (one ? "it" : "they")
              + " held (metrics, completeness, warehouse writes): resume with"
              + " --allowNonRestoredState=true to drop it (the launcher records the days whose"
              + " windows were open as due), or start with --fresh=true (README: Changing the"
              + " live graph)");
    }
    return dropped;
  }

  /**
   * What a finished job left: the runner's result, the time it took, and what closing its
   * generation did.
   */
  public static final class Finished {
    public final PipelineResult result;

    /** From the job's build to the generation's close: the job, then a replay's diff and commit. */
    public final double seconds;

    /**
     * The job's part of {@link #seconds}: building, translating and running it to its end. The rest
     * is closing the generation (for a replay, its diff and its commit).
     */
    public final double jobSeconds;

    /** A replay's diff of its staged rows against the stored ones; null for other jobs. */
    public final @Nullable WarehouseDiff diff;

    /** A committed replay's commit; null otherwise. */
    public final @Nullable ReplayCommit commit;

    /** A dry run's saved diff report; null otherwise. */
    public final DiffReports.@Nullable Saved report;

    Finished(
        PipelineResult result,
        double seconds,
        double jobSeconds,
        @Nullable WarehouseDiff diff,
        @Nullable ReplayCommit commit,
        DiffReports.@Nullable Saved report) {
      this.result = result;
      this.seconds = seconds;
      this.jobSeconds = jobSeconds;
      this.diff = diff;
      this.commit = commit;
      this.report = report;
    }
  }

  /**
   * Runs {@code job} to its end, as the class comment says. On any failure — the pipeline, its
   * final state, the diff or a commit refused by a newer generation — the generation is marked
   * failed, its staged rows are discarded, and the exception is rethrown: the curated tables keep
   * their previous values.
   */
  public Finished run(Job job) throws Exception {
    Optional<Job.GenerationPlan> plan = job.generation();
    try (Warehouse held = holdOpen(plan, options.as(FlinkPipelineOptions.class).getFlinkMaster())) {
      return run(job, plan);
    }
  }

  private Finished run(Job job, Optional<Job.GenerationPlan> plan) throws Exception {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    String confDir = flink.getFlinkConfDir();
    // Before the generation begins: a Flink configuration that cannot be loaded is a usage error,
    // whatever the master.
    String localConfDir =
        LocalClusterConf.confDirFor(flink.getFlinkMaster(), confDir, FlinkConfCopy.load(confDir));
    if (plan.isPresent()) {
      begin(plan.get());
    }
    out.println(job.startLine());
    LocalProgress.reset();
    long started = System.nanoTime();
    ScheduledExecutorService progress = startProgress(job.progress(), started);
    // A batch job of a JVM that started a shared embedded cluster is submitted to it, when it may
    // (SharedEmbeddedCluster), instead of starting and stopping a cluster of its own.
    Optional<SharedEmbeddedCluster.Lease> shared = SharedEmbeddedCluster.leaseFor(flink, confDir);
    try {
      // Only while the job is built and translated: the caller's options stay as they were.
      if (localConfDir != null) {
        flink.setFlinkConfDir(localConfDir);
      }
      PipelineResult result;
      try {
        if (shared.isPresent()) {
          flink.setFlinkMaster("[auto]");
          shared.get().asContext();
        }
        Pipeline pipeline = Pipeline.create(options);
        job.build(pipeline);
        result = pipeline.run();
      } finally {
        if (shared.isPresent()) {
          shared.get().clearContext();
          flink.setFlinkMaster("[local]");
        }
        if (localConfDir != null) {
          flink.setFlinkConfDir(confDir);
        }
      }
      PipelineResult.State state = result.waitUntilFinish();
      // The job has ended: the next one may have the shared cluster while this one's diff runs.
      shared.ifPresent(SharedEmbeddedCluster.Lease::close);
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the job ended in state " + state);
      }
      progress.shutdownNow();
      double jobSeconds = seconds(started);
      if (!plan.isPresent()) {
        return new Finished(result, jobSeconds, jobSeconds, null, null, null);
      }
      return close(plan.get(), result, started, jobSeconds);
    } catch (Exception | Error e) {
      plan.ifPresent(p -> fail(p, e));
      throw e;
    } finally {
      progress.shutdownNow();
      shared.ifPresent(SharedEmbeddedCluster.Lease::close);
    }
  }

  /**
   * The warehouse opened once for the whole run of a job whose tasks run in this JVM (a {@code
   * [local]} master), where the warehouse asks for it ({@link
   * WarehouseTarget#heldOpenForInProcessJobs}), or null. While one handle is open, the handles that
   * the launcher and the job's tasks open and close are on the same database: for DuckDB that is
   * one instance for the run, where each last close would checkpoint the file and each next open
   * read it again (at begin, in each task that writes, at the diff and the commit). Not for a
   * master whose tasks run in other processes, which could not open a DuckDB file this process
   * holds, nor for a server (PostgreSQL, Snowflake), where a held connection would sit idle.
   */
  private static @Nullable Warehouse holdOpen(
      Optional<Job.GenerationPlan> plan, @Nullable String master) throws Exception {
    if (!plan.isPresent()
        || !"[local]".equals(master)
        || !plan.get().warehouse.heldOpenForInProcessJobs()) {
      return null;
    }
    try {
      return plan.get().warehouse.open();
    } catch (IllegalArgumentException e) {
      throw new UsageException("--warehouseUrl: " + e.getMessage());
    }
  }

  /**
   * Creates the tables where missing (so a bad warehouse fails before the job starts) and begins
   * the generation, where the warehouse has those concerns (Snowflake's tables come from the DDL in
   * the repository, applied by ops; its generation log is pipeline_generations there).
   */
  private static void begin(Job.GenerationPlan plan) throws Exception {
    try (Warehouse warehouse = plan.warehouse.open()) {
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isPresent()) {
        tables.get().ensureTables();
      }
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isPresent()) {
        log.get().begin(plan.generation, plan.kind, plan.range);
        if (plan.seenWholeFrom != null) {
          log.get().recordSeenWholeFrom(plan.generation, plan.seenWholeFrom);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException("--warehouseUrl: " + e.getMessage());
    }
  }

  /** Closes a generation whose pipeline succeeded, as its plan says. */
  private Finished close(
      Job.GenerationPlan plan, PipelineResult result, long started, double jobSeconds)
      throws Exception {
    try (Warehouse warehouse = plan.warehouse.open()) {
      Optional<GenerationLog> log = warehouse.generationLog();
      switch (plan.close) {
        case MARK_COMMITTED:
          if (log.isPresent()) {
            log.get().markCommitted(plan.generation);
          }
          return new Finished(result, seconds(started), jobSeconds, null, null, null);
        case DRY_RUN:
          {
            ReplayStaging staging = required(warehouse.replays(), plan);
            WarehouseDiff diff = staging.diff(plan.generation, plan.range);
            DiffReports.Saved saved = DiffReports.save(diff, plan.reportDir);
            required(log, plan).markDryRun(plan.generation);
            staging.discardStaged(plan.generation);
            return new Finished(result, seconds(started), jobSeconds, diff, null, saved);
          }
        case COMMIT_REPLAY:
        default:
          {
            ReplayStaging staging = required(warehouse.replays(), plan);
            WarehouseDiff diff = staging.diff(plan.generation, plan.range);
            ReplayCommit commit = staging.commitReplay(plan.generation, plan.range);
            return new Finished(result, seconds(started), jobSeconds, diff, commit, null);
          }
      }
    }
  }

  /**
   * Marks a generation failed and discards its staged rows; a failure to do so is added to {@code
   * cause}.
   */
  private static void fail(Job.GenerationPlan plan, Throwable cause) {
    try (Warehouse warehouse = plan.warehouse.open()) {
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isPresent()) {
        log.get().markFailed(plan.generation);
      }
      Optional<ReplayStaging> staging = warehouse.replays();
      if (plan.close != Job.Close.MARK_COMMITTED && staging.isPresent()) {
        staging.get().discardStaged(plan.generation);
      }
    } catch (Exception cleanup) {
      cause.addSuppressed(cleanup);
    }
  }

  /**
   * A concern a replay needs (staging, the generation log); every warehouse a --warehouseUrl can
   * name has both, so this only fails for a target built by hand without them.
   */
  private static <T> T required(Optional<T> concern, Job.GenerationPlan plan) {
    return concern.orElseThrow(
        () ->
            new IllegalStateException(
                "replays are not built for the warehouse " + plan.warehouse.describe()));
  }

  /** The summary of a finished live run: what its warehouse and counters say. */
  public RunSummary summarize(JobConfig config, Finished finished) throws Exception {
    String runner =
        options.getRunner().getSimpleName() + (config.streaming ? " (streaming)" : " (batch)");
    return RunSummary.collect(config, finished.result, runner, finished.seconds);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The command line

  /**
   * Runs the command line; returns the process exit code. Usage mistakes print one line and return
   * 2.
   */
  public static int runCli(String[] args, PrintStream out, PrintStream err) {
    CollabPipelineOptions options;
    JobConfig config;
    JobLauncher launcher;
    try {
      options = CommandLine.parseOptions(args);
      // Registers the S3 file system when a location is s3:// (and checks its options), before the
      // config reads them.
      S3Setup.configure(options, JobConfig.locations(options));
      config = JobConfig.from(options);
      launcher = forConfig(options, config, out);
    } catch (UsageException | IllegalArgumentException e) {
      err.println(NAME + ": " + CommandLine.firstLine(e.getMessage()));
      return 2;
    }
    try {
      Files.createDirectories(Paths.get(config.dataDir));
    } catch (java.io.IOException | SecurityException e) {
      err.println(
          NAME
              + ": --dataDir="
              + config.dataDir
              + " cannot be created ("
              + CommandLine.firstLine(CommandLine.rootMessage(e))
              + "): give a directory this user can write");
      return 2;
    }
    try {
      switch (config.source) {
        case RAW:
          return launcher.rawReplay(
              config, config.replayRange, config.graph, GenerationLog.Kind.REPLAY);
        case QUARANTINE:
          return launcher.quarantineReplay(config, err);
        default:
          return launcher.live(config, err);
      }
    } catch (UsageException e) {
      err.println(NAME + ": " + CommandLine.firstLine(e.getMessage()));
      return 2;
    } catch (Exception e) {
      Path log = writeErrorLog(config, e);
      String what =
          config.source.isReplay()
              ? "the replay (generation "
                  + config.graph.generation()
                  + ") failed and committed nothing; the "
                  + "curated tables keep their previous values: "
              : "the job failed: ";
      err.println(
          NAME
              + ": "
              + what
              + CommandLine.firstLine(CommandLine.rootMessage(e))
              + (log == null ? "" : " (stack trace in " + log + ")"));
      return 1;
    }
  }

  private int live(JobConfig config, PrintStream err) throws Exception {
    if (config.resume.start == ResumeConfig.Start.CLUSTER
        && config.resume.continuesItsGeneration()) {
      // A cluster's restore continues the --generation it was given: that of a stream.
      requireStreamGeneration(config.graph);
    } else if (config.resume.from == null) {
      // A resumed stream continues its generation and rewrites only its own files (ResumeConfig);
      // any other live run must not reuse a generation, which names its raw-store files.
      refuseUsedGeneration(config.graph, "a live run");
    }
    for (String line : config.resume.startLines()) {
      out.println(line);
    }
    requireKafkaTopics(config);
    config = withSeenWholeFrom(config);
    config.resume.recordStart(System.currentTimeMillis());
    if (steps != null && config.resume.checkpointDir != null) {
      CheckpointSteps.record(config.resume.checkpointDir, steps);
    }
    if (dropped != null) {
      reportDroppedState(config);
    }
    RunSummary summary = summarize(config, run(LiveJob.of(config, describeRunner(config))));
    summary.print(out);
    if (!summary.addsUp()) {
      err.println(
          NAME
              + ": the completeness counts do not add up (see above): records are unaccounted for");
      return 1;
    }
    return 0;
  }

  /**
   * How far before the arrival at the committed offsets a stateless start reads again (from the
   * start of that minute): the previous job's raw-store arrival windows (one minute) that were
   * open, or fired but not committed, when its state was lost.
   */
  static final java.time.Duration REREAD_BEFORE_T0 = java.time.Duration.ofMinutes(2);

  /** The {@code seen_whole_from} the generation log holds for this job's generation. */
  private static java.util.Optional<java.time.Instant> recordedSeenWholeFrom(JobConfig config)
      throws Exception {
    try (Warehouse warehouse = config.graph.warehouse().open()) {
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isEmpty()) {
        return java.util.Optional.empty();
      }
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isPresent()) {
        tables.get().ensureTables(); // seen_whole_from on a log created before it existed
      }
      return log.get().seenWholeFrom(config.graph.generation());
    }
  }

  /** How long the launcher waits for the brokers when it looks up where a stateless start reads. */
  static final java.time.Duration START_POSITION_TIMEOUT = java.time.Duration.ofSeconds(60);

  /**
   * Refuses a Kafka job whose topics the brokers do not have, with one line that names them, before
   * anything starts: the source would otherwise fail at every attempt of the restart strategy. The
   * job never creates a topic (its partition count is an operator's decision). Brokers that do not
   * answer in time are not a usage mistake: the job starts, and its restart strategy waits for them
   * as for any outage.
   */
  private void requireKafkaTopics(JobConfig config) {
    if (config.kafka == null) {
      return;
    }
    List<String> missing;
    try {
      missing =
          KafkaTopics.missing(
              config.kafka.read().consumerConfig(), config.kafka.topics(), START_POSITION_TIMEOUT);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      out.println(
          NAME
              + ": the Kafka brokers "
              + config.kafka.bootstrapServers()
              + " did not answer within "
              + START_POSITION_TIMEOUT.toSeconds()
              + " s, so the topics were not checked; starting anyway (the restart strategy waits"
              + " for the brokers)");
      return;
    }
    if (!missing.isEmpty()) {
      throw new UsageException(
          "--kafkaTopics: the brokers "
              + config.kafka.bootstrapServers()
              + (missing.size() == 1 ? " have no topic " : " have none of the topics ")
              + String.join(", ", missing)
              + (missing.size() == 1 ? "; create it first" : "; create them first")
              + " (the dev stack creates collab-events; elsewhere kafka-topics.sh --create), or"
              + " name an existing topic: the job never creates one");
    }
  }

  /**
   * A Kafka stream that starts without the previous job's state (fresh, or a cluster restoring
   * nothing) sees windows whole only from T0, the earliest arrival it reads ({@link
   * KafkaStartPosition}): its graph gets T0, so its writes never replace another generation's rows
   * of the windows it cannot have seen whole, and records those as due for correction. A first
   * start (no committed offsets) sees everything retained: no T0.
   */
  private JobConfig withSeenWholeFrom(JobConfig config) throws Exception {
    if (config.kafka == null) {
      return config;
    }
    if (config.resume.continuesItsGeneration()) {
      // A stream that started stateless and resumes from its own checkpoint keeps its T0.
      java.util.Optional<java.time.Instant> kept = recordedSeenWholeFrom(config);
      if (kept.isPresent()) {
        out.println(
            NAME
                + ": generation "
                + config.graph.generation()
                + " started without state: it still sees windows whole from arrival "
                + kept.get());
        return config.withGraph(config.graph.toBuilder().setSeenWholeFrom(kept.get()).build());
      }
      return config;
    }
    if (!config.resume.startsWithoutState()) {
      return config;
    }
    java.util.Optional<java.time.Instant> committed =
        KafkaStartPosition.seenWholeFrom(
            config.kafka, START_POSITION_TIMEOUT, java.time.Instant.now());
    // The previous job's raw-store files of arrival windows still open (and not yet committed)
    // were in its lost state: read again from the start of the minute REREAD before T0, so the
    // raw store gets those records (copies of what it wrote are deduplicated by every replay).
    java.util.Optional<java.time.Instant> t0 =
        committed.map(
            c -> c.truncatedTo(java.time.temporal.ChronoUnit.MINUTES).minus(REREAD_BEFORE_T0));
    if (t0.isEmpty()) {
      out.println(
          NAME
              + ": the consumer group "
              + config.kafka.groupId()
              + " has no committed offsets: this start reads everything retained and sees every"
              + " window whole");
      return config;
    }
    GraphConfig graph = config.graph.toBuilder().setSeenWholeFrom(t0.get()).build();
    java.time.Instant bound = t0.get().plusMillis(graph.maxEventTimeAhead().getMillis());
    if (graph.warehouse().fencesPartialWindows()) {
      List<CorrectionDue> days = daysThePreviousJobHadOpen(graph, t0.get());
      boolean recorded = recordDue(graph, days);
      out.println(
          NAME
              + ": without the previous job's state this stream sees windows whole from arrival "
              + t0.get()
              + " (reading again from there: the group's committed offsets start at "
              + committed.get()
              + "): metric windows starting before "
              + bound
              + " never replace another generation's rows and are recorded in"
              + " pipeline_corrections_due"
              + (graph.warehouse().writeStaged(graph.generation()).isPresent()
                  ? " for a correction replay"
                  : " of "
                      + graph.warehouse().describe()
                      + ", where no replay corrects them yet (see the README's Snowflake section)")
              + (recorded
                  ? ", and so are the day windows of "
                      + days.get(0).windowStart().atZone(java.time.ZoneOffset.UTC).toLocalDate()
                      + " to "
                      + days.get(days.size() - 1)
                          .windowStart()
                          .atZone(java.time.ZoneOffset.UTC)
                          .toLocalDate()
                      + ", whose windows the previous job may have had open, written or not"
                  : ""));
    } else {
      out.println(
          NAME
              + ": warning: without the previous job's state this stream sees windows whole only"
              + " from arrival "
              + t0.get()
              + ", and "
              + graph.warehouse().describe()
              + " does not fence partial windows yet: its rows of windows starting before "
              + bound
              + " may replace fuller ones; replay their dates with --source=raw");
    }
    return config.withGraph(graph);
  }

  /**
   * Says which state of the checkpoint this resume drops and, where it feeds the metrics, records
   * the days whose windows were open at the checkpoint as due for a correction replay: their
   * windows lose what the dropped state held, and the stream's later panes of them count only what
   * it reads from here on. A window was open if it ended after the job's watermark minus the
   * allowed lateness; the watermark trailed both the checkpoint's time and, for Kafka, the arrival
   * at the committed offsets (those of the checkpoint once it completed), so the days run from the
   * earlier of the two minus the allowed lateness.
   */
  private void reportDroppedState(JobConfig config) throws Exception {
    List<String> counters = dropped.of(CheckpointSteps.Kind.NOTHING);
    List<String> replayed = dropped.of(CheckpointSteps.Kind.REPLAYED);
    if (replayed.isEmpty()) {
      out.println(
          NAME
              + ": the checkpoint holds state of progress counters this run leaves out ("
              + CheckpointSteps.describe(counters)
              + "); Flink skips it");
      return;
    }
    java.util.Optional<java.time.Instant> committed =
        config.kafka == null
            ? java.util.Optional.empty()
            : KafkaStartPosition.seenWholeFrom(
                config.kafka, START_POSITION_TIMEOUT, java.time.Instant.now());
    List<CorrectionDue> days =
        daysOpenAtCheckpoint(config.graph, config.resume.from.taken, committed);
    java.time.LocalDate first =
        days.get(0).windowStart().atZone(java.time.ZoneOffset.UTC).toLocalDate();
    java.time.LocalDate last =
        days.get(days.size() - 1).windowStart().atZone(java.time.ZoneOffset.UTC).toLocalDate();
    boolean recorded =
        config.graph.warehouse().fencesPartialWindows() && recordDue(config.graph, days);
    out.println(
        NAME
            + ": --allowNonRestoredState drops the state of "
            + CheckpointSteps.describe(replayed)
            + (counters.isEmpty() ? "" : " (and of " + CheckpointSteps.describe(counters) + ")")
            + ": the metric windows open at the checkpoint lose what it held; "
            + (recorded
                ? "the day windows of "
                    + first
                    + " to "
                    + last
                    + " are recorded in pipeline_corrections_due for a correction replay"
                : "replay "
                    + first
                    + " to "
                    + last
                    + " with --source=raw once those dates are closed ("
                    + config.graph.warehouse().describe()
                    + " records no corrections due)"));
  }

  /**
   * The day windows that hold every metric window open at a checkpoint taken at {@code taken},
   * whose job had read up to the arrival {@code committed} (the consumer group's committed offsets,
   * where known): the job's watermark trailed both, so the days run from the earlier of the two
   * minus the allowed lateness to the checkpoint's date, the last the job can have read arrivals
   * of.
   */
  static List<CorrectionDue> daysOpenAtCheckpoint(
      GraphConfig graph, java.time.Instant taken, java.util.Optional<java.time.Instant> committed) {
    java.time.Instant watermark =
        committed.isPresent() && committed.get().isBefore(taken) ? committed.get() : taken;
    return dayWindows(graph, watermark, taken);
  }

  /**
   * The day windows (one per UTC date) that hold every metric window the previous job may have had
   * open when its state was lost: a window stays open until its end plus the allowed lateness has
   * passed the job's watermark, which was at T0 or later wherever the re-read from T0 is enough
   * (see the README: then the previous job's watermark was within the re-read of its committed
   * offsets), so every such window ends after {@code T0 - allowedLateness}; the dates run to T0's.
   * The new stream records the windows it writes itself; these dates make the correction replay
   * cover the windows it never writes too (their stored row may be an early pane). Windows of later
   * dates (events that occurred after their arrival, up to {@code --maxEventTimeAhead}) are
   * recorded only when the stream writes them; the nightly correction replay covers the rest.
   */
  static List<CorrectionDue> daysThePreviousJobHadOpen(GraphConfig graph, java.time.Instant t0) {
    return dayWindows(graph, t0, t0);
  }

  /**
   * The day windows of {@code graph}'s generation from the date of {@code watermark} minus the
   * allowed lateness to the date of {@code until}.
   */
  private static List<CorrectionDue> dayWindows(
      GraphConfig graph, java.time.Instant watermark, java.time.Instant until) {
    java.time.Duration lateness =
        java.time.Duration.ofMillis(graph.windowing().allowedLateness().getMillis());
    java.time.LocalDate first =
        watermark.minus(lateness).atZone(java.time.ZoneOffset.UTC).toLocalDate();
    java.time.LocalDate last = until.atZone(java.time.ZoneOffset.UTC).toLocalDate();
    List<CorrectionDue> days = new java.util.ArrayList<>();
    for (java.time.LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
      days.add(
          CorrectionDue.of(
              d.atStartOfDay(java.time.ZoneOffset.UTC).toInstant(),
              io.collabpipeline.model.Granularity.DAY.code(),
              graph.generation()));
    }
    return days;
  }

  /** Records {@code due} where the launcher reaches the warehouse's tables (not Snowflake's). */
  private static boolean recordDue(GraphConfig graph, List<CorrectionDue> due) throws Exception {
    try (Warehouse warehouse = graph.warehouse().open()) {
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isEmpty()) {
        return false;
      }
      tables.get().ensureTables();
      tables.get().recordCorrectionsDue(due);
      return true;
    }
  }

  private String describeRunner(JobConfig config) {
    return options.getRunner().getSimpleName() + (config.streaming ? " (streaming)" : " (batch)");
  }

  /**
   * A raw replay of {@code range} under {@code graph}'s generation; prints its report; returns the
   * exit code.
   */
  private int rawReplay(
      JobConfig config,
      ReplayScope range,
      io.collabpipeline.pipelines.GraphConfig graph,
      GenerationLog.Kind kind)
      throws Exception {
    RawReplayJob job =
        RawReplayJob.of(graph, range, config.dryRun, reportDir(config)).withKind(kind);
    Finished finished = run(job);
    out.print(RawReplayJob.report(job, finished));
    return 0;
  }

  /**
   * A quarantine replay: the re-validation job, then a raw replay (kind {@code quarantine_replay})
   * of the event dates of the records that now pass.
   */
  private int quarantineReplay(JobConfig config, PrintStream err) throws Exception {
    if (!config.dryRun) {
      refuseUsedGeneration(config.graph, "a quarantine replay");
    }
    QuarantineReplayJob job =
        QuarantineReplayJob.of(config.graph, config.replayRange, config.dryRun);
    QuarantineReplayJob.Result r = QuarantineReplayJob.result(run(job));
    out.println(QuarantineReplayJob.report(job, r));
    if (config.dryRun || r.eventDates.isEmpty()) {
      return 0;
    }
    ReplayScope dates = ReplayScope.of(r.eventDates.first(), r.eventDates.last());
    List<LocalDate> empty = RawStoreIO.datesWithoutFiles(config.graph.rawStore(), dates);
    if (dates.days() > JobConfig.MAX_REPLAY_DAYS || !empty.isEmpty()) {
      err.println(
          NAME
              + ": the re-validated events occurred on "
              + r.eventDates
              + "; replay those dates with "
              + "--source=raw --from=D --to=D (at most "
              + JobConfig.MAX_REPLAY_DAYS
              + " days a run, dates with raw files)");
      return 1;
    }
    return rawReplay(
        config,
        dates,
        JobConfig.forRawReplay(config.graph, dates),
        GenerationLog.Kind.QUARANTINE_REPLAY);
  }

  /**
   * A live run and a quarantine replay write raw-store (and quarantine) files named by their
   * generation, the writer's identity that keeps the stores append-only: refuse, before anything is
   * written, a generation the warehouse's generation log already has, whatever its status, since
   * another run under it (a stream restarted from scratch, a different input) would write the same
   * names with other records and replace the first run's files. A restore of the same job from a
   * checkpoint does not come through here, nor does a cluster's restore ({@link
   * #requireStreamGeneration}). Warehouses without a log cannot be checked.
   */
  private static void refuseUsedGeneration(
      io.collabpipeline.pipelines.GraphConfig graph, String what) throws Exception {
    withGenerationLog(
        graph,
        log -> {
          Optional<GenerationLog.Entry> entry = log.entry(graph.generation());
          if (entry.isPresent()) {
            throw new UsageException(
                "--generation="
                    + graph.generation()
                    + " was used by an earlier run ("
                    + entry.get().status().code()
                    + "); "
                    + what
                    + " writes raw-store files named by its generation, so it needs a new one:"
                    + " leave --generation out (the default is new) or give an unused one");
          }
        });
  }

  /** Takes the warehouse's generation log. */
  @FunctionalInterface
  private interface LogCheck {
    void check(GenerationLog log) throws Exception;
  }

  /**
   * Runs {@code check} on the warehouse's generation log, its table created where missing (as
   * begin() does); nothing for a warehouse without a log, which cannot be checked.
   */
  private static void withGenerationLog(
      io.collabpipeline.pipelines.GraphConfig graph, LogCheck check) throws Exception {
    try (Warehouse warehouse = graph.warehouse().open()) {
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isPresent()) {
        tables.get().ensureTables();
      }
      Optional<GenerationLog> log = warehouse.generationLog();
      if (log.isPresent()) {
        check.check(log.get());
      }
    }
  }

  /**
   * A stream restored by its Flink cluster ({@code flink run -s}) continues the {@code
   * --generation} it was given, and rewrites that generation's raw-store files: refuse, before
   * anything is written, a generation the warehouse's generation log does not have as a stream's (a
   * typo, or a replay's generation, whose rows and files are not the stream's), and an older
   * stream's generation when a newer stream has one (its rows win over the older stream's, so the
   * restored stream's windows would keep the newer stream's values). Whether the savepoint was
   * taken by that stream cannot be checked here: the cluster keeps no generation history.
   * Warehouses without a log cannot be checked.
   */
  static void requireStreamGeneration(io.collabpipeline.pipelines.GraphConfig graph)
      throws Exception {
    withGenerationLog(
        graph,
        log -> {
          Optional<GenerationLog.Entry> entry = log.entry(graph.generation());
          if (entry.isEmpty()) {
            throw new UsageException(
                "--generation="
                    + graph.generation()
                    + " is not in the warehouse's generation log: a restored stream continues the"
                    + " generation of the stream that took the savepoint (the newest stream entry"
                    + " of pipeline_generations)");
          }
          if (entry.get().kind() != GenerationLog.Kind.STREAM) {
            throw new UsageException(
                "--generation="
                    + graph.generation()
                    + " is a "
                    + entry.get().kind().code()
                    + " generation, not a stream's: a restored stream continues the generation of"
                    + " the stream that took the savepoint (the newest stream entry of"
                    + " pipeline_generations)");
          }
          Optional<GenerationLog.Entry> newer =
              log.entries().stream()
                  .filter(e -> e.kind() == GenerationLog.Kind.STREAM)
                  .filter(e -> e.generation() > graph.generation())
                  .max(Comparator.comparingLong(GenerationLog.Entry::generation));
          if (newer.isPresent()) {
            long newest = newer.get().generation();
            throw new UsageException(
                "--generation="
                    + graph.generation()
                    + " is an older stream's: the log has stream generation "
                    + newest
                    + " (begun "
                    + newer.get().startedAt()
                    + "), whose rows win over this one's. Restore a savepoint of stream "
                    + newest
                    + " with --generation="
                    + newest
                    + ", or start fresh (no -s) and run the correction replay of the days it cannot"
                    + " see whole");
          }
        });
  }

  /** Where dry runs save their diff reports: {@code <dataDir>/replays}. */
  static Path reportDir(JobConfig config) {
    return Paths.get(config.dataDir, "replays");
  }

  /**
   * A Kafka job without checkpoints would never commit its offsets and could not recover exactly
   * once: unless the command line sets them, checkpoint every {@value #KAFKA_CHECKPOINT_MILLIS} ms,
   * exactly once, into {@code <dataDir>/checkpoints} (Flink's in-memory checkpoint storage is
   * capped at 5 MB, which one minute of the raw store's open window exceeds), and retain the last
   * one when the job is cancelled or fails, as {@code
   * execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION} does in the
   * runner configs: re-running the command resumes from it ({@link ResumeConfig}). With {@code
   * --flinkConfDir} the configuration decides (runner-configs/flink/local for the dev stack), and
   * inside a Flink cluster ({@code flink run}) the cluster's (production sets RocksDB and S3).
   */
  static void checkpointByDefault(FlinkPipelineOptions flink, String dataDir) {
    if (flink.getFlinkConfDir() != null
        || FlinkRestore.clusterConfiguration(flink.getFlinkMaster()).isPresent()) {
      return; // a Flink configuration (e.g. runner-configs/flink/local, or the cluster's own under
      // flink run: production's RocksDB and S3) sets checkpoints and the state backend
    }
    if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
      flink.setCheckpointingInterval(KAFKA_CHECKPOINT_MILLIS);
    }
    flink.setExternalizedCheckpointsEnabled(true);
    flink.setRetainExternalizedCheckpointsOnCancellation(true);
    if (flink.getStateBackend() == null && flink.getStateBackendFactory() == null) {
      flink.setStateBackend("filesystem");
      flink.setStateBackendStoragePath(
          ResumeConfig.defaultCheckpointDir(dataDir).toUri().toString());
    }
  }

  private ScheduledExecutorService startProgress(Optional<Job.Progress> progress, long started) {
    ScheduledExecutorService ex =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "progress");
              t.setDaemon(true);
              return t;
            });
    if (progress.isPresent() && progress.get().seconds > 0) {
      long total = progress.get().expectedRecords;
      int every = progress.get().seconds;
      ex.scheduleAtFixedRate(
          () -> {
            double s = (System.nanoTime() - started) / 1e9;
            long received = LocalProgress.get(LocalProgress.RECEIVED);
            long accepted = LocalProgress.get(LocalProgress.ACCEPTED);
            String of =
                total > 0 ? String.format(" of %,d (%.0f%%)", total, 100.0 * received / total) : "";
            out.printf(
                "  %6.0f s  received %,d%s, %,.0f records/s; accepted %,d%n",
                s, received, of, received / Math.max(s, 0.001), accepted);
          },
          every,
          every,
          TimeUnit.SECONDS);
    }
    return ex;
  }

  private static Path writeErrorLog(JobConfig config, Exception e) {
    try {
      Path log = Paths.get(config.dataDir, "last-error.log");
      Files.createDirectories(log.getParent());
      StringWriter sw = new StringWriter();
      e.printStackTrace(new PrintWriter(sw));
      Files.write(log, sw.toString().getBytes(StandardCharsets.UTF_8));
      return log;
    } catch (Exception ignored) {
      return null;
    }
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }
}
