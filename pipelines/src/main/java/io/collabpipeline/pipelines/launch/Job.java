package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One kind of job the {@link JobLauncher} runs: the live run, a raw-store replay, a quarantine
 * re-validation (and, through them, the benchmark). A job says what it is, which generation it
 * writes under and how the launcher closes it, and builds its graph; the launcher alone creates and
 * runs the pipeline, begins, commits or fails the generation and reports. The pair {@link
 * #build}/{@link JobLauncher#run} is the {@code applyX}/{@code runX} pair of Beam's game examples.
 */
public interface Job {
  /** The line printed when the job starts: what it reads and where it writes. */
  String startLine();

  /**
   * The generation the job's curated rows carry and how it is closed; empty for a job that writes
   * no curated rows.
   */
  Optional<GenerationPlan> generation();

  /** Builds the job's graph on {@code pipeline}. */
  void build(Pipeline pipeline);

  /** Live progress while the job runs in this JVM; empty for none. */
  default Optional<Progress> progress() {
    return Optional.empty();
  }

  /** How the launcher closes a generation once the pipeline has finished. */
  enum Close {
    /** A live run: its rows were written as it ran; the generation becomes committed. */
    MARK_COMMITTED,
    /** A replay: diff the staged rows, then commit the range in one transaction. */
    COMMIT_REPLAY,
    /** A replay's dry run: diff, save the report, discard the staged rows. */
    DRY_RUN
  }

  /**
   * The generation a job writes under: its id, its kind and range in the generation log, and how it
   * is closed.
   */
  final class GenerationPlan {
    public final long generation;

    /** The warehouse holding the generation log, the curated tables and the staged rows. */
    public final WarehouseTarget warehouse;

    public final GenerationLog.Kind kind;
    public final @Nullable ReplayScope range;
    public final Close close;

    /** Where a dry run saves its diff report; null otherwise. */
    public final @Nullable Path reportDir;

    /**
     * A stream started without state: the earliest arrival it reads (T0), recorded in the
     * generation log as its {@code seen_whole_from}; null otherwise.
     */
    public final java.time.@Nullable Instant seenWholeFrom;

    private GenerationPlan(
        long generation,
        WarehouseTarget warehouse,
        GenerationLog.Kind kind,
        @Nullable ReplayScope range,
        Close close,
        @Nullable Path reportDir) {
      this(generation, warehouse, kind, range, close, reportDir, null);
    }

    private GenerationPlan(
        long generation,
        WarehouseTarget warehouse,
        GenerationLog.Kind kind,
        @Nullable ReplayScope range,
        Close close,
        @Nullable Path reportDir,
        java.time.@Nullable Instant seenWholeFrom) {
      this.seenWholeFrom = seenWholeFrom;
      this.generation = generation;
      this.warehouse = warehouse;
      this.kind = kind;
      this.range = range;
      this.close = close;
      this.reportDir = reportDir;
    }

    /** This plan, for a stream that sees windows whole only from {@code t0} (null: all). */
    public GenerationPlan withSeenWholeFrom(java.time.@Nullable Instant t0) {
      return new GenerationPlan(generation, warehouse, kind, range, close, reportDir, t0);
    }

    /** A live run's generation (stream or batch), committed when the run succeeds. */
    public static GenerationPlan live(
        long generation, WarehouseTarget warehouse, GenerationLog.Kind kind) {
      return new GenerationPlan(generation, warehouse, kind, null, Close.MARK_COMMITTED, null);
    }

    /**
     * A replay's generation over {@code range}: committed in one transaction, or only diffed when
     * {@code dryRun}.
     */
    public static GenerationPlan replay(
        long generation,
        WarehouseTarget warehouse,
        GenerationLog.Kind kind,
        ReplayScope range,
        boolean dryRun,
        Path reportDir) {
      return new GenerationPlan(
          generation,
          warehouse,
          kind,
          range,
          dryRun ? Close.DRY_RUN : Close.COMMIT_REPLAY,
          reportDir);
    }
  }

  /**
   * What the progress line shows: the interval, and the expected number of records (or -1 when
   * unknown).
   */
  final class Progress {
    public final int seconds;
    public final long expectedRecords;

    public Progress(int seconds, long expectedRecords) {
      this.seconds = seconds;
      this.expectedRecords = expectedRecords;
    }
  }
}
