package io.collabpipeline.transforms.metrics;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.Stage;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * What a bounded batch graph does with each accepted (deduplicated) event apart from archiving it,
 * in one step: its {@link Stage#ACCEPTED} tick, its {@link Stage#LATE} tick if it arrived too late
 * for its minute window, and its metric contributions, or, for an event a predicate sets apart (the
 * freshness probe's canaries), no contribution and the event itself, without its payload. The same
 * results as {@link CompletenessTicks#of} and {@link CompletenessTicks#ofLateEvents} on the events,
 * the predicate's split, then {@code AssignEventTime} and {@link ComputeMetrics} on the rest, which
 * is what a stream runs:
 *
 * <ul>
 *   <li>the ticks are counted per bundle as {@link CompletenessTicks} counts them (the same counts,
 *       timestamps and counters);
 *   <li>each event's contributions go into the partial accumulators held for the bundle ({@code
 *       HeldContributions}, with the same {@link ComputeMetrics.Contributor}: the same too-late
 *       rule, keys and counters), which go on at their own event times, so no step has to move the
 *       events to event time first; the partials are then windowed and merged as {@link
 *       ComputeMetrics} merges its own ({@code ComputeMetrics.rowsOf});
 *   <li>an event set apart is counted in the counter given and goes to {@link Result#excluded}
 *       without its payload, at its arrival time, as {@code SplitCanaries} sends on a canary.
 * </ul>
 *
 * <p>Why one step: on Flink batch an element that crosses from one task to another is encoded, and
 * a collection with several readers is handed to each of them in full, so the events without their
 * payload went to three readers (the two counts and the split) and the split's union of outputs to
 * two; the steps' own work was the smaller part. Here each event is read once, and only partials
 * and counts are handed on. For a bounded input in the global window of a batch pipeline only: a
 * stream keeps its steps and their names, which its savepoints hold.
 */
public final class AcceptedEvents
    extends PTransform<PCollection<CollabEvent>, AcceptedEvents.Result> {
  private static final long serialVersionUID = 1L;

  private static final TupleTag<KV<String, MetricAccumulator>> PARTIALS =
      new TupleTag<KV<String, MetricAccumulator>>() {};
  private static final TupleTag<KV<String, Long>> ACCEPTED = new TupleTag<KV<String, Long>>() {};
  private static final TupleTag<KV<String, Long>> LATE = new TupleTag<KV<String, Long>>() {};
  private static final TupleTag<CollabEvent> EXCLUDED = new TupleTag<CollabEvent>() {};
  private static final TupleTag<CuratedRow> ROWS = new TupleTag<CuratedRow>() {};

  private final WindowingPolicy policy;
  private final SerializableFunction<CollabEvent, Boolean> excluded;
  private final String excludedNamespace;
  private final String excludedCounter;
  private final int maxHeldPartials;
  private final int maxHeldTicks;

  private AcceptedEvents(
      WindowingPolicy policy,
      SerializableFunction<CollabEvent, Boolean> excluded,
      String excludedNamespace,
      String excludedCounter,
      int maxHeldPartials,
      int maxHeldTicks) {
    this.policy = policy;
    this.excluded = excluded;
    this.excludedNamespace = excludedNamespace;
    this.excludedCounter = excludedCounter;
    this.maxHeldPartials = maxHeldPartials;
    this.maxHeldTicks = maxHeldTicks;
  }

  /**
   * The accepted events' ticks and metrics with {@code policy}'s windows and lateness (the one
   * {@code ComputeMetrics} and {@code CompletenessTicks.ofLateEvents} would be given); every event
   * contributes.
   */
  public static AcceptedEvents create(WindowingPolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException("AcceptedEvents.create(policy) needs a policy");
    }
    return new AcceptedEvents(
        policy,
        e -> false,
        "accepted_events",
        "excluded",
        ComputeMetrics.DEFAULT_MAX_HELD,
        CompletenessTicks.MAX_HELD);
  }

  /**
   * Events for which {@code exclude} is true are ticked but contribute to no metric: each is
   * counted in the counter {@code namespace}/{@code name} and goes to {@link Result#excluded} (the
   * canaries, as {@code SplitCanaries} counts and splits them).
   */
  public AcceptedEvents withoutEvents(
      SerializableFunction<CollabEvent, Boolean> exclude, String namespace, String name) {
    if (exclude == null || namespace == null || name == null) {
      throw new IllegalArgumentException("withoutEvents(exclude, namespace, name) needs all three");
    }
    return new AcceptedEvents(policy, exclude, namespace, name, maxHeldPartials, maxHeldTicks);
  }

  /**
   * Other bounds than {@code ComputeMetrics}' partials and {@code CompletenessTicks}' counts held
   * per bundle (for tests, which reach them with a few events).
   */
  AcceptedEvents withMaxHeld(int partials, int ticks) {
    HeldPartials.requireMaxHeld(partials, "AcceptedEvents");
    HeldPartials.requireMaxHeld(ticks, "AcceptedEvents");
    return new AcceptedEvents(
        policy, excluded, excludedNamespace, excludedCounter, partials, ticks);
  }

  @Override
  public Result expand(PCollection<CollabEvent> events) {
    if (!BatchGrouping.isBoundedBatch(events)
        || !(events.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      throw new IllegalArgumentException(
          "AcceptedEvents takes a bounded input in the global window of a batch pipeline, got "
              + events.isBounded()
              + " in "
              + events.getWindowingStrategy().getWindowFn());
    }
    PCollectionTuple out =
        events.apply(
            "SelectAccumulateAndTick",
            ParDo.of(
                    new SelectAccumulateAndTickFn(
                        policy,
                        excluded,
                        excludedNamespace,
                        excludedCounter,
                        maxHeldPartials,
                        maxHeldTicks))
                .withOutputTags(PARTIALS, TupleTagList.of(ACCEPTED).and(LATE).and(EXCLUDED)));
    KvCoder<String, Long> ticks = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    // As ComputeMetrics' partials on Flink batch: they only cross the merge's sort, so their items
    // are written in table order.
    PCollection<KV<String, MetricAccumulator>> partials =
        out.get(PARTIALS)
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(),
                    BatchGrouping.isBoundedFlinkBatch(events)
                        ? MetricAccumulatorCoder.inTableOrder()
                        : MetricAccumulatorCoder.of()));
    PCollection<CuratedRow> rows =
        ComputeMetrics.rowsOf(
            partials.apply(
                "MetricWindows", MetricWindows.<MetricAccumulator>byKeyGranularity(policy)));
    return new Result(
        events.getPipeline(),
        rows,
        out.get(ACCEPTED).setCoder(ticks),
        out.get(LATE).setCoder(ticks),
        out.get(EXCLUDED).setCoder(CollabEventCoder.of()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("allowedLateness", policy.allowedLateness()));
  }

  /** The metric rows, the two stages' tick counts and the events set apart. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<CuratedRow> rows;
    private final PCollection<KV<String, Long>> acceptedTicks;
    private final PCollection<KV<String, Long>> lateTicks;
    private final PCollection<CollabEvent> excluded;

    Result(
        Pipeline pipeline,
        PCollection<CuratedRow> rows,
        PCollection<KV<String, Long>> acceptedTicks,
        PCollection<KV<String, Long>> lateTicks,
        PCollection<CollabEvent> excluded) {
      this.pipeline = pipeline;
      this.rows = rows;
      this.acceptedTicks = acceptedTicks;
      this.lateTicks = lateTicks;
      this.excluded = excluded;
    }

    /** The metric rows, in the global window, as {@link ComputeMetrics} outputs them. */
    public PCollection<CuratedRow> rows() {
      return rows;
    }

    /** {@link Stage#ACCEPTED} tick counts of every event, as {@link CompletenessTicks} makes. */
    public PCollection<KV<String, Long>> acceptedTicks() {
      return acceptedTicks;
    }

    /** {@link Stage#LATE} tick counts, as {@link CompletenessTicks#ofLateEvents} makes. */
    public PCollection<KV<String, Long>> lateTicks() {
      return lateTicks;
    }

    /** The events set apart, without their payload, at their arrival times. */
    public PCollection<CollabEvent> excluded() {
      return excluded;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(ROWS, rows, ACCEPTED, acceptedTicks, LATE, lateTicks, EXCLUDED, excluded);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  private static final class SelectAccumulateAndTickFn
      extends DoFn<CollabEvent, KV<String, MetricAccumulator>> {
    private static final long serialVersionUID = 1L;
    private final WindowingPolicy policy;
    private final ComputeMetrics.Contributor contributor;
    private final SerializableFunction<CollabEvent, Boolean> excluded;
    private final Counter excludedCount;
    private final Counter acceptedCount = CompletenessTicks.HeldTicks.counterOf(Stage.ACCEPTED);
    private final Counter lateCount = CompletenessTicks.HeldTicks.counterOf(Stage.LATE);
    private final int maxHeldPartials;
    private final int maxHeldTicks;

    private transient HeldContributions held;
    private transient CompletenessTicks.HeldTicks accepted;
    private transient CompletenessTicks.HeldTicks late;

    SelectAccumulateAndTickFn(
        WindowingPolicy policy,
        SerializableFunction<CollabEvent, Boolean> excluded,
        String excludedNamespace,
        String excludedCounter,
        int maxHeldPartials,
        int maxHeldTicks) {
      this.policy = policy;
      this.contributor = new ComputeMetrics.Contributor(policy.allowedLateness().getMillis());
      this.excluded = excluded;
      this.excludedCount = Metrics.counter(excludedNamespace, excludedCounter);
      this.maxHeldPartials = maxHeldPartials;
      this.maxHeldTicks = maxHeldTicks;
    }

    @StartBundle
    public void startBundle() {
      held = new HeldContributions(contributor, maxHeldPartials);
      accepted = new CompletenessTicks.HeldTicks(Stage.ACCEPTED, acceptedCount, maxHeldTicks);
      late = new CompletenessTicks.HeldTicks(Stage.LATE, lateCount, maxHeldTicks);
    }

    @ProcessElement
    public void processElement(
        @Element CollabEvent kept, BoundedWindow window, MultiOutputReceiver out) {
      // Reading a field the contributions need (the actor, the task, the trigger) decodes every
      // field after the event's head, the payload's JSON string included: taking the payload out
      // of the encoding first (a copy of the bytes around it, as DropPayload does for a stream)
      // is cheaper than decoding it.
      CollabEvent event = kept.withoutPayload();
      long arrival = event.receivedAtMillis();
      accepted.tick(
          arrival, window, (count, at, w) -> out.get(ACCEPTED).outputWithTimestamp(count, at));
      if (CompletenessTicks.isLate(policy, event)) {
        late.tick(arrival, window, (count, at, w) -> out.get(LATE).outputWithTimestamp(count, at));
      }
      if (Boolean.TRUE.equals(excluded.apply(event))) {
        excludedCount.inc();
        out.get(EXCLUDED).output(event);
        return;
      }
      held.add(event);
      if (held.overfull()) {
        held.emitAll((partial, at) -> out.get(PARTIALS).outputWithTimestamp(partial, at));
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      accepted.emitAll((count, at, w) -> context.output(ACCEPTED, count, at, w));
      late.emitAll((count, at, w) -> context.output(LATE, count, at, w));
      held.emitAll((partial, at) -> context.output(partial, at, GlobalWindow.INSTANCE));
    }

    /**
     * Partials go out at their own event times and counts at their earliest arrivals, either of
     * which may be before the event at hand.
     */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
