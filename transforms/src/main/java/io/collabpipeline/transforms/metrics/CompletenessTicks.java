package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.Stage;
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
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Counts the elements that reached a pipeline {@link Stage} by the hour of their <b>arrival</b>,
 * whatever the input timestamp was (so a tick taken after {@code AssignEventTime} is still counted
 * in the hour the record arrived). Each output is a count of ticks, {@code KV(stage code, n)}: the
 * ticks of one arrival hour (UTC, {@link ComputeCompleteness#FINEST}) and input window seen in one
 * bundle, timestamped at the earliest arrival among them. Feed the counts of all stages, flattened,
 * to {@link ComputeCompleteness}, which sums them per hour and day of arrival.
 *
 * <p>Counting within the bundle here, where the ticks are made, instead of handing every tick on:
 * on Flink batch every element that crosses from one task to the next is encoded and decoded, and
 * one tick per record and stage (about four per record) going to the completeness task was a tenth
 * of the full graph's CPU samples in a profile of the benchmark. A count is exactly as late as its
 * earliest tick (the runners hold a step's output watermark while its bundle is open), and at most
 * one bundle later than the tick would have been (the Flink runner's streaming bundles hold at most
 * 250 records and last at most 1 s as this project runs it). Held counts stay bounded: past {@value
 * #MAX_HELD} the counts of the overflowing tick's window are emitted.
 *
 * <p>Generic over the element type through an arrival-time extractor, e.g. {@code
 * CompletenessTicks.of(Stage.ACCEPTED, CollabEvent::receivedAtMillis)}; {@link #ofRawRecords},
 * {@link #ofEvents} and {@link #ofQuarantine} cover the graph's element types; {@link #onlyIf}
 * ticks only the elements a predicate selects, and {@link #ofLateEvents} ticks the accepted events
 * that arrived too late for their minute window ({@link Stage#LATE}). {@link #ofEach} ticks an
 * element once per arrival time it yields, for elements that stand for several records (a committed
 * file, counted by its rows). Counts every tick in namespace {@value #METRICS_NAMESPACE} under the
 * stage code.
 *
 * <pre>{@code
 * PCollection<KV<String, Long>> acceptedTicks =
 *     unique.apply("CountAccepted", CompletenessTicks.of(Stage.ACCEPTED, CollabEvent::receivedAtMillis));
 * }</pre>
 */
public final class CompletenessTicks<T>
    extends PTransform<PCollection<T>, PCollection<KV<String, Long>>> {

  public static final String METRICS_NAMESPACE = "completeness";

  /** Counts (arrival hours and windows) held in a bundle before a window's are emitted. */
  static final int MAX_HELD = 10_000;

  private final Stage stage;
  private final @Nullable SerializableFunction<T, Long> arrivalMillis;
  private final @Nullable SerializableFunction<T, Iterable<Long>> arrivalsMillis;
  private final @Nullable SerializableFunction<T, Boolean> filter;

  private CompletenessTicks(
      Stage stage,
      @Nullable SerializableFunction<T, Long> arrivalMillis,
      @Nullable SerializableFunction<T, Iterable<Long>> arrivalsMillis,
      @Nullable SerializableFunction<T, Boolean> filter) {
    this.stage = stage;
    this.arrivalMillis = arrivalMillis;
    this.arrivalsMillis = arrivalsMillis;
    this.filter = filter;
  }

  /** Ticks of {@code stage}, timestamped by {@code arrivalMillis} (UTC epoch milliseconds). */
  public static <T> CompletenessTicks<T> of(
      Stage stage, SerializableFunction<T, Long> arrivalMillis) {
    if (stage == null) {
      throw new IllegalArgumentException(
          "CompletenessTicks.of(stage, arrivalMillis) needs a stage");
    }
    if (arrivalMillis == null) {
      throw new IllegalArgumentException(
          "CompletenessTicks.of(stage, arrivalMillis) needs an arrival-time function");
    }
    return new CompletenessTicks<>(stage, arrivalMillis, null, null);
  }

  /**
   * Ticks of {@code stage}, one per arrival time (UTC epoch milliseconds) that {@code
   * arrivalsMillis} yields for an element, each timestamped with it: for elements that stand for
   * several records, e.g. a committed file of the raw store and the arrival times of its rows. An
   * element that yields nothing is not ticked.
   */
  public static <T> CompletenessTicks<T> ofEach(
      Stage stage, SerializableFunction<T, Iterable<Long>> arrivalsMillis) {
    if (stage == null) {
      throw new IllegalArgumentException(
          "CompletenessTicks.ofEach(stage, arrivalsMillis) needs a stage");
    }
    if (arrivalsMillis == null) {
      throw new IllegalArgumentException(
          "CompletenessTicks.ofEach(stage, arrivalsMillis) needs an arrival-times function");
    }
    return new CompletenessTicks<>(stage, null, arrivalsMillis, null);
  }

  /** The same ticks, for only the elements {@code predicate} selects. */
  public CompletenessTicks<T> onlyIf(SerializableFunction<T, Boolean> predicate) {
    if (predicate == null) {
      throw new IllegalArgumentException("CompletenessTicks.onlyIf(predicate) needs a predicate");
    }
    return new CompletenessTicks<>(stage, arrivalMillis, arrivalsMillis, predicate);
  }

  /**
   * {@link Stage#LATE} ticks: of the accepted (deduplicated) events, those that arrived too late
   * for at least one of their metric windows by {@code policy}'s rule, which is the same as too
   * late for their minute window ({@link WindowingPolicy#isTooLate}). They are left out of some
   * metric windows by {@code ComputeMetrics}, kept in the raw store, and folded in by a correction
   * replay. {@code late} is a subset of {@code accepted}.
   */
  public static CompletenessTicks<CollabEvent> ofLateEvents(WindowingPolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException(
          "CompletenessTicks.ofLateEvents(policy) needs a windowing policy");
    }
    return of(Stage.LATE, CollabEvent::receivedAtMillis).onlyIf(e -> isLate(policy, e));
  }

  /**
   * Whether an accepted {@code event} is {@link Stage#LATE} by {@code policy}: too late for its
   * minute window ({@link WindowingPolicy#isTooLate}), so for at least one metric window. What
   * {@link #ofLateEvents} ticks, and {@link AcceptedEvents} too.
   */
  static boolean isLate(WindowingPolicy policy, CollabEvent event) {
    return policy.isTooLate(Granularity.MINUTE, event.occurredAtMillis(), event.receivedAtMillis());
  }

  /** Ticks for records as received, at {@link RawRecord#receivedAtMillis()}. */
  public static CompletenessTicks<RawRecord> ofRawRecords(Stage stage) {
    return of(stage, RawRecord::receivedAtMillis);
  }

  /** Ticks for validated events, at {@link CollabEvent#receivedAtMillis()}. */
  public static CompletenessTicks<CollabEvent> ofEvents(Stage stage) {
    return of(stage, CollabEvent::receivedAtMillis);
  }

  /** Ticks for quarantined records, at the arrival of the original record. */
  public static CompletenessTicks<QuarantineRecord> ofQuarantine(Stage stage) {
    return of(stage, q -> q.original().receivedAtMillis());
  }

  public Stage stage() {
    return stage;
  }

  @Override
  public PCollection<KV<String, Long>> expand(PCollection<T> input) {
    return input
        .apply(
            "TickAtArrival",
            ParDo.of(new TickFn<>(stage, arrivalMillis, arrivalsMillis, filter, MAX_HELD)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("stage", stage.code()))
        .add(DisplayData.item("filtered", filter != null))
        .add(DisplayData.item("perElement", arrivalsMillis == null ? "one" : "each arrival"));
  }

  /**
   * One stage's ticks held in a bundle: per input window and arrival hour, how many and the
   * earliest arrival among them. {@link TickFn} holds one; a step that ticks beside other work
   * ({@link AcceptedEvents}) holds one per stage. Not thread-safe: one per DoFn instance, made
   * afresh for each bundle.
   */
  static final class HeldTicks {
    /** Takes one count: {@code KV(stage code, n)}, its timestamp and its window. */
    @FunctionalInterface
    interface Emitter {
      void emit(KV<String, Long> count, Instant timestamp, BoundedWindow window);
    }

    private final String code;
    private final Counter ticks;
    private final HeldPartials<Long, long[]> held;

    /**
     * @param ticks the stage's counter ({@link #counterOf}), which every count emitted adds to
     */
    HeldTicks(Stage stage, Counter ticks, int maxHeld) {
      this.code = stage.code();
      this.ticks = ticks;
      this.held = new HeldPartials<>(maxHeld);
    }

    /** The counter, in {@value #METRICS_NAMESPACE}, that {@code stage}'s ticks are counted in. */
    static Counter counterOf(Stage stage) {
      return Metrics.counter(METRICS_NAMESPACE, stage.code());
    }

    /**
     * Ticks a record that arrived at {@code arrival}, in {@code window}; past the bound, that
     * window's counts go to {@code overflow} (only the input's window can take a DoFn's output
     * there).
     */
    void tick(long arrival, BoundedWindow window, Emitter overflow) {
      long hour = ComputeCompleteness.FINEST.windowStart(arrival);
      held.partial(window, hour, arrival, () -> new long[1]).accumulator[0]++;
      if (held.overfull()) {
        held.emitWindow(window, (h, count, w) -> emit(count, w, overflow));
      }
    }

    /** Emits and removes every count held, for {@code @FinishBundle}. */
    void emitAll(Emitter emitter) {
      held.emitAll((h, count, w) -> emit(count, w, emitter));
    }

    private void emit(HeldPartials.Partial<long[]> count, BoundedWindow window, Emitter emitter) {
      emitter.emit(KV.of(code, count.accumulator[0]), new Instant(count.earliestMillis), window);
      ticks.inc(count.accumulator[0]);
    }
  }

  static final class TickFn<T> extends DoFn<T, KV<String, Long>> {
    private final Stage stage;
    private final @Nullable SerializableFunction<T, Long> arrivalMillis;
    private final @Nullable SerializableFunction<T, Iterable<Long>> arrivalsMillis;
    private final @Nullable SerializableFunction<T, Boolean> filter;
    private final int maxHeld;
    private final Counter ticks;

    private transient HeldTicks held;

    TickFn(
        Stage stage,
        @Nullable SerializableFunction<T, Long> arrivalMillis,
        @Nullable SerializableFunction<T, Iterable<Long>> arrivalsMillis,
        @Nullable SerializableFunction<T, Boolean> filter,
        int maxHeld) {
      this.stage = stage;
      this.arrivalMillis = arrivalMillis;
      this.arrivalsMillis = arrivalsMillis;
      this.filter = filter;
      this.maxHeld = HeldPartials.requireMaxHeld(maxHeld, "TickFn");
      this.ticks = HeldTicks.counterOf(stage);
    }

    @StartBundle
    public void startBundle() {
      held = new HeldTicks(stage, ticks, maxHeld);
    }

    @ProcessElement
    public void processElement(
        @Element T element, BoundedWindow window, OutputReceiver<KV<String, Long>> out) {
      if (filter != null && !Boolean.TRUE.equals(filter.apply(element))) {
        return;
      }
      HeldTicks.Emitter overflow = (count, at, w) -> out.outputWithTimestamp(count, at);
      if (arrivalsMillis != null) {
        for (Long arrival : arrivalsMillis.apply(element)) {
          held.tick(arrival, window, overflow);
        }
        return;
      }
      held.tick(arrivalMillis.apply(element), window, overflow);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      held.emitAll(context::output);
    }

    /**
     * Unbounded: the arrival time may lie before the input timestamp (for instance after {@code
     * AssignEventTime} or for a late-emitted copy), and a count must still land in the hour of
     * arrival.
     */
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
