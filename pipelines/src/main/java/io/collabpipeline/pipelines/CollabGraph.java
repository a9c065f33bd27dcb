package io.collabpipeline.pipelines;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.CuratedRowCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.canary.Canaries;
import io.collabpipeline.pipelines.canary.SplitCanaries;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import io.collabpipeline.transforms.metrics.AcceptedEvents;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import io.collabpipeline.transforms.metrics.ComputeCompleteness;
import io.collabpipeline.transforms.metrics.ComputeMetrics;
import io.collabpipeline.transforms.metrics.ShardedMetrics;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import io.collabpipeline.transforms.time.AssignEventTime;
import io.collabpipeline.transforms.validate.ValidateEvents;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The one graph: validation, PII minimization, dedup, the raw store, the quarantine, windowed
 * metrics and completeness, written to the warehouse. Every mode and runner runs this same graph;
 * only the source in front of it changes (see ARCHITECTURE.md). {@link #apply} is the whole graph
 * on received records; {@link #applyReplay} enters it after validation with events read back from
 * the raw store, and {@link #applyQuarantineReplay} runs its validation again on quarantined
 * records. Step names are stable and shared by the three entry points: Flink savepoints depend on
 * them.
 */
public final class CollabGraph {
  /** Metrics namespace of the duplicate ledger's writer ({@code records}: duplicates written). */
  public static final String DUPLICATE_LEDGER_METRICS = "duplicate_ledger";

  private CollabGraph() {}

  /** What the graph produced, for callers that want to look at it (tests) besides the sinks. */
  public static final class Outputs {
    public final PCollection<QuarantineRecord> quarantined;
    public final PCollection<CollabEvent> accepted;

    /**
     * {@link #accepted} without payloads ({@link CollabEvent#withoutPayload()}) where the graph
     * made them (a stream: {@code DropPayload}), for a consumer that only counts or looks at the
     * envelope: cheaper to hand over than the whole events. A bounded batch graph makes none
     * ({@code AcceptedEvents} reads the events as the dedup keeps them), and this is {@link
     * #accepted}.
     */
    public final PCollection<CollabEvent> acceptedWithoutPayload;

    /** Every copy the dedup did not keep; null for a raw replay, which only counts them. */
    public final @Nullable PCollection<CollabEvent> duplicates;

    public final PCollection<CuratedRow> curated;

    Outputs(
        PCollection<QuarantineRecord> quarantined,
        PCollection<CollabEvent> accepted,
        PCollection<CollabEvent> acceptedWithoutPayload,
        @Nullable PCollection<CollabEvent> duplicates,
        PCollection<CuratedRow> curated) {
      this.quarantined = quarantined;
      this.accepted = accepted;
      this.acceptedWithoutPayload = acceptedWithoutPayload;
      this.duplicates = duplicates;
      this.curated = curated;
    }
  }

  /**
   * Applies the graph to records timestamped with their arrival time, and writes all its outputs as
   * {@code config} says.
   */
  public static Outputs apply(PCollection<RawRecord> records, GraphConfig config) {
    // Received is counted from the arrivals ValidateEvents outputs for every record it reads, not
    // by a step of its own on the records: on Flink batch a second reader of the records would
    // make the source send every record twice (ValidateEvents#withArrivals).
    ValidateEvents.Result validated =
        records.apply("ValidateEvents", validation(config).withArrivals());
    PCollection<KV<String, Long>> receivedTicks =
        validated
            .arrivals()
            .apply(
                "CountReceived", CompletenessTicks.of(Stage.RECEIVED, (Long arrival) -> arrival));
    PCollection<QuarantineRecord> quarantined = validated.quarantined();
    quarantined.apply(
        "WriteQuarantine",
        QuarantineIO.write(config.quarantineStore()).withGeneration(config.generation()));
    PCollection<KV<String, Long>> quarantinedTicks =
        quarantined.apply(
            "CountQuarantined",
            CompletenessTicks.of(
                Stage.QUARANTINED, (QuarantineRecord q) -> q.original().receivedAtMillis()));

    DedupByEventId.Result deduped = dedup(validated.events(), config);
    PCollection<CollabEvent> unique = deduped.unique();
    PCollection<KV<String, Long>> duplicateTicks =
        deduped
            .duplicates()
            .apply(
                "CountDuplicates",
                CompletenessTicks.of(Stage.DUPLICATE, CollabEvent::receivedAtMillis));
    // The duplicate ledger: each dropped copy with its source coordinates, so that the lost-event
    // audit (bin/collab-audit) can account for every source offset as raw, quarantined or
    // duplicate.
    deduped
        .duplicates()
        .apply(
            "WriteDuplicateLedger",
            RawStoreIO.write(config.duplicateLedger())
                .withGeneration(config.generation())
                .withMetricsNamespace(DUPLICATE_LEDGER_METRICS));
    AcceptedBranches accepted = acceptedBranches(unique, config);
    PCollection<KV<String, Long>> acceptedTicks = accepted.acceptedTicks;
    PCollection<KV<String, Long>> lateTicks = accepted.lateTicks;
    // The freshness probe's canaries are accepted, written raw and counted like every event, but
    // the curated metrics never count them: they go to pipeline_canary instead, where the probe
    // sees when the real path made them queryable.
    config
        .warehouse()
        .writeCanaries()
        .ifPresent(write -> accepted.canaries.apply("WriteCanaries", write));
    PCollection<CuratedRow> metrics = accepted.metrics;

    RawStoreIO.WriteResult raw =
        unique.apply(
            "WriteRawArchive",
            RawStoreIO.write(config.rawStore())
                .withGeneration(config.generation())
                .withNumShards(config.rawShards()));
    // raw_written counts what the raw store durably holds: the rows of every file the write
    // committed, each at its own arrival time, read back from the file once it is final. An event
    // the write dropped (behind the watermark beyond its allowed lateness) is not counted, so
    // accepted - raw_written of an hour is what the store is missing.
    PCollection<KV<String, Long>> rawWrittenTicks =
        raw.files()
            .apply("RawWrittenToGlobalWindow", Window.<KV<String, String>>into(new GlobalWindows()))
            .apply(
                "CountRawWritten",
                CompletenessTicks.ofEach(Stage.RAW_WRITTEN, RawStoreIO::arrivalTimesOfWrittenFile));

    PCollection<CuratedRow> completeness =
        PCollectionList.of(receivedTicks)
            .and(quarantinedTicks)
            .and(duplicateTicks)
            .and(acceptedTicks)
            .and(rawWrittenTicks)
            .and(lateTicks)
            .apply("FlattenTicks", Flatten.pCollections())
            .apply(
                "ComputeCompleteness",
                ComputeCompleteness.create().withWindowingPolicy(completenessWindowing(config)));

    PCollection<CuratedRow> curated =
        PCollectionList.of(
                metrics.apply(
                    "MetricsToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows())))
            .and(
                completeness.apply(
                    "CompletenessToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows())))
            .apply("FlattenCurated", Flatten.pCollections());
    curated.apply(
        "WriteCurated", config.warehouse().writeLive(config.generation(), config.partialWindows()));

    return new Outputs(quarantined, unique, accepted.narrow, deduped.duplicates(), curated);
  }

  /**
   * The accepted events' branches other than the raw archive: their ticks, canaries and metrics.
   */
  private static final class AcceptedBranches {
    final PCollection<KV<String, Long>> acceptedTicks;
    final PCollection<KV<String, Long>> lateTicks;
    final PCollection<CollabEvent> canaries;
    final PCollection<CuratedRow> metrics;

    /** The events without payloads where a step made them; the events themselves otherwise. */
    final PCollection<CollabEvent> narrow;

    AcceptedBranches(
        PCollection<KV<String, Long>> acceptedTicks,
        PCollection<KV<String, Long>> lateTicks,
        PCollection<CollabEvent> canaries,
        PCollection<CuratedRow> metrics,
        PCollection<CollabEvent> narrow) {
      this.acceptedTicks = acceptedTicks;
      this.lateTicks = lateTicks;
      this.canaries = canaries;
      this.metrics = metrics;
      this.narrow = narrow;
    }
  }

  /**
   * The accepted events' ticks ({@code accepted}, {@code late}), canaries and metrics. A stream
   * (and any unbounded input) runs them as steps of their own, on the events without their payload
   * ({@code DropPayload}): {@code CountAccepted}, {@code CountLate}, {@code SplitCanaries}, {@code
   * AssignEventTime} and {@code ComputeMetrics}, whose names its savepoints hold. A bounded input
   * of a batch pipeline runs them in one step, {@code AcceptedEvents} ({@link AcceptedEvents}: the
   * same counts, canaries and rows), on the events as the dedup keeps them: on Flink batch each
   * reader of a collection is handed all of it, and the narrow events' three readers and the
   * split's two outputs cost more than the steps' own work.
   */
  private static AcceptedBranches acceptedBranches(
      PCollection<CollabEvent> unique, GraphConfig config) {
    if (BatchGrouping.isBoundedBatch(unique)) {
      AcceptedEvents.Result result =
          unique.apply(
              "AcceptedEvents",
              AcceptedEvents.create(config.windowing())
                  .withoutEvents(
                      e -> Canaries.isCanary(e),
                      SplitCanaries.METRICS_NAMESPACE,
                      SplitCanaries.CANARIES_COUNTER));
      return new AcceptedBranches(
          result.acceptedTicks(), result.lateTicks(), result.excluded(), result.rows(), unique);
    }
    // Only the raw archive needs an accepted event's payload; every other branch gets the event
    // without it, so that the payload is not encoded and decoded again at each step boundary.
    PCollection<CollabEvent> narrow = withoutPayload(unique);
    PCollection<KV<String, Long>> acceptedTicks =
        narrow.apply(
            "CountAccepted", CompletenessTicks.of(Stage.ACCEPTED, CollabEvent::receivedAtMillis));
    // Accepted but too late for (at least) their minute window: in the raw store, missing from
    // some metric windows until a correction replay folds them in. A subset of accepted, outside
    // received = quarantined + duplicate + accepted.
    PCollection<KV<String, Long>> lateTicks =
        narrow.apply("CountLate", CompletenessTicks.ofLateEvents(config.windowing()));
    SplitCanaries.Result split = splitCanaries(narrow);
    return new AcceptedBranches(
        acceptedTicks, lateTicks, split.canaries(), computeMetrics(split.events(), config), narrow);
  }

  /**
   * The windowing of {@code pipeline_completeness}: the metrics' policy, with Beam's allowed
   * lateness raised to at least the stores' ({@link RawStoreIO.Write#DEFAULT_ALLOWED_LATENESS}). A
   * record whose arrival is behind the watermark is still written by the stores for that long, so
   * its hour keeps counting it (in a late pane) for as long, and an event the raw store drops after
   * that is missing from {@code raw_written} of an hour that still counts it as {@code accepted}.
   * Completeness has one key per stage, so the longer lateness keeps little state; the data's own
   * lateness rule (the {@code late} stage) is unchanged.
   */
  static WindowingPolicy completenessWindowing(GraphConfig config) {
    WindowingPolicy metrics = config.windowing();
    Duration stores = RawStoreIO.Write.DEFAULT_ALLOWED_LATENESS;
    if (!metrics.beamAllowedLateness().isShorterThan(stores)) {
      return metrics;
    }
    return metrics.withLatenessSlack(stores.minus(metrics.allowedLateness()));
  }

  /**
   * The replay entry: events read back from the raw store (already validated and minimized,
   * timestamped with their ORIGINAL arrival time) are deduplicated by event id as {@code
   * DedupByEventId} does (the earliest arrival of each id) and go into the same metrics as {@code
   * ComputeMetrics} computes, and the metric rows are STAGED in the warehouse under {@code
   * config.generation()} by the same {@code WriteCurated} step, as the warehouse's staged write
   * ({@code WarehouseTarget.writeStaged}, which a replay's warehouse has); the launcher then diffs
   * and commits them (see {@code launch.RawReplayJob} and {@code launch.JobLauncher}).
   *
   * <p>A replay's events carry the fields the dedup and the metrics read and nothing else ({@code
   * RawStoreIO.Read.withMetricColumnsOnly}). The dedup and the metrics run in shards of events
   * ({@code ShardedMetrics}: the same choice of copy, the same contributions, windows and merge,
   * without a shuffle of each event); its duplicates and canaries are only counted (the {@code
   * dedup} and {@code canary} counters).
   *
   * <p>Use an allowed lateness that makes every event on time ({@code JobConfig} does): a replay
   * computes every window as if every event had arrived on time, once. Neither the raw store (the
   * replay's source) nor the quarantine nor {@code pipeline_completeness} (a record of the
   * ingestion by arrival hour, which a replay does not re-live) is written.
   *
   * @param shards the dedup's shards ({@code ShardedMetrics.withShards}): enough that one shard's
   *     events fit in a worker's heap
   * @return the staged metric rows
   */
  public static PCollection<CuratedRow> applyReplay(
      PCollection<CollabEvent> events, GraphConfig config, int shards) {
    // Canaries in the raw store stay out of the metrics, as in the stream; a replay does not
    // write pipeline_canary (it measures nothing about freshness).
    PCollection<CuratedRow> curated =
        events.apply(
            "ShardedMetrics",
            ShardedMetrics.create(config.windowing())
                .withShards(shards)
                .withoutEvents(
                    e -> Canaries.isCanary(e),
                    SplitCanaries.METRICS_NAMESPACE,
                    SplitCanaries.CANARIES_COUNTER));
    curated.apply(
        "WriteCurated",
        config
            .warehouse()
            .writeStaged(config.generation())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "replays are not built for the warehouse "
                            + config.warehouse().describe()
                            + ": a replay stages and commits through a JDBC warehouse (DuckDB or PostgreSQL)")));
    return curated;
  }

  /**
   * The quarantine-replay entry: quarantined records, as originally received (original bytes,
   * source coordinate and arrival time), go through the same {@code ValidateEvents} step again
   * (after a schema fix, say) and the same {@code DedupByEventId}; the events that now pass are
   * added to the raw store under file names with this replay's generation ({@link
   * RawStoreIO#writeRevalidated}: a second replay of the same dates adds its own files and replaces
   * none of the first one's), where a raw-store replay of their event dates folds them into the
   * curated tables. Records that still fail are only counted (by reason, in the validation
   * metrics): they are already in the quarantine and are not written there again. With {@code
   * write} false (a dry run) nothing is written at all.
   */
  public static Outputs applyQuarantineReplay(
      PCollection<RawRecord> records, GraphConfig config, boolean write) {
    ValidateEvents.Result validated = validate(records, config);
    DedupByEventId.Result deduped = dedup(validated.events(), config);
    PCollection<CollabEvent> unique = deduped.unique();
    if (write) {
      unique.apply(
          "WriteRevalidatedRaw",
          RawStoreIO.writeRevalidated(config.rawStore()).withGeneration(config.generation()));
    }
    PCollection<CuratedRow> noRows =
        records.getPipeline().apply("NoCuratedRows", Create.empty(CuratedRowCoder.of()));
    return new Outputs(validated.quarantined(), unique, unique, deduped.duplicates(), noRows);
  }

  /**
   * {@code ValidateEvents}: strict JSON, schemas, PII minimization; the same step in every entry
   * that validates.
   */
  private static ValidateEvents.Result validate(
      PCollection<RawRecord> records, GraphConfig config) {
    return records.apply("ValidateEvents", validation(config));
  }

  private static ValidateEvents validation(GraphConfig config) {
    return ValidateEvents.create()
        .withPseudonymKey(config.pseudonymKey())
        .withUserKeyStore(config.userKeyStore())
        .withMaxRecordBytes(config.maxRecordBytes())
        .withMaxEventTimeAhead(config.maxEventTimeAhead())
        .withMaxEventAge(config.maxEventAge());
  }

  /** {@code DedupByEventId} with the config's horizon; the same step in every entry point. */
  private static DedupByEventId.Result dedup(PCollection<CollabEvent> events, GraphConfig config) {
    return events.apply("DedupByEventId", dedup(config));
  }

  private static DedupByEventId dedup(GraphConfig config) {
    return DedupByEventId.create()
        .withHorizon(config.dedupHorizon())
        .withBoundedShards(config.dedupShards());
  }

  /**
   * {@code DropPayload}: the accepted events without their payload ({@link
   * CollabEvent#withoutPayload()}), for the branches that do not write it.
   */
  private static PCollection<CollabEvent> withoutPayload(PCollection<CollabEvent> events) {
    return events
        .apply(
            "DropPayload",
            MapElements.into(TypeDescriptor.of(CollabEvent.class)).via(CollabEvent::withoutPayload))
        .setCoder(CollabEventCoder.of());
  }

  /**
   * {@code SplitCanaries}: the freshness probe's canaries apart from the events the metrics count;
   * the same step in every entry that computes metrics.
   */
  private static SplitCanaries.Result splitCanaries(PCollection<CollabEvent> unique) {
    return unique.apply("SplitCanaries", SplitCanaries.create());
  }

  /**
   * {@code AssignEventTime} then {@code ComputeMetrics}: the metrics branch, the same in every
   * entry point.
   */
  private static PCollection<CuratedRow> computeMetrics(
      PCollection<CollabEvent> unique, GraphConfig config) {
    return unique
        .apply("AssignEventTime", AssignEventTime.create())
        .apply("ComputeMetrics", ComputeMetrics.create().withWindowingPolicy(config.windowing()));
  }
}
