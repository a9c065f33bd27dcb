package io.collabpipeline.pipelines.generator;

import com.google.auto.value.AutoValue;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * What the synthetic workload looks like: how many records, which seed, how many workspaces and
 * users, the synthetic arrival clock, and the shares of duplicates, late, too-late and malformed
 * deliveries.
 *
 * <p>Immutable; change a copy with the {@code withX()} methods. The same spec gives the same
 * records, byte for byte, on every machine and every run: the arrival clock starts at a fixed
 * {@link #start()}, not at the wall clock.
 */
@AutoValue
public abstract class WorkloadSpec implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The fixed default start of the synthetic arrival clock: a Monday morning, UTC. */
  public static final Instant DEFAULT_START = Instant.parse("2026-11-02T08:00:00Z");

  /**
   * The validation's default {@code --maxEventAge}: a valid event (original or retry) must not
   * arrive more than this long after it occurred, or it would be quarantined as {@code
   * OCCURRED_TOO_LONG_AGO}.
   */
  private static final Duration MAX_EVENT_AGE =
      Duration.ofDays(ValidateEvents.DEFAULT_MAX_EVENT_AGE_DAYS);

  /** Total number of deliveries: originals, duplicates and malformed records together. */
  public abstract long deliveries();

  /** Seed of every random choice; with the index it determines a delivery entirely. */
  public abstract long seed();

  /** Number of workspaces; their sizes and activity follow a skewed (Zipf-like) distribution. */
  public abstract int workspaces();

  /** Mean number of users per workspace (large workspaces have many more, small ones fewer). */
  public abstract int usersPerWorkspace();

  /** Arrival time of delivery 0 on the synthetic arrival clock. */
  public abstract Instant start();

  /**
   * Deliveries per second of the synthetic arrival clock: delivery {@code i} arrives at {@code
   * start + i / rate}.
   */
  public abstract double syntheticRate();

  /**
   * Share of deliveries that are retries: the exact bytes of an earlier valid delivery, arriving
   * later.
   */
  public abstract double duplicateShare();

  /** Share of events that occurred minutes (up to {@link #maxLateness()}) before they arrived. */
  public abstract double lateShare();

  /** Upper bound of the delay of a late event. */
  public abstract Duration maxLateness();

  /** Share of events that occurred at least {@link #tooLateDelay()} before they arrived. */
  public abstract double tooLateShare();

  /**
   * Minimum delay of a too-late event: beyond the metrics' allowed lateness. Too-late delays are
   * spread over one hour from this minimum.
   */
  public abstract Duration tooLateDelay();

  /** Share of deliveries that are malformed and must be quarantined. */
  public abstract double malformedShare();

  /** Whether malformed deliveries include records over the 1 MiB limit (costly: off by default). */
  public abstract boolean tooLargeEnabled();

  /**
   * Whether malformed deliveries include events with a wrong clock: otherwise valid events whose
   * {@code occurred_at} is about 2 days after their arrival ({@code OCCURRED_IN_FUTURE}) or about
   * 181 days before it ({@code OCCURRED_TOO_LONG_AGO}), a day beyond the validation's default
   * bounds. Off by default, which keeps the default workload's bytes unchanged; turning it on
   * changes which corruption each malformed delivery gets.
   */
  public abstract boolean clockSkewEnabled();

  /** Share of {@code task.updated} events sent as {@code schema_version} 2. */
  public abstract double v2Share();

  /** A retry repeats a delivery at most this many deliveries earlier. */
  public abstract int maxRetryDistance();

  /**
   * The defaults: 100,000 deliveries at 40/s from {@link #DEFAULT_START}, 3% duplicates, 5% late,
   * 1% malformed.
   */
  public static WorkloadSpec defaults() {
    return new AutoValue_WorkloadSpec.Builder()
        .setDeliveries(100_000L)
        .setSeed(20261102L)
        .setWorkspaces(40)
        .setUsersPerWorkspace(250)
        .setStart(DEFAULT_START)
        .setSyntheticRate(40.0)
        .setDuplicateShare(0.03)
        .setLateShare(0.05)
        .setMaxLateness(Duration.ofMinutes(45))
        .setTooLateShare(0.0)
        .setTooLateDelay(Duration.ofHours(2))
        .setMalformedShare(0.01)
        .setTooLargeEnabled(false)
        .setClockSkewEnabled(false)
        .setV2Share(0.3)
        .setMaxRetryDistance(2000)
        .build();
  }

  abstract Builder toBuilder();

  public WorkloadSpec withDeliveries(long deliveries) {
    return toBuilder().setDeliveries(deliveries).build();
  }

  public WorkloadSpec withSeed(long seed) {
    return toBuilder().setSeed(seed).build();
  }

  public WorkloadSpec withWorkspaces(int workspaces) {
    return toBuilder().setWorkspaces(workspaces).build();
  }

  public WorkloadSpec withUsersPerWorkspace(int usersPerWorkspace) {
    return toBuilder().setUsersPerWorkspace(usersPerWorkspace).build();
  }

  public WorkloadSpec withStart(Instant start) {
    return toBuilder().setStart(start).build();
  }

  public WorkloadSpec withSyntheticRate(double deliveriesPerSecond) {
    return toBuilder().setSyntheticRate(deliveriesPerSecond).build();
  }

  public WorkloadSpec withDuplicateShare(double share) {
    return toBuilder().setDuplicateShare(share).build();
  }

  public WorkloadSpec withLateShare(double share) {
    return toBuilder().setLateShare(share).build();
  }

  public WorkloadSpec withMaxLateness(Duration maxLateness) {
    return toBuilder().setMaxLateness(maxLateness).build();
  }

  public WorkloadSpec withTooLateShare(double share) {
    return toBuilder().setTooLateShare(share).build();
  }

  public WorkloadSpec withTooLateDelay(Duration minimumDelay) {
    return toBuilder().setTooLateDelay(minimumDelay).build();
  }

  public WorkloadSpec withMalformedShare(double share) {
    return toBuilder().setMalformedShare(share).build();
  }

  public WorkloadSpec withTooLargeEnabled(boolean enabled) {
    return toBuilder().setTooLargeEnabled(enabled).build();
  }

  /**
   * Adds {@code OCCURRED_IN_FUTURE} and {@code OCCURRED_TOO_LONG_AGO} to the malformed mix (see
   * {@link #clockSkewEnabled()}). The skews are judged against each delivery's arrival time, and
   * the day of margin beyond the bounds survives publishing on the wall clock, where arrival is the
   * broker's append time.
   */
  public WorkloadSpec withClockSkewEnabled(boolean enabled) {
    return toBuilder().setClockSkewEnabled(enabled).build();
  }

  public WorkloadSpec withV2Share(double share) {
    return toBuilder().setV2Share(share).build();
  }

  public WorkloadSpec withMaxRetryDistance(int distance) {
    return toBuilder().setMaxRetryDistance(distance).build();
  }

  /**
   * Checks that the spec describes a workload that can be generated.
   *
   * @throws IllegalArgumentException naming the {@code withX()} method of the first bad value
   */
  public void validate() {
    check(deliveries() >= 0, "withDeliveries(n) needs n >= 0, got " + deliveries());
    check(workspaces() >= 1, "withWorkspaces(n) needs n >= 1, got " + workspaces());
    check(
        usersPerWorkspace() >= 2,
        "withUsersPerWorkspace(n) needs n >= 2, got " + usersPerWorkspace());
    check(
        syntheticRate() > 0 && !Double.isInfinite(syntheticRate()),
        "withSyntheticRate(r) needs a finite r > 0, got " + syntheticRate());
    checkShare(duplicateShare(), "withDuplicateShare");
    checkShare(lateShare(), "withLateShare");
    checkShare(tooLateShare(), "withTooLateShare");
    checkShare(malformedShare(), "withMalformedShare");
    checkShare(v2Share(), "withV2Share");
    check(
        duplicateShare() + malformedShare() <= 1.0,
        "withDuplicateShare(s) + withMalformedShare(s) must not exceed 1");
    check(
        lateShare() + tooLateShare() <= 1.0,
        "withLateShare(s) + withTooLateShare(s) must not exceed 1");
    check(
        maxLateness().compareTo(Duration.ofSeconds(6)) >= 0,
        "withMaxLateness(d) needs d >= 6 s (normal events are already up to 5 s late), got "
            + maxLateness());
    check(
        tooLateDelay().compareTo(maxLateness()) > 0,
        "withTooLateDelay(d) needs d > maxLateness " + maxLateness() + ", got " + tooLateDelay());
    check(
        maxRetryDistance() >= 1, "withMaxRetryDistance(n) needs n >= 1, got " + maxRetryDistance());
    checkValidEventsAreNotTooOld();
  }

  /**
   * Valid events must pass the validation's default age bound ({@link #MAX_EVENT_AGE}): the oldest
   * original is a too-late (or late) one, and a retry of it arrives up to {@code maxRetryDistance +
   * DeliveryPlan.MAX_SCAN - 1} deliveries later.
   */
  private void checkValidEventsAreNotTooOld() {
    Duration oldestOriginal = Duration.ofMillis(5_000L);
    if (tooLateShare() > 0) {
      check(
          tooLateDelay().compareTo(MAX_EVENT_AGE.minusMillis(DeliveryTimes.TOO_LATE_SPREAD_MILLIS))
              <= 0,
          "withTooLateDelay(d) needs d + 1 h <= "
              + MAX_EVENT_AGE.toDays()
              + " days (the default --maxEventAge), got "
              + tooLateDelay());
      oldestOriginal = tooLateDelay().plusMillis(DeliveryTimes.TOO_LATE_SPREAD_MILLIS);
    } else if (lateShare() > 0) {
      check(
          maxLateness().compareTo(MAX_EVENT_AGE) <= 0,
          "withMaxLateness(d) needs d <= "
              + MAX_EVENT_AGE.toDays()
              + " days (the default --maxEventAge), got "
              + maxLateness());
      oldestOriginal = maxLateness();
    }
    if (duplicateShare() > 0) {
      double retrySpanMillis =
          Math.ceil((maxRetryDistance() + DeliveryPlan.MAX_SCAN - 1.0) * 1000.0 / syntheticRate());
      check(
          oldestOriginal.toMillis() + retrySpanMillis <= MAX_EVENT_AGE.toMillis(),
          "withMaxRetryDistance(n) at withSyntheticRate(r) lets a retry arrive more than "
              + MAX_EVENT_AGE.toDays()
              + " days (the default --maxEventAge) after its event occurred; lower n or raise r, got n = "
              + maxRetryDistance()
              + ", r = "
              + syntheticRate());
    }
  }

  private static void checkShare(double share, String method) {
    check(share >= 0.0 && share <= 1.0, method + "(s) needs 0 <= s <= 1, got " + share);
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDeliveries(long value);

    abstract Builder setSeed(long value);

    abstract Builder setWorkspaces(int value);

    abstract Builder setUsersPerWorkspace(int value);

    abstract Builder setStart(Instant value);

    abstract Builder setSyntheticRate(double value);

    abstract Builder setDuplicateShare(double value);

    abstract Builder setLateShare(double value);

    abstract Builder setMaxLateness(Duration value);

    abstract Builder setTooLateShare(double value);

    abstract Builder setTooLateDelay(Duration value);

    abstract Builder setMalformedShare(double value);

    abstract Builder setTooLargeEnabled(boolean value);

    abstract Builder setClockSkewEnabled(boolean value);

    abstract Builder setV2Share(double value);

    abstract Builder setMaxRetryDistance(int value);

    abstract WorkloadSpec build();
  }
}
