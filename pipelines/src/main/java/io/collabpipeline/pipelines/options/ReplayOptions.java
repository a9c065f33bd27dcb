package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Replays of the raw store and of the quarantine, and the generation every curated write carries
 * (see README, "Replays, backfills and late data").
 */
public interface ReplayOptions extends PipelineOptions {
  @Description(
      "First UTC date (YYYY-MM-DD) of a replay, included. --source=raw rewrites the metric windows that start "
          + "on the dates --from..--to (at most 30 days); --source=quarantine re-validates the records that arrived on them.")
  String getFrom();

  void setFrom(String value);

  @Description("Last UTC date (YYYY-MM-DD) of a replay, included; see --from.")
  String getTo();

  void setTo(String value);

  @Description(
      "With --source=raw: stage and compare, print and save the diff the replay would apply, and write "
          + "nothing to the curated tables. With --source=quarantine: re-validate and report, and write nothing.")
  @Default.Boolean(false)
  Boolean getDryRun();

  void setDryRun(Boolean value);

  @Description(
      "Generation of this job's curated writes, a positive number; a newer generation's rows are never "
          + "overwritten by an older one. Default: the job's start time in epoch milliseconds, except that a "
          + "streaming job resumed from a retained checkpoint continues the generation of the run that took it.")
  Long getGeneration();

  void setGeneration(Long value);
}
