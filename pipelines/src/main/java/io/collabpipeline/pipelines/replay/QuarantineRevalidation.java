package io.collabpipeline.pipelines.replay;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.sources.QuarantineReplay;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.PrintStream;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;

/**
 * The first half of a quarantine replay ({@code --source=quarantine --from=.. --to=..}, arrival dates): re-validates
 * the quarantined records of those dates, as originally received, with the graph's own {@code ValidateEvents} (after a
 * schema fix, say) and {@code DedupByEventId} ({@link CollabGraph#applyQuarantineReplay}), and adds the events that
 * now pass to the raw store under deterministic names ({@link RevalidatedRawFiles}), under their ORIGINAL event ids
 * and arrival times. Records that still fail stay where they are, in the quarantine; they are counted by reason, not
 * written again. The second half is a raw replay of the event dates it reports ({@link Result#eventDates}), which
 * folds the new events into the curated tables; dedup by event id over that range counts a record replayed twice (or
 * also delivered intact) once.
 */
public final class QuarantineRevalidation {
  private QuarantineRevalidation() {}

  /** What the re-validation found and wrote. */
  public static final class Result {
    public final long recordsRead;
    /** Records that passed validation this time (copies of one id included). */
    public final long passed;
    /** Distinct events written to the raw store (none in a dry run). */
    public final long eventsWritten;
    public final long stillFailing;
    /** Still-failing records by reason code. */
    public final Map<String, Long> stillFailingByReason;
    /** The event dates ({@code occurred_at}) of the events that passed: what a raw replay must cover. */
    public final SortedSet<LocalDate> eventDates;

    Result(long recordsRead, long passed, long eventsWritten, long stillFailing, Map<String, Long> byReason,
        SortedSet<LocalDate> eventDates) {
      this.recordsRead = recordsRead;
      this.passed = passed;
      this.eventsWritten = eventsWritten;
      this.stillFailing = stillFailing;
      this.stillFailingByReason = byReason;
      this.eventDates = eventDates;
    }
  }

  /** Builds the re-validation on {@code pipeline}; {@code write} false (a dry run) writes nothing. */
  public static CollabGraph.Outputs build(
      Pipeline pipeline, GraphConfig graph, ReplayScope arrivalDates, boolean write) {
    PCollection<RawRecord> records =
        pipeline.apply("ReadQuarantine", QuarantineReplay.read(graph.quarantineStore()).withRange(arrivalDates));
    return CollabGraph.applyQuarantineReplay(records, graph, write);
  }

  /** Runs the re-validation of the records that arrived on {@code arrivalDates} and reports it on {@code out}. */
  public static Result run(
      PipelineOptions options, GraphConfig graph, ReplayScope arrivalDates, boolean dryRun, PrintStream out)
      throws Exception {
    out.printf(Locale.ROOT, "quarantine replay: re-validating the records quarantined on %s from %s%s%n",
        arrivalDates, graph.quarantineStore(), dryRun ? " (dry run: nothing is written)" : "");
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, graph, arrivalDates, !dryRun);
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the quarantine replay job ended in state " + state);
    }
    Map<String, Long> byReason = new TreeMap<>();
    SortedSet<LocalDate> eventDates = new TreeSet<>();
    long eventsWritten = 0;
    for (MetricResult<Long> c : counters(result, ValidateEvents.METRIC_NAMESPACE)) {
      String name = c.getName().getName();
      if (name.startsWith(ValidateEvents.QUARANTINED + ".") && c.getAttempted() > 0) {
        byReason.merge(name.substring(ValidateEvents.QUARANTINED.length() + 1), c.getAttempted(), Long::sum);
      }
    }
    String perDate = RevalidatedRawFiles.EVENTS_WRITTEN + ".";
    for (MetricResult<Long> c : counters(result, RevalidatedRawFiles.METRICS_NAMESPACE)) {
      String name = c.getName().getName();
      if (name.startsWith(perDate) && c.getAttempted() > 0) {
        eventDates.add(LocalDate.parse(name.substring(perDate.length())));
      } else if (name.equals(RevalidatedRawFiles.EVENTS_WRITTEN)) {
        eventsWritten += c.getAttempted();
      }
    }
    long unique = RawReplay.counter(result, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE);
    Result r =
        new Result(
            RawReplay.counter(result, QuarantineReplay.METRICS_NAMESPACE, QuarantineReplay.RECORDS_READ),
            RawReplay.counter(result, ValidateEvents.METRIC_NAMESPACE, ValidateEvents.ACCEPTED),
            eventsWritten,
            RawReplay.counter(result, ValidateEvents.METRIC_NAMESPACE, ValidateEvents.QUARANTINED),
            byReason,
            eventDates);
    out.printf(Locale.ROOT, "  %,d records read: %,d now pass (%,d distinct events%s), %,d still fail%s%n",
        r.recordsRead, r.passed, unique, dryRun ? "" : String.format(Locale.ROOT, ", %,d written to %s",
            r.eventsWritten, graph.rawStore()),
        r.stillFailing, byReason.isEmpty() ? "" : " " + byReason + " (they stay in the quarantine)");
    return r;
  }

  private static Iterable<MetricResult<Long>> counters(PipelineResult result, String namespace) {
    return result.metrics()
        .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.inNamespace(namespace)).build())
        .getCounters();
  }
}
