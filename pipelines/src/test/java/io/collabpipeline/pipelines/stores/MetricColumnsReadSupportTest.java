package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.InputFile;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A replay's reader of the metric columns gives, for every row of a raw store file, the event that
 * parquet-avro's reader of the whole record gives with the unread fields emptied: whichever writer
 * made the file (the raw store's sink, or Avro's writer with a dictionary for every column), with
 * dictionary and plain pages, nulls in the optional columns and non-ASCII text. The oracle is
 * Avro's reader of every column ({@link RawStoreSchema#fromRecord}) and the narrowing written out
 * here, not the code under test.
 */
@RunWith(JUnit4.class)
public class MetricColumnsReadSupportTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsTheMetricColumnsOfEveryRowOfTheSinksFiles() throws IOException {
    List<CollabEvent> events = events(5_000);
    Path file = tmp.getRoot().toPath().resolve("sink.parquet");
    RawParquetSinkTest.writeWithSink(file, CompressionCodecName.SNAPPY, events);
    assertThat(readMetricColumns(file), equalTo(narrowed(readWholeWithAvro(file))));
    assertThat(readWholeWithAvro(file), equalTo(events));
  }

  @Test
  public void readsFilesWrittenByAvrosWriterWithDictionariesAndSmallPages() throws IOException {
    List<CollabEvent> events = events(5_000);
    Path file = tmp.getRoot().toPath().resolve("avro.parquet");
    // Small pages and row groups: many dictionaries per column, and the dictionary of the nearly
    // unique columns outgrows its page, so those fall back to plain pages part way.
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(
                HadoopOutputFile.fromPath(
                    new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))
            .withSchema(RawStoreSchema.SCHEMA)
            .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
            .withDictionaryEncoding(true)
            .withDictionaryPageSize(4_096)
            .withPageSize(8_192)
            .withRowGroupSize(256 * 1024L)
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .build()) {
      for (CollabEvent e : events) {
        writer.write(RawStoreSchema.toRecord(e));
      }
    }
    assertThat(readMetricColumns(file), equalTo(narrowed(events)));
  }

  @Test
  public void aFileWithoutAMetricColumnFailsNamingIt() throws IOException {
    Path file = writeOneRow(metricSchema("actor_id", null), "a.parquet");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> readMetricColumns(file));
    assertThat(e.getMessage(), containsString("no column actor_id"));
  }

  @Test
  public void aMetricColumnOfAnotherTypeFailsNamingIt() throws IOException {
    Path file = writeOneRow(metricSchema(null, "event_id"), "b.parquet");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> readMetricColumns(file));
    assertThat(e.getMessage(), containsString("column event_id"));
    assertThat(e.getMessage(), containsString("BINARY"));
  }

  @Test
  public void timestampsOfAnotherUnitFailNamingTheColumn() throws IOException {
    // Microseconds, as DuckDB's and Spark's writers store timestamps by default: the same INT64,
    // read as milliseconds they would move every event some 50,000 years ahead.
    Schema micros = LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
    Path file = writeOneRow(metricSchema(null, null, "received_at", micros), "micros.parquet");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> readMetricColumns(file));
    assertThat(e.getMessage(), containsString("column received_at"));
    assertThat(e.getMessage(), containsString("MICROS"));
    assertThat(e.getMessage(), containsString("TIMESTAMP(MILLIS,true)"));
  }

  @Test
  public void timestampsWithoutAUnitOrInLocalTimeFailNamingTheColumn() throws IOException {
    Path plain =
        writeOneRow(
            metricSchema(null, null, "occurred_at", Schema.create(Schema.Type.LONG)),
            "plain.parquet");
    assertThat(
        assertThrows(IllegalStateException.class, () -> readMetricColumns(plain)).getMessage(),
        containsString("column occurred_at"));
    Schema local = LogicalTypes.localTimestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
    Path localFile = writeOneRow(metricSchema(null, null, "occurred_at", local), "local.parquet");
    assertThat(
        assertThrows(IllegalStateException.class, () -> readMetricColumns(localFile)).getMessage(),
        containsString("column occurred_at"));
  }

  /**
   * A record of the metric columns, as {@link RawStoreSchema#SCHEMA} types them, but without the
   * column {@code without} and with the column {@code asLong} a long (each null for none).
   */
  private static Schema metricSchema(@Nullable String without, @Nullable String asLong) {
    return metricSchema(without, asLong, null, null);
  }

  /**
   * As {@link #metricSchema(String, String)}, and with the column {@code retyped} of the type
   * {@code type} (both null for none).
   */
  static Schema metricSchema(
      @Nullable String without,
      @Nullable String asLong,
      @Nullable String retyped,
      @Nullable Schema type) {
    SchemaBuilder.FieldAssembler<Schema> fields =
        SchemaBuilder.record("CollabEventRaw").namespace("io.collabpipeline.raw").fields();
    for (String name : RawStoreSchema.METRIC_COLUMNS) {
      if (name.equals(without)) {
        continue;
      }
      Schema.Field f = RawStoreSchema.SCHEMA.getField(name);
      if (name.equals(retyped)) {
        fields = fields.name(name).type(type).noDefault();
      } else {
        fields =
            name.equals(asLong)
                ? fields.requiredLong(name)
                : fields.name(name).type(f.schema()).noDefault();
      }
    }
    return fields.endRecord();
  }

  @Test
  public void anOptionalMetricColumnAbsentFromARowReadsNullInThatRowOnly() throws IOException {
    // Rows alternate with and without the optional columns: a value must not leak into the next
    // row that lacks it.
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      events.add(
          RawStoreIOTest.event(
              String.format("evt_%04d", i),
              RawStoreIOTest.T0 + i,
              RawStoreIOTest.T0 + 1_000 + i,
              i % 2 == 0));
    }
    Path file = tmp.getRoot().toPath().resolve("alternating.parquet");
    RawParquetSinkTest.writeWithSink(file, CompressionCodecName.UNCOMPRESSED, events);
    List<CollabEvent> read = readMetricColumns(file);
    assertThat(read, equalTo(narrowed(events)));
    // Even rows carry the optional columns, odd rows none.
    assertThat(read.get(2).triggerEventId() == null, is(false));
    assertThat(read.get(3).triggerEventId() == null, is(true));
    assertThat(read.get(3).taskGid() == null, is(false));
    assertThat(read.get(2).taskGid() == null, is(true));
  }

  /**
   * Events of every shape: the optional columns present and absent, ids unique per event, types,
   * workspaces, actors and sources repeated (dictionary pages), text beyond ASCII.
   */
  private static List<CollabEvent> events(int n) {
    List<CollabEvent> events = new ArrayList<>();
    String[] types = {"task.created", "task.completed", "comment.added", "notification.sent"};
    for (int i = 0; i < n; i++) {
      boolean optionals = i % 3 != 0;
      events.add(
          CollabEvent.builder()
              .setEventId(String.format("evt_%08d", i))
              .setEventType(types[i % types.length])
              .setSchemaVersion(1 + i % 2)
              .setOccurredAtMillis(RawStoreIOTest.T0 + 17L * i)
              .setReceivedAtMillis(RawStoreIOTest.T0 + 60_000 + 19L * i)
              .setWorkspaceGid("12000" + (i % 7))
              .setActorId("u_ü" + (i % 311))
              .setPlatform(i % 2 == 0 ? "web" : "ios")
              .setService(optionals ? "mobile-api" : null)
              .setAppVersion(optionals ? "5.1." + (i % 4) : null)
              .setResourceType("task")
              .setResourceGid("r" + i)
              .setTaskGid(optionals ? "t" + (i % 1_009) : null)
              .setTriggerEventId(i % 5 == 0 ? "trig_" + i : null)
              .setTriggerEventType(i % 5 == 0 ? "comment.added" : null)
              .setPayloadJson("{\"i\":" + i + ",\"note\":\"é ✓\"}")
              .setSource(
                  i % 4 == 0
                      ? SourceRef.file("/in/events-" + (i % 2) + ".ndjson", i + 1)
                      : SourceRef.kafka("events", i % 3, 10_000L + i))
              .build());
    }
    return events;
  }

  /** The replay's narrow event of each: the metric columns kept, every other field emptied. */
  private static List<CollabEvent> narrowed(List<CollabEvent> whole) {
    List<CollabEvent> out = new ArrayList<>();
    for (CollabEvent e : whole) {
      out.add(
          e.toBuilder()
              .setSchemaVersion(0)
              .setPlatform("")
              .setService(null)
              .setAppVersion(null)
              .setResourceType("")
              .setResourceGid("")
              .setPayloadJson("")
              .build());
    }
    return out;
  }

  private static List<CollabEvent> readWholeWithAvro(Path file) throws IOException {
    List<CollabEvent> read = new ArrayList<>();
    try (ParquetReader<GenericRecord> reader =
        AvroParquetReader.<GenericRecord>builder(
                HadoopInputFile.fromPath(
                    new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))
            .withDataModel(GenericData.get())
            .build()) {
      for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
        read.add(RawStoreSchema.fromRecord(r));
      }
    }
    return read;
  }

  private static List<CollabEvent> readMetricColumns(Path file) throws IOException {
    Configuration conf = new Configuration();
    InputFile in = HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf);
    List<CollabEvent> read = new ArrayList<>();
    try (ParquetReader<CollabEvent> reader =
        new ParquetReader.Builder<CollabEvent>(in, new HadoopParquetConfiguration(conf)) {
          @Override
          protected ReadSupport<CollabEvent> getReadSupport() {
            return new MetricColumnsReadSupport();
          }
        }.build()) {
      for (CollabEvent e = reader.read(); e != null; e = reader.read()) {
        read.add(e);
      }
    }
    return read;
  }

  private Path writeOneRow(Schema schema, String name) throws IOException {
    return writeOneRow(schema, tmp.getRoot().toPath().resolve(name));
  }

  /**
   * One row of {@code schema} (a {@link #metricSchema} record: "x" for a string, 1 for a number)
   * written to {@code file} by Avro's Parquet writer, with the logical types the schema gives.
   */
  static Path writeOneRow(Schema schema, Path file) throws IOException {
    GenericData.Record r = new GenericData.Record(schema);
    for (Schema.Field f : schema.getFields()) {
      Schema.Type t =
          f.schema().getType() == Schema.Type.UNION
              ? f.schema().getTypes().get(1).getType()
              : f.schema().getType();
      r.put(
          f.name(),
          t == Schema.Type.STRING
              ? (f.name().equals("source_kind") ? "kafka" : "x")
              : t == Schema.Type.INT ? (Object) 1 : (Object) 1L);
    }
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(
                HadoopOutputFile.fromPath(
                    new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))
            .withSchema(schema)
            .build()) {
      writer.write(r);
    }
    return file;
  }
}
