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
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
