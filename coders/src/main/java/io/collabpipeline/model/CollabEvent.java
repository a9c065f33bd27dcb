package io.collabpipeline.model;

import com.google.auto.value.AutoValue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A validated event after PII minimization: what the raw store holds and what every downstream step
 * sees.
 *
 * <p>It holds no direct PII and no free text. User identifiers ({@link #actorId()} and the user
 * gids inside {@link #payloadJson()}) are keyed-hash pseudonyms. {@link #payloadJson()} is the
 * minimized payload as canonical JSON (keys sorted, no insignificant white space), so equal
 * payloads have equal bytes. The few payload facts the metrics need are lifted into typed fields so
 * the metric steps never re-parse JSON.
 */
@AutoValue
public abstract class CollabEvent {

  public abstract String eventId();

  public abstract String eventType();

  public abstract int schemaVersion();

  /**
   * Event time ({@code occurred_at}) in UTC epoch milliseconds; also the element timestamp in the
   * pipeline.
   */
  public abstract long occurredAtMillis();

  /** Arrival time, see {@link RawRecord#receivedAtMillis()}. */
  public abstract long receivedAtMillis();

  public abstract String workspaceGid();

  /** Pseudonym of {@code actor.user_gid}. */
  public abstract String actorId();

  /** {@code source.platform}: web, ios, android or backend. */
  public abstract String platform();

  public abstract @Nullable String service();

  public abstract @Nullable String appVersion();

  public abstract String resourceType();

  public abstract String resourceGid();

  /** {@code payload.task_gid} for task and comment events; null otherwise. */
  public abstract @Nullable String taskGid();

  /** {@code payload.trigger_event_id} for {@code notification.sent}; null otherwise. */
  public abstract @Nullable String triggerEventId();

  /** {@code payload.trigger_event_type} for {@code notification.sent}; null otherwise. */
  public abstract @Nullable String triggerEventType();

  /** The minimized payload, canonical JSON. */
  public abstract String payloadJson();

  /** Where the accepted copy of this event came from. */
  public abstract SourceRef source();

  public static Builder builder() {
    return new AutoValue_CollabEvent.Builder();
  }

  public abstract Builder toBuilder();

  /**
   * This event without its payload ({@link #payloadJson()} empty), every other field as it is: what
   * the steps after the raw store read (the metrics, the completeness counters, the canaries). The
   * payload is most of an event's bytes, and each step boundary encodes and decodes the element.
   */
  public CollabEvent withoutPayload() {
    return payloadJson().isEmpty() ? this : toBuilder().setPayloadJson("").build();
  }

  /** Builder for {@link CollabEvent}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setEventId(String value);

    public abstract Builder setEventType(String value);

    public abstract Builder setSchemaVersion(int value);

    public abstract Builder setOccurredAtMillis(long value);

    public abstract Builder setReceivedAtMillis(long value);

    public abstract Builder setWorkspaceGid(String value);

    public abstract Builder setActorId(String value);

    public abstract Builder setPlatform(String value);

    public abstract Builder setService(@Nullable String value);

    public abstract Builder setAppVersion(@Nullable String value);

    public abstract Builder setResourceType(String value);

    public abstract Builder setResourceGid(String value);

    public abstract Builder setTaskGid(@Nullable String value);

    public abstract Builder setTriggerEventId(@Nullable String value);

    public abstract Builder setTriggerEventType(@Nullable String value);

    public abstract Builder setPayloadJson(String value);

    public abstract Builder setSource(SourceRef value);

    public abstract CollabEvent build();
  }
}
