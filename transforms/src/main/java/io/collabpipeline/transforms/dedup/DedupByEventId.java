package io.collabpipeline.transforms.dedup;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
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
 *   <li>The best copy seen so far is held in state and emitted from an event-time timer at its
 *       arrival time, i.e. once the watermark says every record that arrived before it has been
 *       read. A copy that loses goes to {@code duplicates} at once, timestamped at its own arrival.
 *   <li>After emitting, the id is remembered until its arrival plus the <b>horizon</b> (default 24
 *       hours of arrival time), by a timer that does not hold the watermark; then all state of the
 *       id is cleared, so state is bounded by the ids that arrived within one horizon.
 * </ul>
 *
 * <p>Guarantees: in bounded mode (replays), exact over the whole input: every id is emitted exactly
 * once, as its earliest arrival. In streaming, exact for copies that arrive within the horizon of
 * the kept copy; a re-delivery after the horizon is emitted again (counted as {@value #EXPIRED}
 * when the memory of the id is dropped). A copy that arrives behind the watermark after its id was
 * emitted is a duplicate even if it claims an earlier arrival.
 *
 * <p>Both outputs carry arrival-time timestamps: {@code unique} at the kept copy's arrival (the
 * emit timer holds the watermark there), {@code duplicates} at each copy's own arrival. Beam
 * metrics in namespace {@value #METRICS_NAMESPACE}: {@value #UNIQUE}, {@value #DUPLICATES}, {@value
 * #EXPIRED}.
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

  abstract @Nullable Duration horizon();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setHorizon(Duration horizon);

    abstract DedupByEventId build();
  }

  /** Deduplication with the default horizon of {@link #DEFAULT_HORIZON} of arrival time. */
  public static DedupByEventId create() {
    return new AutoValue_DedupByEventId.Builder().setHorizon(DEFAULT_HORIZON).build();
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
    TupleTag<CollabEvent> uniqueTag = new TupleTag<CollabEvent>() {};
    TupleTag<CollabEvent> duplicatesTag = new TupleTag<CollabEvent>() {};

    PCollectionTuple outputs =
        input
            .apply(
                "KeyByEventId",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(), TypeDescriptor.of(CollabEvent.class)))
                    .via((CollabEvent e) -> KV.of(e.eventId(), e)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), CollabEventCoder.of()))
            .apply(
                "KeepEarliestArrival",
                ParDo.of(new KeepEarliestArrivalFn(horizon, duplicatesTag))
                    .withOutputTags(uniqueTag, TupleTagList.of(duplicatesTag)));

    PCollection<CollabEvent> unique = outputs.get(uniqueTag).setCoder(CollabEventCoder.of());
    PCollection<CollabEvent> duplicates =
        outputs.get(duplicatesTag).setCoder(CollabEventCoder.of());
    return new Result(input.getPipeline(), uniqueTag, unique, duplicatesTag, duplicates);
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

  private static final class KeepEarliestArrivalFn
      extends DoFn<KV<String, CollabEvent>, CollabEvent> {
    static final String CANDIDATE_STATE = "candidate";
    static final String EMITTED_ARRIVAL_STATE = "emittedArrival";
    static final String EMIT_TIMER = "emit";
    static final String EXPIRY_TIMER = "expiry";

    private static final Counter UNIQUE_COUNTER = Metrics.counter(METRICS_NAMESPACE, UNIQUE);
    private static final Counter DUPLICATES_COUNTER =
        Metrics.counter(METRICS_NAMESPACE, DUPLICATES);
    private static final Counter EXPIRED_COUNTER = Metrics.counter(METRICS_NAMESPACE, EXPIRED);

    /** The best copy not yet emitted. */
    @StateId(CANDIDATE_STATE)
    private final StateSpec<ValueState<CollabEvent>> candidateSpec =
        StateSpecs.value(CollabEventCoder.of());

    /** Set once the id was emitted: the arrival of the emitted copy. */
    @StateId(EMITTED_ARRIVAL_STATE)
    private final StateSpec<ValueState<Long>> emittedSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(EMIT_TIMER)
    private final TimerSpec emitSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @TimerId(EXPIRY_TIMER)
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    private final Duration horizon;
    private final TupleTag<CollabEvent> duplicatesTag;

    KeepEarliestArrivalFn(Duration horizon, TupleTag<CollabEvent> duplicatesTag) {
      this.horizon = horizon;
      this.duplicatesTag = duplicatesTag;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, CollabEvent> element,
        @StateId(CANDIDATE_STATE) ValueState<CollabEvent> candidateState,
        @StateId(EMITTED_ARRIVAL_STATE) ValueState<Long> emittedState,
        @TimerId(EMIT_TIMER) Timer emitTimer,
        MultiOutputReceiver out) {
      CollabEvent copy = element.getValue();
      if (emittedState.read() != null) {
        duplicate(out, copy);
        return;
      }
      CollabEvent candidate = candidateState.read();
      if (candidate == null) {
        hold(copy, candidateState, emitTimer);
      } else if (PREFERENCE.compare(copy, candidate) < 0) {
        // The replaced candidate arrived later than this element, so its own timestamp is forward
        // in time.
        duplicate(out, candidate);
        hold(copy, candidateState, emitTimer);
      } else {
        duplicate(out, copy);
      }
    }

    @OnTimer(EMIT_TIMER)
    public void onEmit(
        OnTimerContext context,
        @StateId(CANDIDATE_STATE) ValueState<CollabEvent> candidateState,
        @StateId(EMITTED_ARRIVAL_STATE) ValueState<Long> emittedState,
        @TimerId(EXPIRY_TIMER) Timer expiryTimer) {
      CollabEvent candidate = candidateState.read();
      if (candidate == null) {
        return;
      }
      // The output timestamp of this timer is the candidate's arrival.
      context.output(candidate);
      UNIQUE_COUNTER.inc();
      candidateState.clear();
      emittedState.write(candidate.receivedAtMillis());
      // The expiry timer is set only here, so in bounded mode (all timers at the end) it cannot
      // fire before the emit.
      expiryTimer
          .withNoOutputTimestamp()
          .set(new Instant(candidate.receivedAtMillis()).plus(horizon));
    }

    @OnTimer(EXPIRY_TIMER)
    public void onExpiry(
        @StateId(CANDIDATE_STATE) ValueState<CollabEvent> candidateState,
        @StateId(EMITTED_ARRIVAL_STATE) ValueState<Long> emittedState) {
      emittedState.clear();
      // Nothing can become a candidate while the id is remembered, so this clears all state of the
      // id.
      candidateState.clear();
      EXPIRED_COUNTER.inc();
    }

    private static void hold(
        CollabEvent copy, ValueState<CollabEvent> candidateState, Timer emitTimer) {
      Instant arrival = new Instant(copy.receivedAtMillis());
      candidateState.write(copy);
      emitTimer.withOutputTimestamp(arrival).set(arrival);
    }

    private void duplicate(MultiOutputReceiver out, CollabEvent copy) {
      out.get(duplicatesTag).outputWithTimestamp(copy, new Instant(copy.receivedAtMillis()));
      DUPLICATES_COUNTER.inc();
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
