package io.collabpipeline.pipelines.stores;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * The raw store's Parquet file writer: {@link RawStoreSchema#SCHEMA} records, without a dictionary
 * for the columns that are unique or nearly so per event, and without min/max statistics for the
 * payload.
 *
 * <p>Parquet's writer starts every column with a dictionary and falls back to plain encoding once
 * the dictionary outgrows its page; for an event id, a timestamp or a ~1 KB JSON payload that is
 * hashing and comparing every value for nothing (about a third of the raw archive's writing time in
 * a profile of the benchmark). The min/max of a JSON text prunes nothing and costs a byte-wise
 * comparison of every payload. The columns readers filter or group by (event type, workspace,
 * source) keep their dictionary and every column but the payload its statistics. The files read
 * alike: encodings are per column chunk and every Parquet reader handles both.
 *
 * <p>{@code ParquetIO.sink} offers neither setting (its configuration map does not reach the
 * writer's per-column properties), hence this sink.
 */
final class RawParquetSink implements FileIO.Sink<GenericRecord> {
  private static final long serialVersionUID = 1L;

  /** Unique or nearly unique per event: plain encoding from the start. */
  static final List<String> NO_DICTIONARY =
      List.of(
          "event_id",
          "occurred_at",
          "received_at",
          "resource_gid",
          "task_gid",
          "trigger_event_id",
          "payload_json",
          "source_offset");

  /** No min/max statistics: nothing prunes on it. */
  static final String NO_STATISTICS = "payload_json";

  private final CompressionCodecName compression;
  private transient ParquetWriter<GenericRecord> writer;

  RawParquetSink(CompressionCodecName compression) {
    this.compression = compression;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    AvroParquetWriter.Builder<GenericRecord> builder =
        AvroParquetWriter.<GenericRecord>builder(new ChannelOutputFile(channel))
            .withSchema(RawStoreSchema.SCHEMA)
            .withDataModel(GenericData.get())
            .withCompressionCodec(compression)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            // Without default resources: a Configuration that loads them parses Hadoop's XML
            // from the class path, once per file written; the writer needs none of it.
            .withConf(new Configuration(false))
            .withStatisticsEnabled(NO_STATISTICS, false);
    for (String column : NO_DICTIONARY) {
      builder = builder.withDictionaryEncoding(column, false);
    }
    writer = builder.build();
  }

  @Override
  public void write(GenericRecord record) throws IOException {
    writer.write(record);
  }

  @Override
  public void flush() throws IOException {
    // Writes the footer; FileIO closes the channel.
    writer.close();
  }

  /** The file a {@link FileIO} sink is handed: its channel, written once from the start. */
  private static final class ChannelOutputFile implements OutputFile {
    private final OutputStream out;

    ChannelOutputFile(WritableByteChannel channel) {
      this.out = Channels.newOutputStream(channel);
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return new CountingStream(out);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return new CountingStream(out);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }

  /** The position is what was written: the stream starts at the file's beginning. */
  private static final class CountingStream extends PositionOutputStream {
    private final OutputStream out;
    private long position;

    CountingStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return position;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      position++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      position += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      // The channel is FileIO's to close; only what is buffered goes out.
      out.flush();
    }
  }
}
