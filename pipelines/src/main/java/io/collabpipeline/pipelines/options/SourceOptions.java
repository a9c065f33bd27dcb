package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where records come from (contract 3). */
public interface SourceOptions extends PipelineOptions {
  @Description(
      "Record source: generator (synthetic workload, the default), files (newline-delimited JSON, plain or "
          + ".gz), raw (bounded replay of the raw store for --from..--to) or quarantine (re-validate the quarantined records "
          + "that arrived --from..--to and add those that now pass to the raw store).")
  @Default.String("generator")
  String getSource();

  void setSource(String value);

  @Description("Glob of newline-delimited JSON files for --source=files, e.g. /data/in/*.json.gz.")
  String getInput();

  void setInput(String value);
}
