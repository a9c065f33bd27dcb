package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.Counters;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link QuarantineIO#write} and {@link QuarantineIO#readRecords}: every field round-trips (invalid
 * UTF-8 included), files partitioned by arrival hour under names that carry the writer's generation
 * (another generation adds files and replaces none, the same generation rewrites the same names),
 * an owner-only local directory, and parse errors that never quote the line.
 */
public class QuarantineIOTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** 2026-11-22T01:00:00Z */
  private static final long T0 = RawStoreIOTest.T0;

  private static final long G1 = RawStoreIOTest.G1;
  private static final long G2 = RawStoreIOTest.G2;

  static List<QuarantineRecord> sampleRecords() {
    List<QuarantineRecord> records = new ArrayList<>();
    records.add(
        QuarantineRecord.of(
            RawRecord.of(
                new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, 0x0A, 0x00},
                SourceRef.kafka("events", 2, 41L),
                T0 + 1),
            ReasonCode.NOT_UTF8,
            "byte 0: invalid UTF-8",
            null,
            null));
    records.add(
        QuarantineRecord.of(
            RawRecord.of(
                "{\"event_id\":\"evt_12345678\",\"event_type\":\"task.updated\",\"actor\":{\"email\":\"a@b.c\"}}"
                    .getBytes(StandardCharsets.UTF_8),
                SourceRef.file("/in/day1.json", 17),
                T0 + 59_999),
            ReasonCode.ENVELOPE_INVALID,
            "/actor/user_gid: required",
            "evt_12345678",
            "task.updated"));
    records.add(
        QuarantineRecord.of(
            RawRecord.of(new byte[0], SourceRef.generator("gen", 1, 9L), T0 + 3_600_000 + 5),
            ReasonCode.EMPTY_RECORD,
            "empty",
            null,
            null));
    records.add(
        QuarantineRecord.of(
            RawRecord.of(
                "[1,2]\r\n".getBytes(StandardCharsets.UTF_8),
                SourceRef.kafka("events", 0, 7L),
                T0 - 1),
            ReasonCode.NOT_AN_OBJECT,
            "/: not an object",
            null,
            "task.created"));
    return records;
  }

  private static PCollection<QuarantineRecord> create(
      TestPipeline p, List<QuarantineRecord> records) {
    List<TimestampedValue<QuarantineRecord>> stamped = new ArrayList<>();
    for (QuarantineRecord q : records) {
      stamped.add(TimestampedValue.of(q, new Instant(q.original().receivedAtMillis())));
    }
    return p.apply("CreateRecords", Create.timestamped(stamped));
  }

  private static Set<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  public void roundTripsEveryFieldIncludingInvalidUtf8Originals() throws Exception {
    String dir = tmp.getRoot().toPath().resolve("quarantine").toString();
    List<QuarantineRecord> records = sampleRecords();
    create(pipeline, records).apply("WriteQuarantine", QuarantineIO.write(dir).withGeneration(G1));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    long counted =
        Counters.committedOrAttempted(
            result, QuarantineIO.Write.METRICS_NAMESPACE, QuarantineIO.Write.RECORDS_COUNTER);
    assertThat(counted, is((long) records.size()));

    List<QuarantineRecord> back = QuarantineIO.readRecords(dir);
    assertThat(back, containsInAnyOrder(records.toArray()));
    QuarantineRecord notUtf8 =
        back.stream().filter(q -> q.reason() == ReasonCode.NOT_UTF8).findFirst().orElseThrow();
    assertThat(
        Arrays.equals(
            notUtf8.original().payload(), new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, 0x0A, 0x00}),
        is(true));
  }

  @Test
  public void partitionsByArrivalHourWithTheWritersNames() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("quarantine");
    create(pipeline, sampleRecords())
        .apply("WriteQuarantine", QuarantineIO.write(dir.toString()).withGeneration(G1));
    pipeline.run().waitUntilFinish();

    String g = "-g" + G1;
    assertThat(
        files(dir),
        equalTo(
            new TreeSet<>(
                List.of(
                    "dt=2026-11-22/hr=00/quarantine-20261122T005900Z"
                        + g
                        + "-p0-00000-of-00001.jsonl",
                    "dt=2026-11-22/hr=01/quarantine-20261122T010000Z"
                        + g
                        + "-p0-00000-of-00001.jsonl",
                    "dt=2026-11-22/hr=02/quarantine-20261122T020000Z"
                        + g
                        + "-p0-00000-of-00001.jsonl"))));
    List<String> lines =
        Files.readAllLines(
            dir.resolve(
                "dt=2026-11-22/hr=01/quarantine-20261122T010000Z" + g + "-p0-00000-of-00001.jsonl"),
            StandardCharsets.UTF_8);
    assertThat(lines, hasSize(2));
    JsonNode first =
        lines.stream()
            .map(QuarantineIOTest::parse)
            .filter(n -> n.get("reason").asText().equals("ENVELOPE_INVALID"))
            .findFirst()
            .orElseThrow();
    assertThat(first.get("received_at").asText(), equalTo("2026-11-22T01:00:59.999Z"));
    assertThat(first.get("event_id").asText(), equalTo("evt_12345678"));
    assertThat(first.get("source").get("kind").asText(), equalTo("file"));
    assertThat(first.get("source").get("name").asText(), equalTo("/in/day1.json"));
    assertThat(first.get("source").get("partition").asInt(), is(-1));
    assertThat(first.get("source").get("offset").asLong(), is(17L));
    assertThat(first.get("detail").asText(), equalTo("/actor/user_gid: required"));
    assertThat(
        new String(
            java.util.Base64.getDecoder().decode(first.get("original_base64").asText()),
            StandardCharsets.UTF_8),
        containsString("a@b.c"));
    JsonNode other =
        lines.stream()
            .map(QuarantineIOTest::parse)
            .filter(n -> n.get("reason").asText().equals("NOT_UTF8"))
            .findFirst()
            .orElseThrow();
    assertThat(other.get("event_id").isNull(), is(true));
  }

  private static JsonNode parse(String line) {
    try {
      return new ObjectMapper().readTree(line);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  public void createsTheLocalDirectoryOwnerOnly() throws Exception {
    Assume.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path dir = tmp.getRoot().toPath().resolve("private/quarantine");
    create(pipeline, sampleRecords())
        .apply("WriteQuarantine", QuarantineIO.write(dir.toString()).withGeneration(G1));
    pipeline.run().waitUntilFinish();
    assertThat(
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), equalTo("rwx------"));
  }

  private static List<QuarantineRecord> manyRecords() {
    List<QuarantineRecord> records = new ArrayList<>(sampleRecords());
    for (int i = 0; i < 30; i++) {
      records.add(
          QuarantineRecord.of(
              RawRecord.of(
                  ("{bad " + i).getBytes(StandardCharsets.UTF_8),
                  SourceRef.kafka("events", i % 4, i),
                  T0 + i * 20_000L),
              ReasonCode.NOT_JSON,
              "column " + i,
              null,
              null));
    }
    return records;
  }

  @Test
  public void aRerunOfTheSameGenerationLeavesTheSameRecords() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("quarantine");
    List<QuarantineRecord> records = manyRecords();
    create(pipeline, records)
        .apply(
            "WriteQuarantine",
            QuarantineIO.write(dir.toString()).withGeneration(G1).withNumShards(2));
    pipeline.run().waitUntilFinish();
    Set<String> first = files(dir);
    create(rerun, records)
        .apply(
            "WriteQuarantine",
            QuarantineIO.write(dir.toString()).withGeneration(G1).withNumShards(2));
    rerun.run().waitUntilFinish();

    assertThat(files(dir), equalTo(first));
    List<QuarantineRecord> back = QuarantineIO.readRecords(dir.toString());
    assertThat(back, hasSize(records.size()));
    assertThat(back, containsInAnyOrder(records.toArray()));
  }

  /**
   * A restarted job (a new generation) that quarantines some of the same arrival minutes again adds
   * its own files and replaces none of the first one's (same bytes); every record of both reads
   * back, the overlap twice.
   */
  @Test
  public void aSecondGenerationAddsFilesAndReplacesNone() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("quarantine");
    List<QuarantineRecord> records = manyRecords();
    List<QuarantineRecord> firstJob = records.subList(0, 20);
    List<QuarantineRecord> restarted = records.subList(8, records.size());
    create(pipeline, firstJob)
        .apply(
            "WriteQuarantine",
            QuarantineIO.write(dir.toString()).withGeneration(G1).withNumShards(2));
    pipeline.run().waitUntilFinish();
    Map<String, byte[]> first = new TreeMap<>();
    for (String f : files(dir)) {
      first.put(f, Files.readAllBytes(dir.resolve(f)));
    }
    create(rerun, restarted)
        .apply(
            "WriteQuarantine",
            QuarantineIO.write(dir.toString()).withGeneration(G2).withNumShards(2));
    rerun.run().waitUntilFinish();

    Set<String> after = files(dir);
    for (Map.Entry<String, byte[]> f : first.entrySet()) {
      assertThat(f.getKey(), after.contains(f.getKey()), is(true));
      assertThat(
          f.getKey() + " is unchanged",
          Arrays.equals(Files.readAllBytes(dir.resolve(f.getKey())), f.getValue()),
          is(true));
    }
    assertThat(first.keySet(), everyItem(containsString("-g" + G1 + "-")));
    Set<String> added = new TreeSet<>(after);
    added.removeAll(first.keySet());
    assertThat(added, everyItem(containsString("-g" + G2 + "-")));
    assertThat(
        "the minutes both wrote have a file of each writer",
        added.stream()
            .map(f -> f.replace("-g" + G2 + "-", "-g" + G1 + "-"))
            .anyMatch(first.keySet()::contains),
        is(true));
    List<QuarantineRecord> back = QuarantineIO.readRecords(dir.toString());
    List<QuarantineRecord> expected = new ArrayList<>(firstJob);
    expected.addAll(restarted);
    assertThat(back, containsInAnyOrder(expected.toArray()));
  }

  @Test
  public void refusesAWriteWithoutAGenerationNamingTheOption() {
    pipeline.enableAbandonedNodeEnforcement(false);
    PCollection<QuarantineRecord> records = create(pipeline, sampleRecords());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> records.apply("WriteQuarantine", QuarantineIO.write("/tmp/unused")));
    assertThat(e.getMessage(), containsString("withGeneration"));
  }

  @Test
  public void readOfAMissingStoreIsEmpty() throws Exception {
    assertThat(
        QuarantineIO.readRecords(tmp.getRoot().toPath().resolve("nothing").toString()), hasSize(0));
  }

  /**
   * {@code received_at} and the arrival partition write four-digit years and read back as the same
   * instant.
   */
  @Test
  public void arrivalTimesWriteFourDigitYears() {
    for (String at :
        Arrays.asList(
            "0999-03-04T05:06:07.008Z", "2026-11-22T01:00:00.000Z", "0000-12-31T23:59:59.999Z")) {
      long millis = java.time.Instant.parse(at).toEpochMilli();
      QuarantineRecord q =
          QuarantineRecord.of(
              RawRecord.of(new byte[] {'x'}, SourceRef.kafka("events", 0, 1L), millis),
              ReasonCode.NOT_JSON,
              "not a JSON text",
              null,
              null);
      String line = QuarantineJson.toJsonLine(q);
      assertThat(line, containsString("\"received_at\":\"" + at + "\""));
      assertThat(QuarantineJson.fromJsonLine(line).original().receivedAtMillis(), equalTo(millis));
      assertThat(
          PartitionedFiles.partitionPath(millis),
          equalTo("dt=" + at.substring(0, 10) + "/hr=" + at.substring(11, 13)));
    }
  }

  @Test
  public void parseErrorsDoNotQuoteTheLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QuarantineJson.fromJsonLine("{\"reason\": secret-token"));
    assertThat(e.getMessage(), not(containsString("secret")));
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> QuarantineJson.fromJsonLine("{\"reason\":\"NOT_JSON\"}"));
    assertThat(missing.getMessage(), containsString("source"));
    assertThat(
        QuarantineJson.fromJsonLine(QuarantineJson.toJsonLine(sampleRecords().get(0))).eventId(),
        nullValue());
  }
}
