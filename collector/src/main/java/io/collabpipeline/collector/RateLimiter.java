package io.collabpipeline.collector;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket of events per second for each app: {@code eventsPerSecond} tokens a second, at
 * most {@code burst} saved up. A batch takes as many tokens as it has events, all or none.
 */
final class RateLimiter {
  private final double perNano;
  private final double burst;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long at;
  }

  RateLimiter(double eventsPerSecond, double burst) {
    this.perNano = eventsPerSecond / 1e9;
    this.burst = burst;
  }

  /**
   * Takes {@code n} tokens of {@code app}'s bucket: 0 if taken, else the seconds until they would
   * be there (for {@code Retry-After}).
   */
  long tryAcquire(String app, int n, long nowNanos) {
    Bucket b =
        buckets.computeIfAbsent(
            app,
            a -> {
              Bucket fresh = new Bucket();
              fresh.tokens = burst;
              fresh.at = nowNanos;
              return fresh;
            });
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (nowNanos - b.at) * perNano);
      b.at = nowNanos;
      if (b.tokens >= n) {
        b.tokens -= n;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((n - b.tokens) / perNano / 1e9));
    }
  }
}
