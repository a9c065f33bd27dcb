package io.collabpipeline.pipelines.replay;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.sources.RawStoreReplay;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayCommit;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.ReplayStaging;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The driver of a raw-store replay ({@code --source=raw --from=.. --to=..}): the one graph in bounded mode
 * ({@link CollabGraph#applyReplay}) over the events of the range, then a diff and a commit, fenced by generation.
 *
 * <ol>
 *   <li>The generation is begun in the warehouse's generation log ({@code running}, with its kind and range).
 *   <li>The job reads the raw store for the dates ({@link RawStoreReplay}), deduplicates over the whole range, computes
 *       every metric window with every event on time, and STAGES the rows under the generation: the curated tables are
 *       not touched while it runs.
 *   <li>On success, the staged rows are diffed against the stored ones ({@link ReplayStaging#diff}). A dry run prints
 *       the diff ({@link DiffReport}), saves it (JSON and text) under the report directory, marks the generation
 *       {@code dry_run} and discards the staged rows. Otherwise {@link ReplayStaging#commitReplay} replaces the windows
 *       of the range in ONE transaction (marking the generation {@code committed}), refused if a newer generation holds
 *       any of them.
 *   <li>On any failure (the job, the diff or a refused commit) the generation is marked {@code failed}, its staged
 *       rows are discarded and the exception is rethrown: the previous values stay.
 * </ol>
 *
 * A driver killed between the job and the commit leaves a {@code running} generation with staged rows that nothing
 * ever commits (a commit needs the driver that began it); a later replay with a newer generation supersedes it.
 */
public final class RawReplay {
  private RawReplay() {}

  /** What to replay and where the report goes. */
  @AutoValue
  public abstract static class Request {
    /** The graph's settings; its generation is the replay's, its warehouse the one to stage into and commit. */
    public abstract GraphConfig graph();

    /** The event dates to replay, which are also the windows rewritten. */
    public abstract ReplayScope range();

    public abstract boolean dryRun();

    /** What the generation log records the replay as. */
    public abstract GenerationLog.Kind kind();

    /** Where a dry run saves its diff report. */
    public abstract Path reportDir();

    /**
     * A transform applied to the replayed events before the graph, or null: a filter for a partial replay, or, in
     * tests, a step that fails on purpose.
     */
    public abstract @Nullable PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> eventsHook();

    public static Request of(GraphConfig graph, ReplayScope range, boolean dryRun, Path reportDir) {
      return new AutoValue_RawReplay_Request(graph, range, dryRun, GenerationLog.Kind.REPLAY, reportDir, null);
    }

    public Request withKind(GenerationLog.Kind kind) {
      return new AutoValue_RawReplay_Request(graph(), range(), dryRun(), kind, reportDir(), eventsHook());
    }

    public Request withEventsHook(PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> hook) {
      return new AutoValue_RawReplay_Request(graph(), range(), dryRun(), kind(), reportDir(), hook);
    }
  }

  /** What a finished replay did. */
  public static final class Result {
    public final long generation;
    public final WarehouseDiff diff;
    /** The commit; null for a dry run. */
    public final @Nullable ReplayCommit commit;
    /** The saved diff report (JSON and text) of a dry run; null otherwise. */
    public final DiffReports.@Nullable Saved report;
    /** Events read from the raw store. */
    public final long eventsRead;
    public final double seconds;

    Result(
        long generation,
        WarehouseDiff diff,
        @Nullable ReplayCommit commit,
        DiffReports.@Nullable Saved report,
        long eventsRead,
        double seconds) {
      this.generation = generation;
      this.diff = diff;
      this.commit = commit;
      this.report = report;
      this.eventsRead = eventsRead;
      this.seconds = seconds;
    }
  }

  /** Builds the replay job on {@code pipeline}: the raw store for the range, then the graph's replay entry. */
  public static CollabGraph.Outputs build(Pipeline pipeline, Request request) {
    PCollection<CollabEvent> events =
        pipeline.apply(
            "ReadRawStore", RawStoreReplay.read(request.graph().rawStore()).withRange(request.range()));
    if (request.eventsHook() != null) {
      events = events.apply("ReplayEventsHook", request.eventsHook());
    }
    return CollabGraph.applyReplay(events, request.graph());
  }

  /** Runs the replay as the class comment says; {@code out} gets the progress and the report. */
  public static Result run(PipelineOptions options, Request request, PrintStream out) throws Exception {
    long generation = request.graph().generation();
    ReplayScope range = request.range();
    WarehouseTarget target = request.graph().warehouse();
    try (Warehouse warehouse = target.open()) {
      required(warehouse.tables(), target).ensureTables();
      required(warehouse.generationLog(), target).begin(generation, request.kind(), range);
    }
    out.printf(Locale.ROOT, "%s generation %d: %s %s from %s into %s%n", request.kind().code(), generation,
        request.dryRun() ? "dry run of" : "replaying", range, request.graph().rawStore(), target.describe());
    long started = System.nanoTime();
    try {
      Pipeline pipeline = Pipeline.create(options);
      build(pipeline, request);
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the replay job ended in state " + state);
      }
      long eventsRead = counter(result, RawStoreReplay.METRICS_NAMESPACE, RawStoreReplay.EVENTS_READ);
      try (Warehouse warehouse = target.open()) {
        ReplayStaging staging = required(warehouse.replays(), target);
        WarehouseDiff diff = staging.diff(generation, range);
        if (request.dryRun()) {
          DiffReports.Saved saved = DiffReports.save(diff, request.reportDir());
          out.print(DiffReports.text(diff));
          out.printf("dry run: nothing was written to the curated tables; the diff is saved as %s and %s%n",
              saved.json, saved.text);
          required(warehouse.generationLog(), target).markDryRun(generation);
          staging.discardStaged(generation);
          return new Result(generation, diff, null, saved, eventsRead, seconds(started));
        }
        ReplayCommit commit = staging.commitReplay(generation, range);
        out.println(summary(diff, commit, eventsRead, seconds(started)));
        return new Result(generation, diff, commit, null, eventsRead, seconds(started));
      }
    } catch (Exception | Error e) {
      markFailed(target, generation, e);
      throw e;
    }
  }

  /** A few lines: what the commit changed, per table. */
  static String summary(WarehouseDiff diff, ReplayCommit commit, long eventsRead, double seconds) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "replay generation %d committed for %s: %,d events read in %.1f s; %,d rows written, %,d removed%n",
        commit.generation(), commit.scope(), eventsRead, seconds, commit.totalRowsWritten(),
        commit.totalRowsRemoved()));
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      CuratedTable table = t.table();
      sb.append(String.format(Locale.ROOT,
          "  %-22s %,9d rows: %,d added, %,d removed, %,d changed in %,d windows%s%n",
          table.tableName(), t.rowsAfter(), t.rowsAdded(), t.rowsRemoved(), t.rowsChanged(),
          t.windowsChanged().size(), t.rowsOutsideScope() > 0
              ? String.format(Locale.ROOT, " (%,d rows of partly seen windows dropped)", t.rowsOutsideScope())
              : ""));
    }
    sb.append(diff.isEmpty()
        ? "  the curated tables already held exactly these values; every row of the range now carries this generation"
        : "  every row of the range now carries this generation");
    return sb.toString();
  }

  private static void markFailed(WarehouseTarget target, long generation, Throwable cause) {
    try (Warehouse warehouse = target.open()) {
      required(warehouse.generationLog(), target).markFailed(generation);
      required(warehouse.replays(), target).discardStaged(generation);
    } catch (Exception cleanup) {
      cause.addSuppressed(cleanup);
    }
  }

  /**
   * A concern of the warehouse a replay needs (its tables, staging and generation log); the command line refuses a
   * warehouse without them before a replay starts ({@code WarehouseTargets.forReplay}).
   */
  private static <T> T required(Optional<T> concern, WarehouseTarget target) {
    return concern.orElseThrow(
        () -> new IllegalStateException("replays are not built for the warehouse " + target.describe()));
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  static long counter(PipelineResult result, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result.metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named(namespace, name)).build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
