package io.collabpipeline.transforms.metrics;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.Granularity;
import java.io.Serializable;
import org.joda.time.Duration;

/**
 * The timing of the metric and completeness windows: how soon an early pane fires, how late an
 * event may arrive and still count, and the slack by which Beam's own allowed lateness exceeds
 * ours.
 *
 * <p>{@link #allowedLateness()} is the data's rule: an event counts for a window of granularity g
 * only if it arrived no later than the window's end plus this duration. Beam's allowed lateness on
 * the windows is {@link #beamAllowedLateness()} = allowed lateness + slack, so the runner never
 * drops an event the rule admits.
 */
@AutoValue
public abstract class WindowingPolicy implements Serializable {

  /**
   * The default early-firing delay in seconds, a constant so that option annotations can name it.
   */
  public static final long DEFAULT_EARLY_FIRING_DELAY_SECONDS = 30;

  /** The default allowed lateness in hours, a constant so that option annotations can name it. */
  public static final long DEFAULT_ALLOWED_LATENESS_HOURS = 2;

  public static final Duration DEFAULT_EARLY_FIRING_DELAY =
      Duration.standardSeconds(DEFAULT_EARLY_FIRING_DELAY_SECONDS);
  public static final Duration DEFAULT_ALLOWED_LATENESS =
      Duration.standardHours(DEFAULT_ALLOWED_LATENESS_HOURS);
  public static final Duration DEFAULT_LATENESS_SLACK = Duration.standardMinutes(10);

  /** Processing time after the first element of a pane before an early pane fires (streaming). */
  public abstract Duration earlyFiringDelay();

  /** How long after a window's end (in arrival time) an event still counts for it. */
  public abstract Duration allowedLateness();

  /** Added to {@link #allowedLateness()} for Beam's own allowed lateness. */
  public abstract Duration latenessSlack();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setEarlyFiringDelay(Duration value);

    abstract Builder setAllowedLateness(Duration value);

    abstract Builder setLatenessSlack(Duration value);

    abstract WindowingPolicy build();
  }

  /** 30 s early firing delay, 2 hours allowed lateness, 10 minutes slack. */
  public static WindowingPolicy defaults() {
    return new AutoValue_WindowingPolicy.Builder()
        .setEarlyFiringDelay(DEFAULT_EARLY_FIRING_DELAY)
        .setAllowedLateness(DEFAULT_ALLOWED_LATENESS)
        .setLatenessSlack(DEFAULT_LATENESS_SLACK)
        .build();
  }

  public WindowingPolicy withEarlyFiringDelay(Duration delay) {
    return toBuilder().setEarlyFiringDelay(nonNegative("withEarlyFiringDelay", delay)).build();
  }

  public WindowingPolicy withAllowedLateness(Duration lateness) {
    return toBuilder().setAllowedLateness(nonNegative("withAllowedLateness", lateness)).build();
  }

  public WindowingPolicy withLatenessSlack(Duration slack) {
    return toBuilder().setLatenessSlack(nonNegative("withLatenessSlack", slack)).build();
  }

  /**
   * The data's lateness rule: whether an event that occurred at {@code occurredAtMillis} and
   * arrived at {@code receivedAtMillis} is too late for its window of {@code granularity}, i.e.
   * arrived after the window's end plus {@link #allowedLateness()}. An event too late for any
   * granularity is too late for its minute window (the one that ends first).
   */
  public boolean isTooLate(Granularity granularity, long occurredAtMillis, long receivedAtMillis) {
    long windowEnd = granularity.windowStart(occurredAtMillis) + granularity.size().getMillis();
    return receivedAtMillis > windowEnd + allowedLateness().getMillis();
  }

  /** The allowed lateness given to Beam: ours plus the slack. */
  public Duration beamAllowedLateness() {
    return allowedLateness().plus(latenessSlack());
  }

  private static Duration nonNegative(String method, Duration value) {
    if (value == null || value.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          method + "(Duration) needs a non-negative duration, got " + value);
    }
    return value;
  }
}
