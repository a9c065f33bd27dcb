package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CollabEvent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The raw store's own Parquet sink writes files any Parquet reader reads back whole, with plain
 * (not dictionary) encoding for the per-event unique columns, a dictionary for the repeated ones,
 * and no statistics for the payload. The oracles are parquet-mr's own reader and the file's footer,
 * not this code.
 */
@RunWith(JUnit4.class)
public class RawParquetSinkTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void roundTripsAndEncodesUniqueColumnsPlain() throws IOException {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      events.add(
          RawStoreIOTest.event(
              String.format("evt_%08d", i),
              RawStoreIOTest.T0 + i,
              RawStoreIOTest.T0 + 60_000 + i,
              i % 3 == 0));
    }
    Path file = tmp.getRoot().toPath().resolve("raw.parquet");
    writeWithSink(file, CompressionCodecName.SNAPPY, events);

    List<CollabEvent> read = new ArrayList<>();
    org.apache.hadoop.fs.Path hadoopPath = new org.apache.hadoop.fs.Path(file.toUri());
    try (ParquetReader<GenericRecord> reader =
        AvroParquetReader.<GenericRecord>builder(
                HadoopInputFile.fromPath(hadoopPath, new Configuration()))
            .build()) {
      for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
        read.add(RawStoreSchema.fromRecord(r));
      }
    }
    assertThat(read, equalTo(events));

    Map<String, ColumnChunkMetaData> columns = new HashMap<>();
    try (ParquetFileReader reader =
        ParquetFileReader.open(HadoopInputFile.fromPath(hadoopPath, new Configuration()))) {
      for (BlockMetaData block : reader.getFooter().getBlocks()) {
        for (ColumnChunkMetaData c : block.getColumns()) {
          columns.put(c.getPath().toDotString(), c);
        }
      }
    }
    for (String plain : List.of("event_id", "payload_json", "resource_gid", "occurred_at")) {
      assertThat(plain + " has a dictionary", usesDictionary(columns.get(plain)), is(false));
    }
    for (String dict : List.of("event_type", "platform", "source_kind")) {
      assertThat(dict + " has a dictionary", usesDictionary(columns.get(dict)), is(true));
    }
    assertThat(
        "payload statistics",
        columns.get("payload_json").getStatistics().hasNonNullValue(),
        is(false));
    assertThat(
        "event_id statistics", columns.get("event_id").getStatistics().hasNonNullValue(), is(true));
  }

  /**
   * The sink writes each event straight to Parquet's columns; the files must be the ones Avro's
   * Parquet writer made of the same events' Avro records with the same settings (what this sink did
   * before), byte for byte: schema, footer metadata (the Avro schema readers use), encodings, pages
   * and values. Enough events and payload for several pages per column, the optional columns both
   * set and null, non-ASCII text; compressed and not.
   */
  @Test
  public void writesTheFilesAvrosParquetWriterWrites() throws IOException {
    List<CollabEvent> events = new ArrayList<>();
    StringBuilder longText = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      longText.setLength(0);
      for (int k = 0; k < i % 40; k++) {
        longText.append("word ").append(k * i).append(" ü ✓ ");
      }
      CollabEvent base =
          RawStoreIOTest.event(
              String.format("evt_%08d", i),
              RawStoreIOTest.T0 + 17L * i,
              RawStoreIOTest.T0 + 60_000 + 13L * i,
              i % 3 == 0);
      events.add(
          base.toBuilder()
              .setPayloadJson("{\"i\":" + i + ",\"text\":\"" + longText + "\"}")
              .build());
    }
    for (CompressionCodecName codec :
        List.of(CompressionCodecName.SNAPPY, CompressionCodecName.UNCOMPRESSED)) {
      Path ours = tmp.getRoot().toPath().resolve("ours-" + codec + ".parquet");
      writeWithSink(ours, codec, events);

      Path avros = tmp.getRoot().toPath().resolve("avro-" + codec + ".parquet");
      AvroParquetWriter.Builder<GenericRecord> builder =
          AvroParquetWriter.<GenericRecord>builder(
                  HadoopOutputFile.fromPath(
                      new org.apache.hadoop.fs.Path(avros.toUri()), new Configuration(false)))
              .withSchema(RawStoreSchema.SCHEMA)
              .withDataModel(GenericData.get())
              .withCompressionCodec(codec)
              .withConf(new Configuration(false))
              .withStatisticsEnabled("payload_json", false);
      for (String column : RawParquetSink.NO_DICTIONARY) {
        builder = builder.withDictionaryEncoding(column, false);
      }
      try (ParquetWriter<GenericRecord> writer = builder.build()) {
        for (CollabEvent e : events) {
          writer.write(RawStoreSchema.toRecord(e));
        }
      }

      assertThat(Files.size(ours), greaterThan(1_000_000L));
      assertThat(
          codec + ": the same bytes as Avro's writer",
          Arrays.equals(Files.readAllBytes(ours), Files.readAllBytes(avros)),
          is(true));
    }
  }

  /** The events written to a new file through the sink, as FileIO drives it. */
  static void writeWithSink(Path file, CompressionCodecName codec, List<CollabEvent> events)
      throws IOException {
    RawParquetSink sink = new RawParquetSink(codec);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      sink.open(channel);
      for (CollabEvent e : events) {
        sink.write(e);
      }
      sink.flush();
    }
  }

  private static boolean usesDictionary(ColumnChunkMetaData c) {
    return c.getEncodings().contains(Encoding.PLAIN_DICTIONARY)
        || c.getEncodings().contains(Encoding.RLE_DICTIONARY);
  }
}
