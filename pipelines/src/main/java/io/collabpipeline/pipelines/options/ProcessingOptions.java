package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Validation, privacy, dedup and windowing settings. Durations are written like 30s, 45m, 2h, 7d. */
public interface ProcessingOptions extends PipelineOptions {
  @Description("Key of the keyed hash that pseudonymizes user ids, by reference: env:VAR, file:/path, or dev (a fixed, "
      + "public development key: never use it for real data).")
  @Default.String("dev")
  String getPseudonymKey();

  void setPseudonymKey(String value);

  @Description("Largest accepted record in bytes; larger records are quarantined as TOO_LARGE.")
  @Default.Integer(1_048_576)
  Integer getMaxRecordBytes();

  void setMaxRecordBytes(Integer value);

  @Description("How long (in arrival time) an event id is remembered to catch re-deliveries.")
  @Default.String("24h")
  String getDedupHorizon();

  void setDedupHorizon(String value);

  @Description("How late (arrival after the end of its window) an event may be and still update a metric window.")
  @Default.String("2h")
  String getAllowedLateness();

  void setAllowedLateness(String value);

  @Description("Processing-time delay of early results of open metric windows in streaming.")
  @Default.String("30s")
  String getEarlyFiringDelay();

  void setEarlyFiringDelay(String value);

  @Description("Print progress every this many seconds while the job runs; 0 turns it off.")
  @Default.Integer(5)
  Integer getProgressSeconds();

  void setProgressSeconds(Integer value);
}
