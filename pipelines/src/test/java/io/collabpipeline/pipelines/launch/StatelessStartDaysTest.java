package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;

import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.warehouse.CorrectionDue;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import java.time.Instant;
import org.joda.time.Duration;
import org.junit.Test;

/**
 * The day windows a stream that starts without state records as due at its start: every date
 * holding a window the previous job may still have had open (ending after T0 minus the allowed
 * lateness, starting before T0).
 */
public class StatelessStartDaysTest {
  private static GraphConfig graph(Duration lateness) {
    return GraphConfig.underDataDir("/tmp/unused").toBuilder()
        .setGeneration(42)
        .setWindowing(WindowingPolicy.defaults().withAllowedLateness(lateness))
        .build();
  }

  private static CorrectionDue day(String date) {
    return CorrectionDue.of(Instant.parse(date + "T00:00:00Z"), "day", 42);
  }

  @Test
  public void aStartSoonAfterMidnightAlsoRecordsTheDayBefore() {
    assertThat(
        JobLauncher.daysThePreviousJobHadOpen(
            graph(Duration.standardHours(2)), Instant.parse("2026-11-03T01:30:00Z")),
        contains(day("2026-11-02"), day("2026-11-03")));
  }

  @Test
  public void aStartLaterInTheDayRecordsThatDayOnly() {
    assertThat(
        JobLauncher.daysThePreviousJobHadOpen(
            graph(Duration.standardHours(2)), Instant.parse("2026-11-03T02:00:00Z")),
        contains(day("2026-11-03")));
  }

  @Test
  public void aLongLatenessReachesFurtherBack() {
    assertThat(
        JobLauncher.daysThePreviousJobHadOpen(
            graph(Duration.standardDays(2)), Instant.parse("2026-11-03T12:00:00Z")),
        contains(day("2026-11-01"), day("2026-11-02"), day("2026-11-03")));
  }
}
