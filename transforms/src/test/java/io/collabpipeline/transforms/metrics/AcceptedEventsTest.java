package io.collabpipeline.transforms.metrics;

import static io.collabpipeline.transforms.Counters.committedOrAttempted;
import static io.collabpipeline.transforms.metrics.TestEvents.atArrival;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link AcceptedEvents} gives, in one step, what the separate steps give: the rows of the
 * contract's definitions (the reference of {@link ComputeMetricsTest}, computed in plain Java) over
 * the events that are not set apart, an {@code accepted} tick for every event and a {@code late}
 * tick for every event too late for its minute window, each counted in its arrival hour (counted
 * here from the events), and the events set apart without their payload; with its counters, however
 * often its partials and counts go on.
 */
@RunWith(JUnit4.class)
public class AcceptedEventsTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final String CANARY_WORKSPACE = "canary-ws";

  private static final WindowingPolicy POLICY =
      WindowingPolicy.defaults().withEarlyFiringDelay(Duration.standardHours(1));

  /** The mixed input of {@link ComputeMetricsTest} (late events included) and four canaries. */
  private static List<CollabEvent> input() {
    List<CollabEvent> base = ComputeMetricsTest.mixedInput();
    List<CollabEvent> in = new ArrayList<>(base);
    for (int i = 0; i < 4; i++) {
      in.add(
          base.get(i).toBuilder()
              .setEventId("canary-" + i)
              .setWorkspaceGid(CANARY_WORKSPACE)
              .setActorId("canary")
              .build());
    }
    return in;
  }

  private static boolean isCanary(CollabEvent e) {
    return e.workspaceGid().equals(CANARY_WORKSPACE);
  }

  /** The oracle's counts: per arrival hour (UTC epoch millis of its start), how many events. */
  private static Map<Long, Long> perArrivalHour(List<CollabEvent> events) {
    Map<Long, Long> counts = new TreeMap<>();
    for (CollabEvent e : events) {
      counts.merge(Granularity.HOUR.windowStart(e.receivedAtMillis()), 1L, Long::sum);
    }
    return counts;
  }

  /**
   * The tick counts of one stage summed per arrival hour of their timestamps (a count is stamped
   * with the earliest arrival it counts, which is in its hour); fails on another stage's code.
   */
  private static Map<Long, Long> summedPerHour(
      Iterable<TimestampedValue<KV<String, Long>>> counts, Stage stage) {
    Map<Long, Long> sums = new TreeMap<>();
    for (TimestampedValue<KV<String, Long>> c : counts) {
      assertThat(c.getValue().getKey(), equalTo(stage.code()));
      sums.merge(
          Granularity.HOUR.windowStart(c.getTimestamp().getMillis()),
          c.getValue().getValue(),
          Long::sum);
    }
    return sums;
  }

  private void runAndCompare(AcceptedEvents accepted) {
    List<CollabEvent> in = input();
    List<CollabEvent> counted = new ArrayList<>();
    List<CollabEvent> canaries = new ArrayList<>();
    List<CollabEvent> late = new ArrayList<>();
    for (CollabEvent e : in) {
      if (isCanary(e)) {
        canaries.add(e.withoutPayload());
      } else {
        counted.add(e);
      }
      if (ComputeMetricsTest.tooLate(List.of(e), Granularity.MINUTE, POLICY.allowedLateness())
          > 0) {
        late.add(e);
      }
    }
    ArrayList<String> expectedRows =
        Panes.text(ComputeMetricsTest.expectedRows(counted, POLICY.allowedLateness()));
    Map<Long, Long> expectedAccepted = perArrivalHour(in);
    Map<Long, Long> expectedLate = perArrivalHour(late);

    AcceptedEvents.Result result =
        p.apply(Create.timestamped(atArrival(in)).withCoder(CollabEventCoder.of()))
            .apply(accepted.withoutEvents(AcceptedEventsTest::isCanary, "test", "canaries"));
    PCollection<CuratedRow> rows = result.rows();
    PAssert.that(rows)
        .satisfies(
            actual -> {
              assertThat(
                  Panes.text(Panes.latestPerKey(actual)),
                  containsInAnyOrder(expectedRows.toArray()));
              return null;
            });
    PAssert.that(result.acceptedTicks().apply("ReifyAccepted", Reify.timestamps()))
        .satisfies(
            counts -> {
              assertThat(summedPerHour(counts, Stage.ACCEPTED), equalTo(expectedAccepted));
              return null;
            });
    PAssert.that(result.lateTicks().apply("ReifyLate", Reify.timestamps()))
        .satisfies(
            counts -> {
              assertThat(summedPerHour(counts, Stage.LATE), equalTo(expectedLate));
              return null;
            });
    PAssert.that(result.excluded()).containsInAnyOrder(canaries);
    PipelineResult run = p.run();
    run.waitUntilFinish();

    assertThat(committedOrAttempted(run, "test", "canaries"), equalTo(4L));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.ACCEPTED.code()),
        equalTo((long) in.size()));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.LATE.code()),
        equalTo((long) late.size()));
    ComputeMetricsTest.assertTooLateCounters(run, counted, POLICY.allowedLateness());
  }

  @Test
  public void theOraclesRowsTicksAndCanariesWithPartialsAndCountsSentOnAtEveryLimit() {
    // All partials on after 3 held, a window's counts on after 1: every path of both.
    runAndCompare(AcceptedEvents.create(POLICY).withMaxHeld(3, 1));
  }

  @Test
  public void theOraclesRowsTicksAndCanariesWithTheDefaultLimits() {
    runAndCompare(AcceptedEvents.create(POLICY));
  }

  @Test
  public void refusesAWindowedInputAndMissingSettings() {
    p.enableAbandonedNodeEnforcement(false);
    PCollection<CollabEvent> windowed =
        p.apply(Create.timestamped(atArrival(input())).withCoder(CollabEventCoder.of()))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> windowed.apply(AcceptedEvents.create(POLICY)));
    assertThat(e.getMessage(), containsString("bounded input in the global window"));
    assertThrows(IllegalArgumentException.class, () -> AcceptedEvents.create(null));
    assertThrows(
        IllegalArgumentException.class, () -> AcceptedEvents.create(POLICY).withMaxHeld(0, 1));
  }
}
