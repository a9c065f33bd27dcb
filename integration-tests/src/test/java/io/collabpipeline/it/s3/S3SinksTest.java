package io.collabpipeline.it.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.options.S3Options;
import io.collabpipeline.pipelines.s3.CollabS3ClientBuilderFactory;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.stores.RawStoreSchema;
import io.collabpipeline.tools.devstack.LocalS3;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The raw store and the quarantine written to {@code s3://} prefixes on a local S3 endpoint
 * (S3Mock, out of process) by embedded Flink batch: the same object layout as on a local disk,
 * every accepted event exactly once, a rerun of the same generation rewriting the same objects
 * instead of adding any, and a second writer (a restarted job, another generation) of the same
 * arrival minutes adding its own objects and replacing none: append-only on S3 too, where a copy
 * onto an existing key would silently replace it.
 */
@RunWith(JUnit4.class)
public class S3SinksTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String RAW_BUCKET = "collab-raw";
  private static final String QUARANTINE_BUCKET = "collab-quarantine";
  private static final int RAW_SHARDS = 2;
  private static final long G1 = 1_795_309_000_000L;
  private static final long G2 = 1_795_309_500_000L;

  private static LocalS3 s3;

  @BeforeClass
  public static void startS3() throws IOException {
    s3 = LocalS3.start(TMP.newFolder("s3").toPath(), RAW_BUCKET, QUARANTINE_BUCKET);
  }

  @AfterClass
  public static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  /**
   * Embedded Flink batch pointed at the local endpoint ({@code endpoint} overrides its address).
   */
  private static FlinkPipelineOptions flink(URI endpoint, String... locations) {
    FlinkPipelineOptions options = s3.applyTo(EmbeddedFlink.options(false, 2));
    options.as(S3Options.class).setEndpoint(endpoint);
    S3Setup.configure(options, locations);
    return options;
  }

  private static void write(
      PipelineOptions options,
      long generation,
      String raw,
      String quarantine,
      List<CollabEvent> events,
      List<QuarantineRecord> records) {
    Pipeline p = Pipeline.create(options);
    List<TimestampedValue<CollabEvent>> stampedEvents = new ArrayList<>();
    events.forEach(
        e -> stampedEvents.add(TimestampedValue.of(e, new Instant(e.receivedAtMillis()))));
    List<TimestampedValue<QuarantineRecord>> stampedRecords = new ArrayList<>();
    records.forEach(
        q ->
            stampedRecords.add(
                TimestampedValue.of(q, new Instant(q.original().receivedAtMillis()))));
    p.apply("CreateEvents", Create.timestamped(stampedEvents))
        .apply(
            "WriteRawArchive",
            RawStoreIO.write(raw).withGeneration(generation).withNumShards(RAW_SHARDS));
    p.apply("CreateRecords", Create.timestamped(stampedRecords))
        .apply("WriteQuarantine", QuarantineIO.write(quarantine).withGeneration(generation));
    p.run().waitUntilFinish();
  }

  /** Every object below {@code prefix} (Beam's temporary files included), relative name to size. */
  private static SortedMap<String, Long> objects(String prefix) throws IOException {
    String dir = prefix.endsWith("/") ? prefix : prefix + "/";
    MatchResult match = FileSystems.match(dir + "**", EmptyMatchTreatment.ALLOW);
    SortedMap<String, Long> out = new TreeMap<>();
    if (match.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata m : match.metadata()) {
        out.put(m.resourceId().toString().substring(dir.length()), m.sizeBytes());
      }
    }
    return out;
  }

  private static SortedSet<String> localFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /**
   * Reads the raw store back through ParquetIO (the replay's reader) and asserts it holds exactly
   * {@code events}.
   */
  private static void assertRawStoreHoldsExactly(String raw, List<CollabEvent> events) {
    PipelineOptions options = s3.applyTo(PipelineOptionsFactory.create());
    S3Setup.configure(options, raw);
    Pipeline reader = Pipeline.create(options);
    PCollection<CollabEvent> back =
        reader
            .apply(
                "ReadParquet",
                ParquetIO.read(RawStoreSchema.SCHEMA).from(raw + "/dt=*/hr=*/*.parquet"))
            .apply(
                "ToEvents",
                MapElements.into(TypeDescriptor.of(CollabEvent.class))
                    .via(RawStoreSchema::fromRecord));
    // containsInAnyOrder compares multisets: a duplicated or missing event fails it.
    PAssert.that(back).containsInAnyOrder(events);
    reader.run().waitUntilFinish();
  }

  @Test
  public void writesTheLocalLayoutToS3WithEveryEventOnce() throws Exception {
    List<CollabEvent> events = S3TestData.events(300);
    List<QuarantineRecord> records = S3TestData.quarantined(30);
    String raw = "s3://" + RAW_BUCKET + "/layout/raw";
    String quarantine = "s3://" + QUARANTINE_BUCKET + "/layout/quarantine";
    Path localRaw = TMP.newFolder("layout-raw").toPath();
    Path localQuarantine = TMP.newFolder("layout-quarantine").toPath();

    FlinkPipelineOptions options = flink(s3.endpoint(), raw, quarantine);
    write(options, G1, raw, quarantine, events, records);
    write(options, G1, localRaw.toString(), localQuarantine.toString(), events, records);

    SortedSet<String> expectedRaw = S3TestData.rawKeys(events, RAW_SHARDS, G1);
    SortedSet<String> expectedQuarantine = S3TestData.quarantineKeys(records, G1);
    assertThat(objects(raw).keySet(), equalTo(expectedRaw));
    assertThat(objects(quarantine).keySet(), equalTo(expectedQuarantine));
    assertThat(localFiles(localRaw), equalTo(expectedRaw));
    assertThat(localFiles(localQuarantine), equalTo(expectedQuarantine));

    assertRawStoreHoldsExactly(raw, events);
    List<QuarantineRecord> back = QuarantineIO.readRecords(quarantine);
    assertThat(back, hasSize(records.size()));
    assertThat(back, containsInAnyOrder(records.toArray()));
  }

  /** Every object below {@code prefix}, relative name to its bytes. */
  private static SortedMap<String, byte[]> contents(String prefix) throws IOException {
    String dir = prefix.endsWith("/") ? prefix : prefix + "/";
    SortedMap<String, byte[]> out = new TreeMap<>();
    for (String name : objects(prefix).keySet()) {
      try (java.io.InputStream in =
          java.nio.channels.Channels.newInputStream(
              FileSystems.open(FileSystems.matchNewResource(dir + name, false)))) {
        out.put(name, in.readAllBytes());
      }
    }
    return out;
  }

  /**
   * The restart of the issue, on S3: a first job (G1) wrote some arrival minutes; the job restarted
   * as a new generation (G2) writes part of them again and more. Every object of the first job is
   * still there with the same bytes, the second job's objects are its own keys, and the raw store
   * read back, deduplicated by event id, holds every event either job wrote.
   */
  @Test
  public void aSecondGenerationAddsObjectsAndReplacesNone() throws Exception {
    List<CollabEvent> all = S3TestData.events(200);
    List<QuarantineRecord> records = S3TestData.quarantined(20);
    List<CollabEvent> firstJob = all.subList(0, 120);
    List<CollabEvent> restarted = all.subList(80, 200);
    String raw = "s3://" + RAW_BUCKET + "/restart/raw";
    String quarantine = "s3://" + QUARANTINE_BUCKET + "/restart/quarantine";
    FlinkPipelineOptions options = flink(s3.endpoint(), raw, quarantine);

    write(options, G1, raw, quarantine, firstJob, records.subList(0, 12));
    SortedMap<String, byte[]> rawFirst = contents(raw);
    SortedMap<String, byte[]> quarantineFirst = contents(quarantine);
    write(options, G2, raw, quarantine, restarted, records.subList(6, 20));

    SortedMap<String, byte[]> rawAfter = contents(raw);
    SortedMap<String, byte[]> quarantineAfter = contents(quarantine);
    for (Map.Entry<String, byte[]> o : rawFirst.entrySet()) {
      assertThat(o.getKey(), java.util.Arrays.equals(rawAfter.get(o.getKey()), o.getValue()));
    }
    for (Map.Entry<String, byte[]> o : quarantineFirst.entrySet()) {
      assertThat(
          o.getKey(), java.util.Arrays.equals(quarantineAfter.get(o.getKey()), o.getValue()));
    }
    SortedSet<String> rawKeys = new TreeSet<>(S3TestData.rawKeys(firstJob, RAW_SHARDS, G1));
    rawKeys.addAll(S3TestData.rawKeys(restarted, RAW_SHARDS, G2));
    assertThat(rawAfter.keySet(), equalTo(rawKeys));
    SortedSet<String> quarantineKeys =
        new TreeSet<>(S3TestData.quarantineKeys(records.subList(0, 12), G1));
    quarantineKeys.addAll(S3TestData.quarantineKeys(records.subList(6, 20), G2));
    assertThat(quarantineAfter.keySet(), equalTo(quarantineKeys));

    List<CollabEvent> both = new ArrayList<>(firstJob);
    both.addAll(restarted);
    assertRawStoreHoldsExactly(raw, both);
    List<QuarantineRecord> bothRecords = new ArrayList<>(records.subList(0, 12));
    bothRecords.addAll(records.subList(6, 20));
    assertThat(QuarantineIO.readRecords(quarantine), containsInAnyOrder(bothRecords.toArray()));
  }

  @Test
  public void rewritingTheSameGenerationRewritesTheSameObjects() throws Exception {
    List<CollabEvent> events = S3TestData.events(200);
    List<QuarantineRecord> records = S3TestData.quarantined(20);
    String raw = "s3://" + RAW_BUCKET + "/rerun/raw";
    String quarantine = "s3://" + QUARANTINE_BUCKET + "/rerun/quarantine";
    FlinkPipelineOptions options = flink(s3.endpoint(), raw, quarantine);

    write(options, G1, raw, quarantine, events, records);
    SortedMap<String, Long> rawFirst = objects(raw);
    SortedMap<String, Long> quarantineFirst = objects(quarantine);
    write(options, G1, raw, quarantine, events, records);

    assertThat(rawFirst.keySet(), equalTo(S3TestData.rawKeys(events, RAW_SHARDS, G1)));
    assertThat(quarantineFirst.keySet(), equalTo(S3TestData.quarantineKeys(records, G1)));
    // The same keys and nothing else: no second copy, no temporary file left behind. (Sizes may
    // differ by a few
    // bytes: the order of rows within a Parquet file, and so its encoding, is not fixed between
    // runs.)
    assertThat(objects(raw).keySet(), equalTo(rawFirst.keySet()));
    assertThat(objects(quarantine).keySet(), equalTo(quarantineFirst.keySet()));
    assertRawStoreHoldsExactly(raw, events);
    assertThat(QuarantineIO.readRecords(quarantine), containsInAnyOrder(records.toArray()));
  }

  @Test
  public void pathStyleReachesALocalhostEndpoint() throws Exception {
    URI localhost = URI.create("http://localhost:" + s3.port());
    S3Options options = s3.applyTo(PipelineOptionsFactory.create()).as(S3Options.class);
    options.setEndpoint(localhost);

    // The SDK addresses a bucket of a named endpoint virtual-host style (bucket.localhost, which
    // does not resolve)
    // unless path style is forced.
    Map<Boolean, String> urls = new HashMap<>();
    for (boolean pathStyle : new boolean[] {false, true}) {
      options.setS3PathStyle(pathStyle);
      try (S3Client client = new CollabS3ClientBuilderFactory().createBuilder(options).build()) {
        urls.put(
            pathStyle, client.utilities().getUrl(b -> b.bucket(RAW_BUCKET).key("k")).toString());
      }
    }
    assertThat(urls.get(false), equalTo("http://" + RAW_BUCKET + ".localhost:" + s3.port() + "/k"));
    assertThat(urls.get(true), equalTo("http://localhost:" + s3.port() + "/" + RAW_BUCKET + "/k"));

    List<CollabEvent> events = S3TestData.events(20);
    List<QuarantineRecord> records = S3TestData.quarantined(6);
    String raw = "s3://" + RAW_BUCKET + "/localhost/raw";
    String quarantine = "s3://" + QUARANTINE_BUCKET + "/localhost/quarantine";
    FlinkPipelineOptions flink = flink(localhost, raw, quarantine);
    assertThat(flink.as(S3Options.class).getS3PathStyle(), equalTo(true));
    write(flink, G1, raw, quarantine, events, records);

    assertThat(objects(raw).keySet(), equalTo(S3TestData.rawKeys(events, RAW_SHARDS, G1)));
    assertThat(QuarantineIO.readRecords(quarantine), containsInAnyOrder(records.toArray()));
  }
}
