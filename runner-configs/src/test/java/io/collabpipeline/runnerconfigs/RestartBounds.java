package io.collabpipeline.runnerconfigs;

import java.time.Duration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;

/**
 * What a Flink restart strategy tolerates, computed from a configuration's values the way Flink
 * 1.19 applies them: how long a fault that fails every attempt at once (a service down) may last
 * before the strategy gives up and the job fails. Only the restart delays are counted, each at its
 * shortest (minus the jitter), so the result is a lower bound: in practice every attempt also runs
 * until it fails.
 */
final class RestartBounds {
  private RestartBounds() {}

  /** Stands for "never gives up". */
  static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE);

  /**
   * The shortest total of restart delays before the strategy of {@code conf} gives up, or {@link
   * #FOREVER}.
   *
   * @throws IllegalArgumentException for a strategy this does not know (so a new one is not
   *     silently judged)
   */
  static Duration toleratedOutage(ReadableConfig conf) {
    String type = conf.get(RestartStrategyOptions.RESTART_STRATEGY);
    if (type == null) {
      throw new IllegalArgumentException(
          "no restart-strategy.type: Flink would pick one by checkpointing; set it explicitly");
    }
    switch (type) {
      case "none":
      case "off":
      case "disable":
        return Duration.ZERO;
      case "fixed-delay":
      case "fixeddelay":
        {
          long attempts = conf.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS);
          Duration delay = conf.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY);
          return saturatedTimes(delay, attempts);
        }
      case "failure-rate":
      case "failurerate":
        {
          int max =
              conf.get(
                  RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL);
          Duration interval =
              conf.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL);
          Duration delay = conf.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY);
          // One failure per delay: if that rate stays within max per interval, it never gives up.
          if (delay.toMillis() > 0 && interval.toMillis() / delay.toMillis() < max) {
            return FOREVER;
          }
          return saturatedTimes(delay, max);
        }
      case "exponential-delay":
      case "exponentialdelay":
        return exponentialDelay(conf);
      default:
        throw new IllegalArgumentException("unknown restart strategy " + type);
    }
  }

  /**
   * Sum over the attempts of {@code min(initial x multiplier^i, max)}, each shortened by the jitter
   * factor; {@link #FOREVER} for an unlimited number of attempts.
   */
  private static Duration exponentialDelay(ReadableConfig conf) {
    long initial =
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF)
            .toMillis();
    long max =
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF).toMillis();
    double multiplier =
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER);
    double jitter =
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR);
    int attempts = conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS);
    if (attempts == Integer.MAX_VALUE) {
      return FOREVER; // Flink's default: no limit
    }
    double total = 0;
    double backoff = initial;
    for (int i = 0; i < attempts; i++) {
      total += Math.min(backoff, max) * (1 - jitter);
      backoff *= multiplier;
    }
    return Duration.ofMillis((long) total);
  }

  /**
   * The delay before the next attempt once the strategy has backed off fully: how long after an
   * outage ends the job may still wait (at most, with the jitter).
   */
  static Duration longestDelay(ReadableConfig conf) {
    String type = conf.get(RestartStrategyOptions.RESTART_STRATEGY);
    switch (type) {
      case "fixed-delay":
      case "fixeddelay":
        return conf.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY);
      case "failure-rate":
      case "failurerate":
        return conf.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY);
      case "exponential-delay":
      case "exponentialdelay":
        long max =
            conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF)
                .toMillis();
        double jitter =
            conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR);
        return Duration.ofMillis((long) Math.ceil(max * (1 + jitter)));
      default:
        return Duration.ZERO;
    }
  }

  private static Duration saturatedTimes(Duration delay, long times) {
    if (times == Integer.MAX_VALUE) {
      return FOREVER;
    }
    return delay.multipliedBy(times);
  }
}
