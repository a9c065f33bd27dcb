package io.collabpipeline.pipelines.generator;

/** Cumulative distributions for the workload's weighted draws. */
final class Cdf {

  private Cdf() {}

  /**
   * The cumulative distribution of {@code weights}, in their order: element i is the share of
   * weights 0..i, and the last element is exactly 1.0 (so a draw in [0, 1) always lands).
   */
  static double[] of(double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double[] cdf = new double[weights.length];
    double running = 0;
    for (int i = 0; i < weights.length; i++) {
      running += weights[i];
      cdf[i] = running / total;
    }
    cdf[weights.length - 1] = 1.0;
    return cdf;
  }
}
