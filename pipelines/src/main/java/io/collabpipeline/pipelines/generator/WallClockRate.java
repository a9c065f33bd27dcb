package io.collabpipeline.pipelines.generator;

/**
 * A token bucket on the wall clock: {@code ratePerSecond} tokens a second, at most {@code
 * burstSeconds × ratePerSecond} (and at least 1) held at once, one token to start with. A reader
 * asks {@link #take(long)} how many records are due at a time and emits that many as one batch; it
 * reads the clock once per batch and never sleeps.
 *
 * <p>The burst bound is what keeps the rate steady: after a stall (a GC pause, back pressure) the
 * source catches up at most {@code burstSeconds} of records at once instead of all the time it
 * lost, so no window of the output is much faster than the rate. Not thread-safe: one per reader.
 */
final class WallClockRate {
  private final double ratePerSecond;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  WallClockRate(double ratePerSecond, double burstSeconds, long startNanos) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate must be finite and > 0, got " + ratePerSecond);
    }
    if (!(burstSeconds > 0)) {
      throw new IllegalArgumentException("burstSeconds must be > 0, got " + burstSeconds);
    }
    this.ratePerSecond = ratePerSecond;
    this.capacity = Math.max(1.0, ratePerSecond * burstSeconds);
    this.tokens = 1.0;
    this.lastNanos = startNanos;
  }

  /**
   * Takes every whole token the bucket holds at {@code nowNanos} (a {@link System#nanoTime()}
   * reading, never earlier than the last one): the number of records the caller may emit now, 0
   * when it is ahead of the rate.
   */
  long take(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * ratePerSecond / 1e9);
      lastNanos = nowNanos;
    }
    long due = (long) tokens;
    tokens -= due;
    return due;
  }
}
