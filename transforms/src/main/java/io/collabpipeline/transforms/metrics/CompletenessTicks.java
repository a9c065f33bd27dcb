package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.Stage;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Turns each element that reached a pipeline {@link Stage} into one completeness tick: the stage code, timestamped at
 * the element's <b>arrival</b> time, whatever the input timestamp was (so a tick taken after {@code AssignEventTime}
 * is still counted in the hour the record arrived). Feed the ticks of all stages, flattened, to {@link
 * ComputeCompleteness}.
 *
 * <p>Generic over the element type through an arrival-time extractor, e.g. {@code CompletenessTicks.of(Stage.ACCEPTED,
 * CollabEvent::receivedAtMillis)}; {@link #ofRawRecords}, {@link #ofEvents} and {@link #ofQuarantine} cover the
 * graph's element types. Counts every tick in namespace {@value #METRICS_NAMESPACE} under the stage code.
 */
public final class CompletenessTicks<T> extends PTransform<PCollection<T>, PCollection<String>> {

  public static final String METRICS_NAMESPACE = "completeness";

  private final Stage stage;
  private final SerializableFunction<T, Long> arrivalMillis;

  private CompletenessTicks(Stage stage, SerializableFunction<T, Long> arrivalMillis) {
    this.stage = stage;
    this.arrivalMillis = arrivalMillis;
  }

  /** Ticks of {@code stage}, timestamped by {@code arrivalMillis} (UTC epoch milliseconds). */
  public static <T> CompletenessTicks<T> of(Stage stage, SerializableFunction<T, Long> arrivalMillis) {
    if (stage == null) {
      throw new IllegalArgumentException("CompletenessTicks.of(stage, arrivalMillis) needs a stage");
    }
    if (arrivalMillis == null) {
      throw new IllegalArgumentException("CompletenessTicks.of(stage, arrivalMillis) needs an arrival-time function");
    }
    return new CompletenessTicks<>(stage, arrivalMillis);
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
  public PCollection<String> expand(PCollection<T> input) {
    return input
        .apply("TickAtArrival", ParDo.of(new TickFn<>(stage, arrivalMillis)))
        .setCoder(StringUtf8Coder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("stage", stage.code()));
  }

  private static final class TickFn<T> extends DoFn<T, String> {
    private final String code;
    private final SerializableFunction<T, Long> arrivalMillis;
    private final Counter ticks;

    TickFn(Stage stage, SerializableFunction<T, Long> arrivalMillis) {
      this.code = stage.code();
      this.arrivalMillis = arrivalMillis;
      this.ticks = Metrics.counter(METRICS_NAMESPACE, stage.code());
    }

    @ProcessElement
    public void processElement(@Element T element, OutputReceiver<String> out) {
      out.outputWithTimestamp(code, new Instant(arrivalMillis.apply(element)));
      ticks.inc();
    }

    /**
     * Unbounded: the arrival time may lie before the input timestamp (for instance after {@code AssignEventTime} or
     * for a late-emitted copy), and a tick must still land in the hour of arrival.
     */
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
