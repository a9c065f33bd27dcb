package io.collabpipeline.pipelines.generator;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.GeneratorOptions;
import java.math.BigDecimal;

/**
 * The generator's options ({@link GeneratorOptions}: {@code --events}, {@code --seed}, {@code
 * --rate}, {@code --arrivalRate} and the shares) turned into a {@link WorkloadSpec}, checked once
 * for every command that generates a workload: the main job and the Kafka publisher refuse the same
 * values with the same one-line messages.
 */
public final class GeneratorConfig {

  /**
   * The largest sum of the duplicate, late, too-late and malformed shares: above it too few plain
   * events remain.
   */
  public static final double MAX_SHARE_SUM = 0.9;

  private GeneratorConfig() {}

  /**
   * The workload the options describe: {@link WorkloadSpec#defaults()} with their deliveries, seed,
   * arrival clock and shares. {@code --rate} is checked here too (0 or more) but is not part of the
   * spec: the caller paces the deliveries.
   *
   * @throws UsageException whose one line names the first bad option and how to fix it
   */
  public static WorkloadSpec workloadFrom(GeneratorOptions o) {
    long events = o.getEvents();
    if (events < 1) {
      throw new UsageException("--events=" + events + " must be at least 1");
    }
    if (o.getRate() < 0) {
      throw new UsageException(
          "--rate=" + o.getRate() + " must be 0 (as fast as possible) or a positive records/s");
    }
    WorkloadSpec defaults = WorkloadSpec.defaults();
    if (o.getArrivalRate() != null) {
      defaults = defaults.withSyntheticRate(arrivalRate(plain(o.getArrivalRate())));
    }
    WorkloadSpec workload =
        defaults
            .withDeliveries(events)
            .withSeed(o.getSeed())
            .withDuplicateShare(share("duplicateShare", o.getDuplicateShare()))
            .withLateShare(share("lateShare", o.getLateShare()))
            .withTooLateShare(share("tooLateShare", o.getTooLateShare()))
            .withMalformedShare(share("malformedShare", o.getMalformedShare()));
    double sum =
        o.getDuplicateShare() + o.getLateShare() + o.getTooLateShare() + o.getMalformedShare();
    if (sum > MAX_SHARE_SUM) {
      throw new UsageException(
          "--duplicateShare + --lateShare + --tooLateShare + --malformedShare = "
              + sum
              + " leaves too few plain "
              + "events; keep the sum at or below 0.9");
    }
    try {
      workload.validate();
    } catch (IllegalArgumentException e) {
      if (o.getArrivalRate() != null && e.getMessage().contains("withSyntheticRate")) {
        throw new UsageException(
            "--arrivalRate="
                + plain(o.getArrivalRate())
                + " is too slow: a retry would arrive longer after its event occurred than the"
                + " default --maxEventAge accepts; raise it, or set --duplicateShare=0");
      }
      // Not reached with the checks above and the defaults' other values; kept so a new check in
      // validate() still
      // reaches the user as one line.
      throw new UsageException("bad workload options: " + e.getMessage());
    }
    return workload;
  }

  /**
   * {@code value} as the synthetic arrival clock's deliveries per second ({@code --arrivalRate}): a
   * finite number above 0.
   *
   * @throws UsageException naming {@code --arrivalRate} and what it takes
   */
  public static double arrivalRate(String value) {
    double r;
    try {
      r = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      r = Double.NaN;
    }
    if (!(r > 0.0) || Double.isInfinite(r)) {
      throw new UsageException(
          "--arrivalRate="
              + value
              + " must be a positive number of deliveries per second of the arrival clock, e.g. 2"
              + " (the default is "
              + plain(WorkloadSpec.defaults().syntheticRate())
              + ")");
    }
    return r;
  }

  /** {@code 0.0001} as a user writes it, not {@code 1.0E-4}. */
  public static String plain(double value) {
    return Double.isFinite(value)
        ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
        : String.valueOf(value);
  }

  private static double share(String option, Double value) {
    if (value == null || value.isNaN() || value < 0.0 || value > 1.0) {
      throw new UsageException(
          "--" + option + "=" + value + " must be a share between 0 and 1, e.g. 0.02");
    }
    return value;
  }
}
