package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The generator's token bucket on an injected clock: how many records are due when. Expected counts
 * are worked out by hand from rate × elapsed time (plus the one token it starts with).
 */
@RunWith(JUnit4.class)
public class WallClockRateTest {
  private static final long MS = 1_000_000L;

  @Test
  public void aModestRateIsDueInFullWhenTakenEveryMillisecond() {
    // 5,000/s taken every 1 ms for 3 s: 5 records a millisecond, 15,000 in all, plus the first.
    WallClockRate rate = new WallClockRate(5_000, 1.0, 0);
    long due = rate.take(0);
    for (long t = 1; t <= 3_000; t++) {
      due += rate.take(t * MS);
    }
    assertThat(due, is(15_001L));
  }

  @Test
  public void nothingIsDueAheadOfTheRateAndFractionsAreKept() {
    WallClockRate rate = new WallClockRate(10, 1.0, 0);
    assertThat(rate.take(0), is(1L)); // the first record at once
    assertThat(rate.take(50 * MS), is(0L)); // half a token
    assertThat(rate.take(100 * MS), is(1L)); // the second half
    assertThat(rate.take(100 * MS), is(0L)); // taken already
    assertThat(rate.take(399 * MS), is(2L)); // 2.99 tokens
    assertThat(rate.take(400 * MS), is(1L)); // the 0.99 left + 0.01
  }

  @Test
  public void aStallCatchesUpOneBurstAtMost() {
    // 100/s with a 1 s burst: after 5 s without asking, 100 records are due, not 500.
    WallClockRate rate = new WallClockRate(100, 1.0, 0);
    assertThat(rate.take(0), is(1L));
    assertThat(rate.take(5_000 * MS), is(100L));
    assertThat(rate.take(5_010 * MS), is(1L));
    // Below 1 record of burst, a token is still held: a rate under 1/s is not stalled forever.
    WallClockRate slow = new WallClockRate(0.5, 1.0, 0);
    assertThat(slow.take(0), is(1L));
    assertThat(slow.take(1_000 * MS), is(0L));
    assertThat(slow.take(2_000 * MS), is(1L));
    assertThat(slow.take(60_000 * MS), is(1L));
  }

  @Test
  public void aClockReadingBeforeTheLastAddsNothing() {
    WallClockRate rate = new WallClockRate(1_000, 1.0, 10 * MS);
    assertThat(rate.take(10 * MS), is(1L));
    assertThat(rate.take(5 * MS), is(0L));
    assertThat(rate.take(12 * MS), is(2L));
  }
}
