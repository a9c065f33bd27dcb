package io.collabpipeline.transforms.validate;

/**
 * A strict, allocation-free parser for RFC 3339 {@code date-time} values, which always carry an
 * offset: {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)}, {@code T}/{@code Z} in either
 * case. Fractions beyond milliseconds are truncated. A leap second ({@code :60}) is rejected:
 * java.time and every sink downstream would have to smear it.
 */
final class Rfc3339 {
  /** Returned for any text that is not an RFC 3339 date-time (no valid instant is this small). */
  static final long INVALID = Long.MIN_VALUE;

  private static final int[] DAYS_IN_MONTH = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  private Rfc3339() {}

  /** Epoch milliseconds (UTC) of {@code s}, or {@link #INVALID}. */
  static long parseEpochMillis(String s) {
    int n = s.length();
    if (n < 20) {
      return INVALID;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0
        || month < 0
        || day < 0
        || hour < 0
        || minute < 0
        || second < 0
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || (s.charAt(10) != 'T' && s.charAt(10) != 't')
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return INVALID;
    }
    if (month < 1
        || month > 12
        || day < 1
        || day > daysInMonth(year, month)
        || hour > 23
        || minute > 59
        || second > 59) {
      return INVALID;
    }
    int i = 19;
    int millis = 0;
    if (s.charAt(i) == '.') {
      i++;
      int start = i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (i - start < 3) {
          millis = millis * 10 + (s.charAt(i) - '0');
        }
        i++;
      }
      int fractionDigits = i - start;
      if (fractionDigits == 0) {
        return INVALID;
      }
      for (int k = fractionDigits; k < 3; k++) {
        millis *= 10;
      }
    }
    if (i >= n) {
      return INVALID;
    }
    int offsetSeconds;
    char z = s.charAt(i);
    if (z == 'Z' || z == 'z') {
      if (i + 1 != n) {
        return INVALID;
      }
      offsetSeconds = 0;
    } else if (z == '+' || z == '-') {
      if (i + 6 != n || s.charAt(i + 3) != ':') {
        return INVALID;
      }
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) {
        return INVALID;
      }
      offsetSeconds = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
    } else {
      return INVALID;
    }
    long days = daysFromCivil(year, month, day);
    long seconds = days * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
    return seconds * 1000L + millis;
  }

  /** The non-negative value of {@code count} ASCII digits at {@code from}, or -1. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static int daysInMonth(int year, int month) {
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
      return 29;
    }
    return DAYS_IN_MONTH[month - 1];
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
  private static long daysFromCivil(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146_097L + doe - 719_468L;
  }
}
