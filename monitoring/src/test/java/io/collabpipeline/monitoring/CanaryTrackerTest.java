package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import org.junit.Test;

/**
 * The probe's counting rules, on values worked out by hand: the nearest-rank quantiles, slow
 * counted once (late arrival or missing past the limit, never both), the sliding window, and
 * forgetting canaries that never arrive.
 */
public class CanaryTrackerTest {
  private static final long S = 1_000;
  private static final long SLOW = 180 * S;

  @Test
  public void nearestRankQuantilesOfTwentyLatencies() {
    // Latencies 1..20 s: P50 = ceil(0.5 * 20) = 10th = 10 s; P95 = ceil(0.95 * 20) = 19th = 19 s.
    CanaryTracker t = new CanaryTracker(SLOW, 3_600 * S, 3_600 * S);
    for (int i = 1; i <= 20; i++) {
      t.published("c" + i, 0);
      assertThat(t.seen("c" + i, i * S), is(i * S));
    }
    assertThat(t.quantile(0.5, 30 * S), is(10_000.0));
    assertThat(t.quantile(0.95, 30 * S), is(19_000.0));
    assertThat(t.total(), is(20L));
    assertThat(t.slow(), is(0L));
  }

  @Test
  public void nearestRankOfFewValuesAndOfNone() {
    // Three values {4, 7, 9}: P50 = ceil(1.5) = 2nd = 7; P95 = ceil(2.85) = 3rd = 9.
    assertThat(CanaryTracker.nearestRank(new long[] {4, 7, 9}, 0.5), is(7.0));
    assertThat(CanaryTracker.nearestRank(new long[] {4, 7, 9}, 0.95), is(9.0));
    assertThat(CanaryTracker.nearestRank(new long[] {5}, 0.5), is(5.0));
    assertThat(Double.isNaN(CanaryTracker.nearestRank(new long[0], 0.95)), is(true));
  }

  @Test
  public void aCanaryIsSlowOnceWhetherLateOrMissing() {
    CanaryTracker t = new CanaryTracker(SLOW, 3_600 * S, 3_600 * S);
    t.published("fast", 0);
    t.published("late", 0);
    t.published("missing-then-late", 0);
    t.published("never", 0);
    t.published("fast", 0); // the same canary twice is one canary
    assertThat(t.total(), is(4L));

    assertThat(t.seen("fast", 179 * S), is(179 * S)); // within 3 minutes: not slow
    assertThat(t.seen("late", 181 * S), is(181 * S)); // seen late: slow at once
    assertThat(t.slow(), is(1L));
    assertThat(t.seen("fast", 200 * S), is(-1L)); // seen once only

    t.expire(180 * S); // exactly 3 minutes: not yet over the limit
    assertThat(t.slow(), is(1L));
    t.expire(181 * S); // missing-then-late and never are over it
    assertThat(t.slow(), is(3L));
    assertThat(t.pending(), is(2));

    assertThat(t.seen("missing-then-late", 240 * S), is(240 * S)); // counted already
    t.expire(300 * S);
    assertThat(t.slow(), is(3L));
    assertThat(t.pending(), is(1));
    assertThat(t.total(), is(4L));
  }

  @Test
  public void theWindowHoldsOnlyRecentPublicationsAndOldMissingCanariesAreForgotten() {
    CanaryTracker t = new CanaryTracker(SLOW, 600 * S, 3_600 * S);
    t.published("old", 0);
    t.seen("old", 50 * S);
    t.published("new", 500 * S);
    t.seen("new", 510 * S);
    // At 550 s both are in the 600 s window: {10 s, 50 s}, P50 = 1st = 10 s, P95 = 2nd = 50 s.
    assertThat(t.quantile(0.5, 550 * S), is(10_000.0));
    assertThat(t.quantile(0.95, 550 * S), is(50_000.0));
    // At 700 s "old" (published at 0) has left the window.
    t.expire(700 * S);
    assertThat(t.windowLatencies(700 * S), is(new long[] {10 * S}));
    assertThat(t.quantile(0.95, 700 * S), is(10_000.0));

    t.published("lost", 1_000 * S);
    assertThat(t.oldestPendingMillis(), is(1_000 * S));
    t.expire(1_000 * S + 3_601 * S);
    assertThat(t.pending(), is(0));
    assertThat(t.slow(), is(1L));
    assertThat(t.oldestPendingMillis(), is(-1L));
  }
}
