package io.collabpipeline.tools.benchmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.tools.benchmark.Visibility.Completeness;
import io.collabpipeline.tools.benchmark.Visibility.TaskEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The freshness run's arithmetic against hand-worked values: which read makes an event visible,
 * which events count, the completeness verdict and the percentiles. (The run itself needs the dev
 * stack; README, "Freshness", has its figures.)
 */
@RunWith(JUnit4.class)
public class FreshnessBenchmarkTest {
  /**
   * The minute window [60 s, 120 s); with 10 s of lateness an event counts if appended by 130 s.
   */
  private static final long W = 60_000L;

  private static final long LATENESS = 10_000L;

  private static TaskEvent event(long appendMillis, long index, String workspace) {
    return new TaskEvent(appendMillis, index, W, workspace);
  }

  private static Visibility reads() {
    Visibility v = new Visibility();
    // Workspace A's row: 1 at 64 s, then 3 at 70 s (2 was never read: two events in one write),
    // 4 at 131 s; B's row: 1 at 66.5 s. C's row was never read.
    v.saw(W + "|A", 1, 64_000L);
    v.saw(W + "|A", 3, 70_000L);
    v.saw(W + "|A", 4, 131_000L);
    v.saw(W + "|B", 1, 66_500L);
    // A later read of a value already seen does not move its first sighting.
    v.saw(W + "|A", 1, 65_000L);
    v.readEnded(131_000L);
    return v;
  }

  private static List<TaskEvent> inAppendOrder() {
    List<TaskEvent> events = new ArrayList<>();
    events.add(event(61_000L, 0, "A")); // A's 1st: visible at 64 s
    events.add(event(62_000L, 1, "A")); // A's 2nd: first value >= 2 is 3, at 70 s
    events.add(event(62_500L, 2, "B")); // B's 1st: 66.5 s
    events.add(event(63_000L, 3, "A")); // A's 3rd: 70 s
    events.add(event(63_500L, 4, "C")); // C's 1st: never read, so no sample
    // Appended 1 ms after the window's lateness ended: the streaming tables never count it, so it
    // takes no rank (A's value 4 at 131 s is not its).
    events.add(event(130_001L, 5, "A"));
    return events;
  }

  @Test
  public void theKthEventOfAWindowIsVisibleAtTheFirstReadOfAValueOfAtLeastK() {
    assertThat(
        reads().latencies(inAppendOrder(), LATENESS, Long.MIN_VALUE),
        contains(3_000L, 4_000L, 7_000L, 8_000L));
  }

  @Test
  public void theSteadyStateLeavesOutEarlierEventsButTheyKeepTheirRanks() {
    // From 62 s: A's 1st (61 s) is left out, yet A's 2nd still waits for a value of 2.
    assertThat(
        reads().latencies(inAppendOrder(), LATENESS, 62_000L), contains(4_000L, 7_000L, 8_000L));
  }

  @Test
  public void onTimeEndsWithTheWindowsLateness() {
    assertThat(event(130_000L, 0, "A").onTime(LATENESS), is(true));
    assertThat(event(130_001L, 0, "A").onTime(LATENESS), is(false));
  }

  @Test
  public void completenessCountsRowsShortOfAndOverTheirExpectedCounts() {
    Visibility v = reads();
    // A reached 4 (expected 4: equal), B 1 of 2 (short), C never read (short).
    Completeness c = v.completeness(Map.of(W + "|A", 4L, W + "|B", 2L, W + "|C", 1L));
    assertThat(c.rowsShort, is(2));
    assertThat(c.rowsOver, is(0));
    assertThat(c.atMillis, is(131_000L));
    // A reached 4 where 3 were expected: counted twice.
    Completeness over = v.completeness(Map.of(W + "|A", 3L, W + "|B", 1L));
    assertThat(over.rowsShort, is(0));
    assertThat(over.rowsOver, is(1));
  }

  @Test
  public void percentilesAreNearestRank() {
    List<Long> oneToTwenty = new ArrayList<>();
    for (long i = 1; i <= 20; i++) {
      oneToTwenty.add(i * 1_000L);
    }
    // P95 of 20 samples is the ceil(0.95 * 20) = 19th, P50 the 10th.
    assertThat(Visibility.percentile(oneToTwenty, 95), is(19_000L));
    assertThat(Visibility.percentile(oneToTwenty, 50), is(10_000L));
    assertThat(FreshnessBenchmark.describe(oneToTwenty), is("P50 10.0 s, P95 19.0 s, max 20.0 s"));
    assertThat(FreshnessBenchmark.describe(List.of()), is("no samples"));
  }

  @Test
  public void cpuTimeIsReadFromProc() {
    assertThat(
        FreshnessBenchmark.cpuMillis(ProcessHandle.current().pid()), greaterThanOrEqualTo(0L));
    assertThat(FreshnessBenchmark.cpuMillis(Long.MAX_VALUE), is(-1L));
  }

  @Test
  public void anUnknownOptionIsAOneLineErrorListingTheModesOptions() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> FreshnessBenchmark.run(new String[] {"--modes=freshness", "--speed=5000"}));
    assertThat(e.getMessage(), containsString("unknown option --speed=5000 for --modes=freshness"));
    assertThat(e.getMessage(), containsString("--rate=N"));
  }
}
