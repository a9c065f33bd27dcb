package io.collabpipeline.model;

/**
 * The stages of {@code pipeline_completeness}. For every hour of arrival, {@code received =
 * quarantined + duplicate + accepted}; {@code raw_written} counts accepted events handed to the raw
 * store. {@code late} counts the accepted events that arrived too late for at least one of their
 * metric windows (that is, for their minute window): a subset of {@code accepted}, outside the
 * identity above. They are in the raw store, and a correction replay folds them into the metrics.
 */
public enum Stage {
  RECEIVED("received"),
  QUARANTINED("quarantined"),
  DUPLICATE("duplicate"),
  ACCEPTED("accepted"),
  RAW_WRITTEN("raw_written"),
  LATE("late");

  private final String code;

  Stage(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
