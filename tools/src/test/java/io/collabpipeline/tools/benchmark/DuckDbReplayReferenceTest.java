package io.collabpipeline.tools.benchmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.stores.RawStoreSchema;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 11, point 3: a raw-store replay, which reads only the metric columns of the raw store into
 * narrow events, commits exactly the rows that the benchmark's DuckDB reference SQL computes over
 * the same Parquet files (the independent oracle: dedup by earliest arrival, canaries out, the nine
 * windowings). The raw store holds generated events, duplicates included, plus earlier-arriving
 * copies of some events with another actor (the dedup must keep those) and a canary (which must
 * count nowhere).
 */
public class DuckDbReplayReferenceTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    return CollabPipeline.runCli(args, ps, ps);
  }

  @Test
  public void aProjectedReplayCommitsTheRowsOfTheDuckDbReference() throws Exception {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withDeliveries(400).withSeed(11L).withDuplicateShare(0.1);
    Path input = tmp.newFile("events.ndjson").toPath();
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input)) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input, FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = tmp.newFolder("data").getPath();
    Path raw = Path.of(dataDir, "raw");
    assertThat(
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=100"),
        equalTo(0));

    // Earlier-arriving copies, with another actor, of the first editor events of one file, and a
    // canary: written beside the live files as another writer would.
    Path first = parquetFiles(raw).get(0);
    List<CollabEvent> extra = new ArrayList<>();
    for (CollabEvent e : readEvents(first)) {
      if (extra.size() < 3 && e.eventType().startsWith("task.")) {
        extra.add(
            e.toBuilder()
                .setActorId("earlier-copy-" + extra.size())
                .setReceivedAtMillis(e.receivedAtMillis() - 1_000)
                .setSource(SourceRef.file("other-writer", extra.size()))
                .build());
      }
    }
    assertThat("editor events to copy", extra.size(), equalTo(3));
    CollabEvent model = extra.get(0);
    extra.add(
        model.toBuilder()
            .setEventId("canary-0-" + model.occurredAtMillis())
            .setWorkspaceGid("0")
            .setActorId("canary-actor")
            .build());
    try (ParquetWriter<GenericRecord> w =
        AvroParquetWriter.<GenericRecord>builder(
                new LocalOutputFile(first.resolveSibling("part-extra-copies.parquet")))
            .withSchema(RawStoreSchema.SCHEMA)
            .withDataModel(GenericData.get())
            .build()) {
      for (CollabEvent e : extra) {
        w.write(RawStoreSchema.toRecord(e));
      }
    }

    TreeSet<String> dates = new TreeSet<>();
    try (Stream<Path> parts = Files.list(raw)) {
      parts
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("dt="))
          .forEach(n -> dates.add(n.substring(3)));
    }
    int replay =
        run(
            "--runner=DirectRunner",
            "--source=raw",
            "--from=" + dates.first(),
            "--to=" + dates.last(),
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=200");
    assertThat(out.toString(StandardCharsets.UTF_8), replay, equalTo(0));

    List<String> committed = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc("jdbc:duckdb:" + dataDir + "/warehouse.duckdb")) {
      for (CuratedTable t :
          List.of(
              CuratedTable.ACTIVE_EDITORS,
              CuratedTable.TASK_UPDATE_VELOCITY,
              CuratedTable.NOTIFICATION_FANOUT)) {
        for (CuratedRow row : w.curated().read(t)) {
          StringBuilder line = new StringBuilder(t.tableName());
          List<Object> values = row.values();
          for (int i = 0; i < values.size(); i++) {
            if (i != 1) { // window_end, which the reference does not compute
              line.append('|').append(DuckDbReplayReference.format(values.get(i)));
            }
          }
          committed.add(line.toString());
        }
      }
    }
    committed.sort(null);
    List<String> reference = DuckDbReplayReference.rows(raw.toString(), 2);
    assertThat(reference.size(), greaterThan(100));
    assertThat(committed, equalTo(reference));
  }

  private static List<Path> parquetFiles(Path raw) throws Exception {
    try (Stream<Path> s = Files.walk(raw)) {
      // The committed files of the partitions only (dt=D/hr=H/), as the replay and DuckDB read
      // them.
      return s.filter(p -> p.toString().endsWith(".parquet"))
          .filter(p -> p.getParent().getParent().getFileName().toString().startsWith("dt="))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static List<CollabEvent> readEvents(Path file) throws Exception {
    List<CollabEvent> events = new ArrayList<>();
    try (ParquetReader<GenericRecord> r =
        AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file))
            .withDataModel(GenericData.get())
            .build()) {
      for (GenericRecord rec = r.read(); rec != null; rec = r.read()) {
        events.add(RawStoreSchema.fromRecord(rec));
      }
    }
    return events;
  }
}
