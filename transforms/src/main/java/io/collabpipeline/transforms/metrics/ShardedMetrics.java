package io.collabpipeline.transforms.metrics;

import io.collabpipeline.coders.EventChunk;
import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import io.collabpipeline.transforms.grouping.ShardChunks;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The dedup by event id and the nine metric windowings of a bounded recompute (a raw-store replay)
 * in shards of events, not event by event: the same rows as {@link DedupByEventId} (its bounded
 * path) then {@link ComputeMetrics}, at a fraction of the per-event cost of a runner's shuffle.
 *
 * <ol>
 *   <li>{@code ShardByEventId}: each event goes into one of {@code shards} shards by its event id
 *       (so every copy of an id goes into the same one), gathered in chunks per shard, encoded as
 *       it arrives ({@link EventChunk}): the shuffle moves chunks of events, not events, and a
 *       worker holds the chunks it gathers as bytes.
 *   <li>{@code GroupShards}: every chunk of a shard in one place.
 *   <li>{@code DedupAndAccumulate}: per shard, the copy of each event id that {@link
 *       DedupByEventId#preferred} keeps (earliest arrival, then the smallest source coordinate),
 *       duplicates and canaries counted as the graph counts them; each kept event's contributions
 *       ({@link ComputeMetrics.Contributor}, the same too-late rule and keys) added to one partial
 *       accumulator per key and window, held across the shards of a bundle and emitted, each in the
 *       global window at the earliest event time it holds, at the end of the bundle or when more
 *       than {@value #MAX_HELD} are held. An event goes into the partials of the finest window it
 *       is in time for; before they are emitted, the minutes' partials are added into their hours'
 *       and the hours' into their days' (the same sums and item counts, one item add per event and
 *       table where there were three).
 *   <li>The partials windowed by their key's granularity and merged as {@link ComputeMetrics}
 *       merges its own ({@code ComputeMetrics.rowsOf}): the same windows, triggers and rows.
 * </ol>
 *
 * <p>A shard's events are in memory at once (with the id map, a few hundred bytes each), so {@code
 * shards} must keep {@code events / shards} within what a worker's heap holds: a replay takes one
 * shard per 64 MiB of its Parquet files, at least {@value #DEFAULT_SHARDS} ({@code RawReplayJob}).
 * Chunks are at most {@code events / (shards x workers)} events, so the fewer the shards the fewer,
 * larger elements cross the shuffle; with millions of shards (a month at the brief's peak) a chunk
 * holds an event or two and the shuffle's cost per event returns. For a bounded input in the global
 * window of a batch pipeline only, with every event on time for Beam's lateness (as a replay's
 * {@code WindowingPolicy} makes it).
 */
public final class ShardedMetrics
    extends PTransform<PCollection<CollabEvent>, PCollection<CuratedRow>> {
  private static final long serialVersionUID = 1L;

  /** Shards by default. */
  public static final int DEFAULT_SHARDS = 1024;

  /** Events a shard's chunk holds before it is sent on. */
  static final int CHUNK = 512;

  /** Events held in chunks not yet sent, per instance, before all are sent on. */
  static final int MAX_BUFFERED = 262_144;

  /** Partial accumulators held before all are emitted. */
  static final int MAX_HELD = 200_000;

  private final WindowingPolicy policy;
  private final int shards;
  private final SerializableFunction<CollabEvent, Boolean> dropped;
  private final String droppedNamespace;
  private final String droppedCounter;
  private final int chunk;
  private final int maxBuffered;
  private final int maxHeld;

  private ShardedMetrics(
      WindowingPolicy policy,
      int shards,
      SerializableFunction<CollabEvent, Boolean> dropped,
      String droppedNamespace,
      String droppedCounter,
      int chunk,
      int maxBuffered,
      int maxHeld) {
    this.policy = policy;
    this.shards = shards;
    this.dropped = dropped;
    this.droppedNamespace = droppedNamespace;
    this.droppedCounter = droppedCounter;
    this.chunk = chunk;
    this.maxBuffered = maxBuffered;
    this.maxHeld = maxHeld;
  }

  /**
   * The recompute with {@code policy}'s windows, in {@value #DEFAULT_SHARDS} shards; every kept
   * event contributes.
   */
  public static ShardedMetrics create(WindowingPolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException("ShardedMetrics.create(policy) needs a policy");
    }
    return new ShardedMetrics(
        policy,
        DEFAULT_SHARDS,
        e -> false,
        "sharded_metrics",
        "dropped",
        CHUNK,
        MAX_BUFFERED,
        MAX_HELD);
  }

  /** Events are spread over {@code shards} shards (at least 1). */
  public ShardedMetrics withShards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("withShards(n) needs n >= 1, got " + shards);
    }
    return new ShardedMetrics(
        policy, shards, dropped, droppedNamespace, droppedCounter, chunk, maxBuffered, maxHeld);
  }

  /**
   * Kept events for which {@code drop} is true contribute to no metric and are counted in the
   * counter {@code namespace}/{@code name} instead (the canaries, as {@code SplitCanaries} counts
   * them).
   */
  public ShardedMetrics withoutEvents(
      SerializableFunction<CollabEvent, Boolean> drop, String namespace, String name) {
    return new ShardedMetrics(policy, shards, drop, namespace, name, chunk, maxBuffered, maxHeld);
  }

  /**
   * Other limits than {@value #CHUNK} events a chunk, {@value #MAX_BUFFERED} buffered and {@value
   * #MAX_HELD} partials held (for tests, which reach them with a few events).
   */
  ShardedMetrics withLimits(int chunk, int maxBuffered, int maxHeld) {
    if (chunk < 1 || maxBuffered < 1 || maxHeld < 1) {
      throw new IllegalArgumentException("withLimits needs limits >= 1");
    }
    return new ShardedMetrics(
        policy, shards, dropped, droppedNamespace, droppedCounter, chunk, maxBuffered, maxHeld);
  }

  @Override
  public PCollection<CuratedRow> expand(PCollection<CollabEvent> events) {
    if (events.isBounded() != PCollection.IsBounded.BOUNDED
        || !(events.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      throw new IllegalArgumentException(
          "ShardedMetrics takes a bounded input in the global window (a replay), got "
              + events.isBounded()
              + " in "
              + events.getWindowingStrategy().getWindowFn());
    }
    TimestampCombiner original = events.getWindowingStrategy().getTimestampCombiner();
    // As DedupByEventId's bounded path: on Flink a grouping that keeps END_OF_WINDOW is one sort
    // (no pre-combining of the chunks into lists); elsewhere EARLIEST, so that the partials, at
    // their own event times, are not late for the windows after them.
    TimestampCombiner grouping =
        BatchGrouping.onFlinkRunner(events.getPipeline().getOptions())
            ? TimestampCombiner.END_OF_WINDOW
            : TimestampCombiner.EARLIEST;
    PCollection<KV<Integer, Iterable<byte[]>>> grouped =
        events
            .apply(
                "ShardByEventId",
                ParDo.of(new ShardChunks(shards, chunk, maxBuffered, Long.MAX_VALUE)))
            .setCoder(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()))
            .apply(
                "GroupTimestamp",
                Window.<KV<Integer, byte[]>>configure().withTimestampCombiner(grouping))
            .apply("GroupShards", GroupByKey.create());
    PCollection<KV<String, MetricAccumulator>> partials =
        grouped
            .apply(
                "DedupAndAccumulate",
                ParDo.of(
                    new DedupAndAccumulateFn(
                        policy.allowedLateness().getMillis(),
                        dropped,
                        droppedNamespace,
                        droppedCounter,
                        maxHeld)))
            // Partials cross one shuffle into the merge and are never state: their items need
            // no sort.
            .setCoder(KvCoder.of(StringUtf8Coder.of(), MetricAccumulatorCoder.inTableOrder()))
            .apply(
                "RestoreTimestampCombiner",
                Window.<KV<String, MetricAccumulator>>configure().withTimestampCombiner(original))
            .apply("MetricWindows", MetricWindows.<MetricAccumulator>byKeyGranularity(policy));
    return ComputeMetrics.rowsOf(partials);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("shards", shards))
        .add(DisplayData.item("allowedLateness", policy.allowedLateness()));
  }

  /**
   * Per shard: the kept copy of each event id, then its contributions into the partials held; the
   * partials go on at the end of the bundle, or all at once when more than {@value #MAX_HELD} are
   * held.
   */
  private static final class DedupAndAccumulateFn
      extends DoFn<KV<Integer, Iterable<byte[]>>, KV<String, MetricAccumulator>> {
    private static final long serialVersionUID = 1L;
    private static final Counter UNIQUE =
        Metrics.counter(DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE);
    private static final Counter DUPLICATES =
        Metrics.counter(DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES);
    private final ComputeMetrics.Contributor contributor;
    private final SerializableFunction<CollabEvent, Boolean> dropped;
    private final Counter droppedCount;
    private final int maxHeld;

    private transient HeldContributions held;

    DedupAndAccumulateFn(
        long allowedLatenessMillis,
        SerializableFunction<CollabEvent, Boolean> dropped,
        String droppedNamespace,
        String droppedCounter,
        int maxHeld) {
      this.contributor = new ComputeMetrics.Contributor(allowedLatenessMillis);
      this.dropped = dropped;
      this.droppedCount = Metrics.counter(droppedNamespace, droppedCounter);
      this.maxHeld = maxHeld;
    }

    @StartBundle
    public void startBundle() {
      held = new HeldContributions(contributor, maxHeld);
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<byte[]>> shard,
        OutputReceiver<KV<String, MetricAccumulator>> out)
        throws IOException {
      Map<String, CollabEvent> kept = new HashMap<>();
      long[] copies = {0};
      for (byte[] chunk : shard.getValue()) {
        EventChunk.forEach(
            chunk,
            copy -> {
              copies[0]++;
              kept.merge(copy.eventId(), copy, DedupByEventId::preferred);
            });
      }
      UNIQUE.inc(kept.size());
      if (copies[0] > kept.size()) {
        DUPLICATES.inc(copies[0] - kept.size());
      }
      for (CollabEvent event : kept.values()) {
        if (Boolean.TRUE.equals(dropped.apply(event))) {
          droppedCount.inc();
          continue;
        }
        held.add(event);
      }
      if (held.overfull()) {
        held.emitAll((kv, at) -> out.outputWithTimestamp(kv, at));
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      held.emitAll((kv, at) -> context.output(kv, at, GlobalWindow.INSTANCE));
    }

    /** Partials go out at their own event times, before the shard's grouping timestamp. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
