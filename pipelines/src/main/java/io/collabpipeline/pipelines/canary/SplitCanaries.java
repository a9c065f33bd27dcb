package io.collabpipeline.pipelines.canary;

import io.collabpipeline.model.CollabEvent;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Splits the canary events of the freshness probe ({@link Canaries#isCanary}) off a collection of
 * deduplicated events: {@link Result#events()} holds every other event, unchanged and with its
 * timestamp, {@link Result#canaries()} the canaries. Stateless, element-wise: the same test in
 * every mode, so a raw replay, which drops and counts the canaries ({@link #eventsOnly()}), keeps
 * them out of the curated metrics exactly as the stream does.
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #CANARIES_COUNTER}.
 */
public final class SplitCanaries
    extends PTransform<PCollection<CollabEvent>, SplitCanaries.Result> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "canary";
  public static final String CANARIES_COUNTER = "split";

  private static final TupleTag<CollabEvent> EVENTS = new TupleTag<CollabEvent>() {};
  private static final TupleTag<CollabEvent> CANARIES = new TupleTag<CollabEvent>() {};

  private SplitCanaries() {}

  public static SplitCanaries create() {
    return new SplitCanaries();
  }

  /**
   * Only {@link Result#events()}: the canaries are counted ({@value #CANARIES_COUNTER}) and
   * dropped, by the same test ({@link Canaries#isCanary}), for a graph that does nothing with them
   * (a raw replay). One output, so Beam's Flink runner chains the step into its neighbours; the
   * split's two outputs hand every event over through a tagged union, encoded once and decoded by
   * each output's own task.
   */
  public static PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> eventsOnly() {
    return new EventsOnly();
  }

  private static final class EventsOnly
      extends PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> {
    private static final long serialVersionUID = 1L;

    @Override
    public PCollection<CollabEvent> expand(PCollection<CollabEvent> events) {
      return events.apply("ByWorkspace", ParDo.of(new DropFn())).setCoder(events.getCoder());
    }
  }

  @Override
  public Result expand(PCollection<CollabEvent> events) {
    PCollectionTuple split =
        events.apply(
            "ByWorkspace",
            ParDo.of(new SplitFn()).withOutputTags(EVENTS, TupleTagList.of(CANARIES)));
    PCollection<CollabEvent> rest = split.get(EVENTS).setCoder(events.getCoder());
    PCollection<CollabEvent> canaries = split.get(CANARIES).setCoder(events.getCoder());
    return new Result(events.getPipeline(), rest, canaries);
  }

  /** The product's events and the probe's canaries. */
  public static final class Result implements POutput {
    private final org.apache.beam.sdk.Pipeline pipeline;
    private final PCollection<CollabEvent> events;
    private final PCollection<CollabEvent> canaries;

    Result(
        org.apache.beam.sdk.Pipeline pipeline,
        PCollection<CollabEvent> events,
        PCollection<CollabEvent> canaries) {
      this.pipeline = pipeline;
      this.events = events;
      this.canaries = canaries;
    }

    /** Every event that is not a canary: what the curated metrics count. */
    public PCollection<CollabEvent> events() {
      return events;
    }

    /** The canaries. */
    public PCollection<CollabEvent> canaries() {
      return canaries;
    }

    @Override
    public org.apache.beam.sdk.Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(EVENTS, events, CANARIES, canaries);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  private static final class DropFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final Counter canaries = Metrics.counter(METRICS_NAMESPACE, CANARIES_COUNTER);

    @ProcessElement
    public void process(@Element CollabEvent event, OutputReceiver<CollabEvent> out) {
      if (Canaries.isCanary(event)) {
        canaries.inc();
      } else {
        out.output(event);
      }
    }
  }

  private static final class SplitFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final Counter canaries = Metrics.counter(METRICS_NAMESPACE, CANARIES_COUNTER);

    @ProcessElement
    public void process(@Element CollabEvent event, MultiOutputReceiver out) {
      if (Canaries.isCanary(event)) {
        canaries.inc();
        out.get(CANARIES).output(event);
      } else {
        out.get(EVENTS).output(event);
      }
    }
  }
}
