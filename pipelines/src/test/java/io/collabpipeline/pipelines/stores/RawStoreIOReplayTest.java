package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The raw store read back for a replay: only the partitions of the requested event dates, every
 * event as written (of every writer), at its original arrival time; and re-validated quarantine
 * records written under names with the replay's generation, which a second replay (another
 * generation) adds to and never replaces.
 */
@RunWith(JUnit4.class)
public class RawStoreIOReplayTest {
  @Rule public final transient TestPipeline writer = TestPipeline.create();
  @Rule public final transient TestPipeline reader = TestPipeline.create();
  @Rule public final transient TestPipeline again = TestPipeline.create();
  @Rule public final transient TestPipeline second = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** 2026-11-22T01:00:00Z */
  static final long T0 = 1_795_309_200_000L;

  static final long G1 = RawStoreIOTest.G1;
  static final long G2 = RawStoreIOTest.G2;

  static CollabEvent event(String id, long occurredAt, long receivedAt) {
    return CollabEvent.builder()
        .setEventId(id)
        .setEventType("task.updated")
        .setSchemaVersion(1)
        .setOccurredAtMillis(occurredAt)
        .setReceivedAtMillis(receivedAt)
        .setWorkspaceGid("1200")
        .setActorId("u_" + id)
        .setPlatform("web")
        .setService(null)
        .setAppVersion(null)
        .setResourceType("task")
        .setResourceGid("r" + id)
        .setTaskGid("t" + id)
        .setTriggerEventId(null)
        .setTriggerEventType(null)
        .setPayloadJson("{\"id\":\"" + id + "\"}")
        .setSource(SourceRef.file("/in/" + id, 7))
        .build();
  }

  static List<CollabEvent> sample() {
    List<CollabEvent> events = new ArrayList<>();
    events.add(event("evt_00000001", T0 + 5_000, T0 + 65_000));
    events.add(event("evt_00000002", T0 + 3_600_000 + 1, T0 + 3_600_000 + 30_000));
    events.add(
        event("evt_00000003", T0 - 2 * 3_600_000, T0 + 61_000)); // 2026-11-21, arrived on the 22nd
    events.add(
        event("evt_00000004", T0 - 86_400_000L + 999, T0 + 120_000)); // 2026-11-21, a day late
    return events;
  }

  private static PCollection<CollabEvent> create(TestPipeline p, List<CollabEvent> events) {
    List<TimestampedValue<CollabEvent>> stamped = new ArrayList<>();
    for (CollabEvent e : events) {
      stamped.add(TimestampedValue.of(e, new Instant(e.receivedAtMillis())));
    }
    return p.apply("CreateEvents", Create.timestamped(stamped));
  }

  @Test
  public void aReplayReadsOnlyItsEventDatesAtTheirOriginalArrivalTimes() {
    String raw = tmp.getRoot() + "/raw";
    create(writer, sample()).apply("WriteRaw", RawStoreIO.write(raw).withGeneration(G1));
    writer.run().waitUntilFinish();

    PCollection<KV<String, Long>> read =
        reader
            .apply(
                "ReadRaw",
                RawStoreIO.read(raw).withRange(ReplayScope.day(LocalDate.parse("2026-11-21"))))
            .apply("IdAndTimestamp", ParDo.of(new IdAndTimestampFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PAssert.that(read)
        .containsInAnyOrder(
            KV.of("evt_00000003", T0 + 61_000), KV.of("evt_00000004", T0 + 120_000));
    PAssert.that(
            reader.apply(
                "ReadAll",
                RawStoreIO.read(raw)
                    .withRange(
                        ReplayScope.of(
                            LocalDate.parse("2026-11-21"), LocalDate.parse("2026-11-22")))))
        .containsInAnyOrder(sample());
    reader.run().waitUntilFinish();
  }

  @Test
  public void aRerunOfTheSameRevalidationGenerationLeavesTheSameNames() throws Exception {
    String raw = tmp.getRoot() + "/raw";
    create(writer, sample())
        .apply("WriteRevalidated", RawStoreIO.writeRevalidated(raw).withGeneration(G1));
    writer.run().waitUntilFinish();
    List<String> first = files(raw);
    String g = "-g" + G1;
    assertThat(
        first,
        equalTo(
            List.of(
                "dt=2026-11-21/hr=01/revalidated-a20261122" + g + ".parquet",
                "dt=2026-11-21/hr=23/revalidated-a20261122" + g + ".parquet",
                "dt=2026-11-22/hr=01/revalidated-a20261122" + g + ".parquet",
                "dt=2026-11-22/hr=02/revalidated-a20261122" + g + ".parquet")));

    create(again, sample())
        .apply("WriteRevalidated", RawStoreIO.writeRevalidated(raw).withGeneration(G1));
    again.run().waitUntilFinish();
    assertThat("the same files, no copies", files(raw), equalTo(first));

    PAssert.that(
            reader.apply(
                "ReadAll",
                RawStoreIO.read(raw)
                    .withRange(
                        ReplayScope.of(
                            LocalDate.parse("2026-11-21"), LocalDate.parse("2026-11-22")))))
        .containsInAnyOrder(sample());
    reader.run().waitUntilFinish();
  }

  /**
   * Two quarantine replays of the same arrival date (two generations): the second adds its files
   * next to the first one's and replaces none, so an event only the first one passed stays; a raw
   * replay reads both, and its dedup by event id keeps one copy of each event.
   */
  @Test
  public void aSecondRevalidationAddsItsFilesAndTheDedupKeepsTheCount() throws Exception {
    String raw = tmp.getRoot() + "/raw";
    List<CollabEvent> firstPass = sample();
    // The second replay no longer passes evt_00000004 (e.g. a stricter limit), passes the rest.
    List<CollabEvent> secondPass = sample().subList(0, 3);
    create(writer, firstPass)
        .apply("WriteRevalidated", RawStoreIO.writeRevalidated(raw).withGeneration(G1));
    writer.run().waitUntilFinish();
    Map<String, byte[]> first = new TreeMap<>();
    for (String f : files(raw)) {
      first.put(f, Files.readAllBytes(Path.of(raw, f)));
    }
    create(second, secondPass)
        .apply("WriteRevalidated", RawStoreIO.writeRevalidated(raw).withGeneration(G2));
    second.run().waitUntilFinish();

    for (Map.Entry<String, byte[]> f : first.entrySet()) {
      assertThat(
          f.getKey() + " is unchanged",
          Arrays.equals(Files.readAllBytes(Path.of(raw, f.getKey())), f.getValue()),
          is(true));
    }
    List<String> added = new ArrayList<>(files(raw));
    added.removeAll(first.keySet());
    assertThat(
        added,
        equalTo(
            List.of(
                "dt=2026-11-21/hr=23/revalidated-a20261122-g" + G2 + ".parquet",
                "dt=2026-11-22/hr=01/revalidated-a20261122-g" + G2 + ".parquet",
                "dt=2026-11-22/hr=02/revalidated-a20261122-g" + G2 + ".parquet")));

    PCollection<CollabEvent> read =
        reader.apply(
            "ReadAll",
            RawStoreIO.read(raw)
                .withRange(
                    ReplayScope.of(LocalDate.parse("2026-11-21"), LocalDate.parse("2026-11-22"))));
    List<CollabEvent> both = new ArrayList<>(firstPass);
    both.addAll(secondPass);
    PAssert.that(read).containsInAnyOrder(both);
    PCollection<Long> distinct =
        read.apply("DedupByEventId", DedupByEventId.create())
            .unique()
            .apply("CountDistinct", Count.globally());
    PAssert.thatSingleton(distinct).isEqualTo((long) firstPass.size());
    reader.run().waitUntilFinish();
  }

  @Test
  public void datesWithoutFilesAreNamed() throws Exception {
    String raw = tmp.getRoot() + "/raw";
    Files.createDirectories(Path.of(raw, "dt=2026-11-22", "hr=01"));
    Files.write(Path.of(raw, "dt=2026-11-22", "hr=01", "part-x.parquet"), new byte[] {1});
    assertThat(
        RawStoreIO.datesWithoutFiles(
            raw, ReplayScope.of(LocalDate.parse("2026-11-21"), LocalDate.parse("2026-11-23"))),
        equalTo(List.of(LocalDate.parse("2026-11-21"), LocalDate.parse("2026-11-23"))));
  }

  private static List<String> files(String root) throws Exception {
    Path r = Path.of(root);
    try (Stream<Path> s = Files.walk(r)) {
      return s.filter(Files::isRegularFile)
          .map(p -> r.relativize(p).toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static final class IdAndTimestampFn extends DoFn<CollabEvent, KV<String, Long>> {
    @ProcessElement
    public void process(
        @Element CollabEvent e, @Timestamp Instant ts, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(e.eventId(), ts.getMillis()));
    }
  }
}
