package io.collabpipeline.tools.benchmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The soak's verdict on the heap after GC: slope, mean and "flat", against hand-worked values. */
@RunWith(JUnit4.class)
public class SoakBenchmarkTest {

  @Test
  public void aSteadyClimbAfterTheWarmUpIsNotFlat() {
    // Warm-up minutes 1-2 are left out; minutes 3-6 hold 10, 12, 14, 16 MiB: slope 2 MiB/min,
    // mean 13 MiB; over 4 minutes the trend adds 8 MiB, 61.5% of the mean.
    SoakBenchmark.Verdict v = SoakBenchmark.Verdict.of(new double[] {100, 200, 10, 12, 14, 16}, 2);
    assertThat(v.slopeMiBPerMinute, closeTo(2.0, 1e-9));
    assertThat(v.meanMiB, closeTo(13.0, 1e-9));
    assertThat(v.firstMinute, is(3));
    assertThat(v.lastMinute, is(6));
    assertThat(v.flat, is(false));
    assertThat(v.describe(), containsString("slope +2.00 MiB/min"));
    assertThat(v.describe(), containsString("NOT FLAT"));
  }

  @Test
  public void noiseAroundALevelIsFlat() {
    // Minutes 3-6 hold 100, 101, 99, 100: x - 4.5 = -1.5, -0.5, 0.5, 1.5 and y - 100 = 0, 1, -1, 0,
    // so Sxy = -1, Sxx = 5, slope -0.2 MiB/min; the trend adds 0.8 MiB over 4 min, 0.8% of 100.
    SoakBenchmark.Verdict v = SoakBenchmark.Verdict.of(new double[] {50, 80, 100, 101, 99, 100}, 2);
    assertThat(v.slopeMiBPerMinute, closeTo(-0.2, 1e-9));
    assertThat(v.meanMiB, closeTo(100.0, 1e-9));
    assertThat(v.flat, is(true));
  }

  @Test
  public void flatMeansTheTrendAddsLessThanTenPercentOfTheMean() {
    // Minutes 1-2 (no warm-up) hold 95 and 105: slope 10 MiB/min, mean 100; over 2 minutes the
    // trend adds 20 MiB, 20% of the mean: not flat. 99.5 and 100.5: slope 1, adds 2%: flat.
    assertThat(SoakBenchmark.Verdict.of(new double[] {95, 105}, 0).flat, is(false));
    assertThat(SoakBenchmark.Verdict.of(new double[] {99.5, 100.5}, 0).flat, is(true));
  }

  @Test
  public void aSlopeNeedsTwoMinutesAfterTheWarmUp() {
    assertThrows(
        IllegalArgumentException.class, () -> SoakBenchmark.Verdict.of(new double[] {1, 2, 3}, 2));
  }
}
