package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How a streaming job on Flink starts: from its latest retained checkpoint (the default), from a
 * given one (Flink's own {@code --savepointPath}), or fresh. Read only by {@code ResumeConfig}, in
 * {@code JobConfig.from}.
 */
public interface ResumeOptions extends PipelineOptions {
  @Description(
      "Start a --source=kafka job fresh: do not resume from the latest retained checkpoint under the "
          + "checkpoint directory, and take a new generation. Without it, re-running the same command resumes "
          + "from that checkpoint and continues its generation; --savepointPath=<chk-N or savepoint dir> picks "
          + "one explicitly.")
  @Default.Boolean(false)
  Boolean getFresh();

  void setFresh(Boolean value);
}
