package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The synthetic workload of {@code --source=generator}. */
public interface GeneratorOptions extends PipelineOptions {
  @Description(
      "Number of records the generator delivers (originals, duplicates and malformed records together).")
  @Default.Long(200_000L)
  Long getEvents();

  void setEvents(Long value);

  @Description("Seed of the generator: the same seed and options give the same records.")
  @Default.Long(20261102L)
  Long getSeed();

  void setSeed(Long value);

  @Description(
      "Wall-clock delivery rate in records/s for streaming runs; 0 generates as fast as the pipeline reads.")
  @Default.Long(0L)
  Long getRate();

  void setRate(Long value);

  @Description(
      "Deliveries per second of the synthetic arrival clock that stamps each generated record's arrival"
          + " (delivery i arrives i / rate seconds after the first); not --rate, the wall-clock pace."
          + " Lower spreads the same records over more hours, so they fill more metric windows."
          + " Default: the generator's 40 (200,000 records span about 83 minutes).")
  Double getArrivalRate();

  void setArrivalRate(Double value);

  @Description("Share of deliveries that are retries of an earlier event (same event_id), 0..1.")
  @Default.Double(0.03)
  Double getDuplicateShare();

  void setDuplicateShare(Double value);

  @Description(
      "Share of events that arrive minutes after they occurred (within the allowed lateness), 0..1.")
  @Default.Double(0.05)
  Double getLateShare();

  void setLateShare(Double value);

  @Description(
      "Share of events that arrive later than the allowed lateness (kept raw, left out of metrics), 0..1.")
  @Default.Double(0.0)
  Double getTooLateShare();

  void setTooLateShare(Double value);

  @Description("Share of deliveries that are malformed and must be quarantined, 0..1.")
  @Default.Double(0.01)
  Double getMalformedShare();

  void setMalformedShare(Double value);
}
