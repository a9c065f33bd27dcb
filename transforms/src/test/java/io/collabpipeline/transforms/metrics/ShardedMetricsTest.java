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
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link ShardedMetrics} gives the rows of the contract's definitions (the reference of {@link
 * ComputeMetricsTest}, computed in plain Java) over the copy of each event id with the earliest
 * arrival, canaries left out, whatever the shards and however often its chunks and partials go on.
 */
@RunWith(JUnit4.class)
public class ShardedMetricsTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final String CANARY_WORKSPACE = "canary-ws";

  private static final WindowingPolicy POLICY =
      WindowingPolicy.defaults().withEarlyFiringDelay(Duration.standardHours(1));

  /** A copy of {@code e}: the same id, another actor, arriving {@code deltaMillis} later. */
  private static CollabEvent copy(CollabEvent e, long deltaMillis, String actor, long offset) {
    return e.toBuilder()
        .setReceivedAtMillis(e.receivedAtMillis() + deltaMillis)
        .setActorId(actor)
        .setSource(SourceRef.of(SourceRef.Kind.KAFKA, "collab-events", 0, offset))
        .build();
  }

  /**
   * The mixed input of {@link ComputeMetricsTest} with later copies (another actor: they must not
   * count), earlier copies (another actor: they must count instead of the original) and canaries.
   */
  private static List<CollabEvent> input() {
    List<CollabEvent> base = ComputeMetricsTest.mixedInput();
    List<CollabEvent> in = new ArrayList<>(base);
    for (int i = 0; i < base.size(); i += 3) {
      in.add(copy(base.get(i), 5_000, "later-" + i, 1_000 + i));
    }
    for (int i = 1; i < base.size(); i += 4) {
      in.add(copy(base.get(i), -500, "earlier-" + i, 2_000 + i));
    }
    for (int i = 0; i < 4; i++) {
      CollabEvent e = base.get(i);
      in.add(
          e.toBuilder()
              .setEventId("canary-" + i)
              .setWorkspaceGid(CANARY_WORKSPACE)
              .setActorId("canary")
              .build());
    }
    return in;
  }

  /** The oracle's dedup: per id, the copy with the earliest arrival (no ties in this input). */
  private static List<CollabEvent> earliestPerId(List<CollabEvent> events) {
    Map<String, CollabEvent> kept = new LinkedHashMap<>();
    for (CollabEvent e : events) {
      kept.merge(
          e.eventId(),
          e,
          (a, b) ->
              Comparator.comparingLong(CollabEvent::receivedAtMillis).compare(b, a) < 0 ? b : a);
    }
    return new ArrayList<>(kept.values());
  }

  private void runAndCompare(ShardedMetrics metrics) {
    List<CollabEvent> in = input();
    List<CollabEvent> kept = earliestPerId(in);
    List<CollabEvent> counted = new ArrayList<>();
    for (CollabEvent e : kept) {
      if (!e.workspaceGid().equals(CANARY_WORKSPACE)) {
        counted.add(e);
      }
    }
    ArrayList<String> expected =
        Panes.text(ComputeMetricsTest.expectedRows(counted, POLICY.allowedLateness()));

    PCollection<io.collabpipeline.model.CuratedRow> rows =
        p.apply(Create.timestamped(atArrival(in)).withCoder(CollabEventCoder.of()))
            .apply(
                metrics.withoutEvents(
                    e -> e.workspaceGid().equals(CANARY_WORKSPACE), "test", "canaries"));
    PAssert.that(rows)
        .satisfies(
            actual -> {
              assertThat(
                  Panes.text(Panes.latestPerKey(actual)), containsInAnyOrder(expected.toArray()));
              return null;
            });
    PipelineResult run = p.run();
    run.waitUntilFinish();

    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE),
        equalTo((long) kept.size()));
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES),
        equalTo((long) (in.size() - kept.size())));
    assertThat(committedOrAttempted(run, "test", "canaries"), equalTo(4L));
    ComputeMetricsTest.assertTooLateCounters(run, counted, POLICY.allowedLateness());
  }

  @Test
  public void theOraclesRowsInThreeShardsWithChunksAndPartialsSentOnAtEveryLimit() {
    // Chunks of 2, all chunks on after 5 buffered, all partials on after 3 held: every path.
    runAndCompare(ShardedMetrics.create(POLICY).withShards(3).withLimits(2, 5, 3));
  }

  @Test
  public void theOraclesRowsInOneShardWithTheDefaultLimits() {
    runAndCompare(ShardedMetrics.create(POLICY).withShards(1));
  }

  @Test
  public void refusesAWindowedInputAndNoShards() {
    p.enableAbandonedNodeEnforcement(false);
    PCollection<CollabEvent> windowed =
        p.apply(Create.timestamped(atArrival(input())).withCoder(CollabEventCoder.of()))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> windowed.apply(ShardedMetrics.create(POLICY)));
    assertThat(e.getMessage(), containsString("bounded input in the global window"));
    assertThrows(IllegalArgumentException.class, () -> ShardedMetrics.create(POLICY).withShards(0));
  }
}
