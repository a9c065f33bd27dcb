package io.collabpipeline.pipelines.generator;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.GeneratorOptions;

/**
 * The generator's options ({@link GeneratorOptions}: {@code --events}, {@code --seed}, {@code
 * --rate} and the shares) turned into a {@link WorkloadSpec}, checked once for every command that
 * generates a workload: the main job and the Kafka publisher refuse the same values with the same
 * one-line messages.
 */
public final class GeneratorConfig {

  /**
   * The largest sum of the duplicate, late, too-late and malformed shares: above it too few plain
   * events remain.
   */
  public static final double MAX_SHARE_SUM = 0.9;

  private GeneratorConfig() {}

  /**
   * The workload the options describe: {@link WorkloadSpec#defaults()} with their deliveries, seed
   * and shares. {@code --rate} is checked here too (0 or more) but is not part of the spec: the
   * caller paces the deliveries.
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
    WorkloadSpec workload =
        WorkloadSpec.defaults()
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
      // Not reached with the checks above and the defaults' other values; kept so a new check in
      // validate() still
      // reaches the user as one line.
      throw new UsageException("bad workload options: " + e.getMessage());
    }
    return workload;
  }

  private static double share(String option, Double value) {
    if (value == null || value.isNaN() || value < 0.0 || value > 1.0) {
      throw new UsageException(
          "--" + option + "=" + value + " must be a share between 0 and 1, e.g. 0.02");
    }
    return value;
  }
}
