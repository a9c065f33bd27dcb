package io.collabpipeline.pipelines;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.sinks.QuarantineStore;
import io.collabpipeline.pipelines.sinks.RawArchive;
import io.collabpipeline.pipelines.sinks.WriteCurated;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import io.collabpipeline.transforms.metrics.ComputeCompleteness;
import io.collabpipeline.transforms.metrics.ComputeMetrics;
import io.collabpipeline.transforms.time.AssignEventTime;
import io.collabpipeline.transforms.validate.ValidateEvents;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The one graph: validation, PII minimization, dedup, the raw store, the quarantine, windowed metrics and completeness,
 * written to the warehouse. Every mode and runner runs this same method; only the source in front of it changes
 * (see ARCHITECTURE.md). Step names are stable: Flink savepoints depend on them.
 */
public final class CollabGraph {
  private CollabGraph() {}

  /** What the graph produced, for callers that want to look at it (tests) besides the sinks. */
  public static final class Outputs {
    public final PCollection<QuarantineRecord> quarantined;
    public final PCollection<CollabEvent> accepted;
    public final PCollection<CollabEvent> duplicates;
    public final PCollection<CuratedRow> curated;

    Outputs(
        PCollection<QuarantineRecord> quarantined,
        PCollection<CollabEvent> accepted,
        PCollection<CollabEvent> duplicates,
        PCollection<CuratedRow> curated) {
      this.quarantined = quarantined;
      this.accepted = accepted;
      this.duplicates = duplicates;
      this.curated = curated;
    }
  }

  /**
   * Applies the graph to records timestamped with their arrival time, and writes all its outputs as {@code config}
   * says.
   */
  public static Outputs apply(PCollection<RawRecord> records, GraphConfig config) {
    PCollection<String> receivedTicks =
        records.apply("CountReceived", CompletenessTicks.of(Stage.RECEIVED, RawRecord::receivedAtMillis));

    ValidateEvents.Result validated =
        records.apply(
            "ValidateEvents",
            ValidateEvents.create()
                .withPseudonymKey(config.pseudonymKey())
                .withMaxRecordBytes(config.maxRecordBytes()));
    PCollection<QuarantineRecord> quarantined = validated.quarantined();
    quarantined.apply("WriteQuarantine", QuarantineStore.write(config.quarantineStore()));
    PCollection<String> quarantinedTicks =
        quarantined.apply(
            "CountQuarantined",
            CompletenessTicks.of(Stage.QUARANTINED, (QuarantineRecord q) -> q.original().receivedAtMillis()));

    DedupByEventId.Result deduped =
        validated.events().apply("DedupByEventId", DedupByEventId.create().withHorizon(config.dedupHorizon()));
    PCollection<CollabEvent> unique = deduped.unique();
    PCollection<String> duplicateTicks =
        deduped.duplicates().apply("CountDuplicates", CompletenessTicks.of(Stage.DUPLICATE, CollabEvent::receivedAtMillis));
    PCollection<String> acceptedTicks =
        unique.apply("CountAccepted", CompletenessTicks.of(Stage.ACCEPTED, CollabEvent::receivedAtMillis));

    RawArchive.Result raw =
        unique.apply("WriteRawArchive", RawArchive.write(config.rawStore()).withNumShards(config.rawShards()));
    PCollection<String> rawWrittenTicks =
        raw.written()
            .apply("RawWrittenToGlobalWindow", Window.<CollabEvent>into(new GlobalWindows()))
            .apply("CountRawWritten", CompletenessTicks.of(Stage.RAW_WRITTEN, CollabEvent::receivedAtMillis));

    PCollection<CuratedRow> metrics =
        unique
            .apply("AssignEventTime", AssignEventTime.create())
            .apply("ComputeMetrics", ComputeMetrics.create().withWindowingPolicy(config.windowing()));

    PCollection<CuratedRow> completeness =
        PCollectionList.of(receivedTicks)
            .and(quarantinedTicks)
            .and(duplicateTicks)
            .and(acceptedTicks)
            .and(rawWrittenTicks)
            .apply("FlattenTicks", Flatten.pCollections())
            .apply("ComputeCompleteness", ComputeCompleteness.create().withWindowingPolicy(config.windowing()));

    PCollection<CuratedRow> curated =
        PCollectionList.of(
                metrics.apply("MetricsToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows())))
            .and(completeness.apply("CompletenessToGlobalWindow", Window.<CuratedRow>into(new GlobalWindows())))
            .apply("FlattenCurated", Flatten.pCollections());
    curated.apply("WriteCurated", WriteCurated.to(config.warehouseUrl()));

    return new Outputs(quarantined, unique, deduped.duplicates(), curated);
  }
}
