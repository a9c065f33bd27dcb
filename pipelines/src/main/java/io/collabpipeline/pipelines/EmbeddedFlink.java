package io.collabpipeline.pipelines;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Options for the in-process Flink cluster that the benchmark and the tests run the graph on. */
public final class EmbeddedFlink {
  private EmbeddedFlink() {}

  /**
   * The longest a streaming bundle lasts, in milliseconds: what {@code bin/collab-pipeline} passes
   * as {@code --maxBundleTimeMills} unless given one, and what these options set (Beam's own
   * default, written out because it matters).
   *
   * <p>Beam's Flink runner (2.70) hands a step's output watermark on only when no bundle is open. A
   * bundle that ends at its count ({@link #MAX_BUNDLE_SIZE}) updates the watermark at once; one
   * that ends at this time limit schedules the update, which is dropped if a new bundle has started
   * by the time it runs, as one usually has while records flow. So the watermark has to be carried
   * by bundles that end at their count: with at most 250 records, every step of a subtask that sees
   * more than 250 records/s ends its bundles so before a second passes.
   *
   * <p>What the settings did to the dedup, which passes an event on when the watermark reaches its
   * arrival (event-to-queryable latency with {@code --earlyFiringDelay=2s}; since 2026-12-04 {@code
   * bin/collab-benchmark --modes=freshness} on the dev stack, 2 subtasks, steady state):
   *
   * <ul>
   *   <li>1 s and Beam's 1,000 records (until 2026-12-02): at 1,000 records/s each step of the
   *       Kafka source's chain held the watermark back by seconds to tens of seconds; P95 38 to 94
   *       s ({@code StreamingEndToEndTest}).
   *   <li>100 ms and 1,000 records (2026-12-02 to 2026-12-04): the defect was rarer, not gone. At
   *       5,000 events/s (2,500 per subtask, fewer than 1,000 per 100 ms) every bundle ended at its
   *       time limit, and the warehouse's rows moved in steps of the 10-s checkpoint interval,
   *       since a checkpoint closes every bundle: P95 11.6 to 17.2 s in seven runs. At 100
   *       events/s, P95 5.1 s.
   *   <li>100 ms and 100 records: P95 7.1 to 9.2 s at 5,000/s (three runs), 29.1 s at 1,000/s.
   *   <li>1 s and 100 records: P95 5.2 s at 5,000/s and at 1,000/s, 19.6 s at 100/s (50 records/s a
   *       subtask: every bundle ends at the time limit again). But the graph's throughput on a
   *       backlog ({@code --modes=streaming}) fell 10 to 13%.
   *   <li>1 s and 250 records: P95 5.5 to 8.1 s at 5,000/s (three runs), 6.0 s at 1,000/s and 18.5
   *       s at 100/s; throughput on a backlog within the noise of 100 ms and 1,000 records (two
   *       alternating pairs); the job's process used 1.19 to 1.26 cores at 5,000/s, against 1.25 to
   *       1.38 with 100-ms bundles.
   * </ul>
   *
   * <p>A stream slower than about 250 records/s a subtask waits for the scheduled updates again (on
   * the production profile's 72 subtasks, below about 18,000 events/s): there {@code
   * --maxBundleTimeMills=100 --maxBundleSize=1000} is the better setting.
   */
  public static final long MAX_BUNDLE_MILLIS = 1_000L;

  /**
   * The most records a streaming bundle holds: what {@code bin/collab-pipeline} passes as {@code
   * --maxBundleSize} unless given one, and what these options set. Beam's default is 1,000; why
   * 250: {@link #MAX_BUNDLE_MILLIS}.
   */
  public static final long MAX_BUNDLE_SIZE = 250L;

  /**
   * The Flink runner on an in-process mini-cluster ({@code [local]}), batch or streaming. A job run
   * through {@code JobLauncher} gets the cluster's managed memory, a batch shuffle without
   * compression and no slot requirement check delay, from the launcher ({@code LocalClusterConf});
   * a pipeline run directly gets Beam's sizing, which forces a full garbage collection at its
   * start, Flink's LZ4 compression and its 50 ms delay.
   */
  public static FlinkPipelineOptions options(boolean streaming, int parallelism) {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(parallelism);
    options.setStreaming(streaming);
    options.setMaxBundleTimeMills(MAX_BUNDLE_MILLIS);
    options.setMaxBundleSize(MAX_BUNDLE_SIZE);
    return options;
  }
}
