package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.pipelines.EmbeddedFlink;
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
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The file sinks on the embedded Flink runner, batch and streaming: same files and rows as on the
 * DirectRunner.
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

  private void writeAndCheck(boolean streaming) throws Exception {
    Path raw = tmp.getRoot().toPath().resolve("raw");
    Path quarantine = tmp.getRoot().toPath().resolve("quarantine");
    List<CollabEvent> events = RawStoreIOTest.sampleEvents();
    List<QuarantineRecord> records = QuarantineIOTest.sampleRecords();
    Pipeline p = flink(streaming);
    List<TimestampedValue<CollabEvent>> stampedEvents = new ArrayList<>();
    events.forEach(
        e -> stampedEvents.add(TimestampedValue.of(e, new Instant(e.receivedAtMillis()))));
    List<TimestampedValue<QuarantineRecord>> stampedRecords = new ArrayList<>();
    records.forEach(
        q ->
            stampedRecords.add(
                TimestampedValue.of(q, new Instant(q.original().receivedAtMillis()))));
    p.apply("CreateEvents", Create.timestamped(stampedEvents))
        .apply("WriteRawArchive", RawStoreIO.write(raw.toString()));
    p.apply("CreateRecords", Create.timestamped(stampedRecords))
        .apply("WriteQuarantine", QuarantineIO.write(quarantine.toString()));
    p.run().waitUntilFinish();

    assertThat(
        files(raw),
        equalTo(
            new TreeSet<>(
                List.of(
                    "dt=2026-11-21/hr=01/part-20261122T010200Z-p0-00000-of-00001.parquet",
                    "dt=2026-11-21/hr=23/part-20261122T010100Z-p0-00000-of-00001.parquet",
                    "dt=2026-11-22/hr=01/part-20261122T010100Z-p0-00000-of-00001.parquet",
                    "dt=2026-11-22/hr=02/part-20261122T020000Z-p0-00000-of-00001.parquet"))));
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
