package io.collabpipeline.pipelines;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Options for the in-process Flink cluster that the benchmark and the tests run the graph on. */
public final class EmbeddedFlink {
  private EmbeddedFlink() {}

  /**
   * The longest a streaming bundle lasts, in milliseconds: what {@code bin/collab-pipeline} passes
   * as {@code --maxBundleTimeMills} unless given one, and what these options set.
   *
   * <p>Beam's Flink runner (2.70) hands a step's output watermark on only between bundles: a bundle
   * closed by its time limit schedules the watermark's update, which is dropped if a new bundle has
   * started by the time it runs, as it usually has while records flow. With Beam's default of 1 s,
   * at 1,000 records/s each step of the Kafka source's chain held the watermark back by seconds to
   * tens of seconds (the Flink REST API showed the source's output 10 s behind the clock, the next
   * step 24 to 31 s and the one after it 54 s), and the dedup, which passes an event on when the
   * watermark reaches its arrival, with it: event-to-queryable P95 38 to 94 s. With bundles of at
   * most 100 ms the same run's P95 was 9.1 s, and 13.7 s when repeated. Bundles of more than 1,000
   * records still end at that count (Beam's {@code --maxBundleSize}), which updates the watermark
   * at once.
   */
  public static final long MAX_BUNDLE_MILLIS = 100L;

  /** The Flink runner on an in-process mini-cluster ({@code [local]}), batch or streaming. */
  public static FlinkPipelineOptions options(boolean streaming, int parallelism) {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(parallelism);
    options.setStreaming(streaming);
    options.setMaxBundleTimeMills(MAX_BUNDLE_MILLIS);
    return options;
  }
}
