package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where records come from (contract 3). */
public interface SourceOptions extends PipelineOptions {
  @Description("Record source: generator (synthetic workload, the default) or files (newline-delimited JSON, plain or .gz).")
  @Default.String("generator")
  String getSource();

  void setSource(String value);

  @Description("Glob of newline-delimited JSON files for --source=files, e.g. /data/in/*.json.gz.")
  String getInput();

  void setInput(String value);
}
