package io.collabpipeline.pipelines.generator;

/**
 * When a delivery arrives and when its event occurred. Delivery {@code i} arrives at {@code start +
 * i / syntheticRate} (non-decreasing in i); a normal event occurred 0–5 s before it arrived, a late
 * one minutes before (at least one minute, or half of {@code maxLateness} if smaller, up to {@code
 * maxLateness}), a too-late one {@code tooLateDelay} plus up to an hour before. Pure functions of
 * (spec, index); thread-safe.
 */
final class DeliveryTimes {

  /** Too-late delays are spread over this long (one hour) from {@code tooLateDelay}. */
  static final long TOO_LATE_SPREAD_MILLIS = 3_600_000L;

  private final WorkloadSpec spec;
  private final long seed;
  private final long startMillis;

  DeliveryTimes(WorkloadSpec spec) {
    this.spec = spec;
    this.seed = spec.seed();
    this.startMillis = spec.start().toEpochMilli();
  }

  /** Arrival time of delivery {@code index} on the synthetic arrival clock, epoch millis. */
  long arrivalMillis(long index) {
    return arrivalMillis(startMillis, spec.syntheticRate(), index);
  }

  /** As {@link #arrivalMillis(long)}, from the spec's values alone. */
  static long arrivalMillis(long startMillis, double syntheticRate, long index) {
    return startMillis + (long) Math.floor(index * 1000.0 / syntheticRate);
  }

  /** When the event of delivery {@code index} occurred: its arrival minus its delay. */
  long occurredMillis(long index) {
    return arrivalMillis(index) - delayMillis(index);
  }

  /**
   * How long before its arrival the event of delivery {@code index} occurred: normal, late or too
   * late.
   */
  long delayMillis(long index) {
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, Salt.DELAY));
    double u = rng.nextDouble();
    if (u < spec.tooLateShare()) {
      return spec.tooLateDelay().toMillis() + rng.nextLong(TOO_LATE_SPREAD_MILLIS);
    }
    if (u < spec.tooLateShare() + spec.lateShare()) {
      long min = Math.min(60_000L, spec.maxLateness().toMillis() / 2);
      return min + rng.nextLong(spec.maxLateness().toMillis() - min + 1);
    }
    return rng.nextLong(5_001L);
  }
}
