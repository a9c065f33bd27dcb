package io.collabpipeline.pipelines.options;

import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStores;
import io.collabpipeline.transforms.validate.ValidateEvents;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Validation, privacy, dedup and windowing settings. Durations are written like 30s, 45m, 2h, 7d.
 */
public interface ProcessingOptions extends PipelineOptions {
  @Description(
      "Key of the keyed hash that pseudonymizes user ids, by reference: env:VAR, file:/path, or dev (a fixed, "
          + "public development key: never use it for real data).")
  @Default.String(KeyReference.DEV_REFERENCE)
  String getPseudonymKey();

  void setPseudonymKey(String value);

  @Description(
      "Per-user pseudonym secrets (crypto-shredding: erasing a user destroys the user's secret): none (global-key "
          + "pseudonyms), jdbc:postgresql://host/db (table user_pseudonym_keys, shared by every machine; never the "
          + "analytics warehouse), or a directory (one machine). Refused as none where --pseudonymKey=dev is, unless "
          + "--allowDevKey=true.")
  @Default.String(UserKeyStores.NONE)
  String getUserKeyStore();

  void setUserKeyStore(String value);

  @Description("Largest accepted record in bytes; larger records are quarantined as TOO_LARGE.")
  @Default.Integer(ValidateEvents.DEFAULT_MAX_RECORD_BYTES)
  Integer getMaxRecordBytes();

  void setMaxRecordBytes(Integer value);

  @Description(
      "Events that occurred more than this after their arrival are quarantined as OCCURRED_IN_FUTURE.")
  @Default.String(ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD_DAYS + "d")
  String getMaxEventTimeAhead();

  void setMaxEventTimeAhead(String value);

  @Description(
      "Events that occurred more than this before their arrival are quarantined as OCCURRED_TOO_LONG_AGO.")
  @Default.String(ValidateEvents.DEFAULT_MAX_EVENT_AGE_DAYS + "d")
  String getMaxEventAge();

  void setMaxEventAge(String value);

  @Description(
      "Allow the public development pseudonym key (--pseudonymKey=dev), and --userKeyStore=none, although the source,"
          + " a store or the warehouse is not the local embedded default: only for throwaway runs, since anyone can"
          + " reverse the dev key's pseudonyms and without a user key store an erasure cannot crypto-shred.")
  @Default.Boolean(false)
  Boolean getAllowDevKey();

  void setAllowDevKey(Boolean value);

  @Description("How long (in arrival time) an event id is remembered to catch re-deliveries.")
  @Default.String(DedupByEventId.DEFAULT_HORIZON_HOURS + "h")
  String getDedupHorizon();

  void setDedupHorizon(String value);

  @Description(
      "How late (arrival after the end of its window) an event may be and still update a metric window.")
  @Default.String(WindowingPolicy.DEFAULT_ALLOWED_LATENESS_HOURS + "h")
  String getAllowedLateness();

  void setAllowedLateness(String value);

  @Description("Processing-time delay of early results of open metric windows in streaming.")
  @Default.String(WindowingPolicy.DEFAULT_EARLY_FIRING_DELAY_SECONDS + "s")
  String getEarlyFiringDelay();

  void setEarlyFiringDelay(String value);

  @Description("Print progress every this many seconds while the job runs; 0 turns it off.")
  @Default.Integer(5)
  Integer getProgressSeconds();

  void setProgressSeconds(Integer value);
}
