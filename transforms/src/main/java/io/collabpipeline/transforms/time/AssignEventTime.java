package io.collabpipeline.transforms.time;

import io.collabpipeline.model.CollabEvent;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Re-timestamps each {@link CollabEvent} from its arrival time to its event time ({@link
 * CollabEvent#occurredAtMillis()}), the clock the curated metric windows are assigned by.
 *
 * <p>This is the one step of the graph that emits behind its input timestamps (see ARCHITECTURE.md,
 * "Two clocks"): everything upstream runs on arrival time, and an event usually occurred before it
 * arrived, sometimes hours before. The watermark stays an arrival-time watermark, so an event can
 * come out of this step already behind it; whether it still counts is decided downstream by the
 * data ({@code ComputeMetrics}' too-late rule), not here. Windows and panes are not touched.
 *
 * <pre>{@code
 * PCollection<CollabEvent> byEventTime = unique.apply("AssignEventTime", AssignEventTime.create());
 * }</pre>
 */
public final class AssignEventTime
    extends PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> {

  private AssignEventTime() {}

  public static AssignEventTime create() {
    return new AssignEventTime();
  }

  @Override
  public PCollection<CollabEvent> expand(PCollection<CollabEvent> input) {
    return input
        .apply("SetOccurredAtTimestamp", ParDo.of(new AssignEventTimeFn()))
        .setCoder(input.getCoder());
  }

  private static final class AssignEventTimeFn extends DoFn<CollabEvent, CollabEvent> {
    @ProcessElement
    public void processElement(@Element CollabEvent event, OutputReceiver<CollabEvent> out) {
      out.outputWithTimestamp(event, new Instant(event.occurredAtMillis()));
    }

    /**
     * Unbounded: Beam refuses by default to emit an element before its input timestamp, because
     * that can make data late. Here that is the point: event time is earlier than arrival time by
     * an amount only the data knows (client clocks, offline mobile clients, retries), and lateness
     * is judged afterwards against the data's own rule, with Beam's allowed lateness set above it.
     */
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
