package io.collabpipeline.transforms.dedup;

import static io.collabpipeline.transforms.Counters.committedOrAttempted;
import static io.collabpipeline.transforms.metrics.TestEvents.atArrival;
import static io.collabpipeline.transforms.metrics.TestEvents.event;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class DedupByEventIdTest {

  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");

  private static CollabEvent copy(String id, Duration arrivalAfterT0, SourceRef source) {
    long arrival = T0.plus(arrivalAfterT0).getMillis();
    return event(id, "task.updated", arrival - 5_000L, arrival).setSource(source).build();
  }

  @Test
  public void copyWithinHorizonGoesToDuplicatesAtItsOwnArrival() {
    CollabEvent a1 = copy("evt-aaaaaaaa", Duration.ZERO, SourceRef.kafka("events", 0, 1));
    CollabEvent b1 =
        copy("evt-bbbbbbbb", Duration.standardSeconds(1), SourceRef.kafka("events", 0, 2));
    CollabEvent a2 =
        copy("evt-aaaaaaaa", Duration.standardMinutes(5), SourceRef.kafka("events", 1, 7));

    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .advanceWatermarkTo(T0)
            .addElements(atArrival(a1), atArrival(b1))
            .advanceWatermarkTo(T0.plus(Duration.standardMinutes(5)))
            .addElements(atArrival(a2))
            .advanceWatermarkToInfinity();

    DedupByEventId.Result result =
        p.apply(stream).apply(DedupByEventId.create().withHorizon(Duration.standardHours(1)));

    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(atArrival(a1), atArrival(b1));
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(atArrival(a2));

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE),
        equalTo(2L));
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES),
        equalTo(1L));
  }

  @Test
  public void redeliveryAfterTheHorizonIsUniqueAgain() {
    Duration horizon = Duration.standardMinutes(10);
    CollabEvent a1 = copy("evt-aaaaaaaa", Duration.ZERO, SourceRef.kafka("events", 0, 1));
    // Arrives after the memory of a1 expired (T0 + horizon): unique again.
    CollabEvent a2 =
        copy(
            "evt-aaaaaaaa",
            horizon.plus(Duration.standardMinutes(1)),
            SourceRef.kafka("events", 0, 9));
    // Within the horizon of a2: a duplicate of it.
    CollabEvent a3 =
        copy(
            "evt-aaaaaaaa",
            horizon.plus(Duration.standardMinutes(2)),
            SourceRef.kafka("events", 0, 10));

    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .advanceWatermarkTo(T0)
            .addElements(atArrival(a1))
            .advanceWatermarkTo(new Instant(a2.receivedAtMillis()))
            .addElements(atArrival(a2))
            .advanceWatermarkTo(new Instant(a3.receivedAtMillis()))
            .addElements(atArrival(a3))
            .advanceWatermarkToInfinity();

    DedupByEventId.Result result =
        p.apply(stream).apply(DedupByEventId.create().withHorizon(horizon));

    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(atArrival(a1), atArrival(a2));
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(atArrival(a3));

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE),
        equalTo(2L));
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES),
        equalTo(1L));
    // a1's memory expired at T0 + horizon, a2's when the watermark reached the end.
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.EXPIRED),
        equalTo(2L));
  }

  @Test
  public void laterArrivalProcessedFirstLosesToTheEarliestArrival() {
    CollabEvent late =
        copy("evt-aaaaaaaa", Duration.standardSeconds(5), SourceRef.kafka("events", 0, 50));
    CollabEvent early =
        copy("evt-aaaaaaaa", Duration.standardSeconds(1), SourceRef.kafka("events", 1, 60));

    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .advanceWatermarkTo(T0)
            .addElements(atArrival(late))
            .addElements(atArrival(early))
            .advanceWatermarkToInfinity();

    DedupByEventId.Result result = p.apply(stream).apply(DedupByEventId.create());

    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(atArrival(early));
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(atArrival(late));
    p.run().waitUntilFinish();
  }

  /**
   * Independent reference: of each id's copies, the minimum by arrival, then kind code, name,
   * partition, offset.
   */
  /**
   * {@code ids} ids with one to four copies each, spread over five minutes of arrival from T0; half
   * the extra copies share the first copy's arrival (a tie, decided by the source coordinates), the
   * rest come up to 40 s later. The copies of one id are listed together.
   */
  private static List<CollabEvent> generatedCopies(Random random, int ids, String idPrefix) {
    List<CollabEvent> copies = new ArrayList<>();
    for (int i = 0; i < ids; i++) {
      String id = String.format("%s%04d-%s", idPrefix, i, Long.toHexString(random.nextLong()));
      addCopies(random, id, copies);
    }
    return copies;
  }

  /** One to four copies of {@code id}, as {@link #generatedCopies} makes them. */
  private static void addCopies(Random random, String id, List<CollabEvent> copies) {
    long base = random.nextInt(300_000);
    int n = 1 + random.nextInt(4);
    for (int c = 0; c < n; c++) {
      long arrival = c == 0 || random.nextBoolean() ? base : base + random.nextInt(40_000);
      SourceRef source =
          random.nextInt(5) == 0
              ? SourceRef.file("s3://bucket/in/" + random.nextInt(3) + ".json", c)
              : SourceRef.kafka("events", random.nextInt(4), random.nextInt(1_000));
      copies.add(copy(id, Duration.millis(arrival), source));
    }
  }

  /**
   * Runs {@code input} through the dedup and checks both outputs, with their timestamps, and the
   * counters against a plain grouping of {@code copies} ({@link #expectedKept}).
   */
  private void assertGivesWhatAPlainGroupingGives(
      PCollection<CollabEvent> input, List<CollabEvent> copies) {
    assertGivesWhatAPlainGroupingGives(input, copies, DedupByEventId.create());
  }

  /** {@link #assertGivesWhatAPlainGroupingGives} with {@code dedup}. */
  private void assertGivesWhatAPlainGroupingGives(
      PCollection<CollabEvent> input, List<CollabEvent> copies, DedupByEventId dedup) {
    Map<String, CollabEvent> kept = expectedKept(copies);
    List<TimestampedValue<CollabEvent>> expectedUnique = new ArrayList<>();
    List<TimestampedValue<CollabEvent>> expectedDuplicates = new ArrayList<>();
    for (CollabEvent e : copies) {
      (kept.get(e.eventId()) == e ? expectedUnique : expectedDuplicates).add(atArrival(e));
    }

    DedupByEventId.Result result = input.apply(dedup);

    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(expectedUnique);
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(expectedDuplicates);

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.UNIQUE),
        equalTo((long) expectedUnique.size()));
    assertThat(
        committedOrAttempted(run, DedupByEventId.METRICS_NAMESPACE, DedupByEventId.DUPLICATES),
        equalTo((long) expectedDuplicates.size()));
  }

  /** {@code stream} with {@code events} added, each at its arrival. */
  private static TestStream.Builder<CollabEvent> addAll(
      TestStream.Builder<CollabEvent> stream, List<CollabEvent> events) {
    if (events.isEmpty()) {
      return stream;
    }
    List<TimestampedValue<CollabEvent>> elements = atArrival(events);
    return stream.addElements(
        elements.get(0), elements.subList(1, elements.size()).toArray(new TimestampedValue[0]));
  }

  private static Map<String, CollabEvent> expectedKept(List<CollabEvent> copies) {
    Comparator<CollabEvent> order =
        Comparator.<CollabEvent>comparingLong(e -> e.receivedAtMillis())
            .thenComparing(e -> e.source().kind().code())
            .thenComparing(e -> e.source().name())
            .thenComparingInt(e -> e.source().partition())
            .thenComparingLong(e -> e.source().offset());
    Map<String, CollabEvent> kept = new LinkedHashMap<>();
    for (CollabEvent e : copies) {
      kept.merge(e.eventId(), e, (x, y) -> order.compare(x, y) <= 0 ? x : y);
    }
    return kept;
  }

  @Test
  public void earliestArrivalWinsInABoundedInputWhateverTheOrder() {
    List<CollabEvent> copies =
        Arrays.asList(
            // X: the earliest arrival is listed second.
            copy("evt-xxxxxxxx", Duration.standardSeconds(30), SourceRef.kafka("events", 0, 1)),
            copy("evt-xxxxxxxx", Duration.standardSeconds(10), SourceRef.kafka("events", 2, 2)),
            copy("evt-xxxxxxxx", Duration.standardSeconds(20), SourceRef.kafka("events", 1, 3)),
            // Same arrival: the smaller source coordinate wins, by kind code (file < kafka,
            // whatever the name),
            copy("evt-kind0001", Duration.standardSeconds(5), SourceRef.kafka("events", 0, 1)),
            copy(
                "evt-kind0001",
                Duration.standardSeconds(5),
                SourceRef.file("s3://bucket/in/a.json", 4)),
            // then name,
            copy("evt-name0001", Duration.standardSeconds(5), SourceRef.kafka("events-b", 0, 1)),
            copy("evt-name0001", Duration.standardSeconds(5), SourceRef.kafka("events-a", 1, 9)),
            // then partition (the offset would choose the other copy),
            copy("evt-part0001", Duration.standardSeconds(5), SourceRef.kafka("events", 1, 3)),
            copy("evt-part0001", Duration.standardSeconds(5), SourceRef.kafka("events", 0, 9)),
            // then offset.
            copy("evt-offs0001", Duration.standardSeconds(5), SourceRef.kafka("events", 0, 9)),
            copy("evt-offs0001", Duration.standardSeconds(5), SourceRef.kafka("events", 0, 3)),
            // Z: one copy only.
            copy("evt-zzzzzzzz", Duration.standardSeconds(7), SourceRef.kafka("events", 0, 4)));
    assertGivesWhatAPlainGroupingGives(
        p.apply(Create.timestamped(atArrival(copies)).withCoder(CollabEventCoder.of())), copies);
  }

  /**
   * A bounded input in two shards: 1,500 ids with one to four copies each (fixed seed), shuffled,
   * so that each shard's copies come in several chunks ({@value
   * DedupByEventId#BOUNDED_CHUNK_EVENTS} events at most) and the copies of one id meet across
   * chunks; both outputs, their timestamps and the counters are what a plain grouping gives.
   */
  @Test
  public void aBoundedInputInShardsOfManyChunksGivesWhatAPlainGroupingGives() {
    Random random = new Random(35);
    List<CollabEvent> copies = generatedCopies(random, 1_500, "evt-shard-");
    Collections.shuffle(copies, random);
    assertThat(copies.size() / 2 > 2 * DedupByEventId.BOUNDED_CHUNK_EVENTS, equalTo(true));
    assertGivesWhatAPlainGroupingGives(
        p.apply(Create.timestamped(atArrival(copies)).withCoder(CollabEventCoder.of())),
        copies,
        DedupByEventId.create().withBoundedShards(2));
  }

  @Test
  public void withBoundedShardsRejectsLessThanOne() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DedupByEventId.create().withBoundedShards(0));
    assertThat(e.getMessage(), containsString("withBoundedShards(n) needs n >= 1, got 0"));
  }

  /**
   * A bounded input is deduplicated over the whole input, whatever the horizon: copies an hour
   * apart with a one-minute horizon are still one event (the streaming path would emit the later
   * one again).
   */
  @Test
  public void aBoundedInputIsExactBeyondTheHorizon() {
    List<CollabEvent> copies =
        Arrays.asList(
            copy("evt-far00001", Duration.standardMinutes(60), SourceRef.kafka("events", 0, 7)),
            copy("evt-far00001", Duration.standardSeconds(1), SourceRef.kafka("events", 0, 1)),
            copy("evt-far00001", Duration.standardMinutes(120), SourceRef.kafka("events", 1, 2)));
    PCollection<CollabEvent> input =
        p.apply(Create.timestamped(atArrival(copies)).withCoder(CollabEventCoder.of()));
    DedupByEventId.Result result =
        input.apply(DedupByEventId.create().withHorizon(Duration.standardMinutes(1)));
    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(atArrival(copies.get(1)));
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(atArrival(copies.get(0)), atArrival(copies.get(2)));
    p.run().waitUntilFinish();
  }

  /**
   * A generated stream (fixed seed): 60 ids with one to four copies each, spread over five minutes
   * of arrival, ties on arrival broken by source coordinates; read in 10-second batches, shuffled
   * within a batch, the watermark advanced to the end of each batch. Copies of an id in different
   * batches meet only after the first was emitted (the remembered ids); copies in one batch meet as
   * candidates. Both must give what a plain grouping gives.
   */
  @Test
  public void aGeneratedStreamGivesWhatAPlainGroupingGives() {
    Random random = new Random(20261101L);
    List<CollabEvent> copies = generatedCopies(random, 60, "evt-gen-");
    Map<Long, List<CollabEvent>> batches = new TreeMap<>();
    for (CollabEvent e : copies) {
      long batch = (e.receivedAtMillis() - T0.getMillis()) / 10_000;
      batches.computeIfAbsent(batch, b -> new ArrayList<>()).add(e);
    }
    TestStream.Builder<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of()).advanceWatermarkTo(T0);
    for (Map.Entry<Long, List<CollabEvent>> batch : batches.entrySet()) {
      List<CollabEvent> shuffled = new ArrayList<>(batch.getValue());
      Collections.shuffle(shuffled, random);
      stream =
          addAll(stream, shuffled)
              .advanceWatermarkTo(T0.plus(Duration.millis((batch.getKey() + 1) * 10_000 - 1)));
    }
    assertGivesWhatAPlainGroupingGives(p.apply(stream.advanceWatermarkToInfinity()), copies);
  }

  /**
   * {@code count} event ids whose hashes fall in the shard of {@code first}'s hash, found by trying
   * ids in turn: the streaming path keeps all ids of a shard under one key.
   */
  private static List<String> idsInTheShardOf(String first, int count) {
    int shard = DedupByEventId.IdHash.of(first).shard();
    List<String> ids = new ArrayList<>();
    ids.add(first);
    for (int n = 0; ids.size() < count; n++) {
      String id = first + "-" + n;
      if (DedupByEventId.IdHash.of(id).shard() == shard) {
        ids.add(id);
      }
    }
    return ids;
  }

  /**
   * Ids that share a shard, their copies read ahead of the watermark: the first read holds every
   * copy before 150 s of arrival and half of those after, the second read (once the watermark is at
   * 150 s) the other half; the watermark moves in 10-second steps. So each shard holds candidates
   * of many ids at once, passes on only those the watermark reached at each step, and meets copies
   * of ids it has already passed on. One id of the first shard has a copy at 200 s in the first
   * read and a better one at 180 s in the second: passing on a candidate before the watermark
   * reaches it would keep the first. The result must be what a plain grouping gives.
   */
  @Test
  public void idsSharingAShardArePassedOnAsTheWatermarkReachesThem() {
    Random random = new Random(20261207L);
    List<String> ids = new ArrayList<>(idsInTheShardOf("evt-shard-a", 17));
    String laterBetter = ids.remove(ids.size() - 1);
    ids.addAll(idsInTheShardOf("evt-shard-b", 8));
    List<CollabEvent> copies = new ArrayList<>();
    for (String id : ids) {
      addCopies(random, id, copies);
    }
    long middle = T0.getMillis() + 150_000;
    List<CollabEvent> firstRead = new ArrayList<>();
    List<CollabEvent> secondRead = new ArrayList<>();
    for (CollabEvent e : copies) {
      (e.receivedAtMillis() < middle || random.nextBoolean() ? firstRead : secondRead).add(e);
    }
    CollabEvent read = copy(laterBetter, Duration.standardSeconds(200), SourceRef.kafka("e", 0, 1));
    CollabEvent readAfter =
        copy(laterBetter, Duration.standardSeconds(180), SourceRef.kafka("e", 0, 2));
    firstRead.add(read);
    secondRead.add(readAfter);
    copies.add(read);
    copies.add(readAfter);
    Collections.shuffle(firstRead, random);
    Collections.shuffle(secondRead, random);
    TestStream.Builder<CollabEvent> stream =
        addAll(TestStream.create(CollabEventCoder.of()).advanceWatermarkTo(T0), firstRead);
    for (long w = T0.getMillis() + 10_000; w < middle; w += 10_000) {
      stream = stream.advanceWatermarkTo(new Instant(w));
    }
    stream = addAll(stream.advanceWatermarkTo(new Instant(middle - 1)), secondRead);
    for (long w = middle + 10_000; w < T0.getMillis() + 360_000; w += 10_000) {
      stream = stream.advanceWatermarkTo(new Instant(w));
    }
    assertGivesWhatAPlainGroupingGives(p.apply(stream.advanceWatermarkToInfinity()), copies);
  }

  /**
   * A copy read behind the watermark after its id was passed on is a duplicate, even though it
   * claims an earlier arrival than the copy passed on; a copy read behind the watermark of an id
   * never seen is passed on, at its own arrival.
   */
  @Test
  public void aCopyBehindTheWatermarkAfterItsIdWasPassedOnIsADuplicate() {
    CollabEvent a1 =
        copy("evt-aaaaaaaa", Duration.standardSeconds(10), SourceRef.kafka("events", 0, 1));
    CollabEvent aEarlier =
        copy("evt-aaaaaaaa", Duration.standardSeconds(5), SourceRef.kafka("events", 1, 2));
    CollabEvent bLate =
        copy("evt-bbbbbbbb", Duration.standardSeconds(6), SourceRef.kafka("events", 1, 3));

    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .advanceWatermarkTo(T0)
            .addElements(atArrival(a1))
            .advanceWatermarkTo(T0.plus(Duration.standardSeconds(20)))
            .addElements(atArrival(aEarlier), atArrival(bLate))
            .advanceWatermarkToInfinity();

    DedupByEventId.Result result = p.apply(stream).apply(DedupByEventId.create());

    PAssert.that(result.unique().apply("ReifyUnique", Reify.timestamps()))
        .containsInAnyOrder(atArrival(a1), atArrival(bLate));
    PAssert.that(result.duplicates().apply("ReifyDuplicates", Reify.timestamps()))
        .containsInAnyOrder(atArrival(aEarlier));
    p.run().waitUntilFinish();
  }

  @Test
  public void withHorizonRejectsANonPositiveHorizon() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DedupByEventId.create().withHorizon(Duration.ZERO));
    assertThat(e.getMessage(), containsString("withHorizon"));
  }
}
