package io.collabpipeline.transforms.validate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.time.OffsetDateTime;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * RFC 3339 date-times with an offset parse to the same instant java.time gives; anything else is
 * rejected.
 */
@RunWith(JUnit4.class)
public class Rfc3339Test {

  private static long javaTime(String s) {
    return OffsetDateTime.parse(s).toInstant().toEpochMilli();
  }

  @Test
  public void parsesValidFormsLikeJavaTime() {
    for (String s :
        new String[] {
          "2026-11-02T08:00:01.123Z", "2026-11-02T08:00:01Z", "2026-11-02T09:30:01.5+01:30",
          "2026-11-02T03:00:01.123456789-05:00", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
          "2024-02-29T12:00:00+00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999+14:00"
        }) {
      assertThat(s, Rfc3339.parseEpochMillis(s), equalTo(javaTime(s)));
    }
    assertThat(
        Rfc3339.parseEpochMillis("2026-11-02t08:00:01.123z"),
        equalTo(javaTime("2026-11-02T08:00:01.123Z")));
  }

  @Test
  public void rejectsMissingOffsetAndMalformedValues() {
    for (String s :
        new String[] {
          "2026-11-02T08:00:01.123",
          "2026-11-02T08:00:01",
          "2026-11-02 08:00:01Z",
          "2026-11-02T08:00Z",
          "2026-11-02",
          "2026-13-02T08:00:01Z",
          "2026-02-30T08:00:01Z",
          "2025-02-29T08:00:01Z",
          "2026-11-02T24:00:00Z",
          "2026-11-02T08:60:00Z",
          "2026-11-02T08:00:60Z",
          "2026-11-02T08:00:01.Z",
          "2026-11-02T08:00:01+0100",
          "2026-11-02T08:00:01+01",
          "2026-11-02T08:00:01+24:00",
          "2026-11-02T08:00:01Zjunk",
          "1762070401123",
          "",
          "+2026-11-02T08:00:01Z",
          "2026-11-02T08:00:01.12a3Z"
        }) {
      assertThat(s, Rfc3339.parseEpochMillis(s), equalTo(Rfc3339.INVALID));
    }
  }
}
