package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The file sinks on the embedded Flink runner, batch and streaming: same files and rows as on the
 * DirectRunner, {@code raw_written} ticks equal to the rows of the committed files, and a second
 * writer (another generation) of the same windows adding files next to the first one's.
 */
public class SinksOnFlinkTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static Pipeline flink(boolean streaming) {
    FlinkPipelineOptions options = EmbeddedFlink.options(streaming, 2);
    options.setShutdownSourcesAfterIdleMs(1000L);
    return Pipeline.create(options);
  }

  private static Set<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static Set<String> rawNames(long generation) {
    Set<String> names = new TreeSet<>();
    for (String n :
        List.of(
            "dt=2026-11-21/hr=01/part-20261122T010200Z",
            "dt=2026-11-21/hr=23/part-20261122T010100Z",
            "dt=2026-11-22/hr=01/part-20261122T010100Z",
            "dt=2026-11-22/hr=02/part-20261122T020000Z")) {
      names.add(n + "-g" + generation + "-p0-00000-of-00001.parquet");
    }
    return names;
  }

  /** Writes both stores as {@code generation}; returns the raw_written ticks counted. */
  private static long write(
      boolean streaming,
      long generation,
      Path raw,
      Path quarantine,
      List<CollabEvent> events,
      List<QuarantineRecord> records) {
    Pipeline p = flink(streaming);
    List<TimestampedValue<CollabEvent>> stampedEvents = new ArrayList<>();
    events.forEach(
        e -> stampedEvents.add(TimestampedValue.of(e, new Instant(e.receivedAtMillis()))));
    List<TimestampedValue<QuarantineRecord>> stampedRecords = new ArrayList<>();
    records.forEach(
        q ->
            stampedRecords.add(
                TimestampedValue.of(q, new Instant(q.original().receivedAtMillis()))));
    RawStoreIO.WriteResult written =
        p.apply("CreateEvents", Create.timestamped(stampedEvents))
            .apply("WriteRawArchive", RawStoreIO.write(raw.toString()).withGeneration(generation));
    written
        .files()
        .apply(
            "CountRawWritten",
            CompletenessTicks.ofEach(Stage.RAW_WRITTEN, RawStoreIO::arrivalTimesOfWrittenFile));
    p.apply("CreateRecords", Create.timestamped(stampedRecords))
        .apply(
            "WriteQuarantine",
            QuarantineIO.write(quarantine.toString()).withGeneration(generation));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return Counters.committedOrAttempted(
        result, CompletenessTicks.METRICS_NAMESPACE, Stage.RAW_WRITTEN.code());
  }

  private void writeAndCheck(boolean streaming) throws Exception {
    Path raw = tmp.getRoot().toPath().resolve("raw");
    Path quarantine = tmp.getRoot().toPath().resolve("quarantine");
    List<CollabEvent> events = RawStoreIOTest.sampleEvents();
    List<QuarantineRecord> records = QuarantineIOTest.sampleRecords();
    long ticks = write(streaming, RawStoreIOTest.G1, raw, quarantine, events, records);

    assertThat(files(raw), equalTo(rawNames(RawStoreIOTest.G1)));
    assertThat(
        "raw_written = the rows of the committed files", ticks, equalTo((long) events.size()));
    List<String> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT event_id FROM read_parquet('"
                    + raw
                    + "/**/*.parquet', hive_partitioning=true)")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    assertThat(ids, containsInAnyOrder(events.stream().map(CollabEvent::eventId).toArray()));
    assertThat(
        QuarantineIO.readRecords(quarantine.toString()), containsInAnyOrder(records.toArray()));
    Set<String> quarantineFirst = files(quarantine);

    // A restarted job (a new generation) over the same arrival minutes: its files join the first
    // one's, none is replaced, and both copies read back.
    write(streaming, RawStoreIOTest.G2, raw, quarantine, events, records);
    Set<String> both = new TreeSet<>(rawNames(RawStoreIOTest.G1));
    both.addAll(rawNames(RawStoreIOTest.G2));
    assertThat(files(raw), equalTo(both));
    assertThat(files(quarantine).containsAll(quarantineFirst), equalTo(true));
    assertThat(files(quarantine).size(), equalTo(2 * quarantineFirst.size()));
    List<QuarantineRecord> twice = new ArrayList<>(records);
    twice.addAll(records);
    assertThat(
        QuarantineIO.readRecords(quarantine.toString()), containsInAnyOrder(twice.toArray()));
  }

  @Test
  public void batchWritesTheSameFilesAsTheDirectRunner() throws Exception {
    writeAndCheck(false);
  }

  @Test
  public void streamingWritesTheSameFilesAsTheDirectRunner() throws Exception {
    writeAndCheck(true);
  }
}
