package io.collabpipeline.transforms.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.Granularity;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class MetricWindowsTest {

  @Rule
  public final transient TestPipeline p =
      TestPipeline.create().enableAbandonedNodeEnforcement(false);

  @Test
  public void policyDefaultsAreThirtySecondsTwoHoursAndTenMinutesOfSlack() {
    WindowingPolicy policy = WindowingPolicy.defaults();
    assertThat(policy.earlyFiringDelay(), equalTo(Duration.standardSeconds(30)));
    assertThat(policy.allowedLateness(), equalTo(Duration.standardHours(2)));
    assertThat(policy.latenessSlack(), equalTo(Duration.standardMinutes(10)));
    assertThat(policy.beamAllowedLateness(), equalTo(Duration.standardMinutes(130)));
  }

  @Test
  public void policyRejectsNegativeDurationsNamingTheMethod() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WindowingPolicy.defaults().withAllowedLateness(Duration.millis(-1)));
    assertThat(e.getMessage(), containsString("withAllowedLateness"));
  }

  @Test
  public void appliesUtcAlignedFixedWindowsWithEarlyOnTimeAndLateFiringsAccumulating() {
    WindowingPolicy policy =
        WindowingPolicy.defaults()
            .withEarlyFiringDelay(Duration.standardSeconds(5))
            .withAllowedLateness(Duration.standardMinutes(20))
            .withLatenessSlack(Duration.standardMinutes(3));
    PCollection<String> windowed =
        p.apply(Create.of("x").withCoder(StringUtf8Coder.of()))
            .apply(MetricWindows.<String>of(Granularity.HOUR, policy));

    WindowingStrategy<?, ?> strategy = windowed.getWindowingStrategy();
    assertThat(strategy.getWindowFn(), equalTo(FixedWindows.of(Duration.standardHours(1))));
    assertThat(strategy.getAllowedLateness(), equalTo(Duration.standardMinutes(23)));
    assertThat(
        strategy.getMode(), equalTo(WindowingStrategy.AccumulationMode.ACCUMULATING_FIRED_PANES));
    assertThat(
        strategy.getTrigger(),
        equalTo(
            AfterWatermark.pastEndOfWindow()
                .withEarlyFirings(
                    AfterProcessingTime.pastFirstElementInPane()
                        .plusDelayOf(Duration.standardSeconds(5)))
                .withLateFirings(AfterPane.elementCountAtLeast(1))));
  }
}
