package io.collabpipeline.transforms;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Reading a finished pipeline's Beam counters (the namespaces and names are the transforms'
 * constants): the replays' summaries, the benchmark, the tests.
 */
public final class Counters {
  private Counters() {}

  /** The sum over all steps of a counter's attempted value; 0 if it was never incremented. */
  public static long attempted(PipelineResult result, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c : query(result, namespace, name)) {
      sum += c.getAttempted();
    }
    return sum;
  }

  /**
   * The sum over all steps of a counter's committed value where the runner keeps committed metrics,
   * of its attempted value where it does not; 0 if it was never incremented.
   *
   * <p>The DirectRunner commits a bundle's counters as it commits the bundle, but folds them into
   * the attempted values later, on an executor: its attempted values can miss updates after {@code
   * waitUntilFinish} (apache/beam#19816), its committed values cannot. Flink reports attempted
   * values only, and they are final when its job is.
   */
  public static long committedOrAttempted(PipelineResult result, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c : query(result, namespace, name)) {
      sum += committedOrAttempted(c);
    }
    return sum;
  }

  /** One step's counter: its committed value where the runner keeps one, else its attempted. */
  public static long committedOrAttempted(MetricResult<Long> counter) {
    try {
      Long committed = counter.getCommitted();
      return committed == null ? counter.getAttempted() : committed;
    } catch (UnsupportedOperationException e) {
      return counter.getAttempted();
    }
  }

  private static Iterable<MetricResult<Long>> query(
      PipelineResult result, String namespace, String name) {
    return result
        .metrics()
        .queryMetrics(
            MetricsFilter.builder().addNameFilter(MetricNameFilter.named(namespace, name)).build())
        .getCounters();
  }
}
