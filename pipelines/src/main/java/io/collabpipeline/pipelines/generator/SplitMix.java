package io.collabpipeline.pipelines.generator;

/**
 * A tiny SplitMix64 generator with a stateless hash. Written out (rather than {@link
 * java.util.SplittableRandom}) so the workload is defined by this file alone and stays
 * byte-identical across JDKs.
 */
final class SplitMix {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long state;

  SplitMix(long seed) {
    this.state = seed;
  }

  /**
   * A well-mixed 64-bit hash of (seed, index, salt): every choice of the workload starts from one
   * of these.
   */
  static long hash(long seed, long index, long salt) {
    return mix64(mix64(seed ^ (salt * 0xD1B54A32D192ED03L)) + index * GOLDEN);
  }

  /** A uniform double in [0, 1) from a hash. */
  static double unit(long hash) {
    return (hash >>> 11) * 0x1.0p-53;
  }

  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  long nextLong() {
    state += GOLDEN;
    return mix64(state);
  }

  double nextDouble() {
    return unit(nextLong());
  }

  /** Uniform in [0, bound); bound must be positive. */
  int nextInt(int bound) {
    return (int) ((nextLong() >>> 1) % bound);
  }

  /** Uniform in [0, bound); bound must be positive. */
  long nextLong(long bound) {
    return (nextLong() >>> 1) % bound;
  }

  boolean chance(double probability) {
    return nextDouble() < probability;
  }

  <T> T pick(T[] values) {
    return values[nextInt(values.length)];
  }
}
