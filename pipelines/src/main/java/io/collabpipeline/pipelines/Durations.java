package io.collabpipeline.pipelines;

import java.util.Locale;
import org.joda.time.Duration;

/**
 * Parses the durations of the command line: a whole number and a unit, {@code ms s m h d} (e.g.
 * 30s, 2h, 7d).
 */
public final class Durations {
  private Durations() {}

  public static Duration parse(String option, String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    int unitAt = 0;
    while (unitAt < v.length() && Character.isDigit(v.charAt(unitAt))) {
      unitAt++;
    }
    if (unitAt == 0 || unitAt > 12) {
      throw bad(option, value);
    }
    long n = Long.parseLong(v.substring(0, unitAt));
    switch (v.substring(unitAt)) {
      case "ms":
        return Duration.millis(n);
      case "s":
        return Duration.standardSeconds(n);
      case "m":
        return Duration.standardMinutes(n);
      case "h":
        return Duration.standardHours(n);
      case "d":
        return Duration.standardDays(n);
      default:
        throw bad(option, value);
    }
  }

  private static UsageException bad(String option, String value) {
    return new UsageException(
        "--"
            + option
            + "="
            + value
            + " is not a duration: write a whole number and a unit (ms, s, m, h or d), e.g. 2h");
  }
}
