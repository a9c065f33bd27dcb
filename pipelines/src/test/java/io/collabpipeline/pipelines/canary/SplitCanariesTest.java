package io.collabpipeline.pipelines.canary;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.Counters;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The split of the stream and the drop of a replay keep canaries (the reserved workspace) out of
 * the events the metrics count, and count them alike.
 */
@RunWith(JUnit4.class)
public class SplitCanariesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final long T0 = 1_793_613_600_000L; // 2026-11-02T10:00:00Z

  private static CollabEvent event(int i, String workspace) {
    return CollabEvent.builder()
        .setEventId(String.format("evt-canary-test-%04d", i))
        .setEventType("task.updated")
        .setSchemaVersion(1)
        .setOccurredAtMillis(T0 + i)
        .setReceivedAtMillis(T0 + i + 500)
        .setWorkspaceGid(workspace)
        .setActorId("actor-" + i)
        .setPlatform("web")
        .setResourceType("task")
        .setResourceGid(Integer.toString(i))
        .setPayloadJson("{}")
        .setSource(SourceRef.kafka("events", i % 3, i))
        .build();
  }

  /** Every fifth event is in the canary workspace, the rest in product workspaces ("00" too). */
  private static List<CollabEvent> mixed() {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String workspace = i % 5 == 0 ? "0" : i % 5 == 1 ? "00" : Integer.toString(100 + i);
      events.add(event(i, workspace));
    }
    return events;
  }

  private static List<CollabEvent> inWorkspace(List<CollabEvent> events, boolean canary) {
    List<CollabEvent> out = new ArrayList<>();
    for (CollabEvent e : events) {
      if (e.workspaceGid().equals("0") == canary) {
        out.add(e);
      }
    }
    return out;
  }

  private static long canariesCounted(PipelineResult run) {
    return Counters.committedOrAttempted(
        run, SplitCanaries.METRICS_NAMESPACE, SplitCanaries.CANARIES_COUNTER);
  }

  @Test
  public void theSplitSeparatesCanariesFromProductEvents() {
    List<CollabEvent> events = mixed();
    SplitCanaries.Result split =
        p.apply(Create.of(events).withCoder(CollabEventCoder.of())).apply(SplitCanaries.create());
    PAssert.that(split.events()).containsInAnyOrder(inWorkspace(events, false));
    PAssert.that(split.canaries()).containsInAnyOrder(inWorkspace(events, true));
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(canariesCounted(run), equalTo(5L));
  }

  @Test
  public void eventsOnlyKeepsTheProductEventsAndCountsTheDroppedCanaries() {
    List<CollabEvent> events = mixed();
    PCollection<CollabEvent> kept =
        p.apply(Create.of(events).withCoder(CollabEventCoder.of()))
            .apply(SplitCanaries.eventsOnly());
    PAssert.that(kept).containsInAnyOrder(inWorkspace(events, false));
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(canariesCounted(run), equalTo(5L));
  }
}
