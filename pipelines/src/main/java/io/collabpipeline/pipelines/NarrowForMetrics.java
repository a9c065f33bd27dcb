package io.collabpipeline.pipelines;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * A replay's events after dedup reduced to what {@code AssignEventTime} and {@code ComputeMetrics}
 * read: event type, both times, workspace, actor, task gid, trigger id and type. The event id and
 * the source coordinate (read only by the dedup, which is behind) and every field a replay never
 * reads become empty, so each of the nine metric windowings shuffles a few dozen bytes per event.
 * Element-wise; timestamps and windows unchanged.
 *
 * <p>Not {@link CollabEvent#withoutPayload()}: that keeps every field but the payload (the event
 * id, the source and the descriptive fields too), which the shuffles would then carry. The fields
 * kept are listed, not the ones cleared, so a field added to {@link CollabEvent} stays out of the
 * shuffles until a metric reads it.
 */
final class NarrowForMetrics
    extends PTransform<PCollection<CollabEvent>, PCollection<CollabEvent>> {
  private static final long serialVersionUID = 1L;

  /** The source of every narrowed event: the metrics never read it. */
  static final SourceRef NO_SOURCE = SourceRef.of(SourceRef.Kind.FILE, "", -1, 0L);

  static NarrowForMetrics create() {
    return new NarrowForMetrics();
  }

  private NarrowForMetrics() {}

  @Override
  public PCollection<CollabEvent> expand(PCollection<CollabEvent> events) {
    return events.apply("ToMetricFields", ParDo.of(new NarrowFn())).setCoder(CollabEventCoder.of());
  }

  /** {@code e} with only the fields the metrics read. */
  static CollabEvent narrow(CollabEvent e) {
    return CollabEvent.builder()
        .setEventId("")
        .setEventType(e.eventType())
        .setSchemaVersion(0)
        .setOccurredAtMillis(e.occurredAtMillis())
        .setReceivedAtMillis(e.receivedAtMillis())
        .setWorkspaceGid(e.workspaceGid())
        .setActorId(e.actorId())
        .setPlatform("")
        .setService(null)
        .setAppVersion(null)
        .setResourceType("")
        .setResourceGid("")
        .setTaskGid(e.taskGid())
        .setTriggerEventId(e.triggerEventId())
        .setTriggerEventType(e.triggerEventType())
        .setPayloadJson("")
        .setSource(NO_SOURCE)
        .build();
  }

  private static final class NarrowFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void processElement(@Element CollabEvent e, OutputReceiver<CollabEvent> out) {
      out.output(narrow(e));
    }
  }
}
