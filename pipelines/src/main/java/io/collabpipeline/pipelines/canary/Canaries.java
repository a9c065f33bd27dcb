package io.collabpipeline.pipelines.canary;

import io.collabpipeline.model.CollabEvent;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * What a canary event of the freshness probe ({@code bin/collab-canary}) is: an ordinary, valid
 * envelope event of a registered type ({@value #EVENT_TYPE}, schema version 1) in the reserved
 * workspace {@value #WORKSPACE_GID}, which no product workspace has (workspace gids are positive).
 * The one place that says so: the probe builds canaries with {@link #json}, the graph recognizes
 * them with {@link #isCanary}.
 *
 * <p>Canaries are normal records for everything that accounts for records (completeness, the raw
 * store, the lost-event audit), and are kept out of the curated metrics by {@link SplitCanaries} in
 * every mode; the live graph writes them to {@code pipeline_canary} instead.
 */
public final class Canaries {
  /** The reserved workspace of canary events. No product workspace has gid 0. */
  public static final String WORKSPACE_GID = "0";

  /** The registered event type canaries use (they take the task metrics' path until the split). */
  public static final String EVENT_TYPE = "task.updated";

  /** Every canary's event id starts with this. */
  public static final String EVENT_ID_PREFIX = "canary-";

  private static final Pattern EVENT_ID =
      Pattern.compile("^" + EVENT_ID_PREFIX + "([0-9]{1,9})-([0-9]{1,19})$");

  private Canaries() {}

  /** Whether {@code event} is a canary: it belongs to the reserved workspace. */
  public static boolean isCanary(CollabEvent event) {
    return WORKSPACE_GID.equals(event.workspaceGid());
  }

  /**
   * The event id of the canary published into {@code partition} at {@code publishedAtMillis}:
   * {@code canary-<partition>-<epoch millis>}, 8 to 64 characters of {@code [A-Za-z0-9_-]} as the
   * envelope requires, unique per partition and millisecond.
   */
  public static String eventId(int partition, long publishedAtMillis) {
    if (partition < 0 || publishedAtMillis < 0) {
      throw new IllegalArgumentException(
          "a canary needs a partition and a time >= 0, got "
              + partition
              + ", "
              + publishedAtMillis);
    }
    return EVENT_ID_PREFIX + partition + "-" + publishedAtMillis;
  }

  /** The partition a canary event id names, or -1 if {@code eventId} is not a canary's. */
  public static int partitionOf(String eventId) {
    var m = EVENT_ID.matcher(eventId);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /**
   * The canary's envelope, one JSON object: {@value #EVENT_TYPE} v1 in workspace {@value
   * #WORKSPACE_GID}, occurred at {@code occurredAt} (millisecond precision, UTC), from platform
   * {@code backend}, service {@code collab-canary}; no PII (the actor is user 0, no context).
   */
  public static String json(String eventId, Instant occurredAt) {
    if (!eventId.matches("^[A-Za-z0-9_-]{8,64}$")) {
      throw new IllegalArgumentException("not an envelope event id: " + eventId);
    }
    String occurred =
        DateTimeFormatter.ISO_INSTANT.format(occurredAt.truncatedTo(ChronoUnit.MILLIS));
    return "{\"event_id\":\""
        + eventId
        + "\",\"event_type\":\""
        + EVENT_TYPE
        + "\",\"schema_version\":1,\"occurred_at\":\""
        + occurred
        + "\",\"workspace_gid\":\""
        + WORKSPACE_GID
        + "\",\"actor\":{\"user_gid\":\"0\"}"
        + ",\"source\":{\"platform\":\"backend\",\"service\":\"collab-canary\"}"
        + ",\"resource\":{\"type\":\"task\",\"gid\":\"0\"}"
        + ",\"payload\":{\"task_gid\":\"0\",\"project_gids\":[],\"changed_fields\":[\"canary\"]}}";
  }
}
