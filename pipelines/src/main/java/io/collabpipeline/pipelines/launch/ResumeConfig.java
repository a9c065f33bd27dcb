package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How a streaming job on Flink starts, decided once from the options ({@code --fresh}, Flink's
 * {@code --savepointPath} and {@code --allowNonRestoredState}, {@code --generation}, where the
 * checkpoints go) and what is retained on disk, in {@link JobConfig#from}:
 *
 * <ul>
 *   <li><b>Resume</b> (a {@code --source=kafka} job, by default): from the latest completed
 *       checkpoint or savepoint of this job under its checkpoint directory ({@link
 *       RetainedCheckpoints}: every job directory, since every run has a new job id), or from the
 *       one {@code --savepointPath} names. The stream continues the generation of the run that took
 *       that checkpoint ({@link GenerationHistory}), so its rows keep fencing as before.
 *   <li><b>Fresh</b>: {@code --fresh=true}, or nothing retained; a new generation.
 *   <li><b>Not applicable</b>: batch jobs, other runners, and streaming jobs of other sources
 *       (which resume only from an explicit {@code --savepointPath}).
 * </ul>
 *
 * {@code --generation} given explicitly always wins. The launcher applies the decision to the
 * runner ({@link FlinkRestore}), prints {@link #startLines()} and records the start ({@link
 * #recordStart}).
 */
public final class ResumeConfig {
  /** How the job starts. */
  public enum Start {
    /** Not a streaming job on Flink that resumes (batch, another runner, a bounded source). */
    NOT_APPLICABLE,
    /** From a retained checkpoint or savepoint. */
    RESUME,
    /** From nothing: empty state, and the Kafka consumer group's committed offsets. */
    FRESH,
    /**
     * Inside a Flink cluster ({@code flink run}): the cluster restores what {@code flink run -s}
     * gave it, or nothing.
     */
    CLUSTER
  }

  /** Where the generation comes from. */
  public enum GenerationOrigin {
    /** A new one: the job's start in epoch milliseconds. */
    NEW,
    /** The generation of the run that took the checkpoint resumed from. */
    CONTINUED,
    /** A resume from a checkpoint no run recorded a generation for: a new one. */
    NEW_UNRECORDED,
    /** {@code --generation}. */
    GIVEN
  }

  public final Start start;

  /** The checkpoint directory on the local file system, where the start is recorded; or null. */
  public final @Nullable Path checkpointDir;

  /** The checkpoint or savepoint resumed from, when it is on the local file system. */
  public final RetainedCheckpoints.@Nullable Snapshot from;

  /** What Flink restores from (a URI or path), when {@link Start#RESUME}; else null. */
  public final @Nullable String restorePath;

  /** Whether this launcher must hand {@link #restorePath} to Flink (not a Flink config's own). */
  public final boolean restoreByLauncher;

  /**
   * Flink's {@code --allowNonRestoredState}: state of operators no longer in the graph is dropped.
   */
  public final boolean allowNonRestoredState;

  public final long generation;
  public final GenerationOrigin generationOrigin;

  /** The job's name in the generation history ({@code kafka:<topics>@<group>}, ...). */
  public final String job;

  private final String why;
  private final List<String> notes;

  private ResumeConfig(
      Start start,
      @Nullable Path checkpointDir,
      RetainedCheckpoints.@Nullable Snapshot from,
      @Nullable String restorePath,
      boolean restoreByLauncher,
      boolean allowNonRestoredState,
      long generation,
      GenerationOrigin generationOrigin,
      String job,
      String why,
      List<String> notes) {
    this.start = start;
    this.checkpointDir = checkpointDir;
    this.from = from;
    this.restorePath = restorePath;
    this.restoreByLauncher = restoreByLauncher;
    this.allowNonRestoredState = allowNonRestoredState;
    this.generation = generation;
    this.generationOrigin = generationOrigin;
    this.job = job;
    this.why = why;
    this.notes = Collections.unmodifiableList(notes);
  }

  /**
   * Decides how the job starts; {@code givenGeneration} is {@code --generation} (checked), {@code
   * nowMillis} the new generation otherwise.
   *
   * @throws UsageException for contradicting or impossible options, naming them
   */
  static ResumeConfig from(
      CollabPipelineOptions o,
      JobConfig.SourceKind source,
      boolean streaming,
      String dataDir,
      @Nullable KafkaSourceConfig kafka,
      @Nullable Long givenGeneration,
      long nowMillis) {
    FlinkPipelineOptions flink = o.as(FlinkPipelineOptions.class);
    boolean fresh = Boolean.TRUE.equals(o.getFresh());
    String given = emptyToNull(flink.getSavepointPath());
    boolean onFlink = o.getRunner() != null && FlinkRunner.class.isAssignableFrom(o.getRunner());
    boolean allowNonRestored = Boolean.TRUE.equals(flink.getAllowNonRestoredState());
    String job = GenerationHistory.jobName(jobName(source, kafka));
    long newGeneration = givenGeneration != null ? givenGeneration : nowMillis;
    GenerationOrigin newOrigin =
        givenGeneration != null ? GenerationOrigin.GIVEN : GenerationOrigin.NEW;

    if (!streaming || !onFlink) {
      String where =
          !onFlink
              ? "the Flink runner (--runner=" + runnerName(o) + " has no checkpoints)"
              : "streaming jobs (a batch job has no checkpoints)";
      if (fresh) {
        throw new UsageException("--fresh=true only applies to " + where + "; drop it");
      }
      if (given != null) {
        throw new UsageException(
            "--savepointPath=" + given + " only applies to " + where + "; drop it");
      }
      return notApplicable(null, allowNonRestored, newGeneration, newOrigin, job);
    }
    Optional<ReadableConfig> cluster = FlinkRestore.clusterConfiguration(flink.getFlinkMaster());
    if (cluster.isPresent()) {
      return inCluster(
          cluster.get(), fresh, given, allowNonRestored, newGeneration, newOrigin, job);
    }
    if (fresh && given != null) {
      throw new UsageException(
          "--fresh=true and --savepointPath="
              + given
              + " contradict each other: drop --fresh to resume from that checkpoint, or "
              + "--savepointPath to start fresh");
    }

    String confDir = emptyToNull(flink.getFlinkConfDir());
    Configuration conf = confDir == null ? null : FlinkConfCopy.load(confDir);
    String location = checkpointLocation(flink, source, dataDir, conf);
    Path dir = location == null ? null : localPath(location);
    String savepoints = conf == null ? null : conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
    Path savepointDir = savepoints == null ? null : localPath(savepoints);
    List<GenerationHistory.Entry> history = history(dir);

    String configured = conf == null ? null : conf.get(SavepointConfigOptions.SAVEPOINT_PATH);
    if (configured != null && given == null) {
      if (fresh) {
        throw new UsageException(
            "--fresh=true: the Flink configuration in --flinkConfDir="
                + confDir
                + " sets execution.savepoint.path="
                + configured
                + "; remove it there to start fresh");
      }
      return resume(
          dir,
          localSnapshot(configured, "execution.savepoint.path in " + confDir),
          configured,
          false,
          allowNonRestored,
          givenGeneration,
          nowMillis,
          history,
          job,
          "execution.savepoint.path in " + confDir);
    }
    if (given != null) {
      return resume(
          dir,
          localSnapshot(given, "--savepointPath"),
          given,
          true,
          allowNonRestored,
          givenGeneration,
          nowMillis,
          history,
          job,
          "--savepointPath");
    }
    if (source != JobConfig.SourceKind.KAFKA) {
      // A bounded source in streaming finishes; resuming its finished checkpoint would read
      // nothing.
      return notApplicable(dir, allowNonRestored, newGeneration, newOrigin, job);
    }
    if (fresh) {
      return fresh(dir, allowNonRestored, newGeneration, newOrigin, job, "--fresh", List.of());
    }
    if (location == null) {
      return fresh(
          null,
          allowNonRestored,
          newGeneration,
          newOrigin,
          job,
          "no checkpoint directory is configured (state.checkpoints.dir), so none is retained",
          List.of());
    }
    if (dir == null) {
      return fresh(
          null,
          allowNonRestored,
          newGeneration,
          newOrigin,
          job,
          "checkpoints go to "
              + location
              + ", which is not searched here: name the one to resume from with "
              + "--savepointPath",
          List.of());
    }

    RetainedCheckpoints.Scan scan;
    try {
      scan = RetainedCheckpoints.scan(dir, savepointDir);
    } catch (IOException e) {
      throw new UsageException(
          "the checkpoint directory " + dir + " cannot be read: " + CommandLine.rootMessage(e));
    }
    RetainedCheckpoints.Snapshot latest = null;
    List<RetainedCheckpoints.Snapshot> otherJobs = new ArrayList<>();
    for (RetainedCheckpoints.Snapshot s : scan.completed) {
      Optional<GenerationHistory.Entry> owner = GenerationHistory.ownerOf(history, s.taken);
      if (owner.isPresent() && !owner.get().job.equals(job)) {
        otherJobs.add(s);
      } else {
        latest = s; // completed is oldest first
      }
    }
    List<String> notes = new ArrayList<>();
    for (RetainedCheckpoints.Skipped s : scan.skipped) {
      if (latest == null || s.modified.isAfter(latest.taken)) {
        notes.add(JobLauncher.NAME + ": skipped " + s.dir + ": " + s.reason);
      }
    }
    for (RetainedCheckpoints.Snapshot s : otherJobs) {
      if (latest == null || s.taken.isAfter(latest.taken)) {
        notes.add(
            JobLauncher.NAME
                + ": skipped "
                + s.dir
                + ": taken by another job ("
                + GenerationHistory.ownerOf(history, s.taken).get().job
                + ")");
      }
    }
    notes = limit(notes, 5);
    if (latest == null) {
      return fresh(
          dir,
          allowNonRestored,
          newGeneration,
          newOrigin,
          job,
          "no retained checkpoint under " + dir,
          notes);
    }
    ResumeConfig r =
        resume(
            dir,
            latest,
            latest.dir.toUri().toString(),
            true,
            allowNonRestored,
            givenGeneration,
            nowMillis,
            history,
            job,
            null);
    return r.withNotes(notes);
  }

  /**
   * Whether the job starts without the window state of a previous one: fresh, or inside a Flink
   * cluster that restores nothing. A Kafka job then reads from the group's committed offsets, and
   * the windows the previous job had open are partial for it ({@code kafka.KafkaStartPosition}).
   */
  public boolean startsWithoutState() {
    return start == Start.FRESH || (start == Start.CLUSTER && restorePath == null);
  }

  /**
   * Whether this start restores a stream's state in its own generation: a resume of a checkpoint
   * whose run is recorded here, or a cluster's restore ({@code flink run -s}), which is refused
   * without {@code --generation}.
   */
  public boolean continuesItsGeneration() {
    return (start == Start.RESUME && generationOrigin == GenerationOrigin.CONTINUED)
        || (start == Start.CLUSTER && restorePath != null);
  }

  /** The lines the launcher prints before the job starts: notes, then how it starts. */
  public List<String> startLines() {
    List<String> lines = new ArrayList<>(notes);
    switch (start) {
      case RESUME:
        lines.add(
            JobLauncher.NAME
                + ": resuming from "
                + (from != null ? from.describe() : restorePath)
                + (why.isEmpty() ? "" : ", as " + why + " says")
                + (from == null ? " (not checked: not on the local file system)" : "")
                + "; "
                + describeGeneration());
        break;
      case FRESH:
        lines.add(JobLauncher.NAME + ": starting fresh (" + why + "); " + describeGeneration());
        break;
      case CLUSTER:
        lines.add(
            JobLauncher.NAME
                + (restorePath != null
                    ? ": resuming from " + restorePath + " (" + why + ")"
                    : ": starting fresh (" + why + ")")
                + "; "
                + describeGeneration());
        break;
      case NOT_APPLICABLE:
      default:
        break;
    }
    return lines;
  }

  /** "generation 1763…(continued)" and the like. */
  String describeGeneration() {
    switch (generationOrigin) {
      case CONTINUED:
        return "generation " + generation + " (continued)";
      case GIVEN:
        return "generation " + generation + " (given by --generation)";
      case NEW_UNRECORDED:
        return "generation "
            + generation
            + " (new: no run is recorded for that checkpoint in "
            + GenerationHistory.FILE
            + ")";
      case NEW:
      default:
        return "generation " + generation + " (new)";
    }
  }

  /**
   * Records this start in the checkpoint directory's generation history (when it is local), so that
   * a later resume from one of this run's checkpoints continues its generation. Called by the
   * launcher just before the job runs.
   */
  void recordStart(long nowMillis) throws IOException {
    if (checkpointDir != null) {
      GenerationHistory.append(
          checkpointDir, new GenerationHistory.Entry(nowMillis, generation, job));
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static ResumeConfig resume(
      @Nullable Path dir,
      RetainedCheckpoints.@Nullable Snapshot snapshot,
      String restorePath,
      boolean byLauncher,
      boolean allowNonRestored,
      @Nullable Long givenGeneration,
      long nowMillis,
      List<GenerationHistory.Entry> history,
      String job,
      @Nullable String why) {
    long generation;
    GenerationOrigin origin;
    Optional<GenerationHistory.Entry> owner =
        snapshot == null ? Optional.empty() : GenerationHistory.ownerOf(history, snapshot.taken);
    if (givenGeneration != null) {
      generation = givenGeneration;
      origin = GenerationOrigin.GIVEN;
    } else if (owner.isPresent()) {
      generation = owner.get().generation;
      origin = GenerationOrigin.CONTINUED;
    } else {
      generation = nowMillis;
      origin = snapshot == null ? GenerationOrigin.NEW : GenerationOrigin.NEW_UNRECORDED;
    }
    String path = snapshot == null ? restorePath : snapshot.dir.toUri().toString();
    return new ResumeConfig(
        Start.RESUME,
        dir,
        snapshot,
        path,
        byLauncher,
        allowNonRestored,
        generation,
        origin,
        job,
        why == null ? "" : why,
        List.of());
  }

  private static ResumeConfig fresh(
      @Nullable Path dir,
      boolean allowNonRestored,
      long generation,
      GenerationOrigin origin,
      String job,
      String why,
      List<String> notes) {
    return new ResumeConfig(
        Start.FRESH, dir, null, null, false, allowNonRestored, generation, origin, job, why, notes);
  }

  private static ResumeConfig notApplicable(
      @Nullable Path dir,
      boolean allowNonRestored,
      long generation,
      GenerationOrigin origin,
      String job) {
    return new ResumeConfig(
        Start.NOT_APPLICABLE,
        dir,
        null,
        null,
        false,
        allowNonRestored,
        generation,
        origin,
        job,
        "",
        List.of());
  }

  /**
   * Inside a Flink cluster the cluster's configuration holds the restore ({@code flink run -s
   * <path>} sets {@code execution.savepoint.path}) and Beam ignores {@code --savepointPath}: say
   * which, refuse the options that would silently do nothing. The checkpoints are the cluster's (on
   * S3 in production): nothing is searched or recorded here, so a restore needs {@code
   * --generation}, the restored stream's (the launcher checks it against the warehouse's generation
   * log).
   */
  private static ResumeConfig inCluster(
      ReadableConfig cluster,
      boolean fresh,
      @Nullable String given,
      boolean allowNonRestored,
      long generation,
      GenerationOrigin origin,
      String job) {
    if (given != null) {
      throw new UsageException(
          "--savepointPath="
              + given
              + " is ignored by Beam inside a Flink cluster (flink run): pass it to flink run as "
              + "-s "
              + given
              + " (runner-configs/emr/submit.sh --from-savepoint)");
    }
    String restore = cluster.getOptional(SavepointConfigOptions.SAVEPOINT_PATH).orElse(null);
    if (fresh && restore != null) {
      throw new UsageException(
          "--fresh=true, but flink run was given -s "
              + restore
              + ": submit without -s to start fresh");
    }
    if (restore != null && origin != GenerationOrigin.GIVEN) {
      // The cluster keeps no generation history: only the operator can say which stream took
      // the savepoint, and a new generation would win over the correction replays' rows.
      throw new UsageException(
          "flink run -s "
              + restore
              + " restores a stream, which must continue its generation: add --generation=<that"
              + " stream's generation> (submit.sh --generation N; it is the newest stream entry"
              + " of pipeline_generations, and the -g<N>- of its raw-store file names)");
    }
    return new ResumeConfig(
        Start.CLUSTER,
        null,
        null,
        restore,
        false,
        allowNonRestored,
        generation,
        origin,
        job,
        restore != null
            ? "flink run -s: the Flink cluster restores it"
            : "flink run without -s: the Flink cluster restores nothing",
        List.of());
  }

  /**
   * This resume with Flink's {@code --allowNonRestoredState} on: for a checkpoint whose dropped
   * state the launcher has checked ({@link CheckpointSteps}).
   */
  ResumeConfig allowingNonRestoredState() {
    return copy(true, notes);
  }

  private ResumeConfig withNotes(List<String> notes) {
    return copy(allowNonRestoredState, notes);
  }

  private ResumeConfig copy(boolean allowNonRestoredState, List<String> notes) {
    return new ResumeConfig(
        start,
        checkpointDir,
        from,
        restorePath,
        restoreByLauncher,
        allowNonRestoredState,
        generation,
        generationOrigin,
        job,
        why,
        notes);
  }

  /**
   * The snapshot a given path names, read (and so checked) when it is on the local file system;
   * null for other file systems (s3://), which Flink checks when it restores.
   */
  private static RetainedCheckpoints.@Nullable Snapshot localSnapshot(String path, String option) {
    Path local = localPath(path);
    if (local == null) {
      return null;
    }
    try {
      return RetainedCheckpoints.read(local);
    } catch (IOException e) {
      String name = option.startsWith("--") ? option + "=" + path : path + " (" + option + ")";
      throw new UsageException(
          name
              + ": "
              + e.getMessage()
              + "; give a chk-<n> or savepoint directory that holds a "
              + RetainedCheckpoints.METADATA
              + " file, or drop it to resume from the latest retained checkpoint");
    }
  }

  /**
   * Where the job's checkpoints go: Beam's {@code --stateBackendStoragePath} when a state backend
   * is given, else the Flink configuration's {@code state.checkpoints.dir}, else (a Kafka job
   * without a Flink configuration) {@code <dataDir>/checkpoints}, the launcher's default ({@link
   * JobLauncher#checkpointByDefault}). Null when unknown or none.
   */
  static @Nullable String checkpointLocation(
      FlinkPipelineOptions flink,
      JobConfig.SourceKind source,
      String dataDir,
      @Nullable Configuration conf) {
    if (flink.getStateBackend() != null) {
      return emptyToNull(flink.getStateBackendStoragePath());
    }
    if (flink.getStateBackendFactory() != null) {
      return null;
    }
    if (conf != null) {
      return conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
    }
    return source == JobConfig.SourceKind.KAFKA ? defaultCheckpointDir(dataDir).toString() : null;
  }

  /** Where a Kafka job without a Flink configuration checkpoints: {@code <dataDir>/checkpoints}. */
  static Path defaultCheckpointDir(String dataDir) {
    return Paths.get(dataDir, "checkpoints");
  }

  /**
   * A location on the local file system ({@code file:} URI or plain path) as a path; null for
   * others.
   */
  static @Nullable Path localPath(String location) {
    try {
      if (location.startsWith("file:")) {
        return Paths.get(URI.create(location)).toAbsolutePath().normalize();
      }
      if (!location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
        return Paths.get(location).toAbsolutePath().normalize();
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(location + " is not a path or file: URI: " + e.getMessage());
    }
    return null;
  }

  private static List<GenerationHistory.Entry> history(@Nullable Path dir) {
    if (dir == null) {
      return List.of();
    }
    try {
      return GenerationHistory.read(dir);
    } catch (IOException e) {
      throw new UsageException(
          dir.resolve(GenerationHistory.FILE) + " cannot be read: " + CommandLine.rootMessage(e));
    }
  }

  private static String jobName(JobConfig.SourceKind source, @Nullable KafkaSourceConfig kafka) {
    if (kafka != null) {
      return "kafka:" + String.join(",", kafka.topics()) + "@" + kafka.groupId();
    }
    return source.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String runnerName(CollabPipelineOptions o) {
    return o.getRunner() == null ? "?" : o.getRunner().getSimpleName();
  }

  private static List<String> limit(List<String> lines, int max) {
    if (lines.size() <= max) {
      return lines;
    }
    List<String> l = new ArrayList<>(lines.subList(lines.size() - max, lines.size()));
    l.add(0, JobLauncher.NAME + ": (" + (lines.size() - max) + " more skipped, not listed)");
    return l;
  }

  private static @Nullable String emptyToNull(@Nullable String s) {
    return s == null || s.trim().isEmpty() ? null : s.trim();
  }
}
