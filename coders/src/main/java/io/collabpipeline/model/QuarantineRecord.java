package io.collabpipeline.model;

import com.google.auto.value.AutoValue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A rejected record: the original as received, why it was rejected, and where it came from. The
 * {@link #detail()} names the failing location and rule (a JSON pointer, a keyword), never a value
 * from the payload, so it is safe to log and to show on a dashboard.
 */
@AutoValue
public abstract class QuarantineRecord {

  public abstract RawRecord original();

  public abstract ReasonCode reason();

  /** A short, payload-free explanation, e.g. {@code /actor/user_gid: required}. */
  public abstract String detail();

  /** The event id if it could be read, to find the record again; null otherwise. */
  public abstract @Nullable String eventId();

  /** The event type if it could be read; null otherwise. */
  public abstract @Nullable String eventType();

  public static QuarantineRecord of(
      RawRecord original,
      ReasonCode reason,
      String detail,
      @Nullable String eventId,
      @Nullable String eventType) {
    return new AutoValue_QuarantineRecord(original, reason, detail, eventId, eventType);
  }
}
