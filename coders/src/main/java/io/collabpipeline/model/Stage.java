package io.collabpipeline.model;

/**
 * The stages of {@code pipeline_completeness}. For every hour of arrival, {@code received = quarantined + duplicate +
 * accepted}; {@code raw_written} counts accepted events handed to the raw store.
 */
public enum Stage {
  RECEIVED("received"),
  QUARANTINED("quarantined"),
  DUPLICATE("duplicate"),
  ACCEPTED("accepted"),
  RAW_WRITTEN("raw_written");

  private final String code;

  Stage(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
