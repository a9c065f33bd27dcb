package io.collabpipeline.pipelines.launch;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.values.PCollection;

/**
 * The first half of a quarantine replay ({@code --source=quarantine --from=.. --to=..}, arrival
 * dates), as a job of the {@link JobLauncher}: re-validates the quarantined records of those dates,
 * as originally received, with the graph's own {@code ValidateEvents} (after a schema fix, say) and
 * {@code DedupByEventId} ({@link CollabGraph#applyQuarantineReplay}), and adds the events that now
 * pass to the raw store under deterministic names ({@link RawStoreIO#writeRevalidated}), under
 * their ORIGINAL event ids and arrival times. Records that still fail stay where they are, in the
 * quarantine; they are counted by reason, not written again. The second half is a raw replay of the
 * event dates it reports ({@link Result#eventDates}), which folds the new events into the curated
 * tables; dedup by event id over that range counts a record replayed twice (or also delivered
 * intact) once. It writes no curated rows, so it has no generation of its own.
 *
 * <pre>{@code
 * QuarantineReplayJob job = QuarantineReplayJob.of(graph, arrivalDates, false);
 * QuarantineReplayJob.Result r = QuarantineReplayJob.result(launcher.run(job));
 * }</pre>
 */
public final class QuarantineReplayJob implements Job {
  private final GraphConfig graph;
  private final ReplayScope arrivalDates;
  private final boolean dryRun;

  private QuarantineReplayJob(GraphConfig graph, ReplayScope arrivalDates, boolean dryRun) {
    this.graph = graph;
    this.arrivalDates = arrivalDates;
    this.dryRun = dryRun;
  }

  /** Re-validation of the records quarantined on {@code arrivalDates}; a dry run writes nothing. */
  public static QuarantineReplayJob of(
      GraphConfig graph, ReplayScope arrivalDates, boolean dryRun) {
    return new QuarantineReplayJob(graph, arrivalDates, dryRun);
  }

  /** What the re-validation found and wrote. */
  public static final class Result {
    public final long recordsRead;

    /** Records that passed validation this time (copies of one id included). */
    public final long passed;

    /** Distinct events that passed. */
    public final long distinctEvents;

    /** Distinct events written to the raw store (none in a dry run). */
    public final long eventsWritten;

    public final long stillFailing;

    /** Still-failing records by reason code. */
    public final Map<String, Long> stillFailingByReason;

    /**
     * The event dates ({@code occurred_at}) of the events that passed: what a raw replay must
     * cover.
     */
    public final SortedSet<LocalDate> eventDates;

    Result(
        long recordsRead,
        long passed,
        long distinctEvents,
        long eventsWritten,
        long stillFailing,
        Map<String, Long> byReason,
        SortedSet<LocalDate> eventDates) {
      this.recordsRead = recordsRead;
      this.passed = passed;
      this.distinctEvents = distinctEvents;
      this.eventsWritten = eventsWritten;
      this.stillFailing = stillFailing;
      this.stillFailingByReason = byReason;
      this.eventDates = eventDates;
    }
  }

  @Override
  public String startLine() {
    return String.format(
        Locale.ROOT,
        "quarantine replay: re-validating the records quarantined on %s from %s%s",
        arrivalDates,
        graph.quarantineStore(),
        dryRun ? " (dry run: nothing is written)" : "");
  }

  @Override
  public Optional<GenerationPlan> generation() {
    return Optional.empty();
  }

  @Override
  public void build(Pipeline pipeline) {
    build(pipeline, graph, arrivalDates, !dryRun);
  }

  /**
   * Builds the re-validation on {@code pipeline}; {@code write} false (a dry run) writes nothing.
   */
  public static CollabGraph.Outputs build(
      Pipeline pipeline, GraphConfig graph, ReplayScope arrivalDates, boolean write) {
    PCollection<RawRecord> records =
        pipeline.apply(
            "ReadQuarantine", QuarantineIO.read(graph.quarantineStore()).withRange(arrivalDates));
    return CollabGraph.applyQuarantineReplay(records, graph, write);
  }

  /** What the finished re-validation did, from its counters. */
  public static Result result(JobLauncher.Finished finished) {
    PipelineResult result = finished.result;
    Map<String, Long> byReason = new TreeMap<>();
    SortedSet<LocalDate> eventDates = new TreeSet<>();
    long eventsWritten = 0;
    for (MetricResult<Long> c : counters(result, ValidateEvents.METRIC_NAMESPACE)) {
      String name = c.getName().getName();
      if (name.startsWith(ValidateEvents.QUARANTINED + ".") && c.getAttempted() > 0) {
        byReason.merge(
            name.substring(ValidateEvents.QUARANTINED.length() + 1), c.getAttempted(), Long::sum);
      }
    }
    String perDate = RawStoreIO.WriteRevalidated.EVENTS_WRITTEN + ".";
    for (MetricResult<Long> c : counters(result, RawStoreIO.WriteRevalidated.METRICS_NAMESPACE)) {
      String name = c.getName().getName();
      if (name.startsWith(perDate) && c.getAttempted() > 0) {
        eventDates.add(LocalDate.parse(name.substring(perDate.length())));
      } else if (name.equals(RawStoreIO.WriteRevalidated.EVENTS_WRITTEN)) {
        eventsWritten += c.getAttempted();
      }
    }
    return new Result(
        Counters.attempted(
            result, QuarantineIO.Read.METRICS_NAMESPACE, QuarantineIO.Read.RECORDS_READ),
        Counters.attempted(result, ValidateEvents.METRIC_NAMESPACE, ValidateEvents.ACCEPTED),
        Counters.attempted(result, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE),
        eventsWritten,
        Counters.attempted(result, ValidateEvents.METRIC_NAMESPACE, ValidateEvents.QUARANTINED),
        byReason,
        eventDates);
  }

  /** One line: what the re-validation found and wrote. */
  public static String report(QuarantineReplayJob job, Result r) {
    return String.format(
        Locale.ROOT,
        "  %,d records read: %,d now pass (%,d distinct events%s), %,d still fail%s",
        r.recordsRead,
        r.passed,
        r.distinctEvents,
        job.dryRun
            ? ""
            : String.format(
                Locale.ROOT, ", %,d written to %s", r.eventsWritten, job.graph.rawStore()),
        r.stillFailing,
        r.stillFailingByReason.isEmpty()
            ? ""
            : " " + r.stillFailingByReason + " (they stay in the quarantine)");
  }

  private static Iterable<MetricResult<Long>> counters(PipelineResult result, String namespace) {
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder().addNameFilter(MetricNameFilter.inNamespace(namespace)).build())
        .getCounters();
  }
}
