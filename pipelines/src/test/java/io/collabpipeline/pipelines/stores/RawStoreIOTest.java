package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link RawStoreIO#write}: every column, partitioned by {@code occurred_at} hour, readable by
 * DuckDB and ParquetIO, under append-only names that carry the writer's generation (another
 * generation adds files and replaces none, the same generation rewrites the same names), the
 * committed files' rows read back for {@code raw_written}, late arrivals still written; options
 * checked naming the {@code withX()}.
 */
public class RawStoreIOTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();
  @Rule public final transient TestPipeline reader = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** 2026-11-22T01:00:00Z */
  public static final long T0 = 1_795_309_200_000L;

  /** The writers' generations of these tests: a first job and a restarted one. */
  public static final long G1 = 1_795_309_000_000L;

  public static final long G2 = 1_795_309_500_000L;

  static CollabEvent event(String id, long occurredAt, long receivedAt, boolean withOptionals) {
    return CollabEvent.builder()
        .setEventId(id)
        .setEventType(withOptionals ? "notification.sent" : "task.updated")
        .setSchemaVersion(withOptionals ? 2 : 1)
        .setOccurredAtMillis(occurredAt)
        .setReceivedAtMillis(receivedAt)
        .setWorkspaceGid("1200" + id.length())
        .setActorId("u_" + id)
        .setPlatform(withOptionals ? "ios" : "web")
        .setService(withOptionals ? "mobile-api" : null)
        .setAppVersion(withOptionals ? "5.1.2" : null)
        .setResourceType(withOptionals ? "notification" : "task")
        .setResourceGid("r" + id)
        .setTaskGid(withOptionals ? null : "t" + id)
        .setTriggerEventId(withOptionals ? "trig_" + id : null)
        .setTriggerEventType(withOptionals ? "comment.added" : null)
        .setPayloadJson("{\"id\":\"" + id + "\",\"note\":\"é ✓\"}")
        .setSource(
            withOptionals
                ? SourceRef.kafka("events", 3, 1000L + id.hashCode())
                : SourceRef.file("/in/" + id, 7))
        .build();
  }

  /** Events over three occurred_at hours on two dates, one arriving a day after it occurred. */
  static List<CollabEvent> sampleEvents() {
    List<CollabEvent> events = new ArrayList<>();
    events.add(event("evt_00000001", T0 + 5_000, T0 + 65_000, false));
    events.add(event("evt_00000002", T0 + 10_000, T0 + 70_000, true));
    events.add(event("evt_00000003", T0 + 3_600_000 + 1, T0 + 3_600_000 + 30_000, false));
    events.add(event("evt_00000004", T0 - 2 * 3_600_000, T0 + 61_000, true)); // 2026-11-21, hr=23
    events.add(event("evt_00000005", T0 - 86_400_000L + 999, T0 + 120_000, false)); // a day late
    return events;
  }

  private static PCollection<CollabEvent> create(TestPipeline p, List<CollabEvent> events) {
    List<TimestampedValue<CollabEvent>> stamped = new ArrayList<>();
    for (CollabEvent e : events) {
      stamped.add(TimestampedValue.of(e, new Instant(e.receivedAtMillis())));
    }
    return p.apply("CreateEvents", Create.timestamped(stamped));
  }

  /**
   * {@code events} timestamped with their arrival time, all output while processing one element:
   * one bundle for the next step on the DirectRunner, whose source splits would otherwise decide
   * which events a bundle holds together.
   */
  private static PCollection<CollabEvent> createInOneBundle(
      TestPipeline p, List<CollabEvent> events) throws IOException {
    List<byte[]> encoded = new ArrayList<>();
    for (CollabEvent e : events) {
      encoded.add(org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(CollabEventCoder.of(), e));
    }
    return p.apply("OneElement", Create.of(1))
        .apply(
            "EmitEvents",
            ParDo.of(
                new DoFn<Integer, CollabEvent>() {
                  @ProcessElement
                  public void processElement(OutputReceiver<CollabEvent> out) throws IOException {
                    for (byte[] b : encoded) {
                      CollabEvent e =
                          org.apache.beam.sdk.util.CoderUtils.decodeFromByteArray(
                              CollabEventCoder.of(), b);
                      out.outputWithTimestamp(e, new Instant(e.receivedAtMillis()));
                    }
                  }
                }))
        .setCoder(CollabEventCoder.of());
  }

  private List<CollabEvent> readWithDuckDb(String dir) throws SQLException {
    List<CollabEvent> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT event_id, event_type, schema_version, epoch_ms(occurred_at), epoch_ms(received_at),"
                    + " workspace_gid, actor_id, platform, service, app_version, resource_type, resource_gid,"
                    + " task_gid, trigger_event_id, trigger_event_type, payload_json, source_kind, source_name,"
                    + " source_partition, source_offset, CAST(dt AS VARCHAR), hr, filename"
                    + " FROM read_parquet('"
                    + dir
                    + "/**/*.parquet', hive_partitioning=true, filename=true)")) {
      while (rs.next()) {
        CollabEvent e =
            CollabEvent.builder()
                .setEventId(rs.getString(1))
                .setEventType(rs.getString(2))
                .setSchemaVersion(rs.getInt(3))
                .setOccurredAtMillis(rs.getLong(4))
                .setReceivedAtMillis(rs.getLong(5))
                .setWorkspaceGid(rs.getString(6))
                .setActorId(rs.getString(7))
                .setPlatform(rs.getString(8))
                .setService(rs.getString(9))
                .setAppVersion(rs.getString(10))
                .setResourceType(rs.getString(11))
                .setResourceGid(rs.getString(12))
                .setTaskGid(rs.getString(13))
                .setTriggerEventId(rs.getString(14))
                .setTriggerEventType(rs.getString(15))
                .setPayloadJson(rs.getString(16))
                .setSource(
                    SourceRef.of(
                        SourceRef.Kind.fromCode(rs.getString(17)),
                        rs.getString(18),
                        rs.getInt(19),
                        rs.getLong(20)))
                .build();
        // The Hive partition columns and the file's directory are those of occurred_at.
        String expectedPartition = PartitionedFiles.partitionPath(e.occurredAtMillis());
        String partition = "dt=" + rs.getString(21) + "/hr=" + String.format("%02d", rs.getInt(22));
        assertThat(e.eventId(), partition, equalTo(expectedPartition));
        assertThat(rs.getString(23), containsString("/" + expectedPartition + "/part-"));
        assertThat(rs.getString(23), containsString("-g"));
        out.add(e);
      }
    }
    return out;
  }

  /**
   * The file (relative to {@code dir}) of each event id in the Parquet files below {@code dir};
   * fails if an id is in two rows.
   */
  private static Map<String, String> fileOfEachEvent(String dir) throws SQLException {
    Map<String, String> files = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT event_id, filename FROM read_parquet('"
                    + dir
                    + "/**/*.parquet', filename=true)")) {
      while (rs.next()) {
        String previous = files.put(rs.getString(1), rs.getString(2).substring(dir.length() + 1));
        assertThat("written once: " + rs.getString(1), previous, is((String) null));
      }
    }
    return files;
  }

  private static Set<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  public void writesEveryColumnPartitionedByOccurredAtHour() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    List<CollabEvent> events = sampleEvents();
    RawStoreIO.WriteResult result =
        create(pipeline, events).apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1));
    PAssert.that(result.written()).containsInAnyOrder(events);
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    List<CollabEvent> read = readWithDuckDb(dir);
    assertThat(new HashSet<>(read), equalTo(new HashSet<>(events)));
    assertThat(read, hasSize(events.size()));
    assertThat(
        files(Path.of(dir)),
        equalTo(
            new TreeSet<>(
                List.of(
                    "dt=2026-11-21/hr=01/part-20261122T010200Z-g"
                        + G1
                        + "-p0-00000-of-00001.parquet",
                    "dt=2026-11-21/hr=23/part-20261122T010100Z-g"
                        + G1
                        + "-p0-00000-of-00001.parquet",
                    "dt=2026-11-22/hr=01/part-20261122T010100Z-g"
                        + G1
                        + "-p0-00000-of-00001.parquet",
                    "dt=2026-11-22/hr=02/part-20261122T020000Z-g"
                        + G1
                        + "-p0-00000-of-00001.parquet"))));

    long records =
        Counters.committedOrAttempted(
            run, RawStoreIO.Write.METRICS_NAMESPACE, RawStoreIO.Write.RECORDS_COUNTER);
    assertThat(records, is((long) events.size()));
  }

  @Test
  public void parquetIoReadsBackTheSameEvents() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    List<CollabEvent> events = sampleEvents();
    create(pipeline, events).apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1));
    pipeline.run().waitUntilFinish();

    PCollection<CollabEvent> back =
        reader
            .apply(
                "ReadParquet",
                ParquetIO.read(RawStoreSchema.SCHEMA).from(dir + "/dt=*/hr=*/*.parquet"))
            .apply(
                "ToEvents",
                MapElements.into(TypeDescriptor.of(CollabEvent.class))
                    .via(RawStoreSchema::fromRecord));
    PAssert.that(back).containsInAnyOrder(events);
    reader.run().waitUntilFinish();
  }

  private static List<CollabEvent> rerunEvents() {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      events.add(
          event(
              String.format("evt_rerun_%04d", i), T0 + i * 97_000L, T0 + i * 45_000L, i % 3 == 0));
    }
    return events;
  }

  /** Every file below {@code dir} with its bytes. */
  private static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    for (String f : files(dir)) {
      out.put(f, Files.readAllBytes(dir.resolve(f)));
    }
    return out;
  }

  /**
   * The restart of the issue: a first job (generation G1) wrote a minute of arrivals; the job
   * restarted after a failure as a new generation (G2) re-reads part of that minute and more. The
   * second write adds its own files and replaces none of the first one's (same bytes); the events
   * read back, deduplicated by id, are every event either job wrote.
   */
  @Test
  public void aSecondGenerationAddsFilesAndReplacesNone() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    List<CollabEvent> all = rerunEvents();
    List<CollabEvent> firstJob = all.subList(0, 25);
    List<CollabEvent> restarted = all.subList(10, 40);
    create(pipeline, firstJob)
        .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1).withNumShards(3));
    pipeline.run().waitUntilFinish();
    Map<String, byte[]> first = contents(Path.of(dir));

    create(rerun, restarted)
        .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G2).withNumShards(3));
    rerun.run().waitUntilFinish();
    Map<String, byte[]> after = contents(Path.of(dir));

    for (Map.Entry<String, byte[]> f : first.entrySet()) {
      assertThat(f.getKey() + " is still there", after.containsKey(f.getKey()), is(true));
      assertThat(
          f.getKey() + " is unchanged",
          Arrays.equals(after.get(f.getKey()), f.getValue()),
          is(true));
    }
    Set<String> added = new TreeSet<>(after.keySet());
    added.removeAll(first.keySet());
    assertThat(added, not(empty()));
    assertThat(added, everyItem(containsString("-g" + G2 + "-")));
    assertThat(first.keySet(), everyItem(containsString("-g" + G1 + "-")));
    // Both jobs wrote the minutes they share: the same window, two files, one per writer.
    Set<String> sharedWindows =
        added.stream()
            .map(f -> f.replace("-g" + G2 + "-", "-g" + G1 + "-"))
            .filter(first.keySet()::contains)
            .collect(Collectors.toSet());
    assertThat(sharedWindows, not(empty()));

    List<CollabEvent> read = readWithDuckDb(dir);
    assertThat(read, hasSize(firstJob.size() + restarted.size()));
    Map<String, CollabEvent> byId = new TreeMap<>();
    read.forEach(e -> byId.put(e.eventId(), e));
    assertThat(new HashSet<>(byId.values()), equalTo(new HashSet<>(all)));
  }

  @Test
  public void aRerunOfTheSameGenerationLeavesTheSameShardedFiles() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    List<CollabEvent> events = rerunEvents();
    create(pipeline, events)
        .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1).withNumShards(3));
    pipeline.run().waitUntilFinish();
    Set<String> first = files(Path.of(dir));

    create(rerun, events)
        .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1).withNumShards(3));
    rerun.run().waitUntilFinish();

    assertThat(files(Path.of(dir)), equalTo(first));
    assertThat(
        first.stream()
            .filter(f -> f.contains("-of-00003.parquet"))
            .map(f -> f.replaceAll(".*-(\\d{5})-of-.*", "$1"))
            .collect(Collectors.toSet()),
        hasSize(3));
    List<CollabEvent> read = readWithDuckDb(dir);
    assertThat(read, hasSize(events.size()));
    assertThat(new HashSet<>(read), equalTo(new HashSet<>(events)));
    // Each event sits in the shard its event id picks, so a re-run cannot move it to another file.
    for (Map.Entry<String, String> f : fileOfEachEvent(dir).entrySet()) {
      int shard = Math.floorMod(f.getKey().hashCode(), 3);
      assertThat(f.getValue(), containsString(String.format("-%05d-of-00003.parquet", shard)));
    }
  }

  /**
   * A bounded write sends its events to the file grouping in chunks ({@link RawChunks}); whichever
   * limit ends a chunk (its event count, its bytes, the bytes held by the writer), every event is
   * written exactly once, in the file of its occurred_at hour, arrival minute and event-id shard.
   * The expected file of each event is built here from its fields, not by the writer's code.
   */
  @Test
  public void chunksAtEachLimitWriteEveryEventOnceInTheFileOfItsHourMinuteAndShard()
      throws Exception {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      // two arrival minutes, three hours of occurred_at, two shards: about five events per file
      events.add(
          event(
              String.format("evt_chunk_%04d", i),
              T0 + (i % 3) * 3_600_000L + i,
              T0 + i * 2_000L,
              i % 4 == 0));
    }
    java.time.format.DateTimeFormatter hour =
        java.time.format.DateTimeFormatter.ofPattern("'dt='uuuu-MM-dd'/hr='HH")
            .withZone(java.time.ZoneOffset.UTC);
    java.time.format.DateTimeFormatter minute =
        java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmm'00Z'")
            .withZone(java.time.ZoneOffset.UTC);
    Map<String, String> expected = new TreeMap<>();
    for (CollabEvent e : events) {
      expected.put(
          e.eventId(),
          hour.format(java.time.Instant.ofEpochMilli(e.occurredAtMillis()))
              + "/part-"
              + minute.format(java.time.Instant.ofEpochMilli(e.receivedAtMillis()))
              + "-g"
              + G1
              + "-p0-"
              + String.format("%05d", Math.floorMod(e.eventId().hashCode(), 2))
              + "-of-00002.parquet");
    }
    // a chunk ends at 3 events and the writer sends all it holds past 600 bytes; or every event is
    // a
    // chunk of its own (1 byte); or the defaults, where one chunk per file holds all its events
    List<RawStoreIO.Write> writes =
        List.of(
            RawStoreIO.write("").withChunkLimits(3, 1 << 20, 600),
            RawStoreIO.write("").withChunkLimits(1_000, 1, 1L << 30),
            RawStoreIO.write(""));
    List<TestPipeline> pipelines = List.of(pipeline, rerun, reader);
    for (int w = 0; w < writes.size(); w++) {
      String dir = tmp.newFolder("raw" + w).getPath();
      RawStoreIO.Write write =
          writes.get(w).toBuilder().setPrefix(dir).build().withGeneration(G1).withNumShards(2);
      PCollection<CollabEvent> input = createInOneBundle(pipelines.get(w), events);
      assertThat(input.isBounded(), is(PCollection.IsBounded.BOUNDED));
      input.apply("WriteRawArchive", write);
      pipelines.get(w).run().waitUntilFinish();

      Map<String, String> written = fileOfEachEvent(dir);
      assertThat("limits of write " + w, written, equalTo(expected));
      assertThat(new HashSet<>(readWithDuckDb(dir)), equalTo(new HashSet<>(events)));
    }
  }

  /**
   * {@code raw_written} is counted from what the store holds: the committed files the write
   * reports, read back, give exactly one arrival time per event written, and a tick each.
   */
  @Test
  public void theCommittedFilesReadBackGiveOneArrivalPerEventWritten() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    List<CollabEvent> events = rerunEvents();
    RawStoreIO.WriteResult raw =
        create(pipeline, events)
            .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1).withNumShards(3));
    PCollection<Long> arrivals =
        raw.files()
            .apply(
                "ReadBackArrivals",
                FlatMapElements.into(TypeDescriptors.longs())
                    .via(RawStoreIO::arrivalTimesOfWrittenFile));
    PAssert.that(arrivals)
        .containsInAnyOrder(
            events.stream().map(CollabEvent::receivedAtMillis).collect(Collectors.toList()));
    PCollection<KV<String, Long>> ticks =
        raw.files()
            .apply(
                "CountRawWritten",
                CompletenessTicks.ofEach(Stage.RAW_WRITTEN, RawStoreIO::arrivalTimesOfWrittenFile));
    // Counted per arrival hour: the counts of each hour add up to the events that arrived in it.
    Map<Long, Long> perHour = new TreeMap<>();
    for (CollabEvent e : events) {
      perHour.merge(Granularity.HOUR.windowStart(e.receivedAtMillis()), 1L, Long::sum);
    }
    PAssert.that(
            ticks
                .apply("TickTimestamps", Reify.timestamps())
                .apply(
                    "TickHours",
                    MapElements.into(
                            TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                        .via(
                            (TimestampedValue<KV<String, Long>> c) ->
                                KV.of(
                                    Granularity.HOUR.windowStart(c.getTimestamp().getMillis()),
                                    c.getValue().getValue())))
                // The files' windows (arrival minutes) are not the hours summed here.
                .apply("HoursToGlobalWindow", Window.<KV<Long, Long>>into(new GlobalWindows()))
                .apply(Sum.longsPerKey()))
        .containsInAnyOrder(
            perHour.entrySet().stream()
                .map(e -> KV.of(e.getKey(), e.getValue()))
                .collect(Collectors.toList()));
    pipeline.run().waitUntilFinish();
    long rows = 0;
    for (String f : files(Path.of(dir))) {
      rows += RawStoreIO.arrivalTimes(dir + "/" + f).size();
    }
    assertThat(rows, is((long) events.size()));
  }

  /**
   * An event whose arrival is behind the watermark (a producer's clock, a lagging broker) is still
   * written within the allowed lateness, in a later pane's file, and its row is read back; one
   * behind the allowed lateness is dropped by the runner, which counts it, and is not read back.
   */
  @Test
  public void lateArrivalsAreWrittenInALaterPaneAndDroppedOnesAreCounted() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    CollabEvent onTime = event("evt_ontime_01", T0 + 1_000, T0 + 2_000, false);
    CollabEvent late = event("evt_late_0001", T0 + 3_000, T0 + 4_000, false);
    CollabEvent tooLate = event("evt_toolate_1", T0 + 5_000, T0 + 6_000, false);
    TestStream<CollabEvent> stream =
        TestStream.create(CollabEventCoder.of())
            .addElements(TimestampedValue.of(onTime, new Instant(onTime.receivedAtMillis())))
            .advanceWatermarkTo(new Instant(T0 + 90_000))
            .addElements(TimestampedValue.of(late, new Instant(late.receivedAtMillis())))
            .advanceWatermarkTo(new Instant(T0 + 60_000 + 3_600_000 + 1))
            .addElements(TimestampedValue.of(tooLate, new Instant(tooLate.receivedAtMillis())))
            .advanceWatermarkToInfinity();
    RawStoreIO.WriteResult raw =
        pipeline
            .apply("CreateEvents", stream)
            .apply(
                "WriteRawArchive",
                RawStoreIO.write(dir)
                    .withGeneration(G1)
                    .withAllowedLateness(Duration.standardHours(1)));
    PCollection<Long> arrivals =
        raw.files()
            .apply(
                "ReadBackArrivals",
                FlatMapElements.into(TypeDescriptors.longs())
                    .via(RawStoreIO::arrivalTimesOfWrittenFile));
    PAssert.that(arrivals).containsInAnyOrder(onTime.receivedAtMillis(), late.receivedAtMillis());
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    assertThat(
        files(Path.of(dir)),
        equalTo(
            new TreeSet<>(
                List.of(
                    "dt=2026-11-22/hr=01/part-20261122T010000Z-g"
                        + G1
                        + "-p0-00000-of-00001.parquet",
                    "dt=2026-11-22/hr=01/part-20261122T010000Z-g"
                        + G1
                        + "-p1-00000-of-00001.parquet"))));
    long dropped = 0;
    for (MetricResult<Long> c : run.metrics().allMetrics().getCounters()) {
      if (c.getName().getName().equalsIgnoreCase("droppedDueToLateness")
          && c.getKey().stepName().startsWith("WriteRawArchive/")) {
        dropped += Counters.committedOrAttempted(c);
      }
    }
    assertThat(dropped, is(1L));
  }

  @Test
  public void leavesNoTemporaryParquetFilesBehind() throws Exception {
    String dir = tmp.newFolder("raw").getPath();
    create(pipeline, sampleEvents())
        .apply("WriteRawArchive", RawStoreIO.write(dir).withGeneration(G1));
    pipeline.run().waitUntilFinish();
    assertThat(files(Path.of(dir)), everyItem(startsWith("dt=")));
    assertThat(files(Path.of(dir)), not(empty()));
  }

  /**
   * The partition path and destination, which each thread keeps for the last hour it saw, are those
   * of the element's own hour whatever came before: instants within one hour, one millisecond
   * either side of an hour's boundary, far apart, before 1970, back and forth, and the shard count
   * changing between calls. The oracle formats the UTC fields with {@code String.format}, not
   * {@code DateTimeFormatter}.
   */
  @Test
  public void partitionPathsAndDestinationsAreTheElementsOwnWhateverCameBefore() {
    java.util.Random random = new java.util.Random(42);
    long hour = 3_600_000L;
    long min = java.time.Instant.parse("0000-01-01T00:00:00Z").toEpochMilli();
    long max = java.time.Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
    List<Long> instants = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      long t = min + (long) (random.nextDouble() * (max - min));
      long boundary = Math.floorDiv(t, hour) * hour;
      instants.add(t);
      instants.add(t);
      instants.add(boundary);
      instants.add(boundary - 1);
      instants.add(boundary + hour - 1);
      instants.add(boundary + hour);
      instants.add(boundary);
      instants.add(T0 + random.nextInt(10) * hour);
      instants.add(-1L);
      instants.add(0L);
    }
    int[] shardCounts = {1, 3, 1, 16};
    for (int i = 0; i < instants.size(); i++) {
      long t = instants.get(i);
      java.time.ZonedDateTime utc =
          java.time.Instant.ofEpochMilli(t).atZone(java.time.ZoneOffset.UTC);
      String expected =
          String.format(
              "dt=%04d-%02d-%02d/hr=%02d",
              utc.getYear(), utc.getMonthValue(), utc.getDayOfMonth(), utc.getHour());
      assertThat("partition of " + t, PartitionedFiles.partitionPath(t), equalTo(expected));
      String key = "evt_" + random.nextInt(1_000);
      int shards = shardCounts[(i / 3) % shardCounts.length];
      assertThat(
          "destination of " + t,
          PartitionedFiles.destination(t, key, shards),
          equalTo(expected + "|" + Math.floorMod(key.hashCode(), shards)));
    }
  }

  /**
   * Partition and file names write four-digit years: 0999 is dt=0999, and year 0 is 0000, not a
   * year of an era.
   */
  @Test
  public void partitionsAndFileNamesWriteFourDigitYears() {
    long y0999 = java.time.Instant.parse("0999-03-04T05:06:07Z").toEpochMilli();
    long y2026 = java.time.Instant.parse("2026-11-22T01:00:00Z").toEpochMilli();
    long y0000 = java.time.Instant.parse("0000-12-31T23:59:59Z").toEpochMilli();
    assertThat(PartitionedFiles.partitionPath(y0999), equalTo("dt=0999-03-04/hr=05"));
    assertThat(PartitionedFiles.partitionPath(y2026), equalTo("dt=2026-11-22/hr=01"));
    // ISO 8601's year 0, as LocalDate (and so the replay's dt= globs) writes it; "yyyy" (year of
    // era) wrote 0001.
    assertThat(PartitionedFiles.partitionPath(y0000), equalTo("dt=0000-12-31/hr=23"));
    String name =
        PartitionedFiles.naming(
                PartitionedFiles.destination(y0999, "evt_year_0999", 1), "part", 7L, 1, ".parquet")
            .getFilename(
                new IntervalWindow(new Instant(y0999), new Instant(y0999 + 60_000L)),
                PaneInfo.NO_FIRING,
                1,
                0,
                Compression.UNCOMPRESSED);
    assertThat(
        name, equalTo("dt=0999-03-04/hr=05/part-09990304T050607Z-g7-p0-00000-of-00001.parquet"));
  }

  @Test
  public void rejectsZeroShardsNamingTheOption() {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<CollabEvent> events = create(pipeline, sampleEvents());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                events.apply(
                    "WriteRawArchive",
                    RawStoreIO.write("/tmp/unused").withGeneration(G1).withNumShards(0)));
    assertThat(e.getMessage(), containsString("withNumShards"));
  }

  /** A write without its writer's generation could not keep its names apart from another's. */
  @Test
  public void refusesAWriteWithoutAGenerationNamingTheOption() {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<CollabEvent> events = create(pipeline, sampleEvents());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> events.apply("WriteRawArchive", RawStoreIO.write("/tmp/unused")));
    assertThat(e.getMessage(), containsString("withGeneration"));
  }

  /**
   * A file in the raw store's layout that its writer did not write (timestamps in microseconds, as
   * DuckDB and Spark store them) fails the replay's read with the file and the column named.
   */
  @Test
  public void aReplayRefusesAFileOfMicrosecondTimestampsNamingTheFileAndColumn() throws Exception {
    Path dir = tmp.newFolder("foreign").toPath();
    Path file = dir.resolve("dt=2026-11-22/hr=01/part-compacted.parquet");
    Files.createDirectories(file.getParent());
    Schema micros = LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
    MetricColumnsReadSupportTest.writeOneRow(
        MetricColumnsReadSupportTest.metricSchema(null, null, "occurred_at", micros), file);
    LocalDate day = LocalDate.of(2026, 11, 22);
    reader.apply(
        "ReadRawStore",
        RawStoreIO.read(dir.toString())
            .withRange(ReplayScope.of(day, day))
            .withMetricColumnsOnly());
    RuntimeException e = assertThrows(RuntimeException.class, () -> reader.run().waitUntilFinish());
    // What the command line prints of a failed job: its innermost cause.
    String message = CommandLine.rootMessage(e);
    assertThat(message, containsString(file.toString()));
    assertThat(message, containsString("column occurred_at"));
    assertThat(message, containsString("TIMESTAMP(MICROS,true)"));
  }
}
