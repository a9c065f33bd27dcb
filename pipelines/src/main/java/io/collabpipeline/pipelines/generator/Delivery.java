package io.collabpipeline.pipelines.generator;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.ReasonCode;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One synthetic delivery with its ground truth: the bytes a client sent, when they arrived on the
 * synthetic arrival clock, and what the pipeline must make of them.
 */
@AutoValue
public abstract class Delivery {

  /** What the pipeline must make of a delivery. */
  public enum Kind {
    /** A valid event, delivered for the first time. */
    ORIGINAL,
    /** A retry: exactly the bytes of an earlier {@link #ORIGINAL}, arriving later. */
    DUPLICATE,
    /**
     * A corrupted record that validation must quarantine with {@link Delivery#expectedReason()}.
     */
    MALFORMED
  }

  /**
   * Position in the workload, 0-based; also the generator's sequence number in the record's source.
   */
  public abstract long index();

  /**
   * The JSON line as sent: UTF-8 (except where deliberately corrupted), without a trailing newline.
   */
  @SuppressWarnings("mutable")
  public abstract byte[] bytes();

  /**
   * Arrival time on the synthetic arrival clock, in epoch milliseconds; non-decreasing in {@link
   * #index()}.
   */
  public abstract long arrivalMillis();

  public abstract Kind kind();

  /**
   * The reason code validation must give a {@link Kind#MALFORMED} delivery; null for the other
   * kinds.
   */
  public abstract @Nullable ReasonCode expectedReason();

  /** The event id the bytes carry, where there is one (null for an empty record). */
  public abstract @Nullable String eventId();

  /**
   * The event type the bytes carry (possibly an unregistered one for malformed records); null when
   * none.
   */
  public abstract @Nullable String eventType();

  /**
   * For a {@link Kind#DUPLICATE}, the index of the {@link Kind#ORIGINAL} it repeats; otherwise -1.
   */
  public abstract long retryOf();

  /**
   * When the event occurred (its {@code occurred_at}), in epoch milliseconds; for a duplicate, the
   * original's.
   */
  public abstract long occurredAtMillis();

  static Delivery create(
      long index,
      byte[] bytes,
      long arrivalMillis,
      Kind kind,
      @Nullable ReasonCode expectedReason,
      @Nullable String eventId,
      @Nullable String eventType,
      long retryOf,
      long occurredAtMillis) {
    return new AutoValue_Delivery(
        index,
        bytes,
        arrivalMillis,
        kind,
        expectedReason,
        eventId,
        eventType,
        retryOf,
        occurredAtMillis);
  }
}
