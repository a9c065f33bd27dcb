package io.collabpipeline.pipelines;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Options for the in-process Flink cluster that the benchmark and the tests run the graph on. */
public final class EmbeddedFlink {
  private EmbeddedFlink() {}

  /** The Flink runner on an in-process mini-cluster ({@code [local]}), batch or streaming. */
  public static FlinkPipelineOptions options(boolean streaming, int parallelism) {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(parallelism);
    options.setStreaming(streaming);
    return options;
  }
}
