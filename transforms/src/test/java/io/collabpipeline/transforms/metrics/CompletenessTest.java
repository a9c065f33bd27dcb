package io.collabpipeline.transforms.metrics;

import static io.collabpipeline.transforms.Counters.committedOrAttempted;
import static io.collabpipeline.transforms.metrics.TestEvents.atArrival;
import static io.collabpipeline.transforms.metrics.TestEvents.event;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.QuarantineRecordCoder;
import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.model.Stage;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class CompletenessTest {

  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final long BASE = Instant.parse("2026-11-01T22:30:00Z").getMillis();

  @Test
  public void ticksAreCountedAtArrivalWhateverTheInputTimestamp() {
    long arrival = BASE;
    CollabEvent behind =
        event("evt-00000001", "task.updated", arrival - 3_600_000L, arrival).build();
    CollabEvent ahead =
        event("evt-00000002", "task.updated", arrival + 5_000L, arrival + 1_000L).build();
    RawRecord raw =
        RawRecord.of(
            "{}".getBytes(StandardCharsets.UTF_8), SourceRef.file("/in/a.json", 1), arrival);
    QuarantineRecord quarantined =
        QuarantineRecord.of(raw, ReasonCode.NOT_AN_OBJECT, "/: not an object", null, null);

    // Events timestamped at event time (as after AssignEventTime): one before, one after its
    // arrival.
    PCollection<KV<String, Long>> eventTicks =
        p.apply(
                "Events",
                Create.timestamped(
                        TimestampedValue.of(behind, new Instant(behind.occurredAtMillis())),
                        TimestampedValue.of(ahead, new Instant(ahead.occurredAtMillis())))
                    .withCoder(CollabEventCoder.of()))
            .apply(
                "TickAccepted",
                CompletenessTicks.of(Stage.ACCEPTED, CollabEvent::receivedAtMillis));
    PCollection<KV<String, Long>> rawTicks =
        p.apply(
                "Raw",
                Create.timestamped(TimestampedValue.of(raw, new Instant(0L)))
                    .withCoder(RawRecordCoder.of()))
            .apply("TickReceived", CompletenessTicks.ofRawRecords(Stage.RECEIVED));
    PCollection<KV<String, Long>> quarantineTicks =
        p.apply(
                "Quarantine",
                Create.timestamped(TimestampedValue.of(quarantined, new Instant(arrival + 60_000L)))
                    .withCoder(QuarantineRecordCoder.of()))
            .apply("TickQuarantined", CompletenessTicks.ofQuarantine(Stage.QUARANTINED));

    // Both events arrived in the same hour: one count of 2 at the earlier arrival if the runner
    // put them in one bundle, else a count of 1 at each arrival.
    long behindArrival = behind.receivedAtMillis();
    long aheadArrival = ahead.receivedAtMillis();
    PAssert.that(eventTicks.apply("ReifyEvents", Reify.timestamps()))
        .satisfies(
            counts -> {
              long total = 0;
              for (TimestampedValue<KV<String, Long>> c : counts) {
                assertThat(c.getValue().getKey(), equalTo("accepted"));
                total += c.getValue().getValue();
                long expected =
                    c.getValue().getValue() == 2L ? behindArrival : c.getTimestamp().getMillis();
                assertThat(c.getTimestamp().getMillis(), equalTo(expected));
                assertThat(
                    List.of(behindArrival, aheadArrival), hasItem(c.getTimestamp().getMillis()));
              }
              assertThat(total, equalTo(2L));
              return null;
            });
    PAssert.that(rawTicks.apply("ReifyRaw", Reify.timestamps()))
        .containsInAnyOrder(TimestampedValue.of(KV.of("received", 1L), new Instant(arrival)));
    PAssert.that(quarantineTicks.apply("ReifyQuarantine", Reify.timestamps()))
        .containsInAnyOrder(TimestampedValue.of(KV.of("quarantined", 1L), new Instant(arrival)));

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.ACCEPTED.code()),
        equalTo(2L));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.RECEIVED.code()),
        equalTo(1L));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.QUARANTINED.code()),
        equalTo(1L));
  }

  /**
   * The ticks of one bundle are counted per arrival hour, each count timestamped at the earliest
   * arrival it counts; another bundle's ticks are counted apart. A {@code TestStream}'s elements of
   * one {@code addElements} are one bundle on the DirectRunner. Expected counts and timestamps are
   * worked out by hand from the arrivals below.
   */
  @Test
  public void ticksOfOneBundleAreCountedPerArrivalHourAtTheirEarliestArrival() {
    long hour = Instant.parse("2026-11-01T22:00:00Z").getMillis();
    long minute = 60_000L;
    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .addElements(
                arrivingAt("evt-a", hour + 10 * minute),
                arrivingAt("evt-b", hour + 5 * minute),
                arrivingAt("evt-c", hour + 60 * minute + 1_000L),
                arrivingAt("evt-d", hour + 59 * minute))
            .addElements(arrivingAt("evt-e", hour + 30 * minute))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, Long>> counts =
        p.apply(stream).apply("TickAccepted", CompletenessTicks.ofEvents(Stage.ACCEPTED));
    PAssert.that(counts.apply("Reify", Reify.timestamps()))
        .containsInAnyOrder(
            TimestampedValue.of(KV.of("accepted", 3L), new Instant(hour + 5 * minute)),
            TimestampedValue.of(KV.of("accepted", 1L), new Instant(hour + 60 * minute + 1_000L)),
            TimestampedValue.of(KV.of("accepted", 1L), new Instant(hour + 30 * minute)));
    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.ACCEPTED.code()),
        equalTo(5L));
  }

  /**
   * With room for one held count only, a bundle's counts are emitted as they overflow: more,
   * smaller counts, the same totals per arrival hour, each timestamped in its own hour. The oracle
   * counts the arrivals per hour in plain Java.
   */
  @Test
  public void overflowingCountsKeepTheTotalsPerArrivalHour() {
    List<TimestampedValue<CollabEvent>> events = new ArrayList<>();
    Map<Long, Long> expected = new TreeMap<>();
    for (int i = 0; i < 60; i++) {
      long arrival = BASE + (i % 7) * 1_900_000L + i;
      events.add(arrivingAt(eventId(i), arrival));
      expected.merge(Granularity.HOUR.windowStart(arrival), 1L, Long::sum);
    }
    PCollection<KV<String, Long>> counts =
        p.apply("Events", Create.timestamped(events).withCoder(CollabEventCoder.of()))
            .apply(
                "TickAccepted",
                ParDo.of(
                    new CompletenessTicks.TickFn<CollabEvent>(
                        Stage.ACCEPTED, CollabEvent::receivedAtMillis, null, null, 1)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PAssert.that(counts.apply("PerHour", ParDo.of(new PerArrivalHourFn())).apply(Sum.longsPerKey()))
        .containsInAnyOrder(
            expected.entrySet().stream()
                .map(e -> KV.of(e.getKey(), e.getValue()))
                .collect(Collectors.toList()));
    p.run().waitUntilFinish();
  }

  private static TimestampedValue<CollabEvent> arrivingAt(String id, long arrival) {
    // Timestamped at event time, an hour before arrival: the count must take the arrival.
    return TimestampedValue.of(
        event(id, "task.updated", arrival - 3_600_000L, arrival).build(),
        new Instant(arrival - 3_600_000L));
  }

  /** A count keyed by the start of its timestamp's hour. */
  private static final class PerArrivalHourFn extends DoFn<KV<String, Long>, KV<Long, Long>> {
    @ProcessElement
    public void process(
        @Element KV<String, Long> count,
        @Timestamp Instant ts,
        OutputReceiver<KV<Long, Long>> out) {
      out.output(KV.of(Granularity.HOUR.windowStart(ts.getMillis()), count.getValue()));
    }
  }

  private static String eventId(int i) {
    return String.format("evt-%08d", i);
  }

  @Test
  public void receivedEqualsQuarantinedPlusDuplicatePlusAcceptedForEveryHourAndDay() {
    // 40 records arriving every 4.5 minutes from 22:30 to 01:25 the next day: four hours, two days.
    List<RawRecord> received = new ArrayList<>();
    List<QuarantineRecord> quarantined = new ArrayList<>();
    List<CollabEvent> valid = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long arrival = BASE + i * 270_000L;
      SourceRef source = SourceRef.kafka("events", i % 2, i);
      RawRecord raw =
          RawRecord.of(("record " + i).getBytes(StandardCharsets.UTF_8), source, arrival);
      received.add(raw);
      if (i % 7 == 3) {
        quarantined.add(QuarantineRecord.of(raw, ReasonCode.NOT_JSON, "/: not json", null, null));
      } else {
        // Every third record is a re-delivery of the one before it.
        String id = i % 3 == 2 ? eventId(i - 1) : eventId(i);
        valid.add(event(id, "task.updated", arrival - 30_000L, arrival).setSource(source).build());
      }
    }

    // The reference: the earliest arrival of each id is accepted, every other copy is a duplicate.
    Map<String, CollabEvent> kept = new HashMap<>();
    for (CollabEvent e : valid) {
      kept.merge(e.eventId(), e, (a, b) -> a.receivedAtMillis() <= b.receivedAtMillis() ? a : b);
    }
    Map<List<Object>, Long> expectedCounts =
        new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
    for (Granularity g : Arrays.asList(Granularity.HOUR, Granularity.DAY)) {
      ChronoUnit unit = g == Granularity.HOUR ? ChronoUnit.HOURS : ChronoUnit.DAYS;
      for (RawRecord r : received) {
        expectedCounts.merge(key(g, unit, r.receivedAtMillis(), Stage.RECEIVED), 1L, Long::sum);
      }
      for (QuarantineRecord q : quarantined) {
        expectedCounts.merge(
            key(g, unit, q.original().receivedAtMillis(), Stage.QUARANTINED), 1L, Long::sum);
      }
      for (CollabEvent e : valid) {
        Stage stage = kept.get(e.eventId()) == e ? Stage.ACCEPTED : Stage.DUPLICATE;
        expectedCounts.merge(key(g, unit, e.receivedAtMillis(), stage), 1L, Long::sum);
      }
    }
    List<CuratedRow> expectedRows = new ArrayList<>();
    expectedCounts.forEach(
        (k, n) ->
            expectedRows.add(
                CuratedRow.completeness(
                    (Long) k.get(0),
                    Granularity.fromCode((String) k.get(1)),
                    (String) k.get(2),
                    n)));
    ArrayList<String> expected = Panes.text(expectedRows);

    PCollection<RawRecord> raw =
        p.apply(
            "Received", Create.timestamped(atArrivalRaw(received)).withCoder(RawRecordCoder.of()));
    PCollection<QuarantineRecord> quarantine =
        p.apply(
            "Quarantined",
            Create.timestamped(atArrivalQuarantine(quarantined))
                .withCoder(QuarantineRecordCoder.of()));
    DedupByEventId.Result dedup =
        p.apply("Valid", Create.timestamped(atArrival(valid)).withCoder(CollabEventCoder.of()))
            .apply(DedupByEventId.create());
    PCollection<CuratedRow> rows =
        PCollectionList.of(
                raw.apply("TickReceived", CompletenessTicks.ofRawRecords(Stage.RECEIVED)))
            .and(
                quarantine.apply(
                    "TickQuarantined", CompletenessTicks.ofQuarantine(Stage.QUARANTINED)))
            .and(
                dedup
                    .duplicates()
                    .apply("TickDuplicate", CompletenessTicks.ofEvents(Stage.DUPLICATE)))
            .and(dedup.unique().apply("TickAccepted", CompletenessTicks.ofEvents(Stage.ACCEPTED)))
            .apply("FlattenTicks", Flatten.pCollections())
            .apply(
                ComputeCompleteness.create()
                    .withWindowingPolicy(
                        WindowingPolicy.defaults().withEarlyFiringDelay(Duration.standardHours(1))))
            .apply("CountObservedRows", ParDo.of(new Panes.CountRowsFn()));

    PAssert.that(rows)
        .satisfies(
            actual -> {
              List<CuratedRow> latest = Panes.latestPerKey(actual);
              assertThat(Panes.text(latest), containsInAnyOrder(expected.toArray()));
              assertBalanced(latest);
              return null;
            });

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.RECEIVED.code()),
        equalTo((long) received.size()));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.QUARANTINED.code()),
        equalTo((long) quarantined.size()));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.ACCEPTED.code()),
        equalTo((long) kept.size()));
    assertThat(
        committedOrAttempted(run, CompletenessTicks.METRICS_NAMESPACE, Stage.DUPLICATE.code()),
        equalTo((long) (valid.size() - kept.size())));
    long observedRows =
        committedOrAttempted(
            run, Panes.CountRowsFn.NAMESPACE, CuratedTable.PIPELINE_COMPLETENESS.tableName());
    assertThat(observedRows, greaterThan(0L));
    assertThat(
        committedOrAttempted(
            run,
            CompletenessTicks.METRICS_NAMESPACE,
            ComputeCompleteness.ROWS_PIPELINE_COMPLETENESS),
        equalTo(observedRows));
  }

  /**
   * For every window of the output itself: received = quarantined + duplicate + accepted (a missing
   * row is 0).
   */
  private static void assertBalanced(List<CuratedRow> latest) {
    Map<List<Object>, Map<String, Long>> byWindow = new HashMap<>();
    for (CuratedRow r : latest) {
      byWindow
          .computeIfAbsent(
              Arrays.asList(r.get("window_start"), r.get("granularity")), k -> new HashMap<>())
          .put(r.getString("stage"), r.getLong("events"));
    }
    for (Map.Entry<List<Object>, Map<String, Long>> w : byWindow.entrySet()) {
      Map<String, Long> s = w.getValue();
      long sum =
          s.getOrDefault(Stage.QUARANTINED.code(), 0L)
              + s.getOrDefault(Stage.DUPLICATE.code(), 0L)
              + s.getOrDefault(Stage.ACCEPTED.code(), 0L);
      assertThat(w.getKey().toString(), s.getOrDefault(Stage.RECEIVED.code(), 0L), equalTo(sum));
    }
  }

  private static List<Object> key(Granularity g, ChronoUnit unit, long arrival, Stage stage) {
    long start = java.time.Instant.ofEpochMilli(arrival).truncatedTo(unit).toEpochMilli();
    return Arrays.asList(start, g.code(), stage.code());
  }

  private static List<TimestampedValue<RawRecord>> atArrivalRaw(List<RawRecord> records) {
    List<TimestampedValue<RawRecord>> out = new ArrayList<>();
    for (RawRecord r : records) {
      out.add(TimestampedValue.of(r, new Instant(r.receivedAtMillis())));
    }
    return out;
  }

  private static List<TimestampedValue<QuarantineRecord>> atArrivalQuarantine(
      List<QuarantineRecord> records) {
    List<TimestampedValue<QuarantineRecord>> out = new ArrayList<>();
    for (QuarantineRecord q : records) {
      out.add(TimestampedValue.of(q, new Instant(q.original().receivedAtMillis())));
    }
    return out;
  }
}
