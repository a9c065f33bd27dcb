package io.collabpipeline.transforms.dedup;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.EventChunk;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import io.collabpipeline.transforms.grouping.ShardChunks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Deduplicates {@link CollabEvent}s by {@code event_id}, on arrival time.
 *
 * <p>The input must be timestamped with each event's arrival time ({@link
 * CollabEvent#receivedAtMillis()}), as every source of the graph does. Of all copies of one event
 * id, the copy that <b>arrived earliest</b> is kept (ties: the smallest {@link SourceRef} by kind
 * code, name, partition, offset); every other copy goes to {@link Result#duplicates()}. The choice
 * depends only on the data, never on processing order:
 *
 * <ul>
 *   <li>{@code KeyByShard} keys each copy by the shard of its {@link IdHash}, the first 128 bits of
 *       the SHA-256 of its event id (16 bytes, whatever the id's length, up to 64 characters): the
 *       hash's top 16 bits, 65,536 shards.
 *   <li>{@code KeepEarliestAndRemember}, per shard, in two maps of the shard's state:
 *       <ul>
 *         <li><b>candidates</b>: each id's best copy so far (one entry per id), passed on once the
 *             watermark reaches its arrival, i.e. once every record that arrived before it has been
 *             read, by one event-time timer per shard set for its earliest candidate (which holds
 *             the output watermark there); a copy that loses goes to {@code duplicates} at once,
 *             timestamped at its own arrival;
 *         <li><b>remembered ids</b>: each passed-on id as one entry (hash to arrival) until its
 *             arrival plus the <b>horizon</b> (default 24 hours of arrival time). A candidate whose
 *             id was passed on within the horizon before it goes to {@code duplicates}; at or after
 *             it, it is emitted again (and the old memory counted as {@value #EXPIRED}). One timer
 *             per shard drops the ids whose horizon the watermark passed, every 1/24 of the
 *             horizon, so state is bounded by the ids that arrived within one horizon (plus at most
 *             1/24 of it).
 *       </ul>
 *       It runs the same on a bounded input that is not in the global window: whether a timer fires
 *       before all of it is read is the runner's choice (Flink's batch mode fires them at the end,
 *       the DirectRunner as its watermark advances), and a copy that comes after its id was passed
 *       on is still caught by the remembered ids.
 * </ul>
 *
 * <p>Until round 29 of the performance work these were two steps, {@code KeepEarliestArrival} keyed
 * by the hash with a value and a timer per id, then {@code RememberEmitted} keyed by shard; the
 * choice of copy is the same, and one step saves a hand-over of every event between two keyed steps
 * and a key, a value and a timer per id in the runner's state.
 *
 * <p>That is the streaming path. A bounded input in a batch pipeline (replays, a batch run over
 * files), in the global window, takes a shorter one: {@code ShardByEventId} (the events in chunks
 * per shard of their id, {@link #withBoundedShards}), {@code GroupShards} (one grouping; on Flink
 * one sort, see {@link #groupsWithoutLateness}) and {@code KeepEarliestCopy} (the same {@link
 * #PREFERENCE}, per shard): one shuffle of chunks of events, no state, no timer, no horizon.
 *
 * <p>Guarantees: in bounded mode (replays), exact over the whole input: every id is emitted exactly
 * once, as its earliest arrival. In streaming, exact for copies that arrive within the horizon of
 * the kept copy; a re-delivery at or after the horizon is emitted again (counted as {@value
 * #EXPIRED} when the memory of the id is dropped or replaced). A copy that arrives behind the
 * watermark after its id was emitted is a duplicate even if it claims an earlier arrival.
 *
 * <p>State per remembered id: one map entry of a 16-byte hash and the arrival; measured with {@code
 * bin/collab-benchmark --modes=dedupstate} at 1,000,000 ids (the README's Benchmark section),
 * per-shard state included (was 148 and 232 bytes keyed by the id string with a value and a timer
 * per id). Two ids whose hashes collide are treated as copies of one id: the later one goes to
 * {@code duplicates} (accounted for, not lost). At 13.4 billion ids per horizon (155K events/s for
 * 24 h) the chance of any collision within one horizon is about n²/2¹²⁹ ≈ 2.6·10⁻¹⁹. SHA-256 rather
 * than a faster non-cryptographic hash: event ids come from clients, and no one can craft an id
 * that collides with another's.
 *
 * <p>Both outputs carry arrival-time timestamps: {@code unique} at the kept copy's arrival (its
 * shard's emit timer holds the watermark at the shard's earliest candidate), {@code duplicates} at
 * each copy's own arrival. Beam metrics in namespace {@value #METRICS_NAMESPACE}: {@value #UNIQUE},
 * {@value #DUPLICATES}, {@value #EXPIRED}.
 *
 * <pre>{@code
 * DedupByEventId.Result deduped =
 *     events.apply("DedupByEventId", DedupByEventId.create().withHorizon(Duration.standardHours(24)));
 * deduped.unique();      // the earliest arrival of each event id
 * deduped.duplicates();  // every other copy
 * }</pre>
 */
@AutoValue
public abstract class DedupByEventId
    extends PTransform<PCollection<CollabEvent>, DedupByEventId.Result> {

  public static final String METRICS_NAMESPACE = "dedup";

  /** Events emitted to {@link Result#unique()}. */
  public static final String UNIQUE = "unique";

  /** Copies emitted to {@link Result#duplicates()}. */
  public static final String DUPLICATES = "duplicates";

  /** Ids whose memory was dropped after the horizon. */
  public static final String EXPIRED = "expired";

  /** The default horizon in hours, a constant so that option annotations can name it. */
  public static final long DEFAULT_HORIZON_HOURS = 24;

  public static final Duration DEFAULT_HORIZON = Duration.standardHours(DEFAULT_HORIZON_HOURS);

  /**
   * Shards of the bounded path by default (more for a larger input: {@link #withBoundedShards}).
   */
  public static final int DEFAULT_BOUNDED_SHARDS = 1024;

  /** Events a shard's chunk of the bounded path holds before it goes on. */
  static final int BOUNDED_CHUNK_EVENTS = 512;

  /**
   * Encoded bytes of events held in open chunks by one instance of the bounded path's {@code
   * ShardByEventId} before all of them go on: whole events (about 1.5 KB each) are gathered there.
   */
  static final long BOUNDED_MAX_BUFFERED_BYTES = 32L << 20;

  abstract @Nullable Duration horizon();

  abstract int boundedShards();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setHorizon(Duration horizon);

    abstract Builder setBoundedShards(int boundedShards);

    abstract DedupByEventId build();
  }

  /**
   * Deduplication with the default horizon of {@link #DEFAULT_HORIZON} of arrival time, and a
   * bounded input in {@value #DEFAULT_BOUNDED_SHARDS} shards.
   */
  public static DedupByEventId create() {
    return new AutoValue_DedupByEventId.Builder()
        .setHorizon(DEFAULT_HORIZON)
        .setBoundedShards(DEFAULT_BOUNDED_SHARDS)
        .build();
  }

  /**
   * The shards a bounded input is deduplicated in (at least 1): a shard's events are in a worker's
   * heap at once, so a larger input needs more of them ({@code GraphConfig} sizes them from the
   * input).
   */
  public DedupByEventId withBoundedShards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("withBoundedShards(n) needs n >= 1, got " + shards);
    }
    return toBuilder().setBoundedShards(shards).build();
  }

  /** How long after the kept copy's arrival an id is remembered; must be positive. */
  public DedupByEventId withHorizon(Duration horizon) {
    if (horizon == null || !horizon.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          "withHorizon(horizon) needs a positive duration, got " + horizon);
    }
    return toBuilder().setHorizon(horizon).build();
  }

  @Override
  public Result expand(PCollection<CollabEvent> input) {
    Duration horizon = horizon();
    if (horizon == null) {
      throw new IllegalStateException(
          "DedupByEventId needs a horizon: use create() or withHorizon(Duration)");
    }
    if (isBoundedBatch(input)) {
      return expandBounded(input);
    }
    TupleTag<CollabEvent> uniqueTag = new TupleTag<CollabEvent>() {};
    TupleTag<CollabEvent> duplicateTag = new TupleTag<CollabEvent>() {};
    PCollectionTuple decided =
        input
            .apply(
                "KeyByShard",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.integers(),
                            TypeDescriptors.kvs(
                                TypeDescriptor.of(IdHash.class),
                                TypeDescriptor.of(CollabEvent.class))))
                    .via(
                        (CollabEvent e) -> {
                          IdHash id = IdHash.of(e.eventId());
                          return KV.of(id.shard(), KV.of(id, e));
                        }))
            .setCoder(
                KvCoder.of(VarIntCoder.of(), KvCoder.of(IdHashCoder.of(), CollabEventCoder.of())))
            .apply(
                "KeepEarliestAndRemember",
                ParDo.of(
                        new KeepEarliestAndRememberFn(
                            horizon, sweepInterval(horizon), uniqueTag, duplicateTag))
                    .withOutputTags(uniqueTag, TupleTagList.of(duplicateTag)));
    PCollection<CollabEvent> unique = decided.get(uniqueTag).setCoder(CollabEventCoder.of());
    PCollection<CollabEvent> duplicates = decided.get(duplicateTag).setCoder(CollabEventCoder.of());
    return new Result(input.getPipeline(), uniqueTag, unique, duplicateTag, duplicates);
  }

  /**
   * A bounded input in a batch pipeline, in the global window: the whole input is known, so one
   * grouping by id decides every id at once, on every runner; no state, timer or horizon.
   */
  static boolean isBoundedBatch(PCollection<CollabEvent> input) {
    return BatchGrouping.isBoundedBatch(input)
        && input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
  }

  /**
   * The bounded path: {@code ShardByEventId} gathers the events in chunks per shard of their id
   * ({@link ShardChunks}), {@code GroupShards} brings every chunk of a shard to one place (its
   * grouping timestamped as {@link #groupsWithoutLateness} says), and {@code KeepEarliestCopy}
   * keeps, per shard, the best copy of each id by {@link #PREFERENCE}: to {@code unique}, every
   * other to {@code duplicates}, each at its own arrival. The same choice of copy as the streaming
   * path.
   *
   * <p>One shuffle of chunks, not of events: a runner's batch grouping sorts what it groups, and
   * Beam's Flink runner compares every pair of grouped keys in full (its comparator of encoded keys
   * has no normalized key), which took most of a million-event batch run's sorting threads when
   * each event was grouped by its id (performance round 35). A shard's events are in memory at once
   * ({@link #withBoundedShards}).
   */
  private Result expandBounded(PCollection<CollabEvent> input) {
    TupleTag<CollabEvent> uniqueTag = new TupleTag<CollabEvent>() {};
    TupleTag<CollabEvent> duplicateTag = new TupleTag<CollabEvent>() {};
    TimestampCombiner grouping =
        groupsWithoutLateness(input.getPipeline().getOptions())
            ? TimestampCombiner.END_OF_WINDOW
            : TimestampCombiner.EARLIEST;
    PCollection<KV<Integer, Iterable<byte[]>>> grouped =
        input
            .apply(
                "ShardByEventId",
                ParDo.of(
                    new ShardChunks(
                        boundedShards(),
                        BOUNDED_CHUNK_EVENTS,
                        Integer.MAX_VALUE,
                        BOUNDED_MAX_BUFFERED_BYTES)))
            .setCoder(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()))
            .apply(
                "GroupTimestamp",
                Window.<KV<Integer, byte[]>>configure().withTimestampCombiner(grouping))
            .apply("GroupShards", GroupByKey.create());
    // Back to the input's timestamp combiner, so that no later grouping inherits EARLIEST.
    TimestampCombiner original = input.getWindowingStrategy().getTimestampCombiner();
    PCollectionTuple decided =
        grouped.apply(
            "KeepEarliestCopy",
            ParDo.of(new KeepEarliestCopyFn(uniqueTag, duplicateTag))
                .withOutputTags(uniqueTag, TupleTagList.of(duplicateTag)));
    PCollection<CollabEvent> unique =
        decided
            .get(uniqueTag)
            .setCoder(CollabEventCoder.of())
            .apply(
                "RestoreTimestampCombiner",
                Window.<CollabEvent>configure().withTimestampCombiner(original));
    PCollection<CollabEvent> duplicates =
        decided
            .get(duplicateTag)
            .setCoder(CollabEventCoder.of())
            .apply(
                "RestoreDuplicatesTimestampCombiner",
                Window.<CollabEvent>configure().withTimestampCombiner(original));
    return new Result(input.getPipeline(), uniqueTag, unique, duplicateTag, duplicates);
  }

  /**
   * Whether the runner groups a bounded batch input without looking at lateness, so that the
   * grouping can keep the END_OF_WINDOW timestamp and Beam's Flink runner sorts the events once
   * instead of twice ({@link BatchGrouping}): a pre-combining sort into lists before the shuffle
   * saves nothing when nearly every id is unique. {@code KeepEarliestCopy} timestamps every output
   * with its own arrival either way. Other runners keep EARLIEST: on the DirectRunner the group's
   * END_OF_WINDOW timestamp would hold the watermark at the end of time, and the outputs,
   * timestamped at their arrivals, would be late for the event-time windows after them.
   */
  static boolean groupsWithoutLateness(PipelineOptions options) {
    return BatchGrouping.onFlinkRunner(options);
  }

  /**
   * {@code KeepEarliestCopy}: every copy of a shard's ids at once, one pass holding the best copy
   * of each id so far: a copy that loses goes to {@code duplicates} at once, and the best of each
   * id goes to {@code unique} once the shard is read; each timestamped at its own arrival (at or
   * after the group's timestamp with EARLIEST, before it with END_OF_WINDOW: see {@link
   * #groupsWithoutLateness}).
   */
  private static final class KeepEarliestCopyFn
      extends DoFn<KV<Integer, Iterable<byte[]>>, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final TupleTag<CollabEvent> uniqueTag;
    private final TupleTag<CollabEvent> duplicateTag;

    KeepEarliestCopyFn(TupleTag<CollabEvent> uniqueTag, TupleTag<CollabEvent> duplicateTag) {
      this.uniqueTag = uniqueTag;
      this.duplicateTag = duplicateTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<byte[]>> shard, MultiOutputReceiver out) throws IOException {
      Map<String, CollabEvent> best = new HashMap<>();
      for (byte[] chunk : shard.getValue()) {
        EventChunk.forEach(
            chunk,
            copy ->
                best.merge(
                    copy.eventId(),
                    copy,
                    (kept, next) -> keepBetter(kept, next, out, duplicateTag)));
      }
      for (CollabEvent kept : best.values()) {
        out.get(uniqueTag).outputWithTimestamp(kept, new Instant(kept.receivedAtMillis()));
      }
      UNIQUE_COUNTER.inc(best.size());
    }

    /**
     * Any skew: with END_OF_WINDOW the group is timestamped at the end of the global window, and
     * each copy goes out at its own, earlier arrival ({@link #groupsWithoutLateness}).
     */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  /**
   * The decision of both paths: of the best copy so far ({@code null} if none) and a new copy of
   * the same id, the better by {@link #PREFERENCE} is returned and the other goes to {@code
   * duplicates} at once.
   */
  private static CollabEvent keepBetter(
      @Nullable CollabEvent best,
      CollabEvent copy,
      DoFn.MultiOutputReceiver out,
      TupleTag<CollabEvent> duplicateTag) {
    if (best == null) {
      return copy;
    }
    CollabEvent kept = better(best, copy);
    duplicate(out, duplicateTag, kept == copy ? best : copy);
    return kept;
  }

  /**
   * Of the best copy so far and a new copy of the same id, the one to keep by {@link #PREFERENCE}:
   * the new copy only if it is strictly preferred, so of equal copies the first seen stays.
   */
  private static CollabEvent better(CollabEvent best, CollabEvent copy) {
    return preferred(best, copy);
  }

  /**
   * Of the copy kept so far and another copy of the same event id, the one this dedup keeps: the
   * earliest arrival, then the smallest source coordinate; {@code kept} if they tie. For a bounded
   * recompute that deduplicates in its own way ({@code metrics.ShardedMetrics}): the same choice of
   * copy as this transform.
   */
  public static CollabEvent preferred(CollabEvent kept, CollabEvent copy) {
    return PREFERENCE.compare(copy, kept) < 0 ? copy : kept;
  }

  /** How often each shard drops the ids whose horizon passed: 1/24 of the horizon. */
  static Duration sweepInterval(Duration horizon) {
    return Duration.millis(Math.max(1, horizon.getMillis() / 24));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("horizon", horizon()).withLabel("Dedup horizon (arrival time)"));
  }

  /**
   * The order that decides which copy is kept: earliest arrival, then the smallest source
   * coordinate.
   */
  static final Comparator<CollabEvent> PREFERENCE =
      Comparator.comparingLong(CollabEvent::receivedAtMillis)
          .thenComparing(e -> e.source().kind().code())
          .thenComparing(e -> e.source().name())
          .thenComparingInt(e -> e.source().partition())
          .thenComparingLong(e -> e.source().offset());

  private static final Counter UNIQUE_COUNTER = Metrics.counter(METRICS_NAMESPACE, UNIQUE);
  private static final Counter DUPLICATES_COUNTER = Metrics.counter(METRICS_NAMESPACE, DUPLICATES);
  private static final Counter EXPIRED_COUNTER = Metrics.counter(METRICS_NAMESPACE, EXPIRED);

  private static void duplicate(
      DoFn.MultiOutputReceiver out, TupleTag<CollabEvent> tag, CollabEvent copy) {
    out.get(tag).outputWithTimestamp(copy, new Instant(copy.receivedAtMillis()));
    DUPLICATES_COUNTER.inc();
  }

  /**
   * Per shard of the id hashes (65,536 shards), both halves of the streaming decision:
   *
   * <ul>
   *   <li><b>Candidates.</b> Each id's best copy not yet passed on, one map entry per id: a copy
   *       that loses to it goes to {@code duplicates} at once. One event-time timer per shard, set
   *       for the earliest candidate's arrival and holding the output watermark there, passes on
   *       every candidate whose arrival the watermark has reached, i.e. once every record that
   *       arrived before it has been read.
   *   <li><b>Remembered ids.</b> Each passed-on id is remembered as one map entry (hash to arrival)
   *       until its arrival plus the horizon. A candidate whose id was passed on within the horizon
   *       before it goes to {@code duplicates}; one at or after the horizon is emitted again. A
   *       timer per shard drops the ids whose horizon the watermark passed, every {@link
   *       #sweepInterval} of arrival time.
   * </ul>
   *
   * <p>The choice of copy is that of a step per id with a timer per id (the form before round 29):
   * a candidate is decided when the watermark passes its arrival, whichever shard timer fires it.
   * Keeping both halves in one step keyed by shard saves a hand-over of every event between two
   * keyed steps, and a key, a value and a timer per id in the runner's state.
   */
  private static final class KeepEarliestAndRememberFn
      extends DoFn<KV<Integer, KV<IdHash, CollabEvent>>, CollabEvent> {
    static final String CANDIDATES_STATE = "candidates";
    static final String EMIT_AT_STATE = "emitAt";
    static final String EMIT_TIMER = "emit";
    static final String REMEMBERED_STATE = "remembered";
    static final String SWEEP_AT_STATE = "sweepAt";
    static final String SWEEP_TIMER = "sweep";

    /** The shard's best copy of each id not yet passed on. */
    @StateId(CANDIDATES_STATE)
    private final StateSpec<MapState<IdHash, CollabEvent>> candidatesSpec =
        StateSpecs.map(IdHashCoder.of(), CollabEventCoder.of());

    /** When the shard's emit timer is set to fire (its earliest candidate's arrival), if set. */
    @StateId(EMIT_AT_STATE)
    private final StateSpec<ValueState<Long>> emitAtSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(EMIT_TIMER)
    private final TimerSpec emitSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    /** Emitted ids of the shard: hash to the arrival of the emitted copy. */
    @StateId(REMEMBERED_STATE)
    private final StateSpec<MapState<IdHash, Long>> rememberedSpec =
        StateSpecs.map(IdHashCoder.of(), VarLongCoder.of());

    /** When the shard's sweep timer is set to fire, if it is set. */
    @StateId(SWEEP_AT_STATE)
    private final StateSpec<ValueState<Long>> sweepAtSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(SWEEP_TIMER)
    private final TimerSpec sweepSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    private final long horizonMillis;
    private final long sweepMillis;
    private final TupleTag<CollabEvent> uniqueTag;
    private final TupleTag<CollabEvent> duplicateTag;

    KeepEarliestAndRememberFn(
        Duration horizon,
        Duration sweep,
        TupleTag<CollabEvent> uniqueTag,
        TupleTag<CollabEvent> duplicateTag) {
      this.horizonMillis = horizon.getMillis();
      this.sweepMillis = sweep.getMillis();
      this.uniqueTag = uniqueTag;
      this.duplicateTag = duplicateTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, KV<IdHash, CollabEvent>> element,
        @StateId(CANDIDATES_STATE) MapState<IdHash, CollabEvent> candidates,
        @StateId(EMIT_AT_STATE) ValueState<Long> emitAt,
        @TimerId(EMIT_TIMER) Timer emitTimer,
        MultiOutputReceiver out) {
      IdHash id = element.getValue().getKey();
      CollabEvent candidate = candidates.get(id).read();
      // A replaced candidate arrived later than this element, so its own timestamp is forward in
      // time.
      CollabEvent kept = keepBetter(candidate, element.getValue().getValue(), out, duplicateTag);
      if (kept == candidate) {
        return;
      }
      candidates.put(id, kept);
      long arrival = kept.receivedAtMillis();
      Long pending = emitAt.read();
      if (pending == null || arrival < pending) {
        // The element's own timestamp is its arrival: the hold never goes behind the input.
        emitBy(arrival, emitTimer, emitAt);
      }
    }

    /**
     * Every candidate whose arrival the watermark has reached is decided against the remembered
     * ids; the timer is set again for the earliest candidate left.
     */
    @OnTimer(EMIT_TIMER)
    public void onEmit(
        OnTimerContext context,
        @StateId(CANDIDATES_STATE) MapState<IdHash, CollabEvent> candidates,
        @StateId(EMIT_AT_STATE) ValueState<Long> emitAt,
        @TimerId(EMIT_TIMER) Timer emitTimer,
        @StateId(REMEMBERED_STATE) MapState<IdHash, Long> remembered,
        @StateId(SWEEP_AT_STATE) ValueState<Long> sweepAt,
        @TimerId(SWEEP_TIMER) Timer sweepTimer,
        MultiOutputReceiver out) {
      long due =
          Math.max(
              context.fireTimestamp().getMillis(), emitTimer.getCurrentRelativeTime().getMillis());
      List<KV<IdHash, CollabEvent>> decided = new ArrayList<>();
      long next = Long.MAX_VALUE;
      for (Map.Entry<IdHash, CollabEvent> e : candidates.entries().read()) {
        long arrival = e.getValue().receivedAtMillis();
        if (arrival <= due) {
          decided.add(KV.of(e.getKey(), e.getValue()));
        } else {
          next = Math.min(next, arrival);
        }
      }
      long sweepDue = Long.MAX_VALUE;
      for (KV<IdHash, CollabEvent> e : decided) {
        candidates.remove(e.getKey());
        sweepDue = Math.min(sweepDue, remember(e.getKey(), e.getValue(), remembered, out));
      }
      if (sweepDue != Long.MAX_VALUE) {
        Long pending = sweepAt.read();
        if (pending == null || sweepDue < pending) {
          sweepBy(sweepDue, sweepTimer, sweepAt);
        }
      }
      if (next == Long.MAX_VALUE) {
        emitAt.clear();
      } else {
        emitBy(next, emitTimer, emitAt);
      }
    }

    /**
     * A candidate whose id was emitted within the horizon before it goes to {@code duplicates};
     * otherwise it is emitted and remembered. Returns when its memory is to be swept ({@code
     * Long.MAX_VALUE} for a duplicate).
     */
    private long remember(
        IdHash id, CollabEvent copy, MapState<IdHash, Long> remembered, MultiOutputReceiver out) {
      long arrival = copy.receivedAtMillis();
      Long emittedArrival = remembered.get(id).read();
      if (emittedArrival != null && arrival < emittedArrival + horizonMillis) {
        duplicate(out, duplicateTag, copy);
        return Long.MAX_VALUE;
      }
      if (emittedArrival != null) {
        // A re-delivery after the horizon of the emitted copy, before the sweep dropped it.
        EXPIRED_COUNTER.inc();
      }
      remembered.put(id, arrival);
      out.get(uniqueTag).outputWithTimestamp(copy, new Instant(arrival));
      UNIQUE_COUNTER.inc();
      return roundUp(arrival + horizonMillis);
    }

    @OnTimer(SWEEP_TIMER)
    public void onSweep(
        OnTimerContext context,
        @StateId(REMEMBERED_STATE) MapState<IdHash, Long> remembered,
        @StateId(SWEEP_AT_STATE) ValueState<Long> sweepAt,
        @TimerId(SWEEP_TIMER) Timer sweepTimer) {
      long now = context.fireTimestamp().getMillis();
      List<IdHash> expired = new ArrayList<>();
      long nextExpiry = Long.MAX_VALUE;
      for (Map.Entry<IdHash, Long> e : remembered.entries().read()) {
        long expiry = e.getValue() + horizonMillis;
        if (expiry <= now) {
          expired.add(e.getKey());
        } else {
          nextExpiry = Math.min(nextExpiry, expiry);
        }
      }
      for (IdHash id : expired) {
        remembered.remove(id);
      }
      EXPIRED_COUNTER.inc(expired.size());
      if (nextExpiry == Long.MAX_VALUE) {
        sweepAt.clear();
      } else {
        long due = roundUp(nextExpiry);
        sweepBy(due, sweepTimer, sweepAt);
      }
    }

    private long roundUp(long millis) {
      return Math.floorDiv(millis + sweepMillis - 1, sweepMillis) * sweepMillis;
    }

    /**
     * Sets the shard's emit timer for {@code at}, holding the output watermark there, and records
     * when it fires.
     */
    private static void emitBy(long at, Timer emitTimer, ValueState<Long> emitAt) {
      emitTimer.withOutputTimestamp(new Instant(at)).set(new Instant(at));
      emitAt.write(at);
    }

    /** Sets the shard's sweep timer for {@code at}, without a hold, and records when it fires. */
    private static void sweepBy(long at, Timer sweepTimer, ValueState<Long> sweepAt) {
      sweepTimer.withNoOutputTimestamp().set(new Instant(at));
      sweepAt.write(at);
    }
  }

  /**
   * The first 128 bits of the SHA-256 of an event id's UTF-8 bytes: the key the state is kept
   * under, 16 bytes whatever the id's length. The top 16 bits name the id's shard.
   */
  static final class IdHash implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<MessageDigest> SHA256 =
        ThreadLocal.withInitial(
            () -> {
              try {
                return MessageDigest.getInstance("SHA-256");
              } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java platform has SHA-256", e);
              }
            });

    final long high;
    final long low;

    IdHash(long high, long low) {
      this.high = high;
      this.low = low;
    }

    static IdHash of(String eventId) {
      byte[] d = SHA256.get().digest(eventId.getBytes(StandardCharsets.UTF_8));
      ByteBuffer b = ByteBuffer.wrap(d);
      return new IdHash(b.getLong(), b.getLong());
    }

    /** 0 to 65,535. */
    int shard() {
      return (int) (high >>> 48);
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof IdHash && ((IdHash) o).high == high && ((IdHash) o).low == low;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(high) * 31 + Long.hashCode(low);
    }

    @Override
    public String toString() {
      return String.format("%016x%016x", high, low);
    }
  }

  /** Exactly 16 bytes, big-endian: deterministic, so it can be a state key. */
  static final class IdHashCoder extends AtomicCoder<IdHash> {
    private static final IdHashCoder INSTANCE = new IdHashCoder();

    static IdHashCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(IdHash value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeLong(value.high);
      data.writeLong(value.low);
    }

    @Override
    public IdHash decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      return new IdHash(data.readLong(), data.readLong());
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }

    @Override
    public boolean isRegisterByteSizeObserverCheap(IdHash value) {
      return true;
    }

    @Override
    protected long getEncodedElementByteSize(IdHash value) {
      return 16;
    }
  }

  /** The two outputs of {@link DedupByEventId}: the kept copy of every id, and every other copy. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final TupleTag<CollabEvent> uniqueTag;
    private final PCollection<CollabEvent> unique;
    private final TupleTag<CollabEvent> duplicatesTag;
    private final PCollection<CollabEvent> duplicates;

    private Result(
        Pipeline pipeline,
        TupleTag<CollabEvent> uniqueTag,
        PCollection<CollabEvent> unique,
        TupleTag<CollabEvent> duplicatesTag,
        PCollection<CollabEvent> duplicates) {
      this.pipeline = pipeline;
      this.uniqueTag = uniqueTag;
      this.unique = unique;
      this.duplicatesTag = duplicatesTag;
      this.duplicates = duplicates;
    }

    /** One copy per event id, the earliest arrival, timestamped at its arrival. */
    public PCollection<CollabEvent> unique() {
      return unique;
    }

    /** Every other copy, timestamped at its own arrival. */
    public PCollection<CollabEvent> duplicates() {
      return duplicates;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> outputs = new LinkedHashMap<>();
      outputs.put(uniqueTag, unique);
      outputs.put(duplicatesTag, duplicates);
      return outputs;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName,
        org.apache.beam.sdk.values.PInput input,
        PTransform<?, ?> transform) {}
  }
}
