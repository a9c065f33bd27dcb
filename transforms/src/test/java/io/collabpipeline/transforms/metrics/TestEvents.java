package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/** Small builders for hand-made test inputs, shared by the dedup, time and metrics tests. */
public final class TestEvents {
  private TestEvents() {}

  /** A minimal valid event; tests override what they need on the returned builder. */
  public static CollabEvent.Builder event(
      String eventId, String eventType, long occurredAt, long receivedAt) {
    return CollabEvent.builder()
        .setEventId(eventId)
        .setEventType(eventType)
        .setSchemaVersion(1)
        .setOccurredAtMillis(occurredAt)
        .setReceivedAtMillis(receivedAt)
        .setWorkspaceGid("100")
        .setActorId("actor-1")
        .setPlatform("web")
        .setResourceType("task")
        .setResourceGid("1")
        .setPayloadJson("{}")
        .setSource(SourceRef.kafka("events", 0, 0L));
  }

  /** The event timestamped at its arrival time, as every source emits it. */
  public static TimestampedValue<CollabEvent> atArrival(CollabEvent e) {
    return TimestampedValue.of(e, new Instant(e.receivedAtMillis()));
  }

  public static List<TimestampedValue<CollabEvent>> atArrival(List<CollabEvent> events) {
    List<TimestampedValue<CollabEvent>> out = new ArrayList<>();
    for (CollabEvent e : events) {
      out.add(atArrival(e));
    }
    return out;
  }
}
