package io.collabpipeline.model;

import org.joda.time.Duration;

/**
 * The window sizes of the curated tables. Windows are UTC-aligned fixed windows over event time.
 */
public enum Granularity {
  MINUTE("minute", Duration.standardMinutes(1)),
  HOUR("hour", Duration.standardHours(1)),
  DAY("day", Duration.standardDays(1));

  private final String code;
  private final Duration size;

  Granularity(String code, Duration size) {
    this.code = code;
    this.size = size;
  }

  /** The value written to the {@code granularity} column. */
  public String code() {
    return code;
  }

  public Duration size() {
    return size;
  }

  /** The start of the UTC-aligned window of this granularity that contains {@code epochMillis}. */
  public long windowStart(long epochMillis) {
    return Math.floorDiv(epochMillis, size.getMillis()) * size.getMillis();
  }

  public static Granularity fromCode(String code) {
    for (Granularity g : values()) {
      if (g.code.equals(code)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "unknown granularity '" + code + "' (expected minute, hour or day)");
  }
}
