package io.collabpipeline.pipelines.launch;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.DiffReports;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseDiff;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.grouping.ShardChunks;
import io.collabpipeline.transforms.metrics.ShardedMetrics;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A raw-store replay ({@code --source=raw --from=.. --to=..}) as a job of the {@link JobLauncher}:
 * the one graph in bounded mode ({@link CollabGraph#applyReplay}) over the events of the range; the
 * launcher then diffs and commits, fenced by generation.
 *
 * <ol>
 *   <li>The launcher begins the generation in the warehouse's generation log ({@code running}, with
 *       its kind and range).
 *   <li>The job reads the raw store for the dates ({@link RawStoreIO#read}), only the columns the
 *       dedup and the metrics read ({@link RawStoreIO.Read#withMetricColumnsOnly}: no payload),
 *       deduplicates over the whole range, computes every metric window with every event on time,
 *       and STAGES the rows under the generation: the curated tables are not touched while it runs.
 *   <li>On success the launcher diffs the staged rows against the stored ones. A dry run saves the
 *       diff ({@link io.collabpipeline.pipelines.warehouse.DiffReport}, JSON and text) under the
 *       report directory, marks the generation {@code dry_run} and discards the staged rows; {@link
 *       #report} prints it. Otherwise the launcher replaces the windows of the range in ONE
 *       transaction (marking the generation {@code committed}), refused if a newer generation holds
 *       any of them.
 *   <li>On any failure (the job, the diff or a refused commit) the generation is marked {@code
 *       failed}, its staged rows are discarded and the exception is rethrown: the previous values
 *       stay.
 * </ol>
 *
 * A driver killed between the job and the commit leaves a {@code running} generation with staged
 * rows that nothing ever commits (a commit needs the driver that began it); a later replay with a
 * newer generation supersedes it.
 *
 * <pre>{@code
 * RawReplayJob job = RawReplayJob.of(JobConfig.forRawReplay(graph, range), range, false, reportDir);
 * JobLauncher.Finished finished = JobLauncher.withOptions(options, System.out).run(job);
 * System.out.print(RawReplayJob.report(job, finished));
 * }</pre>
 */
@AutoValue
public abstract class RawReplayJob implements Job {
  /**
   * The graph's settings; its generation is the replay's, its warehouse the one to stage into and
   * commit.
   */
  public abstract GraphConfig graph();

  /** The event dates to replay, which are also the windows rewritten. */
  public abstract ReplayScope range();

  public abstract boolean dryRun();

  /** What the generation log records the replay as. */
  public abstract GenerationLog.Kind kind();

  /** Where a dry run saves its diff report. */
  public abstract Path reportDir();

  /**
   * A transform applied to the replayed events before the graph, or null: a filter for a partial
   * replay, or, in tests, a step that fails on purpose. It sees narrow events: the fields of {@link
   * io.collabpipeline.pipelines.stores.RawStoreSchema#METRIC_COLUMNS}, the others empty.
   */
  public abstract @Nullable PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>>
      eventsHook();

  /**
   * A replay of {@code range} with {@code graph}'s settings (see {@code JobConfig.forRawReplay}).
   */
  public static RawReplayJob of(
      GraphConfig graph, ReplayScope range, boolean dryRun, Path reportDir) {
    return new AutoValue_RawReplayJob(
        graph, range, dryRun, GenerationLog.Kind.REPLAY, reportDir, null);
  }

  public RawReplayJob withKind(GenerationLog.Kind kind) {
    return new AutoValue_RawReplayJob(graph(), range(), dryRun(), kind, reportDir(), eventsHook());
  }

  public RawReplayJob withEventsHook(
      PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> hook) {
    return new AutoValue_RawReplayJob(graph(), range(), dryRun(), kind(), reportDir(), hook);
  }

  @Override
  public String startLine() {
    return String.format(
        Locale.ROOT,
        "%s generation %d: %s %s from %s into %s",
        kind().code(),
        graph().generation(),
        dryRun() ? "dry run of" : "replaying",
        range(),
        graph().rawStore(),
        graph().warehouse().describe());
  }

  @Override
  public Optional<GenerationPlan> generation() {
    return Optional.of(
        GenerationPlan.replay(
            graph().generation(), graph().warehouse(), kind(), range(), dryRun(), reportDir()));
  }

  @Override
  public void build(Pipeline pipeline) {
    PCollection<CollabEvent> events =
        pipeline.apply(
            "ReadRawStore",
            RawStoreIO.read(graph().rawStore()).withRange(range()).withMetricColumnsOnly());
    if (eventsHook() != null) {
      events = events.apply("ReplayEventsHook", eventsHook());
    }
    CollabGraph.applyReplay(events, graph(), shards(graph().rawStore(), range()));
  }

  /** Raw-store bytes per dedup shard at most: about 64 MiB of Parquet, a few hundred MB in heap. */
  static final long BYTES_PER_SHARD = 64L << 20;

  /**
   * The replay's dedup shards ({@code ShardedMetrics}): its default, or more for a range whose
   * Parquet files hold more than {@link #BYTES_PER_SHARD} a shard, so that one shard's events (all
   * in a worker's heap at once) stay bounded however long the range.
   */
  static int shards(String rawStore, ReplayScope range) {
    long bytes;
    try {
      bytes = RawStoreIO.bytesOf(rawStore, range);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "cannot size the replay of " + range + " in " + rawStore, e);
    }
    return shardsFor(bytes);
  }

  static int shardsFor(long bytes) {
    return ShardChunks.shardsFor(bytes, BYTES_PER_SHARD, ShardedMetrics.DEFAULT_SHARDS);
  }

  /** Events the finished replay read from the raw store. */
  public static long eventsRead(JobLauncher.Finished finished) {
    return Counters.attempted(
        finished.result, RawStoreIO.Read.METRICS_NAMESPACE, RawStoreIO.Read.EVENTS_READ);
  }

  /**
   * What the finished replay did, as the command line prints it: the dry run's diff, or the commit
   * per table.
   */
  public static String report(RawReplayJob job, JobLauncher.Finished finished) {
    WarehouseDiff diff = finished.diff;
    if (diff == null) {
      return "replay generation " + job.graph().generation() + ": the warehouse reports no diff\n";
    }
    if (finished.report != null) {
      return DiffReports.text(diff)
          + String.format(
              Locale.ROOT,
              "dry run: nothing was written to the curated tables; the diff is saved as %s and %s%n",
              finished.report.json,
              finished.report.text);
    }
    long eventsRead = eventsRead(finished);
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "replay generation %d committed for %s: %,d events read in %.1f s; %,d rows written, %,d removed%n",
            finished.commit.generation(),
            finished.commit.scope(),
            eventsRead,
            finished.seconds,
            finished.commit.totalRowsWritten(),
            finished.commit.totalRowsRemoved()));
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      CuratedTable table = t.table();
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-22s %,9d rows: %,d added, %,d removed, %,d changed in %,d windows%s%n",
              table.tableName(),
              t.rowsAfter(),
              t.rowsAdded(),
              t.rowsRemoved(),
              t.rowsChanged(),
              t.windowsChanged().size(),
              t.rowsOutsideScope() > 0
                  ? String.format(
                      Locale.ROOT,
                      " (%,d rows of partly seen windows dropped)",
                      t.rowsOutsideScope())
                  : ""));
    }
    sb.append(
        diff.isEmpty()
            ? "  the curated tables already held exactly these values; every row of the range now carries this generation"
            : "  every row of the range now carries this generation");
    sb.append(System.lineSeparator());
    return sb.toString();
  }
}
