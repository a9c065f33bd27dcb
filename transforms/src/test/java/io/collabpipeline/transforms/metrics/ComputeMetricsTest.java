package io.collabpipeline.transforms.metrics;

import static io.collabpipeline.transforms.Counters.committedOrAttempted;
import static io.collabpipeline.transforms.metrics.TestEvents.atArrival;
import static io.collabpipeline.transforms.metrics.TestEvents.event;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.transforms.time.AssignEventTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class ComputeMetricsTest {

  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final String W1 = "1001";
  private static final String W2 = "2002";
  private static int seq;

  private static long at(String isoTime) {
    return Instant.parse("2026-11-01T" + isoTime + "Z").getMillis();
  }

  private static CollabEvent ev(
      String type, long occurred, long received, String workspace, String actor, String taskGid) {
    return event(String.format("evt-%08d", ++seq), type, occurred, received)
        .setWorkspaceGid(workspace)
        .setActorId(actor)
        .setTaskGid(taskGid)
        .build();
  }

  private static CollabEvent notification(
      long occurred, long received, String workspace, String triggerId, String triggerType) {
    return event(String.format("evt-%08d", ++seq), "notification.sent", occurred, received)
        .setWorkspaceGid(workspace)
        .setActorId("system")
        .setResourceType("notification")
        .setTriggerEventId(triggerId)
        .setTriggerEventType(triggerType)
        .build();
  }

  /**
   * A small mix of every event type over two workspaces, minutes, hours and a day boundary, with
   * late events.
   */
  static List<CollabEvent> mixedInput() {
    long s = 1_000L;
    List<CollabEvent> in = new ArrayList<>();
    in.add(ev("task.created", at("10:00:05"), at("10:00:06"), W1, "a1", "t1"));
    in.add(ev("task.updated", at("10:00:20"), at("10:00:25"), W1, "a2", "t1"));
    in.add(ev("task.updated", at("10:00:21"), at("10:00:25"), W1, "a2", "t2"));
    in.add(ev("task.completed", at("10:00:40"), at("10:00:41"), W1, "a1", "t2"));
    in.add(ev("task.deleted", at("10:01:10"), at("10:01:11"), W1, "a3", "t3"));
    in.add(ev("comment.added", at("10:01:15"), at("10:01:16"), W1, "a4", "t1"));
    in.add(ev("comment.edited", at("10:01:20"), at("10:01:20") + s, W1, "a4", "t1"));
    in.add(ev("comment.deleted", at("10:01:30"), at("10:01:31"), W1, "a5", "t1"));
    in.add(ev("project.member_added", at("10:00:30"), at("10:00:31"), W2, "a1", null));
    in.add(ev("project.member_removed", at("10:00:50"), at("10:00:52"), W2, "a6", null));
    in.add(ev("comment.edited", at("11:30:00"), at("11:30:01"), W2, "a6", "t9"));
    in.add(ev("task.completed", at("11:31:00"), at("11:31:02"), W2, "a7", "t9"));
    in.add(ev("workspace.user_joined", at("10:02:00"), at("10:02:01"), W1, "a8", null));
    in.add(notification(at("10:00:30"), at("10:00:31"), W1, "trg-1", "task.updated"));
    in.add(notification(at("10:00:30"), at("10:00:32"), W1, "trg-1", "task.updated"));
    in.add(notification(at("10:00:31"), at("10:00:33"), W1, "trg-1", "task.updated"));
    in.add(notification(at("10:00:35"), at("10:00:36"), W1, "trg-2", "task.updated"));
    in.add(notification(at("10:00:36"), at("10:00:37"), W1, "trg-3", "comment.added"));
    in.add(notification(at("10:00:37"), at("10:00:38"), W1, "trg-3", "comment.added"));
    in.add(notification(at("10:01:02"), at("10:01:03"), W1, "trg-1", "task.updated"));
    in.add(notification(at("10:05:00"), at("10:05:01"), W2, "trg-4", "project.member_added"));
    // Late but within the 2 hours: counts everywhere.
    in.add(ev("task.updated", at("10:00:45"), at("11:30:00"), W1, "a9", "t4"));
    // Too late for its minute (10:01 + 2 h < 12:01:30), in time for its hour and day.
    in.add(ev("task.updated", at("10:00:50"), at("12:01:30"), W1, "a10", "t5"));
    // Too late for its minute and hour (11:00 + 2 h < 13:05), in time for its day.
    in.add(ev("comment.added", at("10:59:00"), at("13:05:00"), W1, "a11", "t1"));
    in.add(notification(at("10:59:30"), at("13:10:00"), W1, "trg-2", "task.updated"));
    // The last second of the day, arriving on the next day: day window of 2026-11-01.
    in.add(ev("task.created", at("23:59:59"), at("23:59:59") + 2 * s, W2, "a1", "t10"));
    return in;
  }

  private static ChronoUnit unit(Granularity g) {
    switch (g) {
      case MINUTE:
        return ChronoUnit.MINUTES;
      case HOUR:
        return ChronoUnit.HOURS;
      default:
        return ChronoUnit.DAYS;
    }
  }

  private static long windowStart(Granularity g, long millis) {
    return java.time.Instant.ofEpochMilli(millis).truncatedTo(unit(g)).toEpochMilli();
  }

  private static boolean admitted(Granularity g, CollabEvent e, Duration allowedLateness) {
    long end = windowStart(g, e.occurredAtMillis()) + unit(g).getDuration().toMillis();
    return e.receivedAtMillis() <= end + allowedLateness.getMillis();
  }

  /**
   * The reference: the final rows of the three tables, computed directly from the definitions of
   * contract 2.
   */
  static List<CuratedRow> expectedRows(List<CollabEvent> events, Duration allowedLateness) {
    Set<String> editorTypes =
        new HashSet<>(
            Arrays.asList(
                "task.created",
                "task.updated",
                "task.completed",
                "comment.added",
                "comment.edited",
                "project.member_added",
                "project.member_removed"));
    List<CuratedRow> rows = new ArrayList<>();
    for (Granularity g : Granularity.values()) {
      Map<List<Object>, Set<String>> editors = new TreeMap<>(ComputeMetricsTest::compareKeys);
      Map<List<Object>, long[]> velocity = new TreeMap<>(ComputeMetricsTest::compareKeys);
      Map<List<Object>, Set<String>> touched = new TreeMap<>(ComputeMetricsTest::compareKeys);
      Map<List<Object>, Map<String, Long>> fanout = new TreeMap<>(ComputeMetricsTest::compareKeys);
      for (CollabEvent e : events) {
        if (!admitted(g, e, allowedLateness)) {
          continue;
        }
        long start = windowStart(g, e.occurredAtMillis());
        List<Object> key = Arrays.asList(start, e.workspaceGid());
        if (editorTypes.contains(e.eventType())) {
          editors.computeIfAbsent(key, k -> new HashSet<>()).add(e.actorId());
        }
        if (e.eventType().startsWith("task.")) {
          long[] v = velocity.computeIfAbsent(key, k -> new long[2]);
          v[0]++;
          if (e.eventType().equals("task.completed")) {
            v[1]++;
          }
          Set<String> t = touched.computeIfAbsent(key, k -> new HashSet<>());
          if (e.taskGid() != null) {
            t.add(e.taskGid());
          }
        }
        if (e.eventType().equals("notification.sent")) {
          fanout
              .computeIfAbsent(
                  Arrays.asList(start, e.workspaceGid(), e.triggerEventType()),
                  k -> new TreeMap<>())
              .merge(e.triggerEventId(), 1L, Long::sum);
        }
      }
      editors.forEach(
          (k, actors) ->
              rows.add(
                  CuratedRow.activeEditors((Long) k.get(0), g, (String) k.get(1), actors.size())));
      velocity.forEach(
          (k, v) ->
              rows.add(
                  CuratedRow.taskUpdateVelocity(
                      (Long) k.get(0), g, (String) k.get(1), v[0], touched.get(k).size(), v[1])));
      fanout.forEach(
          (k, perTrigger) ->
              rows.add(
                  CuratedRow.notificationFanout(
                      (Long) k.get(0),
                      g,
                      (String) k.get(1),
                      (String) k.get(2),
                      perTrigger.size(),
                      perTrigger.values().stream().mapToLong(Long::longValue).sum(),
                      perTrigger.values().stream().mapToLong(Long::longValue).max().orElse(0L))));
    }
    return rows;
  }

  private static int compareKeys(List<Object> a, List<Object> b) {
    return a.toString().compareTo(b.toString());
  }

  static long tooLate(List<CollabEvent> events, Granularity g, Duration allowedLateness) {
    return events.stream().filter(e -> !admitted(g, e, allowedLateness)).count();
  }

  /**
   * Asserts that {@code run} counted, per granularity, the events of {@code counted} that the
   * reference finds too late for it ({@link #tooLate}), in {@code ComputeMetrics}' counters.
   */
  static void assertTooLateCounters(
      PipelineResult run, List<CollabEvent> counted, Duration allowedLateness) {
    for (Granularity g : Granularity.values()) {
      assertThat(
          g.code(),
          committedOrAttempted(
              run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.tooLateCounterName(g)),
          equalTo(tooLate(counted, g, allowedLateness)));
    }
  }

  @Test
  public void computesExactRowsForEveryTableAndGranularityAndDropsTooLateEventsPerGranularity() {
    // A long early-firing delay: a bounded run gives on-time panes, and late panes when bundles
    // straggle.
    WindowingPolicy policy =
        WindowingPolicy.defaults().withEarlyFiringDelay(Duration.standardHours(1));
    List<CollabEvent> input = mixedInput();
    ArrayList<String> expected = Panes.text(expectedRows(input, policy.allowedLateness()));

    PCollection<CuratedRow> rows =
        p.apply(Create.timestamped(atArrival(input)).withCoder(CollabEventCoder.of()))
            .apply(AssignEventTime.create())
            .apply(ComputeMetrics.create().withWindowingPolicy(policy))
            .apply("CountObservedRows", ParDo.of(new Panes.CountRowsFn()));

    PAssert.that(rows)
        .satisfies(
            actual -> {
              assertThat(
                  Panes.text(Panes.latestPerKey(actual)), containsInAnyOrder(expected.toArray()));
              return null;
            });

    PipelineResult run = p.run();
    run.waitUntilFinish();
    for (Granularity g : Granularity.values()) {
      assertThat(
          g.code(),
          committedOrAttempted(
              run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.tooLateCounterName(g)),
          equalTo(tooLate(input, g, policy.allowedLateness())));
    }
    for (CuratedTable t :
        Arrays.asList(
            CuratedTable.ACTIVE_EDITORS,
            CuratedTable.TASK_UPDATE_VELOCITY,
            CuratedTable.NOTIFICATION_FANOUT)) {
      long observed = committedOrAttempted(run, Panes.CountRowsFn.NAMESPACE, t.tableName());
      assertThat(t.tableName(), observed, greaterThan(0L));
      assertThat(
          t.tableName(),
          committedOrAttempted(
              run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.rowsCounterName(t)),
          equalTo(observed));
    }
  }

  @Test
  public void givesTheSameRowsWhenEveryEventOverfillsTheBundlesPartials() {
    // One partial held at most: every event sends on all it holds at once, its minutes rolled up
    // into hours and days then and there, so every window is merged from many partials.
    WindowingPolicy policy =
        WindowingPolicy.defaults().withEarlyFiringDelay(Duration.standardHours(1));
    List<CollabEvent> input = mixedInput();
    ArrayList<String> expected = Panes.text(expectedRows(input, policy.allowedLateness()));

    PCollection<CuratedRow> rows =
        p.apply(Create.timestamped(atArrival(input)).withCoder(CollabEventCoder.of()))
            .apply(AssignEventTime.create())
            .apply(ComputeMetrics.create().withWindowingPolicy(policy).withMaxHeld(1));

    PAssert.that(rows)
        .satisfies(
            actual -> {
              assertThat(
                  Panes.text(Panes.latestPerKey(actual)), containsInAnyOrder(expected.toArray()));
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  public void refusesEventsInAnotherWindowThanTheGlobalOne() {
    PCollection<CollabEvent> windowed =
        p.apply(Create.timestamped(atArrival(mixedInput())).withCoder(CollabEventCoder.of()))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> windowed.apply(ComputeMetrics.create()));
    assertThat(e.getMessage(), startsWith("ComputeMetrics takes events in the global window"));
    p.enableAbandonedNodeEnforcement(false);
  }

  /**
   * Collects the values of one column of the rows of one table, granularity and workspace, in every
   * pane.
   */
  private static List<Long> paneValues(
      Iterable<CuratedRow> rows, CuratedTable table, Granularity g, String column) {
    List<Long> values = new ArrayList<>();
    for (CuratedRow r : rows) {
      if (r.table() == table && r.getString("granularity").equals(g.code())) {
        values.add(r.getLong(column));
      }
    }
    values.sort(Long::compare);
    return values;
  }

  @Test
  public void firesEarlyOnTimeAndLatePanesAndExcludesDataTooLateByTheDataRule() {
    Duration lateness = Duration.standardMinutes(5);
    WindowingPolicy policy =
        WindowingPolicy.defaults()
            .withEarlyFiringDelay(Duration.standardSeconds(30))
            .withAllowedLateness(lateness)
            .withLatenessSlack(Duration.standardMinutes(1));
    long t = at("10:00:00");
    CollabEvent first = ev("task.updated", t + 10_000, t + 12_000, W1, "a1", "t1");
    CollabEvent onTime = ev("task.updated", t + 20_000, t + 40_000, W1, "a2", "t1");
    // Behind the watermark for its minute window, but it arrived within window end + 5 min: counts,
    // late pane.
    CollabEvent late = ev("task.updated", t + 30_000, t + 180_000, W1, "a3", "t1");
    // Arrived after window end + 5 min: too late for its minute (though Beam's lateness would still
    // admit it),
    // in time for its hour and day.
    CollabEvent tooLate = ev("task.updated", t + 40_000, t + 420_000, W1, "a4", "t1");

    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .advanceWatermarkTo(new Instant(t))
            .addElements(atArrival(first))
            .advanceProcessingTime(Duration.standardSeconds(31))
            .addElements(atArrival(onTime))
            .advanceWatermarkTo(new Instant(t + 70_000))
            .addElements(atArrival(late))
            .advanceWatermarkTo(new Instant(t + 240_000))
            .addElements(atArrival(tooLate))
            .advanceWatermarkToInfinity();

    PCollection<CuratedRow> rows =
        p.apply(stream)
            .apply(AssignEventTime.create())
            .apply(ComputeMetrics.create().withWindowingPolicy(policy));

    PAssert.that(rows)
        .satisfies(
            actual -> {
              // Minute: early pane {first}, on-time pane {first, onTime}, late pane {+late};
              // tooLate never.
              assertThat(
                  paneValues(
                      actual, CuratedTable.ACTIVE_EDITORS, Granularity.MINUTE, "active_editors"),
                  equalTo(Arrays.asList(1L, 2L, 3L)));
              assertThat(
                  paneValues(
                      actual,
                      CuratedTable.TASK_UPDATE_VELOCITY,
                      Granularity.MINUTE,
                      "task_updates"),
                  equalTo(Arrays.asList(1L, 2L, 3L)));
              // Hour and day: an early pane with the first event, and finally all four.
              for (Granularity g : Arrays.asList(Granularity.HOUR, Granularity.DAY)) {
                List<Long> values =
                    paneValues(actual, CuratedTable.ACTIVE_EDITORS, g, "active_editors");
                assertThat(g.code(), values.get(0), equalTo(1L));
                assertThat(g.code(), values.get(values.size() - 1), equalTo(4L));
              }
              List<Object> expectedFinal =
                  Arrays.asList(
                      CuratedRow.activeEditors(t, Granularity.MINUTE, W1, 3),
                      CuratedRow.activeEditors(t, Granularity.HOUR, W1, 4),
                      CuratedRow.activeEditors(
                          Granularity.DAY.windowStart(t), Granularity.DAY, W1, 4),
                      CuratedRow.taskUpdateVelocity(t, Granularity.MINUTE, W1, 3, 1, 0),
                      CuratedRow.taskUpdateVelocity(t, Granularity.HOUR, W1, 4, 1, 0),
                      CuratedRow.taskUpdateVelocity(
                          Granularity.DAY.windowStart(t), Granularity.DAY, W1, 4, 1, 0));
              assertThat(Panes.latestPerKey(actual), containsInAnyOrder(expectedFinal.toArray()));
              return null;
            });

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.TOO_LATE_MINUTE),
        equalTo(1L));
    assertThat(
        committedOrAttempted(run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.TOO_LATE_HOUR),
        equalTo(0L));
    assertThat(
        committedOrAttempted(run, ComputeMetrics.METRICS_NAMESPACE, ComputeMetrics.TOO_LATE_DAY),
        equalTo(0L));
  }
}
